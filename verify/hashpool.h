/* hashpool.h - the SHA-256 of several ranges of one file, on every CPU the
 * process may use (issue 13 item 12).
 *
 * kiemthu-verify reads a bundle file's headers and small members first
 * (core/tarread.h, kt_tarr_skip) and leaves the large members' data to this
 * pool: the largest range first, one per CPU, each read with pread. A member
 * over 64 MiB whose subject carries its chain values (core/chain.h) comes as
 * one range per 8 MiB chunk, each resumed from the value before it, so one
 * large member keeps every CPU busy too. A range hashed alone (one CPU, or
 * far the largest) is read ahead on a thread of its own (core/readahead.h),
 * so that its copy out of the page cache overlaps its hashing. Where no
 * thread can be started (RLIMIT_NPROC, a pids limit), fewer do the work,
 * down to the caller alone reading in turn: slower, never a different
 * digest. */
#ifndef KT_HASHPOOL_H
#define KT_HASHPOOL_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_hashjob {
    uint64_t offset, size; /* in the file */
    /* A part of one SHA-256 (core/chain.h): from is the intermediate value
     * after the before bytes that precede the range (NULL: the range starts
     * the stream), and open asks for the value after it (size a multiple of
     * 64) instead of the final digest. */
    const uint8_t *from;
    uint64_t before;
    int open;
    uint8_t sha256[32]; /* out: the digest, or with open the value */
    size_t tag;         /* the caller's */
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
