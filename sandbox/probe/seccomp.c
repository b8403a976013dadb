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

/* Every syscall one filter denies unconditionally (an applying rule without
 * args, action ERRNO) must fail here with the errno the filters in force
 * give together (probe_filter_errno: where the profile and the baseline both
 * deny, the baseline answers). */
static void denied_probe(probe_ctx *c, const char *id, const char *what, const pj *root,
                         const char *why)
{
    char expect[96];
    snprintf(expect, sizeof expect, "every syscall the %s denies fails with its errno", what);
    if (!root) {
        probe_add(c, id, expect, 0, "cannot read the %s: %s", what, why);
        return;
    }
    const pj *sys = pj_get(root, "syscalls");
    int tried = 0, matched = 0;
    char bad[300] = "";
    for (const pj *r = sys && sys->type == PJ_ARR ? sys->child : NULL; r; r = r->next) {
        const pj *action = pj_get(r, "action"), *names = pj_get(r, "names");
        if (!action || action->type != PJ_STR || strcmp(action->str, "SCMP_ACT_ERRNO") != 0 ||
            !names || names->type != PJ_ARR || pj_get(r, "args") || !probe_rule_applies(r))
            continue;
        for (const pj *n = names->child; n; n = n->next) {
            if (n->type != PJ_STR || skipped(n->str)) continue;
            int nr = seccomp_syscall_resolve_name(n->str);
            static const long minus1[6] = {-1, -1, -1, -1, -1, -1};
            int want = probe_filter_errno(c, n->str, minus1);
            if (nr == __NR_SCMP_ERROR || want <= 0) continue;
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
    probe_add(c, id, expect, tried > 0 && matched == tried, "%d/%d%s%s", matched, tried,
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
    if (c->cfg->profile_path)
        denied_probe(c, "profile-denied-syscalls", "profile", c->profile, c->profile_why);
    if (c->cfg->baseline_path)
        denied_probe(c, "baseline-denied-syscalls", "baseline", c->baseline, c->baseline_why);
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
