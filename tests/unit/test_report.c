/* kiemthu-verify's JSON report is exactly one object, whatever fails while it
 * is built: every allocation of the builder is refused in turn, and each time
 * the output must still be one JSON object, then with exit_code 3. */
#include "testutil.h"

#include "../../core/cli.h"
#include "../../verify/report.h"

#include <stdio.h>

static int alloc_budget = -1; /* cJSON allocations left; -1 = unlimited */
static int alloc_refused;

static void *budget_malloc(size_t n)
{
    if (alloc_budget == 0) return alloc_refused++, NULL;
    if (alloc_budget > 0) alloc_budget--;
    return malloc(n);
}

static kt_subject subs[2] = {{.name = "evidence/a%20b", .size = 3},
                             {.name = "evidence/c", .size = 0}};
static kt_check_out checks[1] = {{.id = "c1", .type = "run_started", .result = KT_RESULT_PASS}};

static kt_trust trust; /* one pinned key, named by its file */

static void fill(kt_verify_result *res, kt_report_in *in)
{
    trust.keys[0].file = "ci.pub";
    trust.nkeys = 1;
    memset(res, 0, sizeof *res);
    res->verdict = KT_VERDICT_PASS;
    memset(res->keyid, 'a', 64);
    memset(res->signers[0].keyid, 'a', 64);
    res->signers[0].status = KT_SIG_COUNTED;
    res->nsigners = res->counted = res->threshold = 1;
    res->timestamp = 1; /* a token, not verified */
    snprintf(res->tsa.gen_time_str, sizeof res->tsa.gen_time_str, "2026-01-01T00:00:00Z");
    res->members = 4;
    res->evidence = 2;
    res->subjects = subs;
    res->nsubjects = 2;
    res->meta[0].name = "manifest.dsse.json";
    res->meta[1].name = "manifest.json";
    res->meta[2].name = "timestamp.tst";
    res->nmeta = 3;
    res->adjudicated = 1;
    res->adj.checks = checks;
    res->adj.n = 1;
    res->adj.pass = 1;
    snprintf(res->policy_name, sizeof res->policy_name, "p<\x1b>");
    memset(in, 0, sizeof *in);
    in->bundle = "b.tar";
    in->trust = &trust;
    in->res = res;
    in->list = 1;
    in->extract = "out";
    in->extracted = 1;
}

/* The output is one JSON object on one line; its exit_code comes back. */
static int one_object(const char *s)
{
    size_t n = strlen(s);
    assert_true(n > 2 && s[n - 1] == '\n' && s[n - 2] == '}' && strchr(s, '\n') == s + n - 1);
    cJSON *d = cJSON_Parse(s);
    assert_non_null(d);
    assert_true(cJSON_IsObject(d));
    static const char *const keys[] = {"schema",    "tool",        "bundle",           "verdict",
                                       "exit_code", "adjudicated", "key_id",           "key_file",
                                       "created",   "members",     "evidence_members", "reason",
                                       "policy",    "checks",      "member_list",      "extract"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!cJSON_GetObjectItemCaseSensitive(d, keys[i])) fail_msg("no \"%s\" in %s", keys[i], s);
    int code = cJSON_GetObjectItemCaseSensitive(d, "exit_code")->valueint;
    cJSON_Delete(d);
    return code;
}

static void json_always_one_object(void **state)
{
    (void)state;
    kt_verify_result res;
    kt_report_in in;
    fill(&res, &in);
    cJSON_Hooks hooks = {budget_malloc, free};
    int failures = 0;
    for (int k = 0; k < 400; k++) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        cJSON_InitHooks(&hooks);
        alloc_budget = k;
        alloc_refused = 0;
        int rc = kt_report_print(f, KT_FMT_JSON, &in);
        int exhausted = alloc_refused > 0;
        alloc_budget = -1;
        cJSON_InitHooks(NULL);
        fclose(f);
        int code = one_object(out);
        free(out);
        if (!exhausted) {
            assert_int_equal(rc, 0);
            assert_int_equal(code, 0);
            break;
        }
        assert_int_equal(rc, -1);
        assert_int_equal(code, KT_EXIT_UNCHECKED);
        failures++;
    }
    assert_true(failures > 20);
}

static void no_verdict_objects(void **state)
{
    (void)state;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    kt_report_no_verdict_json(f, NULL, KT_EXIT_USAGE, "usage", "unknown option --x\x1b[2J", NULL);
    fclose(f);
    assert_int_equal(one_object(out), KT_EXIT_USAGE);
    assert_non_null(strstr(out, "\"verdict\":null"));
    assert_non_null(strstr(out, "--x\\\\x1b[2J")); /* escaped, then JSON-quoted */
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_always_one_object),
        cmocka_unit_test(no_verdict_objects),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
