/* caps.h - privileges: no-new-privileges, identity, capability sets.
 * Each function runs in the child, in the order spawn.c lists. */
#ifndef KT_CAPS_H
#define KT_CAPS_H

#include "sandbox.h"

/* PR_SET_NO_NEW_PRIVS; -1 (errno set) on failure, which is fatal. */
int kt_caps_no_new_privs(void);
/* Empty the bounding set (needs CAP_SETPCAP, so before the identity change). */
int kt_caps_drop_bounding(void);
/* setgroups([]) -> setresgid -> setresuid, in that order (as root);
 * in a user namespace the ids are already mapped and groups are denied. */
int kt_caps_set_identity(const kt_sandbox *sb);
/* Clear ambient, then effective/permitted/inheritable. */
int kt_caps_clear(void);

#endif
