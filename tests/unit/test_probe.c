/* kiemthu-probe's own pieces: its small JSON reader (sandbox/probe/json.c),
 * and its model of what the filters in force answer (probe/filters.c),
 * held to what the kernel answers: each profile is compiled as the sandbox
 * compiles it, installed with the baseline in a child as the sandbox
 * installs them, and every syscall below is called there with arguments
 * that an allowed call rejects harmlessly (EBADF, EINVAL, EFAULT). */
#include "sbutil.h"

#include "../../sandbox/probe/json.h"
#include "../../sandbox/probe/probe.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---- json.c ------------------------------------------------------------ */

static pj *parse(const char *s, kt_err *why)
{
    return pj_parse(s, strlen(s), why);
}

static void json_reader(void **state)
{
    (void)state;
    kt_err why;
    pj *v =
        parse(" {\"a\": [1, -2.5e1, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}} ", &why);
    assert_non_null(v);
    const pj *a = pj_get(v, "a");
    assert_int_equal(a->type, PJ_ARR);
    assert_true(a->child->num == 1.0);
    assert_true(a->child->next->num == -25.0);
    assert_int_equal(a->child->next->next->type, PJ_BOOL);
    assert_int_equal(a->child->next->next->next->type, PJ_NULL);
    assert_string_equal(a->child->next->next->next->next->str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_int_equal(pj_get(v, "b")->type, PJ_OBJ);
    assert_null(pj_get(v, "missing"));
    assert_null(pj_get(a, "a")); /* not an object */
    pj_free(v);
    static const char *const bad[] = {
        "",           "{",        "[1,]",      "{\"a\":}", "{\"a\" 1}",
        "\"\\x\"",    "tru",      "[1] [2]",   "\"\x01\"", "\"\\ud800\"",
        "{\"a\":1,}", "\"\\\b\"", "\"\\u12\"", "[\"a\\",   "-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = parse(bad[i], &why);
        if (v) fail_msg("accepted: %s", bad[i]);
        assert_true(why.cls == KT_E_DATA && why.msg[0] != '\0');
    }
    /* depth and size caps: refused, never a stack overflow */
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    assert_null(pj_parse(deep, 400, &why));
    size_t n = 3 * 300000;
    char *many = malloc(n + 2);
    many[0] = '[';
    for (size_t i = 0; i < 300000; i++) memcpy(many + 1 + 3 * i, "0, ", 3);
    memcpy(many + n - 1, "0]", 2);
    assert_null(pj_parse(many, n + 1, &why));
    free(many);
}

/* ---- filters.c against the kernel -------------------------------------- */

typedef struct call {
    const char *name;
    long nr;
    long args[6];
} call;

/* The kernel's answer: errno of the call under both filters, in a child. */
static int kernel_errno(const kt_filter *prof, const kt_filter *base, const call *c)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sock_fprog p1 = {prof->bpf.len, prof->bpf.insns},
                          p2 = {base->bpf.len, base->bpf.insns};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prof->bpf.flags, &p1) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, base->bpf.flags, &p2) < 0)
            _exit(250);
        long r =
            syscall(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4], c->args[5]);
        _exit(r < 0 ? errno : 0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static pj *as_pj(const kt_profile *p)
{
    size_t n;
    const char *b = kt_profile_bytes(p, &n);
    kt_err why;
    pj *v = pj_parse(b, n, &why);
    if (!v) fail_msg("probe json: %s", why.msg);
    return v;
}

/* For each call: what the probe predicts equals the kernel's errno, where
 * the probe predicts a denial; where it predicts "allowed" (0), the kernel
 * gave the harmless error the arguments were chosen for, not a filter's. */
static void check_profile(const char *json, const call *calls, size_t n, const int *allowed_errno)
{
    kt_err err;
    kt_profile *prof = NULL, *base = NULL;
    const char *bname;
    if (kt_profile_parse(json, strlen(json), "t.json", &prof, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(kt_baseline_load(NULL, &base, &bname, &err), 0);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter pf, bf;
    if (kt_filter_compile(prof, &env, NULL, &pf, &err) < 0 ||
        kt_filter_compile(base, &env, NULL, &bf, &err) < 0)
        fail_msg("%s", err.msg);
    probe_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    probe_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.cfg = &cfg;
    ctx.profile = as_pj(prof);
    ctx.baseline = as_pj(base);
    for (size_t i = 0; i < n; i++) {
        int want = probe_filter_errno(&ctx, calls[i].name, calls[i].args);
        int got = kernel_errno(&pf, &bf, &calls[i]);
        if (want > 0 && got != want)
            fail_msg("%s(%#lx, %#lx, %#lx): probe says errno %d, kernel %d", calls[i].name,
                     calls[i].args[0], calls[i].args[1], calls[i].args[2], want, got);
        if (want == 0 && got != allowed_errno[i])
            fail_msg("%s(%#lx, %#lx): probe says allowed, kernel errno %d (want %d)", calls[i].name,
                     calls[i].args[0], calls[i].args[1], got, allowed_errno[i]);
        assert_true(want >= 0);
    }
    pj_free(ctx.profile);
    pj_free(ctx.baseline);
    kt_filter_free(&pf);
    kt_filter_free(&bf);
    kt_profile_free(prof);
    kt_profile_free(base);
}

#define BADFD 0x7fffff00L

/* Every op; conditions on two indexes (AND); several on one index, which
 * runc (and kiemthu) compile as one rule per condition, so that then every
 * condition of the rule, whatever its index, is an alternative (OR). */
static void ops_and_combinations(void **state)
{
    (void)state;
    if (RUNNING_ON_VALGRIND) {
        print_message("SKIPPED: seccomp filters (valgrind 3.19 cannot run under one)\n");
        skip();
    }
    /* close(fd): allowed -> EBADF. lseek(fd, off, whence): allowed -> EBADF. */
    const char *json =
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":11,\"args\":["
        "{\"index\":0,\"value\":2147483400,\"op\":\"SCMP_CMP_GT\"}]},"
        "{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":12,\"args\":["
        "{\"index\":0,\"value\":2147483400,\"op\":\"SCMP_CMP_LE\"}]},"
        "{\"names\":[\"fsync\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":["
        "{\"index\":0,\"value\":2147483400,\"op\":\"SCMP_CMP_NE\"}]},"
        "{\"names\":[\"fdatasync\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":14,\"args\":["
        "{\"index\":0,\"value\":2147483400,\"op\":\"SCMP_CMP_LT\"}]},"
        "{\"names\":[\"syncfs\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":15,\"args\":["
        "{\"index\":0,\"value\":2147483400,\"op\":\"SCMP_CMP_GE\"}]},"
        "{\"names\":[\"fchdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":16,\"args\":["
        "{\"index\":0,\"value\":255,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"names\":[\"lseek\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":17,\"args\":["
        "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_EQ\"},"
        "{\"index\":1,\"value\":7,\"op\":\"SCMP_CMP_EQ\"},"
        "{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]},"
        "{\"names\":[\"pread64\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,\"args\":["
        "{\"index\":2,\"value\":3,\"op\":\"SCMP_CMP_EQ\"},"
        "{\"index\":3,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]},"
        "{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
    const long at = 2147483400L;
    const call calls[] = {
        {"close", SYS_close, {at + 1}},
        {"close", SYS_close, {at}},
        {"dup", SYS_dup, {at}},
        {"dup", SYS_dup, {at + 1}},
        {"fsync", SYS_fsync, {at + 1}},
        {"fsync", SYS_fsync, {at}},
        {"fdatasync", SYS_fdatasync, {at - 1}},
        {"fdatasync", SYS_fdatasync, {at}},
        {"syncfs", SYS_syncfs, {at}},
        {"syncfs", SYS_syncfs, {at - 1}},
        {"fchdir", SYS_fchdir, {0x7fffff00}},
        {"fchdir", SYS_fchdir, {0x7fffff01}},
        {"lseek", SYS_lseek, {BADFD, 5, 1}},
        {"lseek", SYS_lseek, {BADFD, 7, 1}},
        {"lseek", SYS_lseek, {BADFD, 6, 1}},
        {"lseek", SYS_lseek, {BADFD, 5, 0}},
        {"lseek", SYS_lseek, {BADFD, 6, 0}},
        {"pread64", SYS_pread64, {BADFD, 0, 3, 1}},
        {"pread64", SYS_pread64, {BADFD, 0, 3, 0}},
        {"pread64", SYS_pread64, {BADFD, 0, 2, 1}},
        {"getpgid", SYS_getpgid, {0x7ffffffe}},
    };
    const int allowed[] = {EBADF, EBADF, EBADF, EBADF, EBADF, EBADF, EBADF,
                           EBADF, EBADF, EBADF, EBADF, EBADF, EBADF, EBADF,
                           EBADF, EBADF, EBADF, EBADF, EBADF, EBADF, ESRCH};
    check_profile(json, calls, sizeof calls / sizeof calls[0], allowed);
}

/* The seed's startup-safe profile with the baseline: the baseline's errno
 * where both deny (socket: EAFNOSUPPORT for AF_VSOCK; clone3: ENOSYS), the
 * profile's where only it denies, and the baseline's argument rules on
 * socket families and clone/unshare namespace flags. */
static void seed_profile_with_baseline(void **state)
{
    (void)state;
    if (RUNNING_ON_VALGRIND) {
        print_message("SKIPPED: seccomp filters (valgrind 3.19 cannot run under one)\n");
        skip();
    }
    char *path = tu_fixture("profiles/seccomp-startup-safe.json");
    size_t n;
    uint8_t *json = tu_slurp(path, &n);
    free(path);
    const long badtype = 0x7fff; /* socket: EINVAL when allowed */
    const call calls[] = {
        {"socket", SYS_socket, {1, badtype, 0}},      /* AF_UNIX: the profile denies socket */
        {"socket", SYS_socket, {40, badtype, 0}},     /* AF_VSOCK: both deny, baseline answers */
        {"clone3", SYS_clone3, {0, 0}},               /* both deny: the baseline's ENOSYS */
        {"unshare", SYS_unshare, {0x10000000}},       /* CLONE_NEWUSER: both deny */
        {"setns", SYS_setns, {BADFD, 0}},             /* both deny */
        {"keyctl", SYS_keyctl, {0x7fff}},             /* the baseline alone denies */
        {"userfaultfd", SYS_userfaultfd, {~0L}},      /* the baseline alone */
        {"clone", SYS_clone, {0x10000000 | 0x10000}}, /* CLONE_NEWUSER|CLONE_THREAD */
        {"clone", SYS_clone, {0x10000}},              /* CLONE_THREAD alone: allowed, EINVAL */
        {"getpgid", SYS_getpgid, {0x7ffffffe}},       /* allowed */
    };
    const int allowed[] = {0, 0, 0, 0, 0, 0, 0, 0, EINVAL, ESRCH};
    char *s = malloc(n + 1);
    memcpy(s, json, n);
    s[n] = '\0';
    check_profile(s, calls, sizeof calls / sizeof calls[0], allowed);
    free(s);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_reader),
        cmocka_unit_test(ops_and_combinations),
        cmocka_unit_test(seed_profile_with_baseline),
    };
    return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
