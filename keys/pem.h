/* pem.h - RFC 7468 PEM armour for the two DER forms of Ed25519 keys. */
#ifndef KT_PEM_H
#define KT_PEM_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

#define KT_PKCS8_LEN 48 /* 30 2e 02 01 00 30 05 06 03 2b 65 70 04 22 04 20 || seed */
#define KT_SPKI_LEN 44  /* 30 2a 30 05 06 03 2b 65 70 03 21 00 || public key */

extern const uint8_t kt_pkcs8_prefix[16];
extern const uint8_t kt_spki_prefix[12];

/* Find "-----BEGIN label-----" ... "-----END label-----" in pem and decode the
 * body into der (capacity cap); *der_len gets the length. der may be secure
 * memory: nothing is copied elsewhere. */
int kt_pem_decode(const char *pem, size_t n, const char *label, uint8_t *der, size_t cap,
                  size_t *der_len, const char *what, kt_err *err);

/* Encode der as PEM with 64-column lines into out (capacity cap). */
int kt_pem_encode(const uint8_t *der, size_t n, const char *label, char *out, size_t cap,
                  kt_err *err);

#endif
