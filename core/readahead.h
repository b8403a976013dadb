/* readahead.h - a thread that reads a regular file ahead of its consumer,
 * into a ring of slots, each full (slot bytes) but the last: the copy out of
 * the page cache runs on one core while the consumer hashes on the other
 * (core/tarread.c: 4 slots of 1 MiB, measured best). Only for regular files: a read from a pipe may
 * block for ever, and the thread must always be able to stop. */
#ifndef KT_READAHEAD_H
#define KT_READAHEAD_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_readahead kt_readahead;

int kt_readahead_start(kt_readahead **out, int fd, size_t slot, int nslots, kt_err *err);
/* The same for length bytes from offset, read with pread (the descriptor's
 * position is neither used nor moved: several may read one file at once).
 * Fewer than length bytes arrive only if the file ends first. */
int kt_readahead_start_at(kt_readahead **out, int fd, uint64_t offset, uint64_t length, size_t slot,
                          int nslots, kt_err *err);
/* The next slot: *len bytes at *p, slot bytes except at the end of the file
 * (0: the end). The previous slot goes back to the reader. */
int kt_readahead_next(kt_readahead *ra, const uint8_t **p, size_t *len, kt_err *err);
/* Stop the thread (it finishes the read in progress) and free everything. */
void kt_readahead_stop(kt_readahead *ra);

#endif
