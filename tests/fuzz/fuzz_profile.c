/* libFuzzer: Docker-format seccomp profiles: parse, validate, compile, export. */
#include "../../sandbox/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_err err;
    kt_profile *p = NULL;
    if (kt_profile_parse((const char *)data, n, "f.json", &p, &err) < 0) return 0;
    kt_profile_env env;
    kt_profile_env_host(&env);
    scmp_filter_ctx ctx = NULL;
    if (kt_profile_compile(p, &env, &ctx, &err) == 0) {
        kt_bpf b;
        if (kt_profile_export(ctx, &b, &err) == 0) kt_bpf_free(&b);
        seccomp_release(ctx);
    }
    kt_profile_free(p);
    return 0;
}
