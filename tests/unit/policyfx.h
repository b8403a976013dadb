/* policyfx.h - the evidence every policy test reads (in memory and in a
 * directory, the same files), and helpers to build and evaluate one check
 * (header-only; test_policy.c and test_checks.c). */
#ifndef KT_POLICYFX_H
#define KT_POLICYFX_H

#include "testutil.h"

#include "../../core/json_canon.h"
#include "../../core/sha256.h"
#include "../../policy/junit.h"
#include "../../policy/policy.h"

#include <errno.h>

/* ---- the evidence every case reads ------------------------------------ */

#define H64(c) c c c c c c c c c c c c c c c c /* 16 x a 4-hex-digit group */
#define HEX_A H64("aaaa")
#define HEX_B H64("bbbb")
#define HEX_C H64("cccc")
#define HEX_STRICT H64("1111")  /* the strict profile's pin */
#define HEX_SAFE H64("2222")    /* the startup-safe profile's pin */
#define HEX_RELAXED H64("3333") /* a relaxed profile saved under startup-safe's name */
#define HEX_BASE H64("4444")    /* the baseline filter */
#define DIG_A "sha256:" HEX_A
#define DIG_B "sha256:" HEX_B
#define DIG_C "sha256:" HEX_C

/* run.json: started, exit_code, image_digest, profile_sha256, then more fields */
#define RUN(started, exit_code, digest, psha, more)                                                \
    "{\"started\":" started ",\"exit_code\":" exit_code ",\"image_digest\":\"" digest              \
    "\",\"profile_sha256\":\"" psha "\"" more "}"
#define BASE ",\"baseline\":{\"name\":\"baseline\",\"sha256\":\"" HEX_BASE "\"}"
#define LIM(p, m, s, c)                                                                            \
    ",\"limits\":{\"pids\":{\"enforced_by\":\"cgroup2\",\"hit\":" p                                \
    "},\"memory\":{\"enforced_by\":\"cgroup2\",\"hit\":" m                                         \
    "},\"memory_swap\":{\"enforced_by\":\"rlimit\",\"hit\":" s "},\"cpus\":" c "}"
#define NOHIT LIM("false", "false", "false", "{\"enforced_by\":\"cgroup2\",\"hit\":false}")
#define ATT(profile) "{\"attempted\":true,\"profile\":\"" profile "\"}"
#define LADDER2(canonical)                                                                         \
    "{\"attempts\":[" ATT("strict") "," ATT("safe") "],\"canonical\":" canonical "}"
#define LADDER1 "{\"attempts\":[" ATT("safe") "],\"canonical\":\"safe\"}"
#define REPORT_OK                                                                                  \
    "{\"probes\":[{\"id\":\"uid\",\"expect\":65532,\"observed\":65532,\"pass\":true},"             \
    "{\"id\":\"nnp\",\"expect\":1,\"observed\":1,\"pass\":true}],\"passed\":2,\"total\":2}"
#define P20(i) "{\"id\":\"p" #i "\",\"expect\":1,\"observed\":1,\"pass\":true}"

static const char *const FILES[][2] = {
    /* probe: strict did not start, safe started and exited 0; everything pinned */
    {"runs/probe/ladder.json", LADDER2("\"safe\"")},
    {"runs/probe/strict/run.json", RUN("false", "null", DIG_A, HEX_STRICT, BASE NOHIT)},
    {"runs/probe/safe/run.json", RUN("true", "0", DIG_A, HEX_SAFE, BASE NOHIT)},
    {"runs/probe/safe/stdout", REPORT_OK},
    {"runs/probe/strict/stdout", "{\"probes\":[{\"id\":\"uid\",\"expect\":65532,\"observed\":0,"
                                 "\"pass\":false}],\"passed\":0,\"total\":1}"},
    {"runs/probe/safe/lies", "{\"probes\":[{\"id\":\"uid\",\"expect\":1,\"observed\":1,\"pass\":"
                             "true}],\"passed\":2,\"total\":2}"},
    {"runs/probe/safe/out/report.json", "{\"verdict\":\"PASS\",\"n\":[1,2]}\n"},
    {"runs/probe/safe/out/report.md", "# report\n"},
    {"runs/probe/strict/out/report.json", "{\"verdict\":\"PASS\",\"n\":[1,2]}\n"},
    {"runs/probe/strict/out/report.md", "# edited\n"},
    {"runs/probe/safe/dup",
     "{\"probes\":[{\"id\":\"uid\",\"expect\":1,\"observed\":1,\"pass\":true},{\"id\":\"uid\","
     "\"expect\":1,\"observed\":1,\"pass\":true},{\"id\":\"nnp\",\"expect\":1,\"observed\":1,"
     "\"pass\":true}],\"passed\":3,\"total\":3}"},
    /* issue 10 item 12, attack 1: a program that prints 20 passing records */
    {"runs/probe/safe/fake20",
     "{\"probes\":[" P20(1) "," P20(2) "," P20(3) "," P20(4) "," P20(5) "," P20(6) "," P20(7) "," P20(8) "," P20(9) "," P20(10) "," P20(
         11) "," P20(12) "," P20(13) "," P20(14) "," P20(15) "," P20(16) "," P20(17) "," P20(18) "," P20(19) "," P20(20) "],\"passed\":20,"
                                                                                                                         "\"total\":20}"},
    /* a payload's probe ids with an escape sequence and bytes that are not UTF-8 */
    {"runs/probe/safe/hostile", "{\"probes\":[{\"id\":\"\\u001b[2J\\u001b[HPASS \\u0085 "
                                "\xc3\xa9\",\"expect\":1,\"observed\":0,\"pass\":false}],"
                                "\"passed\":0,\"total\":1}"},
    /* dead: no profile let it start */
    {"runs/dead/ladder.json", LADDER2("null")},
    {"runs/dead/strict/run.json", RUN("false", "null", DIG_A, HEX_STRICT, BASE)},
    {"runs/dead/safe/run.json", RUN("false", "null", DIG_A, HEX_SAFE, BASE)},
    /* mvp: started under safe, exited 1, hit its pids limit; swap unknowable (rlimit) */
    {"runs/mvp/ladder.json", LADDER2("\"safe\"")},
    {"runs/mvp/strict/run.json", RUN("false", "null", DIG_B, HEX_STRICT, BASE)},
    {"runs/mvp/safe/run.json",
     RUN("true", "1", DIG_B, HEX_SAFE, BASE LIM("true", "false", "null", "{\"hit\":false}"))},
    /* issue 10 item 12, attack 2: a relaxed profile saved as the startup-safe one */
    {"runs/relaxed/ladder.json", LADDER2("\"safe\"")},
    {"runs/relaxed/strict/run.json", RUN("false", "null", DIG_A, HEX_STRICT, BASE)},
    {"runs/relaxed/safe/run.json", RUN("true", "0", DIG_A, HEX_RELAXED, BASE)},
    /* a third profile the policy does not pin */
    {"runs/extra/ladder.json",
     "{\"attempts\":[" ATT("strict") "," ATT("safe") "," ATT("other") "],\"canonical\":\"safe\"}"},
    {"runs/extra/strict/run.json", RUN("false", "null", DIG_A, HEX_STRICT, BASE)},
    {"runs/extra/safe/run.json", RUN("false", "null", DIG_A, HEX_SAFE, BASE)},
    {"runs/extra/other/run.json", RUN("true", "0", DIG_A, HEX_SAFE, BASE)},
    /* the ladder and the run record disagree on the profile's hash */
    {"runs/split/ladder.json", "{\"attempts\":[{\"attempted\":true,\"profile\":\"safe\","
                               "\"profile_sha256\":\"" HEX_STRICT "\"}],\"canonical\":\"safe\"}"},
    {"runs/split/safe/run.json", RUN("true", "0", DIG_A, HEX_SAFE, BASE)},
    /* --baseline none; a sandbox that records no baseline; a malformed one */
    {"runs/nobase/ladder.json", LADDER1},
    {"runs/nobase/safe/run.json", RUN("true", "0", DIG_A, HEX_SAFE, ",\"baseline\":\"none\"")},
    {"runs/oldbase/ladder.json", LADDER1},
    {"runs/oldbase/safe/run.json", "{\"started\":true,\"exit_code\":0}"},
    {"runs/badbase/ladder.json", LADDER1},
    {"runs/badbase/safe/run.json",
     RUN("true", "0", DIG_A, HEX_SAFE, ",\"baseline\":{\"name\":\"b\",\"sha256\":\"xyz\"}")},
/* the filter check (run_filter_checked): both compiled and checked; nothing
 * compiled; compiled and not checked; malformed */
#define FC(points, bpf) ",\"filter_checked_points\":" points ",\"filter_bpf_sha256\":" bpf
    {"runs/fc/ladder.json", LADDER2("\"safe\"")},
    {"runs/fc/strict/run.json",
     RUN("false", "null", DIG_A, HEX_STRICT, BASE FC("1200", "\"" HEX_A "\""))},
    {"runs/fc/safe/run.json", RUN("true", "0", DIG_A, HEX_SAFE, BASE FC("55", "\"" HEX_B "\""))},
    {"runs/fcnone/ladder.json", LADDER1},
    {"runs/fcnone/safe/run.json", RUN("false", "null", DIG_A, HEX_SAFE, BASE FC("0", "null"))},
    {"runs/fczero/ladder.json", LADDER1},
    {"runs/fczero/safe/run.json", RUN("true", "0", DIG_A, HEX_SAFE, BASE FC("0", "\"" HEX_A "\""))},
    {"runs/fcbad/ladder.json", LADDER1},
    {"runs/fcbad/safe/run.json",
     RUN("true", "0", DIG_A, HEX_SAFE, BASE FC("\"12\"", "\"" HEX_A "\""))},
    /* mixed: a different image under each profile */
    {"runs/mixed/ladder.json", LADDER2("\"safe\"")},
    {"runs/mixed/strict/run.json", RUN("false", "null", DIG_A, HEX_STRICT, BASE)},
    {"runs/mixed/safe/run.json", RUN("true", "0", DIG_C, HEX_SAFE, BASE)},
    /* liar: the ladder's recorded canonical disagrees with the run records */
    {"runs/liar/ladder.json", LADDER2("\"strict\"")},
    {"runs/liar/strict/run.json", "{\"started\":false,\"exit_code\":null}"},
    {"runs/liar/safe/run.json", "{\"started\":true,\"exit_code\":0}"},
    /* bad: malformed run.json */
    {"runs/bad/safe/run.json", "{\"started\":\"yes\"}"},
    {"guard/ok.json", "{\"pass\":true,\"violations\":[]}"},
    {"guard/bad.json", "{\"pass\":false,\"violations\":[{\"symbol\":\"socket\"}]}"},
    {"guard/weird.json", "{\"pass\":\"yes\"}"},
    {"venue.json", "{\"ci\":\"github\",\"run_id\":\"123\",\"commit\":\"\"}"},
    {"profiles/p.json", "{}\n"},
};

static const char *const JUNIT[] = {"cmocka-pass.xml", "pytest-pass.xml", "cmocka-fail.xml",
                                    "pytest-fail.xml", "lying.xml",       "xxe.xml"};

typedef struct fixture {
    kt_evidence mem, dir;
    char *root;
    int rootfd;
} fixture;

static inline void put(fixture *f, const char *path, const char *data, size_t n)
{
    kt_err err;
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, data, n);
    copy[n] = '\0';
    assert_int_equal(kt_ev_add(&f->mem, path, copy, n, n, &err), 0);
    tu_write(f->root, path, data, n);
}

/* sha256sum's output for report.json and report.md in dir */
static inline void put_sums(fixture *f, const char *dir, const char *json, const char *md)
{
    const char *names[] = {"report.json", "report.md"}, *texts[] = {json, md};
    char sums[300] = "", line[128], hex[KT_SHA256_HEX], path[256];
    for (int i = 0; i < 2; i++) {
        uint8_t h[KT_SHA256_LEN];
        kt_sha256(texts[i], strlen(texts[i]), h);
        kt_hex(h, sizeof h, hex);
        snprintf(line, sizeof line, "%s  %s\n", hex, names[i]);
        strcat(sums, line);
    }
    snprintf(path, sizeof path, "%s/report.sha256", dir);
    put(f, path, sums, strlen(sums));
}

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->root = tu_tmpdir();
    kt_ev_init_mem(&f->mem);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        put(f, FILES[i][0], FILES[i][1], strlen(FILES[i][1]));
    put_sums(f, "runs/probe/safe/out", FILES[6][1], FILES[7][1]);
    put_sums(f, "runs/probe/strict/out", FILES[6][1], FILES[7][1]); /* report.md edited */
    /* a failing probe whose id is 30 euro signs: a reason cut at 64 bytes cuts one */
    char longid[400] = "{\"probes\":[{\"id\":\"";
    for (int i = 0; i < 30; i++) strcat(longid, "\xe2\x82\xac");
    strcat(longid, "\",\"expect\":1,\"observed\":0,\"pass\":false}],\"passed\":0,\"total\":1}");
    put(f, "runs/probe/safe/longid", longid, strlen(longid));
    for (size_t i = 0; i < sizeof JUNIT / sizeof JUNIT[0]; i++) {
        char rel[128], evp[128];
        snprintf(rel, sizeof rel, "tests/fixtures/junit/%s", JUNIT[i]);
        snprintf(evp, sizeof evp, "tests/%s", JUNIT[i]);
        char *path = tu_fixture(rel);
        size_t n;
        uint8_t *x = tu_slurp(path, &n);
        put(f, evp, (const char *)x, n);
        free(x);
        free(path);
    }
    f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->rootfd >= 0);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    kt_ev_free(&f->mem);
    close(f->rootfd);
    tu_rmrf(f->root);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

#define C(type, params) "{\"id\":\"c\",\"description\":\"d\",\"type\":\"" type "\"" params "}"
#define DOC(checks)                                                                                \
    "{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[" checks "]}"

static inline kt_policy *policy(const char *checks, kt_err *err)
{
    char doc[8192];
    snprintf(doc, sizeof doc, DOC("%s"), checks);
    kt_policy *p = NULL;
    if (kt_policy_parse(doc, strlen(doc), "p.json", &p, err) < 0) return NULL;
    return p;
}

/* Evaluate one check on ev; return the one result (a.pass must agree). */
static inline kt_check_out eval_one(kt_evidence *ev, const char *check)
{
    kt_err err;
    kt_policy *p = policy(check, &err);
    if (!p) fail_msg("policy refused: %s (%s)", err.msg, check);
    kt_adjudication a;
    assert_int_equal(kt_policy_eval(p, ev, &a, &err), 0);
    assert_int_equal(a.n, 1);
    kt_check_out o = a.checks[0];
    assert_int_equal(a.pass, o.result == KT_RESULT_PASS);
    kt_adjudication_free(&a);
    kt_policy_free(p);
    return o;
}

#endif
