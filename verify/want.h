/* want.h - which evidence members a policy's checks may read.
 *
 * A bundle read from a stream (stdin) cannot be re-read, so kiemthu-verify
 * keeps, as the members pass, those a policy may need; this says which. It
 * knows no check type: a check may read any path one of its string
 * parameters names, and a check about a run R may read runs/R/ladder.json
 * and, for any profile P, runs/R/P/ + run.json, stdout, stderr, a path a
 * parameter names, or DIR/report.{json,md,sha256} for DIR a parameter or
 * "out". A check type that reads something else finds it not kept, and the
 * verdict is "could not be checked" (never a wrong PASS or FAIL): the stdin
 * test over every check type's example keeps this list honest. */
#ifndef KT_WANT_H
#define KT_WANT_H

#include <stddef.h>

typedef struct kt_want kt_want;

/* Add a policy's checks (its JSON bytes). A policy that does not parse
 * makes every member wanted (its evaluation will fail on its own). 0, or -1
 * when out of memory. */
int kt_want_add(kt_want **w, const char *policy, size_t n);
/* 1 if a check may read path (relative to evidence/, as member names are
 * encoded); 0 if no policy was added. */
int kt_want_member(const kt_want *w, const char *path);
void kt_want_free(kt_want *w);

#endif
