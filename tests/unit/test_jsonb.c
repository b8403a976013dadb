/* The sticky-error JSON builder: any failure anywhere makes kt_jb_done fail. */
#include "testutil.h"

#include "../../core/json_canon.h"
#include "../../core/jsonb.h"

static int alloc_budget = -1; /* allocations left before malloc fails; -1 = unlimited */
static int alloc_refused;     /* allocations refused since the last reset */

static void *budget_malloc(size_t n)
{
    if (alloc_budget == 0) return alloc_refused++, NULL;
    if (alloc_budget > 0) alloc_budget--;
    return malloc(n);
}

static void build(kt_jb *b)
{
    kt_jb_init(b);
    cJSON *lim = kt_jb_obj(b, b->root, "limits");
    kt_jb_int(b, lim, "pids", 64);
    kt_jb_str(b, lim, "enforced_by", "cgroup2");
    cJSON *arr = kt_jb_arr(b, b->root, "files");
    for (int i = 0; i < 3; i++) {
        cJSON *f = kt_jb_obj(b, arr, NULL);
        kt_jb_str(b, f, "name", "a");
        kt_jb_int(b, f, "size", i);
    }
    kt_jb_bool(b, b->root, "started", 1);
    kt_jb_null(b, b->root, "signal");
}

static void complete_document(void **state)
{
    (void)state;
    kt_jb b;
    build(&b);
    cJSON *doc;
    kt_err err;
    assert_int_equal(kt_jb_done(&b, &doc, "test", &err), 0);
    kt_buf out;
    kt_buf_init(&out, 0);
    assert_int_equal(kt_json_emit(doc, &out, &err), 0);
    assert_string_equal(out.data,
                        "{\"files\":[{\"name\":\"a\",\"size\":0},{\"name\":\"a\",\"size\":1},"
                        "{\"name\":\"a\",\"size\":2}],\"limits\":{\"enforced_by\":"
                        "\"cgroup2\",\"pids\":64},\"signal\":null,\"started\":true}");
    kt_buf_free(&out);
    cJSON_Delete(doc);
}

/* Fail the k-th allocation for every k: the builder must always notice. */
static void every_allocation_failure_is_caught(void **state)
{
    (void)state;
    cJSON_Hooks hooks = {budget_malloc, free};
    cJSON_InitHooks(&hooks);
    int failures = 0;
    for (int k = 0; k < 200; k++) {
        alloc_budget = k;
        alloc_refused = 0;
        kt_jb b;
        build(&b);
        int exhausted = alloc_refused > 0;
        alloc_budget = -1;
        cJSON *doc;
        kt_err err;
        int rc = kt_jb_done(&b, &doc, "test", &err);
        if (!exhausted) { /* every allocation succeeded: the document is whole */
            assert_int_equal(rc, 0);
            cJSON_Delete(doc);
            break;
        }
        assert_int_equal(rc, -1);
        assert_null(doc);
        assert_non_null(strstr(err.msg, "cannot build test"));
        failures++;
    }
    cJSON_InitHooks(NULL);
    assert_true(failures > 10);
}

static void misuse_is_a_failure(void **state)
{
    (void)state;
    kt_jb b;
    cJSON *doc;
    kt_err err;
    kt_jb_init(&b);
    kt_jb_int(&b, b.root, "x", 1);
    kt_jb_int(&b, b.root, "x", 2); /* duplicate key */
    assert_int_equal(kt_jb_done(&b, &doc, "dup", &err), -1);
    assert_non_null(strstr(err.msg, "\"x\""));

    kt_jb_init(&b);
    kt_jb_str(&b, NULL, "orphan", "v"); /* parent that failed earlier */
    assert_int_equal(kt_jb_done(&b, &doc, "orphan", &err), -1);

    kt_jb_init(&b);
    kt_jb_int(&b, b.root, "big", (INT64_C(1) << 53)); /* not exact in JSON */
    assert_int_equal(kt_jb_done(&b, &doc, "big", &err), -1);

    kt_jb_init(&b);
    cJSON *a = kt_jb_arr(&b, b.root, "a");
    kt_jb_int(&b, a, "keyed", 1); /* a key on an array item */
    assert_int_equal(kt_jb_done(&b, &doc, "arr", &err), -1);
}

/* Bytes from outside: valid UTF-8 stays a string; anything else becomes
 * {"encoded": ...} in the member-name encoding, and the document can be
 * written (a plain kt_jb_str of the same bytes cannot). */
static void text_from_outside(void **state)
{
    (void)state;
    kt_jb b;
    cJSON *doc;
    kt_err err;
    kt_buf out;
    kt_jb_init(&b);
    cJSON *argv = kt_jb_arr(&b, b.root, "argv");
    kt_jb_text(&b, argv, NULL, "caf\xc3\xa9");
    kt_jb_text(&b, argv, NULL, "a\xff b%");
    kt_jb_text(&b, argv, NULL, "\xed\xa0\x80"); /* a surrogate: not UTF-8 */
    kt_jb_text(&b, b.root, "none", NULL);
    assert_int_equal(kt_jb_done(&b, &doc, "text", &err), 0);
    kt_buf_init(&out, 0);
    assert_int_equal(kt_json_emit(doc, &out, &err), 0);
    assert_string_equal(out.data, "{\"argv\":[\"caf\xc3\xa9\",{\"encoded\":\"a%FF%20b%25\"},"
                                  "{\"encoded\":\"%ED%A0%80\"}],\"none\":null}");
    kt_buf_free(&out);
    cJSON_Delete(doc);

    kt_jb_init(&b);
    kt_jb_str(&b, b.root, "raw", "a\xff");
    assert_int_equal(kt_jb_done(&b, &doc, "raw", &err), 0);
    kt_buf_init(&out, 0);
    assert_int_equal(kt_json_emit(doc, &out, &err), -1); /* why records used kt_jb_text */
    kt_buf_free(&out);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_document),
        cmocka_unit_test(every_allocation_failure_is_caught),
        cmocka_unit_test(misuse_is_a_failure),
        cmocka_unit_test(text_from_outside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
