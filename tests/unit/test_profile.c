/* Docker-format seccomp profiles: the seed's two and Docker's default load;
 * each class of malformed profile is refused with its JSON path; compiled
 * filters are loaded in forked children to see what the kernel enforces. */
#include "testutil.h"

#include <valgrind/valgrind.h>

#include "../../sandbox/baseline.h"
#include "../../sandbox/filter.h"
#include "../../core/buf.h"
#include "../../sandbox/profile.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static kt_profile *load_fixture(const char *rel)
{
    char *path = tu_fixture(rel);
    kt_profile *p = NULL;
    kt_err err;
    if (kt_profile_load(path, &p, &err) < 0) fail_msg("%s: %s", rel, err.msg);
    free(path);
    return p;
}

static kt_profile *parse(const char *json, kt_err *err)
{
    kt_profile *p = NULL;
    if (kt_profile_parse(json, strlen(json), "t.json", &p, err) < 0) return NULL;
    return p;
}

/* Compiled for this sandbox (no capabilities, this kernel and arch). The
 * caller frees it with kt_filter_free. */
static kt_filter *compile(const kt_profile *p)
{
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter *f = calloc(1, sizeof *f);
    kt_err err;
    assert_non_null(f);
    if (kt_filter_compile(p, &env, NULL, f, &err) < 0) fail_msg("compile: %s", err.msg);
    return f;
}

static void release(kt_filter *f)
{
    kt_filter_free(f);
    free(f);
}

typedef int (*probe_fn)(void);

/* Load ctx in a child, run fn there, return what it returned (an errno). */
/* Called first by every test that loads a filter, before it allocates. */
static void needs_seccomp(void)
{
    if (RUNNING_ON_VALGRIND) {
        print_message("SKIPPED: loading a seccomp filter (valgrind 3.19 cannot run under one)\n");
        skip();
    }
}

/* Install the filter in a child exactly as the sandbox does (NNP, then one
 * seccomp(2) call with the exported BPF), run fn there, return its errno. */
static int in_child(const kt_filter *f, probe_fn fn)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sock_fprog prog = {f->bpf.len, f->bpf.insns};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->bpf.flags, &prog) < 0)
            _exit(250);
        _exit(fn());
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int try_socket(int fam)
{
    int fd = socket(fam, SOCK_STREAM, 0);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}
static int sock_inet(void)
{
    return try_socket(AF_INET);
}
static int sock_unix(void)
{
    return try_socket(AF_UNIX);
}
static int sock_vsock(void)
{
    return try_socket(AF_VSOCK);
}
static int do_clone3(void)
{
    return syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
}
static int do_mount(void)
{
    return syscall(SYS_mount, "x", "/nonexistent", "tmpfs", 0, NULL) < 0 ? errno : 0;
}
static int do_getpid(void)
{
    return syscall(SYS_getpid) < 0 ? errno : 0;
}
static int do_dup100(void)
{
    return dup2(0, 100) < 0 || syscall(SYS_dup, 100) < 0 ? errno : 0;
}
static int do_dup101(void)
{
    return dup2(0, 101) < 0 || syscall(SYS_dup, 101) < 0 ? errno : 0;
}
static int do_dup0(void)
{
    return syscall(SYS_dup, 0) < 0 ? errno : 0;
}

static void seed_profiles(void **state)
{
    (void)state;
    needs_seccomp();
    kt_profile *safe = load_fixture("profiles/seccomp-startup-safe.json");
    kt_profile *strict = load_fixture("profiles/seccomp-deny-by-default.json");
    kt_filter *c1 = compile(safe), *c2 = compile(strict);
    const kt_denied *d;
    size_t n = c1->ndenied;
    d = c1->denied;
    assert_int_equal(n, 32);
    int socket_seen = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].action, SCMP_ACT_ERRNO(1));
        assert_string_not_equal(d[i].name, "execve");
        socket_seen |= !strcmp(d[i].name, "socket");
    }
    assert_true(socket_seen);
    n = c2->ndenied;
    d = c2->denied;
    assert_int_equal(n, 34);
    assert_string_equal(d[33].name, "execveat");
    assert_int_equal(c2->default_action, SCMP_ACT_ALLOW);
    assert_int_equal(in_child(c1, sock_inet), EPERM);
    assert_int_equal(in_child(c1, sock_unix), EPERM);
    assert_int_equal(in_child(c1, do_getpid), 0);
    assert_int_equal(strlen(kt_profile_sha256(safe)), 64);
    release(c1);
    release(c2);
    kt_profile_free(safe);
    kt_profile_free(strict);
}

static void docker_default_profile(void **state)
{
    (void)state;
    needs_seccomp();
    char *path = tu_fixture("tests/fixtures/moby-default-seccomp.json");
    kt_profile *p = NULL;
    kt_err err;
    if (kt_profile_load(path, &p, &err) < 0) fail_msg("%s", err.msg);
    kt_filter *c = compile(p);
    /* socket: allowed only for families < 38, == 39, > 40: AF_VSOCK (40) gets the default errno */
    assert_int_equal(in_child(c, sock_vsock), 1);
    assert_int_equal(in_child(c, sock_unix), 0);
    assert_int_equal(in_child(c, sock_inet), 0);
    /* clone3 -> ENOSYS for a sandbox without CAP_SYS_ADMIN (excludes.caps) */
    assert_int_equal(in_child(c, do_clone3), ENOSYS);
    /* mount is only allowed with CAP_SYS_ADMIN (includes.caps): default errno 1 */
    assert_int_equal(in_child(c, do_mount), 1);
    assert_int_equal(in_child(c, do_getpid), 0);
    assert_int_equal(c->default_action, SCMP_ACT_ERRNO(1));
    release(c);
    kt_profile_free(p);
    free(path);
}

static void malformed_profiles(void **state)
{
    (void)state;
    static const struct {
        const char *json, *expect;
    } cases[] = {
        {"{", "invalid JSON"},
        {"[]", "$: a profile must be a JSON object"},
        {"{}", "$.defaultAction: missing"},
        {"{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "$.defaultAction: unknown action"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[],\"archMap\":[]}", "both"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}",
         "$.architectures[0]: unknown architecture"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultAcion\":1}",
         "$.defaultAcion: unknown field"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
         "$.flags[0]: unknown flag"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":-1}", "$.defaultErrnoRet"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
         "$.syscalls[0]: needs \"names\""},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
         "\"X\"}]}",
         "$.syscalls[0].action: unknown action"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\",\"action\":"
         "\"SCMP_ACT_ERRNO\"}]}",
         "$.syscalls[0].names: must be an array"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
         "\"SCMP_ACT_ERRNO\","
         "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
         "$.syscalls[0].args[0]: \"index\" must be 0..5"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
         "\"SCMP_ACT_ERRNO\","
         "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}",
         "$.syscalls[0].args[0]: unknown or missing \"op\""},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
         "\"SCMP_ACT_ERRNO\","
         "\"errnoRet\":5000}]}",
         "$.syscalls[0].errnoRet"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
         "\"SCMP_ACT_ERRNO\","
         "\"includes\":{\"minKernel\":\"four\"}}]}",
         "$.syscalls[0].includes.minKernel"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
         "\"SCMP_ACT_ERRNO\","
         "\"includes\":{\"kaps\":[]}}]}",
         "$.syscalls[0].includes.kaps: unknown field"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\"}",
         "seccomp agents"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_err err;
        kt_profile *p = parse(cases[i].json, &err);
        if (p) fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (!strstr(err.msg, cases[i].expect) || !strstr(err.msg, "t.json"))
            fail_msg("case %zu: want \"%s\", got \"%s\"", i, cases[i].expect, err.msg);
    }
}

/* A rule of n conditions "arg0 == i" on personality, and r copies of it:
 * the review's profiles (2026-11-29). */
static char *big_profile(int n, int r)
{
    kt_buf b;
    kt_err e;
    kt_buf_init(&b, 0);
    assert_int_equal(kt_buf_puts(&b, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[", &e),
                     0);
    for (int k = 0; k < r; k++) {
        assert_int_equal(kt_buf_printf(&b, &e,
                                       "%s{\"names\":[\"personality\"],\"action\":"
                                       "\"SCMP_ACT_ERRNO\",\"args\":[",
                                       k ? "," : ""),
                         0);
        for (int i = 0; i < n; i++)
            assert_int_equal(kt_buf_printf(&b, &e,
                                           "%s{\"index\":0,\"value\":%d,\"op\":\"SCMP_CMP_EQ\"}",
                                           i ? "," : "", i),
                             0);
        assert_int_equal(kt_buf_puts(&b, "]}", &e), 0);
    }
    assert_int_equal(kt_buf_append(&b, "]}", 3, &e), 0); /* with the NUL */
    return (char *)b.data;
}

/* Conditions past the 48th were dropped by the compiler (an OR of
 * conditions then denied less than the profile says), and a profile large
 * enough overflows libseccomp 2.5.4's 16-bit instruction count: both are
 * refused when the profile is read, naming the path. */
static void profile_limits(void **state)
{
    (void)state;
    kt_err err;
    char *j = big_profile(KT_PROFILE_MAX_ARGS, 1);
    kt_profile *p = parse(j, &err);
    assert_non_null(p);
    kt_profile_free(p);
    free(j);
    j = big_profile(KT_PROFILE_MAX_ARGS + 1, 1);
    assert_null(parse(j, &err));
    assert_non_null(strstr(err.msg, "$.syscalls[0].args[48]: at most 48 conditions"));
    free(j);
    /* 41 rules of 48 conditions (2009 units) pass; 1025 of one condition (2050) do not */
    j = big_profile(KT_PROFILE_MAX_ARGS, KT_PROFILE_MAX_UNITS / (1 + KT_PROFILE_MAX_ARGS));
    p = parse(j, &err);
    assert_non_null(p);
    kt_profile_free(p);
    free(j);
    j = big_profile(1, KT_PROFILE_MAX_UNITS / 2 + 1);
    assert_null(parse(j, &err));
    assert_non_null(strstr(err.msg, "$.syscalls: too large"));
    free(j);
}

static void unknown_names_ignored(void **state)
{
    (void)state;
    needs_seccomp();
    kt_err err;
    kt_profile *p = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                          "[\"getpid\",\"no_such_syscall_xyz\"],\"action\":\"SCMP_ACT_ERRNO\","
                          "\"errnoRet\":42}]}",
                          &err);
    assert_non_null(p);
    kt_filter *c = compile(p);
    assert_int_equal(c->nignored, 1);
    assert_string_equal(c->ignored[0], "no_such_syscall_xyz");
    assert_int_equal(in_child(c, do_getpid), 42);
    release(c);
    kt_profile_free(p);
}

static void includes_min_kernel(void **state)
{
    (void)state;
    needs_seccomp();
    kt_err err;
    kt_profile *future = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                               "[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":"
                               "{\"minKernel\":\"99.0\"}}]}",
                               &err);
    kt_profile *past = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                             "[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":"
                             "{\"minKernel\":\"3.0\",\"arches\":[\"amd64\",\"arm64\"]}}]}",
                             &err);
    kt_profile *capped = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                               "[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":"
                               "{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}",
                               &err);
    assert_non_null(future);
    assert_non_null(past);
    assert_non_null(capped);
    kt_filter *a = compile(future), *b = compile(past), *c = compile(capped);
    assert_int_equal(in_child(a, do_getpid), 0);     /* rule dropped: kernel too old */
    assert_int_equal(in_child(b, do_getpid), EPERM); /* errnoRet defaults to EPERM */
    assert_int_equal(in_child(c, do_getpid), 0);     /* no caps after cap-drop ALL */
    release(a), release(b), release(c);
    kt_profile_free(future), kt_profile_free(past), kt_profile_free(capped);
}

/* runc: two conditions on one argument index are two rules (OR), not AND. */
static void same_index_conditions_are_or(void **state)
{
    (void)state;
    needs_seccomp();
    kt_err err;
    kt_profile *p =
        parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],"
              "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,\"args\":["
              "{\"index\":0,\"value\":100,\"op\":\"SCMP_CMP_EQ\"},"
              "{\"index\":0,\"value\":101,\"op\":\"SCMP_CMP_EQ\"}]}]}",
              &err);
    assert_non_null(p);
    kt_filter *c = compile(p);
    assert_int_equal(in_child(c, do_dup100), 77);
    assert_int_equal(in_child(c, do_dup101), 77);
    assert_int_equal(in_child(c, do_dup0), 0);
    release(c);
    kt_profile_free(p);
}

static void notify_refused_at_compile(void **state)
{
    (void)state;
    kt_err err;
    kt_profile *p =
        parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],"
              "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
              &err);
    assert_non_null(p);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter f;
    assert_int_equal(kt_filter_compile(p, &env, NULL, &f, &err), -1);
    assert_non_null(strstr(err.msg, "$.syscalls[0].action: SCMP_ACT_NOTIFY"));
    kt_profile_free(p);
}

/* One read (core/jsondoc): the bytes shown to the payload and the sha256 in
 * the record are exactly the file's; a syntax error names the file, line and
 * column; a file over the 4 MiB cap is refused before it is parsed. */
static void read_once(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    const char *json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": []}\n";
    tu_writes(dir, "p.json", json);
    char path[4096];
    snprintf(path, sizeof path, "%s/p.json", dir);
    kt_profile *p = NULL;
    kt_err err;
    if (kt_profile_load(path, &p, &err) < 0) fail_msg("%s", err.msg);
    size_t n;
    const char *bytes = kt_profile_bytes(p, &n);
    assert_int_equal(n, strlen(json));
    assert_memory_equal(bytes, json, n);
    uint8_t h[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    kt_sha256(json, strlen(json), h);
    kt_hex(h, sizeof h, hex);
    assert_string_equal(kt_profile_sha256(p), hex);
    assert_string_equal(kt_profile_file(p), path);
    kt_profile_free(p);

    tu_writes(dir, "bad.json", "{\"defaultAction\":\n  \"SCMP_ACT_ALLOW\" \"x\"}");
    snprintf(path, sizeof path, "%s/bad.json", dir);
    p = NULL;
    assert_int_equal(kt_profile_load(path, &p, &err), -1);
    assert_null(p);
    assert_non_null(strstr(err.msg, "bad.json"));
    assert_non_null(strstr(err.msg, "line 2, column"));

    char *big = malloc((4u << 20) + 2);
    assert_non_null(big);
    memset(big, ' ', (4u << 20) + 2);
    big[0] = '{', big[(4u << 20) + 1] = '}';
    tu_write(dir, "big.json", big, (4u << 20) + 2);
    free(big);
    snprintf(path, sizeof path, "%s/big.json", dir);
    assert_int_equal(kt_profile_load(path, &p, &err), -1);
    assert_null(p);
    assert_non_null(strstr(err.msg, "big.json"));
    tu_rmrf(dir);
}

/* The built-in baseline compiled when the sandbox was built (bpfgen) is the
 * program a compile here gives, byte for byte; another baseline's bytes are
 * never taken for it. */
static void baseline_precompiled(void **state)
{
    (void)state;
    kt_profile *b = NULL;
    const char *name;
    kt_err err;
    assert_int_equal(kt_baseline_load(NULL, &b, &name, &err), 0);
    kt_filter pre, now;
    int rc = kt_baseline_precompiled(b, &pre, &err);
    if (rc == 0) {
        print_message("SKIPPED: libseccomp differs from the build's: the baseline is compiled\n");
        kt_profile_free(b);
        skip();
    }
    assert_int_equal(rc, 1);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    assert_int_equal(kt_filter_compile(b, &env, NULL, &now, &err), 0);
    assert_int_equal(pre.bpf.len, now.bpf.len);
    assert_int_equal(pre.bpf.flags, now.bpf.flags);
    assert_memory_equal(pre.bpf.insns, now.bpf.insns, (size_t)now.bpf.len * 8);
    kt_filter_free(&pre);
    kt_filter_free(&now);
    kt_profile_free(b);
    const char *other = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}";
    assert_int_equal(kt_profile_parse(other, strlen(other), "o", &b, &err), 0);
    assert_int_equal(kt_baseline_precompiled(b, &pre, &err), 0);
    assert_null(pre.bpf.insns);
    kt_profile_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_profiles),
        cmocka_unit_test(docker_default_profile),
        cmocka_unit_test(malformed_profiles),
        cmocka_unit_test(profile_limits),
        cmocka_unit_test(unknown_names_ignored),
        cmocka_unit_test(includes_min_kernel),
        cmocka_unit_test(same_index_conditions_are_or),
        cmocka_unit_test(notify_refused_at_compile),
        cmocka_unit_test(read_once),
        cmocka_unit_test(baseline_precompiled),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
