/* sha256.h - SHA-256 with SHA-NI, from one of two libraries.
 *
 * core/sha256.c builds twice (Makefile): kiemthu-bundle and kiemthu-verify
 * link the OpenSSL libcrypto backend (KT_SHA256_OPENSSL: ~2.0 GB/s here, 15%
 * faster than nettle, and they need libcrypto anyway); kiemthu-sandbox and
 * the other small tools link the nettle backend (~1.7 GB/s), since loading
 * libcrypto would add ~0.8 ms to every sandbox start. The API and the
 * context type are the same either way. (libsodium's SHA-256 has no SHA-NI:
 * ~0.27 GB/s.) */
#ifndef KT_SHA256_H
#define KT_SHA256_H

#include <nettle/sha2.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>

#define KT_SHA256_LEN 32
#define KT_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef union kt_sha256_ctx {
    struct sha256_ctx nettle;
    SHA256_CTX ossl;
} kt_sha256_ctx;

void kt_sha256_init(kt_sha256_ctx *c);
void kt_sha256_update(kt_sha256_ctx *c, const void *p, size_t n);
void kt_sha256_final(kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN]);
void kt_sha256(const void *p, size_t n, uint8_t out[KT_SHA256_LEN]);

/* After a multiple of 64 bytes (KT_SHA256_BLOCK): the intermediate hash
 * value, FIPS 180-4's H(i), as 8 big-endian words (core/chain.h). */
#define KT_SHA256_BLOCK 64
void kt_sha256_state(const kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN]);
/* A context that goes on from such a value, before bytes (a multiple of
 * 64) having been hashed: what follows, and the final padding, are hashed
 * exactly as if those bytes had been. */
void kt_sha256_resume(kt_sha256_ctx *c, const uint8_t state[KT_SHA256_LEN], uint64_t before);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void kt_hex(const uint8_t *p, size_t n, char *out);
/* Parse exactly 2n lowercase hex digits; -1 on anything else. */
int kt_unhex_lower(const char *s, uint8_t *out, size_t n);

#endif
