#include "cgroup.h"

#include "../core/fsutil.h"
#include "cgfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int kt_cg_write(const char *dir, const char *file, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return kt_write_text(path, text);
}

int kt_cg_read(const char *dir, const char *file, char *buf, size_t n)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t r = kt_read_full(fd, buf, n - 1);
    close(fd);
    if (r < 0) return -1;
    buf[r] = '\0';
    return 0;
}

static int write_u64(const char *dir, const char *file, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    return kt_cg_write(dir, file, buf);
}

/* parent/tag. The tag holds our pid, so a group of that name already there
 * was left by a killed runner that had our pid: emptied, removed, made anew
 * (kt_cgroup_reclaim, which runs while our sandbox starts, leaves groups
 * named with our pid alone). */
static int make_group(const char *parent, const char *tag, char *out, size_t n)
{
    if ((size_t)snprintf(out, n, "%s/%s", parent, tag) >= n)
        return out[0] = '\0', errno = ENAMETOOLONG, -1;
    if (mkdir(out, 0755) == 0) return 0;
    if (errno == EEXIST && kt_cg_remove(out) == 0 && mkdir(out, 0755) == 0) return 0;
    out[0] = '\0';
    return -1;
}

static int limit_failed(kt_cgroup *cg, const char *dir, const char *file, kt_err *err)
{
    int e = errno;
    kt_fail_errno(err, KT_E_INTERNAL, e, "cannot write the limit %s/%s", dir, file);
    kt_cgroup_destroy(cg);
    return -1;
}

static int setup_v2(kt_cgroup *cg, const kt_cgroup_host *h, kt_sandbox *sb, const char *tag,
                    kt_err *err)
{
    if (!h->v2_parent[0]) {
        snprintf(cg->why, sizeof cg->why, "%s", h->v2_why);
        return 0;
    }
    if (make_group(h->v2_parent, tag, cg->v2, sizeof cg->v2) < 0) {
        snprintf(cg->why, sizeof cg->why, "cannot create a group in %.200s: %s", h->v2_parent,
                 strerror(errno));
        return 0;
    }
    cg->delegated = h->v2_delegated;
    kt_limit *l = sb->limits;
    if (write_u64(cg->v2, "pids.max", l[KT_LIMIT_PIDS].value) < 0)
        return limit_failed(cg, cg->v2, "pids.max", err);
    l[KT_LIMIT_PIDS].enforced_by = "cgroup2";
    if (write_u64(cg->v2, "memory.max", l[KT_LIMIT_MEMORY].value) < 0)
        return limit_failed(cg, cg->v2, "memory.max", err);
    l[KT_LIMIT_MEMORY].enforced_by = "cgroup2";
    uint64_t swap = l[KT_LIMIT_SWAP].value > l[KT_LIMIT_MEMORY].value
                        ? l[KT_LIMIT_SWAP].value - l[KT_LIMIT_MEMORY].value
                        : 0;
    /* memory.swap.max exists only where the kernel accounts swap */
    if (write_u64(cg->v2, "memory.swap.max", swap) == 0) l[KT_LIMIT_SWAP].enforced_by = "cgroup2";
    char cpu[64];
    snprintf(cpu, sizeof cpu, "%llu 100000",
             (unsigned long long)(l[KT_LIMIT_CPUS].value * 100000 / 1000));
    if (kt_cg_write(cg->v2, "cpu.max", cpu) < 0) return limit_failed(cg, cg->v2, "cpu.max", err);
    l[KT_LIMIT_CPUS].enforced_by = "cgroup2";
    cg->why[0] = '\0';
    /* Opened for clone3(CLONE_INTO_CGROUP); without it, kt_cgroup_attach
     * moves the child in as on v1. */
    cg->v2_fd = open(cg->v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return 0;
}

static int v1_group(const kt_cgroup_host *h, int i, const char *tag, char *out, size_t n)
{
    char parent[PATH_MAX];
    out[0] = '\0';
    const char *mnt = h->v1_mnt[i], *own = h->v1_own[i];
    if (!mnt[0] || !own[0]) return -1;
    if ((size_t)snprintf(parent, sizeof parent, "%s%s", mnt, strcmp(own, "/") ? own : "") >=
        sizeof parent)
        return errno = ENAMETOOLONG, -1;
    return make_group(parent, tag, out, n);
}

static int setup_v1(kt_cgroup *cg, const kt_cgroup_host *h, kt_sandbox *sb, const char *tag,
                    kt_err *err)
{
    kt_limit *l = sb->limits;
    if (!l[KT_LIMIT_PIDS].enforced_by &&
        v1_group(h, KT_CG_PIDS, tag, cg->pids, sizeof cg->pids) == 0) {
        if (write_u64(cg->pids, "pids.max", l[KT_LIMIT_PIDS].value) < 0)
            return limit_failed(cg, cg->pids, "pids.max", err);
        l[KT_LIMIT_PIDS].enforced_by = "cgroup1";
    }
    if (!l[KT_LIMIT_MEMORY].enforced_by &&
        v1_group(h, KT_CG_MEMORY, tag, cg->mem, sizeof cg->mem) == 0) {
        if (write_u64(cg->mem, "memory.limit_in_bytes", l[KT_LIMIT_MEMORY].value) < 0)
            return limit_failed(cg, cg->mem, "memory.limit_in_bytes", err);
        l[KT_LIMIT_MEMORY].enforced_by = "cgroup1";
        /* memory+swap; the file exists only with swap accounting on */
        if (write_u64(cg->mem, "memory.memsw.limit_in_bytes", l[KT_LIMIT_SWAP].value) == 0)
            l[KT_LIMIT_SWAP].enforced_by = "cgroup1";
    }
    if (!l[KT_LIMIT_CPUS].enforced_by &&
        v1_group(h, KT_CG_CPU, tag, cg->cpu, sizeof cg->cpu) == 0) {
        if (write_u64(cg->cpu, "cpu.cfs_period_us", 100000) < 0 ||
            write_u64(cg->cpu, "cpu.cfs_quota_us", l[KT_LIMIT_CPUS].value * 100000 / 1000) < 0)
            return limit_failed(cg, cg->cpu, "cpu.cfs_quota_us", err);
        l[KT_LIMIT_CPUS].enforced_by = "cgroup1";
    }
    return 0;
}

int kt_cgroup_setup(kt_cgroup *cg, const kt_cgroup_host *h, kt_sandbox *sb, const char *tag,
                    kt_err *err)
{
    memset(cg, 0, sizeof *cg);
    cg->v2_fd = -1;
    for (int i = 0; i < KT_LIMIT_N; i++) sb->limits[i].enforced_by = NULL;
    if (setup_v2(cg, h, sb, tag, err) < 0 || setup_v1(cg, h, sb, tag, err) < 0) return -1;
    /* What is left falls back to what the child can do for itself. */
    kt_limit *l = sb->limits;
    if (!l[KT_LIMIT_PIDS].enforced_by) l[KT_LIMIT_PIDS].enforced_by = "rlimit";
    if (!l[KT_LIMIT_MEMORY].enforced_by) l[KT_LIMIT_MEMORY].enforced_by = "rlimit";
    if (!l[KT_LIMIT_SWAP].enforced_by)
        l[KT_LIMIT_SWAP].enforced_by =
            strcmp(l[KT_LIMIT_MEMORY].enforced_by, "rlimit") == 0 ? "rlimit" : "none";
    if (!l[KT_LIMIT_CPUS].enforced_by) l[KT_LIMIT_CPUS].enforced_by = "affinity";
    int fell_back = 0;
    for (int i = 0; i < KT_LIMIT_N; i++)
        fell_back |= !strcmp(l[i].enforced_by, "rlimit") || !strcmp(l[i].enforced_by, "affinity");
    if (!fell_back)
        cg->why[0] = '\0';
    else if (!cg->why[0])
        snprintf(cg->why, sizeof cg->why, "no writable cgroup (uid %u)", (unsigned)geteuid());
    return 0;
}

int kt_cgroup_attach(const kt_cgroup *cg, pid_t pid, kt_err *err)
{
    if (!cg->v2[0] || cg->v2_joined) return 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    if (kt_cg_write(cg->v2, "cgroup.procs", buf) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot put the sandbox into its cgroup %s",
                             cg->v2);
    return 0;
}

int kt_cgroup_join_v1(const kt_cgroup *cg, kt_err *err)
{
    const char *groups[] = {cg->pids, cg->mem, cg->cpu};
    for (size_t i = 0; i < 3; i++)
        if (groups[i][0] && kt_cg_write(groups[i], "tasks", "0") < 0)
            return kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot join the cgroup %s", groups[i]);
    return 0;
}

/* Wait for a group to empty and remove it. Dying tasks can keep a group
 * busy for a while on a loaded machine, so this is bounded by a generous
 * deadline (30 s), not a fixed number of short tries; it returns as soon as
 * the group is gone. */
int kt_cg_remove(const char *dir)
{
    if (!dir[0]) return 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long pause_ns = 1000 * 1000;
    for (;;) {
        if (rmdir(dir) == 0 || errno == ENOENT) return 0;
        if (errno != EBUSY) return 1;
        char procs[4096];
        if (kt_cg_read(dir, "cgroup.procs", procs, sizeof procs) == 0 && procs[0] &&
            kt_cg_write(dir, "cgroup.kill", "1") < 0)
            for (char *sp, *t = strtok_r(procs, "\n", &sp); t; t = strtok_r(NULL, "\n", &sp)) {
                /* 0: a task of another PID namespace; kill(0) is our own group */
                long pid = strtol(t, NULL, 10);
                if (pid > 0) kill((pid_t)pid, SIGKILL);
            }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 30) return 1;
        struct timespec pause = {0, pause_ns};
        nanosleep(&pause, NULL);
        if (pause_ns < 100 * 1000 * 1000) pause_ns *= 2;
    }
}

int kt_cgroup_destroy(kt_cgroup *cg)
{
    if (cg->v2_fd >= 0) close(cg->v2_fd);
    cg->v2_fd = -1;
    cg->v2_joined = 0;
    int left = kt_cg_remove(cg->v2) + kt_cg_remove(cg->pids) + kt_cg_remove(cg->mem) +
               kt_cg_remove(cg->cpu);
    memset(cg->v2, 0, sizeof cg->v2);
    cg->pids[0] = cg->mem[0] = cg->cpu[0] = '\0';
    return left;
}

int kt_limits_fallback(const kt_sandbox *sb, kt_err *err)
{
    const kt_limit *l = sb->limits;
    if (strcmp(l[KT_LIMIT_PIDS].enforced_by, "rlimit") == 0) {
        struct rlimit r = {l[KT_LIMIT_PIDS].value, l[KT_LIMIT_PIDS].value};
        if (setrlimit(RLIMIT_NPROC, &r) < 0)
            return kt_fail_errno(err, KT_E_INTERNAL, errno, "setrlimit(RLIMIT_NPROC)");
    }
    if (strcmp(l[KT_LIMIT_MEMORY].enforced_by, "rlimit") == 0) {
        struct rlimit r = {l[KT_LIMIT_MEMORY].value, l[KT_LIMIT_MEMORY].value};
        if (setrlimit(RLIMIT_AS, &r) < 0)
            return kt_fail_errno(err, KT_E_INTERNAL, errno, "setrlimit(RLIMIT_AS)");
    }
    if (strcmp(l[KT_LIMIT_CPUS].enforced_by, "affinity") == 0) {
        /* Keep as many of the allowed CPUs as the limit rounds up to. */
        cpu_set_t have, keep;
        if (sched_getaffinity(0, sizeof have, &have) < 0)
            return kt_fail_errno(err, KT_E_INTERNAL, errno, "sched_getaffinity");
        CPU_ZERO(&keep);
        uint64_t want = (l[KT_LIMIT_CPUS].value + 999) / 1000, got = 0;
        for (int c = 0; c < CPU_SETSIZE && got < want; c++)
            if (CPU_ISSET(c, &have)) CPU_SET(c, &keep), got++;
        if (sched_setaffinity(0, sizeof keep, &keep) < 0)
            return kt_fail_errno(err, KT_E_INTERNAL, errno, "sched_setaffinity");
    }
    return 0;
}
