/* spawn.h - run the payload once in a fresh sandbox and supervise it. */
#ifndef KT_SPAWN_H
#define KT_SPAWN_H

#include "../core/err.h"
#include "cgroup.h"
#include "outdir.h"
#include "profile.h"
#include "sandbox.h"

#include <stdint.h>

typedef struct kt_run {
    int started;    /* the payload's execve succeeded */
    int exec_errno; /* why it did not start */
    int exit_code;  /* -1 when killed by a signal or not started */
    int signal;     /* terminating signal, 0 if none */
    int timed_out, oom_killed;
    uint64_t duration_ms;
    uint64_t bytes[2];       /* stdout, stderr as the payload wrote them */
    uint64_t stored[2];      /* what was kept (at most the cap) */
    int cgroups_left;        /* groups that could not be removed */
    kt_cgroup_report cgroup; /* cgroup version, delegation, which limits were hit */
    char cgroup_why[320];    /* why a limit fell back to rlimit/affinity ("" if none did) */
    uint64_t cgroup_us;      /* time spent creating, attaching and removing cgroups */
    uint64_t total_us;       /* from before the cgroups are made to after they are removed */
    int exec_once;           /* exec-once was in effect */
    int first_exec_allowed;
    uint64_t execs_denied; /* later execs answered with the profile's errno */
    int out_capped;        /* /out was the size-capped tmpfs, copied out */
    int out_errno;         /* why it was not (0 if it was, or no /out) */
    kt_outcopy outcopy;
} kt_run;

/* Run sb->argv under filter (installed as the last step before execve),
 * with stdout and stderr captured into out_fd / err_fd. Returns 0 whenever
 * the sandbox was built (whatever the payload did, including not starting),
 * -1 when the runner itself failed; err then says at which step. */
int kt_spawn(kt_sandbox *sb, const kt_bpf *filter, int out_fd, int err_fd, const char *tag,
             kt_run *run, kt_err *err);

#endif
