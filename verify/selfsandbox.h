/* selfsandbox.h - once the bundle, the keys and the policy are open, the
 * verifier needs only to read and write descriptors it already has, manage
 * memory and exit. This installs a seccomp filter (libseccomp) allowing just
 * that, like OpenBSD's pledge("stdio"): anything else, open() included, fails
 * with EPERM. No-new-privileges is set first, as seccomp requires. */
#ifndef KT_SELFSANDBOX_H
#define KT_SELFSANDBOX_H

#include "../core/err.h"

int kt_self_sandbox(kt_err *err);

/* The same, and writing beneath dirfd (--extract, verify/extract.h): first
 * Landlock confines the file system to making, writing, listing and removing
 * directories and regular files beneath dirfd (nothing else, anywhere); then
 * the filter also allows exactly extract.h's calls: openat with its file or
 * directory flags, mkdirat with its mode, unlinkat, and renameat2 with
 * RENAME_NOREPLACE, each relative to a directory descriptor. Fails with
 * KT_E_CANTCREAT, before anything is written, where the kernel has no
 * Landlock. */
int kt_self_sandbox_beneath(int dirfd, kt_err *err);

/* The kernel's Landlock ABI version, or 0 if it has none. */
int kt_landlock_abi(void);

#endif
