/* reach.h - why a path the caller named cannot be used: "does not exist"
 * told apart from "permission denied for uid N (it cannot enter DIR)", so a
 * checkout in a private directory (root's 0700 home) is not reported as a
 * missing file when an unprivileged run cannot traverse its parent. */
#ifndef KT_REACH_H
#define KT_REACH_H

#include "../core/err.h"

/* 0 if path exists and the real uid can reach it (search every directory
 * on the way, read it when want_read). Otherwise -1 with errno set and
 * err->msg the one-line reason alone, without the path ("does not exist",
 * "permission denied for uid 65534 (it cannot enter /root); move it or
 * pass a copy", ...): callers prefix what the path is to them. Class
 * KT_E_NOINPUT for ENOENT, KT_E_DATA otherwise. */
int kt_reach(const char *path, int want_read, kt_err *err);

#endif
