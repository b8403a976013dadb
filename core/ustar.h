/* ustar.h - the one canonical ustar header kiemthu writes and accepts.
 *
 * A canonical header is the exact 512 bytes kt_tar_header() produces for a
 * member's name, size and mtime: regular file (typeflag '0'), mode 0644,
 * uid/gid 0, empty user/group names, 11-digit zero-padded octal numbers,
 * "%06o\0 " checksum, magic "ustar\0" version "00", zero devmajor/devminor
 * written as "0000000\0", every unused byte zero. Names longer than 100 bytes
 * are split as GNU tar splits them: at the rightmost '/' that leaves at most
 * 155 bytes of prefix, if the rest fits the 100-byte name field. The result
 * is byte-identical to GNU tar --format=ustar --owner=0 --group=0
 * --numeric-owner --mode=0644 --mtime=@T -b1 given the same names in the
 * same order. See docs/FORMAT.md. */
#ifndef KT_USTAR_H
#define KT_USTAR_H

#include "err.h"

#include <stdint.h>

#define KT_TAR_BLOCK 512
#define KT_TAR_NAME_MAX 256             /* prefix(155) + '/' + name(100) */
#define KT_TAR_SIZE_MAX 077777777777ULL /* 11 octal digits: 8 GiB - 1 */
#define KT_TAR_MTIME_MAX 077777777777ULL

/* A member name kiemthu accepts: 1..256 bytes of A-Z a-z 0-9 . _ - + @ = , : ~
 * and '/', relative, '/'-separated components that are neither empty, "." nor "..",
 * and splittable into ustar prefix/name. */
int kt_tar_name_check(const char *name, kt_err *err);

/* Build the canonical header. */
int kt_tar_header(uint8_t hdr[KT_TAR_BLOCK], const char *name, uint64_t size, uint64_t mtime,
                  kt_err *err);

/* Parse a header and require it to be canonical; name gets the full name. */
int kt_tar_header_parse(const uint8_t hdr[KT_TAR_BLOCK], char name[KT_TAR_NAME_MAX + 1],
                        uint64_t *size, uint64_t *mtime, kt_err *err);

int kt_tar_block_is_zero(const uint8_t blk[KT_TAR_BLOCK]);

/* Bytes of zero padding after size bytes of data. */
static inline uint64_t kt_tar_pad(uint64_t size)
{
    return (KT_TAR_BLOCK - size % KT_TAR_BLOCK) % KT_TAR_BLOCK;
}

#endif
