/* pids / memory / swap / CPU limits, as the cgroups the runner showed us say
 * (read-only at /sys/fs/cgroup), else as the rlimits and affinity say. */
#include "probe.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int read_u64(const char *path, unsigned long long *out)
{
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    char buf[64];
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    if (!strncmp(buf, "max", 3)) {
        *out = ~0ULL;
        return 0;
    }
    char *end;
    *out = strtoull(buf, &end, 10);
    return end == buf ? -1 : 0;
}

static void limit(probe_ctx *c, const char *id, unsigned long long want, int found,
                  unsigned long long got, const char *how, const char *unit)
{
    char expect[96];
    snprintf(expect, sizeof expect, "<= %llu %s", want, unit);
    if (!found)
        probe_add(c, id, expect, 0, "not visible (no cgroup and no rlimit)");
    else
        probe_add(c, id, expect, got <= want, "%llu %s (%s)", got, unit, how);
}

void probes_limits(probe_ctx *c)
{
    const probe_cfg *cfg = c->cfg;
    unsigned long long v, q, p;
    struct rlimit rl;
    /* pids */
    if (read_u64("/sys/fs/cgroup/pids/pids.max", &v) == 0)
        limit(c, "limit-pids", cfg->pids, 1, v, "cgroup1 pids.max", "tasks");
    else if (read_u64("/sys/fs/cgroup/pids.max", &v) == 0)
        limit(c, "limit-pids", cfg->pids, 1, v, "cgroup2 pids.max", "tasks");
    else {
        int got = getrlimit(RLIMIT_NPROC, &rl) == 0;
        limit(c, "limit-pids", cfg->pids, got, rl.rlim_cur, "RLIMIT_NPROC", "tasks");
    }
    /* memory and memory+swap */
    if (read_u64("/sys/fs/cgroup/memory/memory.limit_in_bytes", &v) == 0) {
        limit(c, "limit-memory", cfg->memory, 1, v, "cgroup1 memory.limit_in_bytes", "bytes");
        int sw = read_u64("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", &q) == 0;
        limit(c, "limit-memory-swap", cfg->swap, sw, q, "cgroup1 memory.memsw.limit_in_bytes",
              "bytes");
    } else if (read_u64("/sys/fs/cgroup/memory.max", &v) == 0) {
        limit(c, "limit-memory", cfg->memory, 1, v, "cgroup2 memory.max", "bytes");
        int sw = read_u64("/sys/fs/cgroup/memory.swap.max", &q) == 0;
        limit(c, "limit-memory-swap", cfg->swap, sw, sw && q != ~0ULL ? v + q : ~0ULL,
              "cgroup2 memory.max + memory.swap.max", "bytes");
    } else {
        int got = getrlimit(RLIMIT_AS, &rl) == 0;
        limit(c, "limit-memory", cfg->memory, got, rl.rlim_cur, "RLIMIT_AS", "bytes");
        limit(c, "limit-memory-swap", cfg->swap, got, rl.rlim_cur,
              "RLIMIT_AS (address space, swap included)", "bytes");
    }
    /* CPU, in millicpus */
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "re");
    char buf[64];
    if (read_u64("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", &q) == 0 &&
        read_u64("/sys/fs/cgroup/cpu/cpu.cfs_period_us", &p) == 0 && p) {
        limit(c, "limit-cpus", cfg->millicpus, q != ~0ULL && (long long)q > 0, q * 1000 / p,
              "cgroup1 cpu.cfs_quota_us / cpu.cfs_period_us", "millicpus");
    } else if (f && fgets(buf, sizeof buf, f) && sscanf(buf, "%llu %llu", &q, &p) == 2 && p) {
        limit(c, "limit-cpus", cfg->millicpus, 1, q * 1000 / p, "cgroup2 cpu.max", "millicpus");
    } else {
        cpu_set_t set;
        int got = sched_getaffinity(0, sizeof set, &set) == 0;
        limit(c, "limit-cpus", cfg->millicpus, got,
              got ? (unsigned long long)CPU_COUNT(&set) * 1000 : 0, "CPU affinity", "millicpus");
    }
    if (f) fclose(f);
}
