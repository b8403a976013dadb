/* watch.c - stop signals and --timeout during the profile's compile (watch.h). */
#include "watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* What the handler needs: a signal handler has no argument to carry it. */
static volatile sig_atomic_t armed;
static pid_t w_pid;
static int w_sigfd = -1;
static uint64_t w_deadline;
static const char *w_what;
static struct sigaction w_old;
/* What the runner inherited, given back on disarm: a timer (alarm(N) before
 * exec survives it) and a signal mask that may block SIGALRM. */
static struct itimerval w_oldtimer;
static struct timespec w_armed_at;
static uint64_t w_inherited_due; /* ms, CLOCK_MONOTONIC: when that timer fires; 0 none */
static sigset_t w_oldmask;

static void say(const char *m, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, m, n);
        if (w <= 0) return;
        m += w, n -= (size_t)w;
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    if (!armed) return;
    int saved = errno;
    struct signalfd_siginfo si;
    int stop =
        w_sigfd >= 0 && read(w_sigfd, &si, sizeof si) == (ssize_t)sizeof si ? (int)si.ssi_signo : 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (!stop && w_inherited_due && now >= w_inherited_due) {
        /* the inherited timer is due while we cannot give it back: what it
         * would have done (SIGALRM's default action ends the runner, and
         * the sandbox with it) once this handler returns */
        if (w_pid > 0) kill(w_pid, SIGKILL);
        armed = 0;
        struct itimerval off;
        memset(&off, 0, sizeof off);
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &w_old, NULL);
        raise(SIGALRM);
        errno = saved;
        return;
    }
    if (!stop && !(w_deadline && now >= w_deadline)) {
        errno = saved;
        return;
    }
    if (w_pid > 0) kill(w_pid, SIGKILL);
    static const char by_signal[] = "kiemthu-sandbox: stopped by a signal while compiling ";
    static const char by_timeout[] = "kiemthu-sandbox: --timeout passed while compiling ";
    static const char tail[] = "; nothing of the payload ran\n";
    if (stop)
        say(by_signal, sizeof by_signal - 1);
    else
        say(by_timeout, sizeof by_timeout - 1);
    say(w_what, strlen(w_what));
    say(tail, sizeof tail - 1);
    _exit(stop ? 128 + stop : 125);
}

int kt_watch_arm(pid_t sandbox, int sigfd, uint64_t deadline_ms, const char *what, kt_err *err)
{
    w_pid = sandbox;
    w_what = what;
    w_sigfd = sigfd;
    w_deadline = deadline_ms;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, &w_old) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "sigaction");
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alrm, &w_oldmask);
    armed = 1;
    clock_gettime(CLOCK_MONOTONIC, &w_armed_at);
    memset(&w_oldtimer, 0, sizeof w_oldtimer);
    w_inherited_due = 0;
    struct itimerval every = {{0, 100000}, {0, 100000}};
    if (setitimer(ITIMER_REAL, &every, &w_oldtimer) < 0) {
        int e = errno;
        kt_watch_disarm();
        return kt_fail_errno(err, KT_E_INTERNAL, e, "setitimer");
    }
    const struct timeval *v = &w_oldtimer.it_value;
    if ((v->tv_sec || v->tv_usec) && w_old.sa_handler == SIG_DFL) /* SIG_IGN: it does nothing */
        w_inherited_due = (uint64_t)w_armed_at.tv_sec * 1000 +
                          (uint64_t)w_armed_at.tv_nsec / 1000000 + (uint64_t)v->tv_sec * 1000 +
                          (uint64_t)v->tv_usec / 1000;
    return 0;
}

void kt_watch_disarm(void)
{
    armed = 0; /* first: a SIGALRM already on its way does nothing */
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &w_old, NULL);
    pthread_sigmask(SIG_SETMASK, &w_oldmask, NULL);
    /* an inherited timer goes on, less the time the watch took (due by
     * now: at once) */
    struct itimerval *o = &w_oldtimer;
    if (o->it_value.tv_sec || o->it_value.tv_usec) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t used = (int64_t)(now.tv_sec - w_armed_at.tv_sec) * 1000000 +
                       (now.tv_nsec - w_armed_at.tv_nsec) / 1000;
        int64_t left = (int64_t)o->it_value.tv_sec * 1000000 + o->it_value.tv_usec - used;
        if (left < 1) left = 1;
        o->it_value.tv_sec = left / 1000000;
        o->it_value.tv_usec = left % 1000000;
        setitimer(ITIMER_REAL, o, NULL);
    }
    memset(&w_oldtimer, 0, sizeof w_oldtimer);
}
