#include "cgroup.h"

#include "../core/fsutil.h"

#include <dirent.h>
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
        /* A path the kernel gives is absolute and clean; refuse anything else. */
        if (hit && path[0] == '/' && !strstr(path, "/..") && !strstr(path, " (deleted)")) {
            snprintf(out, n, "%s", path);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static int make_group(const char *parent, const char *tag, char *out, size_t n)
{
    if ((size_t)snprintf(out, n, "%s/%s", parent, tag) >= n)
        return out[0] = '\0', errno = ENAMETOOLONG, -1;
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

static int has_controllers(const char *dir, const char *file)
{
    char buf[512];
    return read_small(dir, file, buf, sizeof buf) == 0 && has_word(buf, "pids") &&
           has_word(buf, "memory") && has_word(buf, "cpu");
}

/* Make dir's children get pids, memory and cpu. The kernel refuses (EBUSY)
 * when dir holds processes itself (v2: no internal processes), except at
 * the root. */
static int enable_controllers(const char *dir)
{
    if (has_controllers(dir, "cgroup.subtree_control")) return 0;
    return write_str(dir, "cgroup.subtree_control", "+pids +memory +cpu");
}

/* Where the sandbox's v2 group goes. As root: under the hierarchy's root,
 * which is exempt from the no-internal-processes rule. Not root: in the
 * nearest ancestor of our own group that was delegated to us (systemd's
 * user@.service, `systemd-run --user --scope`, or a chowned subtree): a
 * sibling of our group, since v2 forbids a child of a populated group.
 * Moving a group's processes needs write access to the common ancestor's
 * cgroup.procs, so that is checked too. */
static int pick_v2_parent(const char *mnt, char *out, size_t n, int *delegated, char *why,
                          size_t wn)
{
    *delegated = 0;
    int root_errno = 0;
    if (access(mnt, W_OK | X_OK) == 0) {
        if (enable_controllers(mnt) == 0) {
            snprintf(out, n, "%s", mnt);
            return 0;
        }
        /* EBUSY: the root of a cgroup namespace (a container) that holds
         * processes itself cannot hand controllers to children */
        root_errno = errno;
    }
    char own[PATH_MAX], dir[PATH_MAX];
    if (own_path("", own, sizeof own) < 0) {
        snprintf(why, wn, "cgroup2: own group not found in /proc/self/cgroup");
        return -1;
    }
    if ((size_t)snprintf(dir, sizeof dir, "%s%s", mnt, strcmp(own, "/") ? own : "") >= sizeof dir)
        return snprintf(why, wn, "cgroup2: path too long"), -1;
    size_t root_len = strlen(mnt);
    for (char *slash = strrchr(dir, '/'); slash && (size_t)(slash - dir) > root_len;
         slash = strrchr(dir, '/')) {
        *slash = '\0'; /* dir is now the next ancestor */
        if (access(dir, W_OK | X_OK) < 0) continue;
        char procs[PATH_MAX + 16];
        snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
        if (access(procs, W_OK) < 0) continue;
        if (!has_controllers(dir, "cgroup.controllers") || enable_controllers(dir) < 0) continue;
        if ((size_t)snprintf(out, n, "%s", dir) >= n) continue;
        *delegated = 1;
        return 0;
    }
    if (root_errno)
        snprintf(why, wn,
                 "cannot enable pids/memory/cpu for children of %.120s: %s (own group %.120s)", mnt,
                 strerror(root_errno), own);
    else
        snprintf(why, wn,
                 "no cgroup v2 subtree is delegated to uid %u (own group %.160s; the hierarchy's "
                 "root is not writable)",
                 (unsigned)geteuid(), own);
    return -1;
}

static int limit_failed(kt_cgroup *cg, const char *dir, const char *file, kt_err *err)
{
    int e = errno;
    kt_fail_errno(err, KT_E_INTERNAL, e, "cannot write the limit %s/%s", dir, file);
    kt_cgroup_destroy(cg);
    return -1;
}

static int setup_v2(kt_cgroup *cg, kt_sandbox *sb, const char *tag, kt_err *err)
{
    char mnt[PATH_MAX], parent[PATH_MAX];
    if (find_mount("cgroup2", NULL, mnt, sizeof mnt) < 0) {
        snprintf(cg->why, sizeof cg->why, "no cgroup2 hierarchy is mounted");
        return 0;
    }
    if (!has_controllers(mnt, "cgroup.controllers")) {
        snprintf(cg->why, sizeof cg->why,
                 "the cgroup2 hierarchy at %.200s has no pids/memory/cpu controllers", mnt);
        return 0;
    }
    if (pick_v2_parent(mnt, parent, sizeof parent, &cg->delegated, cg->why, sizeof cg->why) < 0)
        return 0;
    if (make_group(parent, tag, cg->v2, sizeof cg->v2) < 0) {
        snprintf(cg->why, sizeof cg->why, "cannot create a group in %.200s: %s", parent,
                 strerror(errno));
        cg->delegated = 0;
        return 0;
    }
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
    if (write_str(cg->v2, "cpu.max", cpu) < 0) return limit_failed(cg, cg->v2, "cpu.max", err);
    l[KT_LIMIT_CPUS].enforced_by = "cgroup2";
    cg->why[0] = '\0';
    return 0;
}

static int v1_group(const char *controller, const char *tag, char *out, size_t n)
{
    char mnt[PATH_MAX], own[PATH_MAX], parent[PATH_MAX];
    out[0] = '\0';
    if (find_mount("cgroup", controller, mnt, sizeof mnt) < 0) return -1;
    if (own_path(controller, own, sizeof own) < 0) return -1;
    if ((size_t)snprintf(parent, sizeof parent, "%s%s", mnt, strcmp(own, "/") ? own : "") >=
        sizeof parent)
        return errno = ENAMETOOLONG, -1;
    return make_group(parent, tag, out, n);
}

static int setup_v1(kt_cgroup *cg, kt_sandbox *sb, const char *tag, kt_err *err)
{
    kt_limit *l = sb->limits;
    if (!l[KT_LIMIT_PIDS].enforced_by && v1_group("pids", tag, cg->pids, sizeof cg->pids) == 0) {
        if (write_u64(cg->pids, "pids.max", l[KT_LIMIT_PIDS].value) < 0)
            return limit_failed(cg, cg->pids, "pids.max", err);
        l[KT_LIMIT_PIDS].enforced_by = "cgroup1";
    }
    if (!l[KT_LIMIT_MEMORY].enforced_by && v1_group("memory", tag, cg->mem, sizeof cg->mem) == 0) {
        if (write_u64(cg->mem, "memory.limit_in_bytes", l[KT_LIMIT_MEMORY].value) < 0)
            return limit_failed(cg, cg->mem, "memory.limit_in_bytes", err);
        l[KT_LIMIT_MEMORY].enforced_by = "cgroup1";
        /* memory+swap; the file exists only with swap accounting on */
        if (write_u64(cg->mem, "memory.memsw.limit_in_bytes", l[KT_LIMIT_SWAP].value) == 0)
            l[KT_LIMIT_SWAP].enforced_by = "cgroup1";
    }
    if (!l[KT_LIMIT_CPUS].enforced_by && v1_group("cpu", tag, cg->cpu, sizeof cg->cpu) == 0) {
        if (write_u64(cg->cpu, "cpu.cfs_period_us", 100000) < 0 ||
            write_u64(cg->cpu, "cpu.cfs_quota_us", l[KT_LIMIT_CPUS].value * 100000 / 1000) < 0)
            return limit_failed(cg, cg->cpu, "cpu.cfs_quota_us", err);
        l[KT_LIMIT_CPUS].enforced_by = "cgroup1";
    }
    return 0;
}

int kt_cgroup_setup(kt_cgroup *cg, kt_sandbox *sb, const char *tag, kt_err *err)
{
    memset(cg, 0, sizeof *cg);
    for (int i = 0; i < KT_LIMIT_N; i++) sb->limits[i].enforced_by = NULL;
    if (setup_v2(cg, sb, tag, err) < 0 || setup_v1(cg, sb, tag, err) < 0) return -1;
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
    const char *groups[] = {cg->v2, cg->pids, cg->mem, cg->cpu};
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    for (size_t i = 0; i < 4; i++)
        if (groups[i][0] && write_str(groups[i], "cgroup.procs", buf) < 0)
            return kt_fail_errno(err, KT_E_INTERNAL, errno,
                                 "cannot put the sandbox into its cgroup %s", groups[i]);
    return 0;
}

/* Wait for a group to empty and remove it. Dying tasks can keep a group
 * busy for a while on a loaded machine, so this is bounded by a generous
 * deadline (30 s), not a fixed number of short tries; it returns as soon as
 * the group is gone. */
static int empty_and_remove(const char *dir)
{
    if (!dir[0]) return 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long pause_ns = 1000 * 1000;
    for (;;) {
        if (rmdir(dir) == 0 || errno == ENOENT) return 0;
        if (errno != EBUSY) return 1;
        char procs[4096];
        if (read_small(dir, "cgroup.procs", procs, sizeof procs) == 0 && procs[0] &&
            write_str(dir, "cgroup.kill", "1") < 0)
            for (char *t = strtok(procs, "\n"); t; t = strtok(NULL, "\n"))
                kill((pid_t)atoi(t), SIGKILL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 30) return 1;
        struct timespec pause = {0, pause_ns};
        nanosleep(&pause, NULL);
        if (pause_ns < 100 * 1000 * 1000) pause_ns *= 2;
    }
}

int kt_cgroup_destroy(kt_cgroup *cg)
{
    int left = empty_and_remove(cg->v2) + empty_and_remove(cg->pids) + empty_and_remove(cg->mem) +
               empty_and_remove(cg->cpu);
    memset(cg->v2, 0, sizeof cg->v2);
    cg->pids[0] = cg->mem[0] = cg->cpu[0] = '\0';
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

/* ---- limit hits, read after the payload exited ------------------------- */

/* "key value" line of a flat-keyed file, or the whole file when key is NULL;
 * -1 if absent. */
static long long counter(const char *dir, const char *file, const char *key)
{
    char buf[4096];
    if (!dir[0] || read_small(dir, file, buf, sizeof buf) < 0) return -1;
    if (!key) return strtoll(buf, NULL, 10);
    size_t n = strlen(key);
    for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, key, n) == 0 && line[n] == ' ') return strtoll(line + n + 1, NULL, 10);
    return -1;
}

/* Record one counter as the event `name`; returns it, 0 if absent. */
static uint64_t ev(kt_limit_hit *h, const char *name, const char *dir, const char *file,
                   const char *key)
{
    long long v = counter(dir, file, key);
    if (v < 0 || h->nev == KT_HIT_EVENTS) return 0;
    h->ev[h->nev].name = name;
    h->ev[h->nev].value = (uint64_t)v;
    h->nev++;
    return (uint64_t)v;
}

static void hits_unknown(kt_limit_hit *h, const char *how)
{
    h->hit = -1;
    if (!strcmp(how, "rlimit"))
        h->note = "rlimit: the kernel keeps no count of refused forks or allocations";
    else if (!strcmp(how, "affinity"))
        h->note = "affinity: pinning to CPUs has no throttling counter";
    else
        h->note = "not enforced, so never hit";
}

void kt_cgroup_read_report(const kt_cgroup *cg, const kt_sandbox *sb, kt_cgroup_report *out)
{
    memset(out, 0, sizeof *out);
    out->version = cg->v2[0] ? 2 : cg->pids[0] || cg->mem[0] || cg->cpu[0] ? 1 : 0;
    out->delegated = cg->delegated;
    kt_limit_hit *h = out->hits;
    const kt_limit *l = sb->limits;
    for (int i = 0; i < KT_LIMIT_N; i++) h[i].hit = 0;
    const char *v2 = cg->v2;
    /* pids.events "max": forks refused at pids.max (v1 and v2 alike) */
    if (!strcmp(l[KT_LIMIT_PIDS].enforced_by, "cgroup2"))
        h[KT_LIMIT_PIDS].hit = ev(&h[KT_LIMIT_PIDS], "max", v2, "pids.events", "max") > 0;
    else if (!strcmp(l[KT_LIMIT_PIDS].enforced_by, "cgroup1"))
        h[KT_LIMIT_PIDS].hit = ev(&h[KT_LIMIT_PIDS], "max", cg->pids, "pids.events", "max") > 0;
    else
        hits_unknown(&h[KT_LIMIT_PIDS], l[KT_LIMIT_PIDS].enforced_by);
    kt_limit_hit *m = &h[KT_LIMIT_MEMORY], *s = &h[KT_LIMIT_SWAP];
    if (!strcmp(l[KT_LIMIT_MEMORY].enforced_by, "cgroup2")) {
        uint64_t max = ev(m, "max", v2, "memory.events", "max");
        uint64_t oom = ev(m, "oom", v2, "memory.events", "oom");
        uint64_t kill = ev(m, "oom_kill", v2, "memory.events", "oom_kill");
        m->hit = max + oom + kill > 0;
        out->oom_killed = kill > 0;
    } else if (!strcmp(l[KT_LIMIT_MEMORY].enforced_by, "cgroup1")) {
        uint64_t fail = ev(m, "failcnt", cg->mem, "memory.failcnt", NULL);
        uint64_t kill = ev(m, "oom_kill", cg->mem, "memory.oom_control", "oom_kill");
        m->hit = fail + kill > 0;
        out->oom_killed = kill > 0;
    } else {
        hits_unknown(m, l[KT_LIMIT_MEMORY].enforced_by);
    }
    if (!strcmp(l[KT_LIMIT_SWAP].enforced_by, "cgroup2"))
        s->hit = ev(s, "max", v2, "memory.swap.events", "max") +
                     ev(s, "fail", v2, "memory.swap.events", "fail") >
                 0;
    else if (!strcmp(l[KT_LIMIT_SWAP].enforced_by, "cgroup1"))
        s->hit = ev(s, "memsw.failcnt", cg->mem, "memory.memsw.failcnt", NULL) > 0;
    else
        hits_unknown(s, l[KT_LIMIT_SWAP].enforced_by);
    kt_limit_hit *c = &h[KT_LIMIT_CPUS];
    if (!strcmp(l[KT_LIMIT_CPUS].enforced_by, "cgroup2")) {
        ev(c, "nr_periods", v2, "cpu.stat", "nr_periods");
        c->hit = ev(c, "nr_throttled", v2, "cpu.stat", "nr_throttled") > 0;
        ev(c, "throttled_usec", v2, "cpu.stat", "throttled_usec");
    } else if (!strcmp(l[KT_LIMIT_CPUS].enforced_by, "cgroup1")) {
        ev(c, "nr_periods", cg->cpu, "cpu.stat", "nr_periods");
        c->hit = ev(c, "nr_throttled", cg->cpu, "cpu.stat", "nr_throttled") > 0;
        ev(c, "throttled_time", cg->cpu, "cpu.stat", "throttled_time");
    } else {
        hits_unknown(c, l[KT_LIMIT_CPUS].enforced_by);
    }
}

/* ---- groups left by runners that no longer exist ----------------------- */

/* 1 if pid is a running kiemthu-sandbox other than us. */
static int live_runner(long pid)
{
    if (pid <= 0 || pid == (long)getpid()) return 0;
    char path[64], comm[32];
    snprintf(path, sizeof path, "/proc/%ld", pid);
    if (read_small(path, "comm", comm, sizeof comm) < 0) return 0;
    return strcmp(comm, "kiemthu-sandbox\n") == 0;
}

/* Remove every kiemthu-PID-N group under parent whose runner is gone. */
static int reclaim_in(const char *parent)
{
    DIR *d = opendir(parent);
    if (!d) return 0;
    int left = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        unsigned long n;
        char tail;
        if (sscanf(de->d_name, "kiemthu-%ld-%lu%c", &pid, &n, &tail) != 2) continue;
        if (live_runner(pid)) continue;
        char dir[PATH_MAX];
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", parent, de->d_name) >= sizeof dir) continue;
        left += empty_and_remove(dir);
    }
    closedir(d);
    return left;
}

int kt_cgroup_reclaim(void)
{
    char mnt[PATH_MAX], parent[PATH_MAX], why[320];
    int left = 0, delegated;
    if (find_mount("cgroup2", NULL, mnt, sizeof mnt) == 0 &&
        pick_v2_parent(mnt, parent, sizeof parent, &delegated, why, sizeof why) == 0)
        left += reclaim_in(parent);
    static const char *const v1[] = {"pids", "memory", "cpu"};
    for (size_t i = 0; i < 3; i++) {
        char own[PATH_MAX];
        if (find_mount("cgroup", v1[i], mnt, sizeof mnt) < 0 ||
            own_path(v1[i], own, sizeof own) < 0 ||
            (size_t)snprintf(parent, sizeof parent, "%s%s", mnt, strcmp(own, "/") ? own : "") >=
                sizeof parent)
            continue;
        left += reclaim_in(parent);
    }
    return left;
}
