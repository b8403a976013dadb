#include "sign.h"

#include "../core/dsse.h"
#include "../core/tsa.h"
#include "http.h"

#include <string.h>

int kt_sign_envelope(const kt_seckey *const *keys, size_t nkeys, const kt_buf *manifest,
                     kt_buf *envelope, char keyids[][KT_KEYID_HEX], kt_err *err)
{
    if (nkeys == 0 || nkeys > KT_MAX_SIGNERS)
        return kt_fail(err, KT_E_USAGE, "a bundle is signed by 1 to %d keys, not %zu",
                       KT_MAX_SIGNERS, nkeys);
    kt_buf pae;
    kt_buf_init(&pae, 0);
    if (kt_dsse_pae(KT_DSSE_INTOTO_TYPE, (const uint8_t *)manifest->data, manifest->len, &pae,
                    err) < 0) {
        kt_buf_free(&pae);
        return -1;
    }
    uint8_t sigs[KT_MAX_SIGNERS][KT_SIG_LEN];
    kt_dsse_sigref refs[KT_MAX_SIGNERS];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nkeys; i++) {
        kt_pubkey pub;
        kt_seckey_public(keys[i], &pub);
        memcpy(keyids[i], pub.keyid, KT_KEYID_HEX);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(keyids[k], keyids[i]))
                rc = kt_fail(err, KT_E_USAGE, "the same key (%s) is given twice", keyids[i]);
        if (rc == 0) rc = kt_sign(keys[i], (const uint8_t *)pae.data, pae.len, sigs[i], err);
        refs[i] = (kt_dsse_sigref){keyids[i], sigs[i], KT_SIG_LEN};
    }
    if (rc == 0)
        rc = kt_dsse_emit(KT_DSSE_INTOTO_TYPE, (const uint8_t *)manifest->data, manifest->len, refs,
                          nkeys, envelope, err);
    kt_buf_free(&pae);
    return rc;
}

int kt_timestamp_envelope(const char *url, const kt_buf *envelope, kt_buf *token, kt_err *err)
{
    uint8_t nonce[KT_TSA_NONCE_LEN];
    kt_buf req, resp;
    kt_buf_init(&req, 0);
    kt_buf_init(&resp, 0);
    int rc = kt_tsa_request((const uint8_t *)envelope->data, envelope->len, &req, nonce, err);
    if (rc == 0) rc = kt_http_tsa(url, (const uint8_t *)req.data, req.len, KT_TSA_MAX, &resp, err);
    if (rc == 0)
        rc = kt_tsa_token_from_response((const uint8_t *)resp.data, resp.len,
                                        (const uint8_t *)envelope->data, envelope->len, nonce,
                                        token, err);
    kt_buf_free(&req);
    kt_buf_free(&resp);
    return rc;
}
