/* One attempt, start to end (kt_spawn): started or not (and why), exit codes
 * and signals, output captured within its cap, the timeout ending the whole
 * sandbox, a stop signal for the runner, exec-once, a limit hit, and the
 * runner's own failures (its filter compile, the child's setup), after
 * which no process and no cgroup of the attempt is left. */
#include "sbutil.h"

#include "../../sandbox/netprep.h"

#include "../../sandbox/spawn.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

typedef struct fx {
    char *dir;
    kt_sandbox sb;
    kt_cgroup_host h;
    kt_profile *profile, *baseline;
    kt_filter pf, bf;
    int exec_once;
    int out_fd, err_fd;
    kt_run run;
    kt_spawn_io io;
    char tag[64];
} fx;

/* The filters, compiled before the fork as the ladder compiles them. */
static int compile(fx *x, kt_child_filters *f, kt_err *err)
{
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter_opts fo = {x->exec_once, 0};
    kt_filter_free(&x->pf);
    kt_filter_free(&x->bf);
    if (kt_filter_compile(x->profile, &env, &fo, &x->pf, err) < 0 ||
        kt_filter_compile(x->baseline, &env, NULL, &x->bf, err) < 0)
        return -1;
    x->sb.exec_once_errno = x->exec_once ? x->pf.exec_errno : 0;
    f->profile = &x->pf.bpf;
    f->baseline = &x->bf.bpf;
    return 0;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    kt_cgroup_host_probe(&f->h);
    f->profile = sb_profile("profiles/seccomp-startup-safe.json");
    const char *name;
    kt_err err;
    assert_int_equal(kt_baseline_load(NULL, &f->baseline, &name, &err), 0);
    char p[4096];
    snprintf(p, sizeof p, "%s/stdout", f->dir);
    f->out_fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644);
    snprintf(p, sizeof p, "%s/stderr", f->dir);
    f->err_fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644);
    f->io = (kt_spawn_io){f->out_fd, f->err_fd, -1, -1, NULL, NULL, NULL};
    snprintf(f->tag, sizeof f->tag, "kiemthu-%d-80", (int)getpid());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    close(f->out_fd);
    close(f->err_fd);
    kt_filter_free(&f->pf);
    kt_filter_free(&f->bf);
    kt_profile_free(f->profile);
    kt_profile_free(f->baseline);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* A fresh context to run argv. */
static void prepare(fx *f, char *const *argv)
{
    sb_defaults(&f->sb, argv);
    f->sb.cgroup_host = &f->h;
}

static int go(fx *f, kt_err *err)
{
    kt_child_filters filters;
    if (compile(f, &filters, err) < 0) return -1;
    int rc = kt_spawn(&f->sb, &filters, &f->io, f->tag, &f->run, err);
    if (f->io.out_mfd >= 0) close(f->io.out_mfd);
    return rc;
}

static char *captured(int fd)
{
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void no_group_left(const fx *f)
{
    assert_int_equal(f->run.cgroups_left, 0);
    const char *mnt = f->h.v1_mnt[KT_CG_PIDS];
    if (!mnt[0] || geteuid() != 0) return;
    char p[8400];
    const char *own = f->h.v1_own[KT_CG_PIDS];
    snprintf(p, sizeof p, "%s%s/%s", mnt, strcmp(own, "/") ? own : "", f->tag);
    assert_int_equal(access(p, F_OK), -1);
}

static void exit_codes_and_output(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    kt_err err;
    prepare(f, argv);
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_true(f->run.started);
    assert_int_equal(f->run.exit_code, 3);
    assert_int_equal(f->run.signal, 0);
    assert_string_equal(captured(f->out_fd), "out\n");
    assert_string_equal(captured(f->err_fd), "err\n");
    assert_int_equal(f->run.bytes[0], 4);
    assert_int_equal(f->run.stored[1], 4);
    assert_true(f->run.t.us[KT_PH_SETUP] > 0);
    assert_true(f->run.total_us >= f->run.t.us[KT_PH_SETUP]);
    no_group_left(f);
}

/* Output beyond the cap is counted, not kept. */
static void output_cap(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/sh", "-c", "head -c 100000 /dev/zero", NULL};
    kt_err err;
    prepare(f, argv);
    f->sb.output_cap = 1000;
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->run.bytes[0], 100000);
    assert_int_equal(f->run.stored[0], 1000);
    struct stat st;
    assert_int_equal(fstat(f->out_fd, &st), 0);
    assert_int_equal(st.st_size, 1000);
}

/* Not started: a program missing in the sandbox, and an exec the profile
 * denies; neither is the runner's failure. */
static void not_started(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *missing[] = {"/nonexistent/program", NULL};
    kt_err err;
    prepare(f, missing);
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_false(f->run.started);
    assert_int_equal(f->run.exec_errno, ENOENT);
    assert_int_equal(f->run.exit_code, -1);
    kt_profile_free(f->profile);
    f->profile = sb_profile("profiles/seccomp-deny-by-default.json");
    char *argv[] = {"/bin/true", NULL};
    prepare(f, argv);
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_false(f->run.started);
    assert_int_equal(f->run.exec_errno, EPERM);
    no_group_left(f);
}

/* exec-once: the payload's own exec goes through a profile that denies
 * exec; the next one (sh running true) gets the profile's errno. */
static void exec_once(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    kt_profile_free(f->profile);
    f->profile = sb_profile("profiles/seccomp-deny-by-default.json");
    f->exec_once = 1;
    char *argv[] = {"/bin/sh", "-c", "/bin/true", NULL};
    kt_err err;
    prepare(f, argv);
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_true(f->run.started);
    assert_true(f->run.exec_once);
    assert_true(f->run.first_exec_allowed);
    assert_true(f->run.execs_denied >= 1);
    assert_int_equal(f->run.exit_code, 126); /* sh: permission denied */
}

/* The timeout kills the sandbox's PID 1, and with it everything inside. */
static void timeout(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/sh", "-c", "sleep 60 & sleep 60", NULL};
    kt_err err;
    prepare(f, argv);
    f->sb.timeout_s = 0.3;
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_true(f->run.timed_out);
    assert_int_equal(f->run.signal, SIGKILL);
    assert_true(f->run.duration_ms < 30000);
    no_group_left(f);
}

/* A stop signal for the runner (SIGTERM, already pending) ends the sandbox
 * and is recorded; it is not the runner's failure. */
static void stop_signal(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    assert_true(sfd >= 0);
    assert_int_equal(raise(SIGTERM), 0);
    char *argv[] = {"/bin/sleep", "60", NULL};
    kt_err err;
    prepare(f, argv);
    f->io.sigfd = sfd;
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->run.interrupted, SIGTERM);
    assert_true(f->run.duration_ms < 30000);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    no_group_left(f);
}

/* The pids limit holds and its hit is read back (cgroups, as root). */
static void pids_hit(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done; kill 0",
                    NULL};
    kt_err err;
    prepare(f, argv);
    f->sb.limits[KT_LIMIT_PIDS].value = 4;
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    const char *by = f->sb.limits[KT_LIMIT_PIDS].enforced_by;
    if (!strcmp(by, "rlimit")) {
        assert_int_equal(f->run.cgroup.hits[KT_LIMIT_PIDS].hit, -1);
        return;
    }
    assert_int_equal(f->run.cgroup.hits[KT_LIMIT_PIDS].hit, 1);
    assert_non_null(strstr(captured(f->err_fd), "fork")); /* sh: Cannot fork */
    no_group_left(f);
}

/* The runner's failure: the child's setup fails (a working directory that
 * is not there). -1 with the reason; the sandbox is gone and its groups
 * removed. */
static void runner_failures(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/true", NULL};
    kt_err err;
    prepare(f, argv);
    f->sb.workdir = "/no/such/dir";
    assert_int_equal(go(f, &err), -1);
    assert_non_null(strstr(err.msg, "working directory /no/such/dir"));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    no_group_left(f);
}

/* The caller's work while the child sets itself up (kt_spawn_io.meanwhile):
 * the profile it compiles there is the one installed (the strict profile
 * denies the exec: not started, EPERM), and a failure there ends the
 * sandbox before the payload ran: -1 with the caller's reason, no group
 * left, nothing of the payload's output. */
typedef struct late {
    fx *f;
    int fail, calls;
} late;

static int compile_late(void *ctx, kt_child_filters *filters, kt_sandbox *sb, kt_err *err)
{
    late *l = ctx;
    l->calls++;
    (void)sb;
    if (l->fail) return kt_fail(err, KT_E_DATA, "the caller refused");
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter_free(&l->f->pf);
    kt_profile *strict = sb_profile("profiles/seccomp-deny-by-default.json");
    int rc = kt_filter_compile(strict, &env, NULL, &l->f->pf, err);
    kt_profile_free(strict);
    filters->profile = &l->f->pf.bpf;
    return rc;
}

static void meanwhile(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/sh", "-c", "echo ran", NULL};
    kt_err err;
    late l = {f, 0, 0};
    prepare(f, argv);
    kt_child_filters filters;
    if (compile(f, &filters, &err) < 0) fail_msg("%s", err.msg);
    filters.profile = NULL; /* the startup-safe one would let it start */
    f->io.meanwhile = compile_late;
    f->io.meanwhile_ctx = &l;
    if (kt_spawn(&f->sb, &filters, &f->io, f->tag, &f->run, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(l.calls, 1);
    assert_false(f->run.started);
    assert_int_equal(f->run.exec_errno, EPERM);
    assert_string_equal(captured(f->out_fd), "");
    no_group_left(f);

    l.fail = 1;
    memset(&f->run, 0, sizeof f->run);
    assert_int_equal(kt_spawn(&f->sb, &filters, &f->io, f->tag, &f->run, &err), -1);
    assert_int_equal(l.calls, 2);
    assert_string_equal(err.msg, "the caller refused");
    assert_false(f->run.started);
    assert_string_equal(captured(f->out_fd), "");
    no_group_left(f);
}

/* The network namespace made ahead (netprep.h): the thread leaves the
 * caller's own namespace alone, hands the namespace over once, and the
 * sandbox runs in exactly that one (its inode), with loopback. */
static void netns_made_ahead(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    if (geteuid() != 0) skip();
    struct stat before, ns, after;
    assert_int_equal(stat("/proc/self/ns/net", &before), 0);
    kt_netprep np;
    kt_netprep_start(&np);
    if (!np.started) skip(); /* one CPU: nothing made ahead, the clone makes it */
    int fd = kt_netprep_take(&np);
    assert_true(fd >= 0);
    assert_false(np.started);
    assert_int_equal(kt_netprep_take(&np), -1); /* once */
    assert_int_equal(fstat(fd, &ns), 0);
    assert_int_equal(stat("/proc/self/ns/net", &after), 0);
    assert_int_equal(before.st_ino, after.st_ino); /* the caller is where it was */
    assert_true(ns.st_ino != before.st_ino);
    np.fd = fd; /* handed to spawn as if the thread were still to be joined */
    char *argv[] = {"/bin/sh", "-c",
                    "readlink /proc/self/ns/net; grep -q '^ *lo:' /proc/net/dev && echo lo", NULL};
    kt_err err;
    prepare(f, argv);
    f->sb.netprep = &np;
    if (go(f, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(np.fd, -1);          /* taken */
    assert_int_equal(f->sb.netns_fd, -1); /* and closed */
    char want[64];
    snprintf(want, sizeof want, "net:[%lu]\nlo\n", (unsigned long)ns.st_ino);
    assert_string_equal(captured(f->out_fd), want);
    no_group_left(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exit_codes_and_output, setup, teardown),
        cmocka_unit_test_setup_teardown(output_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(not_started, setup, teardown),
        cmocka_unit_test_setup_teardown(exec_once, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(pids_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(runner_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(meanwhile, setup, teardown),
        cmocka_unit_test_setup_teardown(netns_made_ahead, setup, teardown),
    };
    return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
