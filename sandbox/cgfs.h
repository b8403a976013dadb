/* cgfs.h - cgroup files and groups, for cgroup.c, cghost.c and cghits.c
 * (internal; the module's API is cgroup.h). */
#ifndef KT_CGFS_H
#define KT_CGFS_H

#include <stddef.h>

/* Write text into dir/file; 0 or -1 with errno. */
int kt_cg_write(const char *dir, const char *file, const char *text);
/* Read dir/file (at most n - 1 bytes, NUL-terminated); 0 or -1. */
int kt_cg_read(const char *dir, const char *file, char *buf, size_t n);
/* Kill what is left in the group, wait for it to empty (dying tasks can
 * keep it busy for a while on a loaded machine: a deadline of 30 s with
 * backoff, not a fixed number of tries), remove it. 0, or 1 if it stays. */
int kt_cg_remove(const char *dir);

#endif
