#include "child.h"

#include "../core/fsutil.h"
#include "../core/name.h"
#include "caps.h"
#include "cgroup.h"
#include "fs.h"
#include "ns.h"
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static __attribute__((noreturn)) void report(int fd, int kind, int e, const char *what)
{
    kt_child_report r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.err = e;
    snprintf(r.what, sizeof r.what, "%s", what);
    kt_write_all(fd, &r, sizeof r);
    _exit(127);
}

static __attribute__((noreturn)) void setup_failed(int fd, const kt_err *err)
{
    report(fd, KT_REPORT_SETUP, 0, err->msg);
}

/* PATH search as the payload will see it (after the root switch). */
static int resolve(const kt_sandbox *sb, char *out, size_t n)
{
    const char *cmd = sb->argv[0];
    if (strchr(cmd, '/')) return snprintf(out, n, "%s", cmd), 0;
    const char *path = sb->envp[0] + strlen("PATH=");
    int e = ENOENT;
    while (*path) {
        size_t len = strcspn(path, ":");
        snprintf(out, n, "%.*s/%s", (int)len, path, cmd);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0) return 0;
            e = EACCES;
        }
        path += len + (path[len] == ':');
    }
    errno = e;
    return -1;
}

/* Die with the runner. Set after the identity change, which clears it (the
 * kernel resets the parent-death signal on any change of credentials), then
 * checked against the runner already being gone: its end of the sync pipe
 * is closed only when it exits. */
static int die_with_runner(int sync_fd, kt_err *err)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "PR_SET_PDEATHSIG");
    struct pollfd p = {sync_fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
        return kt_fail(err, KT_E_INTERNAL, "the runner is gone");
    return 0;
}

/* /out as a size-capped tmpfs, made here (in our user namespace when not
 * root, where the runner could not) and handed to the runner before it is
 * attached: the runner copies it into the record after we are gone. */
static int make_out(kt_sandbox *sb, int sock, kt_err *err)
{
    if (!sb->out_dir || !sb->out_size) return 0;
    int mfd = kt_outdir_make(sb->out_size, sb->uid, sb->gid, sb->out_exec, err);
    if (mfd < 0) {
        return kt_fail(err, KT_E_INTERNAL, "%s; --out-size 0 binds a directory instead", err->msg);
    }
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"o", 1};
    struct msghdr m = {NULL, 0, &iov, 1, cbuf, sizeof cbuf, 0};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &mfd, sizeof(int));
    if (sendmsg(sock, &m, MSG_NOSIGNAL) != 1)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "hand /out to the runner");
    sb->out_mfd = mfd;
    return 0;
}

static long install(const kt_bpf *b, unsigned extra_flags)
{
    struct sock_fprog prog = {b->len, b->insns};
    /* args[3..5] zero, not whatever the registers held (kt_filter_lets_seccomp
     * does not rely on them either: a filter that reads them goes second) */
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, b->flags | extra_flags, &prog, 0L, 0L, 0L);
}

/* stdio: /dev/null in, the capture pipes out. No other descriptor reaches
 * the payload (the status pipe is close-on-exec already). */
static void descriptors(const kt_child_io *io)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(io->out_w, 1) < 0 || dup2(io->err_w, 2) < 0)
        report(io->status_fd, KT_REPORT_SETUP, errno, "stdio");
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (int fd = 3; fd < 4096; fd++)
            if (fd != io->status_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* The profile's filter, as the runner sends it after "a" (child.h). An
 * oversized one is the kernel's EINVAL, as installing it would be. */
static void receive_profile(int sync_fd, int st, kt_bpf *out, int *listen, int *baseline_first)
{
    static struct sock_filter prog[BPF_MAXINSNS];
    kt_child_go go;
    if (kt_read_full(sync_fd, &go, sizeof go) != (ssize_t)sizeof go)
        report(st, KT_REPORT_SETUP, errno, "receive the seccomp filter");
    if (go.len > BPF_MAXINSNS) report(st, KT_REPORT_SETUP, EINVAL, "install the seccomp filter");
    size_t n = (size_t)go.len * sizeof prog[0];
    if (kt_read_full(sync_fd, prog, n) != (ssize_t)n)
        report(st, KT_REPORT_SETUP, errno, "receive the seccomp filter");
    *out = (kt_bpf){go.len ? prog : NULL, go.len, go.flags};
    *listen = go.listen;
    *baseline_first = go.baseline_first;
}

static void install_baseline(const kt_bpf *baseline, int st)
{
    if (baseline && install(baseline, 0) < 0)
        report(st, KT_REPORT_SETUP, errno, "install the baseline seccomp filter");
}

/* The profile first, the baseline after: where both answer ERRNO the kernel
 * takes the answer of the filter installed last, so clone3 gets the
 * baseline's ENOSYS (glibc then falls back to clone, whose flags the
 * baseline can see) even where a profile says EPERM. A profile that denies
 * seccomp(2) itself would refuse the baseline: then the baseline goes first
 * (the runner decided, and run.json says so), and the profile's errno is the
 * answer where both deny. */
static void install_filters(const kt_bpf *baseline, const kt_bpf *profile, int exec_once,
                            int baseline_first, int st)
{
    if (baseline_first) install_baseline(baseline, st);
    if (profile->len) {
        unsigned listen = exec_once ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
        long lfd = install(profile, listen);
        if (lfd < 0) report(st, KT_REPORT_SETUP, errno, "install the seccomp filter");
        if (listen) {
            /* The runner takes the listener with pidfd_getfd; our execve
             * waits until it says the first exec may continue. */
            unsigned char msg[1 + sizeof(int)] = {KT_CHILD_LISTENER};
            int n = (int)lfd;
            memcpy(msg + 1, &n, sizeof n);
            if (write(st, msg, sizeof msg) != (ssize_t)sizeof msg) _exit(127);
        }
    }
    if (!baseline_first) install_baseline(baseline, st);
}

/* The working directory cannot be entered. The image or --chdir chose it:
 * named in the member-name encoding, as ladder.json's runner_error shows
 * names that are not ours. */
static __attribute__((noreturn)) void workdir_failed(const char *dir, int st)
{
    int e = errno;
    char what[sizeof(((kt_err *)0)->msg)], enc[3 * PATH_MAX + 1];
    kt_err ignored;
    if (kt_name_encode(dir, enc, sizeof enc, &ignored) < 0) snprintf(enc, sizeof enc, "?");
    snprintf(what, sizeof what, "working directory %.740s", enc);
    report(st, KT_REPORT_SETUP, e, what);
}

/* The checklist, in security order. Nothing here returns. */
void kt_child_main(kt_sandbox *sb, const kt_child_filters *f, const kt_child_io *io)
{
    kt_err err;
    kt_err_clear(&err);
    int st = io->status_fd;
    char go;
    /* 0. Into the network namespace made ahead (netprep.h), before anything
     * else: until then we are in the runner's. */
    if (sb->netns_fd >= 0 && setns(sb->netns_fd, CLONE_NEWNET) < 0)
        report(st, KT_REPORT_SETUP, errno, "join the sandbox's network namespace");
    if (sb->netns_fd >= 0) close(sb->netns_fd);
    /* 1. Not root: wait until the runner has written our id maps. */
    if (sb->userns && read(io->sync_fd, &go, 1) != 1)
        report(st, KT_REPORT_SETUP, errno, "wait for the runner");
    /* 2. No new privileges, first and fatal: nothing below can gain any. */
    if (kt_caps_no_new_privs(&err) < 0) setup_failed(st, &err);
    /* 3. Into our cgroup v1 groups before anything else runs here (a v2
     * group we were born in); cgroup.h says why we move ourselves. */
    if (kt_cgroup_join_v1(io->cg, &err) < 0) setup_failed(st, &err);
    if (io->joined_fd >= 0) { /* the runner may get busy now */
        (void)!write(io->joined_fd, &(uint64_t){1}, sizeof(uint64_t));
        close(io->joined_fd);
    }
    /* 4. A session of our own: the terminal's job-control signals reach the
     * runner, which decides how the sandbox ends. */
    if (setsid() < 0) report(st, KT_REPORT_SETUP, errno, "setsid");
    /* 5. The filesystem, while we still may mount: /out first (the runner
     * keeps a handle on it), then the new root. */
    if (make_out(sb, io->out_sock, &err) < 0) setup_failed(st, &err);
    close(io->out_sock);
    if (kt_fs_setup(sb, &err) < 0) setup_failed(st, &err);
    /* 6. Loopback up (the only interface), hostname. */
    if (kt_ns_net_uts(&err) < 0) setup_failed(st, &err);
    /* 7. Empty the bounding set while CAP_SETPCAP is still held. */
    if (kt_caps_drop_bounding(&err) < 0) setup_failed(st, &err);
    /* 8. Identity: groups, gid, uid, in that order. */
    if (kt_caps_set_identity(sb, &err) < 0) setup_failed(st, &err);
    /* 9. Ambient, effective, permitted, inheritable: all empty. */
    if (kt_caps_clear(&err) < 0) setup_failed(st, &err);
    /* 10. Die with the runner (after 8, which would clear it). */
    if (die_with_runner(io->sync_fd, &err) < 0) setup_failed(st, &err);
    /* 11. Keys: a fresh session keyring; uid 65532's user keyrings empty. */
    if (kt_caps_fresh_keyrings(sb, &err) < 0) setup_failed(st, &err);
    /* 12. The working directory (--chdir, or an image's WorkingDir), entered
     * as the payload's uid, which must be let in, as under docker run. */
    if (sb->workdir && chdir(sb->workdir) < 0) workdir_failed(sb->workdir, st);
    /* 13. stdio: /dev/null in, the capture pipes out; 14. no other
     * descriptor reaches the payload. */
    descriptors(io);
    /* 15. In every cgroup before anything of the payload runs: where we
     * could not be born into the v2 group, the runner moved us in while we
     * set up, and says "a" when done; end of file: it failed or died. */
    if (read(io->sync_fd, &go, 1) != 1 || go != 'a')
        report(st, KT_REPORT_SETUP, errno, "wait to be put into the cgroups");
    kt_bpf profile;
    int listen, baseline_first;
    receive_profile(io->sync_fd, st, &profile, &listen, &baseline_first);
    /* 16. The program, as the payload's uid sees it. */
    char path[4096];
    if (resolve(sb, path, sizeof path) < 0) report(st, KT_REPORT_EXEC, errno, sb->argv[0]);
    /* 17. Limits no cgroup enforces; nothing below allocates memory (no
     * kt_err here: report() sends errno). */
    if (kt_limits_fallback(sb, NULL) < 0) report(st, KT_REPORT_SETUP, errno, "rlimits");
    /* 18. The runner blocked its stop signals before the fork (it handles
     * them through a signalfd); the payload starts with none blocked. */
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) report(st, KT_REPORT_SETUP, errno, "sigmask");
    if (prctl(PR_SET_NAME, io->exec_tag) < 0) report(st, KT_REPORT_SETUP, errno, "PR_SET_NAME");
    if (write(st, &(char){KT_CHILD_READY}, 1) != 1) _exit(127);
    /* 19. Seccomp last: compiled by the runner (the baseline before the
     * fork, the profile while we set up), installed just before exec, so a
     * profile that denies execve denies the payload's own exec. */
    install_filters(f->baseline, &profile, listen, baseline_first, st);
    execve(path, sb->argv, sb->envp);
    report(st, KT_REPORT_EXEC, errno, path);
}
