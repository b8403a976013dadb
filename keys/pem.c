#include "pem.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

const uint8_t kt_pkcs8_prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                     0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
const uint8_t kt_spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                    0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return hay + i;
    return NULL;
}

int kt_pem_decode(const char *pem, size_t n, const char *label, uint8_t *der, size_t cap,
                  size_t *der_len, const char *what, kt_err *err)
{
    char begin[64], end[64];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    const char *b = find(pem, n, begin);
    if (!b) {
        if (find(pem, n, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
            return kt_fail(err, KT_E_DATA, "%s: encrypted private keys are not supported", what);
        if (find(pem, n, "-----BEGIN "))
            return kt_fail(err, KT_E_DATA, "%s: PEM block is not \"%s\"", what, label);
        return kt_fail(err, KT_E_DATA, "%s: no PEM \"%s\" block found", what, label);
    }
    const char *body = b + strlen(begin);
    const char *e = find(body, n - (size_t)(body - pem), end);
    if (!e) return kt_fail(err, KT_E_DATA, "%s: PEM block has no END line", what);
    /* Headers (RFC 1421 "Proc-Type:") mean an encrypted legacy key. */
    if (find(body, (size_t)(e - body), ":"))
        return kt_fail(err, KT_E_DATA, "%s: PEM headers are not supported", what);
    const char *last = NULL;
    if (sodium_base642bin(der, cap, body, (size_t)(e - body), " \t\r\n", der_len, &last,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        last != e)
        return kt_fail(err, KT_E_DATA, "%s: PEM body is not valid base64", what);
    return 0;
}

int kt_pem_encode(const uint8_t *der, size_t n, const char *label, char *out, size_t cap,
                  kt_err *err)
{
    /* Both key encodings fit one 64-column line, so the base64 is written
     * straight into out (which may be secure memory): no copy elsewhere. */
    size_t b64len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    int w = snprintf(out, cap, "-----BEGIN %s-----\n", label);
    if (b64len > 65 || w < 0 || (size_t)w + b64len + 1 > cap)
        return kt_fail(err, KT_E_INTERNAL, "PEM output buffer too small");
    size_t pos = (size_t)w;
    sodium_bin2base64(out + pos, cap - pos, der, n, sodium_base64_VARIANT_ORIGINAL);
    pos += b64len - 1;
    w = snprintf(out + pos, cap - pos, "\n-----END %s-----\n", label);
    if (w < 0 || (size_t)w >= cap - pos)
        return kt_fail(err, KT_E_INTERNAL, "PEM output buffer too small");
    return 0;
}
