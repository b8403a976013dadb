/* profile.h - Docker-format seccomp profiles (moby/profiles, runtime-spec
 * LinuxSeccomp) parsed, validated and compiled to a libseccomp filter.
 *
 * Parsing validates the whole profile before anything runs: unknown keys,
 * actions, ops, flags or architectures, both "architectures" and "archMap",
 * a missing "defaultAction" are errors naming the file and the JSON path.
 * Compiling follows runc: rules gated by includes/excludes (caps, arches,
 * minKernel) are kept or dropped for this sandbox; several conditions on one
 * argument index become one rule per condition (OR); names the kernel does
 * not know are ignored and reported. */
#ifndef KT_PROFILE_H
#define KT_PROFILE_H

#include "../core/err.h"
#include "../core/sha256.h"

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_profile kt_profile;

/* What a rule's includes/excludes are evaluated against. */
typedef struct kt_profile_env {
    const char *const *caps; /* the sandbox's bounding set; empty after cap-drop ALL */
    size_t ncaps;
    unsigned kernel_major, kernel_minor;
} kt_profile_env;

/* A syscall the compiled filter does not allow, and what it does instead. */
typedef struct kt_denied {
    char name[40];
    uint32_t action; /* SCMP_ACT_* value */
    int has_args;    /* denied only for some argument values */
} kt_denied;

int kt_profile_load(const char *path, kt_profile **out, kt_err *err);
int kt_profile_parse(const char *bytes, size_t n, const char *name, kt_profile **out, kt_err *err);
void kt_profile_free(kt_profile *p);

/* sha256 of the exact file bytes, lowercase hex. */
const char *kt_profile_sha256(const kt_profile *p);

/* Build the filter. Names that do not resolve on this kernel are appended to
 * the profile's ignored list (kt_profile_ignored). */
int kt_profile_compile(kt_profile *p, const kt_profile_env *env, scmp_filter_ctx *out, kt_err *err);

/* exec-once: compile execve/execveat denials as SCMP_ACT_NOTIFY instead, so
 * the runner can let exactly the payload's own exec through and deny every
 * later one with the errno the profile gives. After compiling, *errno_out is
 * that errno, or 0 if the profile does not deny exec (nothing to notify). */
int kt_profile_compile_exec_once(kt_profile *p, const kt_profile_env *env, scmp_filter_ctx *out,
                                 int *errno_out, kt_err *err);
size_t kt_profile_ignored(const kt_profile *p, const char *const **names);

/* After compile: the unconditional default action and the syscalls whose
 * rule action differs from ALLOW (for attestation by kiemthu-probe). */
uint32_t kt_profile_default_action(const kt_profile *p);
size_t kt_profile_denied(const kt_profile *p, const kt_denied **out);

/* A compiled filter as the kernel takes it: exported from libseccomp in the
 * parent, so the child installs it with one seccomp(2) call and no
 * allocation (the payload's rlimits are already in force by then). */
typedef struct kt_bpf {
    void *insns; /* struct sock_filter[] */
    unsigned short len;
    unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
} kt_bpf;

int kt_profile_export(scmp_filter_ctx ctx, kt_bpf *out, kt_err *err);
void kt_bpf_free(kt_bpf *b);

/* The running kernel's version and this sandbox's (empty) capability set. */
void kt_profile_env_host(kt_profile_env *env);

/* Action value for a Docker action name and errno; -1 if unknown. */
int kt_profile_action(const char *name, int errno_ret, uint32_t *out);

#endif
