/* The OpenSSL backend uses the low-level SHA256_* calls (deprecated in
 * OpenSSL 3 in favour of EVP, but the same code, and a context that lives on
 * the stack like nettle's). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha256.h"

#include <string.h>

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_words(const uint32_t h[8], uint8_t out[KT_SHA256_LEN])
{
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

#ifdef KT_SHA256_OPENSSL
void kt_sha256_init(kt_sha256_ctx *c)
{
    SHA256_Init(&c->ossl);
}

void kt_sha256_update(kt_sha256_ctx *c, const void *p, size_t n)
{
    SHA256_Update(&c->ossl, p, n);
}

void kt_sha256_final(kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN])
{
    SHA256_Final(out, &c->ossl);
}

void kt_sha256_state(const kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN])
{
    put_words(c->ossl.h, out);
}

void kt_sha256_resume(kt_sha256_ctx *c, const uint8_t state[KT_SHA256_LEN], uint64_t before)
{
    SHA256_Init(&c->ossl);
    for (int i = 0; i < 8; i++) c->ossl.h[i] = get_be32(state + 4 * i);
    c->ossl.Nl = (SHA_LONG)(before << 3); /* the length in bits, in two 32-bit halves */
    c->ossl.Nh = (SHA_LONG)(before >> 29);
}
#else
void kt_sha256_init(kt_sha256_ctx *c)
{
    sha256_init(&c->nettle);
}

void kt_sha256_update(kt_sha256_ctx *c, const void *p, size_t n)
{
    sha256_update(&c->nettle, n, p);
}

void kt_sha256_final(kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN])
{
    sha256_digest(&c->nettle, KT_SHA256_LEN, out);
}

void kt_sha256_state(const kt_sha256_ctx *c, uint8_t out[KT_SHA256_LEN])
{
    put_words(c->nettle.state, out);
}

void kt_sha256_resume(kt_sha256_ctx *c, const uint8_t state[KT_SHA256_LEN], uint64_t before)
{
    sha256_init(&c->nettle);
    for (int i = 0; i < 8; i++) c->nettle.state[i] = get_be32(state + 4 * i);
    c->nettle.count = before / KT_SHA256_BLOCK; /* nettle counts blocks */
}
#endif

void kt_sha256(const void *p, size_t n, uint8_t out[KT_SHA256_LEN])
{
    kt_sha256_ctx c;
    kt_sha256_init(&c);
    kt_sha256_update(&c, p, n);
    kt_sha256_final(&c, out);
}

void kt_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int kt_unhex_lower(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
