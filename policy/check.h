/* check.h - what the policy's parts share, inside policy/ only: the parsed
 * policy, the check-type table (schema.c), and the context and helpers every
 * check function uses (eval.c). Each check function reads the evidence
 * through the context and reaches exactly one result with ck_verdict(). */
#ifndef KT_POLICY_CHECK_H
#define KT_POLICY_CHECK_H

#include "policy.h"

#include "../core/jsondoc.h"

#include <cjson/cJSON.h>

struct kt_policy {
    kt_jsondoc doc; /* the bytes as read once, their sha256, the validated tree */
    char name[128];
};

typedef struct check_ctx {
    const cJSON *chk;
    kt_evidence *ev;
    kt_check_out *out;
    int decided;
} check_ctx;

typedef void (*check_fn)(check_ctx *c);

/* A check type: its description (policy.h) and the function that evaluates
 * it. Parameters are "name:K" with K a kind letter (kt_check_kind_text; a
 * trailing '?' marks it optional). The table is in types.c. */
typedef struct kt_check_type {
    kt_check_info info;
    check_fn fn;
} kt_check_type;

/* What a parameter kind letter means, for messages and --help. */
const char *kt_check_kind_text(char kind);

/* NULL if name is not a check type. */
const kt_check_type *kt_check_type_of(const char *name);

/* 64 lowercase hex digits. */
int kt_is_sha256_hex(const char *s);

/* A JSON number that is an integer within +-2^53. */
int kt_json_is_int(const cJSON *v);

/* ---- helpers for check functions (eval.c) ---- */
const char *ck_str(check_ctx *c, const char *key);
long long ck_num(check_ctx *c, const char *key, long long dflt);
/* The first call decides the result; later calls are ignored. */
void ck_verdict(check_ctx *c, enum kt_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* v as compact canonical JSON for a reason, cut to fit cap ("..." when cut);
 * "(absent)" for NULL. Returns out. */
const char *ck_show(const cJSON *v, char *out, size_t cap);
/* Record that the check read path (relative to the evidence root). */
void ck_used(check_ctx *c, const char *path);
/* Parse an evidence file as JSON; NULL (and the check an error) on failure. */
cJSON *ck_json_file(check_ctx *c, const char *path);
/* runs/<run>/<profile>/run.json with "started" and "exit_code" typed. */
cJSON *ck_run_json(check_ctx *c, const char *run, const char *profile);
/* The canonical profile of run, re-derived from the run records; -1 and the
 * check decided if it cannot be. */
int ck_canonical_of(check_ctx *c, const char *run, char *out, size_t n);
/* The check's "profile" with "@canonical" resolved; NULL and decided if not. */
const char *ck_profile_of(check_ctx *c, char *buf, size_t n);

/* Called by ck_attempts for each attempted profile: the ladder's attempt and
 * the profile's run.json. Return nonzero to stop (or decide the check). */
typedef int (*ck_attempt_fn)(check_ctx *c, const char *profile, const cJSON *attempt,
                             const cJSON *run_json, void *arg);
/* Visit every attempted profile of run in ladder.json's order. The number
 * visited, or -1 when the check is decided (a missing or malformed ladder or
 * run.json is an error; so is a ladder without an attempted profile). */
int ck_attempts(check_ctx *c, const char *run, ck_attempt_fn fn, void *arg);

/* ---- check functions: run records (checks_run.c) ---- */
void ck_run_started(check_ctx *c);
void ck_exit_code(check_ctx *c);
void ck_canonical(check_ctx *c);
void ck_probe_report(check_ctx *c);
void ck_files_present(check_ctx *c);
void ck_report_triplet(check_ctx *c);
void ck_image_digest(check_ctx *c);

/* ---- check functions: pins of what ran (checks_pin.c) ---- */
void ck_probe_ids(check_ctx *c);
void ck_run_profiles_pinned(check_ctx *c);
void ck_run_baseline(check_ctx *c);
void ck_run_filter_checked(check_ctx *c);
void ck_image_pinned(check_ctx *c);
void ck_limit_not_hit(check_ctx *c);

/* ---- check functions: single files (checks_file.c) ---- */
void ck_json_field(check_ctx *c);
void ck_profile_sha256(check_ctx *c);
void ck_junit(check_ctx *c);
void ck_guard(check_ctx *c);
void ck_venue(check_ctx *c);

#endif
