/* libFuzzer: Docker-format seccomp profiles: parse, validate, compile (with
 * and without exec-once), export. */
#include "../../sandbox/filter.h"
#include "../../sandbox/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_err err;
    kt_profile *p = NULL;
    if (kt_profile_parse((const char *)data, n, "f.json", &p, &err) < 0) return 0;
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    for (int once = 0; once < 2; once++) {
        kt_filter_opts o = {once};
        kt_filter f;
        if (kt_filter_compile(p, &env, &o, &f, &err) == 0) kt_filter_free(&f);
    }
    kt_profile_free(p);
    return 0;
}
