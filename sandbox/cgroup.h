/* cgroup.h - pids / memory / CPU limits: cgroup v2 where its controllers are
 * usable (e.g. GitHub-hosted runners), cgroup v1 where that is the host's
 * layout, rlimits and CPU affinity otherwise. Every limit records which
 * mechanism actually enforces it; groups are removed after every run. */
#ifndef KT_CGROUP_H
#define KT_CGROUP_H

#include "sandbox.h"

#include <limits.h>
#include <sys/types.h>

typedef struct kt_cgroup {
    char v2[PATH_MAX];                                 /* cgroup v2 group, "" if none */
    char pids[PATH_MAX], mem[PATH_MAX], cpu[PATH_MAX]; /* cgroup v1 groups */
} kt_cgroup;

/* Create the groups and write the limits, filling sb->limits[].enforced_by.
 * What no cgroup can enforce is left to kt_limits_fallback() in the child. */
void kt_cgroup_setup(kt_cgroup *cg, kt_sandbox *sb, const char *tag);
/* Put pid into every group; -1 with errno on failure. */
int kt_cgroup_attach(const kt_cgroup *cg, pid_t pid);
/* 1 if the memory controller recorded an OOM kill. */
int kt_cgroup_oom_killed(const kt_cgroup *cg);
/* Kill whatever is left in the groups, wait for them to empty, remove them.
 * Returns the number of groups that could not be removed. */
int kt_cgroup_destroy(kt_cgroup *cg);

/* In the child: rlimits / affinity for limits no cgroup enforces. */
int kt_limits_fallback(const kt_sandbox *sb);

#endif
