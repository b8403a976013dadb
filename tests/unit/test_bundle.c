/* Bundle create + verify in process: round trip, reproducibility, an
 * independent reader (libarchive), every single-byte modification, and
 * validly signed but wrong manifests/envelopes. */
#include "testutil.h"

#include "../../bundle/create.h"
#include "../../bundle/tarwriter.h"
#include "../../core/dsse.h"
#include "../../core/json_canon.h"
#include "../../core/layout.h"
#include "../../verify/verify.h"
#include "trustutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>

typedef struct fx {
    char *dir;
    char *keypath;
    kt_seckey *key;
    kt_pubkey pub, other;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    kt_err err;
    assert_int_equal(kt_keys_init(&err), 0);
    f->dir = tu_tmpdir();
    f->keypath = tu_key_copy(f->dir, "test-ed25519.key", "k.key");
    assert_int_equal(kt_seckey_load(f->keypath, &f->key, &err), 0);
    char *p = tu_fixture("fixtures/keys/test-ed25519.pub");
    assert_int_equal(kt_pubkey_load(p, &f->pub, &err), 0);
    free(p);
    p = tu_fixture("fixtures/keys/test-other.pub");
    assert_int_equal(kt_pubkey_load(p, &f->other, &err), 0);
    free(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kt_seckey_free(f->key);
    free(f->keypath);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static void make_evidence(const char *root)
{
    mkdir(root, 0755);
    tu_writes(root, "venue.json", "{\"ci\":\"local\"}\n");
    tu_writes(root, "runs/probe/startup-safe/stderr", "");
    tu_writes(root, "runs/probe/startup-safe/run.json", "{\"started\":true,\"exit_code\":0}\n");
    tu_writes(root, "runs/probe/strict/stderr", "exec format: operation not permitted\n");
    char big[3000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 31);
    tu_write(root, "tests/junit.xml", big, sizeof big);
}

static char *path_in(const fx *f, const char *rel)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/%s", f->dir, rel);
    return p;
}

static int create(const fx *f, const char *ev, const char *out, uint64_t sde, kt_err *err)
{
    const kt_seckey *keys[1] = {f->key};
    kt_create_opts o = {
        .evidence_dir = ev, .out_path = out, .keys = keys, .nkeys = 1, .source_date_epoch = sde};
    kt_create_result res;
    return kt_bundle_create(&o, &res, err);
}

static enum kt_verdict verify_path(const kt_pubkey *keys, size_t n, const char *path,
                                   kt_verify_result *res)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    static kt_trust t;
    kt_verify_opts o = {.trust = tu_trust(&t, keys, n), .max_total = KT_MAX_TOTAL_DEFAULT};
    kt_verify_fd(fd, &o, res);
    close(fd);
    return res->verdict;
}

static void roundtrip_and_libarchive(void **state)
{
    fx *f = *state;
    char *ev = path_in(f, "ev"), *out = path_in(f, "b.tar");
    make_evidence(ev);
    kt_err err;
    assert_int_equal(create(f, ev, out, 1700000000, &err), 0);
    kt_verify_result res;
    assert_int_equal(verify_path(&f->pub, 1, out, &res), KT_VERDICT_AUTHENTIC);
    assert_int_equal(res.evidence, 5);
    assert_int_equal(res.members, 7);
    assert_string_equal(res.keyid, f->pub.keyid);
    kt_verify_result_free(&res);

    /* libarchive, an independent reader, sees the same members and bytes. */
    static const char *names[] = {"evidence/runs/probe/startup-safe/run.json",
                                  "evidence/runs/probe/startup-safe/stderr",
                                  "evidence/runs/probe/strict/stderr",
                                  "evidence/tests/junit.xml",
                                  "evidence/venue.json",
                                  KT_ENVELOPE_NAME,
                                  KT_MANIFEST_NAME};
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_filename(a, out, 10240), ARCHIVE_OK);
    struct archive_entry *e;
    size_t i = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        assert_true(i < 7);
        assert_string_equal(archive_entry_pathname(e), names[i]);
        assert_int_equal(archive_entry_mtime(e), 1700000000);
        assert_int_equal(archive_entry_uid(e), 0);
        assert_int_equal(archive_entry_perm(e), 0644);
        assert_true(archive_entry_filetype(e) == AE_IFREG);
        if (i < 5) {
            char src[4096];
            snprintf(src, sizeof src, "%s/%s", ev, names[i] + strlen(KT_EVIDENCE_PREFIX));
            size_t n;
            uint8_t *want = tu_slurp(src, &n);
            uint8_t *got = malloc(n + 1);
            assert_int_equal(archive_read_data(a, got, n + 1), (la_ssize_t)n);
            assert_memory_equal(got, want, n);
            free(want);
            free(got);
        }
        i++;
    }
    assert_int_equal(i, 7);
    archive_read_free(a);
    free(ev);
    free(out);
}

static void reproducible(void **state)
{
    fx *f = *state;
    char *ev1 = path_in(f, "ev1"), *ev2 = path_in(f, "ev2");
    char *o1 = path_in(f, "1.tar"), *o2 = path_in(f, "2.tar");
    make_evidence(ev1);
    /* Same content, written in another order, other modes, times and umask. */
    mode_t old = umask(077);
    mkdir(ev2, 0700);
    tu_writes(ev2, "tests/junit.xml", "");
    tu_writes(ev2, "runs/probe/strict/stderr", "exec format: operation not permitted\n");
    tu_writes(ev2, "runs/probe/startup-safe/run.json", "{\"started\":true,\"exit_code\":0}\n");
    tu_writes(ev2, "runs/probe/startup-safe/stderr", "");
    tu_writes(ev2, "venue.json", "{\"ci\":\"local\"}\n");
    char big[3000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 31);
    tu_write(ev2, "tests/junit.xml", big, sizeof big);
    umask(old);
    char p[4096];
    snprintf(p, sizeof p, "%s/venue.json", ev2);
    chmod(p, 0600);
    struct timespec ts[2] = {{12345, 0}, {12345, 0}};
    utimensat(AT_FDCWD, p, ts, 0);
    kt_err err;
    assert_int_equal(create(f, ev1, o1, 1234, &err), 0);
    assert_int_equal(create(f, ev2, o2, 1234, &err), 0);
    size_t n1, n2;
    uint8_t *b1 = tu_slurp(o1, &n1), *b2 = tu_slurp(o2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    assert_int_equal(n1 % 512, 0);
    free(b1);
    free(b2);
    /* A different SOURCE_DATE_EPOCH gives different bytes. */
    assert_int_equal(create(f, ev1, o2, 1235, &err), 0);
    b1 = tu_slurp(o1, &n1);
    b2 = tu_slurp(o2, &n2);
    assert_true(n1 != n2 || memcmp(b1, b2, n1) != 0);
    free(b1);
    free(b2);
    free(ev1), free(ev2), free(o1), free(o2);
}

/* Flip, set and clear every byte of a small bundle: each must be rejected.
 * defer_min 1: every member's data is passed over first and hashed after
 * (verify/hashpool.h), read 1 KiB at a time so that the skips cross reads. */
static void flip_every_byte(void **state, uint64_t defer_min)
{
    fx *f = *state;
    char *ev = path_in(f, "ev"), *out = path_in(f, "b.tar");
    mkdir(ev, 0755);
    tu_writes(ev, "a.txt", "alpha\n");
    tu_writes(ev, "dir/b.json", "{\"b\":2}\n");
    /* a name that needs the encoding and a pax path record (over 100 bytes) */
    tu_writes(ev, "out/r\xc3\xa9sum\xc3\xa9 \x1b[2J 100% of a name longer than one hundred bytes",
              "x");
    kt_err err;
    assert_int_equal(create(f, ev, out, 77, &err), 0);
    size_t n;
    uint8_t *orig = tu_slurp(out, &n);
    int fd = memfd_create("bundle", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, orig, n), (ssize_t)n);
    static kt_trust t;
    kt_verify_opts o = {.trust = tu_trust(&t, &f->pub, 1),
                        .max_total = KT_MAX_TOTAL_DEFAULT,
                        .defer_min = defer_min,
                        .read_buffer = defer_min == 1 ? 1024 : 0};
    kt_verify_result res;
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(kt_verify_fd(fd, &o, &res), 0);
    kt_verify_result_free(&res);
    size_t tried = 0;
    /* KT_FLIP_STRIDE (make valgrind) samples every Nth byte; the default is all of them */
    const char *stride_env = getenv("KT_FLIP_STRIDE");
    size_t stride = stride_env && atoi(stride_env) > 0 ? (size_t)atoi(stride_env) : 1;
    for (size_t i = 0; i < n; i += stride) {
        uint8_t vals[4] = {(uint8_t)(orig[i] ^ 0x01), (uint8_t)(orig[i] ^ 0x80),
                           (uint8_t)(orig[i] ^ 0xff), orig[i] ? 0 : '0'};
        for (int k = 0; k < 4; k++) {
            assert_int_equal(pwrite(fd, &vals[k], 1, (off_t)i), 1);
            assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
            if (kt_verify_fd(fd, &o, &res) == 0)
                fail_msg("byte %zu changed 0x%02x -> 0x%02x was accepted", i, orig[i], vals[k]);
            assert_int_equal(res.verdict, KT_VERDICT_REJECT);
            kt_verify_result_free(&res);
            tried++;
        }
        assert_int_equal(pwrite(fd, &orig[i], 1, (off_t)i), 1);
    }
    print_message("%zu modifications of a %zu-byte bundle, all rejected%s\n", tried, n,
                  defer_min == 1 ? " (members hashed after the headers)" : "");
    /* Truncation at every block boundary and appended bytes. */
    for (size_t len = 0; len < n; len += 512) {
        assert_int_equal(ftruncate(fd, (off_t)len), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(kt_verify_fd(fd, &o, &res), -1);
        kt_verify_result_free(&res);
    }
    assert_int_equal(pwrite(fd, orig, n, 0), (ssize_t)n);
    assert_int_equal(pwrite(fd, "\0", 1, (off_t)n), 1);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(kt_verify_fd(fd, &o, &res), -1);
    assert_non_null(strstr(res.err.msg, "trailing"));
    kt_verify_result_free(&res);
    close(fd);
    free(orig);
    free(ev);
    free(out);
}

static void every_byte_modification_rejected(void **state)
{
    flip_every_byte(state, UINT64_MAX);
}

static void every_byte_modification_rejected_deferred(void **state)
{
    flip_every_byte(state, 1);
}

static void pinned_keys_only(void **state)
{
    fx *f = *state;
    char *ev = path_in(f, "ev"), *out = path_in(f, "b.tar");
    make_evidence(ev);
    kt_err err;
    assert_int_equal(create(f, ev, out, 0, &err), 0);
    kt_verify_result res;
    assert_int_equal(verify_path(&f->other, 1, out, &res), KT_VERDICT_REJECT);
    assert_int_equal(res.err.cls, KT_E_AUTH);
    assert_non_null(strstr(res.err.msg, "any pinned key"));
    kt_verify_result_free(&res);
    kt_pubkey both[2] = {f->other, f->pub};
    assert_int_equal(verify_path(both, 2, out, &res), KT_VERDICT_AUTHENTIC);
    assert_int_equal(res.key_index, 1);
    kt_verify_result_free(&res);
    /* The keyid naming the pinned key does not make another key's signature good. */
    kt_pubkey liar = f->other;
    memcpy(liar.keyid, f->pub.keyid, sizeof liar.keyid);
    assert_int_equal(verify_path(&liar, 1, out, &res), KT_VERDICT_REJECT);
    assert_non_null(strstr(res.err.msg, "does not verify with pinned key"));
    kt_verify_result_free(&res);
    free(ev);
    free(out);
}

static void create_errors(void **state)
{
    fx *f = *state;
    kt_err err;
    char *out = path_in(f, "b.tar");
    char *missing = path_in(f, "nope");
    assert_int_equal(create(f, missing, out, 0, &err), -1);
    assert_int_equal(err.cls, KT_E_NOINPUT);
    assert_non_null(strstr(err.msg, missing));

    char *empty = path_in(f, "empty");
    mkdir(empty, 0755);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/only-a-dir", empty);
    mkdir(sub, 0755);
    assert_int_equal(create(f, empty, out, 0, &err), -1);
    assert_int_equal(err.cls, KT_E_DATA);
    assert_non_null(strstr(err.msg, "no files"));

    char *ev = path_in(f, "ev");
    make_evidence(ev);
    char link[4200];
    snprintf(link, sizeof link, "%s/runs/link", ev);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_int_equal(create(f, ev, out, 0, &err), -1);
    assert_non_null(strstr(err.msg, "runs/link is a symbolic link"));
    unlink(link);
    assert_int_equal(mkfifo(link, 0644), 0);
    assert_int_equal(create(f, ev, out, 0, &err), -1);
    assert_non_null(strstr(err.msg, "runs/link is a FIFO"));
    unlink(link);

    char *noout = path_in(f, "no/such/dir/b.tar");
    assert_int_equal(create(f, ev, noout, 0, &err), -1);
    assert_int_equal(err.cls, KT_E_CANTCREAT);
    /* No failed create left anything under the output name. */
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(create(f, ev, out, 0, &err), 0);
    free(out), free(missing), free(empty), free(ev), free(noout);
}

static void source_date_epoch_parsing(void **state)
{
    (void)state;
    uint64_t v;
    kt_err err;
    assert_int_equal(kt_parse_source_date_epoch(NULL, &v, &err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(kt_parse_source_date_epoch("1700000000", &v, &err), 0);
    assert_int_equal(v, 1700000000);
    assert_int_equal(kt_parse_source_date_epoch("8589934591", &v, &err), 0);
    static const char *bad[] = {
        "-1", "+5", "01", "1e9", "12 ", " 12", "8589934592", "0x10", "99999999999999999999", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_parse_source_date_epoch(bad[i], &v, &err) == 0) fail_msg("accepted %s", bad[i]);
}

/* --- validly signed bundles whose contents are wrong ------------------- */

typedef struct forged {
    const char *manifest; /* NULL: the honest one */
    const char *payload_type;
    int urlsafe; /* re-encode the envelope with URL-safe base64 */
    int two_sigs;
    const char *expect;
} forged;

static const char EV_DIGEST[] = "bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4";

static void write_forged(const fx *f, const char *out, const forged *c)
{
    kt_err err;
    kt_tarw *w;
    assert_int_equal(kt_tarw_open(&w, out, 0, &err), 0);
    tu_writes(f->dir, "ev.txt", "evidence\n");
    char src[4096];
    snprintf(src, sizeof src, "%s/ev.txt", f->dir);
    int fd = open(src, O_RDONLY);
    uint8_t dig[32];
    assert_int_equal(kt_tarw_add_fd(w, "evidence/ev.txt", fd, 9, src, dig, NULL, &err), 0);
    close(fd);
    char hex[65];
    kt_hex(dig, 32, hex);
    assert_string_equal(hex, EV_DIGEST);
    const char *m = c->manifest;
    const char *type = c->payload_type ? c->payload_type : KT_DSSE_INTOTO_TYPE;
    kt_buf pae, env;
    kt_buf_init(&pae, 0);
    kt_buf_init(&env, 0);
    assert_int_equal(kt_dsse_pae(type, (const uint8_t *)m, strlen(m), &pae, &err), 0);
    uint8_t sig[64];
    assert_int_equal(kt_sign(f->key, (const uint8_t *)pae.data, pae.len, sig, &err), 0);
    kt_dsse_sigref ref = {f->pub.keyid, sig, sizeof sig};
    assert_int_equal(kt_dsse_emit(type, (const uint8_t *)m, strlen(m), &ref, 1, &env, &err), 0);
    if (c->urlsafe) {
        /* Unpadded base64 for the signature (64 bytes end in "=="), which a
         * DSSE parser accepts but the canonical form does not. */
        char *pad = strstr(env.data, "==\"}]}");
        assert_non_null(pad);
        memmove(pad, pad + 2, strlen(pad + 2) + 1);
        env.len -= 2;
    }
    if (c->two_sigs) {
        char *p = strstr(env.data, "}]}");
        char *s = strstr(env.data, "{\"keyid\"");
        size_t slen = (size_t)(p + 1 - s);
        kt_buf b2;
        kt_buf_init(&b2, 0);
        kt_buf_append(&b2, env.data, (size_t)(p + 1 - env.data), &err);
        kt_buf_puts(&b2, ",", &err);
        kt_buf_append(&b2, s, slen, &err);
        kt_buf_puts(&b2, "]}\n", &err);
        kt_buf_free(&env);
        env = b2;
    }
    assert_int_equal(kt_tarw_add_mem(w, KT_ENVELOPE_NAME, env.data, env.len, &err), 0);
    assert_int_equal(kt_tarw_add_mem(w, KT_MANIFEST_NAME, m, strlen(m), &err), 0);
    assert_int_equal(kt_tarw_commit(w, &err), 0);
    kt_buf_free(&pae);
    kt_buf_free(&env);
}

#define PRED "\"predicate\":{\"created\":\"1970-01-01T00:00:00Z\",\"sourceDateEpoch\":0}"
#define PTYPE "\"predicateType\":\"" KT_PREDICATE_TYPE "\""
#define TYPE "{\"_type\":\"https://in-toto.io/Statement/v1\","
#define SUBJ(d) "\"subject\":[{\"digest\":{\"sha256\":\"" d "\"},\"name\":\"evidence/ev.txt\"}]"

static void signed_but_wrong(void **state)
{
    fx *f = *state;
    static const char good[] = TYPE PRED
        "," PTYPE
        "," SUBJ("bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4") "}\n";
    const forged cases[] = {
        {good, NULL, 0, 0, NULL},
        {TYPE PRED "," PTYPE "," SUBJ(
             "bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de5") "}\n",
         NULL, 0, 0, "does not match its sha256"},
        {TYPE PRED "," PTYPE "," SUBJ(
             "BDCF4C994585AF6DD6CB1CFBFF78BCC73AB27DC30A299DB5BB83766CA05B5DE4") "}\n",
         NULL, 0, 0, "lowercase hex"},
        {TYPE PRED "," PTYPE ",\"subject\":[]}\n", NULL, 0, 0, "has no subject"},
        {TYPE PRED
         "," PTYPE
         ",\"subject\":[{\"digest\":{\"sha512\":\"00\"},\"name\":\"evidence/ev.txt\"}]}\n",
         NULL, 0, 0, "only unknown algorithms"},
        {TYPE PRED
         "," PTYPE ","
         "\"subject\":[{\"digest\":{\"sha256\":"
         "\"bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4\"},\"name\":"
         "\"evidence/ev.txt\"},{\"digest\":{\"sha256\":\"00\"},\"name\":\"evidence/zz\"}]}\n",
         NULL, 0, 0, "names no member"},
        {TYPE PRED ",\"predicateType\":\"x\"," SUBJ(
             "bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4") "}\n",
         NULL, 0, 0, "predicateType"},
        {"{\"_type\":\"https://in-toto.io/Statement/v0.1\"," PRED "," PTYPE
         "," SUBJ("bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4") "}\n",
         NULL, 0, 0, "Statement v1"},
        {TYPE "\"predicate\":{\"created\":\"1970-01-01T00:00:01Z\",\"sourceDateEpoch\":1}," PTYPE
              "," SUBJ("bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4") "}\n",
         NULL, 0, 0, "creation time"},
        {TYPE " " PRED "," PTYPE
              "," SUBJ("bdcf4c994585af6dd6cb1cfbff78bcc73ab27dc30a299db5bb83766ca05b5de4") "}\n",
         NULL, 0, 0, "canonical"},
        {good, "application/json", 0, 0, "payloadType"},
        {good, NULL, 1, 0, "canonical"},
        {good, NULL, 0, 1, "two signatures by key"},
    };
    char *out = path_in(f, "forged.tar");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_forged(f, out, &cases[i]);
        kt_verify_result res;
        enum kt_verdict v = verify_path(&f->pub, 1, out, &res);
        if (!cases[i].expect) {
            if (v != KT_VERDICT_AUTHENTIC)
                fail_msg("case %zu: honest bundle rejected: %s", i, res.err.msg);
        } else if (v != KT_VERDICT_REJECT || !strstr(res.err.msg, cases[i].expect)) {
            fail_msg("case %zu: want \"%s\", got verdict %d: %s", i, cases[i].expect, v,
                     res.err.msg);
        }
        kt_verify_result_free(&res);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(roundtrip_and_libarchive, setup, teardown),
        cmocka_unit_test_setup_teardown(reproducible, setup, teardown),
        cmocka_unit_test_setup_teardown(every_byte_modification_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(every_byte_modification_rejected_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(pinned_keys_only, setup, teardown),
        cmocka_unit_test_setup_teardown(create_errors, setup, teardown),
        cmocka_unit_test(source_date_epoch_parsing),
        cmocka_unit_test_setup_teardown(signed_but_wrong, setup, teardown),
    };
    return cmocka_run_group_tests_name("bundle", tests, NULL, NULL);
}
