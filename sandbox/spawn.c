#include "spawn.h"

#include "../core/fsutil.h"
#include "cgroup.h"
#include "netprep.h"
#include "ns.h"
#include "tee.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One sandbox, as the runner holds it. */
typedef struct sbx {
    pid_t pid;
    int pidfd, listener;
    int sync_w;                 /* kept open while we live: the child's death-of-runner check */
    int status_r, out_r, err_r; /* -1 once closed */
    int out_sock;               /* the /out tmpfs arrives here */
    int joined;                 /* eventfd: the child is in its v1 groups (child.h) */
    int exited, status;
    kt_cgroup cg;
    uint64_t clone_us, ready_us; /* when the sandbox was cloned, when it said READY */
    unsigned char sbuf[2 + sizeof(int) + sizeof(kt_child_report)]; /* READY, LISTENER, report */
    size_t slen;
    char exec_tag[16]; /* the child's name until its execve (child.h) */
    int died_tagged;   /* it died under that name: its execve never completed; -1 unknown */
} sbx;

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* The sandbox's PID 1 has exited and is not reaped yet: its name, kept
 * while it is a zombie (so its pid is not reused), says whether its execve
 * completed (child.h, exec_tag). */
static void note_name(sbx *s)
{
    char path[64], name[32];
    /* a /proc of another PID namespace would name another process */
    ssize_t n = readlink("/proc/self", name, sizeof name - 1);
    if (n <= 0 || (name[n] = '\0', strtol(name, NULL, 10) != (long)getpid())) return;
    snprintf(path, sizeof path, "/proc/%d/comm", (int)s->pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? read(fd, name, sizeof name - 1) : -1;
    if (fd >= 0) close(fd);
    if (n <= 0) return; /* unknown: collect() says so */
    name[n] = '\0';
    name[strcspn(name, "\n")] = '\0';
    s->died_tagged = strcmp(name, s->exec_tag) == 0;
}

/* Wait for PID 1 to exit (block, or not), read its name, then reap it. */
static int reap(sbx *s, int block)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    while (waitid(P_PID, (id_t)s->pid, &si, flags) < 0)
        if (errno != EINTR) return 0;
    if (si.si_pid != s->pid) return 0;
    note_name(s);
    while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR) {
    }
    s->exited = 1;
    return 1;
}

/* The one way a sandbox is ended early: SIGKILL to its PID 1 (everything in
 * its PID namespace dies with it), then reap. */
static void kill_and_reap(sbx *s)
{
    if (s->pid <= 0 || s->exited) return;
    kill(s->pid, SIGKILL);
    reap(s, 1);
    s->exited = 1;
}

/* ---- start ------------------------------------------------------------ */

static void cgroup_views(kt_sandbox *sb, const kt_cgroup *cg)
{
    const struct {
        const char *dir, *dst;
    } views[] = {{cg->v2, "/sys/fs/cgroup"},
                 {cg->pids, "/sys/fs/cgroup/pids"},
                 {cg->mem, "/sys/fs/cgroup/memory"},
                 {cg->cpu, "/sys/fs/cgroup/cpu"}};
    sb->ncgroup_views = 0;
    for (size_t i = 0; i < 4; i++)
        if (views[i].dir[0])
            sb->cgroup_views[sb->ncgroup_views++] = (kt_bind){views[i].dir, views[i].dst};
}

/* The sandbox's first process, in its new namespaces. With a v2 group, it
 * is born in it (clone3 with CLONE_INTO_CGROUP: no migration, and it gets
 * its pidfd atomically); where clone3 or that flag is refused (an older
 * kernel, a seccomp filter around us), a plain clone, and kt_cgroup_attach
 * moves it in. Returns the pid in the parent, 0 in the child. */
static pid_t sandbox_clone(sbx *s, const kt_sandbox *sb)
{
    int flags = kt_ns_clone_flags(sb);
    if (s->cg.v2_fd >= 0) {
        struct clone_args ca;
        memset(&ca, 0, sizeof ca);
        ca.flags = (uint64_t)flags | CLONE_PIDFD | CLONE_INTO_CGROUP;
        ca.pidfd = (uint64_t)(uintptr_t)&s->pidfd;
        ca.exit_signal = SIGCHLD;
        ca.cgroup = (uint64_t)s->cg.v2_fd;
        long pid = syscall(SYS_clone3, &ca, sizeof ca);
        if (pid >= 0) {
            if (pid > 0) s->cg.v2_joined = 1;
            return (pid_t)pid;
        }
        s->pidfd = -1;
    }
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD | flags, NULL, NULL, NULL, NULL);
    if (pid > 0) s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    return pid;
}

/* One byte to the child. A child that is gone already (it died during its
 * setup) is not reported here: supervise() and collect() say how it ended. */
static int tell(sbx *s, char what, kt_err *err)
{
    if (send(s->sync_w, &what, 1, MSG_NOSIGNAL) == 1 || errno == EPIPE || errno == ECONNRESET)
        return 0;
    return kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot start the sandbox");
}

/* "a", then the profile's filter (child.h): the child may go on to exec. */
static int send_go(sbx *s, const kt_bpf *profile, int listen, int baseline_first, kt_err *err)
{
    kt_child_go go;
    memset(&go, 0, sizeof go);
    go.flags = profile ? profile->flags : 0;
    go.len = profile ? profile->len : 0;
    go.listen = (unsigned char)(listen != 0);
    go.baseline_first = (unsigned char)(baseline_first != 0);
    char a = 'a';
    struct iovec iov[3] = {{&a, 1}, {&go, sizeof go}, {profile ? profile->insns : NULL, 0}};
    iov[2].iov_len = (size_t)go.len * sizeof(struct sock_filter);
    size_t total = 1 + sizeof go + iov[2].iov_len, sent = 0;
    struct msghdr m = {NULL, 0, iov, 3, NULL, 0, 0};
    while (sent < total) {
        ssize_t r = sendmsg(s->sync_w, &m, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EPIPE || errno == ECONNRESET)) return 0; /* gone: see tell() */
        if (r < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot start the sandbox");
        sent += (size_t)r;
        for (size_t k = (size_t)r; k;) { /* skip what went */
            size_t step = k < m.msg_iov->iov_len ? k : m.msg_iov->iov_len;
            m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + step;
            m.msg_iov->iov_len -= step;
            k -= step;
            if (!m.msg_iov->iov_len && m.msg_iovlen > 1) m.msg_iov++, m.msg_iovlen--;
        }
    }
    return 0;
}

/* The baseline is installed after the profile (child.c says why) unless the
 * profile would refuse it seccomp(2); then before. Neither can go second if
 * both refuse it: the runner fails, naming that, before the payload runs. */
static int filter_order(const kt_child_filters *f, kt_run *run, kt_err *err)
{
    run->baseline_first = 0;
    if (!f->baseline || !f->profile || !f->profile->len ||
        kt_filter_lets_seccomp(f->profile, f->baseline->flags))
        return 0;
    unsigned listen = run->exec_once ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    if (!kt_filter_lets_seccomp(f->baseline, f->profile->flags | listen))
        return kt_fail(err, KT_E_DATA,
                       "the profile and the baseline both deny seccomp(2): neither can be "
                       "installed after the other");
    run->baseline_first = 1;
    return 0;
}

/* Until the child is in its v1 groups (it writes joined_fd), it is gone, or
 * a second has passed: only the timing depends on it. */
static void wait_joined(int joined_fd)
{
    struct pollfd p = {joined_fd, POLLIN, 0};
    uint64_t n;
    if (poll(&p, 1, 1000) == 1) (void)!read(joined_fd, &n, sizeof n);
}

static int start(sbx *s, kt_sandbox *sb, const kt_child_filters *f, kt_spawn_io *io,
                 const char *tag, kt_run *run, kt_err *err)
{
    int syncp[2] = {-1, -1}, statp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int sockp[2] = {-1, -1};
    /* sync is a socket so that telling a child that is already gone is
     * EPIPE (MSG_NOSIGNAL), not a SIGPIPE that would end the runner */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, syncp) < 0 ||
        pipe2(statp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockp) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++)
            close_fd(&syncp[i]), close_fd(&statp[i]), close_fd(&outp[i]), close_fd(&errp[i]),
                close_fd(&sockp[i]);
        return kt_fail_errno(err, KT_E_INTERNAL, e, "pipe");
    }
    s->sync_w = syncp[1], s->status_r = statp[0], s->out_r = outp[0], s->err_r = errp[0];
    s->out_sock = sockp[0];
    uint64_t t = kt_now_us();
    if (kt_cgroup_setup(&s->cg, sb->cgroup_host, sb, tag, err) < 0) return -1;
    snprintf(run->cgroup_why, sizeof run->cgroup_why, "%s", s->cg.why);
    kt_timing_lap(&run->t, KT_PH_CG_CREATE, &t);
    cgroup_views(sb, &s->cg);
    int v1 = s->cg.pids[0] || s->cg.mem[0] || s->cg.cpu[0];
    s->joined = v1 ? eventfd(0, EFD_CLOEXEC) : -1;
    run->start_ms = kt_now_ms();
    /* The network namespace made ahead, for the first sandbox only (the
     * thread that made it is joined here: nothing else runs at the clone). */
    sb->netns_fd = sb->netprep ? kt_netprep_take(sb->netprep) : -1;
    s->pid = sandbox_clone(s, sb);
    if (s->pid == 0) {
        close(syncp[1]), close(statp[0]), close(outp[0]), close(errp[0]), close(sockp[0]);
        kt_child_io cio = {syncp[0], s->joined, statp[1], outp[1],
                           errp[1],  sockp[1],  &s->cg,   s->exec_tag};
        kt_child_main(sb, f, &cio);
    }
    int e = errno;
    close(syncp[0]), close(statp[1]), close(outp[1]), close(errp[1]), close(sockp[1]);
    if (sb->netns_fd >= 0) close(sb->netns_fd);
    sb->netns_fd = -1;
    if (s->pid < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, e, "cannot create the sandbox namespaces (clone)");
    s->clone_us = t;
    if (sb->userns && kt_ns_write_maps(sb, s->pid, err) < 0) return -1;
    kt_timing_lap(&run->t, KT_PH_CLONE, &t);
    /* The child joins its v1 groups itself and sets itself up while we move
     * it into a v2 group it could not be born in; it waits for "a". */
    if (sb->userns && tell(s, 'g', err) < 0) return -1; /* as root it does not wait */
    int attached = kt_cgroup_attach(&s->cg, s->pid, err);
    kt_timing_lap(&run->t, KT_PH_CG_ATTACH, &t);
    if (attached < 0) return -1;
    /* The caller's work in the child's set-up time: compile the profile.
     * Not before the child is in its v1 groups: that move waits for an RCU
     * grace period, which a busy CPU here would hold up (0.1 -> 0.26 ms). */
    if (s->joined >= 0) wait_joined(s->joined);
    kt_child_filters late = *f;
    if (io->meanwhile) {
        /* A crafted profile can keep libseccomp compiling: stop signals and
         * --timeout are watched meanwhile (watch.h). */
        uint64_t deadline =
            sb->timeout_s > 0 ? run->start_ms + (uint64_t)(sb->timeout_s * 1000) : 0;
        if (kt_watch_arm(s->pid, io->sigfd, deadline, "the profile or preparing its attempt", err) <
            0)
            return -1;
        int rc = io->meanwhile(io->meanwhile_ctx, &late, sb, err);
        kt_watch_disarm();
        if (rc < 0) return -1;
    }
    run->exec_once = sb->exec_once_errno != 0;
    if (filter_order(&late, run, err) < 0) return -1;
    return send_go(s, late.profile, run->exec_once, run->baseline_first, err);
}

/* ---- supervise -------------------------------------------------------- */

/* Move what a pipe has into the capture file, keeping at most cap bytes
 * (and showing them, with --tee). */
static int drain(int from, int to, size_t cap, kt_run *run, kt_tee *tee, int which)
{
    char buf[65536];
    ssize_t r = read(from, buf, sizeof buf);
    if (r <= 0) return r < 0 && errno == EINTR ? 1 : 0; /* 0: closed */
    run->bytes[which] += (uint64_t)r;
    uint64_t *stored = &run->stored[which];
    if (*stored < cap && !run->store_errno[which]) {
        size_t keep = (size_t)r < cap - *stored ? (size_t)r : cap - *stored;
        if (kt_write_all(to, buf, keep) < 0) {
            /* The payload may fill the record's file system: storing stops
             * (what reached the file is counted), the run goes on, and
             * run.json says why. Never a runner failure that loses it. */
            run->store_errno[which] = errno ? errno : EIO;
            off_t at = lseek(to, 0, SEEK_CUR);
            if (at >= 0) *stored = (uint64_t)at;
            return 1;
        }
        *stored += keep;
        if (tee) kt_tee_write(tee, which, buf, keep);
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

static int read_status(sbx *s, kt_run *run)
{
    ssize_t r = s->slen < sizeof s->sbuf
                    ? read(s->status_r, s->sbuf + s->slen, sizeof s->sbuf - s->slen)
                    : read(s->status_r, &(char){0}, 1);
    if (r > 0 && s->slen < sizeof s->sbuf) {
        if (!s->slen && s->sbuf[0] == KT_CHILD_READY) {
            s->ready_us = kt_now_us();
            run->t.us[KT_PH_SETUP] = s->ready_us - s->clone_us;
        }
        s->slen += (size_t)r;
    }
    if (r == 0 || (r < 0 && errno != EINTR)) close_fd(&s->status_r);
    return 0;
}

/* The exec-once listener, once the child has said where it is. */
static int take_listener(sbx *s, kt_err *err)
{
    int child_fd;
    memcpy(&child_fd, s->sbuf + 2, sizeof child_fd);
    s->listener = s->pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, s->pidfd, child_fd, 0) : -1;
    if (s->listener < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno,
                             "--exec-once: cannot take the seccomp listener");
    return 0;
}

/* The /out tmpfs from the sandbox (its mount fd, by SCM_RIGHTS). */
static void take_out(sbx *s, kt_spawn_io *io)
{
    char cbuf[CMSG_SPACE(sizeof(int))], b;
    struct iovec iov = {&b, 1};
    struct msghdr m = {NULL, 0, &iov, 1, cbuf, sizeof cbuf, 0};
    ssize_t r = recvmsg(s->out_sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    struct cmsghdr *c = r == 1 ? CMSG_FIRSTHDR(&m) : NULL;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int)) && io->out_mfd < 0)
        memcpy(&io->out_mfd, CMSG_DATA(c), sizeof(int));
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    close_fd(&s->out_sock); /* one message, or the sandbox is gone */
}

/* A stop signal for the runner: end the sandbox, say so in the record. */
static void on_signal(sbx *s, int sigfd, kt_run *run)
{
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof si) != (ssize_t)sizeof si) return;
    if (!run->interrupted) run->interrupted = (int)si.ssi_signo;
    kill(s->pid, SIGKILL);
}

static int supervise(sbx *s, const kt_sandbox *sb, kt_spawn_io *io, kt_run *run, kt_err *err)
{
    int listener_pending = sb->exec_once_errno != 0;
    uint64_t deadline = sb->timeout_s > 0 ? run->start_ms + (uint64_t)(sb->timeout_s * 1000) : 0;
    uint64_t linger = 0; /* after exit: how long pipes may stay open */
    while (!s->exited || s->out_r >= 0 || s->err_r >= 0 || s->status_r >= 0) {
        struct pollfd fds[7] = {
            {s->out_r, POLLIN, 0},    {s->err_r, POLLIN, 0},
            {s->status_r, POLLIN, 0}, {s->exited ? -1 : s->pidfd, POLLIN, 0},
            {s->listener, POLLIN, 0}, {run->interrupted ? -1 : io->sigfd, POLLIN, 0},
            {s->out_sock, POLLIN, 0}};
        uint64_t now = kt_now_ms();
        int wait_ms = s->pidfd < 0 && !s->exited ? 20 : 1000;
        if (deadline && !s->exited) {
            if (now >= deadline) {
                kill(s->pid, SIGKILL); /* PID 1 of its namespace: everything in it dies */
                run->timed_out = 1;
                deadline = 0;
            } else if (deadline - now < (uint64_t)wait_ms) {
                wait_ms = (int)(deadline - now);
            }
        }
        if (s->exited && now > linger) break; /* should not happen: the namespace is gone */
        if (poll(fds, 7, wait_ms) < 0 && errno != EINTR)
            return kt_fail_errno(err, KT_E_INTERNAL, errno, "poll");
        for (int i = 0; i < 2; i++) {
            int *p = i == 0 ? &s->out_r : &s->err_r;
            if (*p < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!drain(*p, i == 0 ? io->out_fd : io->err_fd, sb->output_cap, run, io->tee, i))
                close_fd(p);
        }
        if (s->status_r >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
            read_status(s, run);
        if (listener_pending && s->slen >= 2 + sizeof(int) && s->sbuf[0] == KT_CHILD_READY &&
            s->sbuf[1] == KT_CHILD_LISTENER) {
            listener_pending = 0;
            if (take_listener(s, err) < 0) return -1;
        }
        if (s->listener >= 0 && (fds[4].revents & (POLLIN | POLLHUP | POLLERR)) &&
            answer_exec(s->listener, s->pid, sb->exec_once_errno, run) < 0)
            close_fd(&s->listener);
        if (io->sigfd >= 0 && (fds[5].revents & POLLIN)) on_signal(s, io->sigfd, run);
        if (s->out_sock >= 0 && (fds[6].revents & (POLLIN | POLLHUP | POLLERR))) take_out(s, io);
        if (!s->exited && (s->pidfd < 0 || (fds[3].revents & POLLIN))) {
            if (reap(s, s->pidfd >= 0)) {
                if (s->ready_us) run->t.us[KT_PH_RUN] = kt_now_us() - s->ready_us;
                linger = kt_now_ms() + 5000;
            }
        }
    }
    return 0;
}

/* ---- collect ---------------------------------------------------------- */

static int collect(sbx *s, kt_run *run, kt_err *err)
{
    run->duration_ms = kt_now_ms() - run->start_ms;
    if (WIFEXITED(s->status)) run->exit_code = WEXITSTATUS(s->status);
    if (WIFSIGNALED(s->status)) run->signal = WTERMSIG(s->status);
    run->oom_killed = run->cgroup.oom_killed; /* read before the kill-and-reap path ran */
    int ready = s->slen > 0 && s->sbuf[0] == KT_CHILD_READY;
    size_t listener_msg =
        ready && s->slen > 1 && s->sbuf[1] == KT_CHILD_LISTENER ? 1 + sizeof(int) : 0;
    kt_child_report rep;
    int has_report = s->slen - (size_t)ready - listener_msg == sizeof rep;
    if (has_report) memcpy(&rep, s->sbuf + ready + listener_msg, sizeof rep);
    if (!ready && !has_report) {
        if (run->interrupted) return 0; /* stopped during setup: the record says so */
        if (WIFSIGNALED(s->status))
            return kt_fail(err, KT_E_INTERNAL, "the sandbox died during setup (signal %d)",
                           WTERMSIG(s->status));
        return kt_fail(err, KT_E_INTERNAL, "the sandbox died during setup (exit %d)",
                       WEXITSTATUS(s->status));
    }
    if (has_report && rep.kind == KT_REPORT_SETUP && !rep.err) /* the message says why */
        return kt_fail(err, KT_E_INTERNAL, "sandbox setup failed: %s", rep.what);
    if (has_report && rep.kind == KT_REPORT_SETUP)
        return rep.err ? kt_fail_errno(err, KT_E_INTERNAL, rep.err, "sandbox setup failed: %s",
                                       rep.what)
                       : kt_fail(err, KT_E_INTERNAL, "sandbox setup failed: %s", rep.what);
    run->filters_in = ready; /* a program not found is reported before */
    if (has_report && rep.kind == KT_REPORT_EXEC) {
        run->started = 0;
        run->exec_errno = rep.err;
        run->exit_code = -1;
    } else if (ready && s->died_tagged < 0) {
        /* READY and no report: whether its execve completed is in its name */
        return kt_fail(err, KT_E_INTERNAL,
                       "cannot tell whether the payload started: /proc/%d/comm of the exited "
                       "sandbox unreadable, or /proc is not of this PID namespace",
                       (int)s->pid);
    } else if (s->died_tagged == 1) {
        /* READY and no report, but it died before its execve completed: a
         * profile that kills execve, or denies it and write (no report) */
        run->started = 0;
        run->died_at_exec = 1;
        run->exit_code = -1;
    } else {
        run->started = 1;
    }
    return 0;
}

int kt_spawn(kt_sandbox *sb, const kt_child_filters *f, kt_spawn_io *io, const char *tag,
             kt_run *run, kt_err *err)
{
    memset(run, 0, sizeof *run);
    run->exit_code = -1;
    sbx s;
    memset(&s, 0, sizeof s);
    s.pidfd = s.listener = s.sync_w = s.status_r = s.out_r = s.err_r = s.out_sock = s.joined = -1;
    s.cg.v2_fd = -1;
    s.died_tagged = -1;
    io->out_mfd = -1;
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "getrandom");
    for (int i = 0; i < 15; i++) s.exec_tag[i] = "0123456789abcdef"[(r[i / 2] >> (i % 2 * 4)) & 15];
    uint64_t start_us = kt_now_us();
    int rc = start(&s, sb, f, io, tag, run, err);
    if (rc == 0) rc = supervise(&s, sb, io, run, err);
    if (io->tee) kt_tee_end(io->tee);
    kill_and_reap(&s); /* only does something when we stopped early */
    if (s.out_sock >= 0) take_out(&s, io);
    uint64_t t = kt_now_us();
    if (s.pid > 0) kt_cgroup_read_report(&s.cg, sb, &run->cgroup);
    if (rc == 0 && s.pid > 0) rc = collect(&s, run, err);
    /* Removed here, not on a thread while the record is written: starting
     * one and waking the idle CPU for it took longer (0.6-3.5% of a start)
     * than the removal it overlapped (~0.1 ms of kernel work). */
    run->cgroups_left = kt_cgroup_destroy(&s.cg);
    kt_timing_lap(&run->t, KT_PH_CG_REMOVE, &t);
    run->cgroup_us =
        run->t.us[KT_PH_CG_CREATE] + run->t.us[KT_PH_CG_ATTACH] + run->t.us[KT_PH_CG_REMOVE];
    run->total_us = kt_now_us() - start_us;
    close_fd(&s.pidfd), close_fd(&s.listener), close_fd(&s.sync_w);
    close_fd(&s.status_r), close_fd(&s.out_r), close_fd(&s.err_r), close_fd(&s.out_sock);
    close_fd(&s.joined);
    return rc;
}
