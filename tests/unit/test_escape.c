/* core/escape: nothing printed from outside can act on a terminal or a page. */
#include "testutil.h"

#include "../../core/escape.h"

static void only_printable_ascii(const char *s, const char *what)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7E) fail_msg("%s: byte 0x%02x in the output", what, *p);
}

static void expect(const char *in, enum kt_esc mode, const char *want)
{
    char *got = kt_esc_dup(in, mode);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void examples(void **state)
{
    (void)state;
    expect("plain text 123", KT_ESC_TEXT, "plain text 123");
    expect("a\x1b[2Jb\r\n\t", KT_ESC_TEXT, "a\\x1b[2Jb\\x0d\\x0a\\x09");
    expect("back\\slash \\x41", KT_ESC_TEXT, "back\\\\slash \\\\x41");
    expect("r\xc3\xa9sum\xc3\xa9", KT_ESC_TEXT, "r\\u{00E9}sum\\u{00E9}");
    expect("\xff\xfe ok \xc3", KT_ESC_TEXT, "\\xff\\xfe ok \\xc3");
    expect("\xc0\xaf", KT_ESC_TEXT, "\\xc0\\xaf");          /* overlong '/' */
    expect("\xed\xa0\x80", KT_ESC_TEXT, "\\xed\\xa0\\x80"); /* a surrogate */
    expect("\xc2\x9b"
           "31m",
           KT_ESC_TEXT, "\\u{009B}31m"); /* C1 CSI as UTF-8 */
    expect("\xe2\x80\xae"
           "gnp.exe",
           KT_ESC_TEXT, "\\u{202E}gnp.exe");
    expect("\xe2\x9c\x9b", KT_ESC_TEXT, "\\u{271B}"); /* holds the byte 0x9B */
    expect("\x7f", KT_ESC_TEXT, "\\x7f");
    expect("<h2>PASS</h2><img src=x onerror=alert(1)>", KT_ESC_HTML,
           "&#60;h2&#62;PASS&#60;&#47;h2&#62;&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;");
    expect("| a `b` *c* [d](e) ![f](g) https://x & &amp;", KT_ESC_HTML,
           "&#124; a &#96;b&#96; &#42;c&#42; &#91;d&#93;&#40;e&#41; &#33;&#91;f&#93;&#40;g&#41; "
           "https&#58;&#47;&#47;x &#38; &#38;amp&#59;");
    expect("r\xc3\xa9sum\xc3\xa9", KT_ESC_HTML, "r&#xE9;sum&#xE9;");
    expect("\xe2\x80\xae"
           "x\n",
           KT_ESC_HTML, "&#92;u&#123;202E&#125;x&#92;x0a");
    expect(NULL, KT_ESC_TEXT, "");
}

/* Every byte, every pair of bytes, and every 3-byte sequence starting E2 or
 * ED: both forms are printable ASCII only. */
static void never_a_control(void **state)
{
    (void)state;
    char in[4] = {0};
    for (int a = 1; a < 256; a++) {
        in[0] = (char)a;
        for (int b = 0; b < 256; b++) {
            in[1] = (char)b;
            in[2] = 0;
            for (int m = 0; m < 2; m++) {
                char *e = kt_esc_dup(in, (enum kt_esc)m);
                only_printable_ascii(e, "pair");
                free(e);
            }
            if (a != 0xE2 && a != 0xED) continue;
            for (int c = 1; c < 256; c++) {
                in[2] = (char)c;
                char *e = kt_esc_dup(in, KT_ESC_TEXT);
                only_printable_ascii(e, "triple");
                free(e);
            }
        }
    }
}

static void line(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    kt_esc_line(f, "REJECT %s: %d", "x\x1b[1A\x1b[2K\rPASS", 7);
    fclose(f);
    assert_string_equal(buf, "REJECT x\\x1b[1A\\x1b[2K\\x0dPASS: 7\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(examples),
        cmocka_unit_test(never_a_control),
        cmocka_unit_test(line),
    };
    return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
