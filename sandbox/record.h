/* record.h - the run record: RECORD/<profile>/run.json (schema in
 * docs/RUN_RECORD.md) and RECORD/ladder.json, written atomically. */
#ifndef KT_RECORD_H
#define KT_RECORD_H

#include "../core/err.h"
#include "profile.h"
#include "sandbox.h"
#include "spawn.h"

typedef struct kt_attempt {
    const char *profile_name; /* file name without .json */
    const kt_profile *profile;
    int ran; /* attempted (the ladder stops at the canonical one) */
    kt_run run;
} kt_attempt;

/* Write DIR/run.json for one attempt. */
int kt_record_run(const char *dir, const kt_sandbox *sb, const kt_attempt *a,
                  const char *image_digest, kt_err *err);
/* Write RECORD/ladder.json: every profile in order, which is canonical and why. */
int kt_record_ladder(const char *record, const kt_attempt *a, size_t n, int canonical, kt_err *err);
/* "started, exit 0" / "not started: execve: Operation not permitted" */
void kt_record_outcome(const kt_attempt *a, char *out, size_t n);

#endif
