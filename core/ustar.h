/* ustar.h - the one canonical tar form kiemthu writes and accepts.
 *
 * Every member is a regular file with a canonical POSIX ustar header: typeflag
 * '0', mode 0644, uid/gid 0, empty user/group names, 11-digit zero-padded
 * octal numbers, "%06o\0 " checksum, magic "ustar\0" version "00", zero
 * devmajor/devminor written as "0000000\0", empty prefix, every unused byte
 * zero. A name of at most 100 bytes sits in the name field. A longer name
 * (member names are encoded by core/name.h and may be up to KT_TAR_NAME_MAX
 * bytes) is carried by a pax extended header just before: typeflag 'x', name
 * "././@PaxHeader", one record "LEN path=NAME\n", and the file header's
 * name field then holds the name's first 100 bytes. This is byte for byte
 * what GNU tar writes with
 *   --format=pax --pax-option=exthdr.name=././@PaxHeader,delete=atime,delete=ctime
 *   --owner=0 --group=0 --numeric-owner --mode=0644 --mtime=@T -b1 --no-recursion
 * given the same names in the same order. See docs/FORMAT.md §2. */
#ifndef KT_USTAR_H
#define KT_USTAR_H

#include "err.h"
#include "name.h"

#include <stddef.h>
#include <stdint.h>

#define KT_TAR_BLOCK 512
#define KT_TAR_NAME_FIELD 100                 /* longer names get a pax path record */
#define KT_TAR_NAME_MAX (9 + KT_NAME_ENC_MAX) /* "evidence/" + an encoded path */
#define KT_TAR_PAX_NAME "././@PaxHeader"
#define KT_TAR_PAX_MAX (KT_TAR_NAME_MAX + 16) /* largest pax data: one path record */
/* Largest header sequence of one member: pax header, its data, file header. */
#define KT_TAR_HDR_MAX                                                                             \
    (2 * KT_TAR_BLOCK + ((KT_TAR_PAX_MAX + KT_TAR_BLOCK - 1) / KT_TAR_BLOCK) * KT_TAR_BLOCK)
#define KT_TAR_SIZE_MAX 077777777777ULL /* 11 octal digits: 8 GiB - 1 */
#define KT_TAR_MTIME_MAX 077777777777ULL

/* A member name kiemthu accepts: a canonical encoding (core/name.h) of
 * 1..KT_TAR_NAME_MAX bytes, relative, without empty, "." or ".." components. */
int kt_tar_name_check(const char *name, kt_err *err);

/* Build the canonical header sequence of a member into hdr (at least
 * KT_TAR_HDR_MAX bytes); *len gets its size: 512, or 1024 plus the pax
 * record rounded up to 512. */
int kt_tar_header(uint8_t *hdr, size_t *len, const char *name, uint64_t size, uint64_t mtime,
                  kt_err *err);

/* Reading, one block at a time. The first block of a member: 1 if it is a pax
 * extended header (its data size, at most KT_TAR_PAX_MAX, in *pax_size), 0 if
 * a ustar file header; any other kind is refused, naming it. */
int kt_tar_block_kind(const uint8_t blk[KT_TAR_BLOCK], uint64_t *pax_size, kt_err *err);
/* The name a pax header's data carries: its single "LEN path=NAME\n" record
 * (anything else shows up as a difference from the canonical bytes later). */
int kt_tar_pax_path(const uint8_t *data, size_t n, char name[KT_TAR_NAME_MAX + 1], kt_err *err);
/* A file header's size and mtime (canonical octal), and its name field when
 * name is not NULL. */
int kt_tar_file_header(const uint8_t blk[KT_TAR_BLOCK], char name[KT_TAR_NAME_FIELD + 1],
                       uint64_t *size, uint64_t *mtime, kt_err *err);
/* Require seq (len bytes as read) to be exactly kt_tar_header(name, size,
 * mtime); the message names the first differing field. */
int kt_tar_header_check(const uint8_t *seq, size_t len, const char *name, uint64_t size,
                        uint64_t mtime, kt_err *err);

int kt_tar_block_is_zero(const uint8_t blk[KT_TAR_BLOCK]);

/* Bytes of zero padding after size bytes of data. */
static inline uint64_t kt_tar_pad(uint64_t size)
{
    return (KT_TAR_BLOCK - size % KT_TAR_BLOCK) % KT_TAR_BLOCK;
}

#endif
