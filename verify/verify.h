/* verify.h - check a bundle: canonical tar, DSSE signatures by enough
 * trusted keys (verify/signers.h) valid at the reference time, an optional
 * RFC 3161 token against pinned TSA certificates, canonical envelope and
 * manifest, every evidence member against its subject, and the policy. */
#ifndef KT_VERIFY_H
#define KT_VERIFY_H

#include "../core/err.h"
#include "../core/manifest.h"
#include "../policy/policy.h"
#include "../keys/keys.h"
#include "signers.h"
#include "trust.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* UNCHECKED: the bundle could not be checked (an I/O error, a resource limit
 * such as --max-size, or a member a check needs that a stream did not keep):
 * no finding about the bundle either way. AUTHENTIC: authentic and intact,
 * but no policy adjudicated the evidence (the bundle has none and the auditor
 * gave none) -- never to be read as PASS. */
enum kt_verdict {
    KT_VERDICT_REJECT = 0,
    KT_VERDICT_PASS,
    KT_VERDICT_FAIL,
    KT_VERDICT_UNCHECKED,
    KT_VERDICT_AUTHENTIC
};

/* Sees every member as the verifier reads it (kiemthu-verify --extract):
 * begin, the member's bytes in order -- the very buffers that are hashed --
 * and end (not called when reading the member failed). */
typedef struct kt_member_observer {
    void (*begin)(void *arg, const char *name, uint64_t size);
    void (*data)(void *arg, const uint8_t *p, size_t n);
    void (*end)(void *arg);
    void *arg;
} kt_member_observer;

struct kt_verify_result;

typedef struct kt_verify_opts {
    const kt_trust *trust;    /* trusted keys and TSA certificates: the only ones */
    unsigned threshold;       /* keys that must count; 0: the keyring's, else 1 */
    int64_t now;              /* the time of verification (key windows without a token) */
    uint64_t max_total;       /* cap on the sum of member sizes */
    const kt_policy *auditor; /* --policy: adjudicate under this instead of the bundle's */
    size_t read_buffer;       /* bytes held by the reader; 0 = 256 KiB from a file, else
                                 4 MiB (core/tarread.h) */
    /* From a bundle file, members of at least this many bytes are hashed
     * after the headers are read, on every CPU (verify/hashpool.h); 0 = 1 MiB,
     * UINT64_MAX: never (each hashed as it is read). */
    uint64_t defer_min;
    /* CPUs to hash those on; 0: those this process may use. main() asks
     * before its self-sandbox, which refuses sched_getaffinity. */
    int cpus;
    int spool_fd;       /* a memfd for a stream's kept members (verify/spool.h); <= 0: open one */
    uint64_t spool_max; /* bytes kept from a stream; 0 = KT_SPOOL_MAX_DEFAULT */
    /* Called as members are read (main() prints it on a terminal). */
    void (*progress)(void *arg, uint64_t bytes, uint64_t total);
    void *progress_arg;
    const kt_member_observer *observe; /* NULL: none */
    /* From a stream, also keep the members this says yes to (relative to
     * evidence/), within --spool-max: what inspect will read. */
    int (*keep)(const char *rel);
    /* Called once the bundle verified, the evidence still readable (re-read
     * and re-hashed from a bundle file; from a stream, what was kept). */
    void (*inspect)(void *arg, kt_evidence *ev, const struct kt_verify_result *res);
    void *inspect_arg;
} kt_verify_opts;

typedef struct kt_verify_result {
    enum kt_verdict verdict;
    kt_err err;                          /* the first reason, when REJECT */
    char keyid[KT_KEYID_HEX];            /* the first counted key, when authentic */
    size_t key_index;                    /* which trusted key */
    kt_signer signers[KT_DSSE_MAX_SIGS]; /* every signature of the envelope */
    size_t nsigners, counted;
    unsigned threshold;
    int64_t ref_time; /* when the keys' windows were judged */
    int timestamp;    /* 0 none, 1 present but not verified (no TSA pinned), 2 verified */
    kt_tsa_info tsa;  /* what the token says (verified only when timestamp == 2) */
    size_t members;   /* all members */
    size_t evidence;  /* evidence members */
    uint64_t bytes;   /* bundle bytes read */
    uint64_t source_date_epoch;
    kt_subject *subjects; /* evidence members with their digests */
    size_t nsubjects;
    struct {
        const char *name; /* manifest.dsse.json, manifest.json, timestamp.tst */
        uint64_t size;
        uint8_t sha256[KT_SHA256_LEN];
    } meta[3];           /* the members that are not subjects, in bundle order */
    size_t nmeta;        /* 2, or 3 with a time-stamp token */
    cJSON *manifest;     /* the verified Statement */
    int adjudicated;     /* a policy was evaluated on the evidence */
    kt_adjudication adj; /* under the policy in use */
    char policy_sha256[KT_SHA256_HEX];
    char policy_name[128];
    int policy_is_bundles; /* the policy in use is the bundled one */
    int bundle_has_policy;
} kt_verify_result;

/* Verify the bundle read from fd. Always fills res; returns 0 when the bundle
 * is authentic and intact, -1 otherwise (res->err says why). */
int kt_verify_fd(int fd, const kt_verify_opts *o, kt_verify_result *res);
void kt_verify_result_free(kt_verify_result *res);

#endif
