/* outdir.h - /out, and what becomes of it. Each attempt gets its own /out: a
 * size-capped tmpfs the sandbox's first process creates (fsopen/fsmount, in
 * the sandbox's user namespace when not root) and hands to the runner over a
 * socket before it attaches it, or with --out-size 0 a bind of a directory
 * the runner made for the attempt. When the payload is gone the runner copies
 * /out into the attempt's record (RECORD/<profile>/out/): regular files and
 * directories only, never following a link, within the caps (total apparent
 * bytes, file count, directory count, depth), before the attempt's deadline
 * and unless the runner is told to stop. Everything not copied is recorded by
 * name with the reason; nothing a payload writes can make the copy fail: when
 * the record's own filesystem refuses a write (full, out of inodes) the copy
 * stops and says where and why. */
#ifndef KT_OUTDIR_H
#define KT_OUTDIR_H

#include "../core/err.h"
#include "../core/sha256.h"
#include "sandbox.h"

#include <stdint.h>
#include <sys/types.h>

#define KT_OUT_REFUSED_LISTED 256 /* refusals recorded by name; later ones are counted */
#define KT_OUT_DIR_ENTRIES 65536  /* entries read from one directory */
/* Longest path kept, relative to /out: the record puts it below
 * runs/<run>/<profile>/out/, and kiemthu-bundle create takes paths of up to
 * 4095 bytes (core/name.h); half of that is left for the record's own part. */
#define KT_OUT_PATH_MAX 2048

typedef struct kt_outfile {
    char *name; /* path relative to /out, raw bytes */
    uint64_t size;
    char sha256[KT_SHA256_HEX];
} kt_outfile;

typedef struct kt_outrefusal {
    char *name;         /* path relative to /out, raw bytes */
    const char *reason; /* "symlink", "special file", "size cap", "file cap", "directory cap",
                           "depth cap", ... */
} kt_outrefusal;

typedef struct kt_outcopy {
    kt_outfile *files; /* kept, in the order copied (byte order per directory) */
    size_t nfiles;
    uint64_t bytes; /* total size kept */
    uint64_t dirs;  /* directories made in the record (at most caps->files) */
    kt_outrefusal *refused;
    size_t nrefused;
    uint64_t refused_more; /* refusals past KT_OUT_REFUSED_LISTED */
    const char *stopped;   /* NULL, or why the copy stopped early ("deadline", "signal",
                              "record write failed") */
    int stopped_errno;     /* with "record write failed": the record's errno */
    char *stopped_at;      /* with "record write failed": the path being copied, raw */
} kt_outcopy;

/* What stops a copy early: a deadline (CLOCK_MONOTONIC ms, 0 = none) and a
 * signalfd of the runner's stop signals (-1 = none). */
typedef struct kt_outstop {
    uint64_t deadline_ms;
    int sigfd;
    int signo; /* set when the copy stopped for a signal */
} kt_outstop;

/* A detached tmpfs of size bytes owned by uid/gid, nosuid, nodev and (unless
 * exec) noexec; returns its mount fd, or -1 with err. */
int kt_outdir_make(uint64_t size, uid_t uid, gid_t gid, int exec, kt_err *err);

/* Copy the tree under directory fd src into directory fd dst within caps
 * (directories count against caps->files too, separately from files).
 * A write into dst that fails (ENOSPC, EDQUOT, no inodes: the payload can
 * cause each) stops the copy and is recorded in out, the partial file
 * removed. Returns -1 only when the runner runs out of memory. */
int kt_outdir_copy(int src, int dst, const kt_out_caps *caps, kt_outstop *stop, kt_outcopy *out,
                   kt_err *err);
void kt_outcopy_free(kt_outcopy *c);

/* Copy a tree the runner wrote itself (an attempt's out/) into the host
 * directory fd dst, replacing files of the same name, never following a
 * link; host names it in messages. A name that cannot be published (a
 * directory where the tree has a file, or the reverse) is skipped and the
 * rest published; then -1, err naming the first (encoded) and the count. */
int kt_outdir_publish(int src, int dst, const char *host, kt_err *err);

/* Remove name under directory fd parent and everything beneath it, never
 * following a link, at any depth (one descriptor open at a time; a level is
 * left through ".." only when it is the directory we came from); -1 with err
 * if something could not be removed. */
int kt_tree_remove(int parent, const char *name, kt_err *err);

#endif
