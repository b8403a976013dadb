/* create.h - build a signed, byte-reproducible bundle from an evidence folder. */
#ifndef KT_CREATE_H
#define KT_CREATE_H

#include "../core/err.h"
#include "../policy/policy.h"
#include "../keys/keys.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_create_opts {
    const char *evidence_dir;
    const char *out_path;
    const kt_seckey *const *keys; /* 1..KT_MAX_SIGNERS signing keys */
    size_t nkeys;
    const char *tsa_url; /* NULL: no time-stamp token */
    uint64_t source_date_epoch;
    const char *policy_path; /* NULL: evidence/policy.json if present, else no adjudication */
    /* Called after each evidence file (main() prints it on a terminal). */
    void (*progress)(void *arg, uint64_t bytes, size_t files);
    void *progress_arg;
} kt_create_opts;

typedef struct kt_create_result {
    size_t evidence_members;
    uint64_t evidence_bytes;
    uint64_t bundle_bytes;
    char keyids[16][KT_KEYID_HEX]; /* of opts.keys, in that order */
    int timestamped;               /* a token was added */
    int adjudicated;               /* a policy was evaluated */
    kt_adjudication adj;           /* its results (free with kt_create_result_free) */
    char policy_sha256[KT_SHA256_HEX];
    char policy_name[128];
} kt_create_result;

void kt_create_result_free(kt_create_result *res);

/* Parse SOURCE_DATE_EPOCH strictly: 1-11 decimal digits, no sign, no leading
 * zero, at most 8589934591 (the ustar mtime limit). NULL or "" gives 0. */
int kt_parse_source_date_epoch(const char *s, uint64_t *out, kt_err *err);

int kt_bundle_create(const kt_create_opts *o, kt_create_result *res, kt_err *err);

#endif
