/* The profile ladder (kt_ladder_load, kt_ladder_run): profiles tried in
 * order and the ladder stopping at the first under which the payload
 * started, or running all of them; a runner failure that still leaves
 * ladder.json with runner_error and no half attempt; a stop signal; /out per
 * attempt with only the canonical attempt's files on the host; names that
 * cannot be record directories refused before anything runs; attempts
 * killed runners left behind removed. */
#include "sbutil.h"

#include "../../sandbox/ladder.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

typedef struct fx {
    char *dir;
    char rec[4096], out[4096], strict[4096], safe[4096];
    kt_sandbox sb;
    kt_ladder l;
} fx;

static void copy_profile(const char *rel, const char *to)
{
    char *from = tu_fixture(rel);
    size_t n;
    uint8_t *b = tu_slurp(from, &n);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
    free(b);
    free(from);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    chmod(f->dir, 0755);
    snprintf(f->rec, sizeof f->rec, "%s/rec", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    snprintf(f->strict, sizeof f->strict, "%s/strict.json", f->dir);
    snprintf(f->safe, sizeof f->safe, "%s/safe.json", f->dir);
    copy_profile("profiles/seccomp-deny-by-default.json", f->strict);
    copy_profile("profiles/seccomp-startup-safe.json", f->safe);
    assert_int_equal(mkdir(f->rec, 0755), 0);
    f->l.sb = &f->sb;
    f->l.record = f->rec;
    f->l.sigfd = -1;
    f->l.image_digest = "sha256:00";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kt_ladder_free(&f->l);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static int load(fx *f, const char *a, const char *b, kt_err *err)
{
    const char *paths[] = {a, b};
    return kt_ladder_load(&f->l, paths, b ? 2 : 1, NULL, err);
}

static cJSON *ladder_json(fx *f)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/ladder.json", f->rec);
    size_t n;
    uint8_t *b = tu_slurp(p, &n);
    cJSON *o = cJSON_ParseWithLength((const char *)b, n);
    free(b);
    assert_non_null(o);
    return o;
}

static int exists(fx *f, const char *rel)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", f->rec, rel);
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Nothing named .partial-* is left in the record. */
static void no_partial(fx *f)
{
    DIR *d = opendir(f->rec);
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, ".partial-", 9)) fail_msg("left behind: %s", de->d_name);
    closedir(d);
}

/* Strictest first: not started under the strict profile, started under the
 * next, which is canonical; the ladder stops there. */
static void order_and_stop(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/true", NULL};
    sb_defaults(&f->sb, argv);
    kt_err err;
    if (load(f, f->strict, f->safe, &err) < 0) fail_msg("%s", err.msg);
    assert_string_equal(f->l.att[0].name, "strict");
    if (kt_ladder_run(&f->l, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->l.canonical, 1);
    assert_true(f->l.att[0].ran && !f->l.att[0].run.started);
    assert_int_equal(f->l.att[0].run.exec_errno, EPERM);
    assert_true(f->l.att[1].ran && f->l.att[1].run.started);
    assert_true(exists(f, "strict/run.json") && exists(f, "safe/run.json"));
    no_partial(f);
    cJSON *o = ladder_json(f);
    assert_string_equal(cJSON_GetObjectItem(o, "canonical")->valuestring, "safe");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "runner_error")));
    cJSON_Delete(o);
}

/* The first that starts is canonical; later ones are not tried unless
 * --all-profiles, and ladder.json still lists them. */
static void all_profiles(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char *argv[] = {"/bin/true", NULL};
    sb_defaults(&f->sb, argv);
    kt_err err;
    if (load(f, f->safe, f->strict, &err) < 0) fail_msg("%s", err.msg);
    if (kt_ladder_run(&f->l, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->l.canonical, 0);
    assert_false(f->l.att[1].ran);
    assert_false(exists(f, "strict"));
    cJSON *o = ladder_json(f);
    cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "attempts"), 1);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(second, "attempted")));
    cJSON_Delete(o);

    kt_ladder_free(&f->l);
    char rec2[4200];
    snprintf(rec2, sizeof rec2, "%s/rec2", f->dir);
    assert_int_equal(mkdir(rec2, 0755), 0);
    memset(&f->l, 0, sizeof f->l);
    f->l.sb = &f->sb, f->l.record = rec2, f->l.sigfd = -1, f->l.image_digest = "sha256:00";
    f->l.all = 1;
    if (load(f, f->safe, f->strict, &err) < 0) fail_msg("%s", err.msg);
    if (kt_ladder_run(&f->l, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->l.canonical, 0);
    assert_true(f->l.att[1].ran);
    assert_false(f->l.att[1].run.started);
}

/* None of this runner's groups for attempt i is left (the tag is ours:
 * kiemthu-PID-i, so a parallel run cannot change what this looks at). */
static void no_groups(fx *f, int i)
{
    const kt_cgroup_host *h = &f->l.cghost;
    char p[3 * 4096];
    if (h->v2_parent[0]) {
        snprintf(p, sizeof p, "%s/kiemthu-%d-%d", h->v2_parent, (int)getpid(), i);
        if (access(p, F_OK) == 0) fail_msg("left behind: %s", p);
    }
    for (int k = 0; k < KT_CG_V1_N; k++) {
        if (!h->v1_mnt[k][0]) continue;
        snprintf(p, sizeof p, "%s%s/kiemthu-%d-%d", h->v1_mnt[k],
                 strcmp(h->v1_own[k], "/") ? h->v1_own[k] : "", (int)getpid(), i);
        if (access(p, F_OK) == 0) fail_msg("left behind: %s", p);
    }
}

/* The runner fails (a profile exec-once cannot use, found while the sandbox
 * sets itself up, spawn.h): ladder.json is still written, with
 * runner_error; the failed attempt leaves nothing behind, neither files
 * nor cgroups. */
static void runner_failure(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char p[4200];
    snprintf(p, sizeof p, "%s/cond.json", f->dir);
    FILE *fp = fopen(p, "w");
    fputs("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"execve\"],"
          "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":0,\"op\":"
          "\"SCMP_CMP_EQ\"}]}]}",
          fp);
    fclose(fp);
    char *argv[] = {"/bin/true", NULL};
    sb_defaults(&f->sb, argv);
    f->l.exec_once = 1;
    kt_err err;
    if (load(f, p, NULL, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(kt_ladder_run(&f->l, &err), -1);
    assert_non_null(strstr(err.msg, "--exec-once needs unconditional"));
    assert_false(exists(f, "cond"));
    no_partial(f);
    no_groups(f, 0);
    cJSON *o = ladder_json(f);
    const cJSON *re = cJSON_GetObjectItem(o, "runner_error");
    assert_true(cJSON_IsString(re));
    assert_non_null(strstr(re->valuestring, "--exec-once"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "canonical")));
    cJSON_Delete(o);
}

/* A stop signal (pending before the first attempt): nothing more runs,
 * ladder.json says interrupted. */
static void interrupted(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    assert_int_equal(raise(SIGHUP), 0);
    char *argv[] = {"/bin/true", NULL};
    sb_defaults(&f->sb, argv);
    f->l.sigfd = sfd;
    kt_err err;
    if (load(f, f->strict, f->safe, &err) < 0) fail_msg("%s", err.msg);
    if (kt_ladder_run(&f->l, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->l.interrupted, SIGHUP);
    assert_int_equal(f->l.canonical, -1);
    assert_false(f->l.att[0].ran);
    cJSON *o = ladder_json(f);
    assert_string_equal(cJSON_GetObjectItem(o, "interrupted")->valuestring, "SIGHUP");
    cJSON_Delete(o);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Each attempt's /out goes into its record; the host --out gets the
 * canonical attempt's files only (the later attempt under --all-profiles
 * writes other bytes under the same name). */
static void out_per_attempt(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    char p[4200];
    snprintf(p, sizeof p, "%s/safe2.json", f->dir);
    copy_profile("profiles/seccomp-startup-safe.json", p);
    assert_int_equal(mkdir(f->out, 0755), 0);
    char *argv[] = {"/bin/sh", "-c",
                    "cat /proc/sys/kernel/random/uuid > /out/pid; ln -s /etc/passwd /out/l", NULL};
    sb_defaults(&f->sb, argv);
    f->sb.out_dir = f->out;
    f->sb.out_size = 1 << 20;
    f->l.all = 1;
    kt_err err;
    if (load(f, f->safe, p, &err) < 0) fail_msg("%s", err.msg);
    if (kt_ladder_run(&f->l, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(f->l.canonical, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f->l.att[i].out.nfiles, 1);
        assert_string_equal(f->l.att[i].out.refused[0].reason, "symlink");
    }
    assert_true(exists(f, "safe/out/pid") && exists(f, "safe2/out/pid"));
    size_t n1, n2;
    snprintf(p, sizeof p, "%s/safe/out/pid", f->rec);
    uint8_t *a = tu_slurp(p, &n1);
    snprintf(p, sizeof p, "%s/pid", f->out);
    uint8_t *b = tu_slurp(p, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1); /* the canonical attempt's */
    free(a);
    snprintf(p, sizeof p, "%s/safe2/out/pid", f->rec);
    a = tu_slurp(p, &n1);
    assert_true(n1 != n2 || memcmp(a, b, n1)); /* the other attempt wrote other bytes */
    free(a), free(b);
    snprintf(p, sizeof p, "%s/l", f->out);
    struct stat st;
    assert_int_equal(lstat(p, &st), -1);
}

/* Before anything runs: names that cannot be record directories, two
 * profiles with one name, a record that already has the attempt, more than
 * KT_LADDER_MAX profiles, a profile that is not there. */
static void load_refusals(void **state)
{
    fx *f = *state;
    char p[4200], q[4200];
    kt_err err;
    static const char *const bad[] = {".hidden.json", "a b.json", "x;y.json"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, bad[i]);
        copy_profile("profiles/seccomp-startup-safe.json", p);
        assert_int_equal(load(f, p, NULL, &err), -1);
        assert_non_null(strstr(err.msg, "names the record directory"));
        kt_ladder_free(&f->l);
    }
    snprintf(p, sizeof p, "%s/-.json", f->dir); /* odd but allowed */
    copy_profile("profiles/seccomp-startup-safe.json", p);
    assert_int_equal(load(f, p, NULL, &err), 0);
    kt_ladder_free(&f->l);
    snprintf(q, sizeof q, "%s/sub", f->dir);
    assert_int_equal(mkdir(q, 0755), 0);
    snprintf(q, sizeof q, "%s/sub/safe.json", f->dir);
    copy_profile("profiles/seccomp-startup-safe.json", q);
    assert_int_equal(load(f, f->safe, q, &err), -1);
    assert_non_null(strstr(err.msg, "two profiles named safe"));
    kt_ladder_free(&f->l);
    snprintf(q, sizeof q, "%s/safe", f->rec);
    assert_int_equal(mkdir(q, 0755), 0);
    assert_int_equal(load(f, f->safe, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "use a new --record directory"));
    kt_ladder_free(&f->l);
    rmdir(q);
    snprintf(q, sizeof q, "%s/none.json", f->dir);
    assert_int_equal(load(f, q, NULL, &err), -1);
    assert_int_equal(err.cls, KT_E_NOINPUT);
    kt_ladder_free(&f->l);
    const char *many[KT_LADDER_MAX + 1];
    for (int i = 0; i <= KT_LADDER_MAX; i++) many[i] = f->safe;
    assert_int_equal(kt_ladder_load(&f->l, many, KT_LADDER_MAX + 1, NULL, &err), -1);
    assert_int_equal(err.cls, KT_E_USAGE);
}

/* An attempt a killed runner left half-written (.partial-NAME.PID, that
 * PID gone) is removed by the next run into the record; one whose runner
 * still runs is left alone. */
static void reclaims_partials(void **state)
{
    fx *f = *state;
    sb_needs_sandbox();
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char name[64], live[64];
    snprintf(name, sizeof name, ".partial-old.%d", (int)dead);
    snprintf(live, sizeof live, ".partial-other.%d", (int)getppid());
    char rel[200];
    snprintf(rel, sizeof rel, "%s/out/deep/file", name);
    tu_writes(f->rec, rel, "payload's");
    tu_writes(f->rec, ".partial-old.0/ignored", ""); /* not a pid: left alone */
    snprintf(rel, sizeof rel, "%s/stdout", name);
    tu_writes(f->rec, rel, "half");
    snprintf(rel, sizeof rel, "%s/stdout", live);
    tu_writes(f->rec, rel, "running");
    /* a dead runner that had our pid: its half attempt is where ours goes */
    snprintf(rel, sizeof rel, ".partial-safe.%d/stdout", (int)getpid());
    tu_writes(f->rec, rel, "namesake's");
    char *argv[] = {"/bin/true", NULL};
    sb_defaults(&f->sb, argv);
    kt_err err;
    if (load(f, f->safe, NULL, &err) < 0) fail_msg("%s", err.msg);
    if (kt_ladder_run(&f->l, &err) < 0) fail_msg("%s", err.msg);
    assert_false(exists(f, name));
    assert_true(exists(f, live));
    assert_true(exists(f, ".partial-old.0"));
    assert_true(f->l.att[0].run.started && exists(f, "safe/run.json"));
    snprintf(rel, sizeof rel, ".partial-safe.%d", (int)getpid());
    assert_false(exists(f, rel));
    no_groups(f, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(order_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(all_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(runner_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(out_per_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(load_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(reclaims_partials, setup, teardown),
    };
    return cmocka_run_group_tests_name("ladder", tests, NULL, NULL);
}
