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

/* A member over 64 MiB: its subject carries the chain values
 * (core/chain.h); each is held to the one computed, and only that form, or
 * a format-2 subject without them, is accepted. */
static void chain_values_are_checked(void **state)
{
    (void)state;
    fill_subjects();
    unsetenv("GITHUB_ACTIONS");
    uint64_t big = (uint64_t)KT_CHAIN_MIN + 5;
    size_t n = kt_chain_count(big);
    assert_int_equal(n, 8);
    uint8_t(*v)[KT_SHA256_LEN] = calloc(n, KT_SHA256_LEN),
    (*w)[KT_SHA256_LEN] = calloc(n, KT_SHA256_LEN);
    assert_true(v && w);
    for (size_t k = 0; k < n; k++) memset(v[k], 0xa0 + (int)k, KT_SHA256_LEN);
    subs[1].size = big;
    cJSON *st = (cJSON *)1;
    kt_err err;
    /* no values for a large member: an internal error, nothing built */
    assert_int_equal(kt_manifest_build(subs, 3, 7, NULL, &st, &err), -1);
    assert_int_equal(err.cls, KT_E_INTERNAL);
    assert_null(st);
    subs[1].states = v;
    assert_int_equal(kt_manifest_build(subs, 3, 7, NULL, &st, &err), 0);
    kt_buf b;
    kt_buf_init(&b, 0);
    assert_int_equal(kt_json_emit_doc(st, &b, &err), 0);
    assert_non_null(strstr(b.data, "{\"annotations\":{\"" KT_CHAIN_KEY "\":[\"a0a0"));
    assert_non_null(strstr(b.data, "a7a7\"]},\"digest\":{\"sha256\":\"2222"));
    kt_buf_free(&b);
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), 0);
    /* what verify planned from: the values, by name, in order */
    const cJSON *cur = NULL;
    assert_int_equal(kt_manifest_chain(st, &cur, subs[0].name, subs[0].size, w), 0);
    assert_int_equal(kt_manifest_chain(st, &cur, subs[1].name, big, w), 1);
    assert_memory_equal(w, v, n * KT_SHA256_LEN);
    assert_int_equal(kt_manifest_chain(st, &cur, subs[1].name, big, w), 0); /* passed by */
    cur = NULL;
    assert_int_equal(kt_manifest_chain(st, &cur, "evidence/zzz", big, w), 0);
    assert_int_equal(kt_manifest_chain(st, &cur, subs[1].name, big, w), 0); /* past the end */
    /* a value computed differently: REJECT naming the chunk */
    memcpy(w, v, n * KT_SHA256_LEN);
    w[3][0] ^= 1;
    subs[1].states = w;
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    assert_int_equal(err.cls, KT_E_TAMPER);
    assert_non_null(strstr(err.msg, "bytes 25165824 to 33554432 (chain value 3)"));
    /* the values not computed (hashed whole): never a silent pass */
    subs[1].states = NULL;
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    assert_int_equal(err.cls, KT_E_INTERNAL);
    subs[1].states = v;
    cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "subject"), 1);
    cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(s1, "annotations"), KT_CHAIN_KEY);
    /* malformed values: REJECT */
    static const char *const bad[] = {
        "A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0", "a0a0", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *saved = cJSON_DetachItemFromArray(arr, 0);
        cJSON_InsertItemInArray(arr, 0, cJSON_CreateString(bad[i]));
        assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
        assert_int_equal(err.cls, KT_E_TAMPER);
        assert_non_null(strstr(err.msg, "chain value 0 is not 64 lowercase hex digits"));
        cJSON_Delete(cJSON_DetachItemFromArray(arr, 0));
        cJSON_InsertItemInArray(arr, 0, saved);
    }
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), 0);
    /* one value fewer, or one more: REJECT */
    cJSON *last = cJSON_DetachItemFromArray(arr, (int)n - 1);
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    assert_non_null(strstr(err.msg, "annotations are not"));
    cJSON_AddItemToArray(arr, last);
    cJSON_AddItemToArray(
        arr,
        cJSON_CreateString("a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7"));
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    cJSON_Delete(cJSON_DetachItemFromArray(arr, (int)n));
    /* another annotation beside it: REJECT */
    cJSON *ann = cJSON_GetObjectItem(s1, "annotations");
    cJSON_AddStringToObject(ann, "note", "x");
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    cJSON_DeleteItemFromObject(ann, "note");
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), 0);
    /* a format-2 subject (no values) for the large member: its sha256 decides */
    cJSON *detached = cJSON_DetachItemFromObject(s1, "annotations");
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), 0);
    subs[1].sha256[5] ^= 1;
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    assert_non_null(strstr(err.msg, "does not match its sha256"));
    subs[1].sha256[5] ^= 1;
    /* values on a member of 64 MiB or less: REJECT */
    cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "subject"), 0);
    cJSON_AddItemToObject(s0, "annotations", detached);
    assert_int_equal(kt_manifest_check(st, subs, 3, 7, &err), -1);
    assert_non_null(strstr(err.msg, "only a member over"));
    cJSON_Delete(st);
    subs[1].states = NULL;
    free(v), free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statement_checks_out),
        cmocka_unit_test(chain_values_are_checked),
        cmocka_unit_test(every_allocation_failure_is_caught),
    };
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
