/* sign.h - the signatures of a bundle: every key signs the DSSE PAE of the
 * manifest (Ed25519), into one canonical envelope whose signatures are
 * sorted by keyid; optionally an RFC 3161 token over the envelope's bytes
 * from a Time-Stamp Authority (core/tsa.h, bundle/http.h). */
#ifndef KT_SIGN_H
#define KT_SIGN_H

#include "../core/buf.h"
#include "../core/err.h"
#include "../keys/keys.h"

#include <stddef.h>

#define KT_MAX_SIGNERS 16

/* keyids gets each key's id, in the order of keys. The same key twice is an
 * error. */
int kt_sign_envelope(const kt_seckey *const *keys, size_t nkeys, const kt_buf *manifest,
                     kt_buf *envelope, char keyids[][KT_KEYID_HEX], kt_err *err);

/* Ask the TSA at url for a token over the envelope's bytes; token gets its
 * DER, checked to answer this request (imprint, nonce). */
int kt_timestamp_envelope(const char *url, const kt_buf *envelope, kt_buf *token, kt_err *err);

#endif
