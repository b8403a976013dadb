/* newfile.h - a file that must not exist yet, written whole or not at all.
 *
 * The bytes go into an unnamed file (O_TMPFILE; where the file system has
 * none, a hidden ".NAME.tmp-PID-N" made O_EXCL) that is linked to NAME only
 * once complete. link(2) never replaces: an existing NAME — a file, a
 * directory, a symbolic link — stays as it is and the call fails with EEXIST.
 * Nothing is followed, nothing half-written is ever under NAME, and a run
 * killed midway leaves nothing behind (with O_TMPFILE). */
#ifndef KT_NEWFILE_H
#define KT_NEWFILE_H

#include "err.h"

#include <stddef.h>
#include <sys/types.h>

/* Write p[0..n) as dirfd/name with mode. dir names dirfd in messages. -1
 * with err (KT_E_CANTCREAT, or KT_E_IO for a failed write); errno is EEXIST
 * when name exists. */
int kt_write_new(int dirfd, const char *dir, const char *name, const void *p, size_t n, mode_t mode,
                 kt_err *err);

#endif
