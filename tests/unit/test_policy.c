/* The policy engine: policy validation, JUnit from cmocka and pytest, the
 * adjudication record and its comparison, evidence access, and every check
 * type documented with a valid example (every check type's cases are in
 * test_checks.c, on the same evidence: policyfx.h). */
#include "policyfx.h"

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
    assert_int_equal(n, 18);
    char names[600];
    kt_policy_type_names(names, sizeof names);
    assert_non_null(strstr(names, "limit_not_hit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_validation), cmocka_unit_test(junit_reader),
        cmocka_unit_test(record_comparison), cmocka_unit_test(evidence_access),
        cmocka_unit_test(documented_types),
    };
    return cmocka_run_group_tests_name("policy", tests, setup, teardown);
}
