/* spool.h - where kiemthu-verify keeps members of a bundle read from a
 * stream (stdin), so a policy can read them after the stream has passed: a
 * memfd (memory, not disk), opened before the self-sandbox goes on, written
 * and read with the calls the sandbox allows. Only the members a policy may
 * read are kept (verify/want.h), up to a byte limit (--spool-max). */
#ifndef KT_SPOOL_H
#define KT_SPOOL_H

#include "../core/err.h"

#include <stdint.h>

#define KT_SPOOL_MAX_DEFAULT (1ULL << 30)

typedef struct kt_spool {
    int fd;        /* memfd, or -1 (nothing can be kept) */
    int own;       /* opened by kt_spool_open: closed by kt_spool_close */
    uint64_t used; /* bytes written: the next member's offset */
    uint64_t max;
    int failed; /* a write failed: nothing more is kept */
} kt_spool;

/* Use fd (a memfd the caller opened), or open one if fd < 0; max 0 means
 * KT_SPOOL_MAX_DEFAULT. Never fails: without a memfd nothing is kept. */
void kt_spool_open(kt_spool *s, int fd, uint64_t max);
/* 1 if a member of size bytes still fits. */
int kt_spool_room(const kt_spool *s, uint64_t size);
/* Append bytes (a kt_tarr_sink); a failure marks the spool failed. */
void kt_spool_write(void *spool, const uint8_t *p, size_t n);
void kt_spool_close(kt_spool *s);

#endif
