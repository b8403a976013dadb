/* Reading what the host's cgroups offer (one pass over mountinfo and
 * /proc/self/cgroup), choosing where a v2 group may go, and reclaiming the
 * groups of runners that were killed. */
#include "cgfs.h"
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const v1_names[KT_CG_V1_N] = {"pids", "memory", "cpu"};

static int has_token(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

/* Mount points: the first "cgroup2" mount, and for each v1 controller the
 * first "cgroup" mount whose super options name it. */
static void scan_mounts(kt_cgroup_host *h)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char mnt[PATH_MAX], type[64], super[1024];
        char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
            sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2)
            continue;
        if (!strcmp(type, "cgroup2") && !h->v2_mnt[0])
            snprintf(h->v2_mnt, sizeof h->v2_mnt, "%s", mnt);
        for (int i = 0; i < KT_CG_V1_N && !strcmp(type, "cgroup"); i++)
            if (!h->v1_mnt[i][0] && has_token(super, v1_names[i]))
                snprintf(h->v1_mnt[i], sizeof h->v1_mnt[i], "%s", mnt);
    }
    fclose(f);
}

/* Our own groups, from /proc/self/cgroup: "0::PATH" is v2, "N:CTRLS:PATH" v1. */
static void scan_own(kt_cgroup_host *h)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        /* A path the kernel gives is absolute and clean; refuse anything else. */
        if (path[0] != '/' || strstr(path, "/..") || strstr(path, " (deleted)")) continue;
        if (!*ctrls && strncmp(line, "0", 1) == 0 && !h->v2_own[0])
            snprintf(h->v2_own, sizeof h->v2_own, "%s", path);
        for (int i = 0; i < KT_CG_V1_N && *ctrls; i++)
            if (!h->v1_own[i][0] && has_token(ctrls, v1_names[i]))
                snprintf(h->v1_own[i], sizeof h->v1_own[i], "%s", path);
    }
    fclose(f);
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
    return kt_cg_read(dir, file, buf, sizeof buf) == 0 && has_word(buf, "pids") &&
           has_word(buf, "memory") && has_word(buf, "cpu");
}

/* Make dir's children get pids, memory and cpu. The kernel refuses (EBUSY)
 * when dir holds processes itself (v2: no internal processes), except at
 * the root. */
static int enable_controllers(const char *dir)
{
    if (has_controllers(dir, "cgroup.subtree_control")) return 0;
    return kt_cg_write(dir, "cgroup.subtree_control", "+pids +memory +cpu");
}

/* v2 forbids processes in a group whose children have controllers. Where
 * the group we may write holds processes (the root of a container's cgroup
 * namespace; our own delegated group), every process in it is moved into a
 * leaf child, KT_CG_LEAF, as systemd and crun do; then the group can hand
 * controllers to children, and the sandbox's groups go beside the leaf. The
 * processes stay there (within the same limits) after we exit. */
static int evacuate(const char *dir, kt_cgroup_host *h)
{
    char leaf[PATH_MAX];
    if ((size_t)snprintf(leaf, sizeof leaf, "%s/%s", dir, KT_CG_LEAF) >= sizeof leaf)
        return errno = ENAMETOOLONG, -1;
    if (mkdir(leaf, 0755) < 0 && errno != EEXIST) return -1;
    char *procs = malloc(1 << 20);
    if (!procs) return -1;
    int rc = -1, moved = 0;
    /* bounded: a process may fork while its siblings move */
    for (int round = 0; round < 64; round++) {
        if (kt_cg_read(dir, "cgroup.procs", procs, 1 << 20) < 0) break;
        if (!procs[0]) {
            rc = enable_controllers(dir);
            break;
        }
        char *save = NULL;
        for (char *pid = strtok_r(procs, "\n", &save); pid; pid = strtok_r(NULL, "\n", &save)) {
            if (kt_cg_write(leaf, "cgroup.procs", pid) == 0)
                moved++;
            else if (errno != ESRCH) /* a process that exited meanwhile is gone anyway */
                goto out;
        }
    }
out:
    free(procs);
    if (rc == 0) {
        h->v2_moved = moved;
        snprintf(h->v2_leaf, sizeof h->v2_leaf, "%s", leaf);
    }
    return rc;
}

/* Where the sandbox's v2 group goes. As root: under the hierarchy's root,
 * which is exempt from the no-internal-processes rule. Not root: in the
 * nearest ancestor of our own group that was delegated to us (systemd's
 * user@.service, `systemd-run --user --scope`, or a chowned subtree): a
 * sibling of our group, since v2 forbids a child of a populated group.
 * Moving a group's processes needs write access to the common ancestor's
 * cgroup.procs, so that is checked too. Where the only group we may write
 * holds processes (EBUSY), they are moved into a leaf first (evacuate). */
static int pick_v2_parent(kt_cgroup_host *h)
{
    const char *mnt = h->v2_mnt, *own = h->v2_own;
    char *why = h->v2_why;
    size_t wn = sizeof h->v2_why;
    int root_errno = 0;
    if (access(mnt, W_OK | X_OK) == 0) {
        if (enable_controllers(mnt) == 0) {
            snprintf(h->v2_parent, sizeof h->v2_parent, "%s", mnt);
            return 0;
        }
        /* EBUSY: the root of a cgroup namespace (a container) that holds
         * processes itself cannot hand controllers to children */
        root_errno = errno;
    }
    char dir[PATH_MAX];
    if (!own[0]) {
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
        if ((size_t)snprintf(h->v2_parent, sizeof h->v2_parent, "%s", dir) >= sizeof h->v2_parent)
            continue;
        h->v2_delegated = 1;
        return 0;
    }
    /* Our own group, where it was delegated to us (not root): it holds us. */
    if ((size_t)snprintf(dir, sizeof dir, "%s%s", mnt, strcmp(own, "/") ? own : "") < sizeof dir &&
        strcmp(own, "/") && access(dir, W_OK | X_OK) == 0 &&
        has_controllers(dir, "cgroup.controllers") && evacuate(dir, h) == 0) {
        snprintf(h->v2_parent, sizeof h->v2_parent, "%s", dir);
        h->v2_delegated = geteuid() != 0;
        return 0;
    }
    /* The hierarchy's root is ours but holds processes: the root of a
     * container's cgroup namespace. */
    if (root_errno == EBUSY && evacuate(mnt, h) == 0) {
        snprintf(h->v2_parent, sizeof h->v2_parent, "%s", mnt);
        h->v2_delegated = geteuid() != 0;
        return 0;
    }
    h->v2_parent[0] = '\0';
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

/* Whether and where a v2 group can be made; else why not (h->v2_why). */
static void probe_v2(kt_cgroup_host *h)
{
    if (!h->v2_mnt[0])
        snprintf(h->v2_why, sizeof h->v2_why, "no cgroup2 hierarchy is mounted");
    else if (!has_controllers(h->v2_mnt, "cgroup.controllers"))
        snprintf(h->v2_why, sizeof h->v2_why,
                 "the cgroup2 hierarchy at %.200s has no pids/memory/cpu controllers", h->v2_mnt);
    else
        pick_v2_parent(h);
}

void kt_cgroup_host_probe(kt_cgroup_host *h)
{
    memset(h, 0, sizeof *h);
    scan_mounts(h);
    scan_own(h);
    probe_v2(h);
}

/* ---- groups left by runners that no longer exist ----------------------- */

/* 1 if pid is a running kiemthu-sandbox (or us). */
static int live_runner(long pid)
{
    if (pid == (long)getpid()) return 1; /* ours; a dead namesake's is replaced by make_group */
    if (pid <= 0) return 0;
    char path[64], comm[32];
    snprintf(path, sizeof path, "/proc/%ld", pid);
    if (kt_cg_read(path, "comm", comm, sizeof comm) < 0) return 0;
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
        left += kt_cg_remove(dir);
    }
    closedir(d);
    return left;
}

int kt_cgroup_reclaim(const kt_cgroup_host *h)
{
    int left = 0;
    if (h->v2_parent[0]) left += reclaim_in(h->v2_parent);
    for (int i = 0; i < KT_CG_V1_N; i++) {
        char parent[PATH_MAX];
        const char *mnt = h->v1_mnt[i], *own = h->v1_own[i];
        if (!mnt[0] || !own[0] ||
            (size_t)snprintf(parent, sizeof parent, "%s%s", mnt, strcmp(own, "/") ? own : "") >=
                sizeof parent)
            continue;
        left += reclaim_in(parent);
    }
    return left;
}
