/* The run record (docs/RUN_RECORD.md): run.json and ladder.json built from a
 * ladder the test fills by hand, read back as JSON. Canonical bytes, every
 * field the schema promises, the null / true / false cases, names in the
 * bundle's member-name encoding, nothing left under a temporary name, and
 * the one-line outcome for every way an attempt can end. */
#include "testutil.h"

#include "../../core/json_canon.h"
#include "../../sandbox/ladder.h"
#include "../../sandbox/record.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>

static const char profile_json[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[]}";

typedef struct fx {
    char *dir;
    int dirfd;
    kt_sandbox sb;
    kt_ladder l;
    char *argv[3];
    char path_env[64];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    kt_sandbox *sb = &f->sb;
    f->argv[0] = "/usr/bin/printf";
    f->argv[1] = "a\x01\"b";
    sb->argv = f->argv;
    snprintf(f->path_env, sizeof f->path_env, "PATH=/usr/bin");
    sb->envp[0] = f->path_env;
    sb->uid = sb->gid = 65532;
    sb->output_cap = 1024;
    sb->tmp_size = 16 << 20;
    sb->limits[KT_LIMIT_PIDS] = (kt_limit){64, "cgroup1"};
    sb->limits[KT_LIMIT_MEMORY] = (kt_limit){256 << 20, "rlimit"};
    sb->limits[KT_LIMIT_SWAP] = (kt_limit){256 << 20, "none"};
    sb->limits[KT_LIMIT_CPUS] = (kt_limit){1000, "affinity"};
    sb->out_dir = "/host/out";
    sb->out_size = 1 << 20;
    sb->out_caps = (kt_out_caps){1 << 20, 4096, 32};
    kt_ladder *l = &f->l;
    l->sb = sb;
    l->record = f->dir;
    l->image_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    l->canonical = -1;
    kt_err err;
    for (int i = 0; i < 2; i++) {
        kt_attempt *a = &l->att[i];
        snprintf(a->name, sizeof a->name, "p%d", i);
        if (kt_profile_parse(profile_json, strlen(profile_json), "p.json", &a->profile, &err) < 0)
            fail_msg("%s", err.msg);
        a->run.exit_code = -1;
    }
    l->n = 2;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < f->l.n; i++) {
        kt_profile_free(f->l.att[i].profile);
        kt_outcopy_free(&f->l.att[i].out);
    }
    kt_profile_free(f->l.baseline);
    close(f->dirfd);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* Read dir/name, check it is canonical JSON, return the tree. */
static cJSON *read_back(fx *f, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", f->dir, name);
    size_t n;
    uint8_t *bytes = tu_slurp(p, &n);
    cJSON *doc = NULL;
    kt_err err;
    if (kt_json_parse((const char *)bytes, n, name, &doc, &err) < 0) fail_msg("%s", err.msg);
    kt_buf b;
    kt_buf_init(&b, 0);
    assert_int_equal(kt_json_emit_doc(doc, &b, &err), 0);
    assert_int_equal(b.len, n); /* sorted keys, no whitespace, one newline */
    assert_memory_equal(b.data, bytes, n);
    kt_buf_free(&b);
    free(bytes);
    return doc;
}

static const cJSON *at(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *save, *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    if (!cur) fail_msg("no %s", path);
    return cur;
}

static void no_temporaries(fx *f)
{
    DIR *d = opendir(f->dir);
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            fail_msg("left behind: %s", de->d_name);
    closedir(d);
}

/* A started attempt under cgroup v1 pids and rlimit memory, with /out files
 * whose names need encoding and a refusal. */
static void run_json_started(void **state)
{
    fx *f = *state;
    kt_attempt *a = &f->l.att[0];
    a->ran = 1;
    a->run.started = 1;
    a->run.exit_code = 3;
    a->run.duration_ms = 12;
    a->run.bytes[0] = 2000, a->run.stored[0] = 1024;
    a->run.bytes[1] = 5, a->run.stored[1] = 5;
    a->run.cgroup.version = 1;
    a->run.cgroup.hits[KT_LIMIT_PIDS] = (kt_limit_hit){1, NULL, 1, {{"max", 7}}};
    a->run.cgroup.hits[KT_LIMIT_MEMORY] = (kt_limit_hit){-1, "rlimit: no count", 0, {{0}}};
    a->run.cgroup.hits[KT_LIMIT_SWAP] = (kt_limit_hit){-1, "not enforced, so never hit", 0, {{0}}};
    a->run.cgroup.hits[KT_LIMIT_CPUS] = (kt_limit_hit){0, NULL, 0, {{0}}};
    snprintf(a->run.cgroup_why, sizeof a->run.cgroup_why, "no writable cgroup for memory");
    a->out_mode = "tmpfs";
    a->out.files = calloc(1, sizeof *a->out.files);
    a->out.files[0] = (kt_outfile){strdup("dir/a b\xff"), 3, "abc"};
    a->out.nfiles = 1;
    a->out.bytes = 3;
    a->out.refused = calloc(1, sizeof *a->out.refused);
    a->out.refused[0] = (kt_outrefusal){strdup("link"), "symlink"};
    a->out.nrefused = 1;
    a->out.refused_more = 2;
    kt_err err;
    assert_int_equal(kt_record_run(f->dirfd, &f->l, a, &err), 0);
    no_temporaries(f);
    cJSON *o = read_back(f, "run.json");
    assert_int_equal(at(o, "schema")->valueint, 2);
    assert_string_equal(at(o, "profile")->valuestring, "p0");
    assert_int_equal(strlen(at(o, "profile_sha256")->valuestring), 64);
    assert_string_equal(at(o, "baseline")->valuestring, "none");
    assert_true(cJSON_IsTrue(at(o, "started")));
    assert_string_equal(at(o, "outcome")->valuestring, "started, exit 3");
    assert_int_equal(at(o, "exit_code")->valueint, 3);
    assert_true(cJSON_IsNull(at(o, "signal")));
    assert_true(cJSON_IsNull(at(o, "not_started_errno")));
    assert_true(cJSON_IsNull(at(o, "interrupted")));
    assert_string_equal(cJSON_GetArrayItem(at(o, "argv"), 1)->valuestring, "a\x01\"b");
    assert_string_equal(at(o, "image_kind")->valuestring, "host-program");
    assert_true(cJSON_IsTrue(at(o, "limits.pids.hit")));
    assert_int_equal(at(o, "limits.pids.events.max")->valueint, 7);
    assert_string_equal(at(o, "limits.pids.enforced_by")->valuestring, "cgroup1");
    assert_true(cJSON_IsNull(at(o, "limits.memory.hit")));
    assert_string_equal(at(o, "limits.memory.hit_unknown")->valuestring, "rlimit: no count");
    assert_true(cJSON_IsFalse(at(o, "limits.cpus.hit")));
    assert_int_equal(at(o, "limits.cpus.value")->valueint, 1000);
    assert_int_equal(at(o, "cgroup.version")->valueint, 1);
    assert_string_equal(at(o, "cgroup.fallback_reason")->valuestring,
                        "no writable cgroup for memory");
    assert_true(cJSON_IsTrue(at(o, "stdout.truncated")));
    assert_int_equal(at(o, "stdout.bytes")->valueint, 2000);
    assert_true(cJSON_IsFalse(at(o, "stderr.truncated")));
    const cJSON *file = cJSON_GetArrayItem(at(o, "out.files"), 0);
    assert_string_equal(at(file, "name")->valuestring, "dir/a%20b%FF");
    assert_string_equal(at(o, "out.mode")->valuestring, "tmpfs");
    assert_int_equal(at(o, "out.refused_more")->valueint, 2);
    assert_string_equal(at(cJSON_GetArrayItem(at(o, "out.refused"), 0), "reason")->valuestring,
                        "symlink");
    assert_true(cJSON_IsNull(at(o, "out.stopped")));
    assert_true(cJSON_IsNull(at(o, "exec_once")));
    assert_int_equal(at(o, "isolation.uid")->valueint, 65532);
    cJSON_Delete(o);
}

/* Killed by a signal (no exit code), interrupted by the runner's stop
 * signal, with the baseline recorded by name and sha256, exec-once on, and
 * no --out. */
static void run_json_killed(void **state)
{
    fx *f = *state;
    kt_err err;
    const char *bl = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}";
    assert_int_equal(kt_profile_parse(bl, strlen(bl), "b", &f->l.baseline, &err), 0);
    f->l.baseline_name = "kiemthu-baseline";
    f->sb.out_dir = NULL;
    f->sb.exec_once_errno = 1;
    kt_attempt *a = &f->l.att[1];
    a->ran = 1;
    a->run.started = 1;
    a->run.signal = SIGKILL;
    a->run.interrupted = SIGTERM;
    a->run.exec_once = 1;
    a->run.first_exec_allowed = 1;
    a->run.execs_denied = 4;
    for (int i = 0; i < KT_LIMIT_N; i++) a->run.cgroup.hits[i].hit = 0;
    assert_int_equal(kt_record_run(f->dirfd, &f->l, a, &err), 0);
    cJSON *o = read_back(f, "run.json");
    assert_true(cJSON_IsNull(at(o, "exit_code")));
    assert_int_equal(at(o, "signal")->valueint, 9);
    assert_string_equal(at(o, "signal_name")->valuestring, "KILL");
    assert_string_equal(at(o, "interrupted")->valuestring, "SIGTERM");
    assert_string_equal(at(o, "outcome")->valuestring,
                        "runner interrupted by SIGTERM (the payload had started)");
    assert_string_equal(at(o, "baseline.name")->valuestring, "kiemthu-baseline");
    assert_string_equal(at(o, "baseline.sha256")->valuestring, kt_profile_sha256(f->l.baseline));
    assert_true(cJSON_IsTrue(at(o, "exec_once.first_exec_allowed")));
    assert_int_equal(at(o, "exec_once.later_execs_denied")->valueint, 4);
    assert_true(cJSON_IsNull(at(o, "out")));
    assert_true(cJSON_IsNull(at(o, "cgroup.version")));
    cJSON_Delete(o);
}

/* ladder.json: every profile in order, attempted or not; canonical; a
 * runner error and an interruption are said as they are. */
static void ladder_json(void **state)
{
    fx *f = *state;
    kt_err err;
    f->l.att[0].ran = 1;
    f->l.att[0].run.exec_errno = 1;
    assert_int_equal(kt_record_ladder(f->dirfd, &f->l, &err), 0);
    no_temporaries(f);
    cJSON *o = read_back(f, "ladder.json");
    assert_int_equal(at(o, "schema")->valueint, 2);
    assert_true(cJSON_IsNull(at(o, "canonical")));
    assert_true(cJSON_IsNull(at(o, "runner_error")));
    assert_true(cJSON_IsNull(at(o, "interrupted")));
    const cJSON *att = at(o, "attempts");
    assert_int_equal(cJSON_GetArraySize(att), 2);
    assert_string_equal(at(cJSON_GetArrayItem(att, 0), "outcome")->valuestring,
                        "not started: execve: Operation not permitted");
    assert_true(cJSON_IsFalse(at(cJSON_GetArrayItem(att, 1), "attempted")));
    assert_string_equal(at(cJSON_GetArrayItem(att, 1), "outcome")->valuestring, "not tried");
    cJSON_Delete(o);

    f->l.att[1].ran = 1;
    f->l.att[1].run.started = 1;
    f->l.canonical = 1;
    f->l.interrupted = SIGHUP;
    snprintf(f->l.runner_error, sizeof f->l.runner_error, "cannot write \"x\"");
    assert_int_equal(kt_record_ladder(f->dirfd, &f->l, &err), 0); /* replaces the last */
    o = read_back(f, "ladder.json");
    assert_string_equal(at(o, "canonical")->valuestring, "p1");
    assert_string_equal(at(o, "interrupted")->valuestring, "SIGHUP");
    assert_string_equal(at(o, "runner_error")->valuestring, "cannot write \"x\"");
    assert_true(cJSON_IsTrue(at(cJSON_GetArrayItem(at(o, "attempts"), 1), "started")));
    cJSON_Delete(o);
}

/* Where the record cannot be written, an error names the file; nothing
 * half-written stays behind. A symlink planted at the temporary name is
 * not followed. */
static void write_failures(void **state)
{
    fx *f = *state;
    kt_err err;
    tu_writes(f->dir, "victim", "untouched");
    char p[4096], t[4096];
    snprintf(p, sizeof p, "%s/.run.json.tmp", f->dir);
    snprintf(t, sizeof t, "%s/victim", f->dir);
    assert_int_equal(symlink(t, p), 0);
    assert_int_equal(kt_record_run(f->dirfd, &f->l, &f->l.att[0], &err), -1);
    assert_non_null(strstr(err.msg, ".run.json.tmp"));
    size_t n;
    uint8_t *b = tu_slurp(t, &n);
    assert_memory_equal(b, "untouched", n);
    free(b);
    unlink(p);
    int ro = open("/proc", O_RDONLY | O_DIRECTORY); /* not writable by anyone */
    assert_int_equal(kt_record_ladder(ro, &f->l, &err), -1);
    assert_non_null(strstr(err.msg, "ladder.json"));
    close(ro);
}

/* Every way an attempt ends, in one line. */
static void outcomes(void **state)
{
    (void)state;
    static const struct {
        int ran, failed, started, exit_code, sig, timed_out, oom, interrupted, exec_errno;
        const char *want;
    } cases[] = {
        {0, 0, 0, -1, 0, 0, 0, 0, 0, "not tried"},
        {1, 1, 0, -1, 0, 0, 0, 0, 0, "not run: the runner failed"},
        {1, 0, 0, -1, 0, 0, 0, 0, 2, "not started: execve: No such file or directory"},
        {1, 0, 1, 0, 0, 0, 0, 0, 0, "started, exit 0"},
        {1, 0, 1, -1, 9, 1, 0, 0, 0, "started, killed at the timeout"},
        {1, 0, 1, -1, 9, 0, 1, 0, 0, "started, killed by signal 9 (Killed), out of memory"},
        {1, 0, 1, -1, 11, 0, 0, 0, 0, "started, killed by signal 11 (Segmentation fault)"},
        {1, 0, 0, -1, 0, 0, 0, 2, 0, "runner interrupted by SIGINT"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_attempt a;
        memset(&a, 0, sizeof a);
        a.ran = cases[i].ran, a.runner_failed = cases[i].failed;
        a.run.started = cases[i].started, a.run.exit_code = cases[i].exit_code;
        a.run.signal = cases[i].sig, a.run.timed_out = cases[i].timed_out;
        a.run.oom_killed = cases[i].oom, a.run.interrupted = cases[i].interrupted;
        a.run.exec_errno = cases[i].exec_errno;
        char out[256];
        kt_attempt_outcome(&a, out, sizeof out);
        assert_string_equal(out, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(run_json_started, setup, teardown),
        cmocka_unit_test_setup_teardown(run_json_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(ladder_json, setup, teardown),
        cmocka_unit_test_setup_teardown(write_failures, setup, teardown),
        cmocka_unit_test(outcomes),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
