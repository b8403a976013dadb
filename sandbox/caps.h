/* caps.h - privileges: no-new-privileges, identity, capability sets, kernel
 * keyrings. Each function runs in the child, in the order child.c lists; each
 * returns 0, or -1 with err naming the step. */
#ifndef KT_CAPS_H
#define KT_CAPS_H

#include "../core/err.h"
#include "sandbox.h"

/* PR_SET_NO_NEW_PRIVS; failure is fatal. */
int kt_caps_no_new_privs(kt_err *err);
/* Empty the bounding set (needs CAP_SETPCAP, so before the identity change). */
int kt_caps_drop_bounding(kt_err *err);
/* setgroups([]) -> setresgid -> setresuid, in that order (as root);
 * in a user namespace the ids are already mapped and groups are denied. */
int kt_caps_set_identity(const kt_sandbox *sb, kt_err *err);
/* Clear ambient, then effective/permitted/inheritable. */
int kt_caps_clear(kt_err *err);
/* A fresh, empty session keyring (as runc gives every container), so keys in
 * the runner's session keyring (systemd services, ssh, PAM) are not the
 * payload's to read. As root, where uid 65532's user keyrings outlive a run,
 * also empty them, so one run cannot leave keys for the next. A kernel
 * without keyrings (ENOSYS) has nothing to isolate. After the identity change. */
int kt_caps_fresh_keyrings(const kt_sandbox *sb, kt_err *err);

#endif
