/* trust.h - the keys and TSA certificates an auditor trusts, and when.
 *
 * Keys come from --key (valid at any time) or from a keyring, --trust FILE
 * (docs/FORMAT.md §6):
 *
 *   {"kiemthuTrust": 1,
 *    "threshold": 2,                       optional, default 1
 *    "keys": [{"name": "ci-2026q1",
 *              "public_key": "-----BEGIN PUBLIC KEY-----\n...",
 *              "not_before": "2026-03-01T00:00:00Z",
 *              "not_after": "2026-06-30T23:59:59Z",
 *              "revoked_at": "2026-05-01T00:00:00Z"}],   optional
 *    "tsa_certs": ["-----BEGIN CERTIFICATE-----\n..."]}   optional
 *
 * A key counts for a bundle only if the reference time lies in
 * [not_before, not_after] and before revoked_at: the genTime of a time-stamp
 * token that verifies against a pinned TSA certificate, else the time of
 * verification. Unknown fields, a malformed time or key, or two keys with the
 * same id are errors. */
#ifndef KT_TRUST_H
#define KT_TRUST_H

#include "../core/err.h"
#include "../core/tsa.h"
#include "../keys/keys.h"

#include <stddef.h>
#include <stdint.h>

#define KT_TRUST_MAX_KEYS 64
#define KT_TRUST_MAX (1u << 20) /* keyring file bytes */

typedef struct kt_trusted_key {
    kt_pubkey pub;
    char name[64];      /* keyring name, or "" for --key */
    const char *file;   /* the --key file, or NULL */
    int64_t not_before; /* INT64_MIN: no lower bound */
    int64_t not_after;  /* INT64_MAX: no upper bound */
    int64_t revoked_at; /* INT64_MAX: not revoked */
} kt_trusted_key;

typedef struct kt_trust {
    kt_trusted_key keys[KT_TRUST_MAX_KEYS];
    size_t nkeys;
    unsigned threshold; /* 0: not set by the keyring */
    kt_tsa_certs *tsa;  /* pinned TSA certificates (keyring and --tsa-cert) */
} kt_trust;

/* Add a --key file (no validity window). */
int kt_trust_add_keyfile(kt_trust *t, const char *path, kt_err *err);
/* Read a keyring file; its keys, threshold and TSA certificates are added. */
int kt_trust_load(kt_trust *t, const char *path, kt_err *err);
/* Parse keyring bytes (what names them in messages). */
int kt_trust_parse(kt_trust *t, const char *bytes, size_t n, const char *what, kt_err *err);
/* Add a --tsa-cert file (PEM: one or more certificates). */
int kt_trust_add_tsa_file(kt_trust *t, const char *path, kt_err *err);
void kt_trust_free(kt_trust *t);

/* "2026-05-01T00:00:00Z" -> seconds; only this form (UTC, no fraction). */
int kt_parse_rfc3339(const char *s, int64_t *out);

#endif
