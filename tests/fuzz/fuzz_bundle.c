/* libFuzzer: a whole bundle through kiemthu-verify's reader (canonical tar,
 * envelope, manifest, adjudication), with fixtures/keys/test-ed25519.pub pinned. */
#include "../../verify/verify.h"

#include <sys/mman.h>
#include <unistd.h>

static const char PUB[] = "-----BEGIN PUBLIC KEY-----\n"
                          "MCowBQYDK2VwAyEAp+o/y16laRLPdJJscTuTegTGknmNT/IZ9Wy6Xqahomk=\n"
                          "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static kt_pubkey key;
    static int fd = -1;
    if (fd < 0) {
        kt_err err;
        if (kt_keys_init(&err) < 0 ||
            kt_pubkey_from_pem(PUB, sizeof PUB - 1, "pub", &key, &err) < 0)
            return 0;
        fd = memfd_create("fuzz", 0);
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, n, 0) != (ssize_t)n || lseek(fd, 0, SEEK_SET) < 0)
        return 0;
    static kt_trust trust;
    trust.keys[0] = (kt_trusted_key){key, "", "pinned.pub", INT64_MIN, INT64_MAX, INT64_MAX};
    trust.nkeys = 1;
    kt_verify_opts o = {.trust = &trust, .max_total = 1 << 24, .read_buffer = 16384};
    kt_verify_result res;
    kt_verify_fd(fd, &o, &res);
    kt_verify_result_free(&res);
    return 0;
}
