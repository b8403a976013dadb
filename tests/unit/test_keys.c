#include "testutil.h"

#include "../../core/sha256.h"
#include "../../keys/keys.h"

#include <errno.h>

/* Computed independently with openssl 3:
 *   printf kiemthu | openssl pkeyutl -sign -inkey test-ed25519.key -rawin | xxd -p
 *   openssl pkey -pubin -in test-ed25519.pub -outform DER | sha256sum */
#define GOLDEN_SIG                                                                                 \
    "ef14c58b53f87c8cd65b2d4cd687a5463010e924317bde3cfd33724b1efa183d18978e407335669c2c5aed930"    \
    "7bee9a4c921eb7db1783382456b2718df4d2404"
#define GOLDEN_KEYID "43ced1ebb66267bb54b004c4568dd1f1bac6290d1bf88a8d5bbeb2c8b64c3a4c"

static int setup(void **state)
{
    kt_err err;
    assert_int_equal(kt_keys_init(&err), 0);
    *state = tu_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    tu_rmrf(*state);
    return 0;
}

static void keygen_modes_and_excl(void **state)
{
    char *dir = *state, prefix[4096], path[4200];
    snprintf(prefix, sizeof prefix, "%s/ci", dir);
    kt_pubkey pub, pub2;
    kt_err err;
    assert_int_equal(kt_keygen_write(prefix, &pub, &err), 0);
    struct stat st;
    snprintf(path, sizeof path, "%s.key", prefix);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t n1, n2;
    uint8_t *before = tu_slurp(path, &n1);
    /* A second keygen with the same prefix is refused and changes nothing. */
    assert_int_equal(kt_keygen_write(prefix, &pub2, &err), -1);
    assert_int_equal(err.cls, KT_E_CANTCREAT);
    assert_non_null(strstr(err.msg, "refusing to overwrite"));
    uint8_t *after = tu_slurp(path, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);
    free(before);
    free(after);
    /* The pair loads back and the public halves agree. */
    kt_seckey *sk;
    kt_pubkey fromfile, derived;
    assert_int_equal(kt_seckey_load(path, &sk, &err), 0);
    kt_seckey_public(sk, &derived);
    snprintf(path, sizeof path, "%s.pub", prefix);
    assert_int_equal(kt_pubkey_load(path, &fromfile, &err), 0);
    assert_memory_equal(derived.pk, fromfile.pk, 32);
    assert_string_equal(derived.keyid, pub.keyid);
    kt_seckey_free(sk);
}

static void keygen_only_pub_exists(void **state)
{
    char *dir = *state, prefix[4096], path[4200];
    snprintf(prefix, sizeof prefix, "%s/half", dir);
    snprintf(path, sizeof path, "%s.pub", prefix);
    tu_writes(dir, "half.pub", "x");
    kt_pubkey pub;
    kt_err err;
    assert_int_equal(kt_keygen_write(prefix, &pub, &err), -1);
    snprintf(path, sizeof path, "%s.key", prefix);
    assert_int_equal(access(path, F_OK), -1); /* no secret key left behind */
}

/* Ed25519 is deterministic: the committed openssl key gives a golden signature. */
static void golden_signature_and_keyid(void **state)
{
    char *key = tu_key_copy(*state, "test-ed25519.key", "g.key");
    char *pubpath = tu_fixture("fixtures/keys/test-ed25519.pub");
    kt_seckey *sk;
    kt_pubkey pub;
    kt_err err;
    assert_int_equal(kt_seckey_load(key, &sk, &err), 0);
    assert_int_equal(kt_pubkey_load(pubpath, &pub, &err), 0);
    uint8_t sig[64];
    assert_int_equal(kt_sign(sk, (const uint8_t *)"kiemthu", 7, sig, &err), 0);
    char hex[129];
    kt_hex(sig, 64, hex);
    assert_string_equal(hex, GOLDEN_SIG);
    assert_string_equal(pub.keyid, GOLDEN_KEYID);
    assert_int_equal(kt_verify_sig(&pub, (const uint8_t *)"kiemthu", 7, sig, 64), 0);
    /* forgeries */
    sig[10] ^= 1;
    assert_int_equal(kt_verify_sig(&pub, (const uint8_t *)"kiemthu", 7, sig, 64), -1);
    sig[10] ^= 1;
    assert_int_equal(kt_verify_sig(&pub, (const uint8_t *)"kiemthv", 7, sig, 64), -1);
    assert_int_equal(kt_verify_sig(&pub, (const uint8_t *)"kiemthu", 7, sig, 63), -1);
    kt_pubkey other;
    char *otherpath = tu_fixture("fixtures/keys/test-other.pub");
    assert_int_equal(kt_pubkey_load(otherpath, &other, &err), 0);
    assert_int_equal(kt_verify_sig(&other, (const uint8_t *)"kiemthu", 7, sig, 64), -1);
    kt_seckey_free(sk);
    free(key);
    free(pubpath);
    free(otherpath);
}

static void secret_key_refusals(void **state)
{
    char *dir = *state;
    kt_seckey *sk = NULL;
    kt_err err;
    char *key = tu_key_copy(dir, "test-ed25519.key", "open.key");
    chmod(key, 0640);
    assert_int_equal(kt_seckey_load(key, &sk, &err), -1);
    assert_non_null(strstr(err.msg, "chmod 600"));
    chmod(key, 0600);
    char link[4200];
    snprintf(link, sizeof link, "%s/link.key", dir);
    assert_int_equal(symlink(key, link), 0);
    assert_int_equal(kt_seckey_load(link, &sk, &err), -1);
    assert_non_null(strstr(err.msg, "symbolic link"));
    snprintf(link, sizeof link, "%s/missing.key", dir);
    assert_int_equal(kt_seckey_load(link, &sk, &err), -1);
    assert_int_equal(err.cls, KT_E_NOINPUT);
    free(key);

    key = tu_key_copy(dir, "test-ec.key", "ec.key");
    assert_int_equal(kt_seckey_load(key, &sk, &err), -1);
    assert_non_null(strstr(err.msg, "not an Ed25519 key"));
    free(key);

    static const struct {
        const char *text, *expect;
    } bad[] = {
        {"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILFJxn2hbiTzl!!!\n-----END PRIVATE "
         "KEY-----\n",
         "base64"},
        {"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILFJxn2hbiTzlMOYoeJGIXgPgV+tX4Y/"
         "pe8efznzYR2A\n",
         "END"},
        {"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
         "encrypted"},
        {"hello", "no PEM"},
        {"-----BEGIN PRIVATE KEY-----\nMCwCAQAwBQYDK2VwBCIEILFJxn2hbiTzlMOYoeJGIXgPgV+tX4Y/"
         "pe8efznzYR2A\n-----END PRIVATE KEY-----\n",
         "PKCS#8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kt_seckey_from_pem(bad[i].text, strlen(bad[i].text), "k", &sk, &err), -1);
        if (!strstr(err.msg, bad[i].expect)) fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(err.cls, KT_E_DATA);
    }
}

static void public_key_refusals(void **state)
{
    (void)state;
    kt_pubkey pub;
    kt_err err;
    char *rsa = tu_fixture("fixtures/keys/test-rsa.pub");
    assert_int_equal(kt_pubkey_load(rsa, &pub, &err), -1);
    assert_non_null(strstr(err.msg, "wrong key type"));
    free(rsa);
    char *sec = tu_fixture("fixtures/keys/test-ed25519.key");
    assert_int_equal(kt_pubkey_load(sec, &pub, &err), -1);
    assert_non_null(strstr(err.msg, "secret key"));
    free(sec);
}

/* A public key where the secret one belongs is named as such before its
 * mode is looked at; key ids of either half are the same (issue 15 item 6). */
static void public_key_as_secret_and_keyid(void **state)
{
    char *dir = *state;
    kt_seckey *sk = NULL;
    kt_err err;
    char *pub = tu_key_copy(dir, "test-ed25519.pub", "ci.pub");
    chmod(pub, 0644);
    assert_int_equal(kt_seckey_load(pub, &sk, &err), -1);
    assert_non_null(strstr(err.msg, "is a public key"));
    assert_null(strstr(err.msg, "chmod"));
    assert_int_equal(err.cls, KT_E_DATA);
    char id[KT_KEYID_HEX];
    int secret = -1;
    assert_int_equal(kt_key_id_load(pub, id, &secret, &err), 0);
    assert_string_equal(id, GOLDEN_KEYID);
    assert_int_equal(secret, 0);
    char *key = tu_key_copy(dir, "test-ed25519.key", "ci.key");
    assert_int_equal(kt_key_id_load(key, id, &secret, &err), 0);
    assert_string_equal(id, GOLDEN_KEYID);
    assert_int_equal(secret, 1);
    chmod(key, 0604);
    memset(id, 0, sizeof id);
    assert_int_equal(kt_key_id_load(key, id, &secret, &err), -1);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_string_equal(id, "");
    free(pub);
    free(key);
}

static void env_key_is_wiped(void **state)
{
    char *key = tu_key_copy(*state, "test-ed25519.key", "e.key");
    size_t n;
    uint8_t *pem = tu_slurp(key, &n);
    setenv(KT_KEY_ENV, (char *)pem, 1);
    char *inenv = getenv(KT_KEY_ENV);
    kt_seckey *sk;
    kt_err err;
    assert_int_equal(kt_seckey_load_env(&sk, &err), 0);
    assert_null(getenv(KT_KEY_ENV));
    for (size_t i = 0; i < n; i++) assert_int_equal(inenv[i], 0); /* wiped in place */
    kt_pubkey pub;
    kt_seckey_public(sk, &pub);
    assert_string_equal(pub.keyid, GOLDEN_KEYID);
    kt_seckey_free(sk);
    assert_int_equal(kt_seckey_load_env(&sk, &err), -1);
    assert_int_equal(err.cls, KT_E_NOINPUT);
    free(pem);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(keygen_modes_and_excl, setup, teardown),
        cmocka_unit_test_setup_teardown(keygen_only_pub_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(golden_signature_and_keyid, setup, teardown),
        cmocka_unit_test_setup_teardown(public_key_as_secret_and_keyid, setup, teardown),
        cmocka_unit_test_setup_teardown(secret_key_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(public_key_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(env_key_is_wiped, setup, teardown),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
