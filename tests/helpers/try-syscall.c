/* try-syscall NAME... - attempt each named operation and exit with the errno
 * of the first that fails (0 if all succeed), as bubblewrap's
 * tests/try-syscall.c does, so a test can assert exactly what the sandbox's
 * filter, mounts and credentials did.
 *
 * try-syscall --report SYSCALL... - for the differential test: call each
 * syscall (by its name, resolved with libseccomp) with every argument -1 in
 * a child, and print "NAME ERRNO" (0: it succeeded, "killed" if a signal
 * ended the child, "unknown" if the name is not a syscall here). Invalid
 * arguments make an unfiltered call fail harmlessly in the kernel (EBADF,
 * EFAULT, EINVAL...), so what differs between two runners is the filter. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static int sock(int family, int type)
{
    int fd = socket(family, type, 0);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

static int try_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

/* Copy this very program into /tmp and run it: noexec must refuse. */
static int exec_tmp(void)
{
    int in = open("/proc/self/exe", O_RDONLY),
        out = open("/tmp/try-exec", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) return errno;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) return errno;
    close(in);
    close(out);
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) {
        char *argv[] = {"/tmp/try-exec", "true", NULL};
        execv(argv[0], argv);
        _exit(errno);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int run(const char *op)
{
    if (!strcmp(op, "true")) return 0;
    if (!strcmp(op, "socket-inet")) return sock(AF_INET, SOCK_STREAM);
    if (!strcmp(op, "socket-inet6")) return sock(AF_INET6, SOCK_STREAM);
    if (!strcmp(op, "socket-netlink")) return sock(AF_NETLINK, SOCK_RAW);
    if (!strcmp(op, "socket-packet")) return sock(AF_PACKET, SOCK_RAW);
    if (!strcmp(op, "socket-unix")) return sock(AF_UNIX, SOCK_STREAM);
    if (!strcmp(op, "socket-vsock")) return sock(AF_VSOCK, SOCK_STREAM);
    if (!strcmp(op, "ptrace-parent")) return ptrace(PTRACE_ATTACH, getppid(), 0, 0) < 0 ? errno : 0;
    if (!strcmp(op, "ptrace-traceme")) return ptrace(PTRACE_TRACEME, 0, 0, 0) < 0 ? errno : 0;
    if (!strcmp(op, "mount")) return mount("none", "/tmp", "tmpfs", 0, NULL) < 0 ? errno : 0;
    if (!strcmp(op, "umount")) return umount2("/proc", MNT_DETACH) < 0 ? errno : 0;
    if (!strcmp(op, "unshare")) return unshare(CLONE_NEWUSER) < 0 ? errno : 0;
    /* size 0 is never a valid clone_args: unfiltered, EINVAL and no process */
    if (!strcmp(op, "clone3")) return syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
    if (!strcmp(op, "chroot")) return chroot("/tmp") < 0 ? errno : 0;
    if (!strcmp(op, "pivot_root")) return syscall(SYS_pivot_root, "/tmp", "/tmp") < 0 ? errno : 0;
    if (!strcmp(op, "bpf")) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        return syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a) < 0 ? errno : 0;
    }
    if (!strcmp(op, "perf_event_open")) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.type = PERF_TYPE_SOFTWARE;
        a.config = PERF_COUNT_SW_CPU_CLOCK;
        long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
        return fd < 0 ? errno : 0;
    }
    if (!strcmp(op, "setuid0")) return setuid(0) < 0 ? errno : 0;
    if (!strcmp(op, "setgid0")) return setgid(0) < 0 ? errno : 0;
    if (!strcmp(op, "write-root")) return try_create("/try-syscall-was-here");
    if (!strcmp(op, "write-usr")) return try_create("/usr/try-syscall-was-here");
    if (!strcmp(op, "write-in")) return try_create("/in/try-syscall-was-here");
    if (!strcmp(op, "write-out")) return try_create("/out/try-syscall-was-here");
    if (!strcmp(op, "write-tmp")) return try_create("/tmp/try-syscall-was-here");
    if (!strcmp(op, "write-proc-sys")) return try_create("/proc/sys/kernel/hostname");
    if (!strcmp(op, "mknod"))
        return mknod("/tmp/null2", S_IFCHR | 0666, makedev(1, 3)) < 0 ? errno : 0;
    if (!strcmp(op, "exec-tmp")) return exec_tmp();
    if (!strcmp(op, "execve")) {
        char *argv[] = {"/bin/true", NULL};
        execv(argv[0], argv);
        return errno;
    }
    fprintf(stderr, "try-syscall: unknown operation %s\n", op);
    return 254;
}

/* Calls never made, even in a child: they end or replace it, or wait for one. */
static int unsafe(const char *n)
{
    static const char *const skip[] = {
        "exit",          "exit_group",      "rt_sigreturn", "pause",     "fork",  "vfork",
        "clone",         "clone3",          "execve",       "execveat",  "wait4", "waitid",
        "rt_sigsuspend", "restart_syscall", "vhangup",      "sigreturn", NULL};
    for (const char *const *s = skip; *s; s++)
        if (!strcmp(*s, n)) return 1;
    return 0;
}

static void report(const char *name)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR || nr < 0) {
        printf("%s unknown\n", name);
        return;
    }
    if (unsafe(name)) {
        printf("%s skipped\n", name);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s fork-failed\n", name);
        return;
    }
    if (pid == 0) {
        alarm(2);
        long r = syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
        _exit(r < 0 ? (errno & 0xff) : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st))
        printf("%s %d\n", name, WEXITSTATUS(st));
    else
        printf("%s killed\n", name);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--report")) {
        for (int i = 2; i < argc; i++) report(argv[i]);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        int e = run(argv[i]);
        if (e) {
            fprintf(stderr, "try-syscall: %s: %s\n", argv[i], strerror(e));
            return e > 255 ? 255 : e;
        }
    }
    return 0;
}
