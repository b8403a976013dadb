/* The compiled filter held to its rules (sandbox/filtercheck.c): hand-written
 * programs, right and wrong, against one rule; libseccomp's own miscompile of
 * two 64-bit LT rules refused (or, where a libseccomp compiles it right,
 * compiled); no false alarm on the shipped profiles, Docker's, 64-bit values
 * on 32-bit architectures, or every pair of operators on one argument. */
#include "testutil.h"

#include "../../sandbox/bpfeval.h"
#include "../../sandbox/filter.h"
#include "../../sandbox/filtercheck.h"
#include "../../sandbox/profile.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <sys/mman.h>

#define S(c, k) ((struct sock_filter)BPF_STMT((c), (k)))
#define J(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ERR1 (SECCOMP_RET_ERRNO | 1)

/* getpid(arg0 < 0x100000005) -> ERRNO(1), else ALLOW; native x86-64 only. */
static kt_fcheck one_rule(void)
{
    kt_fcheck fc;
    kt_fcheck_init(&fc);
    kt_err err;
    struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_LT, 0x100000005ULL);
    assert_int_equal(kt_fcheck_arch(&fc, SCMP_ARCH_X86_64, &err), 0);
    assert_int_equal(kt_fcheck_arch(&fc, SCMP_ARCH_X86_64, &err), 0); /* once */
    assert_int_equal(fc.narches, 1);
    assert_int_equal(kt_fcheck_rule(&fc, "getpid", SCMP_SYS(getpid), ERR1, 1, &c, &err), 0);
    return fc;
}

static void hand_programs(void **state)
{
    (void)state;
    kt_fcheck fc = one_rule();
    kt_err err;
    size_t points = 0;
    /* right: high half > 1 allow; == 1 look at the low half; < 1 deny */
    struct sock_filter good[] = {S(BPF_LD | BPF_W | BPF_ABS, 4),
                                 J(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                                 S(BPF_RET | BPF_K, 0),
                                 S(BPF_LD | BPF_W | BPF_ABS, 0),
                                 J(BPF_JMP | BPF_JEQ | BPF_K, 39, 1, 0),
                                 S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                                 S(BPF_LD | BPF_W | BPF_ABS, 20),
                                 J(BPF_JMP | BPF_JGT | BPF_K, 1, 4, 0),
                                 J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
                                 S(BPF_LD | BPF_W | BPF_ABS, 16),
                                 J(BPF_JMP | BPF_JGE | BPF_K, 5, 1, 0),
                                 S(BPF_RET | BPF_K, ERR1),
                                 S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    assert_int_equal(kt_fcheck_run(&fc, good, N(good), SCMP_ACT_ALLOW, &points, &err), 0);
    assert_true(points >= 7); /* 0, ~0 and the edges of one value */
    /* wrong: the high half compared where the low one should be (what
     * libseccomp 2.5.4 and 2.6.1 emit for a second such rule) */
    struct sock_filter bad[N(good)];
    memcpy(bad, good, sizeof good);
    bad[9] = S(BPF_LD | BPF_W | BPF_ABS, 20);
    assert_int_equal(kt_fcheck_run(&fc, bad, N(bad), SCMP_ACT_ALLOW, &points, &err), -1);
    assert_int_equal(err.cls, KT_E_INTERNAL);
    assert_non_null(strstr(err.msg, "getpid(0x100000005, 0x0,"));
    assert_non_null(strstr(err.msg, "with ERRNO(1), where its rules say ALLOW (the default)"));
    /* wrong: the rule left out */
    struct sock_filter none[] = {S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    assert_int_equal(kt_fcheck_run(&fc, none, 1, SCMP_ACT_ALLOW, &points, &err), -1);
    assert_non_null(strstr(err.msg, "with ALLOW, where its rules say ERRNO(1)"));
    /* wrong: the default is not the one given */
    assert_int_equal(kt_fcheck_run(&fc, good, N(good), SCMP_ACT_ERRNO(2), &points, &err), -1);
    assert_non_null(strstr(err.msg, "ERRNO(2) (the default)"));
    /* a program kiemthu cannot run is an error too */
    struct sock_filter junk[] = {S(BPF_LD | BPF_W | BPF_ABS, 4)};
    assert_int_equal(kt_fcheck_run(&fc, junk, 1, SCMP_ACT_ALLOW, &points, &err), -1);
    kt_fcheck_free(&fc);
}

static kt_profile *parse(const char *json)
{
    kt_profile *p = NULL;
    kt_err err;
    if (kt_profile_parse(json, strlen(json), "t.json", &p, &err) < 0) fail_msg("%s", err.msg);
    return p;
}

/* What this libseccomp itself makes of two LT rules with 64-bit values. */
static uint32_t raw_libseccomp(uint64_t arg)
{
    scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
    assert_non_null(c);
    assert_int_equal(seccomp_rule_add(c, ERR1, SCMP_SYS(getpriority), 1, SCMP_A0(SCMP_CMP_LT, 5)),
                     0);
    assert_int_equal(
        seccomp_rule_add(c, ERR1, SCMP_SYS(getpriority), 1, SCMP_A0(SCMP_CMP_LT, 0x100000005ULL)),
        0);
    int fd = memfd_create("t", 0);
    assert_true(fd >= 0);
    assert_int_equal(seccomp_export_bpf(c, fd), 0);
    off_t n = lseek(fd, 0, SEEK_CUR);
    void *p = malloc((size_t)n);
    assert_int_equal(pread(fd, p, (size_t)n, 0), n);
    close(fd);
    seccomp_release(c);
    struct seccomp_data d;
    memset(&d, 0, sizeof d);
    d.nr = SCMP_SYS(getpriority);
    d.arch = seccomp_arch_native();
    d.args[0] = arg;
    uint32_t ret = 0;
    assert_int_equal(kt_bpf_eval(p, (size_t)n / 8, &d, &ret), 0);
    free(p);
    return ret;
}

static void libseccomp_miscompile(void **state)
{
    (void)state;
    kt_profile *p =
        parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
              "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
              "\"args\":[{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_LT\"}]},"
              "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
              "\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_LT\"}]}]}");
    int buggy = raw_libseccomp(5) != ERR1; /* 5 < 0x100000005: ERRNO(1) */
    const struct scmp_version *v = seccomp_version();
    print_message("libseccomp %u.%u.%u %s getpriority(5) under arg0 < 5 | arg0 < 0x100000005\n",
                  v->major, v->minor, v->micro, buggy ? "allows" : "denies");
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    for (int layout = 1; layout <= 2; layout++) {
        kt_filter_opts o = {0, layout};
        kt_filter f;
        kt_err err;
        int rc = kt_filter_compile(p, &env, &o, &f, &err);
        if (buggy) {
            /* the list layout is the one measured above; the tree may differ */
            if (layout == 1) assert_int_equal(rc, -1);
            if (rc < 0) {
                assert_int_equal(err.cls, KT_E_INTERNAL);
                assert_non_null(strstr(err.msg, "a libseccomp bug"));
                assert_non_null(strstr(err.msg, "getpriority(0x"));
                continue;
            }
        }
        /* compiled: then it answers as the rules say, here too */
        assert_int_equal(rc, 0);
        assert_true(f.checked_points > 0);
        struct seccomp_data d;
        memset(&d, 0, sizeof d);
        d.nr = SCMP_SYS(getpriority);
        d.arch = seccomp_arch_native();
        uint32_t ret;
        const uint64_t args[] = {0, 4, 5, 0x100000004ULL, 0x100000005ULL};
        const uint32_t want[] = {ERR1, ERR1, ERR1, ERR1, SECCOMP_RET_ALLOW};
        for (size_t i = 0; i < N(args); i++) {
            d.args[0] = args[i];
            assert_int_equal(kt_bpf_eval(f.bpf.insns, f.bpf.len, &d, &ret), 0);
            assert_int_equal(ret, want[i]);
        }
        kt_filter_free(&f);
    }
    kt_profile_free(p);
}

static size_t compile_ok(kt_profile *p, int layout, const char *what);

/* A filter the compile returns answers at this point as the rules say; where
 * it does not, the compile must have refused it as a libseccomp bug. Returns
 * 1 if refused (what this libseccomp does with it), 0 if compiled. */
static int never_wrong(const char *json, int layout, uint32_t arch, const char *name,
                       const uint64_t *args, uint32_t want)
{
    kt_profile *p = parse(json);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter_opts o = {0, layout};
    kt_filter f;
    kt_err err;
    int refused = kt_filter_compile(p, &env, &o, &f, &err) < 0;
    if (refused) {
        if (err.cls != KT_E_INTERNAL || !strstr(err.msg, "a libseccomp bug"))
            fail_msg("%s: refused otherwise: %s", name, err.msg);
    } else {
        struct seccomp_data d;
        memset(&d, 0, sizeof d);
        d.nr = seccomp_syscall_resolve_name_arch(arch, name);
        d.arch = arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch;
        memcpy(d.args, args, sizeof d.args);
        uint32_t ret;
        assert_int_equal(kt_bpf_eval(f.bpf.insns, f.bpf.len, &d, &ret), 0);
        if (ret != want)
            fail_msg("%s: a filter answering %#x where the rules say %#x", name, ret, want);
        kt_filter_free(&f);
    }
    kt_profile_free(p);
    return refused;
}

#define GP(act, args) "{\"names\":[\"getpriority\"],\"action\":\"" act "\",\"args\":[" args "]}"
#define LT0(v) "{\"index\":0,\"value\":" #v ",\"op\":\"SCMP_CMP_LT\"}"

/* What an attacker's review found the first check let through (2026-11-29). */
static void review_cases(void **state)
{
    (void)state;
    const uint32_t E1 = SCMP_ACT_ERRNO(1);
    int refused = 0, cases = 0;
    /* the program compares the low word with the constant meant for the high
     * one (0x100): 0x1000 is below 0x10000000005, yet allowed */
    uint64_t a1[6] = {0x1000};
    for (int layout = 1; layout <= 2; layout++, cases++)
        refused += never_wrong("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                               "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
                               "\"errnoRet\":1,\"args\":[" LT0(
                                   5) "]},"
                                      "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
                                      "\"errnoRet\":1,\"args\":[" LT0(1099511627781) "]}]}",
                               layout, SCMP_ARCH_X86_64, "getpriority", a1, E1);
    /* x86's direct socket call (359), not only socketcall: the same bug there */
    uint64_t a2[6] = {0, 1};
    refused += never_wrong(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
        "\"SCMP_ARCH_X86\"],\"syscalls\":["
        "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":2,\"args\":["
        "{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_NE\"},"
        "{\"index\":1,\"value\":1,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":["
        "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
        "{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]}]}",
        0, SCMP_ARCH_X86, "socket", a2, E1);
    cases++;
    /* two arguments, 32-bit values: the second rule's tree under the first's */
    uint64_t a3[6] = {1};
    refused += never_wrong(
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
        "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_LOG\",\"args\":["
        "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_GT\"},"
        "{\"index\":2,\"value\":2147483648,\"valueTwo\":5,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
        "{\"index\":2,\"value\":2,\"valueTwo\":3011986093,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
        "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_GE\"}]}]}",
        0, SCMP_ARCH_X86_64, "socket", a3, SCMP_ACT_ALLOW);
    cases++;
    const struct scmp_version *v = seccomp_version();
    print_message("libseccomp %u.%u.%u: %d of %d miscompiles refused, the rest compiled right\n",
                  v->major, v->minor, v->micro, refused, cases);
    /* no false alarm: x86 merges socket's socketcall(1) rule with a rule on
     * socketcall itself; the check must see both under number 102 */
    kt_profile *p = parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":["
                          "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"syscalls\":["
                          "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                          "{\"names\":[\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                          "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}]}");
    assert_true(compile_ok(p, 0, "socket + socketcall on x86") > 0);
    kt_profile_free(p);
}

/* libseccomp 2.5.4 lays these rules out as a list whose x86-64 section
 * never loads the syscall number (it compares the architecture word with
 * syscall numbers): every rule there is skipped, shmget(0, 0) is allowed.
 * As a tree they come out right; the compile takes the tree and says so. */
static void other_layout(void **state)
{
    (void)state;
    const char *json =
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
        "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":["
        "{\"names\":[\"socketcall\"],\"action\":\"SCMP_ACT_LOG\"},"
        "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_TRAP\",\"args\":["
        "{\"index\":2,\"value\":2,\"op\":\"SCMP_CMP_NE\"}]},"
        "{\"names\":[\"shmget\"],\"action\":\"SCMP_ACT_LOG\",\"args\":["
        "{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_LE\"}]}]}";
    const uint64_t zero[6] = {0};
    /* a layout asked for is kept: refused, not laid out the other way */
    int list_refused = never_wrong(json, 1, SCMP_ARCH_X86_64, "shmget", zero, SCMP_ACT_LOG);
    never_wrong(json, 2, SCMP_ARCH_X86_64, "shmget", zero, SCMP_ACT_LOG);
    /* the layout kt_filter_compile picks (a list: 3 rules): on a failed check,
     * the other one */
    kt_profile *p = parse(json);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter f;
    kt_err err;
    int rc = kt_filter_compile(p, &env, NULL, &f, &err);
    print_message("as a list: %s; picked: %s\n", list_refused ? "refused" : "compiled right",
                  rc < 0     ? "refused"
                  : f.relaid ? "the tree"
                             : "the list");
    if (rc == 0) {
        assert_int_equal(f.relaid, list_refused);
        struct seccomp_data d;
        memset(&d, 0, sizeof d);
        d.nr = SCMP_SYS(shmget);
        d.arch = AUDIT_ARCH_X86_64;
        uint32_t ret;
        assert_int_equal(kt_bpf_eval(f.bpf.insns, f.bpf.len, &d, &ret), 0);
        assert_int_equal(ret, SCMP_ACT_LOG);
        kt_filter_free(&f);
    } else {
        assert_non_null(strstr(err.msg, "a libseccomp bug"));
    }
    kt_profile_free(p);
}

/* What cannot be checked within the limits is refused, not passed. */
static void limits(void **state)
{
    (void)state;
    char json[16384];
    size_t o =
        (size_t)snprintf(json, sizeof json, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[");
    /* 5 arguments x ~20 values each: more than 2^20 combinations */
    for (int r = 0; r < 3; r++) {
        o += (size_t)snprintf(json + o, sizeof json - o,
                              "%s{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
                              "\"errnoRet\":%d,\"args\":[",
                              r ? "," : "", r + 1);
        for (int a = 0; a < 5; a++)
            o += (size_t)snprintf(json + o, sizeof json - o,
                                  "%s{\"index\":%d,\"value\":%d,\"op\":\"SCMP_CMP_EQ\"}",
                                  a ? "," : "", a, 100 * r + 10 * a + 7);
        o += (size_t)snprintf(json + o, sizeof json - o, "]}");
    }
    snprintf(json + o, sizeof json - o, "]}");
    kt_profile *p = parse(json);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter f;
    kt_err err;
    assert_int_equal(kt_filter_compile(p, &env, NULL, &f, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_non_null(strstr(err.msg, "cannot check the filter libseccomp compiled for getpriority"));
    assert_non_null(strstr(err.msg, "more than 1048576 combinations"));
    kt_profile_free(p);
}

static size_t compile_ok(kt_profile *p, int layout, const char *what)
{
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter_opts o = {0, layout};
    kt_filter f;
    kt_err err;
    if (kt_filter_compile(p, &env, &o, &f, &err) < 0) fail_msg("%s: %s", what, err.msg);
    size_t n = f.checked_points;
    kt_filter_free(&f);
    return n;
}

static void no_false_alarm(void **state)
{
    (void)state;
    static const char *const files[] = {
        "profiles/seccomp-startup-safe.json", "profiles/seccomp-deny-by-default.json",
        "profiles/baseline.json", "tests/fixtures/moby-default-seccomp.json"};
    for (size_t i = 0; i < N(files); i++) {
        char *path = tu_fixture(files[i]);
        kt_profile *p = NULL;
        kt_err err;
        if (kt_profile_load(path, &p, &err) < 0) fail_msg("%s: %s", files[i], err.msg);
        free(path);
        for (int layout = 1; layout <= 2; layout++)
            assert_true(compile_ok(p, layout, files[i]) > 0);
        kt_profile_free(p);
    }
    /* 64-bit values where libseccomp compares 32 bits (x86, x32) and 64 */
    kt_profile *p =
        parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
              "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_AARCH64\"],\"syscalls\":["
              "{\"names\":[\"read\",\"write\",\"exit_group\",\"execve\"],"
              "\"action\":\"SCMP_ACT_ALLOW\"},"
              "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ALLOW\","
              "\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_EQ\"},"
              "{\"index\":1,\"value\":4294967296,\"op\":\"SCMP_CMP_GT\"}]},"
              "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
              "\"args\":[{\"index\":0,\"value\":1099511627775,\"valueTwo\":8589934600,"
              "\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
              "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,"
              "\"args\":[{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_EQ\"}]}]}");
    size_t both = compile_ok(p, 1, "64-bit values, four architectures");
    assert_int_equal(compile_ok(p, 2, "the same as a tree"), both);
    assert_true(both > 4 * 5); /* every name on every architecture at least once */
    kt_profile_free(p);
    /* every pair of operators on one argument, values below 2^32 (libseccomp
     * gets these right; the check must agree) */
    static const char *const ops[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                      "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                      "SCMP_CMP_MASKED_EQ"};
    static const unsigned long vals[] = {5, 9, 0x80000000UL};
    size_t pairs = 0;
    for (size_t a = 0; a < N(ops); a++)
        for (size_t b = 0; b < N(ops); b++)
            for (size_t x = 0; x < N(vals); x++)
                for (size_t y = 0; y < N(vals); y++) {
                    char json[1024];
                    snprintf(json, sizeof json,
                             "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                             "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
                             "\"errnoRet\":1,\"args\":[{\"index\":0,\"value\":%lu,"
                             "\"valueTwo\":%lu,\"op\":\"%s\"}]},"
                             "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
                             "\"errnoRet\":2,\"args\":[{\"index\":0,\"value\":%lu,"
                             "\"valueTwo\":%lu,\"op\":\"%s\"}]}]}",
                             vals[x], vals[x] & 0xf, ops[a], vals[y], vals[y] & 0xf, ops[b]);
                    kt_profile *q = parse(json);
                    kt_rulesel_env env;
                    kt_rulesel_env_host(&env);
                    kt_filter f;
                    kt_err err;
                    if (kt_filter_compile(q, &env, NULL, &f, &err) == 0) {
                        pairs++;
                        kt_filter_free(&f);
                    } else if (!strstr(err.msg, "libseccomp refused")) {
                        fail_msg("%s %lu / %s %lu: %s", ops[a], vals[x], ops[b], vals[y], err.msg);
                    }
                    kt_profile_free(q);
                }
    assert_true(pairs > N(ops) * N(ops) * N(vals) * N(vals) / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_programs),  cmocka_unit_test(libseccomp_miscompile),
        cmocka_unit_test(no_false_alarm), cmocka_unit_test(review_cases),
        cmocka_unit_test(other_layout),   cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
