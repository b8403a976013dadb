#include "signers.h"

#include <stdio.h>
#include <string.h>

const char *kt_sig_status_name(enum kt_sig_status s)
{
    switch (s) {
    case KT_SIG_COUNTED:
        return "counted";
    case KT_SIG_NOT_YET_VALID:
        return "key not yet valid";
    case KT_SIG_EXPIRED:
        return "key expired";
    case KT_SIG_REVOKED:
        return "key revoked";
    case KT_SIG_UNPINNED:
        return "key not trusted";
    }
    return "?";
}

static enum kt_sig_status window(const kt_trusted_key *k, int64_t t)
{
    if (t >= k->revoked_at) return KT_SIG_REVOKED;
    if (t < k->not_before) return KT_SIG_NOT_YET_VALID;
    if (t > k->not_after) return KT_SIG_EXPIRED;
    return KT_SIG_COUNTED;
}

/* One signature: which trusted key made it, if any. */
static int match(const kt_dsse_sig *sig, const kt_buf *pae, const kt_trusted_key *keys,
                 size_t nkeys, kt_signer *out, kt_err *err)
{
    snprintf(out->keyid, sizeof out->keyid, "%s", sig->keyid);
    out->key = -1;
    for (size_t i = 0; i < nkeys; i++) {
        if (kt_verify_sig(&keys[i].pub, (const uint8_t *)pae->data, pae->len, sig->sig,
                          sig->sig_len) != 0)
            continue;
        /* The keyid chose nothing, but it is part of the stored bytes: it must
         * name the key that signed, or it could be edited without detection. */
        if (strcmp(sig->keyid, keys[i].pub.keyid))
            return kt_fail(err, KT_E_TAMPER,
                           "envelope keyid %.64s does not name the key that signed (%s)",
                           sig->keyid, keys[i].pub.keyid);
        out->key = (int)i;
        return 0;
    }
    for (size_t i = 0; i < nkeys; i++)
        if (!strcmp(keys[i].pub.keyid, sig->keyid))
            return kt_fail(err, KT_E_AUTH,
                           "signature does not verify with pinned key %s (named by the "
                           "envelope's keyid)",
                           sig->keyid);
    return 0; /* by a key nobody pinned */
}

/* Why too few keys count: each signature's state. */
static void shortfall(const kt_signer *s, size_t n, const kt_trusted_key *keys, size_t counted,
                      unsigned threshold, kt_err *err)
{
    if (counted == 0 && n == 1 && s[0].status == KT_SIG_UNPINNED) {
        kt_fail(err, KT_E_AUTH,
                "signature does not verify with any pinned key (the envelope names key %.64s)",
                s[0].keyid);
        return;
    }
    char why[600] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof why; i++) {
        const char *name = s[i].key >= 0 && keys[s[i].key].name[0] ? keys[s[i].key].name : "";
        used += (size_t)snprintf(why + used, sizeof why - used, "%s%.16s...%s%s%s: %s",
                                 i ? "; " : "", s[i].keyid, *name ? " (" : "", name,
                                 *name ? ")" : "", kt_sig_status_name(s[i].status));
    }
    kt_fail(err, KT_E_AUTH, "%zu trusted keys signed and count, %u required (%s)", counted,
            threshold, why);
}

int kt_check_signers(const kt_dsse_env *env, const kt_trusted_key *keys, size_t nkeys,
                     int64_t ref_time, unsigned threshold, kt_signer *out, size_t *counted,
                     kt_err *err)
{
    kt_buf pae;
    kt_buf_init(&pae, 0);
    if (kt_dsse_pae(env->payload_type, env->payload, env->payload_len, &pae, err) < 0) {
        kt_buf_free(&pae);
        return -1;
    }
    int rc = 0;
    *counted = 0;
    for (size_t i = 0; rc == 0 && i < env->nsigs; i++) {
        rc = match(&env->sigs[i], &pae, keys, nkeys, &out[i], err);
        if (rc < 0) break;
        out[i].status = out[i].key < 0 ? KT_SIG_UNPINNED : window(&keys[out[i].key], ref_time);
        /* keyids are unique in a canonical envelope, so a key counts once */
        if (out[i].status == KT_SIG_COUNTED) (*counted)++;
    }
    kt_buf_free(&pae);
    if (rc < 0) return -1;
    if (threshold == 0) threshold = 1;
    if (*counted < threshold) {
        shortfall(out, env->nsigs, keys, *counted, threshold, err);
        return -1;
    }
    return 0;
}
