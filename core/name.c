#include "name.h"

#include <string.h>

static const char HEX[] = "0123456789ABCDEF";

int kt_name_literal(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("._-+@=,:~/", c));
}

size_t kt_name_encoded_len(const char *raw)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
        n += kt_name_literal(*p) ? 1 : 3;
    return n;
}

int kt_name_encode(const char *raw, char *out, size_t outsz, kt_err *err)
{
    if (!*raw) return kt_fail(err, KT_E_DATA, "empty file name");
    size_t need = kt_name_encoded_len(raw);
    if (need + 1 > outsz)
        return kt_fail(err, KT_E_LIMIT, "encoded name would be %zu bytes; at most %zu fit", need,
                       outsz ? outsz - 1 : 0);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
        if (kt_name_literal(*p)) {
            out[o++] = (char)*p;
        } else {
            out[o++] = KT_NAME_ESCAPE;
            out[o++] = HEX[*p >> 4];
            out[o++] = HEX[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

static int upper_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One step of decoding at enc[i]: the byte it stands for and its width, or
 * -1 with the reason (i is the byte offset, for the message). */
static int decode_at(const char *enc, size_t i, unsigned char *byte, size_t *width, kt_err *err)
{
    unsigned char c = (unsigned char)enc[i];
    if (c != KT_NAME_ESCAPE) {
        if (!kt_name_literal(c))
            return kt_fail(err, KT_E_DATA,
                           "byte %zu of the name is 0x%02x, which the encoding writes as %%%c%c", i,
                           c, HEX[c >> 4], HEX[c & 15]);
        *byte = c;
        *width = 1;
        return 0;
    }
    int hi = upper_hex(enc[i + 1]), lo = hi < 0 ? -1 : upper_hex(enc[i + 2]);
    if (hi < 0 || lo < 0)
        return kt_fail(err, KT_E_DATA,
                       "byte %zu of the name: '%%' is not followed by two upper-case hex digits",
                       i);
    unsigned char v = (unsigned char)(hi << 4 | lo);
    if (v == 0) return kt_fail(err, KT_E_DATA, "byte %zu of the name: %%00 encodes NUL", i);
    if (kt_name_literal(v))
        return kt_fail(err, KT_E_DATA,
                       "byte %zu of the name: %%%c%c encodes '%c', which is written as itself", i,
                       enc[i + 1], enc[i + 2], v);
    *byte = v;
    *width = 3;
    return 0;
}

int kt_name_decode(const char *enc, char *out, size_t outsz, kt_err *err)
{
    size_t o = 0;
    for (size_t i = 0; enc[i];) {
        unsigned char b;
        size_t w;
        if (decode_at(enc, i, &b, &w, err) < 0) return -1;
        if (o + 1 >= outsz) return kt_fail(err, KT_E_LIMIT, "decoded name is too long");
        out[o++] = (char)b;
        i += w;
    }
    if (outsz) out[o] = '\0';
    return 0;
}

int kt_name_check(const char *enc, size_t maxlen, kt_err *err)
{
    size_t len = strnlen(enc, maxlen + 1);
    if (len == 0) return kt_fail(err, KT_E_DATA, "empty name");
    if (len > maxlen) return kt_fail(err, KT_E_DATA, "name is longer than %zu bytes", maxlen);
    if (enc[0] == '/') return kt_fail(err, KT_E_DATA, "absolute name");
    size_t comp = 0; /* start of the current component */
    for (size_t i = 0; i <= len;) {
        if (i == len || enc[i] == '/') {
            size_t clen = i - comp;
            if (clen == 0) return kt_fail(err, KT_E_DATA, "name has an empty component");
            if ((clen == 1 && enc[comp] == '.') ||
                (clen == 2 && enc[comp] == '.' && enc[comp + 1] == '.'))
                return kt_fail(err, KT_E_DATA, "name has a \".\" or \"..\" component");
            comp = ++i;
            continue;
        }
        unsigned char b;
        size_t w;
        if (decode_at(enc, i, &b, &w, err) < 0) return -1;
        i += w;
    }
    return 0;
}
