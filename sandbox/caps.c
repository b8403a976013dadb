#include "caps.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int kt_caps_no_new_privs(kt_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "PR_SET_NO_NEW_PRIVS");
    return 0;
}

int kt_caps_drop_bounding(kt_err *err)
{
    /* Walk every capability the kernel knows: PR_CAPBSET_DROP says EINVAL
     * past the last one (one call per capability, no read first), so newer
     * kernels' capabilities are dropped too. */
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
        if (errno == EINVAL && cap > 0 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) return 0;
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "drop capability %d", cap);
    }
    return 0;
}

int kt_caps_set_identity(const kt_sandbox *sb, kt_err *err)
{
    if (!sb->userns && setgroups(0, NULL) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "setgroups");
    if (setresgid(sb->gid, sb->gid, sb->gid) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "setresgid %u", (unsigned)sb->gid);
    if (setresuid(sb->uid, sb->uid, sb->uid) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "setresuid %u", (unsigned)sb->uid);
    return 0;
}

int kt_caps_clear(kt_err *err)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "clear the ambient capabilities");
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &hdr, data) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "clear the capability sets");
    return 0;
}

int kt_caps_fresh_keyrings(const kt_sandbox *sb, kt_err *err)
{
    /* NULL name: a new anonymous session keyring, owned by the payload's uid. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) {
        if (errno == ENOSYS) return 0;
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "join a fresh session keyring");
    }
    /* In a user namespace the user keyrings belong to that namespace and die
     * with it; as root they are uid 65532's for as long as the kernel runs. */
    if (!sb->userns) {
        static const long specs[] = {KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING};
        for (size_t i = 0; i < 2; i++)
            if (syscall(SYS_keyctl, KEYCTL_CLEAR, specs[i]) < 0)
                return kt_fail_errno(err, KT_E_INTERNAL, errno, "empty uid %u's %s keyring",
                                     (unsigned)sb->uid, i ? "user-session" : "user");
    }
    return 0;
}
