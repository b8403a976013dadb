/* core/chain: a large member's SHA-256 and its intermediate values at every
 * 8 MiB, as kiemthu-bundle records them and kiemthu-verify re-computes them
 * chunk by chunk. The oracle is nettle's SHA-256, a second implementation
 * (core/sha256.c's backend here is OpenSSL's), whose state words are read
 * directly; and the digest is OpenSSL's one-shot SHA256(). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "testutil.h"

#include "../../core/chain.h"

#include <nettle/sha2.h>
#include <openssl/sha.h>

/* 73 MiB + 100 bytes: 10 chunks, 9 values, the last chunk short. */
#define SIZE ((uint64_t)73 * 1048576 + 100)

static uint8_t *data(void)
{
    uint8_t *p = malloc(SIZE);
    assert_non_null(p);
    uint32_t x = 2463534242u;
    for (uint64_t i = 0; i < SIZE; i++) { /* xorshift: not all zeros, reproducible */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

static void nettle_value(const struct sha256_ctx *c, uint8_t out[32])
{
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 4; b++) out[4 * i + b] = (uint8_t)(c->state[i] >> (24 - 8 * b));
}

static void counts(void **state)
{
    (void)state;
    assert_int_equal(kt_chain_count(0), 0);
    assert_int_equal(kt_chain_count(KT_CHAIN_MIN), 0); /* 64 MiB: sha256 alone */
    assert_int_equal(kt_chain_count(KT_CHAIN_MIN + 1), 8);
    assert_int_equal(kt_chain_count((uint64_t)72 << 20), 8); /* no value at the very end */
    assert_int_equal(kt_chain_count(((uint64_t)72 << 20) + 1), 9);
    assert_int_equal(kt_chain_count((8ULL << 30) - 1), 1023);
}

/* Fed in odd pieces, the values are nettle's state at every 8 MiB and the
 * digest is the SHA-256 of the whole. */
static void values_are_the_sha256_state(void **state)
{
    (void)state;
    uint8_t *p = data();
    size_t n = kt_chain_count(SIZE);
    assert_int_equal(n, 9);
    uint8_t(*v)[32] = calloc(n + 1, 32); /* one spare, which must stay zero */
    assert_non_null(v);
    kt_chain c;
    kt_chain_init(&c, SIZE, v);
    for (uint64_t at = 0; at < SIZE;) {
        size_t k = SIZE - at < 1000003 ? (size_t)(SIZE - at) : 1000003;
        kt_chain_update(&c, p + at, k);
        at += k;
    }
    uint8_t dig[32], want[32];
    kt_chain_final(&c, dig);
    SHA256(p, SIZE, want);
    assert_memory_equal(dig, want, 32);
    struct sha256_ctx ref;
    sha256_init(&ref);
    for (size_t k = 0; k < n; k++) {
        sha256_update(&ref, KT_CHUNK, p + k * KT_CHUNK);
        uint8_t h[32];
        nettle_value(&ref, h);
        assert_memory_equal(v[k], h, 32);
    }
    static const uint8_t zero[32];
    assert_memory_equal(v[n], zero, 32);
    free(v);
    free(p);
}

/* From any value, hashing the next chunk gives the next value, and the rest
 * with the padding gives the whole digest: what verify computes per chunk. */
static void resume_continues_the_same_hash(void **state)
{
    (void)state;
    uint8_t *p = data();
    size_t n = kt_chain_count(SIZE);
    uint8_t(*v)[32] = calloc(n, 32);
    assert_non_null(v);
    kt_chain c;
    kt_chain_init(&c, SIZE, v);
    kt_chain_update(&c, p, SIZE);
    uint8_t whole[32];
    kt_chain_final(&c, whole);
    for (size_t k = 1; k <= n; k++) {
        uint64_t before = (uint64_t)k * KT_CHUNK;
        kt_sha256_ctx h;
        kt_sha256_resume(&h, v[k - 1], before);
        kt_sha256_update(&h, p + before, SIZE - before);
        uint8_t d[32];
        kt_sha256_final(&h, d);
        assert_memory_equal(d, whole, 32);
        if (k < n) {
            kt_sha256_resume(&h, v[k - 1], before);
            kt_sha256_update(&h, p + before, KT_CHUNK);
            kt_sha256_state(&h, d);
            assert_memory_equal(d, v[k], 32);
        }
    }
    /* a wrong byte count before the value changes the padding: another digest */
    kt_sha256_ctx h;
    kt_sha256_resume(&h, v[n - 1], (uint64_t)n * KT_CHUNK - 64);
    kt_sha256_update(&h, p + (uint64_t)n * KT_CHUNK, SIZE - (uint64_t)n * KT_CHUNK);
    uint8_t d[32];
    kt_sha256_final(&h, d);
    assert_memory_not_equal(d, whole, 32);
    /* and a value changed in one bit: another digest */
    uint8_t bad[32];
    memcpy(bad, v[n - 1], 32);
    bad[31] ^= 1;
    kt_sha256_resume(&h, bad, (uint64_t)n * KT_CHUNK);
    kt_sha256_update(&h, p + (uint64_t)n * KT_CHUNK, SIZE - (uint64_t)n * KT_CHUNK);
    kt_sha256_final(&h, d);
    assert_memory_not_equal(d, whole, 32);
    free(v);
    free(p);
}

/* A member of 64 MiB or less records nothing, even given room. */
static void small_members_record_nothing(void **state)
{
    (void)state;
    uint8_t v[2][32], zero[2][32];
    memset(v, 0, sizeof v), memset(zero, 0, sizeof zero);
    uint8_t *p = calloc(1, KT_CHUNK * 2 + 1);
    assert_non_null(p);
    kt_chain c;
    kt_chain_init(&c, KT_CHUNK * 2 + 1, v);
    kt_chain_update(&c, p, KT_CHUNK * 2 + 1);
    uint8_t d[32], want[32];
    kt_chain_final(&c, d);
    SHA256(p, KT_CHUNK * 2 + 1, want);
    assert_memory_equal(d, want, 32);
    assert_memory_equal(v, zero, sizeof v);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts),
        cmocka_unit_test(values_are_the_sha256_state),
        cmocka_unit_test(resume_continues_the_same_hash),
        cmocka_unit_test(small_members_record_nothing),
    };
    return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}
