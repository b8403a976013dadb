/* keys.h - Ed25519 keys: generation, PEM (PKCS#8 / SPKI, as openssl writes),
 * key ids, signing and verification.
 *
 * Secret keys live only in libsodium secure memory (guarded pages, mlock'd,
 * wiped by kt_seckey_free). Key id = lowercase hex SHA-256 of the public
 * key's SPKI DER encoding, i.e.
 *   openssl pkey -pubin -in KEY.pub -outform DER | sha256sum */
#ifndef KT_KEYS_H
#define KT_KEYS_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

#define KT_PK_LEN 32
#define KT_SIG_LEN 64
#define KT_KEYID_HEX 65
#define KT_KEY_ENV "KIEMTHU_SIGNING_KEY"

typedef struct kt_seckey kt_seckey; /* opaque, in secure memory */

typedef struct kt_pubkey {
    uint8_t pk[KT_PK_LEN];
    char keyid[KT_KEYID_HEX];
} kt_pubkey;

/* sodium_init(); call once before anything else here. */
int kt_keys_init(kt_err *err);

int kt_seckey_generate(kt_seckey **out, kt_err *err);
/* Parse PKCS#8 PEM text; what names the source in messages. */
int kt_seckey_from_pem(const char *pem, size_t n, const char *what, kt_seckey **out, kt_err *err);
/* Load a secret key file: no symlinks, regular file, not readable by group
 * or others, at most 4 KiB. */
int kt_seckey_load(const char *path, kt_seckey **out, kt_err *err);
/* Load from the KIEMTHU_SIGNING_KEY environment variable, then wipe it. */
int kt_seckey_load_env(kt_seckey **out, kt_err *err);
void kt_seckey_free(kt_seckey *k);
void kt_seckey_public(const kt_seckey *k, kt_pubkey *out);
int kt_sign(const kt_seckey *k, const uint8_t *msg, size_t n, uint8_t sig[KT_SIG_LEN], kt_err *err);

/* The key id of a key file, public (SPKI PEM) or secret (PKCS#8 PEM, held
 * to the same rules as kt_seckey_load and wiped); *secret says which. */
int kt_key_id_load(const char *path, char out[KT_KEYID_HEX], int *secret, kt_err *err);

int kt_pubkey_from_pem(const char *pem, size_t n, const char *what, kt_pubkey *out, kt_err *err);
int kt_pubkey_load(const char *path, kt_pubkey *out, kt_err *err);
/* 0 if sig is a valid Ed25519 signature of msg under pk, -1 otherwise. */
int kt_verify_sig(const kt_pubkey *pk, const uint8_t *msg, size_t n, const uint8_t *sig,
                  size_t sig_len);

/* Write PREFIX.key (0600, O_EXCL) and PREFIX.pub (0644, O_EXCL). Neither file
 * is overwritten; on failure neither is left behind. */
int kt_keygen_write(const char *prefix, kt_pubkey *pub_out, kt_err *err);

#endif
