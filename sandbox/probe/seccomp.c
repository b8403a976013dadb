/* The filter the kernel enforces, compared with the profile the runner was
 * given: every syscall the profile denies unconditionally must fail with the
 * profile's errno here. Each is tried in a child with invalid arguments
 * (-1 everywhere), so an unfiltered call fails harmlessly in the kernel
 * instead (EBADF, EFAULT, EINVAL...), and a call that blocks is cut off. */
#include "json.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* Calls not to make even in a child: they end or replace it, or block. */
static const char *const skip[] = {
    "exit",          "exit_group", "rt_sigreturn",    "pause", "fork",
    "vfork",         "execve",     "execveat",        "wait4", "waitid",
    "rt_sigsuspend", "sigreturn",  "restart_syscall", NULL};

static int skipped(const char *name)
{
    for (const char *const *s = skip; *s; s++)
        if (!strcmp(*s, name)) return 1;
    return 0;
}

/* errno of syscall nr with every argument -1, in a child; -1 if it did not fail. */
static int try_nr(int nr)
{
    pid_t pid = fork();
    if (pid < 0) return -2;
    if (pid == 0) {
        alarm(2);
        long r = syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
        _exit(r < 0 ? (errno & 0xff) : 0);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0) return -2;
    if (!WIFEXITED(st)) return -3;
    return WEXITSTATUS(st) ? WEXITSTATUS(st) : -1;
}

static int action_errno(const char *action, const pj *eret, int dflt, int *errno_out)
{
    if (!strcmp(action, "SCMP_ACT_ERRNO")) {
        /* range first: an out-of-range double must never reach the int conversion */
        *errno_out = eret && eret->type == PJ_NUM && eret->num >= 0 && eret->num <= 4095
                         ? (int)eret->num
                         : dflt;
        return 1;
    }
    return 0;
}

/* A rule gated only on things this sandbox lacks (caps) or has (arch,
 * kernel) applies as moby applies it; with no capabilities, includes.caps
 * rules never apply and excludes.caps rules always do. */
static int rule_applies(const pj *r)
{
    const pj *inc = pj_get(r, "includes"), *exc = pj_get(r, "excludes");
    const pj *caps = pj_get(inc, "caps");
    if (caps && caps->child) return 0;
    const pj *arches = pj_get(inc, "arches");
    if (arches && arches->child) {
        int hit = 0;
        for (const pj *a = arches->child; a; a = a->next) hit |= a->str && !strcmp(a->str, "amd64");
        if (!hit) return 0;
    }
    const pj *xarches = pj_get(exc, "arches");
    for (const pj *a = xarches ? xarches->child : NULL; a; a = a->next)
        if (a->str && !strcmp(a->str, "amd64")) return 0;
    const pj *mk = pj_get(inc, "minKernel");
    if (mk && mk->str) {
        unsigned a = 0, b = 0, ka = 0, kb = 0;
        struct utsname u;
        if (sscanf(mk->str, "%u.%u", &a, &b) == 2 && uname(&u) == 0 &&
            sscanf(u.release, "%u.%u", &ka, &kb) == 2 && (ka < a || (ka == a && kb < b)))
            return 0;
    }
    return 1;
}

static void profile_probe(probe_ctx *c)
{
    const char *path = c->cfg->profile_path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *text = NULL, why[160] = "";
    struct stat st;
    pj *root = NULL;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size < (4 << 20) &&
        (text = malloc((size_t)st.st_size + 1)) && read(fd, text, (size_t)st.st_size) == st.st_size)
        root = pj_parse(text, (size_t)st.st_size, why, sizeof why);
    if (fd >= 0) close(fd);
    free(text);
    if (!root) {
        probe_add(c, "profile-denied-syscalls",
                  "every syscall the profile denies fails with its errno", 0,
                  "cannot read the profile %s%s%s", path, why[0] ? ": " : "", why);
        return;
    }
    const pj *sys = pj_get(root, "syscalls");
    int tried = 0, matched = 0;
    char bad[300] = "";
    for (const pj *r = sys && sys->type == PJ_ARR ? sys->child : NULL; r; r = r->next) {
        const pj *action = pj_get(r, "action"), *names = pj_get(r, "names");
        int want;
        if (!action || action->type != PJ_STR || !names || names->type != PJ_ARR ||
            pj_get(r, "args") || !rule_applies(r) ||
            !action_errno(action->str, pj_get(r, "errnoRet"), EPERM, &want))
            continue;
        for (const pj *n = names->child; n; n = n->next) {
            if (n->type != PJ_STR || skipped(n->str)) continue;
            int nr = seccomp_syscall_resolve_name(n->str);
            if (nr == __NR_SCMP_ERROR) continue;
            int got = try_nr(nr);
            tried++;
            if (got == want) {
                matched++;
            } else if (strlen(bad) < sizeof bad - 40) {
                char one[64];
                snprintf(one, sizeof one, "%s%s=%d", bad[0] ? " " : "", n->str, got);
                strcat(bad, one);
            }
        }
    }
    pj_free(root);
    probe_add(c, "profile-denied-syscalls", "every syscall the profile denies fails with its errno",
              tried > 0 && matched == tried, "%d/%d%s%s", matched, tried,
              bad[0] ? "; differ: " : "", bad);
}

void probes_seccomp(probe_ctx *c)
{
    /* Invalid arguments everywhere: harmless when nothing filters them (the
     * kernel answers EINVAL, EFAULT, EIO...), EPERM only from the filter. */
    static const struct {
        const char *id;
        long nr;
    } denied[] = {
        {"ptrace-denied", SYS_ptrace},
        {"mount-denied", SYS_mount},
        {"unshare-denied", SYS_unshare},
        {"bpf-denied", SYS_bpf},
        {"perf-event-open-denied", SYS_perf_event_open},
    };
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        errno = 0;
        long r = syscall(denied[i].nr, -1L, -1L, -1L, -1L, -1L, -1L);
        int e = errno;
        probe_add(c, denied[i].id, "fails (EPERM)", r < 0 && e == EPERM, "%s",
                  r < 0 ? strerror(e) : "succeeded");
    }
    if (c->cfg->profile_path) profile_probe(c);
    if (c->cfg->expect_exec_denied) {
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null >= 0 ? null : 2, 1);
            char *argv[] = {"/proc/self/exe", "--version", NULL};
            char *envp[] = {NULL};
            execve(argv[0], argv, envp);
            _exit(errno & 0xff);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        int e = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        probe_add(c, "exec-denied-after-start", "execve fails (EPERM) once the payload runs",
                  e == EPERM, "%s", e > 0 ? strerror(e) : "exec succeeded");
    }
}
