#include "spawn.h"

#include "../core/fsutil.h"
#include "caps.h"
#include "cgroup.h"
#include "fs.h"
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The status pipe (close-on-exec): the child writes READY just before it
 * installs the filter and calls execve, and a report if something fails.
 * READY then end of file: execve succeeded. A report: setup failed or the
 * payload could not start. Nothing at all: the child died during setup,
 * which is the runner's failure, never "started". */
#define READY 'R'
#define LISTENER 'L' /* then an int: the seccomp listener's fd number, for pidfd_getfd */
enum { REPORT_SETUP = 1, REPORT_EXEC = 2 };
struct report {
    int kind;
    int err;
    char what[160];
};

static __attribute__((noreturn)) void child_report(int fd, int kind, int e, const char *what)
{
    struct report r = {kind, e, {0}};
    snprintf(r.what, sizeof r.what, "%s", what);
    kt_write_all(fd, &r, sizeof r);
    _exit(127);
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

/* The checklist, in security order. Nothing here returns. */
static __attribute__((noreturn)) void child_main(kt_sandbox *sb, const kt_bpf *filter, int sync_fd,
                                                 int status_fd, int out_w, int err_w)
{
    kt_stage st = {{0}, 0};
    char go;
    /* 1. Wait until the parent has written our id maps and cgroups. */
    if (read(sync_fd, &go, 1) != 1) child_report(status_fd, REPORT_SETUP, errno, "wait for runner");
    close(sync_fd);
    /* 2. Die with the runner. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_report(status_fd, REPORT_SETUP, errno, "PR_SET_PDEATHSIG");
    /* 3. No new privileges, first and fatal: nothing below can gain any. */
    if (kt_caps_no_new_privs() < 0)
        child_report(status_fd, REPORT_SETUP, errno, "PR_SET_NO_NEW_PRIVS");
    /* 4. The filesystem, while we still may mount. */
    if (kt_fs_setup(sb, &st) < 0) child_report(status_fd, REPORT_SETUP, st.err, st.what);
    /* 5. Loopback up (the only interface), hostname. */
    if (kt_ns_net_uts() < 0) child_report(status_fd, REPORT_SETUP, errno, "loopback/hostname");
    /* 6. Empty the bounding set while CAP_SETPCAP is still held. */
    if (kt_caps_drop_bounding() < 0)
        child_report(status_fd, REPORT_SETUP, errno, "drop capability bounding set");
    /* 7. Identity: groups, gid, uid, in that order. */
    if (kt_caps_set_identity(sb) < 0) child_report(status_fd, REPORT_SETUP, errno, "set uid/gid");
    /* 8. Ambient, effective, permitted, inheritable: all empty. */
    if (kt_caps_clear() < 0) child_report(status_fd, REPORT_SETUP, errno, "clear capabilities");
    /* 9. stdio: /dev/null in, the capture pipes out. */
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
        child_report(status_fd, REPORT_SETUP, errno, "stdio");
    /* 10. No other descriptor reaches the payload (the status pipe is
     * close-on-exec already). */
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (int fd = 3; fd < 4096; fd++)
            if (fd != status_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    /* 11. The program, as the payload's uid sees it. */
    char path[4096];
    if (resolve(sb, path, sizeof path) < 0)
        child_report(status_fd, REPORT_EXEC, errno, sb->argv[0]);
    /* 12. Limits no cgroup enforces; nothing below allocates memory. */
    if (kt_limits_fallback(sb) < 0) child_report(status_fd, REPORT_SETUP, errno, "rlimits");
    if (write(status_fd, &(char){READY}, 1) != 1) _exit(127);
    /* 13. Seccomp last: compiled before the fork, installed just before exec,
     * so a profile that denies execve denies the payload's own exec. */
    if (filter) {
        struct sock_fprog prog = {filter->len, filter->insns};
        unsigned flags =
            filter->flags | (sb->exec_once_errno ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
        long lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (lfd < 0) child_report(status_fd, REPORT_SETUP, errno, "install the seccomp filter");
        if (sb->exec_once_errno) {
            /* The runner takes the listener with pidfd_getfd; our execve below
             * waits until it says the first exec may continue. */
            unsigned char msg[1 + sizeof(int)] = {LISTENER};
            int n = (int)lfd;
            memcpy(msg + 1, &n, sizeof n);
            if (write(status_fd, msg, sizeof msg) != (ssize_t)sizeof msg) _exit(127);
        }
    }
    execve(path, sb->argv, sb->envp);
    child_report(status_fd, REPORT_EXEC, errno, path);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
    return now_us() / 1000;
}

/* Move what a pipe has into the capture file, keeping at most cap bytes. */
static int drain(int from, int to, size_t cap, uint64_t *bytes, uint64_t *stored)
{
    char buf[65536];
    ssize_t r = read(from, buf, sizeof buf);
    if (r <= 0) return r < 0 && errno == EINTR ? 1 : 0; /* 0: closed */
    *bytes += (uint64_t)r;
    if (*stored < cap) {
        size_t keep = (size_t)r < cap - *stored ? (size_t)r : cap - *stored;
        if (kt_write_all(to, buf, keep) < 0) return -1;
        *stored += keep;
    }
    return 1;
}

/* One exec notification: the payload's own first exec continues; every other
 * exec, by any process in the sandbox, gets the profile's errno. Returns -1
 * when the listener is finished (the sandbox is gone). */
static int answer_exec(int listener, pid_t payload, int deny_errno, kt_run *run)
{
    struct seccomp_notif_sizes sz;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) return -1;
    struct seccomp_notif *req =
        calloc(1, sz.seccomp_notif > sizeof *req ? sz.seccomp_notif : sizeof *req);
    struct seccomp_notif_resp *resp =
        calloc(1, sz.seccomp_notif_resp > sizeof *resp ? sz.seccomp_notif_resp : sizeof *resp);
    int rc = -1;
    if (!req || !resp) goto out;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
        rc = errno == EINTR || errno == ENOENT ? 0 : -1; /* ENOENT: the caller died meanwhile */
        goto out;
    }
    resp->id = req->id;
    if (!run->first_exec_allowed && (pid_t)req->pid == payload) {
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        run->first_exec_allowed = 1;
    } else {
        resp->error = -deny_errno;
        run->execs_denied++;
    }
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT) goto out;
    rc = 0;
out:
    free(req);
    free(resp);
    return rc;
}

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0) close(p[i]), p[i] = -1;
}

int kt_spawn(kt_sandbox *sb, const kt_bpf *filter, int out_fd, int err_fd, const char *tag,
             kt_run *run, kt_err *err)
{
    memset(run, 0, sizeof *run);
    run->exit_code = -1;
    int syncp[2] = {-1, -1}, statp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (pipe2(syncp, O_CLOEXEC) < 0 || pipe2(statp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
        pipe2(errp, O_CLOEXEC) < 0) {
        kt_fail_errno(err, KT_E_INTERNAL, errno, "pipe");
        close_pair(syncp), close_pair(statp), close_pair(outp), close_pair(errp);
        return -1;
    }
    kt_cgroup cg;
    uint64_t c0 = now_us(), start_us = c0;
    if (kt_cgroup_setup(&cg, sb, tag, err) < 0) {
        close_pair(syncp), close_pair(statp), close_pair(outp), close_pair(errp);
        return -1;
    }
    snprintf(run->cgroup_why, sizeof run->cgroup_why, "%s", cg.why);
    run->cgroup_us = now_us() - c0;
    sb->ncgroup_views = 0;
    const struct {
        const char *dir, *dst;
    } views[] = {{cg.v2, "/sys/fs/cgroup"},
                 {cg.pids, "/sys/fs/cgroup/pids"},
                 {cg.mem, "/sys/fs/cgroup/memory"},
                 {cg.cpu, "/sys/fs/cgroup/cpu"}};
    for (size_t i = 0; i < 4; i++)
        if (views[i].dir[0])
            sb->cgroup_views[sb->ncgroup_views++] = (kt_bind){views[i].dir, views[i].dst};
    sb->out_mfd = -1;
    if (sb->out_dir && sb->out_size) {
        if (sb->userns) {
            run->out_errno = EPERM; /* the new mount API needs root here */
        } else if ((sb->out_mfd = kt_outdir_create(sb->out_size, sb->uid, sb->gid)) < 0) {
            run->out_errno = errno;
        } else {
            run->out_capped = 1;
        }
    }
    uint64_t t0 = now_ms();
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD | kt_ns_clone_flags(sb), NULL, NULL, NULL, NULL);
    if (pid == 0) {
        close(syncp[1]), close(statp[0]), close(outp[0]), close(errp[0]);
        child_main(sb, filter, syncp[0], statp[1], outp[1], errp[1]);
    }
    int rc = -1;
    close(syncp[0]), close(statp[1]), close(outp[1]), close(errp[1]);
    syncp[0] = statp[1] = outp[1] = errp[1] = -1;
    if (pid < 0) {
        kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot create the sandbox namespaces (clone)");
        goto out;
    }
    if (sb->userns && kt_ns_write_maps(sb, pid) < 0) {
        kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot write the user namespace id maps");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out;
    }
    c0 = now_us();
    int attached = kt_cgroup_attach(&cg, pid, err);
    run->cgroup_us += now_us() - c0;
    if (attached < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out;
    }
    if (write(syncp[1], "g", 1) != 1) {
        kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot start the sandbox");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out;
    }
    close(syncp[1]);
    syncp[1] = -1;

    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    unsigned char sbuf[1 + 1 + sizeof(int) + sizeof(struct report)]; /* READY, LISTENER, report */
    size_t slen = 0;
    int listener = -1, listener_done = !sb->exec_once_errno;
    run->exec_once = sb->exec_once_errno != 0;
    struct report rep = {0, 0, {0}};
    size_t replen = 0;
    int exited = 0, status = 0;
    uint64_t deadline = sb->timeout_s > 0 ? t0 + (uint64_t)(sb->timeout_s * 1000) : 0;
    uint64_t linger = 0; /* after exit: how long pipes may stay open */
    while (!exited || outp[0] >= 0 || errp[0] >= 0 || statp[0] >= 0) {
        struct pollfd fds[5] = {{outp[0], POLLIN, 0},
                                {errp[0], POLLIN, 0},
                                {statp[0], POLLIN, 0},
                                {exited ? -1 : pidfd, POLLIN, 0},
                                {listener, POLLIN, 0}};
        uint64_t now = now_ms();
        int wait_ms = pidfd < 0 && !exited ? 20 : 1000;
        if (deadline && !exited) {
            if (now >= deadline) {
                kill(pid, SIGKILL); /* PID 1 of its namespace: everything in it dies */
                run->timed_out = 1;
                deadline = 0;
            } else if (deadline - now < (uint64_t)wait_ms) {
                wait_ms = (int)(deadline - now);
            }
        }
        if (exited && now > linger) break; /* should not happen: the namespace is gone */
        int n = poll(fds, 5, wait_ms);
        if (n < 0 && errno != EINTR) {
            kt_fail_errno(err, KT_E_INTERNAL, errno, "poll");
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            goto out;
        }
        for (int i = 0; i < 2; i++) {
            int *p = i == 0 ? &outp[0] : &errp[0];
            if (*p < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int d = drain(*p, i == 0 ? out_fd : err_fd, sb->output_cap, &run->bytes[i],
                          &run->stored[i]);
            if (d < 0) {
                kt_fail_errno(err, KT_E_IO, errno, "cannot store the payload's output");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                goto out;
            }
            if (d == 0) close(*p), *p = -1;
        }
        if (statp[0] >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = slen < sizeof sbuf ? read(statp[0], sbuf + slen, sizeof sbuf - slen)
                                           : read(statp[0], &(char){0}, 1);
            if (r > 0 && slen < sizeof sbuf) slen += (size_t)r;
            if (r == 0 || (r < 0 && errno != EINTR)) close(statp[0]), statp[0] = -1;
        }
        if (!listener_done && slen >= 2 + sizeof(int) && sbuf[0] == READY && sbuf[1] == LISTENER) {
            int child_fd;
            memcpy(&child_fd, sbuf + 2, sizeof child_fd);
            listener = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, child_fd, 0) : -1;
            listener_done = 1;
            if (listener < 0) {
                kt_fail_errno(err, KT_E_INTERNAL, errno,
                              "--exec-once: cannot take the seccomp listener");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                goto out;
            }
        }
        if (listener >= 0 && (fds[4].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (answer_exec(listener, pid, sb->exec_once_errno, run) < 0)
                close(listener), listener = -1;
        }
        if (!exited && (pidfd < 0 || (fds[3].revents & POLLIN))) {
            pid_t w = waitpid(pid, &status, pidfd < 0 ? WNOHANG : 0);
            if (w == pid) {
                exited = 1;
                linger = now_ms() + 5000;
            }
        }
    }
    if (pidfd >= 0) close(pidfd);
    if (listener >= 0) close(listener);
    run->duration_ms = now_ms() - t0;
    if (WIFEXITED(status)) run->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) run->signal = WTERMSIG(status);
    kt_cgroup_read_report(&cg, sb, &run->cgroup);
    run->oom_killed = run->cgroup.oom_killed;
    if (sb->out_mfd >= 0 && kt_outdir_copy(sb->out_mfd, sb->out_dir, &run->outcopy, err) < 0)
        goto out;
    int ready = slen > 0 && sbuf[0] == READY;
    if (slen - (size_t)ready == sizeof rep)
        memcpy(&rep, sbuf + ready, sizeof rep), replen = sizeof rep;
    if (!ready && replen == 0) {
        if (WIFSIGNALED(status))
            kt_fail(err, KT_E_INTERNAL, "the sandbox died during setup (signal %d)",
                    WTERMSIG(status));
        else
            kt_fail(err, KT_E_INTERNAL, "the sandbox died during setup (exit %d)",
                    WEXITSTATUS(status));
        goto out;
    }
    if (replen == sizeof rep && rep.kind == REPORT_SETUP) {
        kt_fail_errno(err, KT_E_INTERNAL, rep.err, "sandbox setup failed: %s", rep.what);
        goto out;
    }
    if (replen == sizeof rep && rep.kind == REPORT_EXEC) {
        run->started = 0;
        run->exec_errno = rep.err;
        run->exit_code = -1;
    } else {
        run->started = 1;
    }
    rc = 0;
out:
    c0 = now_us();
    run->cgroups_left = kt_cgroup_destroy(&cg);
    run->cgroup_us += now_us() - c0;
    run->total_us = now_us() - start_us;
    if (sb->out_mfd >= 0) close(sb->out_mfd);
    sb->out_mfd = -1;
    close_pair(syncp), close_pair(statp), close_pair(outp), close_pair(errp);
    return rc;
}
