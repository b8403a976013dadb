/* core/name: the member-name encoding is reversible and has one form. */
#include "testutil.h"

#include "../../core/name.h"

static void examples(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *enc;
    } cases[] = {
        {"out/report.json", "out/report.json"},
        {"a b", "a%20b"},
        {"100%", "100%25"},
        {"r\xc3\xa9sum\xc3\xa9", "r%C3%A9sum%C3%A9"},
        {"esc\x1b[2J", "esc%1B%5B2J"},
        {"tab\tnl\ncr\r", "tab%09nl%0Acr%0D"},
        {"q\"'`$\\*?", "q%22%27%60%24%5C%2A%3F"},
        {"keep._-+@=,:~/x", "keep._-+@=,:~/x"},
        {"\x7f\x80\xff", "%7F%80%FF"},
        {"..a", "..a"},
    };
    char enc[256], raw[256];
    kt_err err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(kt_name_encode(cases[i].raw, enc, sizeof enc, &err), 0);
        assert_string_equal(enc, cases[i].enc);
        assert_int_equal(kt_name_encoded_len(cases[i].raw), strlen(cases[i].enc));
        assert_int_equal(kt_name_decode(enc, raw, sizeof raw, &err), 0);
        assert_string_equal(raw, cases[i].raw);
        assert_int_equal(kt_name_check(enc, 255, &err), 0);
    }
}

/* Every byte 1..255 round-trips, and its encoding is the only one accepted. */
static void every_byte(void **state)
{
    (void)state;
    kt_err err;
    for (int c = 1; c < 256; c++) {
        if (c == '/') continue;
        char raw[2] = {(char)c, 0}, enc[8], back[8];
        assert_int_equal(kt_name_encode(raw, enc, sizeof enc, &err), 0);
        assert_int_equal(kt_name_decode(enc, back, sizeof back, &err), 0);
        assert_string_equal(back, raw);
        /* the other spellings of the same byte */
        char alt[8];
        snprintf(alt, sizeof alt, "%%%02x", c); /* lower-case hex */
        if (strcmp(alt, enc) && kt_name_check(alt, 8, &err) == 0)
            fail_msg("accepted %s for byte 0x%02x", alt, c);
        snprintf(alt, sizeof alt, "%%%02X", c); /* %-encoding a literal byte */
        if (strcmp(alt, enc) && kt_name_check(alt, 8, &err) == 0)
            fail_msg("accepted %s for byte 0x%02x", alt, c);
        if (strcmp(raw, enc) && kt_name_check(raw, 8, &err) == 0 && c != '.')
            fail_msg("accepted the raw byte 0x%02x", c);
    }
}

static void refused(void **state)
{
    (void)state;
    static const char *bad[] = {"a%2Fb", "%00", "a%",   "a%4",   "a%G1", "a%2e", "a%41",
                                "",      "/x",  "a//b", "a/./b", "../x", "x/..", "x/"};
    char out[64];
    kt_err err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_name_check(bad[i], 64, &err) == 0) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(kt_name_decode("a%2Fb", out, sizeof out, &err), -1);
    assert_non_null(strstr(err.msg, "written as itself"));
    assert_int_equal(kt_name_decode("a%e9", out, sizeof out, &err), -1);
    assert_non_null(strstr(err.msg, "upper-case"));
    assert_int_equal(kt_name_check("aaaa", 3, &err), -1);
    assert_int_equal(kt_name_encode("", out, sizeof out, &err), -1);
    assert_int_equal(kt_name_encode("a b", out, 5, &err), -1); /* needs 6 */
    assert_int_equal(kt_name_encode("a b", out, 6, &err), 0);
}

/* A raw path of KT_NAME_RAW_MAX bytes always fits KT_NAME_ENC_MAX. */
static void limits(void **state)
{
    (void)state;
    static char raw[KT_NAME_RAW_MAX + 1], enc[KT_NAME_ENC_MAX + 1];
    memset(raw, '\xe1', KT_NAME_RAW_MAX);
    kt_err err;
    assert_int_equal(kt_name_encode(raw, enc, sizeof enc, &err), 0);
    assert_int_equal(strlen(enc), KT_NAME_ENC_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(examples),
        cmocka_unit_test(every_byte),
        cmocka_unit_test(refused),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
