/* evidence.h - the seccomp profiles a run used, put into the evidence
 * folder by the sandbox itself, so that the evidence holds what each run was
 * held to without a hand-written copy.
 *
 * The evidence root is --evidence DIR; without it, RECORD's grandparent when
 * RECORD's parent directory is named "runs" (the documented layout
 * EVIDENCE/runs/<run>/); else there is none and nothing is copied. Each
 * profile of the ladder goes to ROOT/profiles/<name>.json, the baseline to
 * ROOT/profiles/<its name>.json (kiemthu-baseline.json for the built-in one),
 * byte for byte as loaded, so that its sha256 is run.json's profile_sha256 or
 * baseline.sha256. Several runs share one folder: a file already there with
 * the same bytes is kept; one with other bytes is an error naming it, never
 * overwritten. A file is written as an unnamed file and linked into place
 * (no half file under its name, no leftover), beneath a profiles/ directory
 * opened without following a link. */
#ifndef KT_EVIDENCE_H
#define KT_EVIDENCE_H

#include "../core/err.h"
#include "ladder.h"

#include <stddef.h>

/* The evidence root for --evidence given (NULL: none) and the absolute
 * RECORD, into out ("" when there is none). -1 with errno. */
int kt_evidence_root(const char *given, const char *record_abs, char *out, size_t n);

/* Copy the ladder's profiles and baseline into root/profiles/. *written
 * counts the files written now (the others were there already). */
int kt_evidence_profiles(const char *root, const kt_ladder *l, int *written, kt_err *err);

#endif
