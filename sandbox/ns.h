/* ns.h - namespaces: the clone flags, user-namespace id maps (written by the
 * parent), and the network and UTS namespaces' contents (set by the child). */
#ifndef KT_NS_H
#define KT_NS_H

#include "sandbox.h"

#include <sys/types.h>

/* CLONE_NEW* flags for this sandbox (user namespace only when not root). */
int kt_ns_clone_flags(const kt_sandbox *sb);
/* Parent: map uid/gid inside to the caller outside; setgroups denied. */
int kt_ns_write_maps(const kt_sandbox *sb, pid_t child);
/* Child: bring up loopback (the only interface) and set the hostname. */
int kt_ns_net_uts(void);
/* Whether this kernel lets the caller create a user namespace, and why not. */
int kt_ns_userns_available(char *why, size_t n);

#endif
