/* watch.h - the runner's stop signals and --timeout while it is inside a
 * call it cannot interrupt: compiling the profile, which libseccomp can make
 * take very long, or never end, for a crafted profile (THREAT_MODEL.md).
 * The runner reads its stop signals from a signalfd, between calls; during
 * the compile an interval timer looks every 100 ms instead: a stop signal
 * waiting there, or --timeout passed, kills the sandbox (which is waiting to
 * be told to exec: nothing of the payload has run) and ends the runner at
 * once from the handler, saying why on stderr: 128+N for signal N, 125 for
 * the timeout. The one place outside main() that exits, as it must: the
 * call it leaves is not coming back. Its cgroups are left to the next run's
 * reclaim (cgroup.h), as after a SIGKILL. */
#ifndef KT_WATCH_H
#define KT_WATCH_H

#include "../core/err.h"

#include <stdint.h>
#include <sys/types.h>

/* sandbox: the process to kill, or 0 for none (the baseline is compiled
 * before any sandbox exists); sigfd: the runner's stop-signal signalfd
 * (non-blocking), or -1; deadline_ms: CLOCK_MONOTONIC milliseconds, 0 for
 * none; what: what is compiled, for the message ("the profile"; a string
 * that outlives the watch). */
int kt_watch_arm(pid_t sandbox, int sigfd, uint64_t deadline_ms, const char *what, kt_err *err);
void kt_watch_disarm(void);

#endif
