/* selfsandbox.h - once the bundle, the keys and the policy are open, the
 * verifier needs only to read and write descriptors it already has, manage
 * memory and exit. This installs a seccomp filter (libseccomp) allowing just
 * that, like OpenBSD's pledge("stdio"): anything else, open() included, fails
 * with EPERM. No-new-privileges is set first, as seccomp requires. */
#ifndef KT_SELFSANDBOX_H
#define KT_SELFSANDBOX_H

#include "../core/err.h"

int kt_self_sandbox(kt_err *err);

#endif
