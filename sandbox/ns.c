#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/fsutil.h"

int kt_ns_clone_flags(const kt_sandbox *sb)
{
    int f = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (sb->netns_fd < 0) f |= CLONE_NEWNET; /* else the child joins the one made ahead */
    if (sb->userns) f |= CLONE_NEWUSER;
    return f;
}

static int write_maps(const kt_sandbox *sb, pid_t child)
{
    char path[64], map[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)sb->uid, (unsigned)sb->outer_uid);
    if (kt_write_text(path, map) < 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)child);
    if (kt_write_text(path, "deny") < 0 && errno != ENOENT) return -1;
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)sb->gid, (unsigned)sb->outer_gid);
    return kt_write_text(path, map);
}

int kt_ns_write_maps(const kt_sandbox *sb, pid_t child, kt_err *err)
{
    if (write_maps(sb, child) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot write the user namespace id maps");
    return 0;
}

int kt_ns_net_uts(kt_err *err)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "loopback: socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    errno = e;
    if (rc < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "bring up loopback");
    if (sethostname("kiemthu", 7) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "set the hostname");
    return 0;
}

int kt_ns_userns_available(kt_err *err)
{
    /* Try it: a throwaway child that unshares a user namespace. Policies
     * (Ubuntu's AppArmor restriction, user.max_user_namespaces=0,
     * kernel.unprivileged_userns_clone=0) all show up as a failure here. */
    pid_t pid = fork();
    if (pid < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "fork");
    if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
    int status;
    if (waitpid(pid, &status, 0) < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "waitpid");
    int e = WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
    if (e == 0) return 0;
    return kt_fail(
        err, KT_E_INTERNAL,
        "not root and the kernel refuses unprivileged user namespaces (%s). On Ubuntu 24.04 an "
        "AppArmor policy restricts them: run as root, or allow them with "
        "'sysctl kernel.apparmor_restrict_unprivileged_userns=0' (or an AppArmor profile "
        "for kiemthu-sandbox); elsewhere check user.max_user_namespaces and "
        "kernel.unprivileged_userns_clone",
        strerror(e));
}
