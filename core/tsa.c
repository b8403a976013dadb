#include "tsa.h"

#include "sha256.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kt_tsa_certs {
    STACK_OF(X509) * sk;
};

/* The first OpenSSL error on the queue, appended to a message; queue emptied. */
static int ossl_fail(kt_err *err, enum kt_errclass cls, const char *what)
{
    const char *data = NULL;
    int flags = 0;
    unsigned long e = ERR_peek_error_data(&data, &flags);
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    /* e.g. "certificate verify error (Verify error:certificate has expired)" */
    int has_data = data && *data && (flags & ERR_TXT_STRING);
    kt_fail(err, cls, "%s%s%s%s%s%s", what, reason ? ": " : "", reason ? reason : "",
            has_data ? " (" : "", has_data ? data : "", has_data ? ")" : "");
    ERR_clear_error();
    return -1;
}

int kt_tsa_preload(kt_err *err)
{
    if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_DIGESTS, NULL))
        return ossl_fail(err, KT_E_INTERNAL, "cannot initialise OpenSSL");
    /* fetch what verification uses, so no provider is loaded under the filter */
    static const char *const mds[] = {"SHA256", "SHA384", "SHA512", "SHA1"};
    for (size_t i = 0; i < sizeof mds / sizeof mds[0]; i++)
        EVP_MD_free(EVP_MD_fetch(NULL, mds[i], NULL));
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY_CTX_free(pc);
    pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    return 0;
}

/* A TimeStampReq for the SHA-256 of data with this nonce. */
static TS_REQ *build_req(const uint8_t *data, size_t n, const uint8_t nonce[KT_TSA_NONCE_LEN])
{
    uint8_t digest[KT_SHA256_LEN];
    kt_sha256(data, n, digest);
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    BIGNUM *bn = BN_bin2bn(nonce, KT_TSA_NONCE_LEN, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    int ok = req && mi && alg && ai && TS_REQ_set_version(req, 1) &&
             X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) &&
             TS_MSG_IMPRINT_set_algo(mi, alg) &&
             TS_MSG_IMPRINT_set_msg(mi, digest, sizeof digest) && TS_REQ_set_msg_imprint(req, mi) &&
             TS_REQ_set_nonce(req, ai) && TS_REQ_set_cert_req(req, 1);
    ASN1_INTEGER_free(ai); /* the setters copy */
    BN_free(bn);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    if (!ok) {
        TS_REQ_free(req);
        return NULL;
    }
    return req;
}

int kt_tsa_request(const uint8_t *data, size_t n, kt_buf *der, uint8_t nonce[KT_TSA_NONCE_LEN],
                   kt_err *err)
{
    if (RAND_bytes(nonce, KT_TSA_NONCE_LEN) != 1)
        return ossl_fail(err, KT_E_INTERNAL, "no random bytes for the nonce");
    nonce[0] = (uint8_t)((nonce[0] & 0x3f) | 0x40); /* positive, always 8 bytes */
    TS_REQ *req = build_req(data, n, nonce);
    unsigned char *out = NULL;
    int len = req ? i2d_TS_REQ(req, &out) : -1;
    int rc = len > 0 ? kt_buf_append(der, out, (size_t)len, err)
                     : ossl_fail(err, KT_E_INTERNAL, "cannot build the time-stamp request");
    OPENSSL_free(out);
    TS_REQ_free(req);
    return rc;
}

/* What the answer must match: our imprint and nonce (not the signature). */
static TS_VERIFY_CTX *answer_ctx(const uint8_t *data, size_t dn,
                                 const uint8_t nonce[KT_TSA_NONCE_LEN])
{
    TS_REQ *req = build_req(data, dn, nonce);
    TS_VERIFY_CTX *ctx = req ? TS_REQ_to_TS_VERIFY_CTX(req, NULL) : NULL;
    TS_REQ_free(req);
    if (ctx) TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
    return ctx;
}

static int sha256_imprint(TS_TST_INFO *tst, kt_err *err)
{
    const X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (!obj || OBJ_obj2nid(obj) != NID_sha256)
        return kt_fail(err, KT_E_TAMPER, "the time-stamp token's imprint is not SHA-256");
    return 0;
}

/* The one form kiemthu stores a token in. A CMS SignedData has parts its
 * signature does not cover: the certificate set, CRLs, unsigned attributes,
 * the digestAlgorithms set, versions, algorithm parameters. Left as the TSA
 * sent them, they could be changed in a bundle without any check failing.
 * So create stores, and the verifier accepts only, the token with exactly
 * the signer's certificate (which the signed ESS attribute pins), no CRLs,
 * no unsigned attributes, digestAlgorithms = the signer's digest algorithm,
 * SignedData version 3 and SignerInfo version 1 (RFC 5652), digest
 * parameters absent (RFC 5754), the signature algorithm derived from the
 * signer's key (sig_alg). */
static int set_int(ASN1_INTEGER **v, long n)
{
    if (!*v && !(*v = ASN1_INTEGER_new())) return -1;
    return ASN1_INTEGER_set(*v, n) == 1 ? 0 : -1;
}

/* The signature algorithm, from the signer's key and the digest alone (its
 * stored OID is not covered by the signature, and OpenSSL's check reads the
 * key instead): ECDSA with that digest, Ed25519, or rsaEncryption (NULL
 * parameters). Other key types are not accepted. */
static int sig_alg(X509_ALGOR *alg, const X509 *signer, int md_nid)
{
    EVP_PKEY *pk = X509_get0_pubkey(signer);
    int nid = NID_undef, ptype = V_ASN1_UNDEF;
    switch (pk ? EVP_PKEY_get_base_id(pk) : 0) {
    case EVP_PKEY_EC:
        nid = md_nid == NID_sha256   ? NID_ecdsa_with_SHA256
              : md_nid == NID_sha384 ? NID_ecdsa_with_SHA384
              : md_nid == NID_sha512 ? NID_ecdsa_with_SHA512
                                     : NID_undef;
        break;
    case EVP_PKEY_ED25519:
        nid = NID_ED25519;
        break;
    case EVP_PKEY_RSA:
        nid = NID_rsaEncryption;
        ptype = V_ASN1_NULL;
        break;
    }
    if (nid == NID_undef) return -1;
    return X509_ALGOR_set0(alg, OBJ_nid2obj(nid), ptype, NULL) == 1 ? 0 : -1;
}

static int normalize(PKCS7 *tok)
{
    if (!PKCS7_type_is_signed(tok) || !tok->d.sign) return -1;
    PKCS7_SIGNED *sd = tok->d.sign;
    if (sk_PKCS7_SIGNER_INFO_num(sd->signer_info) != 1) return -1;
    PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(sd->signer_info, 0);
    X509 *signer = PKCS7_cert_from_signer_info(tok, si);
    X509 *keep = signer ? X509_dup(signer) : NULL;
    if (!keep) return -1;
    sk_X509_pop_free(sd->cert, X509_free);
    sd->cert = sk_X509_new_null();
    if (!sd->cert || !sk_X509_push(sd->cert, keep)) {
        X509_free(keep);
        return -1;
    }
    sk_X509_CRL_pop_free(sd->crl, X509_CRL_free);
    sd->crl = NULL;
    sk_X509_ATTRIBUTE_pop_free(si->unauth_attr, X509_ATTRIBUTE_free);
    si->unauth_attr = NULL;
    const ASN1_OBJECT *md = NULL;
    X509_ALGOR_get0(&md, NULL, NULL, si->digest_alg);
    X509_ALGOR_set0(si->digest_alg, OBJ_dup(md), V_ASN1_UNDEF, NULL);
    X509_ALGOR *one = X509_ALGOR_dup(si->digest_alg);
    sk_X509_ALGOR_pop_free(sd->md_algs, X509_ALGOR_free);
    sd->md_algs = sk_X509_ALGOR_new_null();
    if (!one || !sd->md_algs || !sk_X509_ALGOR_push(sd->md_algs, one)) {
        X509_ALGOR_free(one);
        return -1;
    }
    if (sig_alg(si->digest_enc_alg, keep, OBJ_obj2nid(md)) < 0) return -1;
    return set_int(&sd->version, 3) < 0 || set_int(&si->version, 1) < 0 ? -1 : 0;
}

int kt_tsa_token_from_response(const uint8_t *resp, size_t n, const uint8_t *data, size_t dn,
                               const uint8_t nonce[KT_TSA_NONCE_LEN], kt_buf *token, kt_err *err)
{
    const unsigned char *p = resp;
    TS_RESP *r = n <= KT_TSA_MAX ? d2i_TS_RESP(NULL, &p, (long)n) : NULL;
    if (!r || p != resp + n) {
        TS_RESP_free(r);
        return ossl_fail(err, KT_E_DATA, "the TSA's answer is not one DER TimeStampResp");
    }
    int rc = -1;
    const ASN1_INTEGER *st = TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r));
    long status = st ? ASN1_INTEGER_get(st) : -1;
    PKCS7 *tok = TS_RESP_get_token(r);
    TS_VERIFY_CTX *ctx = answer_ctx(data, dn, nonce);
    unsigned char *der = NULL;
    int len;
    if (status != 0 && status != 1) {
        kt_fail(err, KT_E_DATA, "the TSA refused the request (PKIStatus %ld)", status);
    } else if (!tok || !TS_RESP_get_tst_info(r)) {
        kt_fail(err, KT_E_DATA, "the TSA's answer holds no time-stamp token");
    } else if (!ctx) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
    } else if (TS_RESP_verify_response(ctx, r) != 1) {
        ossl_fail(err, KT_E_DATA, "the TSA answered another question (imprint or nonce)");
    } else if (sha256_imprint(TS_RESP_get_tst_info(r), err) < 0) {
        /* err says why */
    } else if (normalize(tok) < 0) {
        kt_fail(err, KT_E_DATA,
                "the TSA's token is not a SignedData with one signer and its "
                "certificate (certReq)");
    } else if ((len = i2d_PKCS7(tok, &der)) <= 0) {
        ossl_fail(err, KT_E_DATA, "cannot encode the time-stamp token");
    } else {
        rc = kt_buf_append(token, der, (size_t)len, err);
    }
    OPENSSL_free(der);
    TS_VERIFY_CTX_free(ctx);
    TS_RESP_free(r);
    return rc;
}

static void describe(TS_TST_INFO *tst, kt_tsa_info *info)
{
    memset(info, 0, sizeof *info);
    const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(tst);
    struct tm tm;
    if (gt && ASN1_TIME_to_tm(gt, &tm)) {
        info->gen_time = (int64_t)timegm(&tm);
        strftime(info->gen_time_str, sizeof info->gen_time_str, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    BIGNUM *bn = ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(tst), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    if (hex) snprintf(info->serial, sizeof info->serial, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
}

/* Parse a stored token and hold it to canonical DER. */
static PKCS7 *parse_token(const uint8_t *token, size_t n, TS_TST_INFO **tst, kt_err *err)
{
    const unsigned char *p = token;
    PKCS7 *tok = n && n <= KT_TSA_MAX ? d2i_PKCS7(NULL, &p, (long)n) : NULL;
    if (!tok || p != token + n) {
        PKCS7_free(tok);
        ossl_fail(err, KT_E_TAMPER, "timestamp.tst is not one DER time-stamp token");
        return NULL;
    }
    /* the stored bytes must be exactly the normalized token, re-encoded */
    PKCS7 *norm = PKCS7_dup(tok);
    unsigned char *der = NULL;
    int len = norm && normalize(norm) == 0 ? i2d_PKCS7(norm, &der) : -1;
    int same = len == (int)n && memcmp(der, token, n) == 0;
    OPENSSL_free(der);
    PKCS7_free(norm);
    if (!same) {
        PKCS7_free(tok);
        kt_fail(err, KT_E_TAMPER,
                "timestamp.tst is not in the canonical form (DER; one signer, only its "
                "certificate, no CRLs or unsigned attributes; docs/FORMAT.md §5)");
        return NULL;
    }
    if (!(*tst = PKCS7_to_TS_TST_INFO(tok))) {
        PKCS7_free(tok);
        ossl_fail(err, KT_E_TAMPER, "timestamp.tst holds no TSTInfo");
        return NULL;
    }
    if (sha256_imprint(*tst, err) < 0) {
        TS_TST_INFO_free(*tst);
        PKCS7_free(tok);
        return NULL;
    }
    return tok;
}

int kt_tsa_inspect(const uint8_t *token, size_t n, kt_tsa_info *info, kt_err *err)
{
    TS_TST_INFO *tst = NULL;
    PKCS7 *tok = parse_token(token, n, &tst, err);
    if (!tok) return -1;
    describe(tst, info);
    TS_TST_INFO_free(tst);
    PKCS7_free(tok);
    return 0;
}

/* The signer's subject, for the report. */
static void signer_name(PKCS7 *tok, kt_tsa_info *info)
{
    STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(tok);
    PKCS7_SIGNER_INFO *si =
        sk_PKCS7_SIGNER_INFO_num(sis) == 1 ? sk_PKCS7_SIGNER_INFO_value(sis, 0) : NULL;
    X509 *signer = si ? PKCS7_cert_from_signer_info(tok, si) : NULL;
    if (signer) X509_NAME_oneline(X509_get_subject_name(signer), info->tsa, sizeof info->tsa);
}

int kt_tsa_verify(const uint8_t *token, size_t n, const uint8_t *data, size_t dn,
                  const kt_tsa_certs *pinned, kt_tsa_info *info, kt_err *err)
{
    if (!pinned || sk_X509_num(pinned->sk) == 0)
        return kt_fail(err, KT_E_USAGE, "no pinned TSA certificate");
    TS_TST_INFO *tst = NULL;
    PKCS7 *tok = parse_token(token, n, &tst, err);
    if (!tok) return -1;
    describe(tst, info);
    signer_name(tok, info);
    TS_TST_INFO_free(tst);
    int rc = -1;
    X509_STORE *store = X509_STORE_new();
    TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
    uint8_t digest[KT_SHA256_LEN];
    kt_sha256(data, dn, digest);
    unsigned char *imp = OPENSSL_memdup(digest, sizeof digest);
    if (!store || !ctx || !imp) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < sk_X509_num(pinned->sk); i++)
        X509_STORE_add_cert(store, sk_X509_value(pinned->sk, i));
    /* a pinned TSA certificate ends the chain by itself; every certificate
     * must be valid at the time the token says, not today */
    X509_VERIFY_PARAM *param = X509_STORE_get0_param(store);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, (time_t)info->gen_time);
    TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
    TS_VERIFY_CTX_set_imprint(ctx, imp, sizeof digest);
    imp = NULL;
    TS_VERIFY_CTX_set_store(ctx, store); /* owned by ctx */
    store = NULL;
    if (TS_RESP_verify_token(ctx, tok) != 1)
        ossl_fail(err, KT_E_AUTH, "the time-stamp token does not verify");
    else
        rc = 0;
out:
    OPENSSL_free(imp);
    X509_STORE_free(store);
    TS_VERIFY_CTX_free(ctx);
    PKCS7_free(tok);
    return rc;
}

int kt_tsa_certs_add(kt_tsa_certs **certs, const char *pem, size_t n, const char *what, kt_err *err)
{
    if (!*certs) {
        if (!(*certs = calloc(1, sizeof **certs)) || !((*certs)->sk = sk_X509_new_null()))
            return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    if (!bio) return kt_fail(err, KT_E_NOMEM, "out of memory");
    int added = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (!sk_X509_push((*certs)->sk, x)) {
            X509_free(x);
            BIO_free(bio);
            return kt_fail(err, KT_E_NOMEM, "out of memory");
        }
        added++;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the PEM text */
    if (!added) return kt_fail(err, KT_E_DATA, "%s: no PEM CERTIFICATE in it", what);
    return 0;
}

size_t kt_tsa_certs_count(const kt_tsa_certs *certs)
{
    return certs ? (size_t)sk_X509_num(certs->sk) : 0;
}

void kt_tsa_certs_free(kt_tsa_certs *certs)
{
    if (!certs) return;
    sk_X509_pop_free(certs->sk, X509_free);
    free(certs);
}
