#include "caps.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int kt_caps_no_new_privs(void)
{
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int kt_caps_drop_bounding(void)
{
    /* Walk every capability the kernel knows: PR_CAPBSET_READ says EINVAL past
     * the last one, so newer kernels' capabilities are dropped too. */
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) return 0;
            return -1;
        }
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return -1;
    }
    return 0;
}

int kt_caps_set_identity(const kt_sandbox *sb)
{
    if (!sb->userns && setgroups(0, NULL) < 0) return -1;
    if (setresgid(sb->gid, sb->gid, sb->gid) < 0) return -1;
    if (setresuid(sb->uid, sb->uid, sb->uid) < 0) return -1;
    return 0;
}

int kt_caps_clear(void)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &hdr, data);
}
