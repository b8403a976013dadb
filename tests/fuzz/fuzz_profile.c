/* libFuzzer: Docker-format seccomp profiles: parse, validate, compile (with
 * and without exec-once, as a list and as a tree), export, and run the
 * filter on seccomp(2) (bpfeval.h), which must understand every program
 * libseccomp makes. */
#include "../../sandbox/bpfeval.h"
#include "../../sandbox/filter.h"

#include <stdlib.h>
#include "../../sandbox/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_err err;
    kt_profile *p = NULL;
    if (kt_profile_parse((const char *)data, n, "f.json", &p, &err) < 0) return 0;
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    for (int i = 0; i < 4; i++) {
        kt_filter_opts o = {i & 1, 1 + (i >> 1)};
        kt_filter f;
        if (kt_filter_compile(p, &env, &o, &f, &err) < 0) continue;
        /* every program libseccomp makes is one the evaluator runs */
        struct seccomp_data d = {(int)n, (uint32_t)(n * 2654435761U), 0, {n, 1, 2, 3, 4, 5}};
        uint32_t ret;
        if (kt_bpf_eval(f.bpf.insns, f.bpf.len, &d, &ret) < 0) abort();
        (void)kt_filter_lets_seccomp(&f.bpf, 0);
        kt_filter_free(&f);
    }
    kt_profile_free(p);
    return 0;
}
