/* reach.h - why a path the caller named cannot be used: "does not exist"
 * told apart from "permission denied for uid N (it cannot enter DIR)", so a
 * checkout in a private directory (root's 0700 home) is not reported as a
 * missing file when an unprivileged run cannot traverse its parent. */
#ifndef KT_REACH_H
#define KT_REACH_H

#include <stddef.h>

/* 0 if path exists and the real uid can reach it (search every directory
 * on the way, read it when want_read). Otherwise -1 with errno set and a
 * one-line reason in why ("does not exist", "permission denied for uid
 * 65534 (it cannot enter /root); move it or pass a copy", ...). */
int kt_reach(const char *path, int want_read, char *why, size_t n);

#endif
