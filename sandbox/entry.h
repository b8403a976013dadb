/* entry.h - the tree a layer is unpacked into, and one tar entry applied to
 * it (the rules are in unpack.h). Used by unpack.c only: unpack.c streams
 * and decompresses a layer, this file writes what its entries say. */
#ifndef KT_ENTRY_H
#define KT_ENTRY_H

#include "../core/err.h"
#include "imgref.h"
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Paths made by the current layer and their ancestors ("upper paths"): a
 * whiteout in the same layer must not remove them. Kept as 64-bit hashes;
 * a collision could only spare a lower path that the same image's whiteout
 * names, which the image's author could have done anyway. */
typedef struct pathset {
    uint64_t *slot;
    size_t cap, n;
} pathset;

typedef struct dirmeta {
    char *rel;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    struct timespec mtime;
} dirmeta;

typedef struct kt_tree {
    int rootfd;
    int walk;  /* no openat2: O_NOFOLLOW walk */
    int chown; /* running as root: apply owners */
    kt_img_caps caps;
    kt_unpack_stats st;
    pathset upper;
    dirmeta *dirs; /* this layer's directory entries, applied at its end */
    size_t ndirs, capdirs, dirbytes;
    dirmeta *locked; /* unprivileged: directories whose mode lacks u+rwx, applied last */
    size_t nlocked, caplocked;
    char cached_rel[PATH_MAX]; /* one open parent directory, reused */
    int cached_fd;
} kt_tree;

void kt_tree_init(kt_tree *t, int rootfd, const kt_img_caps *caps);
void kt_tree_free(kt_tree *t);
/* Apply one entry; layer names the layer in messages. */
int kt_entry_apply(kt_tree *t, struct archive *tar, struct archive_entry *e, const char *layer,
                   kt_err *err);
/* The end of a layer: its directories' owners, modes and times. */
int kt_tree_layer_end(kt_tree *t, const char *layer, kt_err *err);
/* After the last layer: the modes kept open until now (unprivileged). */
int kt_tree_finish(kt_tree *t, kt_err *err);

#endif
