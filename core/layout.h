/* layout.h - member names and resource caps of a kiemthu bundle (docs/FORMAT.md). */
#ifndef KT_LAYOUT_H
#define KT_LAYOUT_H

#define KT_VERSION "0.1.0"

/* Members, in the (byte-sorted) order they appear. */
#define KT_EVIDENCE_PREFIX "evidence/"
#define KT_ENVELOPE_NAME "manifest.dsse.json"
#define KT_MANIFEST_NAME "manifest.json"
#define KT_TIMESTAMP_NAME "timestamp.tst" /* optional: RFC 3161 token over the envelope (DER) */

#define KT_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define KT_PREDICATE_TYPE "https://kiemthu.dev/evidence-bundle/v1"

/* Caps a verifier checks before the work they protect. kiemthu-bundle create
 * checks the evidence against the same caps (and KT_NAME_* of core/name.h)
 * before it writes anything, so every bundle it makes verifies. */
#define KT_MAX_MEMBERS 50000
#define KT_MAX_EVIDENCE (KT_MAX_MEMBERS - 10) /* evidence files, policy.json included */
/* Every evidence file is one manifest subject of 108 bytes plus its encoded
 * path; the subjects may take this much of the manifest's 16 MiB. */
#define KT_MAX_SUBJECT_BYTES (12u << 20)
#define KT_SUBJECT_OVERHEAD 108
#define KT_MAX_MANIFEST (16u << 20)        /* manifest.json bytes */
#define KT_MAX_ENVELOPE (24u << 20)        /* manifest.dsse.json bytes (base64 of the manifest) */
#define KT_MAX_TOTAL_DEFAULT (64ULL << 30) /* sum of member sizes */
/* What create allows the evidence, leaving room for the manifest members. */
#define KT_MAX_EVIDENCE_BYTES (KT_MAX_TOTAL_DEFAULT - (64ULL << 20))

#endif
