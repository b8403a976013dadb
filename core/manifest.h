/* manifest.h - the in-toto Statement v1 that lists every evidence member.
 *
 * subject: one {"name", "digest": {"sha256": lowercase hex}} per evidence
 * member, in member order; a member over KT_CHAIN_MIN bytes also has
 * "annotations": {KT_CHAIN_KEY: [lowercase hex, ...]} (core/chain.h). predicate (type
 * KT_PREDICATE_TYPE): tool and version, creation time (= SOURCE_DATE_EPOCH), and slots that the
 * sandbox and policy stages fill: venue, imageDigest, profiles, runs, adjudication. */
#ifndef KT_MANIFEST_H
#define KT_MANIFEST_H

#include "chain.h"
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
    /* Over KT_CHAIN_MIN bytes: the chain values (core/chain.h), owned like
     * name. Made by create. Computed by verify: as the bytes pass (a stream,
     * --extract), or from a file each chunk from the signed value before it;
     * NULL where a file's member was hashed whole, its subject having no
     * values (kt_manifest_check then refuses values it did not compute). */
    uint8_t (*states)[KT_SHA256_LEN];
} kt_subject;

/* Free the names and values of n subjects and the array. */
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
 * the mtime every header carries. Reasons name the subject or member.
 *
 * A subject is {"name", "digest": {"sha256"}}; for a member over
 * KT_CHAIN_MIN bytes it may also have "annotations": {KT_CHAIN_KEY: exactly
 * kt_chain_count(size) values} (a bundle made before format version 3 has
 * none). Every value present must equal members[i].states, and the sha256
 * members[i].sha256. */
int kt_manifest_check(const cJSON *stmt, const kt_subject *members, size_t n, uint64_t mtime,
                      kt_err *err);

/* The chain values of the subject named name (kt_chain_count(size) into
 * out) if it lists them well formed: 1; else 0. *cursor starts at NULL and
 * walks the subject array, so names must be asked in increasing byte order.
 * For planning the hashing; kt_manifest_check decides. */
int kt_manifest_chain(const cJSON *stmt, const cJSON **cursor, const char *name, uint64_t size,
                      uint8_t (*out)[KT_SHA256_LEN]);

#endif
