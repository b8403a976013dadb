/* signers.h - which trusted keys signed a bundle's envelope, and whether
 * enough of them count.
 *
 * Every signature is tried against every trusted key (the keyid is only a
 * hint). A signature that verifies must carry its key's id (the keyid is
 * part of the stored bytes). A signature that no trusted key verifies is
 * allowed and reported ("unpinned"): it proves nothing either way, and its
 * bytes are not checked -- unless its keyid names a trusted key, which is a
 * forgery (REJECT). A key counts once, and only if the reference time lies
 * in its validity window (verify/trust.h). Fewer than threshold counted keys
 * is REJECT, with the reason naming each signature's state. */
#ifndef KT_SIGNERS_H
#define KT_SIGNERS_H

#include "../core/dsse.h"
#include "../core/err.h"
#include "trust.h"

#include <stddef.h>
#include <stdint.h>

enum kt_sig_status {
    KT_SIG_COUNTED,
    KT_SIG_NOT_YET_VALID, /* reference time before the key's not_before */
    KT_SIG_EXPIRED,       /* after its not_after */
    KT_SIG_REVOKED,       /* at or after its revoked_at */
    KT_SIG_UNPINNED,      /* no trusted key verifies it */
};

typedef struct kt_signer {
    char keyid[KT_KEYID_HEX]; /* as the envelope says (truncated if longer) */
    int key;                  /* index in the trusted keys, or -1 */
    enum kt_sig_status status;
} kt_signer;

/* out gets env->nsigs entries, in envelope order. */
int kt_check_signers(const kt_dsse_env *env, const kt_trusted_key *keys, size_t nkeys,
                     int64_t ref_time, unsigned threshold, kt_signer *out, size_t *counted,
                     kt_err *err);

const char *kt_sig_status_name(enum kt_sig_status s);

#endif
