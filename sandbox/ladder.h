/* ladder.h - the profile ladder: each profile tried in order, strictest
 * first, until the payload starts (or all of them with --all-profiles); the
 * first under which it started is canonical. Every attempt is written into a
 * temporary directory next to RECORD/<profile> and renamed into place when
 * complete, so an attempt is either recorded whole or absent;
 * RECORD/ladder.json is always written, also when the runner fails or is
 * stopped by SIGINT, SIGTERM or SIGHUP (the sandbox is then killed and the
 * attempt recorded as interrupted). Each attempt's /out is copied into its
 * record; the host --out gets the canonical attempt's files only. */
#ifndef KT_LADDER_H
#define KT_LADDER_H

#include "../core/err.h"

#include <signal.h>
#include "filter.h"
#include "outdir.h"
#include "profile.h"
#include "sandbox.h"
#include "spawn.h"

#define KT_LADDER_MAX 8

typedef struct kt_attempt {
    char name[256]; /* the profile's file name without .json */
    kt_profile *profile;
    int ran;           /* attempted (the ladder stops at the canonical one) */
    int runner_failed; /* the runner could not run it (ladder.json says why) */
    int dir_made;      /* its .partial directory exists (removed if nothing ran) */
    kt_run run;
    kt_filter filter;
    const char *out_mode; /* "tmpfs", "bind" or NULL (no /out) */
    kt_outcopy out;
    char out_error[1024]; /* "" or what went wrong copying /out or cleaning up after it */
} kt_attempt;

typedef struct kt_ladder kt_ladder;
/* Called after each attempt is recorded (main prints the outcome). */
typedef void (*kt_ladder_progress)(void *ctx, const kt_ladder *l, const kt_attempt *a);

struct kt_ladder {
    /* in */
    kt_sandbox *sb;
    const char *record;
    kt_attempt att[KT_LADDER_MAX];
    size_t n;
    kt_profile *baseline; /* NULL: --baseline none */
    const char *baseline_name;
    int all, exec_once;
    const char *image_digest;
    kt_ladder_progress progress;
    void *progress_ctx;
    int sigfd; /* kt_stop_signals_block()'s signalfd, or -1 */
    /* --tee (tee.h), or NULL */
    struct kt_tee *tee;
    /* out */
    kt_cgroup_host cghost; /* read once, before the first attempt */
    int reclaimed;         /* what killed runners left was reclaimed (first attempt's setup) */
    kt_timings t;          /* the run's phases; each attempt's are in its run.t */
    kt_filter baseline_filter;
    int canonical;   /* index of the canonical attempt, -1 if none started */
    int interrupted; /* the stop signal that ended the ladder, 0 if none */
    char runner_error[sizeof(((kt_err *)0)->msg)];  /* "" unless the runner failed */
    char publish_error[sizeof(((kt_err *)0)->msg)]; /* "" unless --out was not all written */
};

/* The runner's stop signals (SIGINT, SIGTERM, SIGHUP) go to a signalfd,
 * read where the runner waits (supervision, the /out copy, between attempts),
 * so it can end the sandbox and still write a complete record. Call first
 * thing; the payload gets an empty mask back before its exec. Returns the
 * signalfd, or -1 with err. */
int kt_stop_signals_block(sigset_t *old, kt_err *err);

/* Load and validate every profile (its file name, without .json, names its
 * record directory: letters, digits, '.', '_', '+', '-', not starting with
 * '.', unique, not yet in l->record) and the baseline (baseline.h), before
 * anything runs. l->record must be set. The ladder owns what it loads. */
int kt_ladder_load(kt_ladder *l, const char *const *paths, size_t n, const char *baseline_spec,
                   kt_err *err);

/* Run the ladder. Returns 0 when it ran to its end or was interrupted (see
 * l->interrupted), -1 when the runner failed (err, and l->runner_error) or
 * the host --out could not take every file (err, and l->publish_error; the
 * record is complete). */
int kt_ladder_run(kt_ladder *l, kt_err *err);
void kt_ladder_free(kt_ladder *l);

/* "started, exit 0", "not started: execve: Operation not permitted",
 * "runner interrupted by SIGTERM", ... */
void kt_attempt_outcome(const kt_attempt *a, char *out, size_t n);

#endif
