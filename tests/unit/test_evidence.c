/* Evidence access (policy/evidence.c), the three sources a policy reads
 * from: files in memory (what create bundles), members of a bundle file
 * re-read on demand and held to the digest of the first pass, and a
 * directory (check-policy) read beneath its root under decoded member
 * names. Caps, missing and unkept members, tampering between passes. */
#include "testutil.h"

#include "../../core/sha256.h"
#include "../../policy/evidence.h"

#include <errno.h>

static void memory_source(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    kt_err err;
    assert_int_equal(kt_ev_add(&ev, "runs/b.json", strdup("{\"b\":1}"), 7, 7, &err), 0);
    assert_int_equal(kt_ev_add(&ev, "a.json", strdup("{}"), 2, 2, &err), 0);
    assert_int_equal(kt_ev_add(&ev, "big.bin", NULL, 0, 1u << 30, &err), 0); /* not kept */
    assert_int_equal(kt_ev_exists(&ev, "a.json"), 1);
    assert_int_equal(kt_ev_exists(&ev, "runs/b.json"), 1);
    assert_int_equal(kt_ev_exists(&ev, "c.json"), 0);
    assert_int_equal(kt_ev_exists(&ev, "../a.json"), 0);
    const char *data;
    size_t len;
    assert_int_equal(kt_ev_get(&ev, "runs/b.json", &data, &len, &err), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(data, "{\"b\":1}", 7);
    assert_int_equal(kt_ev_get(&ev, "c.json", &data, &len, &err), -1);
    assert_int_equal(err.cls, KT_E_DATA);
    assert_non_null(strstr(err.msg, "c.json is missing"));
    assert_int_equal(kt_ev_get(&ev, "big.bin", &data, &len, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_int_equal(kt_ev_get(&ev, "/etc/passwd", &data, &len, &err), -1);
    assert_int_equal(kt_ev_get(&ev, "", &data, &len, &err), -1);
    kt_ev_free(&ev);
}

/* What a stream could not keep is "could not be checked": the first such
 * member is remembered, never treated as absent. */
static void unkept_from_stream(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    kt_err err;
    assert_int_equal(kt_ev_add(&ev, "small.json", NULL, 0, 10, &err), 0);
    const char *data;
    size_t len;
    assert_int_equal(kt_ev_get(&ev, "small.json", &data, &len, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_non_null(strstr(err.msg, "not kept from the stream"));
    assert_string_equal(ev.unavailable, "small.json");
    assert_int_equal(kt_ev_exists(&ev, "small.json"), 1);
    kt_ev_free(&ev);
}

/* In-memory caps: a file over KT_EV_FILE_MAX is not kept (so a check on
 * it fails, it is not truncated), and once KT_EV_TOTAL_MAX is kept, further
 * files are not kept either. */
static void memory_caps(void **state)
{
    (void)state;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    kt_err err;
    size_t chunk = KT_EV_FILE_MAX;
    int i = 0;
    for (; ev.kept + chunk <= KT_EV_TOTAL_MAX; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(kt_ev_add(&ev, name, calloc(1, chunk), chunk, chunk, &err), 0);
    }
    assert_int_equal(ev.kept, KT_EV_TOTAL_MAX);
    assert_int_equal(kt_ev_add(&ev, "one-more", calloc(1, 10), 10, 10, &err), 0);
    const char *data;
    size_t len;
    assert_int_equal(kt_ev_get(&ev, "one-more", &data, &len, &err), -1);
    assert_int_equal(kt_ev_get(&ev, "f0", &data, &len, &err), 0);
    assert_int_equal(len, chunk);
    kt_ev_free(&ev);
}

/* A bundle member is re-read from the file and must hash to what the first
 * pass saw; a change in between is tampering, never new evidence. */
static void bundle_reread(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    tu_writes(dir, "bundle", "HEADERpolicy-bytesTRAILER");
    char p[4200];
    snprintf(p, sizeof p, "%s/bundle", dir);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    uint8_t h[KT_SHA256_LEN];
    kt_sha256("policy-bytes", 12, h);
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    ev.srcfd = fd;
    kt_err err;
    assert_int_equal(kt_ev_add_ref(&ev, "policy.json", 6, 12, h, &err), 0);
    assert_int_equal(kt_ev_add_ref(&ev, "moved.json", 6, 12, h, &err), 0);
    const char *data;
    size_t len;
    assert_int_equal(kt_ev_get(&ev, "policy.json", &data, &len, &err), 0);
    assert_int_equal(len, 12);
    assert_memory_equal(data, "policy-bytes", 12);
    assert_int_equal(pwrite(fd, "X", 1, 7), 1); /* the file changes between passes */
    assert_int_equal(kt_ev_get(&ev, "moved.json", &data, &len, &err), -1);
    assert_int_equal(err.cls, KT_E_TAMPER);
    assert_non_null(strstr(err.msg, "changed in the bundle file"));
    /* the member already read stays what was checked */
    assert_int_equal(kt_ev_get(&ev, "policy.json", &data, &len, &err), 0);
    assert_memory_equal(data, "policy-bytes", 12);
    /* a member past the end: an I/O error, not a short read taken as data */
    assert_int_equal(kt_ev_add_ref(&ev, "short.json", 20, 100, h, &err), 0);
    assert_int_equal(kt_ev_get(&ev, "short.json", &data, &len, &err), -1);
    assert_int_equal(err.cls, KT_E_IO);
    kt_ev_free(&ev);
    close(fd);
    tu_rmrf(dir);
}

/* A directory source: member names are decoded (%20 is a space), files are
 * read once and kept, and a file over the cap is refused by name. */
static void directory_source(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    tu_writes(dir, "out/a b", "spaced");
    tu_writes(dir, "out/a%20b", "literal");
    int rootfd = open(dir, O_RDONLY | O_DIRECTORY);
    kt_evidence ev;
    kt_ev_init_dir(&ev, rootfd, dir);
    kt_err err;
    const char *data;
    size_t len;
    assert_int_equal(kt_ev_get(&ev, "out/a%20b", &data, &len, &err), 0);
    assert_memory_equal(data, "spaced", len);
    assert_int_equal(kt_ev_get(&ev, "out/a%2520b", &data, &len, &err), 0);
    assert_memory_equal(data, "literal", len);
    assert_int_equal(kt_ev_exists(&ev, "out/a b"), 0); /* not a canonical member name */
    assert_int_equal(kt_ev_get(&ev, "out/a%41", &data, &len, &err), -1);
    /* kept: a change after the first read is not seen */
    tu_writes(dir, "out/a b", "changed");
    assert_int_equal(kt_ev_get(&ev, "out/a%20b", &data, &len, &err), 0);
    assert_memory_equal(data, "spaced", len);
    char p[4200];
    snprintf(p, sizeof p, "%s/huge", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(ftruncate(fd, KT_EV_FILE_MAX + 1), 0);
    close(fd);
    assert_int_equal(kt_ev_get(&ev, "huge", &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "huge"));
    kt_ev_free(&ev);
    close(rootfd);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory_source),    cmocka_unit_test(unkept_from_stream),
        cmocka_unit_test(memory_caps),      cmocka_unit_test(bundle_reread),
        cmocka_unit_test(directory_source),
    };
    return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
