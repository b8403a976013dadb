#include "testutil.h"

#include "../../core/json_canon.h"

static char *emit(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    assert_non_null(v);
    kt_buf b;
    kt_buf_init(&b, 0);
    kt_err err;
    int rc = kt_json_emit(v, &b, &err);
    cJSON_Delete(v);
    if (rc < 0) {
        kt_buf_free(&b);
        return NULL;
    }
    return kt_buf_steal(&b, NULL);
}

static void sorts_and_compacts(void **state)
{
    (void)state;
    char *s = emit("{ \"b\": [1, 2, {\"z\":null, \"a\":true}], \"a\": \"x\", \"_\": false }");
    assert_string_equal(s, "{\"_\":false,\"a\":\"x\",\"b\":[1,2,{\"a\":true,\"z\":null}]}");
    free(s);
}

static void escapes(void **state)
{
    (void)state;
    char *s = emit("[\"q\\\"b\\\\n\\n\\t\\u0001\\u001f\\/\\u00e9\"]");
    assert_string_equal(s, "[\"q\\\"b\\\\n\\n\\t\\u0001\\u001f/\xc3\xa9\"]");
    free(s);
}

static void numbers(void **state)
{
    (void)state;
    char *s = emit("[0, -1, 9007199254740991, 1e3]");
    assert_string_equal(s, "[0,-1,9007199254740991,1000]");
    free(s);
    assert_null(emit("[1.5]"));
    assert_null(emit("[9007199254740993]"));
}

static void duplicate_keys(void **state)
{
    (void)state;
    assert_null(emit("{\"a\":1,\"a\":2}"));
}

static int parse_canon(const char *s, kt_err *err)
{
    cJSON *v = NULL;
    int rc = kt_json_parse_canonical(s, strlen(s), "doc", &v, err);
    cJSON_Delete(v);
    return rc;
}

static void canonical_check(void **state)
{
    (void)state;
    kt_err err;
    assert_int_equal(parse_canon("{\"a\":1,\"b\":[true]}\n", &err), 0);
    static const char *bad[] = {
        "{\"a\":1,\"b\":[true]}",     /* no final newline */
        "{\"a\":1,\"b\":[true]}\n\n", /* extra newline */
        "{\"b\":[true],\"a\":1}\n",   /* unsorted */
        "{\"a\": 1,\"b\":[true]}\n",  /* whitespace */
        "{\"a\":1.0,\"b\":[true]}\n", /* number form */
        "{\"a\":\"\\u0041\"}\n",      /* needless escape */
        "{\"a\":\"\\/\"}\n",          /* needless escape */
        "{\"a\":1,\"a\":1}\n",        /* duplicate */
        "{\"a\":1}\nx",               /* trailing data */
        "{\"a\":\"\xff\"}\n",         /* invalid UTF-8 */
        "{\"a\":\"\xc0\xaf\"}\n",     /* overlong */
        "{\"a\":\"\xed\xa0\x80\"}\n", /* surrogate */
        "{\"a\":\"x\\u0000y\"}\n",    /* embedded NUL escape */
        "{\"a\":",                    /* truncated */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse_canon(bad[i], &err) == 0) fail_msg("accepted %s", bad[i]);
    /* A raw NUL byte inside the text. */
    const char nul[] = "{\"a\":\"x\0\"}\n";
    cJSON *v = NULL;
    assert_int_equal(kt_json_parse_canonical(nul, sizeof nul - 1, "doc", &v, &err), -1);
    assert_non_null(strstr(err.msg, "NUL"));
}

static void depth_limit(void **state)
{
    (void)state;
    char deep[512];
    size_t n = 0;
    for (int i = 0; i < 40; i++) deep[n++] = '[';
    for (int i = 0; i < 40; i++) deep[n++] = ']';
    deep[n++] = '\n';
    deep[n] = '\0';
    kt_err err;
    assert_int_equal(parse_canon(deep, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
}

static void utf8(void **state)
{
    (void)state;
    assert_true(kt_utf8_valid("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));
    assert_false(kt_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(kt_utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(kt_utf8_valid("\x80", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorts_and_compacts),
        cmocka_unit_test(escapes),
        cmocka_unit_test(numbers),
        cmocka_unit_test(duplicate_keys),
        cmocka_unit_test(canonical_check),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(utf8),
    };
    return cmocka_run_group_tests_name("json_canon", tests, NULL, NULL);
}
