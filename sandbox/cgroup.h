/* cgroup.h - pids / memory / CPU limits: cgroup v2 where its controllers are
 * usable (e.g. GitHub-hosted runners, or a subtree delegated to an
 * unprivileged caller), cgroup v1 where that is the host's layout, rlimits
 * and CPU affinity otherwise. Every limit records which mechanism actually
 * enforces it and, after the run, whether the payload hit it; groups are
 * removed after every run. */
#ifndef KT_CGROUP_H
#define KT_CGROUP_H

#include "../core/err.h"
#include "sandbox.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct kt_cgroup {
    char v2[PATH_MAX];                                 /* cgroup v2 group, "" if none */
    char pids[PATH_MAX], mem[PATH_MAX], cpu[PATH_MAX]; /* cgroup v1 groups */
    int delegated; /* v2 group made in a subtree delegated to the (unprivileged) caller */
    char why[320]; /* why a limit fell back to rlimit/affinity ("" if none did) */
} kt_cgroup;

#define KT_HIT_EVENTS 8

/* Whether the payload reached one limit, with the kernel's raw counters. */
typedef struct kt_limit_hit {
    int hit;          /* 1 reached, 0 not reached, -1 cannot know (rlimit / affinity / none) */
    const char *note; /* with -1: why it cannot be known */
    size_t nev;
    struct {
        const char *name; /* e.g. "pids.events:max", "cpu.stat:nr_throttled" */
        uint64_t value;
    } ev[KT_HIT_EVENTS];
} kt_limit_hit;

typedef struct kt_cgroup_report {
    int version;   /* 2, 1, or 0 when no cgroup enforces any limit */
    int delegated; /* see kt_cgroup */
    int oom_killed;
    kt_limit_hit hits[KT_LIMIT_N];
} kt_cgroup_report;

/* Create the groups and write the limits, filling sb->limits[].enforced_by.
 * What no cgroup can enforce is left to kt_limits_fallback() in the child,
 * and cg->why says why. -1 (err filled, nothing left behind) when a group
 * was made but a limit could not be written into it: never half a limit. */
int kt_cgroup_setup(kt_cgroup *cg, kt_sandbox *sb, const char *tag, kt_err *err);
/* Put pid into every group. */
int kt_cgroup_attach(const kt_cgroup *cg, pid_t pid, kt_err *err);
/* After the payload exited, before kt_cgroup_destroy: which limits it hit. */
void kt_cgroup_read_report(const kt_cgroup *cg, const kt_sandbox *sb, kt_cgroup_report *out);
/* Kill whatever is left in the groups, wait for them to empty, remove them.
 * Returns the number of groups that could not be removed. */
int kt_cgroup_destroy(kt_cgroup *cg);

/* Groups left behind by runners that were killed (SIGKILL cannot be caught):
 * every kiemthu-PID-N group, v1 and v2, whose PID is no longer a running
 * kiemthu-sandbox, is emptied and removed. Returns how many could not be. */
int kt_cgroup_reclaim(void);

/* In the child: rlimits / affinity for limits no cgroup enforces. */
int kt_limits_fallback(const kt_sandbox *sb);

#endif
