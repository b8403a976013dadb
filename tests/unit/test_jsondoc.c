/* core/jsondoc: one read gives the bytes, their sha256 and the parsed tree;
 * every failure leaves nothing behind and names the file. */
#include "testutil.h"

#include "../../core/fsutil.h"
#include "../../core/jsondoc.h"
#include "../../core/sha256.h"

static int want_object(const cJSON *root, const char *path, void *arg, kt_err *err)
{
    (*(int *)arg)++;
    if (!cJSON_IsObject(root)) return kt_fail(err, KT_E_DATA, "%s: not an object", path);
    return 0;
}

static void load_and_parse(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), path[4096];
    const char *text = "{\"a\": [1, 2],\n \"b\": \"\\u00e9\"}\n";
    tu_writes(dir, "doc.json", text);
    snprintf(path, sizeof path, "%s/doc.json", dir);
    kt_jsondoc d;
    kt_err err;
    int calls = 0;
    assert_int_equal(kt_jsondoc_load(&d, path, 1024, want_object, &calls, &err), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(d.n, strlen(text));
    assert_memory_equal(d.bytes, text, d.n);
    assert_int_equal(d.bytes[d.n], '\0');
    /* printf '...' | sha256sum */
    uint8_t h[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    kt_sha256(text, strlen(text), h);
    kt_hex(h, sizeof h, hex);
    assert_string_equal(d.sha256_hex, hex);
    assert_memory_equal(d.sha256, h, sizeof h);
    assert_string_equal(d.path, path);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d.root, "a")), 2);
    kt_jsondoc_free(&d);
    assert_null(d.bytes);
    kt_jsondoc_free(&d); /* twice is harmless */

    /* the same bytes from memory give the same document */
    assert_int_equal(kt_jsondoc_parse(&d, text, strlen(text), "mem", 1024, NULL, NULL, &err), 0);
    assert_string_equal(d.sha256_hex, hex);
    kt_jsondoc_free(&d);
    tu_rmrf(dir);
}

static void failures(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), path[4096];
    static const struct {
        const char *text;
        size_t cap;
        enum kt_errclass cls;
        const char *msg;
    } cases[] = {
        {"{\"a\":1}", 3, KT_E_LIMIT, "more than the limit of 3"},
        {"{\"a\":\n  1,,}", 100, KT_E_DATA, "invalid JSON near line 2, column"},
        {"{}\n}", 100, KT_E_DATA, "trailing data after the JSON value at line 2, column 1"},
        {"[1]", 100, KT_E_DATA, "not an object"},
        {"{\"a\":\"\xff\"}", 100, KT_E_DATA, "not valid UTF-8"},
        {"", 100, KT_E_DATA, "invalid JSON near line 1, column 1"},
        /* a key twice: cJSON would read the first, Python, jq, Go the last */
        {"{\"a\":1,\"a\":2}", 100, KT_E_DATA, "$.a: the key is given twice"},
        {"{\"s\":[{\"x\":1},{\"n\":{\"k\":1,\"k\":1}}]}", 100, KT_E_DATA,
         "$.s[1].n.k: the key is given twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_writes(dir, "x.json", cases[i].text);
        snprintf(path, sizeof path, "%s/x.json", dir);
        kt_jsondoc d;
        kt_err err;
        int calls = 0;
        for (int from_file = 0; from_file < 2; from_file++) {
            int rc = from_file ? kt_jsondoc_load(&d, path, cases[i].cap, want_object, &calls, &err)
                               : kt_jsondoc_parse(&d, cases[i].text, strlen(cases[i].text), path,
                                                  cases[i].cap, want_object, &calls, &err);
            if (rc != -1 || err.cls != cases[i].cls || !strstr(err.msg, cases[i].msg) ||
                strncmp(err.msg, path, strlen(path)))
                fail_msg("case %zu (%s): rc %d: %s", i, from_file ? "file" : "memory", rc, err.msg);
            assert_null(d.bytes);
            assert_null(d.root);
            assert_null(d.path);
        }
    }
    /* a NUL byte, with its place */
    kt_jsondoc d;
    kt_err err;
    assert_int_equal(kt_jsondoc_parse(&d, "{\n\"a\":\0}", 8, "nul.json", 100, NULL, NULL, &err),
                     -1);
    assert_non_null(strstr(err.msg, "NUL byte at line 2, column 5"));
    /* missing file, directory */
    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_int_equal(kt_jsondoc_load(&d, path, 100, NULL, NULL, &err), -1);
    assert_int_equal(err.cls, KT_E_NOINPUT);
    assert_int_equal(kt_jsondoc_load(&d, dir, 100, NULL, NULL, &err), -1);
    assert_int_equal(err.cls, KT_E_DATA);
    tu_rmrf(dir);
}

/* kt_read_file sizes its buffer by fstat and grows it when the file holds
 * more than that said: /proc files say 0 bytes. The cap still holds. */
static void read_file_sizes(void **state)
{
    (void)state;
    char *buf;
    size_t n;
    kt_err err;
    assert_int_equal(kt_read_file("/proc/self/status", 1 << 20, &buf, &n, &err), 0);
    assert_true(n > 200);
    assert_int_equal(strlen(buf), n);
    assert_non_null(strstr(buf, "VmRSS:"));
    free(buf);
    assert_int_equal(kt_read_file("/proc/self/status", 100, &buf, &n, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_non_null(strstr(err.msg, "grew past the limit of 100 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_and_parse),
        cmocka_unit_test(failures),
        cmocka_unit_test(read_file_sizes),
    };
    return cmocka_run_group_tests_name("jsondoc", tests, NULL, NULL);
}
