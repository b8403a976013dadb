/* manifest.h - the in-toto Statement v1 that lists every evidence member.
 *
 * subject: one {"name", "digest": {"sha256": lowercase hex}} per evidence
 * member, in member order. predicate (type KT_PREDICATE_TYPE): tool and
 * version, creation time (= SOURCE_DATE_EPOCH), and slots that the sandbox
 * and policy stages fill: venue, imageDigest, profiles, runs, adjudication. */
#ifndef KT_MANIFEST_H
#define KT_MANIFEST_H

#include "err.h"
#include "sha256.h"
#include "ustar.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_subject {
    char *name; /* member name, owned by whoever fills the array */
    uint8_t sha256[KT_SHA256_LEN];
    uint64_t size;
} kt_subject;

/* Free the names of n subjects and the array. */
void kt_subjects_free(kt_subject *subs, size_t n);

/* "YYYY-MM-DDTHH:MM:SSZ" for a Unix time. */
void kt_rfc3339(uint64_t t, char out[32]);

/* New Statement for these subjects in *out (the caller's), built with the
 * checked builder (core/jsonb.h): 0, or -1 with err and nothing in *out.
 * adjudication (may be NULL) becomes predicate.adjudication and is owned by
 * this function either way. The venue -- {"ci": "github-actions",
 * "repository", "run_id", "run_attempt", "commit", "ref", "workflow_ref",
 * "runner_os", "runner_arch", "runner_environment"} from GITHUB_* and
 * RUNNER_* when GITHUB_ACTIONS=true, else {"ci": "local"} -- is recorded in
 * predicate.venue. */
int kt_manifest_build(const kt_subject *subs, size_t n, uint64_t source_date_epoch,
                      cJSON *adjudication, cJSON **out, kt_err *err);

/* The predicate object of a statement built or checked here. */
cJSON *kt_manifest_predicate(const cJSON *stmt);

/* Check a parsed Statement against the evidence members actually read and
 * the mtime every header carries. Reasons name the subject or member. */
int kt_manifest_check(const cJSON *stmt, const kt_subject *members, size_t n, uint64_t mtime,
                      kt_err *err);

#endif
