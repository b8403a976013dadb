/* rootfs.h - from an image's verified layer list to a complete tree in the
 * cache (imgcache.h): looked up by the layer chain, else made under the
 * key's lock — every layer streamed from the image (imgsrc.h), its stored
 * bytes checked against the descriptor's size and digest and its
 * decompressed bytes against the config's diff_id while it is unpacked
 * (unpack.h); the mount points the sandbox needs added; the tree's digest
 * (treedigest.h) taken; the tree published only when all of that passed.
 * Found in the cache, every layer blob is still read and checked against
 * its descriptor: a hit saves the unpacking, not the verification. */
#ifndef KT_ROOTFS_H
#define KT_ROOTFS_H

#include "../core/err.h"
#include "imgcache.h"
#include "imgref.h"
#include "imgsrc.h"
#include "oci.h"
#include "treedigest.h"
#include "unpack.h"

#include <limits.h>
#include <stdint.h>

typedef struct kt_rootfs_layer {
    char member[KT_OCI_PATH];    /* where it is in the image */
    uint64_t size;               /* what its descriptor says (docker-archive: the member's) */
    char digest[KT_OCI_DIGEST];  /* what its descriptor says; "" for docker-archive */
    enum kt_comp comp;           /* what its media type says */
    char diff_id[KT_OCI_DIGEST]; /* what the config says */
} kt_rootfs_layer;

#define KT_ROOTFS_MAX_ADDED 16

typedef struct kt_rootfs {
    char key[KT_CACHE_KEY];
    char tree[PATH_MAX];        /* absolute path of the tree to run in */
    int hit;                    /* found in the cache, not unpacked by this run */
    char digest[KT_DIGEST_STR]; /* of the tree, taken when it was made */
    uint64_t tree_entries;
    kt_unpack_stats st;
    char added[KT_ROOTFS_MAX_ADDED][48]; /* mount points added to the tree */
    size_t nadded;
} kt_rootfs;

/* cache_dir NULL: the default. On success the key's lock is released. */
int kt_rootfs_get(kt_imgsrc *src, const char *where, const kt_rootfs_layer *layers, size_t n,
                  const char *cache_dir, const kt_img_caps *caps, kt_rootfs *out, kt_err *err);

#endif
