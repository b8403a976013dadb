/* beneath.h - filesystem steps that cannot leave a root directory: open a
 * directory by a relative path beneath a root descriptor, and remove a tree
 * without following any link. Used on trees made from hostile images. */
#ifndef KT_BENEATH_H
#define KT_BENEATH_H

/* Open directory rel ("" = the root itself) beneath rootfd, O_RDONLY |
 * O_DIRECTORY | O_CLOEXEC. With openat2 (RESOLVE_BENEATH,
 * RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV) a symlink inside the root is
 * followed as long as it stays inside; without it (*walk set, or the kernel
 * says ENOSYS, which sets *walk) one O_NOFOLLOW component at a time, and any
 * symlink is refused. Returns the descriptor, or -1 with errno: EXDEV or
 * ELOOP when the path would leave the root or runs through a symlink the
 * walk refuses, ENOTDIR, ENOENT, ... */
int kt_open_dir_beneath(int rootfd, const char *rel, int *walk);

/* Remove name in directory dfd and, if it is a directory, everything in it,
 * never following a symlink; directories we may not enter are made 0700
 * first. depth bounds the recursion (ELOOP beyond). 0, or -1 with errno. */
int kt_rmtree_at(int dfd, const char *name, int depth);

#endif
