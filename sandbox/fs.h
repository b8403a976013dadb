/* fs.h - the sandbox's filesystem, built in its private mount namespace:
 * a read-only root (a fresh tmpfs holding read-only binds of /usr and its
 * merged-usr links, /etc/alternatives and /etc/ld.so.cache, or a read-only
 * bind of --rootfs), a new /proc for the
 * PID namespace with /proc/sys read-only, a minimal /dev (null, zero, full,
 * random, urandom), /tmp as tmpfs rw,noexec,nosuid,nodev,size=16m, /in
 * read-only, /out writable, and the extra read-only binds. Never /home,
 * /root, /run, /var/run, a docker socket or the caller's working directory. */
#ifndef KT_FS_H
#define KT_FS_H

#include "../core/err.h"
#include "sandbox.h"

/* In the child, before any identity change; err says which step failed. */
int kt_fs_setup(const kt_sandbox *sb, kt_err *err);

#endif
