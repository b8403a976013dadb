/* Time-stamp tokens and several signatures (issue 14), on a committed fixture
 * (fixtures/golden/stamped.tar: two signatures, a token from a test TSA whose
 * CA is fixtures/golden/stamped-tsa-ca.crt; tests/helpers/make-stamped-fixture.sh).
 * Every byte of the token and of the envelope, changed, is refused. */
#include "testutil.h"

#include "../../core/layout.h"
#include "../../verify/verify.h"

#include <sys/mman.h>
#include <time.h>

static kt_trust trust;

static int setup(void **state)
{
    (void)state;
    kt_err err;
    assert_int_equal(kt_keys_init(&err), 0);
    memset(&trust, 0, sizeof trust);
    char *p = tu_fixture("fixtures/keys/test-ed25519.pub");
    assert_int_equal(kt_trust_add_keyfile(&trust, p, &err), 0);
    free(p);
    p = tu_fixture("fixtures/keys/test-other.pub");
    assert_int_equal(kt_trust_add_keyfile(&trust, p, &err), 0);
    free(p);
    p = tu_fixture("fixtures/golden/stamped-tsa-ca.crt");
    assert_int_equal(kt_trust_add_tsa_file(&trust, p, &err), 0);
    free(p);
    assert_int_equal(kt_tsa_preload(&err), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_trust_free(&trust);
    return 0;
}

static int load(uint8_t **bytes, size_t *n)
{
    char *p = tu_fixture("fixtures/golden/stamped.tar");
    *bytes = tu_slurp(p, n);
    free(p);
    int fd = memfd_create("stamped", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, *bytes, *n), (ssize_t)*n);
    return fd;
}

static enum kt_verdict verify(int fd, unsigned threshold, kt_verify_result *res)
{
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    kt_verify_opts o = {.trust = &trust,
                        .threshold = threshold,
                        .now = time(NULL),
                        .max_total = KT_MAX_TOTAL_DEFAULT,
                        .read_buffer = 16384};
    kt_verify_fd(fd, &o, res);
    return res->verdict;
}

/* Where a member's data starts in an archive of short names. */
static size_t data_of(const uint8_t *b, size_t n, const char *name, size_t *len)
{
    for (size_t off = 0; off + 512 <= n;) {
        if (!b[off]) break;
        size_t size = strtoul((const char *)b + off + 124, NULL, 8);
        if (!strcmp((const char *)b + off, name)) {
            *len = size;
            return off + 512;
        }
        off += 512 + (size + 511) / 512 * 512;
    }
    fail_msg("no member %s", name);
    return 0;
}

static void verifies(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n;
    int fd = load(&b, &n);
    kt_verify_result res;
    assert_int_equal(verify(fd, 2, &res), KT_VERDICT_AUTHENTIC); /* no policy */
    assert_int_equal(res.timestamp, 2);
    assert_int_equal(res.counted, 2);
    assert_int_equal(res.ref_time, res.tsa.gen_time);
    assert_true(res.tsa.gen_time > 1700000000);
    assert_non_null(strstr(res.tsa.tsa, "kiemthu fixture TSA"));
    kt_verify_result_free(&res);
    close(fd);
    free(b);
}

/* Four changes of every byte of the token, one of every byte of the envelope. */
static void every_token_and_envelope_byte(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n, tlen, elen;
    int fd = load(&b, &n);
    size_t t0 = data_of(b, n, KT_TIMESTAMP_NAME, &tlen);
    size_t e0 = data_of(b, n, KT_ENVELOPE_NAME, &elen);
    size_t tried = 0;
    kt_verify_result res;
    for (size_t i = e0; i < t0 + tlen; i++) {
        int in_token = i >= t0;
        if (!in_token && i >= e0 + elen) i = t0 - 1; /* skip manifest.json: covered elsewhere */
        if (!in_token && i == t0 - 1) continue;
        uint8_t vals[4] = {(uint8_t)(b[i] ^ 0x01), (uint8_t)(b[i] ^ 0x80), (uint8_t)(b[i] ^ 0xff),
                           b[i] ? 0 : '0'};
        for (int k = 0; k < (in_token ? 4 : 1); k++) {
            assert_int_equal(pwrite(fd, &vals[k], 1, (off_t)i), 1);
            enum kt_verdict v = verify(fd, 2, &res);
            if (v != KT_VERDICT_REJECT && v != KT_VERDICT_UNCHECKED)
                fail_msg("byte %zu (%s) 0x%02x -> 0x%02x accepted", i,
                         in_token ? "token" : "envelope", b[i], vals[k]);
            kt_verify_result_free(&res);
            tried++;
        }
        assert_int_equal(pwrite(fd, &b[i], 1, (off_t)i), 1);
    }
    print_message("%zu changes of the token and envelope, all refused\n", tried);
    close(fd);
    free(b);
}

/* A signature by a key the auditor did not pin is reported, not checked: its
 * bytes prove nothing either way (docs/FORMAT.md §4) -- unless a verified
 * time-stamp token covers the envelope, whose imprint then fixes every byte. */
static void unpinned_signature_not_checked(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n, elen;
    int fd = load(&b, &n);
    size_t e0 = data_of(b, n, KT_ENVELOPE_NAME, &elen);
    /* the first signature (sorted by keyid) is test-other's: change a base64 letter of it */
    char *env = (char *)b + e0;
    char *sig = strstr(env, "\"sig\":\"") + 7;
    size_t at = (size_t)(sig - (char *)b) + 10;
    uint8_t was = b[at], now = was == 'A' ? 'B' : 'A';
    assert_int_equal(pwrite(fd, &now, 1, (off_t)at), 1);
    kt_trust only_a = trust;
    only_a.nkeys = 1;  /* test-ed25519 only */
    only_a.tsa = NULL; /* and no TSA pinned: the token is only read */
    kt_verify_opts o = {.trust = &only_a, .now = time(NULL), .max_total = KT_MAX_TOTAL_DEFAULT};
    kt_verify_result res;
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    kt_verify_fd(fd, &o, &res);
    if (res.verdict != KT_VERDICT_AUTHENTIC) fail_msg("with one key pinned: %s", res.err.msg);
    assert_int_equal(res.signers[0].status, KT_SIG_UNPINNED);
    kt_verify_result_free(&res);
    assert_int_equal(verify(fd, 2, &res), KT_VERDICT_REJECT); /* pinned: checked */
    assert_non_null(strstr(res.err.msg, "imprint mismatch")); /* the token saw the change first */
    kt_verify_result_free(&res);
    close(fd);
    free(b);
}

static void rfc3339(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(kt_parse_rfc3339("2024-06-10T06:13:20Z", &t), 0);
    assert_int_equal(t, 1718000000);
    static const char *bad[] = {"2024-06-10",
                                "2024-06-10T06:13:20",
                                "2024-06-10T06:13:20+00:00",
                                "2024-02-30T00:00:00Z",
                                "2024-06-10T06:13:20.5Z",
                                "x",
                                ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_parse_rfc3339(bad[i], &t) == 0) fail_msg("accepted %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verifies),
        cmocka_unit_test(every_token_and_envelope_byte),
        cmocka_unit_test(unpinned_signature_not_checked),
        cmocka_unit_test(rfc3339),
    };
    return cmocka_run_group_tests_name("tsa", tests, setup, teardown);
}
