/* tsa.h - RFC 3161 time-stamp tokens, through OpenSSL's TS API (no ASN.1
 * by hand).
 *
 * A kiemthu bundle may carry one token (member timestamp.tst, DER) whose
 * messageImprint is the SHA-256 of the canonical envelope member
 * manifest.dsse.json: one token proves that the payload and every signature
 * existed at genTime (docs/FORMAT.md §5). kiemthu-bundle asks a TSA for it
 * (request and response here, HTTP in bundle/http.c); kiemthu-verify checks
 * it offline against TSA certificates the auditor pins. */
#ifndef KT_TSA_H
#define KT_TSA_H

#include "buf.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define KT_TSA_MAX (64u << 10) /* bytes of a response or a stored token */
#define KT_TSA_NONCE_LEN 8

typedef struct kt_tsa_certs kt_tsa_certs; /* pinned TSA certificates or CAs */

typedef struct kt_tsa_info {
    int64_t gen_time;      /* seconds since the epoch (fractions dropped) */
    char gen_time_str[32]; /* RFC 3339, UTC */
    char tsa[256];         /* the signer's subject, one line */
    char serial[80];       /* the token's serial number, hex */
} kt_tsa_info;

/* A TimeStampReq (DER, appended to der) for the SHA-256 of data, with a new
 * random nonce (returned) and certReq set, as `openssl ts -query -sha256
 * -cert` makes. */
int kt_tsa_request(const uint8_t *data, size_t n, kt_buf *der, uint8_t nonce[KT_TSA_NONCE_LEN],
                   kt_err *err);

/* From a TimeStampResp (DER): status granted, a token whose imprint is the
 * SHA-256 of data and whose nonce is ours; its DER goes to token. The TSA's
 * signature is not judged here (that is the verifier's job, with pinned
 * certificates), only that the answer is to this question. */
int kt_tsa_token_from_response(const uint8_t *resp, size_t n, const uint8_t *data, size_t dn,
                               const uint8_t nonce[KT_TSA_NONCE_LEN], kt_buf *token, kt_err *err);

/* What a stored token says, without trusting it: canonical DER (re-encoding
 * gives the same bytes), a TSTInfo with a SHA-256 imprint. */
int kt_tsa_inspect(const uint8_t *token, size_t n, kt_tsa_info *info, kt_err *err);

/* Verify a stored token offline: kt_tsa_inspect, then the imprint is the
 * SHA-256 of data, the signature verifies, and the signer's certificate has
 * the timeStamping extended key usage (critical), matches the token's ESS
 * certificate id, and chains to a pinned certificate (a pinned TSA
 * certificate itself, or a CA), every certificate valid at genTime. */
int kt_tsa_verify(const uint8_t *token, size_t n, const uint8_t *data, size_t dn,
                  const kt_tsa_certs *pinned, kt_tsa_info *info, kt_err *err);

/* Pinned certificates: every CERTIFICATE block of PEM text (what names it in
 * messages). Call kt_tsa_certs_add for each file or keyring entry. */
int kt_tsa_certs_add(kt_tsa_certs **certs, const char *pem, size_t n, const char *what,
                     kt_err *err);
size_t kt_tsa_certs_count(const kt_tsa_certs *certs);
void kt_tsa_certs_free(kt_tsa_certs *certs);

/* Load OpenSSL's configuration and algorithms now, while files may still be
 * opened (kiemthu-verify's self-sandbox forbids open() later). */
int kt_tsa_preload(kt_err *err);

#endif
