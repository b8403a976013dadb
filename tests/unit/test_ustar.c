#include "testutil.h"

#include "../../core/ustar.h"

/* Parse a member's header sequence as core/tarread.c does. */
static int parse(const uint8_t *seq, size_t len, char *name, uint64_t *size, uint64_t *mtime,
                 kt_err *err)
{
    uint64_t pax = 0;
    int kind = kt_tar_block_kind(seq, &pax, err);
    if (kind < 0) return -1;
    size_t off = 0;
    if (kind == 1) {
        off = KT_TAR_BLOCK + (size_t)(pax + kt_tar_pad(pax));
        if (off + KT_TAR_BLOCK > len) return kt_fail(err, KT_E_TAMPER, "short");
        if (kt_tar_pax_path(seq + KT_TAR_BLOCK, (size_t)pax, name, err) < 0) return -1;
    }
    char field[KT_TAR_NAME_FIELD + 1];
    if (kt_tar_file_header(seq + off, field, size, mtime, err) < 0) return -1;
    if (kind == 0) memcpy(name, field, sizeof field);
    if (kt_tar_name_check(name, err) < 0) return -1;
    return kt_tar_header_check(seq, off + KT_TAR_BLOCK, name, *size, *mtime, err);
}

static void roundtrip(void **state)
{
    (void)state;
    uint8_t h[KT_TAR_HDR_MAX];
    size_t len;
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    assert_int_equal(kt_tar_header(h, &len, "evidence/runs/x/stderr", 12345, 1700000000, &err), 0);
    assert_int_equal(len, 512);
    assert_int_equal(parse(h, len, name, &size, &mtime, &err), 0);
    assert_string_equal(name, "evidence/runs/x/stderr");
    assert_int_equal(size, 12345);
    assert_int_equal(mtime, 1700000000);
    /* fixed fields */
    assert_memory_equal(h + 100, "0000644", 8);
    assert_memory_equal(h + 257,
                        "ustar\0"
                        "00",
                        8);
    assert_int_equal(h[156], '0');
    assert_int_equal(h[155], ' ');
}

/* Names over 100 bytes get GNU tar's pax path record, never a prefix split. */
static void long_names_pax(void **state)
{
    (void)state;
    static char longname[KT_TAR_NAME_MAX + 1], got[KT_TAR_NAME_MAX + 1];
    static uint8_t h[KT_TAR_HDR_MAX];
    size_t len;
    uint64_t size, mtime;
    kt_err err;
    /* 101 bytes: the shortest that needs the record ("114 path=...\n") */
    memset(longname, 'd', 101);
    longname[101] = '\0';
    assert_int_equal(kt_tar_header(h, &len, longname, 1, 5, &err), 0);
    assert_int_equal(len, 3 * 512);
    assert_memory_equal(h, KT_TAR_PAX_NAME, sizeof KT_TAR_PAX_NAME);
    assert_int_equal(h[156], 'x');
    assert_memory_equal(h + 512, "111 path=ddd", 12);
    assert_int_equal(h[512 + 110], '\n');
    assert_int_equal(h[512 + 111], 0);
    assert_int_equal(h[1024 + 99], 'd'); /* the file header keeps the first 100 bytes */
    assert_int_equal(h[1024 + 345], 0);  /* and no prefix */
    assert_int_equal(parse(h, len, got, &size, &mtime, &err), 0);
    assert_string_equal(got, longname);
    /* around the 100-byte boundary and where the record's length gains a digit */
    for (size_t n = 99; n < 110; n++) {
        memset(longname, 'e', n);
        longname[n] = '\0';
        assert_int_equal(kt_tar_header(h, &len, longname, 0, 0, &err), 0);
        if (n > 100) assert_int_equal(parse(h, len, got, &size, &mtime, &err), 0);
    }
    /* the longest name: the pax data is one block short of the limit */
    memcpy(longname, "evidence/", 9);
    memset(longname + 9, 'f', KT_TAR_NAME_MAX - 9);
    longname[KT_TAR_NAME_MAX] = '\0';
    assert_int_equal(kt_tar_header(h, &len, longname, 7, 9, &err), 0);
    assert_true(len <= KT_TAR_HDR_MAX);
    assert_int_equal(parse(h, len, got, &size, &mtime, &err), 0);
    assert_string_equal(got, longname);
}

static void name_rules(void **state)
{
    (void)state;
    static const char *bad[] = {"",    "/abs",   "a//b",  "a/./b",    "../x", "a/..",
                                "x/",  "tab\tx", "\x7f",  "\xc3\xa9", "a b",  "q\"x",
                                "a*b", "$x",     "a%2Fb", "a%41",     "a%e9", "a%",
                                "a%4", "%00",    "a%2E",  "%2E%2E/x", "a%g0", "back\\sl"};
    kt_err err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (kt_tar_name_check(bad[i], &err) != -1) fail_msg("accepted bad name \"%s\"", bad[i]);
    }
    assert_int_equal(kt_tar_name_check("evidence/a_b/c-d_e.f+g@h=i,j:k~l", &err), 0);
    assert_int_equal(kt_tar_name_check("..a/b..", &err), 0);
    assert_int_equal(kt_tar_name_check("evidence/a%20b/%C3%A9%25", &err), 0);
}

static void limits(void **state)
{
    (void)state;
    uint8_t h[KT_TAR_HDR_MAX];
    size_t len;
    kt_err err;
    assert_int_equal(kt_tar_header(h, &len, "x", KT_TAR_SIZE_MAX, 0, &err), 0);
    assert_int_equal(kt_tar_header(h, &len, "x", KT_TAR_SIZE_MAX + 1, 0, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_int_equal(kt_tar_header(h, &len, "x", 0, KT_TAR_MTIME_MAX + 1, &err), -1);
    static char toolong[KT_TAR_NAME_MAX + 2];
    memset(toolong, 'a', KT_TAR_NAME_MAX + 1);
    assert_int_equal(kt_tar_header(h, &len, toolong, 0, 0, &err), -1);
}

/* Every single-byte change of a canonical header sequence is rejected: a
 * short name (one block) and a long one (pax header, record, file header).
 * The one exception is by design: the name past its first 100 bytes lives
 * only in the path record, so changing it there gives another valid member
 * name (which the manifest's signed subject list then refuses). */
static void every_header_byte(void **state)
{
    (void)state;
    static const char *names[] = {
        "evidence/file",
        "evidence/out/%E1%BA%A1%E1%BA%A1%E1%BA%A1%E1%BA%A1%E1%BA%A1%E1%BA%A1%E1%BA%A1%E1%BA%A1"
        "%E1%BA%A1%E1%BA%A1%E1%BA%A1"};
    for (size_t k = 0; k < 2; k++) {
        uint8_t h[KT_TAR_HDR_MAX], t[KT_TAR_HDR_MAX];
        char name[KT_TAR_NAME_MAX + 1];
        size_t len;
        uint64_t size, mtime;
        kt_err err;
        assert_int_equal(kt_tar_header(h, &len, names[k], 700, 42, &err), 0);
        assert_int_equal(len, k ? 3 * 512 : 512);
        for (size_t i = 0; i < len; i++) {
            for (int v = 0; v < 256; v++) {
                if (v == h[i]) continue;
                memcpy(t, h, len);
                t[i] = (uint8_t)v;
                if (parse(t, len, name, &size, &mtime, &err) == 0 &&
                    !(i >= 512 + 9 + 100 && strcmp(name, names[k]) != 0))
                    fail_msg("%s: byte %zu = 0x%02x accepted", names[k], i, v);
            }
        }
    }
}

static void pax_forms_refused(void **state)
{
    (void)state;
    static uint8_t h[KT_TAR_HDR_MAX];
    char name[KT_TAR_NAME_MAX + 1];
    size_t len;
    uint64_t size, mtime;
    kt_err err;
    /* a pax header in front of a name that fits the name field */
    char shortn[] = "evidence/short";
    assert_int_equal(kt_tar_header(h, &len, shortn, 1, 0, &err), 0);
    static uint8_t fake[3 * 512];
    char longn[140];
    memset(longn, 'z', sizeof longn - 1);
    longn[sizeof longn - 1] = '\0';
    assert_int_equal(kt_tar_header(fake, &len, longn, 1, 0, &err), 0);
    memcpy(fake + 1024, h, 512);
    memset(fake + 512, 0, 512);
    snprintf((char *)fake + 512, 512, "24 path=evidence/short\n");
    /* fix the x header's size to 24 and its checksum */
    assert_int_equal(parse(fake, 3 * 512, name, &size, &mtime, &err), -1);
    /* an extra record (mtime) before the path */
    assert_int_equal(kt_tar_header(fake, &len, longn, 1, 0, &err), 0);
    char rec[512];
    int n = snprintf(rec, sizeof rec, "20 mtime=1718000000\n");
    memmove(fake + 512 + n, fake + 512, 512 - (size_t)n);
    memcpy(fake + 512, rec, (size_t)n);
    assert_int_equal(parse(fake, 3 * 512, name, &size, &mtime, &err), -1);
    /* a global header, a huge pax size */
    assert_int_equal(kt_tar_header(fake, &len, longn, 1, 0, &err), 0);
    fake[156] = 'g';
    assert_int_equal(parse(fake, 3 * 512, name, &size, &mtime, &err), -1);
    assert_non_null(strstr(err.msg, "pax"));
    assert_int_equal(kt_tar_header(fake, &len, longn, 1, 0, &err), 0);
    memcpy(fake + 124, "77777777777", 11);
    assert_int_equal(parse(fake, 3 * 512, name, &size, &mtime, &err), -1);
    assert_non_null(strstr(err.msg, "declares"));
}

static void typeflags_named(void **state)
{
    (void)state;
    static const struct {
        char flag;
        const char *word;
    } cases[] = {{'1', "hard link"},    {'2', "symbolic link"}, {'3', "character device"},
                 {'4', "block device"}, {'5', "directory"},     {'6', "FIFO"},
                 {'g', "pax"},          {'L', "GNU long-name"}, {'\0', "typeflag NUL"}};
    uint8_t h[KT_TAR_HDR_MAX];
    size_t len;
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(kt_tar_header(h, &len, "evidence/x", 0, 0, &err), 0);
        h[156] = (uint8_t)cases[i].flag;
        assert_int_equal(parse(h, len, name, &size, &mtime, &err), -1);
        if (!strstr(err.msg, cases[i].word)) fail_msg("'%c': %s", cases[i].flag, err.msg);
    }
}

static void gnu_magic_rejected(void **state)
{
    (void)state;
    uint8_t h[KT_TAR_HDR_MAX];
    size_t len;
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    assert_int_equal(kt_tar_header(h, &len, "evidence/x", 0, 0, &err), 0);
    memcpy(h + 257, "ustar  \0", 8); /* GNU tar's old magic */
    assert_int_equal(parse(h, len, name, &size, &mtime, &err), -1);
    assert_non_null(strstr(err.msg, "ustar"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip),         cmocka_unit_test(long_names_pax),
        cmocka_unit_test(name_rules),        cmocka_unit_test(limits),
        cmocka_unit_test(every_header_byte), cmocka_unit_test(pax_forms_refused),
        cmocka_unit_test(typeflags_named),   cmocka_unit_test(gnu_magic_rejected),
    };
    return cmocka_run_group_tests_name("ustar", tests, NULL, NULL);
}
