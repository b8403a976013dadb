/* spawn.h - run the payload once in a fresh sandbox and supervise it:
 * start (pipes, cgroups, clone, id maps), supervise (capture, exec-once,
 * timeout, the runner's stop signals), collect (how it ended, cgroups gone).
 * Every failure path ends the sandbox the same way: SIGKILL to its PID 1
 * (which takes the whole PID namespace with it), reap, remove the cgroups. */
#ifndef KT_SPAWN_H
#define KT_SPAWN_H

#include "../core/err.h"
#include "cgroup.h"
#include "child.h"
#include "sandbox.h"
#include "timings.h"

#include <stdint.h>

typedef struct kt_run {
    int started;    /* the payload's execve succeeded */
    int exec_errno; /* why it did not start */
    int exit_code;  /* -1 when killed by a signal or not started */
    int signal;     /* terminating signal, 0 if none */
    int timed_out, oom_killed;
    int interrupted;   /* the runner got this stop signal (SIGINT/TERM/HUP) and ended the run */
    uint64_t start_ms; /* CLOCK_MONOTONIC when the sandbox was created */
    uint64_t duration_ms;
    uint64_t bytes[2];       /* stdout, stderr as the payload wrote them */
    uint64_t stored[2];      /* what was kept (at most the cap) */
    int store_errno[2];      /* storing stopped at a failed write (ENOSPC...); 0 if it did not */
    int store_removed[2];    /* what was stored was removed to make room for run.json */
    int cgroups_left;        /* groups that could not be removed */
    kt_cgroup_report cgroup; /* cgroup version, delegation, which limits were hit */
    char cgroup_why[320];    /* why a limit fell back to rlimit/affinity ("" if none did) */
    uint64_t cgroup_us;      /* time spent creating, attaching and removing cgroups */
    uint64_t total_us;       /* from before the cgroups are made to after they are removed */
    kt_timings t;            /* this attempt's phases (--timings) */
    int exec_once;           /* exec-once was in effect */
    int first_exec_allowed;
    uint64_t execs_denied; /* later execs answered with the profile's errno */
    int baseline_first;    /* the baseline was installed before the profile (spawn.c) */
    int filters_in;        /* the child got to installing the filters (it said READY first) */
    int died_at_exec;      /* not started: it died before its execve completed (child.h) */
} kt_run;

typedef struct kt_spawn_io {
    int out_fd, err_fd; /* where stdout and stderr are stored (capped) */
    int sigfd;          /* signalfd of the runner's stop signals, or -1 */
    int out_mfd;        /* set by kt_spawn: /out's tmpfs (mount fd) handed over by the
                           sandbox, for the caller to copy and close; -1 if none */
    struct kt_tee *tee; /* --tee: what is stored is also shown (tee.h); NULL: not */
    /* The caller's work while the child sets itself up (after the clone,
     * before the child may exec), e.g. compiling the profile: it may set
     * f->profile and sb->exec_once_errno, and must set out_fd and err_fd
     * if they are still -1 (the ladder makes the attempt's capture files
     * here). -1 (err filled) ends the sandbox before anything of the payload
     * ran. NULL: nothing to do. */
    int (*meanwhile)(void *ctx, kt_child_filters *f, kt_sandbox *sb, kt_err *err);
    void *meanwhile_ctx;
} kt_spawn_io;

/* Run sb->argv under the filters (installed as the last step before execve).
 * Returns 0 whenever the sandbox was built (whatever the payload did,
 * including not starting, or the runner being interrupted: run says which),
 * -1 when the runner itself failed; err then says at which step. */
int kt_spawn(kt_sandbox *sb, const kt_child_filters *f, kt_spawn_io *io, const char *tag,
             kt_run *run, kt_err *err);

#endif
