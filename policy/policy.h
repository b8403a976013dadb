/* policy.h - the adjudication policy (docs/POLICY.md): typed checks over the
 * raw evidence, all of which must hold. The same code runs when a bundle is
 * made (results recorded in the manifest) and when it is verified (results
 * re-derived from the bundled evidence and compared with the record). An
 * unknown check type, a missing parameter or a wrong type is an error when
 * the policy is read; missing or malformed evidence makes a check "error",
 * which fails the verdict (fail closed). */
#ifndef KT_POLICY_H
#define KT_POLICY_H

#include "../core/err.h"
#include "../core/sha256.h"
#include "evidence.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define KT_POLICY_MAX (1u << 20)
#define KT_POLICY_MEMBER "policy.json" /* under evidence/ */

enum kt_result { KT_RESULT_PASS, KT_RESULT_FAIL, KT_RESULT_ERROR };

typedef struct kt_check_out {
    char id[64];
    char type[40];
    char description[256];
    enum kt_result result;
    char reason[512];
    char evidence[16][256]; /* files the check read, relative to the evidence root (first 16) */
    int nevidence;
} kt_check_out;

typedef struct kt_policy kt_policy;

typedef struct kt_adjudication {
    kt_check_out *checks;
    size_t n;
    int pass; /* every check passed */
} kt_adjudication;

int kt_policy_parse(const char *bytes, size_t n, const char *what, kt_policy **out, kt_err *err);
int kt_policy_load(const char *path, kt_policy **out, kt_err *err);
void kt_policy_free(kt_policy *p);
const char *kt_policy_sha256(const kt_policy *p);
const char *kt_policy_name(const kt_policy *p);
const char *kt_policy_bytes(const kt_policy *p, size_t *n);

/* Evaluate every check. Returns -1 only for out-of-memory. */
int kt_policy_eval(const kt_policy *p, kt_evidence *ev, kt_adjudication *out, kt_err *err);
void kt_adjudication_free(kt_adjudication *a);

/* A check type, as docs/POLICY.md and check-policy --help list it. */
typedef struct kt_check_info {
    const char *name;    /* "run_started" */
    const char *params;  /* "run:s profile:s expect:b" (kinds: kt_check_params_text) */
    const char *summary; /* when it passes, one line */
    const char *example; /* one check object */
} kt_check_info;

/* The i-th check type, NULL past the last. */
const kt_check_info *kt_policy_check_type(size_t i);
/* "run (string), profile (string), expect (true or false)" */
void kt_check_params_text(const kt_check_info *t, char *out, size_t cap);
/* "run_started, exit_code, ..." */
void kt_policy_type_names(char *out, size_t cap);

const char *kt_result_name(enum kt_result r);
/* The manifest's predicate.adjudication object, built with a checked builder:
 * 0 and *out (the caller's), or -1 with err (nothing half-built escapes). */
int kt_adjudication_json(const kt_policy *p, const kt_adjudication *a, cJSON **out, kt_err *err);
/* Compare a recorded adjudication with a fresh one: policy hash, verdict,
 * and every check's id and result. 0 if they agree; else -1 and err
 * (KT_E_TAMPER) says where they differ, naming the check. */
int kt_adjudication_compare(const cJSON *recorded, const kt_policy *p, const kt_adjudication *a,
                            kt_err *err);

#endif
