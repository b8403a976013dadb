/* core/manifest and core/dsse: what is signed is whole. The Statement and the
 * envelope are built with the checked builder: a failed allocation anywhere
 * is an error, never a manifest with a field missing. */
#include "testutil.h"

#include "../../core/dsse.h"
#include "../../core/json_canon.h"
#include "../../core/layout.h"
#include "../../core/manifest.h"

static int alloc_budget = -1; /* allocations left before malloc fails; -1 = unlimited */
static int alloc_refused;

static void *budget_malloc(size_t n)
{
    if (alloc_budget == 0) return alloc_refused++, NULL;
    if (alloc_budget > 0) alloc_budget--;
    return malloc(n);
}

static kt_subject subs[3];

static void fill_subjects(void)
{
    static char n0[] = "evidence/a%20b", n1[] = "evidence/runs/r/p/run.json",
                n2[] = "evidence/venue.json";
    char *names[] = {n0, n1, n2};
    for (int i = 0; i < 3; i++) {
        subs[i].name = names[i];
        memset(subs[i].sha256, 0x11 * (i + 1), sizeof subs[i].sha256);
        subs[i].size = (uint64_t)i;
    }
}

static cJSON *adjudication(void)
{
    cJSON *a = cJSON_CreateObject();
    if (a) cJSON_AddStringToObject(a, "verdict", "PASS");
    return a;
}

static void statement_checks_out(void **state)
{
    (void)state;
    fill_subjects();
    unsetenv("GITHUB_ACTIONS");
    cJSON *st;
    kt_err err;
    assert_int_equal(kt_manifest_build(subs, 3, 1718000000, adjudication(), &st, &err), 0);
    kt_buf b;
    kt_buf_init(&b, 0);
    assert_int_equal(kt_json_emit_doc(st, &b, &err), 0);
    assert_non_null(strstr(b.data, "\"predicateType\":\"" KT_PREDICATE_TYPE "\""));
    assert_non_null(strstr(b.data, "\"venue\":{\"ci\":\"local\"}"));
    assert_non_null(strstr(b.data, "\"adjudication\":{\"verdict\":\"PASS\"}"));
    assert_non_null(strstr(b.data, "\"created\":\"2024-06-10T06:13:20Z\""));
    assert_non_null(strstr(b.data, "{\"digest\":{\"sha256\":\"1111"));
    assert_int_equal(kt_manifest_check(st, subs, 3, 1718000000, &err), 0);
    assert_int_equal(kt_manifest_check(st, subs, 2, 1718000000, &err), -1);
    assert_int_equal(kt_manifest_check(st, subs, 3, 1718000001, &err), -1);
    kt_buf_free(&b);
    cJSON_Delete(st);
    /* GitHub Actions venue */
    setenv("GITHUB_ACTIONS", "true", 1);
    setenv("GITHUB_RUN_ID", "42", 1);
    assert_int_equal(kt_manifest_build(subs, 3, 0, NULL, &st, &err), 0);
    kt_buf_init(&b, 0);
    assert_int_equal(kt_json_emit_doc(st, &b, &err), 0);
    assert_non_null(strstr(b.data, "\"venue\":{\"ci\":\"github-actions\",\"run_id\":\"42\"}"));
    assert_non_null(strstr(b.data, "\"adjudication\":null"));
    kt_buf_free(&b);
    cJSON_Delete(st);
    unsetenv("GITHUB_ACTIONS");
    unsetenv("GITHUB_RUN_ID");
}

/* Fail the k-th allocation for every k: the build always notices, frees the
 * adjudication it was given, and hands back nothing. */
static void every_allocation_failure_is_caught(void **state)
{
    (void)state;
    fill_subjects();
    cJSON_Hooks hooks = {budget_malloc, free};
    int failures = 0;
    for (int k = 0; k < 500; k++) {
        cJSON *adj = adjudication();
        cJSON_InitHooks(&hooks);
        alloc_budget = k;
        alloc_refused = 0;
        cJSON *st = (cJSON *)1;
        kt_err err;
        int rc = kt_manifest_build(subs, 3, 7, adj, &st, &err);
        int exhausted = alloc_refused > 0;
        alloc_budget = -1;
        cJSON_InitHooks(NULL);
        if (!exhausted) {
            assert_int_equal(rc, 0);
            assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), 0);
            cJSON_Delete(st);
            break;
        }
        assert_int_equal(rc, -1);
        assert_null(st);
        assert_non_null(strstr(err.msg, "cannot build the manifest"));
        failures++;
    }
    assert_true(failures > 20);
    /* the envelope likewise */
    uint8_t sig[KT_DSSE_SIG_LEN] = {1};
    failures = 0;
    for (int k = 0; k < 100; k++) {
        kt_buf b;
        kt_buf_init(&b, 0);
        cJSON_InitHooks(&hooks);
        alloc_budget = k;
        alloc_refused = 0;
        kt_err err;
        kt_dsse_sigref ref = {"id", sig, sizeof sig};
        int rc = kt_dsse_emit(KT_DSSE_INTOTO_TYPE, (const uint8_t *)"{}\n", 3, &ref, 1, &b, &err);
        int exhausted = alloc_refused > 0;
        alloc_budget = -1;
        cJSON_InitHooks(NULL);
        if (!exhausted) {
            assert_int_equal(rc, 0);
            kt_buf_free(&b);
            break;
        }
        assert_int_equal(rc, -1);
        assert_int_equal(b.len, 0); /* not a byte written */
        kt_buf_free(&b);
        failures++;
    }
    assert_true(failures > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statement_checks_out),
        cmocka_unit_test(every_allocation_failure_is_caught),
    };
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
