#include "cgroup.h"

#include "../core/fsutil.h"

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

static int write_str(const char *dir, const char *file, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return kt_write_text(path, text);
}

static int write_u64(const char *dir, const char *file, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    return write_str(dir, file, buf);
}

static int read_small(const char *dir, const char *file, char *buf, size_t n)
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

/* Mount point of a cgroup hierarchy: fstype "cgroup2", or "cgroup" whose
 * super options name the controller. */
static int find_mount(const char *fstype, const char *controller, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return -1;
    char line[4096];
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        char mnt[PATH_MAX], type[64], super[1024];
        char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
            sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2)
            continue;
        if (strcmp(type, fstype) != 0) continue;
        if (controller) {
            int hit = 0;
            for (char *tok = strtok(super, ","); tok; tok = strtok(NULL, ","))
                hit |= strcmp(tok, controller) == 0;
            if (!hit) continue;
        }
        snprintf(out, n, "%s", mnt);
        found = 0;
    }
    fclose(f);
    return found;
}

/* Our own group in a hierarchy, from /proc/self/cgroup ("" controller = v2). */
static int own_path(const char *controller, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return -1;
    char line[4096];
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        int hit = 0;
        if (!*controller) {
            hit = !*ctrls && strncmp(line, "0", 1) == 0;
        } else {
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s", ctrls);
            for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ","))
                hit |= strcmp(tok, controller) == 0;
        }
        if (hit) {
            snprintf(out, n, "%s", path);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static int make_group(const char *mnt, const char *own, const char *tag, char *out, size_t n)
{
    if ((size_t)snprintf(out, n, "%s%s/%s", mnt, strcmp(own, "/") == 0 ? "" : own, tag) >= n)
        return -1;
    if (mkdir(out, 0755) < 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p += n)
        if ((p == text || p[-1] == ' ' || p[-1] == '+') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
            return 1;
    return 0;
}

static void setup_v2(kt_cgroup *cg, kt_sandbox *sb, const char *tag)
{
    char mnt[PATH_MAX], ctrls[512];
    if (find_mount("cgroup2", NULL, mnt, sizeof mnt) < 0) return;
    if (read_small(mnt, "cgroup.controllers", ctrls, sizeof ctrls) < 0) return;
    if (!has_word(ctrls, "pids") || !has_word(ctrls, "memory") || !has_word(ctrls, "cpu")) return;
    /* A child of the hierarchy's root: the root is exempt from the "no
     * processes in inner groups" rule, so its subtree_control can enable
     * the controllers for us. */
    char sub[512];
    if (read_small(mnt, "cgroup.subtree_control", sub, sizeof sub) < 0) return;
    if (!has_word(sub, "pids") || !has_word(sub, "memory") || !has_word(sub, "cpu"))
        if (write_str(mnt, "cgroup.subtree_control", "+pids +memory +cpu") < 0) return;
    if (make_group(mnt, "/", tag, cg->v2, sizeof cg->v2) < 0) return;
    kt_limit *l = sb->limits;
    if (write_u64(cg->v2, "pids.max", l[KT_LIMIT_PIDS].value) == 0)
        l[KT_LIMIT_PIDS].enforced_by = "cgroup2";
    if (write_u64(cg->v2, "memory.max", l[KT_LIMIT_MEMORY].value) == 0)
        l[KT_LIMIT_MEMORY].enforced_by = "cgroup2";
    uint64_t swap = l[KT_LIMIT_SWAP].value > l[KT_LIMIT_MEMORY].value
                        ? l[KT_LIMIT_SWAP].value - l[KT_LIMIT_MEMORY].value
                        : 0;
    if (write_u64(cg->v2, "memory.swap.max", swap) == 0) l[KT_LIMIT_SWAP].enforced_by = "cgroup2";
    char cpu[64];
    snprintf(cpu, sizeof cpu, "%llu 100000",
             (unsigned long long)(l[KT_LIMIT_CPUS].value * 100000 / 1000));
    if (write_str(cg->v2, "cpu.max", cpu) == 0) l[KT_LIMIT_CPUS].enforced_by = "cgroup2";
}

static int v1_group(const char *controller, const char *tag, char *out, size_t n)
{
    char mnt[PATH_MAX], own[PATH_MAX];
    out[0] = '\0';
    if (find_mount("cgroup", controller, mnt, sizeof mnt) < 0) return -1;
    if (own_path(controller, own, sizeof own) < 0) return -1;
    return make_group(mnt, own, tag, out, n);
}

static void setup_v1(kt_cgroup *cg, kt_sandbox *sb, const char *tag)
{
    kt_limit *l = sb->limits;
    if (!l[KT_LIMIT_PIDS].enforced_by && v1_group("pids", tag, cg->pids, sizeof cg->pids) == 0 &&
        write_u64(cg->pids, "pids.max", l[KT_LIMIT_PIDS].value) == 0)
        l[KT_LIMIT_PIDS].enforced_by = "cgroup1";
    if (!l[KT_LIMIT_MEMORY].enforced_by && v1_group("memory", tag, cg->mem, sizeof cg->mem) == 0 &&
        write_u64(cg->mem, "memory.limit_in_bytes", l[KT_LIMIT_MEMORY].value) == 0) {
        l[KT_LIMIT_MEMORY].enforced_by = "cgroup1";
        /* memory+swap; the file exists only with swap accounting on */
        if (write_u64(cg->mem, "memory.memsw.limit_in_bytes", l[KT_LIMIT_SWAP].value) == 0)
            l[KT_LIMIT_SWAP].enforced_by = "cgroup1";
    }
    if (!l[KT_LIMIT_CPUS].enforced_by && v1_group("cpu", tag, cg->cpu, sizeof cg->cpu) == 0 &&
        write_u64(cg->cpu, "cpu.cfs_period_us", 100000) == 0 &&
        write_u64(cg->cpu, "cpu.cfs_quota_us", l[KT_LIMIT_CPUS].value * 100000 / 1000) == 0)
        l[KT_LIMIT_CPUS].enforced_by = "cgroup1";
}

void kt_cgroup_setup(kt_cgroup *cg, kt_sandbox *sb, const char *tag)
{
    memset(cg, 0, sizeof *cg);
    for (int i = 0; i < KT_LIMIT_N; i++) sb->limits[i].enforced_by = NULL;
    setup_v2(cg, sb, tag);
    setup_v1(cg, sb, tag);
    /* What is left falls back to what the child can do for itself. */
    kt_limit *l = sb->limits;
    if (!l[KT_LIMIT_PIDS].enforced_by) l[KT_LIMIT_PIDS].enforced_by = "rlimit";
    if (!l[KT_LIMIT_MEMORY].enforced_by) l[KT_LIMIT_MEMORY].enforced_by = "rlimit";
    if (!l[KT_LIMIT_SWAP].enforced_by)
        l[KT_LIMIT_SWAP].enforced_by =
            strcmp(l[KT_LIMIT_MEMORY].enforced_by, "rlimit") == 0 ? "rlimit" : "none";
    if (!l[KT_LIMIT_CPUS].enforced_by) l[KT_LIMIT_CPUS].enforced_by = "affinity";
}

int kt_cgroup_attach(const kt_cgroup *cg, pid_t pid)
{
    const char *groups[] = {cg->v2, cg->pids, cg->mem, cg->cpu};
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    for (size_t i = 0; i < 4; i++)
        if (groups[i][0] && write_str(groups[i], "cgroup.procs", buf) < 0) return -1;
    return 0;
}

static long counter(const char *dir, const char *file, const char *key)
{
    char buf[2048];
    if (!dir[0] || read_small(dir, file, buf, sizeof buf) < 0) return -1;
    size_t n = strlen(key);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, key, n) == 0 && line[n] == ' ') return atol(line + n + 1);
    return -1;
}

int kt_cgroup_oom_killed(const kt_cgroup *cg)
{
    return counter(cg->v2, "memory.events", "oom_kill") > 0 ||
           counter(cg->mem, "memory.oom_control", "oom_kill") > 0;
}

static int empty_and_remove(const char *dir)
{
    if (!dir[0]) return 0;
    struct timespec pause = {0, 2 * 1000 * 1000};
    for (int tries = 0; tries < 1000; tries++) { /* up to ~2 s */
        char procs[4096];
        if (read_small(dir, "cgroup.procs", procs, sizeof procs) < 0) break;
        if (!procs[0]) break;
        if (write_str(dir, "cgroup.kill", "1") < 0)
            for (char *t = strtok(procs, "\n"); t; t = strtok(NULL, "\n"))
                kill((pid_t)atoi(t), SIGKILL);
        nanosleep(&pause, NULL);
    }
    for (int tries = 0; tries < 100; tries++) {
        if (rmdir(dir) == 0 || errno == ENOENT) return 0;
        nanosleep(&pause, NULL);
    }
    return 1;
}

int kt_cgroup_destroy(kt_cgroup *cg)
{
    int left = empty_and_remove(cg->v2) + empty_and_remove(cg->pids) + empty_and_remove(cg->mem) +
               empty_and_remove(cg->cpu);
    memset(cg, 0, sizeof *cg);
    return left;
}

int kt_limits_fallback(const kt_sandbox *sb)
{
    const kt_limit *l = sb->limits;
    if (strcmp(l[KT_LIMIT_PIDS].enforced_by, "rlimit") == 0) {
        struct rlimit r = {l[KT_LIMIT_PIDS].value, l[KT_LIMIT_PIDS].value};
        if (setrlimit(RLIMIT_NPROC, &r) < 0) return -1;
    }
    if (strcmp(l[KT_LIMIT_MEMORY].enforced_by, "rlimit") == 0) {
        struct rlimit r = {l[KT_LIMIT_MEMORY].value, l[KT_LIMIT_MEMORY].value};
        if (setrlimit(RLIMIT_AS, &r) < 0) return -1;
    }
    if (strcmp(l[KT_LIMIT_CPUS].enforced_by, "affinity") == 0) {
        /* Keep as many of the allowed CPUs as the limit rounds up to. */
        cpu_set_t have, keep;
        if (sched_getaffinity(0, sizeof have, &have) < 0) return -1;
        CPU_ZERO(&keep);
        uint64_t want = (l[KT_LIMIT_CPUS].value + 999) / 1000, got = 0;
        for (int c = 0; c < CPU_SETSIZE && got < want; c++)
            if (CPU_ISSET(c, &have)) CPU_SET(c, &keep), got++;
        if (sched_setaffinity(0, sizeof keep, &keep) < 0) return -1;
    }
    return 0;
}
