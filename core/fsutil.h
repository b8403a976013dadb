/* fsutil.h - small I/O helpers that handle short reads/writes and EINTR. */
#ifndef KT_FSUTIL_H
#define KT_FSUTIL_H

#include "err.h"

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes; -1 with errno set on failure. */
int kt_write_all(int fd, const void *p, size_t n);
/* Read up to n bytes, stopping early only at end of file. Returns the count,
 * or -1 with errno set. */
ssize_t kt_read_full(int fd, void *p, size_t n);
/* Read a whole file of at most cap bytes into a malloc'd NUL-terminated buffer. */
int kt_read_file(const char *path, size_t cap, char **out, size_t *len, kt_err *err);
/* The same from an open descriptor; path names it in messages. */
int kt_read_fd(int fd, size_t cap, const char *path, char **out, size_t *len, kt_err *err);
/* Write text to an existing file (a /proc or cgroup control file); -1 with
 * errno set on failure. */
int kt_write_text(const char *path, const char *text);
/* Open rel under rootfd for reading without following any symlink, in any
 * component (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; O_NOFOLLOW on the
 * last component before Linux 5.6). -1 with errno set (ELOOP, EXDEV, ...). */
int kt_open_beneath(int rootfd, const char *rel);
/* Directory part of path ("." if none) into out. */
void kt_dirname(const char *path, char *out, size_t cap);

#endif
