/* The side doors a namespace sandbox leaves open unless a filter closes
 * them, each tried from inside: io_uring (which makes sockets and opens
 * files in the kernel, past any seccomp filter), AF_VSOCK and the other
 * address families no CI payload needs, the kernel keyrings (not
 * namespaced), new namespaces (in a user namespace the payload would hold
 * every capability and could mount), and the new mount API. Calls that could
 * succeed run in a child that exits at once; the rest use invalid arguments,
 * so an unfiltered call fails in the kernel with a different errno than the
 * filter's. */
#include "probe.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* errno of fn() in a child (0 if it succeeded); the child exits at once, so
 * whatever fn created (a ring, a namespace) goes with it. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid < 0) return -2;
    if (pid == 0) {
        alarm(2);
        _exit(fn() & 0xff);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st)) return -3;
    return WEXITSTATUS(st);
}

static int ring(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    return syscall(SYS_io_uring_setup, 1, &p) < 0 ? errno : 0;
}

static int clone_flags(unsigned long flags)
{
    long r = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (r == 0) _exit(0); /* the grandchild: in a new namespace, leave */
    if (r < 0) return errno;
    waitpid((pid_t)r, NULL, 0);
    return 0;
}
static int clone_user(void)
{
    return clone_flags(CLONE_NEWUSER);
}
static int clone_user_mount(void)
{
    return clone_flags(CLONE_NEWUSER | CLONE_NEWNS);
}
static int unshare_user(void)
{
    return unshare(CLONE_NEWUSER) < 0 ? errno : 0;
}

/* A call made with arguments the kernel would refuse. */
typedef struct call {
    const char *name;
    long nr;
    long a[6];
} call;

static void add_errno(probe_ctx *c, const char *id, const char *expect, int e)
{
    probe_add(c, id, expect, e > 0, "%s", e > 0 ? strerror(e) : e == 0 ? "succeeded" : "no answer");
}

/* Each call must fail with what the filters answer for it (not the kernel's
 * EBADF/EFAULT/EINVAL/ENOENT for the invalid arguments). */
static void filtered(probe_ctx *c, const char *id, const char *expect, const call *calls, size_t n)
{
    char bad[300] = "";
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        errno = 0;
        long r = syscall(calls[i].nr, calls[i].a[0], calls[i].a[1], calls[i].a[2], calls[i].a[3],
                         calls[i].a[4], calls[i].a[5]);
        int e = r < 0 ? errno : 0, want = probe_filter_errno(c, calls[i].name, calls[i].a);
        if (e != 0 && (e == want || (want <= 0 && e == EPERM))) continue;
        ok = 0;
        if (strlen(bad) < sizeof bad - 48) {
            char one[64];
            snprintf(one, sizeof one, "%s%s: %s", bad[0] ? "; " : "", calls[i].name,
                     e ? strerror(e) : "succeeded");
            strcat(bad, one);
        }
    }
    probe_add(c, id, expect, ok, "%s", ok ? "all denied by the filter" : bad);
}

static void keyrings(probe_ctx *c)
{
    static const call calls[] = {
        {"keyctl", SYS_keyctl, {-1, -1, -1, -1, -1, -1}},
        {"add_key", SYS_add_key, {-1, -1, -1, -1, -1, -1}},
        {"request_key", SYS_request_key, {-1, -1, -1, -1, -1, -1}},
    };
    filtered(c, "keyring-denied", "keyctl, add_key, request_key fail (the filter's errno)", calls,
             3);
    /* Where keyctl works after all, the session keyring must at least be a
     * fresh, empty one: not the runner's. */
    long n = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, NULL, 0);
    int e = n < 0 ? errno : 0;
    probe_add(c, "keyring-session-empty", "no keys reachable in the session keyring", n <= 0, "%s",
              n < 0    ? strerror(e)
              : n == 0 ? "empty"
                       : "holds keys");
}

static void mount_api(probe_ctx *c)
{
    static const call calls[] = {
        {"fsconfig", SYS_fsconfig, {-1, 0, 0, 0, 0, 0}},
        {"fsmount", SYS_fsmount, {-1, 0, 0, 0, 0, 0}},
        {"move_mount", SYS_move_mount, {-1, 0, -1, 0, 0, 0}},
        {"mount_setattr", SYS_mount_setattr, {-1, 0, 0, 0, 0, 0}},
        {"open_tree", SYS_open_tree, {-1, 0, 0, 0, 0, 0}},
    };
    filtered(c, "mount-api-denied", "fsconfig, fsmount, move_mount, mount_setattr, open_tree fail",
             calls, 5);
}

/* PID 1 dies with the runner through the parent-death signal it set
 * (SIGKILL); a payload that could clear it outlived a killed runner. The
 * change is tried in a child (whose own setting is cleared by fork, so
 * nothing of ours changes even where the filter lets it through). */
static int clear_pdeathsig(void)
{
    return prctl(PR_SET_PDEATHSIG, 0) < 0 ? errno : 0;
}

/* The same with the option's upper 32 bits set: the kernel reads an int. */
static int clear_pdeathsig_hi(void)
{
    return syscall(SYS_prctl, 0x100000000L | PR_SET_PDEATHSIG, 0L, 0L, 0L, 0L) < 0 ? errno : 0;
}

static void pdeathsig(probe_ctx *c)
{
    int sig = -1;
    if (prctl(PR_GET_PDEATHSIG, &sig) < 0) sig = -1;
    static const long args[6] = {PR_SET_PDEATHSIG, 0, 0, 0, 0, 0};
    static const long hi[6] = {0x100000000L | PR_SET_PDEATHSIG, 0, 0, 0, 0, 0};
    int want = probe_filter_errno(c, "prctl", args), e = in_child(clear_pdeathsig);
    int want_hi = probe_filter_errno(c, "prctl", hi), e_hi = in_child(clear_pdeathsig_hi);
    probe_add(c, "pdeathsig-kept",
              "PID 1 has parent-death signal SIGKILL and cannot clear it (prctl fails)",
              getpid() == 1 && sig == SIGKILL && e > 0 && e == want && e_hi > 0 && e_hi == want_hi,
              "pid %d, parent-death signal %d, clearing it: %s; with option 0x100000001: %s",
              (int)getpid(), sig,
              e > 0    ? strerror(e)
              : e == 0 ? "succeeded"
                       : "no answer",
              e_hi > 0    ? strerror(e_hi)
              : e_hi == 0 ? "succeeded"
                          : "no answer");
}

void probes_escape(probe_ctx *c)
{
    add_errno(c, "io-uring-denied", "io_uring_setup fails", in_child(ring));
    int e = 0, bad = 0;
    char got[200] = "";
    /* Every family but unix, inet, inet6 and netlink (and 0, AF_UNSPEC). */
    for (int fam = 3; fam < 64; fam++) {
        if (fam == AF_INET6 || fam == AF_NETLINK) continue;
        int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 && errno == ESOCKTNOSUPPORT) fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 && errno == ESOCKTNOSUPPORT) fd = socket(fam, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            close(fd);
            bad++;
            if (strlen(got) < sizeof got - 8) snprintf(got + strlen(got), 8, " %d", fam);
        } else if (fam == AF_VSOCK) {
            e = errno;
        }
    }
    probe_add(c, "vsock-denied", "an AF_VSOCK socket cannot be created", e != 0, "%s",
              e ? strerror(e) : "socket created");
    probe_add(c, "socket-families-denied",
              "no socket of a family other than unix, inet, inet6, netlink", bad == 0, "%s%s",
              bad ? "created for family" : "none created", got);
    keyrings(c);
    add_errno(c, "userns-denied", "clone(CLONE_NEWUSER) fails", in_child(clone_user));
    add_errno(c, "userns-mount-denied", "clone(CLONE_NEWUSER|CLONE_NEWNS) fails",
              in_child(clone_user_mount));
    add_errno(c, "unshare-userns-denied", "unshare(CLONE_NEWUSER) fails", in_child(unshare_user));
    static const call clone3[] = {
        {"clone3", SYS_clone3, {0, 0, 0, 0, 0, 0}}}; /* unfiltered: EINVAL */
    filtered(c, "clone3-denied", "clone3 fails with the filter's errno (ENOSYS: libc falls back)",
             clone3, 1);
    mount_api(c);
    pdeathsig(c);
}
