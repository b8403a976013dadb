/* filter.h - a parsed profile compiled for this sandbox: the BPF program the
 * child installs, and what the record and kiemthu-probe need to know about it.
 *
 * Compiling follows runc: rules gated by includes/excludes (rulesel.h) are
 * kept or dropped for this sandbox; several conditions on one argument index
 * become one rule per condition (OR); names the kernel does not know are
 * ignored and reported. The profile is not changed: everything the compile
 * learns is in the kt_filter it returns, which the caller owns. */
#ifndef KT_FILTER_H
#define KT_FILTER_H

#include "../core/err.h"
#include "profile.h"
#include "rulesel.h"

#include <stddef.h>
#include <stdint.h>

/* A compiled filter as the kernel takes it, exported from libseccomp before
 * the fork so the child installs it with one seccomp(2) call and no
 * allocation (the payload's rlimits are already in force by then). */
typedef struct kt_bpf {
    void *insns; /* struct sock_filter[] */
    unsigned short len;
    unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
} kt_bpf;

/* A syscall the compiled filter does not allow, and what it does instead. */
typedef struct kt_denied {
    char name[40];
    uint32_t action; /* SCMP_ACT_* value */
    int has_args;    /* denied only for some argument values */
} kt_denied;

typedef struct kt_filter_opts {
    /* exec-once: compile execve/execveat denials as SCMP_ACT_NOTIFY, so the
     * runner can let exactly the payload's own exec through and deny every
     * later one with the errno the profile gives. */
    int exec_once;
    /* How libseccomp lays the filter out: 0 as kt_filter_compile chooses
     * (a binary tree for small profiles, filter.c), 1 a list, 2 a tree.
     * The decisions are the same; tests compare them. */
    int layout;
} kt_filter_opts;

typedef struct kt_filter {
    kt_bpf bpf;
    uint32_t default_action;
    kt_denied *denied; /* rules whose action is not ALLOW/LOG */
    size_t ndenied;
    char **ignored; /* names this kernel does not know */
    size_t nignored;
    /* exec-once only: the errno later execs get; 0 if the profile allows exec
     * (nothing to notify, the listener is not requested). */
    int exec_errno;
    /* Points at which the BPF was run and found to answer as its rules say
     * (filtercheck.h): a filter that does not is a compile error. */
    size_t checked_points;
    /* libseccomp's first layout of the rules (list or tree) failed the check
     * and the other one passed: this is the other one. */
    int relaid;
} kt_filter;

/* What run.json records of a compiled filter: the libseccomp that compiled
 * it ("2.5.4") and the sha256 (hex) of its program. */
void kt_filter_libseccomp(char *out, size_t n);
void kt_filter_bpf_sha256(const kt_bpf *b, char hex[65]);

int kt_filter_compile(const kt_profile *p, const kt_rulesel_env *env, const kt_filter_opts *opts,
                      kt_filter *out, kt_err *err);
void kt_filter_free(kt_filter *f);

/* 1 if the filter lets this process install another filter with these
 * SECCOMP_FILTER_FLAG_* flags: seccomp(SECCOMP_SET_MODE_FILTER, flags, ...)
 * on the native architecture returns ALLOW or LOG (bpfeval.h), decided by
 * the syscall number, architecture, operation and flags alone. 0 if it does
 * not, if the program reads anything else on that path (the program's
 * address, args[3..5], the instruction pointer), or cannot be evaluated. */
int kt_filter_lets_seccomp(const kt_bpf *b, unsigned int flags);

/* 1 if the filter denies execve whatever its arguments: then a payload that
 * did not start under it says nothing about the program itself. */
int kt_filter_denies_exec(const kt_filter *f);

#endif
