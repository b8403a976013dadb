#include "testutil.h"

#include "../../core/dsse.h"

/* The PAE example from the DSSE v1 protocol document. */
static void pae_vector(void **state)
{
    (void)state;
    kt_buf b;
    kt_buf_init(&b, 0);
    kt_err err;
    assert_int_equal(
        kt_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &b, &err),
        0);
    assert_string_equal(b.data, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    kt_buf_free(&b);
}

static void emit_parse_roundtrip(void **state)
{
    (void)state;
    uint8_t sig[64];
    for (int i = 0; i < 64; i++) sig[i] = (uint8_t)(i * 7);
    kt_buf b;
    kt_buf_init(&b, 0);
    kt_err err;
    kt_dsse_sigref ref = {"abc", sig, sizeof sig};
    assert_int_equal(
        kt_dsse_emit(KT_DSSE_INTOTO_TYPE, (const uint8_t *)"{}\n", 3, &ref, 1, &b, &err), 0);
    assert_string_equal(b.data, "{\"payload\":\"e30K\",\"payloadType\":\"application/vnd.in-toto+"
                                "json\",\"signatures\":[{\"keyid\":\"abc\",\"sig\":\"AAcOFRwjKjE4P0"
                                "ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJUFdeZWxzeoGIj5"
                                "adpKuyuQ==\"}]}\n");
    kt_dsse_env env;
    assert_int_equal(kt_dsse_parse(b.data, b.len, &env, &err), 0);
    assert_int_equal(env.payload_len, 3);
    assert_memory_equal(env.payload, "{}\n", 3);
    assert_int_equal(env.nsigs, 1);
    assert_string_equal(env.sigs[0].keyid, "abc");
    assert_memory_equal(env.sigs[0].sig, sig, 64);
    kt_dsse_env_free(&env);
    kt_buf_free(&b);
}

static void urlsafe_accepted(void **state)
{
    (void)state;
    /* 0xfb 0xff -> standard "+/8=", URL-safe "-_8" (unpadded) */
    const char *doc =
        "{\"payload\":\"-_8\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"-_8=\"}]}";
    kt_dsse_env env;
    kt_err err;
    assert_int_equal(kt_dsse_parse(doc, strlen(doc), &env, &err), 0);
    assert_int_equal(env.payload_len, 2);
    assert_int_equal(env.payload[0], 0xfb);
    assert_int_equal(env.payload[1], 0xff);
    assert_null(env.sigs[0].keyid);
    kt_dsse_env_free(&env);
}

static void malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "[]",
        "{\"payload\":\"e30K\",\"payloadType\":\"t\",\"signatures\":[]}",
        "{\"payload\":\"e30K\",\"payloadType\":\"t\"}",
        "{\"payload\":\"e30K!\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}",
        "{\"payload\":\"e30K\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"A\"}]}",
        "{\"payload\":\"e30K\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\",\"x\":1}]}",
        "{\"payload\":\"e30K\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}],\"x\":1}",
        "{\"payload\":1,\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}",
        "{\"payload\":\"e30K\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":5,\"sig\":\"AA==\"}"
        "]}",
    };
    kt_dsse_env env;
    kt_err err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_dsse_parse(bad[i], strlen(bad[i]), &env, &err) == 0) fail_msg("accepted %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pae_vector),
        cmocka_unit_test(emit_parse_roundtrip),
        cmocka_unit_test(urlsafe_accepted),
        cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests_name("dsse", tests, NULL, NULL);
}
