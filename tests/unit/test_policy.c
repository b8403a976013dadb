/* The policy engine, table-driven: policy validation, every check type on
 * passing, failing and malformed evidence, JUnit from cmocka and pytest, the
 * adjudication record and its comparison, and evidence access.
 *
 * Every check case runs twice: on evidence in memory (as kiemthu-verify holds
 * a bundle's members) and on the same files in a directory (as kiemthu-bundle
 * create reads them). Both must give the same result, reason and list of
 * files read: verify's re-adjudication depends on exactly that. */
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

static void put(fixture *f, const char *path, const char *data, size_t n)
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
static void put_sums(fixture *f, const char *dir, const char *json, const char *md)
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

static int setup(void **state)
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

static int teardown(void **state)
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

static kt_policy *policy(const char *checks, kt_err *err)
{
    char doc[8192];
    snprintf(doc, sizeof doc, DOC("%s"), checks);
    kt_policy *p = NULL;
    if (kt_policy_parse(doc, strlen(doc), "p.json", &p, err) < 0) return NULL;
    return p;
}

/* Evaluate one check on ev; return the one result (a.pass must agree). */
static kt_check_out eval_one(kt_evidence *ev, const char *check)
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

/* ---- validation: what a policy may not say ------------------------------- */

static void policy_validation(void **state)
{
    (void)state;
    static const struct {
        const char *checks, *expect;
    } bad[] = {
        {C("no_such_type", ""), "unknown check type \"no_such_type\""},
        {C("exit_code", ",\"run\":\"r\",\"profile\":\"p\""), "missing parameter \"expect\""},
        {C("exit_code", ",\"run\":\"r\",\"profile\":\"p\",\"expect\":\"0\""),
         "parameter \"expect\" has the wrong type"},
        {C("exit_code", ",\"run\":\"r\",\"profile\":\"p\",\"expect\":0,\"extra\":1"),
         "unknown parameter \"extra\""},
        {C("junit", ",\"file\":\"f\",\"min_tests\":1.5"), "wrong type"},
        {C("junit", ",\"file\":\"f\",\"min_tests\":1e300"), "wrong type"},
        {C("files_present", ",\"run\":\"r\",\"profile\":\"p\",\"files\":[1]"), "wrong type"},
        {C("guard_passed", ",\"file\":\"f\"") "," C("guard_passed", ",\"file\":\"f\""),
         "duplicate id"},
        {"{\"id\":\"Bad Id\",\"description\":\"d\",\"type\":\"guard_passed\",\"file\":\"f\"}",
         "\"id\" must be"},
        {"{\"id\":\"c\",\"type\":\"guard_passed\",\"file\":\"f\"}", "description"},
        {"{\"id\":\"c\",\"description\":\"two\\nlines\",\"type\":\"guard_passed\",\"file\":\"f\"}",
         "one line"},
        {"{\"id\":\"c\",\"description\":\"d\",\"file\":\"f\"}", "\"type\" missing"},
        {"7", "\"id\" must be"},
        {C("no_such_type", ""), "the check types are: run_started, exit_code, canonical_profile"},
        {C("profile_sha256", ",\"file\":\"f\",\"sha256\":\"00\""),
         "\"sha256\" has the wrong type: it must be sha256, 64 lowercase hex digits"},
        {C("profile_sha256", ",\"file\":\"f\",\"sha256\":\"" H64("AAAA") "\""), "wrong type"},
        {C("image_pinned", ",\"run\":\"r\",\"digest\":\"" HEX_A "\""), "it must be digest"},
        {C("image_pinned", ",\"run\":\"r\",\"digest\":\"sha512:" HEX_A "\""), "wrong type"},
        {C("image_digest_consistent", ",\"run\":\"r\",\"pinned\":\"sha256:aa\""), "wrong type"},
        {C("run_profiles_pinned", ",\"run\":\"r\",\"profiles\":{}"), "it must be object"},
        {C("run_profiles_pinned", ",\"run\":\"r\",\"profiles\":{\"a/b\":\"" HEX_A "\"}"),
         "wrong type"},
        {C("run_profiles_pinned", ",\"run\":\"r\",\"profiles\":{\"..\":\"" HEX_A "\"}"),
         "wrong type"},
        {C("run_profiles_pinned", ",\"run\":\"r\",\"profiles\":{\"s\":1}"), "wrong type"},
        {C("run_profiles_pinned", ",\"run\":\"r\",\"profiles\":[\"" HEX_A "\"]"), "wrong type"},
        {C("run_baseline", ",\"run\":\"r\",\"sha256\":\"none\""), "wrong type"},
        {C("limit_not_hit", ",\"run\":\"r\",\"profile\":\"p\",\"limits\":[]"),
         "non-empty array of distinct limits"},
        {C("limit_not_hit", ",\"run\":\"r\",\"profile\":\"p\",\"limits\":[\"pids\",\"pids\"]"),
         "wrong type"},
        {C("limit_not_hit", ",\"run\":\"r\",\"profile\":\"p\",\"limits\":[\"disk\"]"),
         "wrong type"},
        {C("limit_not_hit", ",\"run\":\"r\",\"profile\":\"p\",\"limits\":\"pids\""), "wrong type"},
        {C("probe_ids", ",\"run\":\"r\",\"profile\":\"p\",\"ids\":[]"),
         "non-empty array of distinct strings"},
        {C("probe_ids", ",\"run\":\"r\",\"profile\":\"p\",\"ids\":[\"a\",\"a\"]"), "wrong type"},
        {C("probe_ids", ",\"run\":\"r\",\"profile\":\"p\",\"ids\":[\"a\",\"\"]"), "wrong type"},
        {C("probe_ids", ",\"run\":\"r\",\"profile\":\"p\""), "missing parameter \"ids\""},
        {C("json_field", ",\"file\":\"f\",\"pointer\":\"/a\",\"equals\":1.5"),
         "it must be any JSON value (integers only)"},
        {"{\"id\":\"c\",\"description\":\"tab\\there\",\"type\":\"guard_passed\",\"file\":\"f\"}",
         "one line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_err err;
        kt_policy *p = policy(bad[i].checks, &err);
        if (p || !strstr(err.msg, bad[i].expect))
            fail_msg("case %zu: %s", i, p ? "accepted" : err.msg);
        assert_int_equal(err.cls, KT_E_DATA);
    }
    static const struct {
        const char *doc, *expect;
    } docs[] = {
        {"{\"kiemthuPolicy\":2,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[" C(
             "guard_passed", ",\"file\":\"f\"") "]}",
         "must be 1"},
        {"{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"any\",\"checks\":[" C(
             "guard_passed", ",\"file\":\"f\"") "]}",
         "\"verdict\" must be \"all\""},
        {"{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[]}", "non-empty"},
        {"{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[" C(
             "guard_passed", ",\"file\":\"f\"") "],\"x\":1}",
         "unknown field \"x\""},
        {"{\"kiemthuPolicy\":1,\"verdict\":\"all\",\"checks\":[" C("guard_passed",
                                                                   ",\"file\":\"f\"") "]}",
         "\"name\" must be"},
        {"[]", "a policy is a JSON object"},
        {"{\"kiemthuPolicy\":1,\"name\":\"a\\u001bb\",\"verdict\":\"all\",\"checks\":[" C(
             "guard_passed", ",\"file\":\"f\"") "]}",
         "\"name\" must be one line"},
        {"not json", "invalid JSON near line 1, column 1"},
        {"{\n  \"kiemthuPolicy\": 1,\n  \"name\": \"t\",,\n}", "invalid JSON near line 3, column"},
        {"{}\n\n  x", "trailing data after the JSON value at line 3, column 3"},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        kt_policy *p = NULL;
        kt_err err;
        if (kt_policy_parse(docs[i].doc, strlen(docs[i].doc), "p.json", &p, &err) == 0)
            fail_msg("doc %zu accepted", i);
        if (!strstr(err.msg, docs[i].expect) || strncmp(err.msg, "p.json", 6))
            fail_msg("doc %zu: %s", i, err.msg);
    }
    /* a policy over the size cap is refused before it is parsed */
    size_t big = KT_POLICY_MAX + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    kt_policy *p = NULL;
    kt_err err;
    assert_int_equal(kt_policy_parse(huge, big, "huge.json", &p, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    free(huge);
}

/* ---- every check type, on both evidence sources ------------------------- */

#define P_PASS KT_RESULT_PASS
#define P_FAIL KT_RESULT_FAIL
#define P_ERR KT_RESULT_ERROR
#define HEX_P "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356" /* "{}\n" */

static const struct check_case {
    const char *check;
    enum kt_result want;
    const char *reason; /* a substring of the reason, or NULL */
} CASES[] = {
    /* run_started */
    {C("run_started", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":false"), P_PASS,
     "did not start"},
    {C("run_started", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":true"), P_FAIL,
     "did not start"},
    {C("run_started", ",\"run\":\"nope\",\"profile\":\"strict\",\"expect\":true"), P_ERR,
     "missing"},
    {C("run_started", ",\"run\":\"bad\",\"profile\":\"safe\",\"expect\":true"), P_ERR,
     "needs boolean \"started\""},
    /* canonical_profile */
    {C("canonical_profile", ",\"run\":\"probe\",\"expect\":\"safe\""), P_PASS, NULL},
    {C("canonical_profile", ",\"run\":\"probe\",\"expect\":\"strict\""), P_FAIL,
     "is safe, the strictest that started (expected strict)"},
    {C("canonical_profile", ",\"run\":\"dead\",\"expect\":\"safe\""), P_FAIL,
     "no profile let the payload start"},
    {C("canonical_profile", ",\"run\":\"liar\",\"expect\":\"strict\""), P_ERR,
     "records canonical \"strict\" but the run records say \"safe\""},
    /* exit_code */
    {C("exit_code", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"expect\":0"), P_PASS, NULL},
    {C("exit_code", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"expect\":0"), P_FAIL,
     "exited 1 (expected 0)"},
    {C("exit_code", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":0"), P_FAIL,
     "no exit code"},
    {C("exit_code", ",\"run\":\"dead\",\"profile\":\"@canonical\",\"expect\":0"), P_FAIL,
     "no profile let the payload start"},
    /* image_digest_consistent */
    {C("image_digest_consistent", ",\"run\":\"probe\""), P_PASS, "2 attempt(s) ran image " DIG_A},
    {C("image_digest_consistent", ",\"run\":\"probe\",\"pinned\":\"" DIG_C "\""), P_FAIL,
     "runs/probe/strict/run.json: image_digest is " DIG_A ", pinned " DIG_C},
    {C("image_digest_consistent", ",\"run\":\"mixed\""), P_FAIL,
     "differs between attempts of mixed: " DIG_A " under strict, " DIG_C " under safe"},
    {C("image_digest_consistent", ",\"run\":\"liar\""), P_ERR, "no image_digest"},
    {C("image_digest_consistent", ",\"run\":\"nope\""), P_ERR, "missing"},
    /* image_pinned */
    {C("image_pinned", ",\"run\":\"probe\",\"digest\":\"" DIG_A "\""), P_PASS, "(pinned)"},
    {C("image_pinned", ",\"run\":\"mvp\",\"digest\":\"" DIG_A "\""), P_FAIL,
     "image_digest is " DIG_B ", pinned " DIG_A},
    {C("image_pinned", ",\"run\":\"mixed\",\"digest\":\"" DIG_A "\""), P_FAIL,
     "runs/mixed/safe/run.json: image_digest is " DIG_C ", pinned " DIG_A},
    {C("image_pinned", ",\"run\":\"liar\",\"digest\":\"" DIG_A "\""), P_ERR, "no image_digest"},
    /* run_profiles_pinned: what ran, not the evidence copy */
    {C("run_profiles_pinned",
       ",\"run\":\"probe\",\"profiles\":{\"strict\":\"" HEX_STRICT "\",\"safe\":\"" HEX_SAFE "\"}"),
     P_PASS, "2 attempt(s) of probe ran pinned profiles: strict, safe"},
    {C("run_profiles_pinned", ",\"run\":\"relaxed\",\"profiles\":{\"strict\":\"" HEX_STRICT
                              "\",\"safe\":\"" HEX_SAFE "\"}"),
     P_FAIL, "runs/relaxed/safe/run.json: profile_sha256 is " HEX_RELAXED ", pinned " HEX_SAFE},
    {C("run_profiles_pinned",
       ",\"run\":\"extra\",\"profiles\":{\"strict\":\"" HEX_STRICT "\",\"safe\":\"" HEX_SAFE "\"}"),
     P_FAIL, "attempted profile other (sha256 " HEX_SAFE "), which the policy does not pin"},
    {C("run_profiles_pinned", ",\"run\":\"split\",\"profiles\":{\"safe\":\"" HEX_SAFE "\"}"), P_ERR,
     "record different profile_sha256"},
    {C("run_profiles_pinned", ",\"run\":\"oldbase\",\"profiles\":{\"safe\":\"" HEX_SAFE "\"}"),
     P_ERR, "no profile_sha256"},
    {C("run_profiles_pinned", ",\"run\":\"dead\",\"profiles\":{\"safe\":\"" HEX_SAFE "\"}"), P_FAIL,
     "profile strict"},
    /* run_baseline */
    {C("run_baseline", ",\"run\":\"probe\""), P_PASS, "ran with baseline baseline"},
    {C("run_baseline", ",\"run\":\"probe\",\"sha256\":\"" HEX_BASE "\""), P_PASS, "pinned"},
    {C("run_baseline", ",\"run\":\"probe\",\"sha256\":\"" HEX_A "\""), P_FAIL,
     "has sha256 " HEX_BASE ", pinned " HEX_A},
    {C("run_baseline", ",\"run\":\"nobase\""), P_FAIL, "ran with --baseline none"},
    {C("run_baseline", ",\"run\":\"oldbase\""), P_ERR, "has no \"baseline\""},
    {C("run_baseline", ",\"run\":\"badbase\""), P_ERR, "neither {name, sha256} nor \"none\""},
    /* limit_not_hit: true fails, null (unknowable) and absent are errors, never a pass */
    {C("limit_not_hit", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"limits\":[\"pids\","
                        "\"memory\",\"memory_swap\",\"cpus\"]"),
     P_PASS, "hit none of its limits (4 checked)"},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"pids\"]"),
     P_FAIL, "hit its limits: pids (hit, enforced by cgroup2)"},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"memory\","
                        "\"cpus\"]"),
     P_PASS, NULL},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"memory_swap\"]"),
     P_ERR, "memory_swap (cannot be known, enforced by rlimit)"},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"memory_swap\","
                        "\"pids\"]"),
     P_FAIL, "pids (hit"},
    {C("limit_not_hit", ",\"run\":\"oldbase\",\"profile\":\"safe\",\"limits\":[\"pids\"]"), P_ERR,
     "pids (not recorded)"},
    {C("limit_not_hit", ",\"run\":\"dead\",\"profile\":\"@canonical\",\"limits\":[\"pids\"]"),
     P_FAIL, "no profile let the payload start"},
    /* probe_ids: exactly these, each once, in any order */
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"ids\":[\"uid\",\"nnp\"]"),
     P_PASS, "exactly the 2 pinned probe ids"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"ids\":[\"nnp\",\"uid\"]"), P_PASS,
     NULL},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"ids\":[\"uid\"]"), P_FAIL,
     "missing: none; unexpected: nnp"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"ids\":[\"uid\",\"nnp\",\"gid\"]"),
     P_FAIL, "missing: gid; unexpected: none"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"dup\",\"ids\":[\"uid\","
                    "\"nnp\"]"),
     P_FAIL, "listed twice: uid"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"lies\",\"ids\":[\"uid\"]"),
     P_ERR, "says 2/2 but lists 1/1"},
    /* attack 1: 20 passing records pass probe_report, not probe_ids */
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"fake20\",\"min_probes\":20"),
     P_PASS, "20/20"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"fake20\",\"ids\":[\"uid\","
                    "\"nnp\"]"),
     P_FAIL, "lists 20 probes, pinned 2; missing: nnp, uid; unexpected: p1, p2, p3"},
    /* attack 2: the evidence copy of the profile is the genuine one, what ran is not */
    {C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"" HEX_P "\""), P_PASS, NULL},
    /* payload bytes in a reason: no control byte survives, the reason stays UTF-8 */
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"hostile\",\"min_probes\":1"),
     P_FAIL, "first failing: ?[2J?[HPASS ?? \xc3\xa9"},
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"longid\",\"min_probes\":1"),
     P_FAIL, "first failing: \xe2\x82\xac"},
    /* probe_report */
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"min_probes\":2"), P_PASS,
     "2/2 probes pass"},
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"min_probes\":20"), P_FAIL,
     "fewer than 20"},
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"strict\",\"min_probes\":1"), P_FAIL,
     "first failing: uid"},
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"min_probes\":1,\"file\":\"lies\""),
     P_ERR, "says 2/2 but lists 1/1"},
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"safe\",\"min_probes\":1,\"file\":\"run."
                       "json\""),
     P_ERR, "needs \"probes\" array"},
    /* report_triplet and files_present */
    {C("report_triplet", ",\"run\":\"probe\",\"profile\":\"@canonical\""), P_PASS, NULL},
    {C("report_triplet", ",\"run\":\"probe\",\"profile\":\"strict\""), P_FAIL, "does not match"},
    {C("report_triplet", ",\"run\":\"mvp\",\"profile\":\"@canonical\""), P_FAIL, "missing"},
    {C("files_present",
       ",\"run\":\"probe\",\"profile\":\"@canonical\",\"files\":[\"out/report.json\",\"out/"
       "report.md\"]"),
     P_PASS, "all 2 files"},
    {C("files_present",
       ",\"run\":\"probe\",\"profile\":\"@canonical\",\"files\":[\"out/missing\"]"),
     P_FAIL, "runs/probe/safe/out/missing is missing"},
    {C("files_present", ",\"run\":\"probe\",\"profile\":\"safe\",\"files\":[\"../../../etc\"]"),
     P_FAIL, "missing"},
    /* json_field: RFC 6901 pointers; the actual value next to the expected one */
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/"
                     "verdict\",\"equals\":\"PASS\""),
     P_PASS, NULL},
    {C("json_field",
       ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n/1\",\"equals\":2"),
     P_PASS, NULL},
    {C("json_field",
       ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n\",\"equals\":[1,2]"),
     P_PASS, NULL},
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/"
                     "verdict\",\"equals\":\"FAIL\""),
     P_FAIL, "is \"PASS\", expected \"FAIL\""},
    {C("json_field",
       ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/nope\",\"equals\":1"),
     P_FAIL, "has nothing at /nope"},
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n/-1\","
                     "\"equals\":1"),
     P_FAIL, "nothing at"},
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.md\",\"pointer\":\"/x\",\"equals\":1"),
     P_ERR, "invalid JSON"},
    /* single files */
    {C("guard_passed", ",\"file\":\"guard/ok.json\""), P_PASS, NULL},
    {C("guard_passed", ",\"file\":\"guard/bad.json\""), P_FAIL, "1 violation"},
    {C("guard_passed", ",\"file\":\"guard/weird.json\""), P_ERR, "needs boolean"},
    {C("guard_passed", ",\"file\":\"guard/missing.json\""), P_ERR, "missing"},
    {C("venue_fields", ",\"file\":\"venue.json\",\"fields\":[\"ci\",\"run_id\"]"), P_PASS, NULL},
    {C("venue_fields", ",\"file\":\"venue.json\",\"fields\":[\"ci\",\"commit\"]"), P_FAIL,
     "no \"commit\""},
    {C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"" HEX_P "\""), P_PASS, NULL},
    {C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"" HEX_A "\""), P_FAIL,
     "has sha256 " HEX_P ", pinned " HEX_A},
    {C("profile_sha256", ",\"file\":\"/etc/passwd\",\"sha256\":\"" HEX_A "\""), P_ERR,
     "not relative"},
    /* JUnit from cmocka and pytest (committed fixtures) */
    {C("junit", ",\"file\":\"tests/cmocka-pass.xml\",\"min_tests\":1"), P_PASS, NULL},
    {C("junit", ",\"file\":\"tests/pytest-pass.xml\",\"min_tests\":1"), P_PASS, NULL},
    {C("junit", ",\"file\":\"tests/cmocka-fail.xml\",\"min_tests\":1"), P_FAIL, "failures"},
    {C("junit", ",\"file\":\"tests/pytest-fail.xml\",\"min_tests\":1"), P_FAIL, "failures"},
    {C("junit", ",\"file\":\"tests/lying.xml\",\"min_tests\":1"), P_ERR, "but holds"},
    {C("junit", ",\"file\":\"tests/xxe.xml\",\"min_tests\":1"), P_PASS, NULL},
    {C("junit", ",\"file\":\"tests/pytest-pass.xml\",\"min_tests\":1000"), P_FAIL, ">= 1000"},
};

static void same_outcome(const kt_check_out *a, const kt_check_out *b, size_t i)
{
    if (a->result != b->result || strcmp(a->reason, b->reason) || a->nevidence != b->nevidence)
        fail_msg("case %zu: memory gives %s \"%s\", directory gives %s \"%s\"", i,
                 kt_result_name(a->result), a->reason, kt_result_name(b->result), b->reason);
    for (int k = 0; k < a->nevidence; k++) assert_string_equal(a->evidence[k], b->evidence[k]);
}

static void check_cases(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        kt_check_out m = eval_one(&f->mem, CASES[i].check);
        kt_ev_init_dir(&f->dir, f->rootfd, f->root);
        kt_check_out d = eval_one(&f->dir, CASES[i].check);
        kt_ev_free(&f->dir);
        same_outcome(&m, &d, i);
        /* whatever the evidence holds, a reason can be recorded and printed */
        assert_true(kt_utf8_valid(m.reason, strlen(m.reason)));
        for (const unsigned char *s = (const unsigned char *)m.reason; *s; s++)
            if (*s < 0x20 || *s == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0))
                fail_msg("case %zu: control byte in \"%s\"", i, m.reason);
        if (m.result != CASES[i].want || (CASES[i].reason && !strstr(m.reason, CASES[i].reason)))
            fail_msg("case %zu (%s): %s \"%s\", want %s \"%s\"", i, CASES[i].check,
                     kt_result_name(m.result), m.reason, kt_result_name(CASES[i].want),
                     CASES[i].reason ? CASES[i].reason : "");
    }
}

/* ---- JUnit reader -------------------------------------------------------- */

static void junit_reader(void **state)
{
    (void)state;
    static const struct {
        const char *xml;
        int ok;
        long tests, failures;
    } cases[] = {
        {"<testsuites><testsuite tests=\"2\" failures=\"0\" errors=\"0\"><testcase/><testcase/>"
         "</testsuite></testsuites>",
         1, 2, 0},
        {"<testsuite><testcase><failure/></testcase><testcase/></testsuite>", 1, 2, 1},
        {"<testsuite tests=\"x\"><testcase/></testsuite>", 0, 0, 0},
        {"<testsuite tests=\"3\"><testcase/></testsuite>", 0, 0, 0},
        {"<html/>", 0, 0, 0},
        {"<testsuite", 0, 0, 0},
        {"", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_junit j;
        kt_err err;
        int rc = kt_junit_parse(cases[i].xml, strlen(cases[i].xml), "x", &j, &err);
        if ((rc == 0) != cases[i].ok) fail_msg("junit case %zu: rc %d", i, rc);
        if (rc == 0) {
            assert_int_equal(j.tests, cases[i].tests);
            assert_int_equal(j.failures, cases[i].failures);
        }
    }
}

/* ---- the record and its comparison -------------------------------------- */

static void record_comparison(void **state)
{
    fixture *f = *state;
    kt_err err;
    kt_policy *p = policy(C("guard_passed", ",\"file\":\"guard/ok.json\""), &err);
    assert_non_null(p);
    kt_adjudication a;
    assert_int_equal(kt_policy_eval(p, &f->mem, &a, &err), 0);
    static const struct {
        const char *path, *key; /* in checks[0] if path is "c0", else the record */
        const char *value;
        const char *expect; /* NULL: still agrees */
    } edits[] = {
        {NULL, NULL, NULL, NULL},
        {"c0", "result", "fail", "check c: recorded \"fail\" but the evidence gives \"pass\""},
        {"c0", "result", "error", "recorded \"error\""},
        {"c0", "id", "other", "recorded check 0 is not \"c\""},
        {"c0", "reason", "anything", NULL}, /* reasons are explanations, not results */
        {"rec", "verdict", "FAIL", "recorded verdict FAIL but the evidence gives PASS"},
        {"rec", "policySha256", "00", "not the bundled policy"},
        {"rec", "checks", NULL, "malformed"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        cJSON *rec = NULL;
        assert_int_equal(kt_adjudication_json(p, &a, &rec, &err), 0);
        cJSON *target = rec;
        if (edits[i].path && !strcmp(edits[i].path, "c0"))
            target = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rec, "checks"), 0);
        if (edits[i].key)
            cJSON_ReplaceItemInObjectCaseSensitive(
                target, edits[i].key,
                edits[i].value ? cJSON_CreateString(edits[i].value) : cJSON_CreateNull());
        int rc = kt_adjudication_compare(rec, p, &a, &err);
        if (!edits[i].expect)
            assert_int_equal(rc, 0);
        else if (rc != -1 || err.cls != KT_E_TAMPER || !strstr(err.msg, edits[i].expect))
            fail_msg("edit %zu: rc %d: %s", i, rc, err.msg);
        cJSON_Delete(rec);
    }
    /* a record with one check too many */
    cJSON *rec = NULL;
    assert_int_equal(kt_adjudication_json(p, &a, &rec, &err), 0);
    cJSON *checks = cJSON_GetObjectItemCaseSensitive(rec, "checks");
    cJSON_AddItemToArray(checks, cJSON_Duplicate(cJSON_GetArrayItem(checks, 0), 1));
    assert_int_equal(kt_adjudication_compare(rec, p, &a, &err), -1);
    assert_non_null(strstr(err.msg, "the record has 2 checks, the policy 1"));
    cJSON_Delete(rec);
    kt_adjudication_free(&a);
    kt_policy_free(p);
}

/* ---- evidence access: nothing outside the root, no symlink, no FIFO ------ */

static void evidence_access(void **state)
{
    fixture *f = *state;
    char path[4096];
    snprintf(path, sizeof path, "%s/linked", f->root);
    assert_int_equal(symlink("guard", path), 0);
    snprintf(path, sizeof path, "%s/venue-link.json", f->root);
    assert_int_equal(symlink("venue.json", path), 0);
    snprintf(path, sizeof path, "%s/fifo.json", f->root);
    assert_int_equal(mkfifo(path, 0644), 0);
    kt_ev_init_dir(&f->dir, f->rootfd, f->root);
    static const struct {
        const char *rel;
        int ok;
    } cases[] = {
        {"guard/ok.json", 1},      {"linked/ok.json", 0}, /* a symlinked directory */
        {"venue-link.json", 0},    {"fifo.json", 0},      /* must not block */
        {"../etc/passwd", 0},      {"/etc/passwd", 0},    {"guard/../venue.json", 0}, {"", 0},
        {"guard/missing.json", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *data;
        size_t len;
        kt_err err;
        int rc = kt_ev_get(&f->dir, cases[i].rel, &data, &len, &err);
        if ((rc == 0) != cases[i].ok) fail_msg("kt_ev_get(%s): rc %d", cases[i].rel, rc);
        if (kt_ev_exists(&f->dir, cases[i].rel) != cases[i].ok)
            fail_msg("kt_ev_exists(%s)", cases[i].rel);
    }
    kt_ev_free(&f->dir);
    /* a file over the per-file cap is an error, not a truncated read */
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    kt_err err;
    assert_int_equal(kt_ev_add(&ev, "big", malloc(KT_EV_FILE_MAX + 1), KT_EV_FILE_MAX + 1,
                               KT_EV_FILE_MAX + 1, &err),
                     0);
    const char *data;
    size_t len;
    assert_int_equal(kt_ev_get(&ev, "big", &data, &len, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    kt_ev_free(&ev);
}

/* Every check type documented with an example that is a valid check. */
static void documented_types(void **state)
{
    (void)state;
    size_t n = 0;
    for (const kt_check_info *t; (t = kt_policy_check_type(n)); n++) {
        kt_err err;
        kt_policy *p = policy(t->example, &err);
        if (!p) fail_msg("%s: its example is refused: %s", t->name, err.msg);
        kt_policy_free(p);
        char text[400];
        kt_check_params_text(t, text, sizeof text);
        assert_non_null(strstr(text, "("));
        assert_non_null(t->summary);
    }
    assert_int_equal(n, 17);
    char names[600];
    kt_policy_type_names(names, sizeof names);
    assert_non_null(strstr(names, "limit_not_hit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_validation), cmocka_unit_test(check_cases),
        cmocka_unit_test(junit_reader),      cmocka_unit_test(record_comparison),
        cmocka_unit_test(evidence_access),   cmocka_unit_test(documented_types),
    };
    return cmocka_run_group_tests_name("policy", tests, setup, teardown);
}
