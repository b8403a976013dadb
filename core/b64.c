#include "b64.h"

#include <sodium.h>
#include <stdlib.h>

char *kt_b64_encode(const uint8_t *p, size_t n)
{
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(len);
    if (!s) return NULL;
    sodium_bin2base64(s, len, p, n, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

int kt_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen, kt_err *err)
{
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL,
        sodium_base64_VARIANT_URLSAFE,
        sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE_NO_PADDING,
    };
    size_t max = slen / 4 * 3 + 3;
    uint8_t *buf = malloc(max ? max : 1);
    if (!buf) return kt_fail(err, KT_E_NOMEM, "out of memory decoding base64");
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t n = 0;
        const char *end = NULL;
        if (sodium_base642bin(buf, max, s, slen, NULL, &n, &end, variants[i]) == 0 &&
            end == s + slen) {
            *out = buf;
            *outlen = n;
            return 0;
        }
    }
    free(buf);
    return kt_fail(err, KT_E_DATA, "invalid base64");
}
