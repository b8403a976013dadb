/* core/escape, stream mode (kiemthu-sandbox --tee): a payload's output shown
 * live can never act on the terminal, however it is cut into chunks. */
#include "testutil.h"

#include "../../core/escape.h"

/* The shown form of n bytes of in, fed in chunks of `chunk` bytes. */
static char *shown(const char *in, size_t n, size_t chunk, int utf8)
{
    kt_esc_stream st = {utf8, {0}, 0};
    kt_buf out;
    kt_buf_init(&out, 0);
    assert_int_equal(kt_buf_puts(&out, "", NULL), 0);
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        assert_int_equal(kt_esc_stream_put(&st, &out, in + off, k, NULL), 0);
    }
    assert_int_equal(kt_esc_stream_end(&st, &out, NULL), 0);
    return kt_buf_steal(&out, NULL);
}

/* The same output whatever the chunking (1 byte at a time up to all at once). */
static void expect_n(const char *in, size_t n, int utf8, const char *want)
{
    for (size_t chunk = 1; chunk <= n + 1; chunk++) {
        char *got = shown(in, n, chunk, utf8);
        if (strcmp(got, want) != 0)
            fail_msg("chunk %zu: got \"%s\", want \"%s\"", chunk, got, want);
        free(got);
    }
}

static void expect(const char *in, int utf8, const char *want)
{
    expect_n(in, strlen(in), utf8, want);
}

static void examples(void **state)
{
    (void)state;
    expect("line one\n\tindented\n", 1, "line one\n\tindented\n");
    expect("back\\slash", 1, "back\\slash");
    expect("a\x1b[2Jb", 1, "a\\x1b[2Jb");                        /* CSI erase */
    expect("FAIL\rPASS\n", 1, "FAIL\\x0dPASS\n");                /* CR overwrite */
    expect("\x1b]0;title\x07", 1, "\\x1b]0;title\\x07");         /* OSC, BEL */
    expect("\x1b]52;c;aGk=\x1b\\", 1, "\\x1b]52;c;aGk=\\x1b\\"); /* clipboard write */
    expect("\x1bP$q\"p\x1b\\", 1, "\\x1bP$q\"p\\x1b\\");         /* DECRQSS */
    expect("\x7f\x08", 1, "\\x7f\\x08");
    expect("r\xc3\xa9sum\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x99\x82", 1,
           "r\xc3\xa9sum\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x99\x82"); /* UTF-8 text passes */
    expect("r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x9b", 0, "r\\u{00E9}sum\\u{00E9} \\u{271B}");
    expect("\xc2\x9b"
           "2J",
           1, "\\u{009B}2J"); /* C1 CSI as UTF-8 */
    expect("\x9b"
           "2J",
           1, "\\x9b2J"); /* a raw 8-bit CSI */
    expect("\xe2\x80\xae"
           "gnp.exe",
           1, "\\u{202E}gnp.exe");
    expect("\xff\xfe ok \xc0\xaf \xed\xa0\x80", 1, "\\xff\\xfe ok \\xc0\\xaf \\xed\\xa0\\x80");
    expect("cut at the end \xe2\x80", 1, "cut at the end \\xe2\\x80");
    expect("\xe2\x80"
           "x",
           1, "\\xe2\\x80x"); /* a cut sequence followed by ASCII */
    expect("\xf0\x9f"
           "\xe2\x9c\x93",
           1, "\\xf0\\x9f\xe2\x9c\x93");
    expect_n("nul\0byte", 8, 1, "nul\\x00byte");
}

/* Whatever the input and the chunking, no byte of the output is a control
 * other than \n and \t, and with utf8 off nothing is outside printable ASCII. */
static void never_a_control(void **state)
{
    (void)state;
    unsigned seed = 12345;
    char in[512];
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(round % 200) + 1;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            unsigned r = (seed >> 16) & 0xFF;
            /* Mostly the interesting bytes: controls, C1, UTF-8 leads. */
            static const unsigned char pick[] = {0x1b, '\r', '\n', 0x9b, 0xc2, 0xe2, 0x80, 0x9c,
                                                 0xf0, 0x9f, 'a',  '[',  0x07, 0x00, 0xed, 0xa0};
            in[i] = (char)(r < 128 ? pick[r % sizeof pick] : r);
        }
        for (int utf8 = 0; utf8 <= 1; utf8++) {
            size_t chunk = (size_t)(round % 7) + 1;
            char *got = shown(in, n, chunk, utf8);
            const unsigned char *g = (const unsigned char *)got;
            /* Decode what a UTF-8 terminal would see: a C1 code point is a control. */
            for (size_t i = 0; g[i]; i++) {
                if ((g[i] < 0x20 && g[i] != '\n' && g[i] != '\t') || g[i] == 0x7f)
                    fail_msg("round %d: control 0x%02x in the output", round, g[i]);
                if (!utf8 && g[i] > 0x7e) fail_msg("round %d: non-ASCII 0x%02x", round, g[i]);
                if (g[i] == 0xc2 && g[i + 1] >= 0x80 && g[i + 1] <= 0x9f)
                    fail_msg("round %d: C1 U+%04X in the output", round, g[i + 1]);
                if (g[i] >= 0x80 && g[i] <= 0x9f && (i == 0 || g[i - 1] < 0x80))
                    fail_msg("round %d: a lone 8-bit control 0x%02x", round, g[i]);
            }
            /* Chunking never changes the output. */
            char *whole = shown(in, n, n, utf8);
            assert_string_equal(got, whole);
            free(whole);
            free(got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(examples),
        cmocka_unit_test(never_a_control),
    };
    return cmocka_run_group_tests_name("escape stream", tests, NULL, NULL);
}
