/* sha256.h - SHA-256 through nettle (SHA-NI accelerated; ~4x libsodium here). */
#ifndef KT_SHA256_H
#define KT_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#define KT_SHA256_LEN 32
#define KT_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct sha256_ctx kt_sha256_ctx;

void kt_sha256_init(kt_sha256_ctx *c);
void kt_sha256_update(kt_sha256_ctx *c, const void *p, size_t n);
void kt_sha256_final(kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN]);
void kt_sha256(const void *p, size_t n, uint8_t out[KT_SHA256_LEN]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void kt_hex(const uint8_t *p, size_t n, char *out);
/* Parse exactly 2n lowercase hex digits; -1 on anything else. */
int kt_unhex_lower(const char *s, uint8_t *out, size_t n);

#endif
