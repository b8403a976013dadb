#include "keys.h"

#include "../core/fsutil.h"
#include "../core/sha256.h"
#include "pem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_FILE_MAX 4096

struct kt_seckey {
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

int kt_keys_init(kt_err *err)
{
    if (sodium_init() < 0) return kt_fail(err, KT_E_INTERNAL, "libsodium failed to initialise");
    return 0;
}

static void keyid_of(const uint8_t pk[KT_PK_LEN], char out[KT_KEYID_HEX])
{
    uint8_t der[KT_SPKI_LEN], h[KT_SHA256_LEN];
    memcpy(der, kt_spki_prefix, sizeof kt_spki_prefix);
    memcpy(der + sizeof kt_spki_prefix, pk, KT_PK_LEN);
    kt_sha256(der, sizeof der, h);
    kt_hex(h, sizeof h, out);
}

static kt_seckey *seckey_alloc(kt_err *err)
{
    kt_seckey *k = sodium_malloc(sizeof *k);
    if (!k) kt_fail(err, KT_E_NOMEM, "cannot allocate secure memory for the secret key");
    return k;
}

void kt_seckey_free(kt_seckey *k)
{
    if (k) sodium_free(k); /* sodium_free wipes before unmapping */
}

int kt_seckey_generate(kt_seckey **out, kt_err *err)
{
    kt_seckey *k = seckey_alloc(err);
    if (!k) return -1;
    crypto_sign_keypair(k->pk, k->sk);
    *out = k;
    return 0;
}

static int has_ed25519_oid(const uint8_t *der, size_t n)
{
    static const uint8_t oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    for (size_t i = 0; i + sizeof oid <= n; i++)
        if (memcmp(der + i, oid, sizeof oid) == 0) return 1;
    return 0;
}

/* What a PEM file holds, from its first BEGIN line: told before anything
 * else, so that a public key passed where the secret one belongs is named
 * as such (and not first asked to be chmod 600). */
enum pem_kind { PEM_OTHER, PEM_PUBLIC, PEM_PRIVATE };

static enum pem_kind pem_kind(const char *pem, size_t n)
{
    static const char begin[] = "-----BEGIN ";
    for (size_t i = 0; i + sizeof begin - 1 <= n; i++) {
        if (memcmp(pem + i, begin, sizeof begin - 1)) continue;
        const char *l = pem + i + sizeof begin - 1;
        size_t left = n - i - (sizeof begin - 1);
        if (left >= 16 && !memcmp(l, "PUBLIC KEY-----", 15)) return PEM_PUBLIC;
        if (left >= 17 && !memcmp(l, "PRIVATE KEY-----", 16)) return PEM_PRIVATE;
        return PEM_OTHER;
    }
    return PEM_OTHER;
}

int kt_seckey_from_pem(const char *pem, size_t n, const char *what, kt_seckey **out, kt_err *err)
{
    uint8_t *der = sodium_malloc(256);
    if (!der) return kt_fail(err, KT_E_NOMEM, "cannot allocate secure memory");
    size_t len = 0;
    int rc = -1;
    kt_seckey *k = NULL;
    if (pem_kind(pem, n) == PEM_PUBLIC) {
        kt_fail(err, KT_E_DATA,
                "%s is a public key (BEGIN PUBLIC KEY); signing needs the secret key "
                "(BEGIN PRIVATE KEY), e.g. ci.key, not ci.pub",
                what);
        goto out;
    }
    if (kt_pem_decode(pem, n, "PRIVATE KEY", der, 256, &len, what, err) < 0) goto out;
    if (len != KT_PKCS8_LEN || memcmp(der, kt_pkcs8_prefix, sizeof kt_pkcs8_prefix) != 0) {
        if (!has_ed25519_oid(der, len))
            kt_fail(err, KT_E_DATA, "%s: not an Ed25519 key (wrong key type)", what);
        else
            kt_fail(err, KT_E_DATA,
                    "%s: unsupported Ed25519 PKCS#8 encoding (expected the "
                    "48-byte form openssl genpkey writes)",
                    what);
        goto out;
    }
    if (!(k = seckey_alloc(err))) goto out;
    crypto_sign_seed_keypair(k->pk, k->sk, der + sizeof kt_pkcs8_prefix);
    *out = k;
    rc = 0;
out:
    sodium_free(der);
    return rc;
}

/* Read a key file into secure memory: no symlink, a regular file of at most
 * SECRET_FILE_MAX bytes. *mode gets its permission bits. */
static int read_key_file(const char *what, const char *path, char **out, size_t *len, mode_t *mode,
                         kt_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP)
            return kt_fail(err, KT_E_DATA, "%s %s is a symbolic link; refusing", what, path);
        return kt_fail_errno(err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno,
                             "cannot open %s %s", what, path);
    }
    struct stat st;
    char *buf = NULL;
    int rc = -1;
    if (fstat(fd, &st) < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "cannot stat %s", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        kt_fail(err, KT_E_DATA, "%s %s is not a regular file", what, path);
        goto out;
    }
    if (st.st_size > SECRET_FILE_MAX) {
        kt_fail(err, KT_E_DATA, "%s %s is larger than %d bytes", what, path, SECRET_FILE_MAX);
        goto out;
    }
    if (!(buf = sodium_malloc(SECRET_FILE_MAX + 1))) {
        kt_fail(err, KT_E_NOMEM, "cannot allocate secure memory");
        goto out;
    }
    ssize_t n = kt_read_full(fd, buf, SECRET_FILE_MAX + 1);
    if (n < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "cannot read %s", path);
        goto out;
    }
    if (n > SECRET_FILE_MAX) {
        kt_fail(err, KT_E_DATA, "%s %s is larger than %d bytes", what, path, SECRET_FILE_MAX);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = (size_t)n;
    *mode = st.st_mode & 07777;
    buf = NULL;
    rc = 0;
out:
    if (buf) sodium_free(buf);
    close(fd);
    return rc;
}

static int check_secret_mode(const char *path, mode_t mode, kt_err *err)
{
    if (mode & 077)
        return kt_fail(err, KT_E_DATA,
                       "secret key %s is accessible by group or others (mode %04o); "
                       "run: chmod 600 %s",
                       path, (unsigned)mode, path);
    return 0;
}

int kt_seckey_load(const char *path, kt_seckey **out, kt_err *err)
{
    char *buf;
    size_t n;
    mode_t mode;
    if (read_key_file("secret key", path, &buf, &n, &mode, err) < 0) return -1;
    int rc = -1;
    /* the type first: a public key is named as such, not asked to be chmod 600 */
    if (pem_kind(buf, n) == PEM_PUBLIC || check_secret_mode(path, mode, err) == 0)
        rc = kt_seckey_from_pem(buf, n, path, out, err);
    sodium_free(buf);
    return rc;
}

int kt_key_id_load(const char *path, char out[KT_KEYID_HEX], int *secret, kt_err *err)
{
    char *buf;
    size_t n;
    mode_t mode;
    if (read_key_file("key", path, &buf, &n, &mode, err) < 0) return -1;
    kt_pubkey pub;
    kt_seckey *k = NULL;
    int rc = -1;
    *secret = pem_kind(buf, n) == PEM_PRIVATE;
    if (!*secret)
        rc = kt_pubkey_from_pem(buf, n, path, &pub, err);
    else if (check_secret_mode(path, mode, err) == 0 &&
             (rc = kt_seckey_from_pem(buf, n, path, &k, err)) == 0)
        kt_seckey_public(k, &pub);
    kt_seckey_free(k);
    sodium_free(buf);
    if (rc == 0) memcpy(out, pub.keyid, KT_KEYID_HEX);
    return rc;
}

int kt_seckey_load_env(kt_seckey **out, kt_err *err)
{
    char *v = getenv(KT_KEY_ENV);
    if (!v || !*v) return kt_fail(err, KT_E_NOINPUT, "%s is not set", KT_KEY_ENV);
    size_t n = strlen(v);
    if (n > SECRET_FILE_MAX)
        return kt_fail(err, KT_E_DATA, "%s is longer than %d bytes", KT_KEY_ENV, SECRET_FILE_MAX);
    char *buf = sodium_malloc(n + 1);
    if (!buf) return kt_fail(err, KT_E_NOMEM, "cannot allocate secure memory");
    memcpy(buf, v, n);
    /* The environment copy lives in ordinary memory: wipe it and drop it so
     * that neither a child process nor a core dump sees the key. */
    sodium_memzero(v, n);
    unsetenv(KT_KEY_ENV);
    int rc = kt_seckey_from_pem(buf, n, "$" KT_KEY_ENV, out, err);
    sodium_free(buf);
    return rc;
}

void kt_seckey_public(const kt_seckey *k, kt_pubkey *out)
{
    memcpy(out->pk, k->pk, KT_PK_LEN);
    keyid_of(out->pk, out->keyid);
}

int kt_sign(const kt_seckey *k, const uint8_t *msg, size_t n, uint8_t sig[KT_SIG_LEN], kt_err *err)
{
    if (crypto_sign_detached(sig, NULL, msg, n, k->sk) != 0)
        return kt_fail(err, KT_E_INTERNAL, "Ed25519 signing failed");
    return 0;
}

int kt_pubkey_from_pem(const char *pem, size_t n, const char *what, kt_pubkey *out, kt_err *err)
{
    uint8_t der[2048]; /* room for other key types, so the error can name them */
    size_t len = 0;
    if (strstr(pem, "PRIVATE KEY-----"))
        return kt_fail(err, KT_E_DATA, "%s is a secret key; pass the public key (.pub) instead",
                       what);
    if (kt_pem_decode(pem, n, "PUBLIC KEY", der, sizeof der, &len, what, err) < 0) return -1;
    if (len != KT_SPKI_LEN || memcmp(der, kt_spki_prefix, sizeof kt_spki_prefix) != 0) {
        if (!has_ed25519_oid(der, len))
            return kt_fail(err, KT_E_DATA, "%s: not an Ed25519 public key (wrong key type)", what);
        return kt_fail(err, KT_E_DATA, "%s: malformed Ed25519 SubjectPublicKeyInfo", what);
    }
    memcpy(out->pk, der + sizeof kt_spki_prefix, KT_PK_LEN);
    keyid_of(out->pk, out->keyid);
    return 0;
}

int kt_pubkey_load(const char *path, kt_pubkey *out, kt_err *err)
{
    char *buf = NULL;
    size_t n = 0;
    if (kt_read_file(path, SECRET_FILE_MAX, &buf, &n, err) < 0) return -1;
    int rc = kt_pubkey_from_pem(buf, n, path, out, err);
    free(buf);
    return rc;
}

int kt_verify_sig(const kt_pubkey *pk, const uint8_t *msg, size_t n, const uint8_t *sig,
                  size_t sig_len)
{
    if (sig_len != KT_SIG_LEN) return -1;
    return crypto_sign_verify_detached(sig, msg, n, pk->pk) == 0 ? 0 : -1;
}

static int write_new(const char *path, mode_t mode, const char *text, kt_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return kt_fail(err, KT_E_CANTCREAT, "%s already exists; refusing to overwrite", path);
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", path);
    }
    if (kt_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return kt_fail_errno(err, KT_E_IO, e, "cannot write %s", path);
    }
    if (close(fd) < 0) {
        int e = errno;
        unlink(path);
        return kt_fail_errno(err, KT_E_IO, e, "cannot write %s", path);
    }
    return 0;
}

int kt_keygen_write(const char *prefix, kt_pubkey *pub_out, kt_err *err)
{
    char keypath[4096], pubpath[4096];
    if (snprintf(keypath, sizeof keypath, "%s.key", prefix) >= (int)sizeof keypath ||
        snprintf(pubpath, sizeof pubpath, "%s.pub", prefix) >= (int)sizeof pubpath)
        return kt_fail(err, KT_E_USAGE, "output prefix is too long");
    if (access(pubpath, F_OK) == 0)
        return kt_fail(err, KT_E_CANTCREAT, "%s already exists; refusing to overwrite", pubpath);

    kt_seckey *k = NULL;
    uint8_t *der = sodium_malloc(KT_PKCS8_LEN);
    char *pem = sodium_malloc(256);
    int rc = -1;
    if (!der || !pem) {
        kt_fail(err, KT_E_NOMEM, "cannot allocate secure memory");
        goto out;
    }
    if (kt_seckey_generate(&k, err) < 0) goto out;
    memcpy(der, kt_pkcs8_prefix, sizeof kt_pkcs8_prefix);
    crypto_sign_ed25519_sk_to_seed(der + sizeof kt_pkcs8_prefix, k->sk);
    if (kt_pem_encode(der, KT_PKCS8_LEN, "PRIVATE KEY", pem, 256, err) < 0) goto out;
    if (write_new(keypath, 0600, pem, err) < 0) goto out;

    uint8_t spki[KT_SPKI_LEN];
    char pubpem[256];
    memcpy(spki, kt_spki_prefix, sizeof kt_spki_prefix);
    memcpy(spki + sizeof kt_spki_prefix, k->pk, KT_PK_LEN);
    if (kt_pem_encode(spki, sizeof spki, "PUBLIC KEY", pubpem, sizeof pubpem, err) < 0 ||
        write_new(pubpath, 0644, pubpem, err) < 0) {
        unlink(keypath); /* never leave half a key pair behind */
        goto out;
    }
    kt_seckey_public(k, pub_out);
    rc = 0;
out:
    kt_seckey_free(k);
    if (der) sodium_free(der);
    if (pem) sodium_free(pem);
    return rc;
}
