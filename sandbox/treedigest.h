/* treedigest.h - what a tree holds, as one digest: the sha256 of its
 * canonical listing (docs/RUN_RECORD.md): every entry below the root,
 * byte-sorted by path, one line each: "d MODE PATH" for a directory,
 * "f MODE PATH SHA256" for a regular file, "l PATH TARGET" for a symlink,
 * "o MODE PATH" for anything else (MODE octal; for "o" the whole st_mode).
 * Links are never followed. Also the sha256 of one open file. */
#ifndef KT_TREEDIGEST_H
#define KT_TREEDIGEST_H

#include "../core/err.h"

#include <stdint.h>

#define KT_DIGEST_STR 72 /* "sha256:" + 64 hex + NUL */

/* dirfd stays the caller's; label names the tree in messages. */
int kt_tree_digest(int dirfd, const char *label, char out[KT_DIGEST_STR], uint64_t *entries,
                   kt_err *err);
/* sha256 of what fd reads from its offset to the end; -1 with errno set. */
int kt_file_digest(int fd, char out[KT_DIGEST_STR]);

#endif
