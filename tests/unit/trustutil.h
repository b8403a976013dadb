/* trustutil.h - unit tests: a kt_trust of pinned keys, valid at any time. */
#ifndef KT_TRUSTUTIL_H
#define KT_TRUSTUTIL_H

#include "../../verify/trust.h"

#include <stdint.h>
#include <string.h>

static inline kt_trust *tu_trust(kt_trust *t, const kt_pubkey *keys, size_t n)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        t->keys[i].pub = keys[i];
        t->keys[i].file = "pinned.pub";
        t->keys[i].not_before = INT64_MIN;
        t->keys[i].not_after = INT64_MAX;
        t->keys[i].revoked_at = INT64_MAX;
    }
    t->nkeys = n;
    return t;
}

#endif
