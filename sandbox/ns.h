/* ns.h - namespaces: the clone flags, user-namespace id maps (written by the
 * parent), and the network and UTS namespaces' contents (set by the child). */
#ifndef KT_NS_H
#define KT_NS_H

#include "../core/err.h"
#include "sandbox.h"

#include <sys/types.h>

/* CLONE_NEW* flags for this sandbox (user namespace only when not root;
 * no network namespace when one was made ahead: sb->netns_fd). */
int kt_ns_clone_flags(const kt_sandbox *sb);
/* Parent: map uid/gid inside to the caller outside; setgroups denied. */
int kt_ns_write_maps(const kt_sandbox *sb, pid_t child, kt_err *err);
/* Child: bring up loopback (the only interface) and set the hostname. */
int kt_ns_net_uts(kt_err *err);
/* 0 if this kernel lets the caller create a user namespace; else -1 and err
 * says why and what to do. */
int kt_ns_userns_available(kt_err *err);

#endif
