/* Bundles of files with any name: every byte, long names, the limits of
 * kiemthu-bundle create, and what an independent reader (libarchive) sees. */
#include "testutil.h"

#include "../../bundle/create.h"
#include "../../core/layout.h"
#include "../../core/name.h"
#include "../../verify/verify.h"
#include "trustutil.h"

#include <archive.h>
#include <archive_entry.h>

typedef struct fx {
    char *dir;
    kt_seckey *key;
    kt_pubkey pub;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    kt_err err;
    assert_int_equal(kt_keys_init(&err), 0);
    f->dir = tu_tmpdir();
    char *kp = tu_key_copy(f->dir, "test-ed25519.key", "k.key");
    assert_int_equal(kt_seckey_load(kp, &f->key, &err), 0);
    free(kp);
    char *p = tu_fixture("fixtures/keys/test-ed25519.pub");
    assert_int_equal(kt_pubkey_load(p, &f->pub, &err), 0);
    free(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kt_seckey_free(f->key);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static int create(const fx *f, const char *ev, const char *out, kt_err *err)
{
    const kt_seckey *keys[1] = {f->key};
    kt_create_opts o = {.evidence_dir = ev, .out_path = out, .keys = keys, .nkeys = 1};
    kt_create_result res;
    int rc = kt_bundle_create(&o, &res, err);
    kt_create_result_free(&res);
    return rc;
}

static enum kt_verdict verify(const fx *f, const char *path, kt_verify_result *res)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    static kt_trust t;
    kt_verify_opts o = {.trust = tu_trust(&t, &f->pub, 1), .max_total = KT_MAX_TOTAL_DEFAULT};
    kt_verify_fd(fd, &o, res);
    close(fd);
    return res->verdict;
}

/* One file per byte value 1..255 (but '/'), plus long and deep names. */
static void any_name_round_trips(void **state)
{
    fx *f = *state;
    char ev[4096], out[4096], rel[4096];
    snprintf(ev, sizeof ev, "%s/ev", f->dir);
    snprintf(out, sizeof out, "%s/b.tar", f->dir);
    mkdir(ev, 0755);
    for (int c = 1; c < 256; c++) {
        if (c == '/' || c == '.') continue; /* "." is no file name; ".x" is */
        snprintf(rel, sizeof rel, "bytes/%c", c);
        tu_writes(ev, rel, rel);
    }
    tu_writes(ev, "bytes/.hidden", "h");
    char longc[256];
    memset(longc, 'L', 255);
    longc[255] = '\0';
    snprintf(rel, sizeof rel, "long/%s", longc); /* a 255-byte component */
    tu_writes(ev, rel, "long");
    snprintf(rel, sizeof rel, "utf8/");
    for (int i = 0; i < 80; i++) strcat(rel, "\xe1\xba\xa1"); /* 240 bytes -> 720 encoded */
    tu_writes(ev, rel, "viet");
    kt_err err;
    if (create(f, ev, out, &err) < 0) fail_msg("create: %s", err.msg);
    kt_verify_result res;
    if (verify(f, out, &res) != KT_VERDICT_AUTHENTIC) fail_msg("verify: %s", res.err.msg);
    assert_int_equal(res.evidence, 255 - 2 + 1 + 2);
    kt_verify_result_free(&res);

    /* libarchive reads the pax records: every member decodes to its file's name */
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_filename(a, out, 10240), ARCHIVE_OK);
    struct archive_entry *e;
    size_t n = 0;
    char prev[KT_TAR_NAME_MAX + 1] = "";
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        assert_true(strcmp(prev, name) < 0); /* sorted by the encoded name */
        snprintf(prev, sizeof prev, "%s", name);
        if (strncmp(name, "evidence/", 9)) continue;
        static char raw[KT_NAME_RAW_MAX + 1];
        if (kt_name_decode(name + 9, raw, sizeof raw, &err) < 0) fail_msg("%s: %s", name, err.msg);
        int dfd = open(ev, O_RDONLY | O_DIRECTORY);
        int fd = openat(dfd, raw, O_RDONLY);
        if (fd < 0) fail_msg("%s decodes to no file", name);
        uint8_t want[4096], got[4096];
        ssize_t len = read(fd, want, sizeof want);
        close(fd);
        close(dfd);
        assert_int_equal(archive_read_data(a, got, sizeof got), (la_ssize_t)len);
        assert_memory_equal(got, want, (size_t)len);
        n++;
    }
    assert_int_equal(n, 256);
    archive_read_free(a);
}

/* create's own limits: refused before anything is written, naming the file. */
static void limits_refused_before_writing(void **state)
{
    fx *f = *state;
    char ev[4096], out[4096];
    snprintf(ev, sizeof ev, "%s/deep", f->dir);
    snprintf(out, sizeof out, "%s/x.tar", f->dir);
    mkdir(ev, 0755);
    /* KT_NAME_DEPTH_MAX directories are fine, one more is not */
    static char rel[KT_NAME_DEPTH_MAX * 2 + 16];
    rel[0] = '\0';
    for (int i = 0; i < KT_NAME_DEPTH_MAX; i++) strcat(rel, "d/");
    strcat(rel, "f");
    tu_writes(ev, rel, "deep");
    kt_err err;
    assert_int_equal(create(f, ev, out, &err), 0);
    rel[strlen(rel) - 1] = '\0';
    strcat(rel, "e/f");
    tu_writes(ev, rel, "deeper");
    assert_int_equal(create(f, ev, out, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_non_null(strstr(err.msg, "nested deeper"));

    /* a path of more than KT_NAME_RAW_MAX bytes */
    snprintf(ev, sizeof ev, "%s/longpath", f->dir);
    mkdir(ev, 0755);
    static char lp[KT_NAME_RAW_MAX + 300];
    lp[0] = '\0';
    char comp[201];
    memset(comp, 'p', 200);
    comp[200] = '\0';
    while (strlen(lp) < KT_NAME_RAW_MAX) strcat(lp, comp), strcat(lp, "/");
    strcat(lp, "f");
    tu_writes(ev, lp, "x");
    unlink(out);
    assert_int_equal(create(f, ev, out, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_non_null(strstr(err.msg, "longer than 4095 bytes"));
    assert_int_equal(access(out, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(any_name_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_refused_before_writing, setup, teardown),
    };
    return cmocka_run_group_tests_name("bundle_names", tests, NULL, NULL);
}
