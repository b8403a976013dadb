/* tarread.h - read a kiemthu bundle in one pass and accept only its
 * canonical form: every header is rebuilt and compared byte for byte
 * (core/ustar.h), data padding must be zero, and the archive must end with
 * exactly two zero blocks and nothing after them. */
#ifndef KT_TARREAD_H
#define KT_TARREAD_H

#include "err.h"
#include "ustar.h"

#include <stddef.h>
#include <stdint.h>

#include "readahead.h"

/* The stream comes in chunks ("slots") of a multiple of 512 bytes, each full
 * but the last, so a 512-byte block never straddles two: a header, a pax
 * record block or padding is always contiguous in one. From a bundle file
 * (kt_tarr_is_file) a reader thread fills a ring of slots ahead of the
 * parser, so reading (the copy out of the page cache) overlaps hashing (issue
 * 13 item 12); from a stream (a pipe, which may block for ever), or where no
 * thread can be started, the one slot is filled in turn. */
typedef struct kt_tarr {
    int fd;
    kt_readahead *ring; /* from a file; NULL: read in turn into buf */
    uint8_t *buf;
    size_t slot;        /* slot size: a multiple of 512 */
    const uint8_t *cur; /* the slot being consumed */
    size_t pos, len;
    uint64_t off;       /* archive offset of cur[pos] */
    uint64_t file_size; /* size of a bundle file (kt_tarr_is_file), else 0 */
    int at_end;
    int skip; /* kt_tarr_init_skip on a regular file: read with pread, data may be skipped */
} kt_tarr;

typedef void (*kt_tarr_sink)(void *arg, const uint8_t *p, size_t n);

/* 1 if fd is a bundle file that can be read again at archive offsets: a
 * regular file with bytes in it, read from its start (stdin redirected from
 * a file that was partly read already is not: it is read as a stream, from
 * where it is). *size (if not NULL) gets its size. */
int kt_tarr_is_file(int fd, uint64_t *size);
/* bufsize: bytes held at a time (0: 4 MiB, in 4 slots from a file, read
 * ahead on a thread; in turn where no thread can be started). */
int kt_tarr_init(kt_tarr *r, int fd, size_t bufsize, kt_err *err);
void kt_tarr_free(kt_tarr *r);
/* As kt_tarr_init, but a bundle file (kt_tarr_is_file) is read in turn with
 * pread from its start (r->skip set), and a member's data may be passed over with
 * kt_tarr_skip for someone else to read (verify/hashpool.h). A stream is
 * read as kt_tarr_init reads it (r->skip 0). */
int kt_tarr_init_skip(kt_tarr *r, int fd, size_t bufsize, kt_err *err);
/* 1: a member header was read; 0: the canonical end was reached; -1: error. */
int kt_tarr_next(kt_tarr *r, char name[KT_TAR_NAME_MAX + 1], uint64_t *size, uint64_t *mtime,
                 kt_err *err);
/* Pass the member's size bytes to sink in chunks, then check its padding. */
int kt_tarr_data(kt_tarr *r, uint64_t size, kt_tarr_sink sink, void *arg, kt_err *err);
/* Pass over the member's size bytes without reading them (only with
 * r->skip), then check its padding: the data starts at archive offset r->off
 * as it was before the call. */
int kt_tarr_skip(kt_tarr *r, uint64_t size, kt_err *err);

#endif
