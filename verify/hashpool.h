/* hashpool.h - the SHA-256 of several ranges of one file, on every CPU the
 * process may use (issue 13 item 12).
 *
 * One member is one SHA-256 stream, which no second core can share; but a
 * bundle has many members, and kiemthu-verify reads a bundle file's headers
 * and small members first (core/tarread.h, kt_tarr_skip) and leaves the
 * large members' data to this pool: the largest first, one per CPU, each
 * read with pread. A range hashed alone (one CPU, or the only large member)
 * is read ahead on a thread of its own (core/readahead.h), so that its copy
 * out of the page cache overlaps its hashing as before. Where no thread can
 * be started (RLIMIT_NPROC, a pids limit), fewer do the work, down to the
 * caller alone reading in turn: slower, never a different digest. */
#ifndef KT_HASHPOOL_H
#define KT_HASHPOOL_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_hashjob {
    uint64_t offset, size; /* in the file */
    uint8_t sha256[32];    /* out */
    size_t tag;            /* the caller's */
} kt_hashjob;

/* The CPUs this process may run on (sched_getaffinity; 1 if it cannot say). */
int kt_hash_cpus(void);

/* On up to cpus threads (<= 0: kt_hash_cpus()). progress, if not NULL, is
 * called on the calling thread only, with the bytes all of them hashed so
 * far (at least every 0.1 s while it waits for the others, and at the end
 * with the total). On a read error or a range the file no longer holds (it
 * shrank meanwhile): -1, err says why and *failed is that job's tag. */
int kt_hash_ranges(int fd, kt_hashjob *jobs, size_t n, int cpus, void (*progress)(void *, uint64_t),
                   void *arg, size_t *failed, kt_err *err);

#endif
