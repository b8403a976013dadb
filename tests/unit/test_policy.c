/* The policy engine: policy validation, each check type on passing, failing
 * and malformed evidence (in memory, as kiemthu-verify holds it), JUnit from
 * cmocka and pytest, and the record comparison. */
#include "testutil.h"

#include "../../policy/junit.h"
#include "../../policy/policy.h"

static void ev_put(kt_evidence *ev, const char *path, const char *text)
{
    kt_err err;
    char *d = strdup(text);
    assert_int_equal(kt_ev_add(ev, path, d, strlen(d), strlen(d), &err), 0);
}

/* A run with a ladder: profiles[] in order, started[] for each. */
static void ev_run(kt_evidence *ev, const char *run, int n, const char *const *profiles,
                   const int *started, int exit_code, const char *digest)
{
    char path[256], json[1024], att[2048] = "";
    const char *canon = NULL;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "runs/%s/%s/run.json", run, profiles[i]);
        if (started[i] && exit_code >= 0)
            snprintf(json, sizeof json,
                     "{\"started\":true,\"exit_code\":%d,\"image_digest\":\"%s\"}", exit_code,
                     digest);
        else
            snprintf(json, sizeof json,
                     "{\"started\":%s,\"exit_code\":null,\"image_digest\":\"%s\"}",
                     started[i] ? "true" : "false", digest);
        ev_put(ev, path, json);
        if (started[i] && !canon) canon = profiles[i];
        char one[256];
        snprintf(one, sizeof one, "%s{\"attempted\":true,\"profile\":\"%s\",\"started\":%s}",
                 i ? "," : "", profiles[i], started[i] ? "true" : "false");
        strcat(att, one);
    }
    snprintf(path, sizeof path, "runs/%s/ladder.json", run);
    char ladder[2300];
    if (canon)
        snprintf(ladder, sizeof ladder, "{\"attempts\":[%s],\"canonical\":\"%s\"}", att, canon);
    else
        snprintf(ladder, sizeof ladder, "{\"attempts\":[%s],\"canonical\":null}", att);
    ev_put(ev, path, ladder);
}

static const char *const LADDER[] = {"strict", "safe"};
static const int STARTED[] = {0, 1};

static kt_policy *policy(const char *checks, kt_err *err)
{
    char doc[8192];
    snprintf(doc, sizeof doc,
             "{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[%s]}", checks);
    kt_policy *p = NULL;
    if (kt_policy_parse(doc, strlen(doc), "p.json", &p, err) < 0) return NULL;
    return p;
}

/* Evaluate one check; return its result and copy its reason. */
static enum kt_result one(kt_evidence *ev, const char *check, char *reason)
{
    kt_err err;
    kt_policy *p = policy(check, &err);
    if (!p) fail_msg("policy refused: %s", err.msg);
    kt_adjudication a;
    assert_int_equal(kt_policy_eval(p, ev, &a, &err), 0);
    assert_int_equal(a.n, 1);
    enum kt_result r = a.checks[0].result;
    if (reason) snprintf(reason, 512, "%s", a.checks[0].reason);
    assert_int_equal(a.pass, r == KT_RESULT_PASS);
    kt_adjudication_free(&a);
    kt_policy_free(p);
    return r;
}

#define C(type, params) "{\"id\":\"c\",\"description\":\"d\",\"type\":\"" type "\"" params "}"

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
        {C("guard_passed", ",\"file\":\"f\"") "," C("guard_passed", ",\"file\":\"f\""),
         "duplicate id"},
        {"{\"id\":\"Bad Id\",\"description\":\"d\",\"type\":\"guard_passed\",\"file\":\"f\"}",
         "\"id\" must be"},
        {"{\"id\":\"c\",\"type\":\"guard_passed\",\"file\":\"f\"}", "description"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_err err;
        kt_policy *p = policy(bad[i].checks, &err);
        if (p || !strstr(err.msg, bad[i].expect))
            fail_msg("case %zu: %s", i, p ? "accepted" : err.msg);
    }
    static const char *const docs[] = {
        "{\"kiemthuPolicy\":2,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[" C(
            "guard_passed", ",\"file\":\"f\"") "]}",
        "{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"any\",\"checks\":[" C(
            "guard_passed", ",\"file\":\"f\"") "]}",
        "{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[]}",
        "{\"kiemthuPolicy\":1,\"name\":\"t\",\"verdict\":\"all\",\"checks\":[" C(
            "guard_passed", ",\"file\":\"f\"") "],\"x\":1}",
        "not json",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        kt_policy *p = NULL;
        kt_err err;
        if (kt_policy_parse(docs[i], strlen(docs[i]), "p.json", &p, &err) == 0)
            fail_msg("doc %zu accepted", i);
    }
}

static void run_checks(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    ev_run(&ev, "probe", 2, LADDER, STARTED, 0, "sha256:aa");
    static const int none[] = {0, 0};
    ev_run(&ev, "dead", 2, LADDER, none, -1, "sha256:aa");
    ev_run(&ev, "mvp", 2, LADDER, STARTED, 1, "sha256:bb");
    char why[512];
    assert_int_equal(
        one(&ev, C("run_started", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":false"),
            why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("run_started", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":true"),
            why),
        KT_RESULT_FAIL);
    assert_int_equal(
        one(&ev, C("run_started", ",\"run\":\"nope\",\"profile\":\"strict\",\"expect\":true"), why),
        KT_RESULT_ERROR);
    assert_int_equal(
        one(&ev, C("canonical_profile", ",\"run\":\"probe\",\"expect\":\"safe\""), why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("canonical_profile", ",\"run\":\"probe\",\"expect\":\"strict\""), why),
        KT_RESULT_FAIL);
    assert_int_equal(one(&ev, C("canonical_profile", ",\"run\":\"dead\",\"expect\":\"safe\""), why),
                     KT_RESULT_FAIL);
    assert_non_null(strstr(why, "no profile let the payload start"));
    assert_int_equal(
        one(&ev, C("exit_code", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"expect\":0"), why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("exit_code", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"expect\":0"), why),
        KT_RESULT_FAIL);
    assert_non_null(strstr(why, "exited 1"));
    assert_int_equal(
        one(&ev, C("exit_code", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":0"), why),
        KT_RESULT_FAIL);
    assert_int_equal(one(&ev, C("image_digest_consistent", ",\"run\":\"probe\""), why),
                     KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("image_digest_consistent", ",\"run\":\"probe\",\"pinned\":\"sha256:cc\""), why),
        KT_RESULT_FAIL);
    /* the ladder's recorded canonical must agree with the run records */
    ev_put(&ev, "runs/liar/strict/run.json", "{\"started\":false,\"exit_code\":null}");
    ev_put(&ev, "runs/liar/safe/run.json", "{\"started\":true,\"exit_code\":0}");
    ev_put(&ev, "runs/liar/ladder.json",
           "{\"attempts\":[{\"attempted\":true,\"profile\":\"strict\"},"
           "{\"attempted\":true,\"profile\":\"safe\"}],\"canonical\":\"strict\"}");
    assert_int_equal(
        one(&ev, C("canonical_profile", ",\"run\":\"liar\",\"expect\":\"strict\""), why),
        KT_RESULT_ERROR);
    /* malformed run.json */
    ev_put(&ev, "runs/bad/safe/run.json", "{\"started\":\"yes\"}");
    assert_int_equal(
        one(&ev, C("run_started", ",\"run\":\"bad\",\"profile\":\"safe\",\"expect\":true"), why),
        KT_RESULT_ERROR);
    kt_ev_free(&ev);
}

static void report_checks(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    ev_run(&ev, "probe", 2, LADDER, STARTED, 0, "sha256:aa");
    ev_put(&ev, "runs/probe/safe/stdout",
           "{\"probes\":[{\"id\":\"uid\",\"expect\":65532,\"observed\":65532,\"pass\":true},"
           "{\"id\":\"nnp\",\"expect\":1,\"observed\":1,\"pass\":true}],\"passed\":2,\"total\":2}");
    ev_put(&ev, "runs/probe/strict/stdout",
           "{\"probes\":[{\"id\":\"uid\",\"expect\":65532,\"observed\":0,\"pass\":false}],"
           "\"passed\":0,\"total\":1}");
    ev_put(&ev, "runs/probe/safe/lies",
           "{\"probes\":[{\"id\":\"uid\",\"expect\":1,\"observed\":1,\"pass\":true}],\"passed\":2,"
           "\"total\":2}");
    char why[512];
    assert_int_equal(
        one(&ev,
            C("probe_report", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"min_probes\":2"),
            why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev,
            C("probe_report", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"min_probes\":20"),
            why),
        KT_RESULT_FAIL);
    assert_int_equal(
        one(&ev, C("probe_report", ",\"run\":\"probe\",\"profile\":\"strict\",\"min_probes\":1"),
            why),
        KT_RESULT_FAIL);
    assert_non_null(strstr(why, "first failing: uid"));
    assert_int_equal(
        one(&ev,
            C("probe_report",
              ",\"run\":\"probe\",\"profile\":\"safe\",\"min_probes\":1,\"file\":\"lies\""),
            why),
        KT_RESULT_ERROR);
    /* report triplet */
    const char *rj = "{\"verdict\":\"PASS\",\"n\":[1,2]}\n", *rm = "# report\n";
    uint8_t h[32];
    char hj[65], hm[65], sums[300];
    kt_sha256(rj, strlen(rj), h), kt_hex(h, 32, hj);
    kt_sha256(rm, strlen(rm), h), kt_hex(h, 32, hm);
    snprintf(sums, sizeof sums, "%s  report.json\n%s  report.md\n", hj, hm);
    ev_put(&ev, "runs/probe/safe/out/report.json", rj);
    ev_put(&ev, "runs/probe/safe/out/report.md", rm);
    ev_put(&ev, "runs/probe/safe/out/report.sha256", sums);
    ev_put(&ev, "runs/probe/strict/out/report.json", rj);
    ev_put(&ev, "runs/probe/strict/out/report.md", "# edited\n");
    ev_put(&ev, "runs/probe/strict/out/report.sha256", sums);
    assert_int_equal(
        one(&ev, C("report_triplet", ",\"run\":\"probe\",\"profile\":\"@canonical\""), why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("report_triplet", ",\"run\":\"probe\",\"profile\":\"strict\""), why),
        KT_RESULT_FAIL);
    assert_int_equal(one(&ev,
                         C("files_present", ",\"run\":\"probe\",\"profile\":\"@canonical\","
                                            "\"files\":[\"out/report.json\",\"out/report.md\"]"),
                         why),
                     KT_RESULT_PASS);
    assert_int_equal(
        one(&ev,
            C("files_present",
              ",\"run\":\"probe\",\"profile\":\"@canonical\",\"files\":[\"out/missing\"]"),
            why),
        KT_RESULT_FAIL);
    /* json_field with RFC 6901 pointers */
    assert_int_equal(
        one(&ev,
            C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/"
                            "verdict\",\"equals\":\"PASS\""),
            why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev,
            C("json_field",
              ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n/1\",\"equals\":2"),
            why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev,
            C("json_field",
              ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n\",\"equals\":[1,2]"),
            why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev,
            C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/"
                            "verdict\",\"equals\":\"FAIL\""),
            why),
        KT_RESULT_FAIL);
    assert_int_equal(
        one(&ev,
            C("json_field",
              ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/nope\",\"equals\":1"),
            why),
        KT_RESULT_FAIL);
    assert_int_equal(
        one(&ev,
            C("json_field",
              ",\"file\":\"runs/probe/safe/out/report.md\",\"pointer\":\"/x\",\"equals\":1"),
            why),
        KT_RESULT_ERROR);
    kt_ev_free(&ev);
}

static void file_checks(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    ev_put(&ev, "guard/ok.json", "{\"pass\":true,\"violations\":[]}");
    ev_put(&ev, "guard/bad.json", "{\"pass\":false,\"violations\":[{\"symbol\":\"socket\"}]}");
    ev_put(&ev, "guard/weird.json", "{\"pass\":\"yes\"}");
    ev_put(&ev, "venue.json", "{\"ci\":\"github\",\"run_id\":\"123\",\"commit\":\"\"}");
    ev_put(&ev, "profiles/p.json", "{}\n");
    char why[512];
    assert_int_equal(one(&ev, C("guard_passed", ",\"file\":\"guard/ok.json\""), why),
                     KT_RESULT_PASS);
    assert_int_equal(one(&ev, C("guard_passed", ",\"file\":\"guard/bad.json\""), why),
                     KT_RESULT_FAIL);
    assert_int_equal(one(&ev, C("guard_passed", ",\"file\":\"guard/weird.json\""), why),
                     KT_RESULT_ERROR);
    assert_int_equal(one(&ev, C("guard_passed", ",\"file\":\"guard/missing.json\""), why),
                     KT_RESULT_ERROR);
    assert_int_equal(
        one(&ev, C("venue_fields", ",\"file\":\"venue.json\",\"fields\":[\"ci\",\"run_id\"]"), why),
        KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("venue_fields", ",\"file\":\"venue.json\",\"fields\":[\"ci\",\"commit\"]"), why),
        KT_RESULT_FAIL);
    /* sha256 of "{}\n" */
    assert_int_equal(one(&ev,
                         C("profile_sha256",
                           ",\"file\":\"profiles/"
                           "p.json\",\"sha256\":"
                           "\"ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356\""),
                         why),
                     KT_RESULT_PASS);
    assert_int_equal(
        one(&ev, C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"00\""), why),
        KT_RESULT_FAIL);
    /* JUnit from cmocka and pytest, committed fixtures */
    static const struct {
        const char *file;
        enum kt_result want;
    } junit[] = {{"cmocka-pass.xml", KT_RESULT_PASS}, {"pytest-pass.xml", KT_RESULT_PASS},
                 {"cmocka-fail.xml", KT_RESULT_FAIL}, {"pytest-fail.xml", KT_RESULT_FAIL},
                 {"lying.xml", KT_RESULT_ERROR},      {"xxe.xml", KT_RESULT_PASS}};
    for (size_t i = 0; i < sizeof junit / sizeof junit[0]; i++) {
        char rel[128], *path;
        snprintf(rel, sizeof rel, "tests/fixtures/junit/%s", junit[i].file);
        path = tu_fixture(rel);
        size_t n;
        uint8_t *x = tu_slurp(path, &n);
        char evp[128];
        snprintf(evp, sizeof evp, "tests/%s", junit[i].file);
        kt_err err;
        assert_int_equal(kt_ev_add(&ev, evp, (char *)x, n, n, &err), 0);
        char check[512];
        snprintf(check, sizeof check, C("junit", ",\"file\":\"%s\",\"min_tests\":1"), evp);
        if (one(&ev, check, why) != junit[i].want) fail_msg("%s: %s", junit[i].file, why);
        free(path);
    }
    kt_junit j;
    kt_err err;
    const char *pyt = "<testsuites><testsuite tests=\"2\" failures=\"0\" "
                      "errors=\"0\"><testcase/><testcase/></testsuite></testsuites>";
    assert_int_equal(kt_junit_parse(pyt, strlen(pyt), "x", &j, &err), 0);
    assert_int_equal(j.tests, 2);
    assert_int_equal(kt_junit_parse("<html/>", 7, "x", &j, &err), -1);
    assert_int_equal(kt_junit_parse("<testsuite", 10, "x", &j, &err), -1);
    kt_ev_free(&ev);
}

static void record_comparison(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    ev_put(&ev, "guard/ok.json", "{\"pass\":true,\"violations\":[]}");
    kt_err err;
    kt_policy *p = policy(C("guard_passed", ",\"file\":\"guard/ok.json\""), &err);
    assert_non_null(p);
    kt_adjudication a;
    assert_int_equal(kt_policy_eval(p, &ev, &a, &err), 0);
    cJSON *rec = kt_adjudication_json(p, &a);
    char why[512];
    assert_int_equal(kt_adjudication_compare(rec, p, &a, why, sizeof why), 0);
    cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rec, "checks"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(c0, "result", cJSON_CreateString("fail"));
    assert_int_equal(kt_adjudication_compare(rec, p, &a, why, sizeof why), -1);
    assert_non_null(strstr(why, "check c: recorded \"fail\""));
    cJSON_ReplaceItemInObjectCaseSensitive(c0, "result", cJSON_CreateString("pass"));
    cJSON_ReplaceItemInObjectCaseSensitive(rec, "verdict", cJSON_CreateString("FAIL"));
    assert_int_equal(kt_adjudication_compare(rec, p, &a, why, sizeof why), -1);
    cJSON_ReplaceItemInObjectCaseSensitive(rec, "verdict", cJSON_CreateString("PASS"));
    cJSON_ReplaceItemInObjectCaseSensitive(rec, "policySha256", cJSON_CreateString("00"));
    assert_int_equal(kt_adjudication_compare(rec, p, &a, why, sizeof why), -1);
    cJSON_Delete(rec);
    kt_adjudication_free(&a);
    kt_policy_free(p);
    kt_ev_free(&ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_validation), cmocka_unit_test(run_checks),
        cmocka_unit_test(report_checks),     cmocka_unit_test(file_checks),
        cmocka_unit_test(record_comparison),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
