/* paths.h - host paths the caller names, before anything runs. */
#ifndef KT_PATHS_H
#define KT_PATHS_H

#include <stddef.h>
#include <sys/types.h>

/* The absolute, symlink-free form of path, which need not exist yet: the
 * longest existing prefix through realpath, the rest normalised lexically
 * (a part that does not exist cannot be a link). -1 with errno. */
int kt_path_absolute(const char *path, char *out, size_t n);
/* 1 if a and b (both from kt_path_absolute) are equal or one is inside the other. */
int kt_path_overlap(const char *a, const char *b);
/* mkdir -p; -1 with errno. */
int kt_mkdir_parents(const char *path, mode_t mode);

#endif
