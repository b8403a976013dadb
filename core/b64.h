/* b64.h - base64 (libsodium). Encoding is always standard, padded (RFC 4648
 * section 4); decoding accepts standard or URL-safe alphabets, padded or not,
 * as DSSE requires of verifiers. */
#ifndef KT_B64_H
#define KT_B64_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* Returns a malloc'd NUL-terminated string, or NULL on allocation failure. */
char *kt_b64_encode(const uint8_t *p, size_t n);

/* Decode s[0..slen) into a malloc'd buffer (*out, *outlen). */
int kt_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen, kt_err *err);

#endif
