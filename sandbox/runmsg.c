/* runmsg.c - the runner's operator messages (runmsg.h). */
#include "runmsg.h"

#include "../core/escape.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* --timings: where the time went, phase by phase (timings.h). */
void kt_msg_phases(const char *name, const kt_timings *t, int from, int to)
{
    char buf[1024];
    kt_timings_format(t, (enum kt_phase)from, (enum kt_phase)to, buf, sizeof buf);
    fprintf(stderr, "kiemthu-sandbox: timings: %s: %s\n", name, buf);
}

void kt_msg_attempt(void *ctx, const kt_ladder *l, const kt_attempt *a)
{
    const int *timings = ctx;
    char outcome[256];
    kt_attempt_outcome(a, outcome, sizeof outcome);
    for (size_t k = 0; k < a->filter.nignored; k++)
        kt_esc_line(stderr, "kiemthu-sandbox: warning: %s: syscall \"%s\" is unknown here; ignored",
                    a->name, a->filter.ignored[k]);
    fprintf(stderr, "kiemthu-sandbox: %s: %s (%llu ms)\n", a->name, outcome,
            (unsigned long long)a->run.duration_ms);
    if (timings && *timings) {
        fprintf(stderr,
                "kiemthu-sandbox: timings: %s: %llu us in total, %llu us of it on cgroups\n",
                a->name, (unsigned long long)a->run.total_us, (unsigned long long)a->run.cgroup_us);
        kt_msg_phases(a->name, &a->run.t, KT_PH_COMPILE, KT_PH_N);
    }
    if (a->run.cgroup_why[0])
        kt_esc_line(stderr,
                    "kiemthu-sandbox: warning: %s: limits fall back to rlimits/CPU affinity "
                    "(pids %s, memory %s, cpus %s): %s",
                    a->name, l->sb->limits[KT_LIMIT_PIDS].enforced_by,
                    l->sb->limits[KT_LIMIT_MEMORY].enforced_by,
                    l->sb->limits[KT_LIMIT_CPUS].enforced_by, a->run.cgroup_why);
    if (a->run.cgroups_left)
        fprintf(stderr, "kiemthu-sandbox: warning: %d cgroup(s) could not be removed\n",
                a->run.cgroups_left);
    uint64_t refused = a->out.nrefused + a->out.refused_more;
    if (refused || a->out.stopped)
        fprintf(stderr,
                "kiemthu-sandbox: %s: /out: %zu file(s) kept, %llu not kept%s%s (listed in "
                "%s/%s/run.json)\n",
                a->name, a->out.nfiles, (unsigned long long)refused,
                a->out.stopped ? "; copy stopped: " : "", a->out.stopped ? a->out.stopped : "",
                l->record, a->name);
}

/* Why no profile let the payload start, as docker run would say it: 127 if
 * the program is not there, 126 if it cannot be executed, else 125. Only
 * attempts under profiles that let execve through say why. */
int kt_msg_exec_exit(const kt_sandbox *sb, int e, const char *cmd)
{
    if (e == ENOENT && sb->image) {
        kt_esc_line(stderr, "kiemthu-sandbox: %s: not found in the image", cmd);
        return 127;
    }
    if (e == ENOENT) {
        kt_esc_line(stderr,
                    "kiemthu-sandbox: %s: not found in the sandbox (host mode sees /usr, /in and "
                    "--ro-bind; e.g. --ro-bind \"$PWD/app.sh:/app/app.sh\" -- /app/app.sh)",
                    cmd);
        return 127;
    }
    if (e == EACCES || e == ENOEXEC) {
        kt_esc_line(stderr, "kiemthu-sandbox: %s: found but cannot be executed (%s)", cmd,
                    strerror(e));
        return 126;
    }
    fprintf(stderr, "kiemthu-sandbox: no profile let the payload start\n");
    return KT_EXIT_RUNNER;
}

static int not_started_exit(const kt_ladder *l, const char *cmd)
{
    int e = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->att[i].ran && !kt_filter_denies_exec(&l->att[i].filter))
            e = !e || e == l->att[i].run.exec_errno ? l->att[i].run.exec_errno : -1;
    return kt_msg_exec_exit(l->sb, e, cmd);
}

int kt_msg_outcome(const kt_ladder *l, const char *cmd)
{
    if (l->interrupted) {
        fprintf(stderr,
                "kiemthu-sandbox: interrupted by %s; the sandbox was ended and the "
                "record written\n",
                strsignal(l->interrupted));
        return 128 + l->interrupted;
    }
    if (l->canonical < 0) return not_started_exit(l, cmd);
    fprintf(stderr, "kiemthu-sandbox: canonical profile: %s (the strictest that started",
            l->att[l->canonical].name);
    for (int i = 0; i < l->canonical; i++) {
        char outcome[256];
        kt_attempt_outcome(&l->att[i], outcome, sizeof outcome);
        fprintf(stderr, "; %s: %s", l->att[i].name, outcome);
    }
    fprintf(stderr, ")\n");
    const kt_run *run = &l->att[l->canonical].run;
    return run->signal ? 128 + run->signal : run->exit_code;
}
