#include "rulesel.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

static int listed(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], s) == 0) return 1;
    return 0;
}

int kt_rulesel_applies(const kt_rulesel_filter *inc, const kt_rulesel_filter *exc,
                       const kt_rulesel_env *env)
{
    if (exc) {
        for (size_t i = 0; i < exc->ncaps; i++)
            if (listed(env->caps, env->ncaps, exc->caps[i])) return 0;
        if (listed(exc->arches, exc->narches, env->arch)) return 0;
    }
    if (inc) {
        for (size_t i = 0; i < inc->ncaps; i++)
            if (!listed(env->caps, env->ncaps, inc->caps[i])) return 0;
        if (inc->narches && !listed(inc->arches, inc->narches, env->arch)) return 0;
        unsigned a = 0, b = 0;
        if (inc->min_kernel && sscanf(inc->min_kernel, "%u.%u", &a, &b) == 2 &&
            (env->kernel_major < a || (env->kernel_major == a && env->kernel_minor < b)))
            return 0;
    }
    return 1;
}

void kt_rulesel_env_host(kt_rulesel_env *env)
{
    memset(env, 0, sizeof *env);
#if defined(__x86_64__)
    env->arch = "amd64";
#elif defined(__aarch64__)
    env->arch = "arm64";
#elif defined(__i386__)
    env->arch = "386";
#elif defined(__arm__)
    env->arch = "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    env->arch = "ppc64le";
#elif defined(__s390x__)
    env->arch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    env->arch = "riscv64";
#else
    env->arch = "unknown";
#endif
    struct utsname u;
    if (uname(&u) == 0) sscanf(u.release, "%u.%u", &env->kernel_major, &env->kernel_minor);
}
