/* dsse.h - DSSE v1 envelopes (https://github.com/secure-systems-lab/dsse).
 *
 * Signed bytes are PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP
 * LEN(body) SP body. kiemthu writes an envelope with one signature per
 * signing key, sorted by keyid (unique), in canonical JSON (json_canon.h)
 * with standard padded base64; the parser accepts standard or URL-safe
 * base64 as DSSE asks of verifiers, and kt_dsse_emit() is how a bundle
 * verifier re-derives the canonical bytes. */
#ifndef KT_DSSE_H
#define KT_DSSE_H

#include "buf.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define KT_DSSE_INTOTO_TYPE "application/vnd.in-toto+json"
#define KT_DSSE_SIG_LEN 64 /* Ed25519 */
#define KT_DSSE_MAX_SIGS 16

typedef struct kt_dsse_sig {
    char *keyid; /* may be NULL (keyid is optional and only a hint) */
    uint8_t *sig;
    size_t sig_len;
} kt_dsse_sig;

/* A signature to write (kt_dsse_emit) or as parsed, read-only. */
typedef struct kt_dsse_sigref {
    const char *keyid;
    const uint8_t *sig;
    size_t sig_len;
} kt_dsse_sigref;

typedef struct kt_dsse_env {
    char *payload_type;
    uint8_t *payload;
    size_t payload_len;
    kt_dsse_sig sigs[KT_DSSE_MAX_SIGS];
    size_t nsigs;
} kt_dsse_env;

int kt_dsse_pae(const char *type, const uint8_t *body, size_t n, kt_buf *out, kt_err *err);

/* Canonical envelope document appended to out: the signatures sorted by
 * keyid (each keyid present and unique, each sig KT_DSSE_SIG_LEN bytes),
 * whatever their order in sigs. */
int kt_dsse_emit(const char *type, const uint8_t *payload, size_t n, const kt_dsse_sigref *sigs,
                 size_t nsigs, kt_buf *out, kt_err *err);

/* Parse an envelope (any JSON layout). Unknown fields are refused. */
int kt_dsse_parse(const char *p, size_t n, kt_dsse_env *out, kt_err *err);
void kt_dsse_env_free(kt_dsse_env *env);

#endif
