/* outdir.h - /out with a size cap. A bind of the host directory cannot be
 * capped, so a payload could fill the host's disk through it. As root, /out
 * is instead a tmpfs of --out-size bytes, created detached by the runner
 * (fsopen/fsmount), attached inside the sandbox (move_mount), and copied to
 * the host --out directory once the payload is done: regular files and
 * directories only, never following a link. Where the new mount API is not
 * available (or not root), /out stays a bind and the record says so. */
#ifndef KT_OUTDIR_H
#define KT_OUTDIR_H

#include "../core/err.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct kt_outcopy {
    uint64_t files, bytes, skipped; /* skipped: links, FIFOs, ... not copied */
} kt_outcopy;

/* A detached tmpfs owned by uid/gid; returns its mount fd, or -1 (errno set). */
int kt_outdir_create(uint64_t size, uid_t uid, gid_t gid);
/* Copy the tree under mount fd mfd into host_dir. */
int kt_outdir_copy(int mfd, const char *host_dir, kt_outcopy *out, kt_err *err);

#endif
