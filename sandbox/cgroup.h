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

enum { KT_CG_PIDS, KT_CG_MEMORY, KT_CG_CPU, KT_CG_V1_N };

/* The leaf a populated v2 group's processes are moved into, so that the
 * group may hand controllers to the sandbox's groups beside it. */
#define KT_CG_LEAF "kiemthu-leaf"

/* What this host offers, read once per run (one pass over
 * /proc/self/mountinfo and /proc/self/cgroup): the hierarchies' mount
 * points, our own group in each, and where a v2 group can go. */
typedef struct kt_cgroup_host {
    char v2_mnt[PATH_MAX], v2_own[PATH_MAX]; /* "" if none */
    char v2_parent[PATH_MAX];                /* where v2 groups go; "" if nowhere */
    int v2_delegated;                        /* v2_parent was delegated to us (not root) */
    char v2_why[320];                        /* why no v2 group can be made */
    char v2_leaf[PATH_MAX];            /* where the processes of v2_parent were moved ("" if not) */
    int v2_moved;                      /* how many were moved there */
    char v1_mnt[KT_CG_V1_N][PATH_MAX]; /* pids, memory, cpu; "" if not mounted */
    char v1_own[KT_CG_V1_N][PATH_MAX];
} kt_cgroup_host;

typedef struct kt_cgroup {
    char v2[PATH_MAX];                                 /* cgroup v2 group, "" if none */
    char pids[PATH_MAX], mem[PATH_MAX], cpu[PATH_MAX]; /* cgroup v1 groups */
    int delegated; /* v2 group made in a subtree delegated to the (unprivileged) caller */
    char why[320]; /* why a limit fell back to rlimit/affinity ("" if none did) */
    int v2_fd;     /* the v2 group's directory, for clone3(CLONE_INTO_CGROUP); -1 if none */
    int v2_joined; /* the sandbox was cloned straight into the v2 group */
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

/* Read what the host offers (above). Cannot fail: what the host lacks is
 * data, not an error (v2_why says why no v2 group can be made and the
 * limits fall back, recorded per limit). Also enables the v2 controllers for
 * the children of the group chosen as v2_parent, moving the processes it
 * holds into its leaf KT_CG_LEAF first where v2 requires that (v2_moved). */
void kt_cgroup_host_probe(kt_cgroup_host *h);

/* Create the groups and write the limits, filling sb->limits[].enforced_by;
 * cg->v2_fd is the v2 group opened for clone3's CLONE_INTO_CGROUP. What no
 * cgroup can enforce is left to kt_limits_fallback() in the child, and
 * cg->why says why. -1 (err filled, nothing left behind) when a group was
 * made but a limit could not be written into it: never half a limit. */
int kt_cgroup_setup(kt_cgroup *cg, const kt_cgroup_host *h, kt_sandbox *sb, const char *tag,
                    kt_err *err);
/* Runner: put pid into the v2 group, unless it was cloned into it (where
 * clone3 or CLONE_INTO_CGROUP is refused). That migration waits for an RCU
 * grace period (milliseconds): the child sets itself up meanwhile and waits
 * for the result before its exec. */
int kt_cgroup_attach(const kt_cgroup *cg, pid_t pid, kt_err *err);
/* Child, single-threaded and still privileged: move itself into every v1
 * group by writing 0 into its "tasks" file. The kernel moves one thread
 * that is the caller without the global lock that moving a process by pid
 * takes (and whose RCU grace period made cgroup.procs writes take 5-15 ms
 * here); for a single-threaded process that is the whole process, and
 * every process it starts is born in the groups. */
int kt_cgroup_join_v1(const kt_cgroup *cg, kt_err *err);
/* After the payload exited, before kt_cgroup_destroy: which limits it hit.
 * Cannot fail: a counter that cannot be read is recorded as hit -1 with a
 * note, which the record shows. */
void kt_cgroup_read_report(const kt_cgroup *cg, const kt_sandbox *sb, kt_cgroup_report *out);
/* Kill whatever is left in the groups, wait for them to empty, remove them.
 * Returns the number of groups that could not be removed. */
int kt_cgroup_destroy(kt_cgroup *cg);

/* Groups left behind by runners that were killed (SIGKILL cannot be caught):
 * every kiemthu-PID-N group, v1 and v2, whose PID is no longer a running
 * kiemthu-sandbox, is emptied and removed. Groups named with our own pid
 * are left alone (a killed namesake's are replaced when ours are made), so
 * this may run while our sandbox starts. Returns how many could not be. */
int kt_cgroup_reclaim(const kt_cgroup_host *h);

/* In the child: rlimits / affinity for limits no cgroup enforces. -1 with
 * err filled and errno preserved when the kernel refuses one. */
int kt_limits_fallback(const kt_sandbox *sb, kt_err *err);

#endif
