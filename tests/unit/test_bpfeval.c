/* Seccomp filters run in user space (sandbox/bpfeval.c): every instruction
 * class on hand-written programs, programs the kernel would refuse; libseccomp's
 * list and binary-tree layouts of the shipped profiles and Docker's give the
 * same action for every syscall number of four architectures and the argument
 * values the filters compare; which layout a compile picks; and whether a
 * filter lets the baseline be installed after it. */
#include "testutil.h"

#include "../../sandbox/bpfeval.h"
#include "../../sandbox/filter.h"
#include "../../sandbox/profile.h"

#include <linux/audit.h>
#include <linux/filter.h>

#define S(c, k) ((struct sock_filter)BPF_STMT((c), (k)))
#define J(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t run1(const struct sock_filter *p, size_t n, const struct seccomp_data *d)
{
    uint32_t ret = 0xdeadbeef;
    assert_int_equal(kt_bpf_eval(p, n, d, &ret), 0);
    return ret;
}

static void programs(void **state)
{
    (void)state;
    struct seccomp_data d;
    memset(&d, 0, sizeof d);
    d.nr = 39;
    d.arch = AUDIT_ARCH_X86_64;
    d.args[0] = 0x100000002ULL; /* hi 1, lo 2 */
    /* the number, a jump either way */
    struct sock_filter nr[] = {
        S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
        S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), S(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1)};
    assert_int_equal(run1(nr, N(nr), &d), SECCOMP_RET_ALLOW);
    d.nr = 40;
    assert_int_equal(run1(nr, N(nr), &d), SECCOMP_RET_ERRNO | 1);
    /* the architecture and an argument's two halves, returned through A */
    struct sock_filter arch[] = {S(BPF_LD | BPF_W | BPF_ABS, 4), S(BPF_ALU | BPF_AND | BPF_K, 0xff),
                                 S(BPF_RET | BPF_A, 0)};
    assert_int_equal(run1(arch, N(arch), &d), AUDIT_ARCH_X86_64 & 0xff);
    struct sock_filter hi[] = {
        S(BPF_LD | BPF_W | BPF_ABS, 16 + 4), J(BPF_JMP | BPF_JGT | BPF_K, 0, 0, 2),
        S(BPF_LD | BPF_W | BPF_ABS, 16), S(BPF_RET | BPF_A, 0), S(BPF_RET | BPF_K, 7)};
    assert_int_equal(run1(hi, N(hi), &d), 2);
    d.args[0] = 5;
    assert_int_equal(run1(hi, N(hi), &d), 7);
    /* scratch memory, X, ALU with X, division by an X of 0, JSET, JGE, JA */
    struct sock_filter mem[] = {S(BPF_LD | BPF_IMM, 12),
                                S(BPF_ST, 3),
                                S(BPF_LDX | BPF_MEM, 3),
                                S(BPF_LD | BPF_IMM, 30),
                                S(BPF_ALU | BPF_SUB | BPF_X, 0), /* 18 */
                                S(BPF_MISC | BPF_TAX, 0),
                                S(BPF_LD | BPF_W | BPF_LEN, 0),  /* 64 */
                                S(BPF_ALU | BPF_ADD | BPF_X, 0), /* 82 */
                                J(BPF_JMP | BPF_JSET | BPF_K, 0x2, 1, 0),
                                S(BPF_RET | BPF_K, 1),
                                J(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 5), /* 82 >= 18 */
                                S(BPF_STX, 15),
                                S(BPF_LDX | BPF_IMM, 0),
                                S(BPF_ALU | BPF_DIV | BPF_X, 0), /* A / 0 */
                                S(BPF_JMP | BPF_JA, 1),
                                S(BPF_RET | BPF_K, 2),
                                S(BPF_RET | BPF_A, 0)};
    assert_int_equal(run1(mem, N(mem), &d), 0);
    mem[13] = S(BPF_LD | BPF_MEM, 15); /* no division: the stored X */
    assert_int_equal(run1(mem, N(mem), &d), 18);

    /* a division by an X of 0 ends the program with 0 (what follows does
     * not run); a shift by X uses its low five bits */
    struct sock_filter div0[] = {S(BPF_LD | BPF_IMM, 7), S(BPF_LDX | BPF_IMM, 0),
                                 S(BPF_ALU | BPF_DIV | BPF_X, 0), S(BPF_RET | BPF_K, 5)};
    assert_int_equal(run1(div0, N(div0), &d), 0);
    struct sock_filter shx[] = {S(BPF_LD | BPF_IMM, 1), S(BPF_LDX | BPF_IMM, 33),
                                S(BPF_ALU | BPF_LSH | BPF_X, 0), S(BPF_RET | BPF_A, 0)};
    assert_int_equal(run1(shx, N(shx), &d), 2);

    /* what the kernel refuses on this path */
    uint32_t ret;
    struct sock_filter bad[][2] = {
        {S(BPF_LD | BPF_W | BPF_ABS, 2), S(BPF_RET | BPF_A, 0)},         /* misaligned */
        {S(BPF_LD | BPF_W | BPF_ABS, 64), S(BPF_RET | BPF_A, 0)},        /* past seccomp_data */
        {S(BPF_LD | BPF_B | BPF_ABS, 0), S(BPF_RET | BPF_A, 0)},         /* a byte load */
        {S(BPF_LD | BPF_MEM, 16), S(BPF_RET | BPF_A, 0)},                /* past scratch memory */
        {S(BPF_JMP | BPF_JA, 1), S(BPF_RET | BPF_A, 0)},                 /* a jump past the end */
        {S(BPF_LD | BPF_IMM, 1), S(BPF_ALU | BPF_ADD | BPF_K, 1)},       /* no return */
        {S(0xffff, 0), S(BPF_RET | BPF_A, 0)},                           /* no such opcode */
        {S(BPF_ALU | BPF_DIV | BPF_K, 0), S(BPF_RET | BPF_A, 0)},        /* by a K of 0 */
        {S(BPF_ALU | BPF_LSH | BPF_K, 32), S(BPF_RET | BPF_A, 0)},       /* by a K of 32 */
        {S(BPF_ALU | BPF_MOD | BPF_K, 3), S(BPF_RET | BPF_A, 0)},        /* not a seccomp opcode */
        {S(BPF_LD | BPF_MEM, 2), S(BPF_RET | BPF_A, 0)},                 /* a slot never stored */
        {J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5), S(BPF_RET | BPF_A, 0)},  /* jf past the end */
        {S(BPF_LD | BPF_W | BPF_ABS | 0x100, 0), S(BPF_RET | BPF_A, 0)}, /* stray bits */
    };
    for (size_t i = 0; i < N(bad); i++) assert_int_equal(kt_bpf_eval(bad[i], 2, &d, &ret), -1);
    assert_int_equal(kt_bpf_eval(nr, 0, &d, &ret), -1);

    /* known words: a load of any other is -2, a path that reads none is run */
    struct sock_filter arg5[] = {
        S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5])), S(BPF_RET | BPF_A, 0)};
    struct sock_filter ip[] = {
        S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        S(BPF_RET | BPF_A, 0)};
    uint32_t some = KT_BPF_W_NR | KT_BPF_W_ARCH | KT_BPF_W_ARG(0) | KT_BPF_W_ARG(1);
    assert_int_equal(kt_bpf_eval_known(arg5, N(arg5), &d, some, &ret), -2);
    assert_int_equal(kt_bpf_eval_known(arg5, N(arg5), &d, some | KT_BPF_W_ARG(5), &ret), 0);
    assert_int_equal(kt_bpf_eval_known(ip, N(ip), &d, some, &ret), -2);
    assert_int_equal(kt_bpf_eval_known(ip, N(ip), &d, some | KT_BPF_W_IP, &ret), 0);
    struct sock_filter by_nr[] = {
        S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 99, 0, 1),
        S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
        S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    d.nr = 98; /* the args[2] load is on the other path */
    assert_int_equal(kt_bpf_eval_known(by_nr, N(by_nr), &d, some, &ret), 0);
    assert_int_equal(ret, SECCOMP_RET_ALLOW);
    d.nr = 99;
    assert_int_equal(kt_bpf_eval_known(by_nr, N(by_nr), &d, some, &ret), -2);
}

static kt_filter compile(const kt_profile *p, int layout, int exec_once)
{
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter_opts o = {exec_once, layout};
    kt_filter f;
    kt_err err;
    if (kt_filter_compile(p, &env, &o, &f, &err) < 0) fail_msg("%s", err.msg);
    return f;
}

/* The constants the filter compares arguments with (after a load at offset
 * 16 or more), each as a low word, a high word, and one either side. */
static size_t arg_values(const kt_bpf *b, uint64_t *out, size_t max)
{
    const struct sock_filter *p = b->insns;
    size_t n = 0;
    uint32_t from = 0;
    out[n++] = 0;
    out[n++] = ~0ULL;
    for (size_t i = 0; i < b->len && n + 4 <= max; i++) {
        if (p[i].code == (BPF_LD | BPF_W | BPF_ABS)) from = p[i].k;
        if (BPF_CLASS(p[i].code) != BPF_JMP || BPF_OP(p[i].code) == BPF_JA || from < 16) continue;
        uint64_t k = p[i].k;
        out[n++] = k, out[n++] = k + 1, out[n++] = k - 1, out[n++] = k << 32;
    }
    return n;
}

static void same_decisions(const char *rel, int exec_once)
{
    kt_profile *p = NULL;
    char *path = tu_fixture(rel);
    kt_err err;
    if (kt_profile_load(path, &p, &err) < 0) fail_msg("%s: %s", rel, err.msg);
    free(path);
    kt_filter list = compile(p, 1, exec_once), tree = compile(p, 2, exec_once);
    assert_memory_not_equal(list.bpf.insns, tree.bpf.insns,
                            list.bpf.len < tree.bpf.len ? list.bpf.len * 8 : tree.bpf.len * 8);
    static uint64_t vals[4096];
    size_t nv = arg_values(&list.bpf, vals, N(vals));
    static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
                                      0x12345678};
    size_t checked = 0, allowed = 0;
    for (size_t a = 0; a < N(arches); a++)
        for (uint32_t i = 0; i < 1100 + 600; i++) {
            struct seccomp_data d;
            memset(&d, 0, sizeof d);
            d.arch = arches[a];
            d.nr = i < 1100 ? (int)i : (int)(0x40000000U + i - 1100); /* x32 */
            uint32_t r0, r1;
            for (size_t v = 0; v < nv; v++) {
                for (int k = 0; k < 6; k++) d.args[k] = vals[v];
                assert_int_equal(kt_bpf_eval(list.bpf.insns, list.bpf.len, &d, &r0), 0);
                assert_int_equal(kt_bpf_eval(tree.bpf.insns, tree.bpf.len, &d, &r1), 0);
                if (r0 != r1)
                    fail_msg("%s: arch %#x nr %d args %#llx: list %#x, tree %#x", rel, d.arch, d.nr,
                             (unsigned long long)vals[v], r0, r1);
                checked++;
                allowed += (r0 & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
            }
        }
    /* the comparison saw both answers */
    assert_true(allowed > 0 && allowed < checked);
    kt_filter_free(&list);
    kt_filter_free(&tree);
    kt_profile_free(p);
}

static void layouts_agree(void **state)
{
    (void)state;
    same_decisions("profiles/seccomp-startup-safe.json", 0);
    same_decisions("profiles/seccomp-deny-by-default.json", 0);
    same_decisions("profiles/seccomp-deny-by-default.json", 1); /* exec-once: NOTIFY for execve */
    same_decisions("profiles/baseline.json", 0);
    same_decisions("tests/fixtures/moby-default-seccomp.json", 0);
}

/* Small profiles get the tree, Docker's stays a list. */
static void layout_chosen(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        int want;
    } cases[] = {{"profiles/seccomp-startup-safe.json", 2},
                 {"profiles/baseline.json", 2},
                 {"tests/fixtures/moby-default-seccomp.json", 1}};
    for (size_t i = 0; i < N(cases); i++) {
        char *path = tu_fixture(cases[i].rel);
        kt_profile *p = NULL;
        kt_err err;
        if (kt_profile_load(path, &p, &err) < 0) fail_msg("%s", err.msg);
        free(path);
        kt_filter got = compile(p, 0, 0), want = compile(p, cases[i].want, 0),
                  other = compile(p, 3 - cases[i].want, 0);
        assert_int_equal(got.bpf.len, want.bpf.len);
        assert_memory_equal(got.bpf.insns, want.bpf.insns, got.bpf.len * 8);
        assert_true(other.bpf.len != got.bpf.len ||
                    memcmp(other.bpf.insns, got.bpf.insns, got.bpf.len * 8) != 0);
        kt_filter_free(&got);
        kt_filter_free(&want);
        kt_filter_free(&other);
        kt_profile_free(p);
    }
}

static kt_filter compile_text(const char *json)
{
    kt_profile *p = NULL;
    kt_err err;
    if (kt_profile_parse(json, strlen(json), "t.json", &p, &err) < 0) fail_msg("%s", err.msg);
    kt_filter f = compile(p, 0, 0);
    kt_profile_free(p);
    return f;
}

/* Fewer than 8 rules stay a list (libseccomp before 2.5.4 ignored a rule-less
 * tree's default action). */
static void few_rules_list(void **state)
{
    (void)state;
    const char *json = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                       "[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
    kt_profile *p = NULL;
    kt_err err;
    if (kt_profile_parse(json, strlen(json), "t.json", &p, &err) < 0) fail_msg("%s", err.msg);
    kt_filter got = compile(p, 0, 0), list = compile(p, 1, 0);
    assert_int_equal(got.bpf.len, list.bpf.len);
    assert_memory_equal(got.bpf.insns, list.bpf.insns, got.bpf.len * 8);
    kt_filter_free(&got);
    kt_filter_free(&list);
    kt_profile_free(p);
}

static void lets_seccomp(void **state)
{
    (void)state;
    kt_filter allow = compile_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                                   "[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
    kt_filter deny = compile_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                                  "[\"socket\",\"seccomp\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
    kt_filter list =
        compile_text("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                     "[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
    kt_filter logged =
        compile_text("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                     "[\"seccomp\"],\"action\":\"SCMP_ACT_LOG\"}]}");
    /* allowed only without flags (args[1] == 0) */
    kt_filter noflags = compile_text(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"seccomp\"],\"action\":"
        "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]}]}");
    assert_int_equal(kt_filter_lets_seccomp(&allow.bpf, 0), 1);
    assert_int_equal(kt_filter_lets_seccomp(&deny.bpf, 0), 0);
    assert_int_equal(kt_filter_lets_seccomp(&list.bpf, 0), 0);
    assert_int_equal(kt_filter_lets_seccomp(&logged.bpf, 0), 1);
    assert_int_equal(kt_filter_lets_seccomp(&noflags.bpf, 0), 1);
    assert_int_equal(kt_filter_lets_seccomp(&noflags.bpf, SECCOMP_FILTER_FLAG_TSYNC), 0);
    /* denied for a non-null program address: the child's is on its stack */
    kt_filter ptr = compile_text(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"seccomp\"],\"action\":"
        "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]}]}");
    assert_int_equal(kt_filter_lets_seccomp(&ptr.bpf, 0), 0);
    kt_filter_free(&ptr);
    /* An attacker's profile (review of 2026-11-29): "installed" (ERRNO 0)
     * when args[5] is not 0, which glibc's syscall() filled from the stack;
     * a test call with args[5] = 0 was let through, the real one was not.
     * Any read of args[2..5] or the instruction pointer: baseline first. */
    static const char *const unknown[] = {
        "{\"index\":5,\"value\":0,\"op\":\"SCMP_CMP_NE\"}",
        "{\"index\":3,\"value\":7,\"op\":\"SCMP_CMP_EQ\"}",
        "{\"index\":2,\"value\":1,\"valueTwo\":1,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
        "{\"index\":4,\"value\":0,\"op\":\"SCMP_CMP_GE\"}",
    };
    for (size_t i = 0; i < N(unknown); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"seccomp\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":0,\"args\":[%s]}]}",
                 unknown[i]);
        kt_filter f = compile_text(text);
        assert_int_equal(kt_filter_lets_seccomp(&f.bpf, 0), 0);
        kt_filter_free(&f);
    }
    kt_bpf broken = {(struct sock_filter[]){S(BPF_LD | BPF_W | BPF_ABS, 2)}, 1, 0};
    assert_int_equal(kt_filter_lets_seccomp(&broken, 0), 0);
    kt_filter_free(&allow);
    kt_filter_free(&deny);
    kt_filter_free(&list);
    kt_filter_free(&logged);
    kt_filter_free(&noflags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(programs),      cmocka_unit_test(layouts_agree),
        cmocka_unit_test(layout_chosen), cmocka_unit_test(few_rules_list),
        cmocka_unit_test(lets_seccomp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
