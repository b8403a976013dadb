/* chain.h - a member's SHA-256 with its chain of intermediate values
 * (docs/FORMAT.md §3, format version 3).
 *
 * One SHA-256 stream cannot be shared by two cores. So a member over
 * KT_CHAIN_MIN bytes carries, beside its "sha256", the intermediate hash
 * value H(i) of that same SHA-256 at every multiple of KT_CHUNK bytes inside
 * it (subject annotation KT_CHAIN_KEY). kiemthu-verify then hashes every
 * chunk at once, each from the value before it, and holds each result to
 * the value after it, the last to the sha256: all equal exactly when the
 * member's SHA-256 is the signed one and so are the values (an exact
 * computation split in parts, not a second digest). */
#ifndef KT_CHAIN_H
#define KT_CHAIN_H

#include "sha256.h"

#include <stddef.h>
#include <stdint.h>

#define KT_CHUNK (8u << 20)
#define KT_CHAIN_MIN (64u << 20) /* members of more bytes carry the values */
#define KT_CHAIN_KEY "sha256ChunkStates"

/* How many values a member of size bytes carries: one at each multiple of
 * KT_CHUNK strictly inside it, or 0 (size <= KT_CHAIN_MIN). */
static inline size_t kt_chain_count(uint64_t size)
{
    return size > KT_CHAIN_MIN ? (size_t)((size - 1) / KT_CHUNK) : 0;
}

typedef struct kt_chain {
    kt_sha256_ctx h;
    uint64_t done, size;
    uint8_t (*states)[KT_SHA256_LEN]; /* kt_chain_count(size) of them, or NULL */
} kt_chain;

/* Hash size bytes; if states is not NULL, record the values there. */
void kt_chain_init(kt_chain *c, uint64_t size, uint8_t (*states)[KT_SHA256_LEN]);
void kt_chain_update(kt_chain *c, const void *p, size_t n);
void kt_chain_final(kt_chain *c, uint8_t out[KT_SHA256_LEN]);

#endif
