/* record.h - the run record: <attempt dir>/run.json and RECORD/ladder.json
 * (schema in docs/RUN_RECORD.md), built with the sticky JSON builder and
 * written atomically (temporary file, rename). */
#ifndef KT_RECORD_H
#define KT_RECORD_H

#include "../core/err.h"
#include "ladder.h"

/* Write run.json for attempt a into directory fd dirfd. On failure errno is
 * the failed call's (ENOSPC, EDQUOT: the caller may make room and retry). */
int kt_record_run(int dirfd, const kt_ladder *l, const kt_attempt *a, kt_err *err);
/* Write ladder.json into directory fd recfd: every profile in order, which
 * is canonical and why, and how the ladder ended. */
int kt_record_ladder(int recfd, const kt_ladder *l, kt_err *err);

#endif
