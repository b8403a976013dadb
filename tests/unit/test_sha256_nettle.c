/* core/sha256.c's nettle backend (the sandbox's and the fuzz build's): the
 * intermediate value and resuming from it, against OpenSSL's SHA-256 (the
 * other backend, which test_chain covers). The file is compiled here with
 * its functions renamed, beside the OpenSSL build the other tests link. */
#define kt_sha256_init nt_sha256_init
#define kt_sha256_update nt_sha256_update
#define kt_sha256_final nt_sha256_final
#define kt_sha256 nt_sha256
#define kt_sha256_state nt_sha256_state
#define kt_sha256_resume nt_sha256_resume
#define kt_hex nt_hex
#define kt_unhex_lower nt_unhex_lower
#include "../../core/sha256.c"

#include "testutil.h"

#include <openssl/sha.h>

static void state_and_resume_match_openssl(void **state)
{
    (void)state;
    enum { N = 3 * 65536 + 77 };
    static uint8_t p[N];
    for (size_t i = 0; i < N; i++) p[i] = (uint8_t)(i * 131 + (i >> 9));
    uint8_t whole[32];
    SHA256(p, N, whole);
    for (size_t at = 0; at <= N; at += 64 * 1021) {
        kt_sha256_ctx c;
        kt_sha256_init(&c);
        kt_sha256_update(&c, p, at);
        uint8_t v[32], want[32];
        kt_sha256_state(&c, v);
        SHA256_CTX o;
        SHA256_Init(&o);
        SHA256_Update(&o, p, at);
        put_words(o.h, want); /* OpenSSL's words at the same point */
        assert_memory_equal(v, want, 32);
        kt_sha256_resume(&c, v, at);
        kt_sha256_update(&c, p + at, N - at);
        uint8_t d[32];
        kt_sha256_final(&c, d);
        assert_memory_equal(d, whole, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(state_and_resume_match_openssl),
    };
    return cmocka_run_group_tests_name("sha256 (nettle backend)", tests, NULL, NULL);
}
