/* runmsg.h - what kiemthu-sandbox run tells the operator on stderr: each
 * attempt as it ends, the canonical profile, why nothing started, and the
 * exit status that goes with it (docker run's: 125, 126, 127, 128+N).
 * Linked only into the command; bytes not ours go through the escaper. */
#ifndef KT_RUNMSG_H
#define KT_RUNMSG_H

#include "ladder.h"
#include "sandbox.h"

#define KT_EXIT_RUNNER 125 /* Docker's: the runner failed or no profile let the payload start */

/* --timings: phases from..to of t, one line. */
void kt_msg_phases(const char *name, const kt_timings *t, int from, int to);
/* The ladder's progress callback; ctx points to an int: print --timings. */
void kt_msg_attempt(void *ctx, const kt_ladder *l, const kt_attempt *a);
/* Why the payload did not start, when exec said e (0: unknown), printed;
 * returns 127 not found, 126 not executable, else 125. */
int kt_msg_exec_exit(const kt_sandbox *sb, int e, const char *cmd);
/* After kt_ladder_run: the canonical profile and the attempts before it,
 * or why none started, or the interruption; returns the exit status. */
int kt_msg_outcome(const kt_ladder *l, const char *cmd);

#endif
