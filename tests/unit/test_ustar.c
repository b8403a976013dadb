#include "testutil.h"

#include "../../core/ustar.h"

static void roundtrip(void **state)
{
    (void)state;
    uint8_t h[512];
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    assert_int_equal(kt_tar_header(h, "evidence/runs/x/stderr", 12345, 1700000000, &err), 0);
    assert_int_equal(kt_tar_header_parse(h, name, &size, &mtime, &err), 0);
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

static void long_names_split(void **state)
{
    (void)state;
    char longname[KT_TAR_NAME_MAX + 1], got[KT_TAR_NAME_MAX + 1];
    /* 120 bytes of directory, then a 100-byte file name: needs the prefix. */
    memset(longname, 'd', 120);
    longname[120] = '/';
    memset(longname + 121, 'f', 100);
    longname[221] = '\0';
    uint8_t h[512];
    uint64_t size, mtime;
    kt_err err;
    assert_int_equal(kt_tar_header(h, longname, 1, 0, &err), 0);
    assert_int_equal(h[345 + 119], 'd'); /* prefix holds the directory */
    assert_int_equal(h[345 + 120], 0);
    assert_int_equal(kt_tar_header_parse(h, got, &size, &mtime, &err), 0);
    assert_string_equal(got, longname);
    /* A 101-byte last component cannot be stored. */
    memset(longname + 121, 'f', 101);
    longname[222] = '\0';
    assert_int_equal(kt_tar_header(h, longname, 1, 0, &err), -1);
    assert_non_null(strstr(err.msg, "cannot be split"));
}

static void name_rules(void **state)
{
    (void)state;
    static const char *bad[] = {"",         "/abs", "a//b",   "a/./b",    "../x",
                                "a/..",     "x/",   "tab\tx", "back\\sl", "\x7f",
                                "\xc3\xa9", "a b",  "q\"x",   "a*b",      "$x"};
    kt_err err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (kt_tar_name_check(bad[i], &err) != -1) fail_msg("accepted bad name \"%s\"", bad[i]);
    }
    assert_int_equal(kt_tar_name_check("evidence/a_b/c-d_e.f+g@h=i,j:k~l", &err), 0);
    assert_int_equal(kt_tar_name_check("..a/b..", &err), 0);
}

static void limits(void **state)
{
    (void)state;
    uint8_t h[512];
    kt_err err;
    assert_int_equal(kt_tar_header(h, "x", KT_TAR_SIZE_MAX, 0, &err), 0);
    assert_int_equal(kt_tar_header(h, "x", KT_TAR_SIZE_MAX + 1, 0, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_int_equal(kt_tar_header(h, "x", 0, KT_TAR_MTIME_MAX + 1, &err), -1);
}

/* Every single-byte change of a canonical header is rejected. */
static void every_header_byte(void **state)
{
    (void)state;
    uint8_t h[512], t[512];
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    assert_int_equal(kt_tar_header(h, "evidence/file", 700, 42, &err), 0);
    for (int i = 0; i < 512; i++) {
        for (int v = 0; v < 256; v++) {
            if (v == h[i]) continue;
            memcpy(t, h, 512);
            t[i] = (uint8_t)v;
            if (kt_tar_header_parse(t, name, &size, &mtime, &err) == 0)
                fail_msg("byte %d = 0x%02x accepted", i, v);
        }
    }
}

static void typeflags_named(void **state)
{
    (void)state;
    static const struct {
        char flag;
        const char *word;
    } cases[] = {{'1', "hard link"},    {'2', "symbolic link"}, {'3', "character device"},
                 {'4', "block device"}, {'5', "directory"},     {'6', "FIFO"},
                 {'x', "pax"},          {'g', "pax"},           {'L', "GNU long-name"},
                 {'\0', "typeflag NUL"}};
    uint8_t h[512];
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(kt_tar_header(h, "evidence/x", 0, 0, &err), 0);
        h[156] = (uint8_t)cases[i].flag;
        assert_int_equal(kt_tar_header_parse(h, name, &size, &mtime, &err), -1);
        if (!strstr(err.msg, cases[i].word)) fail_msg("'%c': %s", cases[i].flag, err.msg);
    }
}

static void gnu_magic_rejected(void **state)
{
    (void)state;
    uint8_t h[512];
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    kt_err err;
    assert_int_equal(kt_tar_header(h, "evidence/x", 0, 0, &err), 0);
    memcpy(h + 257, "ustar  \0", 8); /* GNU tar's old magic */
    assert_int_equal(kt_tar_header_parse(h, name, &size, &mtime, &err), -1);
    assert_non_null(strstr(err.msg, "ustar"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip),          cmocka_unit_test(long_names_split),
        cmocka_unit_test(name_rules),         cmocka_unit_test(limits),
        cmocka_unit_test(every_header_byte),  cmocka_unit_test(typeflags_named),
        cmocka_unit_test(gnu_magic_rejected),
    };
    return cmocka_run_group_tests_name("ustar", tests, NULL, NULL);
}
