/* Limits: what the host's cgroups offer, groups made with their limits and
 * removed, a process joining them (v1: by itself, as the sandbox's first
 * process does; v2: moved by its parent where it was not born there), the
 * limit hits read back, groups of killed runners reclaimed and ours left
 * alone, and the rlimit/affinity fallback. Everything here acts on groups
 * named with this test's own pid; nothing is asserted about other groups. */
#include "testutil.h"

#include "../../sandbox/cgroup.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

typedef struct fx {
    kt_cgroup_host h;
    kt_sandbox sb;
    kt_cgroup cg;
    char tag[64];
} fx;

static int usable(const kt_cgroup_host *h)
{
    return h->v2_parent[0] ||
           (h->v1_mnt[KT_CG_PIDS][0] && h->v1_mnt[KT_CG_MEMORY][0] && h->v1_mnt[KT_CG_CPU][0]);
}

static void limits(kt_sandbox *sb, uint64_t pids)
{
    memset(sb->limits, 0, sizeof sb->limits);
    sb->limits[KT_LIMIT_PIDS].value = pids;
    sb->limits[KT_LIMIT_MEMORY].value = 64 << 20;
    sb->limits[KT_LIMIT_SWAP].value = 64 << 20;
    sb->limits[KT_LIMIT_CPUS].value = 500;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    kt_cgroup_host_probe(&f->h);
    f->cg.v2_fd = -1;
    limits(&f->sb, 8);
    snprintf(f->tag, sizeof f->tag, "kiemthu-%d-70", (int)getpid());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kt_cgroup_destroy(&f->cg);
    free(f);
    return 0;
}

static void needs_cgroups(const fx *f)
{
    if (geteuid() != 0) {
        print_message("SKIPPED: cgroups (run as root; delegated v2 is tested end to end)\n");
        skip();
    }
    if (!usable(&f->h)) {
        print_message("SKIPPED: no cgroup v2 with pids/memory/cpu and no v1 hierarchies: %s\n",
                      f->h.v2_why);
        skip();
    }
}

static long read_num(const char *dir, const char *file)
{
    char p[4200], buf[64] = {0};
    snprintf(p, sizeof p, "%s/%s", dir, file);
    FILE *fp = fopen(p, "re");
    if (!fp) return -1;
    if (!fgets(buf, sizeof buf, fp)) buf[0] = '\0';
    fclose(fp);
    return strtol(buf, NULL, 10);
}

static int in_group(pid_t pid, const char *dir)
{
    char p[64], line[4096];
    snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
    FILE *fp = fopen(p, "re");
    assert_non_null(fp);
    const char *leaf = strrchr(dir, '/');
    int found = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        const char *path = strchr(strchr(line, ':') + 1, ':') + 1;
        const char *l = strrchr(path, '/');
        found |= l && !strcmp(l, leaf);
    }
    fclose(fp);
    return found;
}

/* One pass over mountinfo and /proc/self/cgroup: absolute, clean paths. */
static void host_probe(void **state)
{
    fx *f = *state;
    const kt_cgroup_host *h = &f->h;
    if (h->v2_mnt[0]) assert_int_equal(h->v2_mnt[0], '/');
    if (h->v2_own[0]) assert_null(strstr(h->v2_own, "/.."));
    for (int i = 0; i < KT_CG_V1_N; i++)
        if (h->v1_mnt[i][0]) {
            assert_int_equal(h->v1_mnt[i][0], '/');
            assert_int_equal(h->v1_own[i][0], '/');
        }
    assert_true(h->v2_parent[0] || h->v2_why[0]); /* a place, or the reason there is none */
}

/* Groups made with the limits written, enforced_by saying which cgroup,
 * removed again; a second setup under the same name replaces the group a
 * killed runner with our pid would have left. */
static void setup_and_destroy(void **state)
{
    fx *f = *state;
    needs_cgroups(f);
    kt_err err;
    assert_int_equal(kt_cgroup_setup(&f->cg, &f->h, &f->sb, f->tag, &err), 0);
    const kt_limit *l = f->sb.limits;
    if (f->cg.v2[0]) {
        assert_string_equal(l[KT_LIMIT_PIDS].enforced_by, "cgroup2");
        assert_int_equal(read_num(f->cg.v2, "pids.max"), 8);
        assert_int_equal(read_num(f->cg.v2, "memory.max"), 64 << 20);
        assert_true(f->cg.v2_fd >= 0);
    } else {
        assert_string_equal(l[KT_LIMIT_PIDS].enforced_by, "cgroup1");
        assert_string_equal(l[KT_LIMIT_MEMORY].enforced_by, "cgroup1");
        assert_string_equal(l[KT_LIMIT_CPUS].enforced_by, "cgroup1");
        assert_int_equal(read_num(f->cg.pids, "pids.max"), 8);
        assert_int_equal(read_num(f->cg.mem, "memory.limit_in_bytes"), 64 << 20);
        assert_int_equal(read_num(f->cg.cpu, "cpu.cfs_quota_us"), 50000);
    }
    assert_string_equal(f->cg.why, "");
    /* the same name again: the old group is replaced, not an error */
    kt_cgroup again;
    limits(&f->sb, 9);
    assert_int_equal(kt_cgroup_setup(&again, &f->h, &f->sb, f->tag, &err), 0);
    assert_int_equal(read_num(again.v2[0] ? again.v2 : again.pids, "pids.max"), 9);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", again.v2[0] ? again.v2 : again.pids);
    assert_int_equal(kt_cgroup_destroy(&again), 0);
    assert_int_equal(access(dir, F_OK), -1);
    if (f->cg.v2_fd >= 0) close(f->cg.v2_fd); /* its group was replaced and is gone */
    memset(&f->cg, 0, sizeof f->cg);
    f->cg.v2_fd = -1;
}

/* A child joins the groups before anything else (v1: it moves itself; v2:
 * its parent moves it), is held to pids.max, and the hit is read back. */
static void join_and_hits(void **state)
{
    fx *f = *state;
    needs_cgroups(f);
    kt_err err;
    assert_int_equal(kt_cgroup_setup(&f->cg, &f->h, &f->sb, f->tag, &err), 0);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(2);
        if (kt_cgroup_join_v1(&f->cg, &err) < 0) _exit(3);
        /* forks beyond pids.max (8, with us) are refused: EAGAIN */
        pid_t kids[16];
        int n = 0, refused = 0;
        for (int i = 0; i < 16; i++) {
            pid_t k = fork();
            if (k == 0) {
                pause();
                _exit(0);
            }
            if (k > 0) kids[n++] = k;
            if (k < 0) refused += errno == EAGAIN;
        }
        for (int i = 0; i < n; i++) kill(kids[i], SIGKILL), waitpid(kids[i], NULL, 0);
        _exit(n == 7 && refused == 9 ? 0 : 4);
    }
    assert_int_equal(kt_cgroup_attach(&f->cg, pid, &err), 0); /* v2 only */
    assert_int_equal(write(go[1], "g", 1), 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    kt_cgroup_report rep;
    kt_cgroup_read_report(&f->cg, &f->sb, &rep);
    assert_int_equal(rep.version, f->cg.v2[0] ? 2 : 1);
    assert_int_equal(rep.hits[KT_LIMIT_PIDS].hit, 1);
    assert_string_equal(rep.hits[KT_LIMIT_PIDS].ev[0].name, "max");
    assert_true(rep.hits[KT_LIMIT_PIDS].ev[0].value > 0);
    assert_int_equal(rep.hits[KT_LIMIT_MEMORY].hit, 0);
    assert_int_equal(rep.oom_killed, 0);
    assert_int_equal(kt_cgroup_destroy(&f->cg), 0);
    close(go[0]);
    close(go[1]);
}

/* Joining puts the process (and what it starts) into every group. */
static void child_is_in_every_group(void **state)
{
    fx *f = *state;
    needs_cgroups(f);
    kt_err err;
    assert_int_equal(kt_cgroup_setup(&f->cg, &f->h, &f->sb, f->tag, &err), 0);
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1 || kt_cgroup_join_v1(&f->cg, &err) < 0) _exit(3);
        pid_t k = fork();
        if (k == 0) {
            if (write(done[1], "k", 1) != 1) _exit(1);
            pause();
        }
        pause();
        _exit(0);
    }
    assert_int_equal(kt_cgroup_attach(&f->cg, pid, &err), 0);
    assert_int_equal(write(go[1], "g", 1), 1);
    char c;
    assert_int_equal(read(done[0], &c, 1), 1);
    const char *groups[] = {f->cg.v2, f->cg.pids, f->cg.mem, f->cg.cpu};
    for (int i = 0; i < 4; i++)
        if (groups[i][0]) assert_true(in_group(pid, groups[i]));
    /* destroy empties the groups (the child and its grandchild) first */
    assert_int_equal(kt_cgroup_destroy(&f->cg), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    close(go[0]), close(go[1]), close(done[0]), close(done[1]);
}

/* A killed runner's groups (named with a pid that is not a running
 * kiemthu-sandbox) are emptied and removed; groups named with our pid are
 * left alone, since this scan runs while our sandbox starts. */
static void reclaim(void **state)
{
    fx *f = *state;
    needs_cgroups(f);
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char tag[64];
    snprintf(tag, sizeof tag, "kiemthu-%d-0", (int)dead);
    kt_err err;
    kt_cgroup stale, ours;
    assert_int_equal(kt_cgroup_setup(&stale, &f->h, &f->sb, tag, &err), 0);
    assert_int_equal(kt_cgroup_setup(&ours, &f->h, &f->sb, f->tag, &err), 0);
    /* a process left in the stale group, as by a runner killed mid-run */
    int joined[2];
    assert_int_equal(pipe(joined), 0);
    pid_t left = fork();
    if (left == 0) {
        if (kt_cgroup_join_v1(&stale, &err) < 0 || write(joined[1], "j", 1) != 1) _exit(3);
        pause();
        _exit(0);
    }
    assert_int_equal(kt_cgroup_attach(&stale, left, &err), 0);
    char c;
    assert_int_equal(read(joined[0], &c, 1), 1);
    close(joined[0]), close(joined[1]);
    const char *dir = stale.v2[0] ? stale.v2 : stale.pids;
    assert_true(in_group(left, dir));
    kt_cgroup_reclaim(&f->h);
    assert_int_equal(access(dir, F_OK), -1);
    int st;
    assert_int_equal(waitpid(left, &st, 0), left);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(access(ours.v2[0] ? ours.v2 : ours.pids, F_OK), 0);
    if (stale.v2_fd >= 0) close(stale.v2_fd);
    assert_int_equal(kt_cgroup_destroy(&ours), 0);
}

/* Without cgroups: RLIMIT_NPROC, RLIMIT_AS and CPU affinity in the child,
 * and hits that cannot be known are null with the reason. */
static void fallback(void **state)
{
    fx *f = *state;
    kt_sandbox *sb = &f->sb;
    sb->limits[KT_LIMIT_PIDS].enforced_by = "rlimit";
    sb->limits[KT_LIMIT_MEMORY].enforced_by = "rlimit";
    sb->limits[KT_LIMIT_SWAP].enforced_by = "rlimit";
    sb->limits[KT_LIMIT_CPUS].enforced_by = "affinity";
    pid_t pid = fork();
    if (pid == 0) {
        kt_err e;
        if (kt_limits_fallback(sb, &e) < 0) _exit(2);
        struct rlimit r;
        cpu_set_t set;
        getrlimit(RLIMIT_NPROC, &r);
        if (r.rlim_cur != 8) _exit(3);
        getrlimit(RLIMIT_AS, &r);
        if (r.rlim_cur != 64 << 20) _exit(4);
        if (sched_getaffinity(0, sizeof set, &set) < 0 || CPU_COUNT(&set) != 1) _exit(5);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    kt_cgroup none;
    memset(&none, 0, sizeof none);
    kt_cgroup_report rep;
    kt_cgroup_read_report(&none, sb, &rep);
    assert_int_equal(rep.version, 0);
    for (int i = 0; i < KT_LIMIT_N; i++) {
        assert_int_equal(rep.hits[i].hit, -1);
        assert_non_null(rep.hits[i].note);
        assert_int_equal(rep.hits[i].nev, 0);
    }
    assert_non_null(strstr(rep.hits[KT_LIMIT_CPUS].note, "affinity"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(host_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(setup_and_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(join_and_hits, setup, teardown),
        cmocka_unit_test_setup_teardown(child_is_in_every_group, setup, teardown),
        cmocka_unit_test_setup_teardown(reclaim, setup, teardown),
        cmocka_unit_test_setup_teardown(fallback, setup, teardown),
    };
    return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
