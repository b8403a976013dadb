/* rulesel.h - which rules of a Docker-format seccomp profile apply to this
 * sandbox, as moby/runc decide it: a rule is excluded if the sandbox holds any
 * of its excludes.caps or runs on one of its excludes.arches; it is included
 * only if the sandbox holds every includes.caps, runs on one of its
 * includes.arches (when listed) and the kernel is at least its minKernel.
 *
 * Dependency-free (libc only): kiemthu-sandbox calls it with what cJSON
 * parsed, the static kiemthu-probe with what its own reader parsed, so both
 * select exactly the same rules. */
#ifndef KT_RULESEL_H
#define KT_RULESEL_H

#include <stddef.h>

#define KT_RULESEL_MAX 64 /* caps or arches listed in one includes/excludes */

/* One includes or excludes object; absent lists have n == 0. */
typedef struct kt_rulesel_filter {
    const char *caps[KT_RULESEL_MAX];
    size_t ncaps;
    const char *arches[KT_RULESEL_MAX];
    size_t narches;
    const char *min_kernel; /* "major.minor" or NULL */
} kt_rulesel_filter;

/* What the rules are evaluated against. */
typedef struct kt_rulesel_env {
    const char *const *caps; /* capabilities the payload holds: none after cap-drop ALL */
    size_t ncaps;
    const char *arch; /* Go's name of the native architecture ("amd64", "arm64", ...) */
    unsigned kernel_major, kernel_minor;
} kt_rulesel_env;

/* 1 if the rule applies. inc and exc may be NULL (absent). */
int kt_rulesel_applies(const kt_rulesel_filter *inc, const kt_rulesel_filter *exc,
                       const kt_rulesel_env *env);

/* The running kernel's version, this build's native architecture in Go's
 * naming (as moby compares it), and no capabilities. */
void kt_rulesel_env_host(kt_rulesel_env *env);

#endif
