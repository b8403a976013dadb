/* unpack.h - apply an image's layers, in order, to a directory.
 *
 * A layer is read as stored (gzip, zstd or uncompressed, as its media type
 * says), decompressed and hashed (its diff_id) as it streams through
 * libarchive's tar reader; OCI whiteouts (.wh.NAME) and opaque directories
 * (.wh..wh..opq) remove what lower layers made, never what the same layer
 * made (as the image spec and umoci have it).
 *
 * The layer is hostile. Every entry is written relative to the root
 * directory's descriptor: names that are absolute or hold "..", and entries
 * whose parent directory leads out of the root (through a symlink or any
 * other way) are refused; the parent is opened with openat2
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV (kernels without
 * openat2: one O_NOFOLLOW component at a time, no symlink followed), the
 * last component is never followed: what is there is removed and the entry
 * created afresh with O_EXCL. Hard links must name an existing non-directory
 * beneath the root. Device nodes are not created (skipped and counted);
 * extended attributes (file capabilities included) are not applied. Owners
 * are applied only when running as root. Caps (kt_img_caps): decompressed
 * bytes, counted as they leave the decompressor, and entries; a file whose
 * declared size exceeds what is left of the byte cap is refused before
 * anything is written. */
#ifndef KT_UNPACK_H
#define KT_UNPACK_H

#include "../core/err.h"
#include "imgref.h"
#include "oci.h"

#include <stdint.h>
#include <sys/types.h>

/* Supplies a layer's stored bytes: up to n, 0 at the end, -1 with err filled. */
typedef ssize_t (*kt_unpack_read_fn)(void *ctx, void *buf, size_t n, kt_err *err);

#define KT_UNPACK_LISTED 16

typedef struct kt_unpack_stats {
    uint64_t entries, bytes; /* tar entries; decompressed bytes */
    uint64_t files, dirs, symlinks, hardlinks, fifos, whiteouts;
    uint64_t devices_skipped;
    char skipped[KT_UNPACK_LISTED][128]; /* the first device nodes skipped (escaped) */
    size_t nskipped_listed;
} kt_unpack_stats;

typedef struct kt_unpacker kt_unpacker;

/* rootfd: the (empty) directory to unpack into, opened O_RDONLY|O_DIRECTORY. */
int kt_unpack_new(int rootfd, const kt_img_caps *caps, kt_unpacker **out, kt_err *err);
/* One layer. comp: what the media type promises; diff_id: the config's
 * "sha256:..." for this layer (NULL: not checked); what: names the layer
 * in messages. */
int kt_unpack_layer(kt_unpacker *u, kt_unpack_read_fn rd, void *ctx, enum kt_comp comp,
                    const char *diff_id, const char *what, kt_err *err);
/* The same stream checks without writing anything: decompressed, counted
 * against caps (*bytes so far), hashed and compared with diff_id. */
int kt_unpack_verify(kt_unpack_read_fn rd, void *ctx, enum kt_comp comp, const char *diff_id,
                     const kt_img_caps *caps, uint64_t *bytes, const char *what, kt_err *err);
/* After the last layer: the final directory modes; the counts. */
int kt_unpack_finish(kt_unpacker *u, kt_unpack_stats *stats, kt_err *err);
void kt_unpack_free(kt_unpacker *u);

/* For tests: never use openat2, as on a kernel without it. */
void kt_unpack_force_walk(kt_unpacker *u);

#endif
