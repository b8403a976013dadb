#include "verify.h"

#include "../core/buf.h"
#include "../core/chain.h"
#include "../core/dsse.h"
#include "../core/json_canon.h"
#include "../core/layout.h"
#include "../core/tarread.h"
#include "../core/tsa.h"
#include "hashpool.h"
#include "spool.h"
#include "want.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stage { ST_EVIDENCE, ST_ENVELOPE_DONE, ST_MANIFEST_DONE, ST_TIMESTAMP_DONE };

typedef struct vstate {
    kt_tarr r;
    kt_evidence ev; /* evidence members, to re-read for re-adjudication */
    kt_spool spool; /* a stream's members that a policy may read */
    kt_want *want;  /* which those are */
    enum stage stage;
    kt_buf envelope, manifest, token;
    int has_token;
    kt_subject *subs;
    size_t nsubs, cap;
    uint64_t total, mtime;
    char prev[KT_TAR_NAME_MAX + 1];
    kt_hashjob *jobs; /* members whose data kt_tarr_skip passed over, to hash */
    size_t njobs, jcap;
    uint64_t deferred;                            /* their bytes */
    uint64_t defer_min;                           /* the smallest member hashed so */
    void (*progress)(void *, uint64_t, uint64_t); /* the caller's, and its argument */
    void *progress_arg;
} vstate;

#define DEFER_MIN (1u << 20)

/* A member's data left for the pool (verify/hashpool.h); its subject and its
 * evidence entry (the same index: each evidence member adds one of each) get
 * the digest once it is hashed. */
static int defer(vstate *v, const char *rel, uint64_t size, kt_err *err)
{
    if (v->ev.n != v->nsubs - 1) return kt_fail(err, KT_E_INTERNAL, "evidence index out of step");
    if (v->njobs == v->jcap) {
        size_t cap = v->jcap ? v->jcap * 2 : 16;
        kt_hashjob *p = realloc(v->jobs, cap * sizeof *p);
        if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
        v->jobs = p;
        v->jcap = cap;
    }
    static const uint8_t later[32];
    if (kt_ev_add_ref(&v->ev, rel, (int64_t)v->r.off, size, later, err) < 0) return -1;
    v->jobs[v->njobs++] = (kt_hashjob){.offset = v->r.off, .size = size, .tag = v->nsubs - 1};
    v->deferred += size;
    return kt_tarr_skip(&v->r, size, err);
}

static void hashed(void *arg, uint64_t bytes)
{
    vstate *v = arg;
    v->progress(v->progress_arg, v->r.file_size - v->deferred + bytes, v->r.file_size);
}

/* The parts of a member whose signed subject (st) lists its chain values:
 * one job per chunk, each from the value before it, into jobs at *k. Its
 * claimed values go to *claimed (kt_chain_count(size) of them), and its
 * subject gets room for the values computed. 0: hash it whole. */
static int split_job(vstate *v, const kt_hashjob *j, const cJSON *st, const cJSON **cur,
                     uint8_t (*claimed)[KT_SHA256_LEN], kt_hashjob *jobs, size_t *k, kt_err *err)
{
    kt_subject *s = &v->subs[j->tag];
    size_t n = kt_chain_count(j->size);
    if (!n || !kt_manifest_chain(st, cur, s->name, j->size, claimed)) return 0;
    if (!(s->states = calloc(n, KT_SHA256_LEN))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    for (size_t c = 0; c <= n; c++)
        jobs[(*k)++] = (kt_hashjob){.offset = j->offset + (uint64_t)c * KT_CHUNK,
                                    .size = c < n ? KT_CHUNK : j->size - (uint64_t)n * KT_CHUNK,
                                    .from = c ? claimed[c - 1] : NULL,
                                    .before = (uint64_t)c * KT_CHUNK,
                                    .open = c < n,
                                    .tag = j->tag};
    return 1;
}

/* The deferred members' digests, on every CPU. A member whose signed
 * subject lists its chain values (core/chain.h) is hashed as its chunks,
 * all at once; kt_manifest_check then holds every part to its value. */
static int hash_deferred(vstate *v, const cJSON *st, int cpus, kt_err *err)
{
    size_t values = 0; /* at most one job per value more than there are members */
    for (size_t i = 0; i < v->njobs; i++) values += kt_chain_count(v->jobs[i].size);
    kt_hashjob *jobs = calloc(v->njobs + values ? v->njobs + values : 1, sizeof *jobs);
    uint8_t(*claimed)[KT_SHA256_LEN] = calloc(values ? values : 1, KT_SHA256_LEN);
    int rc = -1;
    if (!jobs || !claimed) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    const cJSON *cur = NULL;
    size_t k = 0, used = 0;
    for (size_t i = 0; i < v->njobs; i++) {
        int split = split_job(v, &v->jobs[i], st, &cur, claimed + used, jobs, &k, err);
        if (split < 0) goto out;
        if (split)
            used += kt_chain_count(v->jobs[i].size);
        else
            jobs[k++] = v->jobs[i];
    }
    size_t failed = 0;
    if (kt_hash_ranges(v->r.fd, jobs, k, cpus, v->progress ? hashed : NULL, v, &failed, err) < 0) {
        kt_err_member(err, v->subs[failed].name);
        goto out;
    }
    size_t c = 0; /* the chunk of the member in hand */
    for (size_t i = 0; i < k; i++) {
        kt_subject *s = &v->subs[jobs[i].tag];
        if (jobs[i].open) {
            memcpy(s->states[c++], jobs[i].sha256, KT_SHA256_LEN);
            continue;
        }
        c = 0;
        memcpy(s->sha256, jobs[i].sha256, KT_SHA256_LEN);
        memcpy(v->ev.e[jobs[i].tag].sha256, jobs[i].sha256, KT_SHA256_LEN);
    }
    rc = 0;
out:
    free(jobs);
    free(claimed);
    return rc;
}

struct keep {
    kt_chain h;
    kt_spool *spool;                 /* NULL: hash only */
    const kt_member_observer *watch; /* NULL: none */
};

static void sink_keep(void *arg, const uint8_t *p, size_t n)
{
    struct keep *k = arg;
    kt_chain_update(&k->h, p, n);
    if (k->spool) kt_spool_write(k->spool, p, n);
    if (k->watch) k->watch->data(k->watch->arg, p, n);
}

static void sink_buf(void *arg, const uint8_t *p, size_t n)
{
    /* The size was checked against the buffer limit before reading. */
    kt_buf_append(arg, p, n, NULL);
}

static int read_evidence(vstate *v, const kt_verify_opts *o, const char *name, uint64_t size,
                         kt_err *err)
{
    const kt_member_observer *watch = o->observe;
    if (v->stage != ST_EVIDENCE)
        return kt_fail(err, KT_E_TAMPER, "evidence member \"%s\" after the manifest", name);
    if (v->nsubs == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        kt_subject *p = realloc(v->subs, cap * sizeof *p);
        if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
        v->subs = p;
        v->cap = cap;
    }
    kt_subject *s = &v->subs[v->nsubs];
    memset(s, 0, sizeof *s);
    if (!(s->name = strdup(name))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    s->size = size;
    const char *rel = name + strlen(KT_EVIDENCE_PREFIX);
    /* A bundle file is re-read for the members a policy reads. A stream
     * cannot be: there the members a policy may read are kept in the spool
     * as they pass -- all small ones before evidence/policy.json (whose
     * checks are not known yet), then those its checks or the auditor's may
     * read (verify/want.h). */
    int keep = !v->r.file_size && size <= KT_EV_FILE_MAX &&
               (strcmp(rel, KT_POLICY_MEMBER) <= 0 || kt_want_member(v->want, rel) ||
                (o->keep && o->keep(rel))) &&
               kt_spool_room(&v->spool, size);
    struct keep k = {.spool = keep ? &v->spool : NULL, .watch = watch};
    int64_t offset = (int64_t)(v->r.file_size ? v->r.off : v->spool.used);
    v->nsubs++; /* owns s->name (and s->states) from here on */
    if (v->r.skip && !watch && size && size >= v->defer_min) return defer(v, rel, size, err);
    /* Read in order, a large member's chain values are computed as its
     * bytes pass (the signed manifest comes later); from a file, the pool
     * computes them (hash_deferred). */
    if (kt_chain_count(size) && !(s->states = calloc(kt_chain_count(size), KT_SHA256_LEN)))
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    kt_chain_init(&k.h, size, s->states);
    if (watch) watch->begin(watch->arg, name, size);
    if (kt_tarr_data(&v->r, size, sink_keep, &k, err) < 0) return -1;
    if (watch) watch->end(watch->arg);
    kt_chain_final(&k.h, s->sha256);
    if (v->r.file_size || (keep && !v->spool.failed))
        return kt_ev_add_ref(&v->ev, rel, offset, size, s->sha256, err);
    return kt_ev_add(&v->ev, rel, NULL, 0, size, err);
}

/* From a stream: the bundled policy tells which later members to keep. */
static int learn_policy(vstate *v, kt_err *err)
{
    const char *data;
    size_t len;
    kt_err ignored;
    if (v->r.file_size || kt_ev_get(&v->ev, KT_POLICY_MEMBER, &data, &len, &ignored) < 0)
        return 0; /* not kept: the adjudication will say why */
    if (kt_want_add(&v->want, data, len) < 0) return kt_fail(err, KT_E_NOMEM, "out of memory");
    return 0;
}

static int read_small(vstate *v, const kt_member_observer *watch, kt_buf *b, size_t cap,
                      const char *name, uint64_t size, kt_err *err)
{
    if (size > cap)
        return kt_fail(err, KT_E_LIMIT, "%s is %llu bytes; the limit is %zu", name,
                       (unsigned long long)size, cap);
    kt_buf_init(b, cap);
    if (kt_tarr_data(&v->r, size, sink_buf, b, err) < 0) return -1;
    if (watch) {
        watch->begin(watch->arg, name, size);
        if (b->len) watch->data(watch->arg, (const uint8_t *)b->data, b->len);
        watch->end(watch->arg);
    }
    return 0;
}

static int read_members(vstate *v, const kt_verify_opts *o, kt_verify_result *res, kt_err *err)
{
    char name[KT_TAR_NAME_MAX + 1];
    uint64_t size, mtime;
    int rc;
    while ((rc = kt_tarr_next(&v->r, name, &size, &mtime, err)) == 1) {
        kt_err_member(err, name);
        if (++res->members > KT_MAX_MEMBERS)
            return kt_fail(err, KT_E_LIMIT, "more than %d members", KT_MAX_MEMBERS);
        if (res->members == 1)
            v->mtime = mtime;
        else if (mtime != v->mtime)
            return kt_fail(err, KT_E_TAMPER, "member \"%s\" has a different mtime", name);
        if (res->members > 1 && strcmp(v->prev, name) >= 0)
            return kt_fail(err, KT_E_TAMPER, "member \"%s\" is %s", name,
                           strcmp(v->prev, name) == 0 ? "duplicated" : "out of sorted order");
        memcpy(v->prev, name, sizeof v->prev);
        if (size > o->max_total - v->total)
            return kt_fail(err, KT_E_LIMIT, "members exceed the total size limit of %llu bytes",
                           (unsigned long long)o->max_total);
        v->total += size;
        if (strncmp(name, KT_EVIDENCE_PREFIX, strlen(KT_EVIDENCE_PREFIX)) == 0) {
            rc = read_evidence(v, o, name, size, err);
            if (rc == 0 && !strcmp(name, KT_EVIDENCE_PREFIX KT_POLICY_MEMBER))
                rc = learn_policy(v, err);
        } else if (strcmp(name, KT_ENVELOPE_NAME) == 0) {
            v->stage = ST_ENVELOPE_DONE;
            rc = read_small(v, o->observe, &v->envelope, KT_MAX_ENVELOPE, name, size, err);
        } else if (strcmp(name, KT_MANIFEST_NAME) == 0) {
            if (v->stage != ST_ENVELOPE_DONE)
                return kt_fail(err, KT_E_TAMPER, "manifest without a signature envelope");
            v->stage = ST_MANIFEST_DONE;
            rc = read_small(v, o->observe, &v->manifest, KT_MAX_MANIFEST, name, size, err);
        } else if (strcmp(name, KT_TIMESTAMP_NAME) == 0) {
            if (v->stage != ST_MANIFEST_DONE)
                return kt_fail(err, KT_E_TAMPER, "a time-stamp token without a manifest");
            v->stage = ST_TIMESTAMP_DONE;
            v->has_token = 1;
            rc = read_small(v, o->observe, &v->token, KT_TSA_MAX, name, size, err);
        } else {
            return kt_fail(err, KT_E_TAMPER, "unexpected member \"%s\"", name);
        }
        if (rc < 0) return -1;
        err->member[0] = '\0';
        if (o->progress) o->progress(o->progress_arg, v->r.off - v->deferred, v->r.file_size);
    }
    if (rc < 0) return -1;
    if (v->stage < ST_MANIFEST_DONE)
        return kt_fail(err, KT_E_TAMPER, "the bundle has no %s",
                       v->stage == ST_EVIDENCE ? KT_ENVELOPE_NAME " (signature)"
                                               : KT_MANIFEST_NAME);
    if (v->nsubs == 0) return kt_fail(err, KT_E_TAMPER, "the bundle has no evidence members");
    return 0;
}

/* Envelope in canonical bytes: signatures sorted by keyid, each an Ed25519
 * signature with a keyid, the right payload type. */
static int canonical_envelope(vstate *v, kt_dsse_env *env, kt_err *err)
{
    kt_err_member(err, KT_ENVELOPE_NAME);
    if (kt_dsse_parse(v->envelope.data, v->envelope.len, env, err) < 0) {
        err->cls = KT_E_TAMPER;
        return -1;
    }
    if (strcmp(env->payload_type, KT_DSSE_INTOTO_TYPE) != 0)
        return kt_fail(err, KT_E_TAMPER, "envelope payloadType is \"%.100s\", not %s",
                       env->payload_type, KT_DSSE_INTOTO_TYPE);
    kt_dsse_sigref refs[KT_DSSE_MAX_SIGS];
    for (size_t i = 0; i < env->nsigs; i++) {
        const kt_dsse_sig *sig = &env->sigs[i];
        if (sig->sig_len != KT_SIG_LEN)
            return kt_fail(err, KT_E_AUTH, "signature %zu is %zu bytes, not an Ed25519 signature",
                           i, sig->sig_len);
        if (!sig->keyid) return kt_fail(err, KT_E_TAMPER, "envelope signature %zu has no keyid", i);
        refs[i] = (kt_dsse_sigref){sig->keyid, sig->sig, sig->sig_len};
    }
    kt_buf canon;
    kt_buf_init(&canon, 0);
    int rc = kt_dsse_emit(env->payload_type, env->payload, env->payload_len, refs, env->nsigs,
                          &canon, err);
    if (rc < 0) {
        err->cls = KT_E_TAMPER; /* two signatures with one keyid */
    } else if (canon.len != v->envelope.len || memcmp(canon.data, v->envelope.data, canon.len)) {
        rc = kt_fail(err, KT_E_TAMPER,
                     "envelope is not in canonical form (signatures sorted by keyid, standard "
                     "padded base64, canonical JSON)");
    }
    kt_buf_free(&canon);
    return rc;
}

/* The time-stamp token, if any: verified against the pinned TSA certificates
 * (then its genTime is the reference time for the keys' windows), or, with
 * none pinned, only read and reported. Pinned certificates and no token:
 * the auditor's requirement is not met. */
static int check_timestamp(vstate *v, const kt_verify_opts *o, kt_verify_result *res, kt_err *err)
{
    res->ref_time = o->now;
    const kt_tsa_certs *pinned = o->trust ? o->trust->tsa : NULL;
    if (!v->has_token) {
        if (kt_tsa_certs_count(pinned))
            return kt_fail(err, KT_E_AUTH,
                           "the bundle has no %s, but TSA certificates are pinned (--tsa-cert)",
                           KT_TIMESTAMP_NAME);
        return 0;
    }
    kt_err_member(err, KT_TIMESTAMP_NAME);
    const uint8_t *tok = (const uint8_t *)v->token.data;
    if (!kt_tsa_certs_count(pinned)) {
        if (kt_tsa_inspect(tok, v->token.len, &res->tsa, err) < 0) return -1;
        res->timestamp = 1;
    } else {
        if (kt_tsa_verify(tok, v->token.len, (const uint8_t *)v->envelope.data, v->envelope.len,
                          pinned, &res->tsa, err) < 0)
            return -1;
        res->timestamp = 2;
        res->ref_time = res->tsa.gen_time;
    }
    err->member[0] = '\0';
    return 0;
}

static int check_envelope(vstate *v, const kt_verify_opts *o, kt_dsse_env *env,
                          kt_verify_result *res, kt_err *err)
{
    if (canonical_envelope(v, env, err) < 0) return -1;
    if (check_timestamp(v, o, res, err) < 0) return -1;
    kt_err_member(err, KT_ENVELOPE_NAME);
    res->threshold = o->threshold ? o->threshold : o->trust->threshold ? o->trust->threshold : 1;
    res->nsigners = env->nsigs;
    if (kt_check_signers(env, o->trust->keys, o->trust->nkeys, res->ref_time, res->threshold,
                         res->signers, &res->counted, err) < 0)
        return -1;
    for (size_t i = 0; i < env->nsigs; i++) {
        if (res->signers[i].status != KT_SIG_COUNTED) continue;
        res->key_index = (size_t)res->signers[i].key;
        memcpy(res->keyid, res->signers[i].keyid, KT_KEYID_HEX);
        break;
    }
    err->member[0] = '\0';
    return 0;
}

/* The signed manifest; then the large members' data, hashed as it says
 * (hash_deferred), and every member held to it. */
static int check_manifest(vstate *v, const kt_dsse_env *env, int cpus, kt_verify_result *res,
                          kt_err *err)
{
    kt_err_member(err, KT_MANIFEST_NAME);
    if (v->manifest.len != env->payload_len ||
        memcmp(v->manifest.data, env->payload, env->payload_len) != 0)
        return kt_fail(err, KT_E_TAMPER, "%s differs from the signed payload", KT_MANIFEST_NAME);
    cJSON *st = NULL;
    if (kt_json_parse_canonical(v->manifest.data, v->manifest.len, KT_MANIFEST_NAME, &st, err) <
        0) {
        err->cls = KT_E_TAMPER; /* deeper nesting is not canonical (docs/FORMAT.md §3) */
        return -1;
    }
    err->member[0] = '\0';
    if (hash_deferred(v, st, cpus, err) < 0 ||
        kt_manifest_check(st, v->subs, v->nsubs, v->mtime, err) < 0) {
        cJSON_Delete(st);
        return -1;
    }
    res->manifest = st;
    return 0;
}

/* A check needed a member that a stream did not keep: no verdict either way. */
static int not_kept(const vstate *v, kt_err *err)
{
    kt_err_member(err, "");
    return kt_fail(err, KT_E_LIMIT,
                   "evidence/%s is read by a check but was not kept from the stream (at most %llu "
                   "bytes are kept, --spool-max); verify the bundle from a file",
                   v->ev.unavailable, (unsigned long long)v->spool.max);
}

/* A member could not be re-read (an I/O error, also inside a check, which
 * would otherwise be an "error" result and a disagreement with the record):
 * could not be checked, never REJECT. */
static int io_failed(const vstate *v, kt_err *err)
{
    kt_err_member(err, "");
    return kt_fail_errno(err, KT_E_IO, v->ev.io_errno,
                         "evidence/%s could not be re-read from the bundle", v->ev.io_failed);
}

/* Re-derive every check from the raw evidence, never from recorded results:
 * the bundle's own policy must give exactly what its manifest records, and
 * the policy in use (the auditor's, else the bundle's) gives the verdict. */
static int adjudicate(vstate *v, const kt_verify_opts *o, kt_verify_result *res, kt_err *err)
{
    const cJSON *pred = kt_manifest_predicate(res->manifest);
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(pred, "adjudication");
    kt_policy *bundled = NULL;
    kt_adjudication own = {NULL, 0, 0};
    int rc = -1;
    if (rec && !cJSON_IsNull(rec)) {
        const char *data;
        size_t len;
        kt_err_member(err, KT_EVIDENCE_PREFIX KT_POLICY_MEMBER);
        int got = kt_ev_get(&v->ev, KT_POLICY_MEMBER, &data, &len, err);
        if (got < 0 && (v->ev.unavailable || v->ev.io_failed)) {
            v->ev.io_failed ? io_failed(v, err) : not_kept(v, err);
            goto out;
        }
        if (got < 0 ||
            kt_policy_parse(data, len, KT_EVIDENCE_PREFIX KT_POLICY_MEMBER, &bundled, err) < 0) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            kt_fail(err, KT_E_TAMPER,
                    "the manifest records an adjudication but its policy cannot "
                    "be re-run: %s",
                    why);
            goto out;
        }
        err->member[0] = '\0';
        if (kt_policy_eval(bundled, &v->ev, &own, err) < 0) goto out;
        if (v->ev.unavailable || v->ev.io_failed) {
            v->ev.io_failed ? io_failed(v, err) : not_kept(v, err);
            goto out;
        }
        kt_err why;
        if (kt_adjudication_compare(rec, bundled, &own, &why) < 0) {
            kt_fail(err, KT_E_TAMPER, "the recorded adjudication and the evidence disagree: %s",
                    why.msg);
            goto out;
        }
        res->bundle_has_policy = 1;
    }
    const kt_policy *use = o->auditor ? o->auditor : bundled;
    if (use) {
        res->adjudicated = 1;
        snprintf(res->policy_sha256, sizeof res->policy_sha256, "%s", kt_policy_sha256(use));
        snprintf(res->policy_name, sizeof res->policy_name, "%s", kt_policy_name(use));
        res->policy_is_bundles =
            bundled && !strcmp(kt_policy_sha256(bundled), kt_policy_sha256(use));
        if (use == bundled) {
            res->adj = own;
            own.checks = NULL;
        } else if (kt_policy_eval(use, &v->ev, &res->adj, err) < 0) {
            goto out;
        } else if (v->ev.unavailable || v->ev.io_failed) {
            v->ev.io_failed ? io_failed(v, err) : not_kept(v, err);
            goto out;
        }
    }
    rc = 0;
out:
    kt_adjudication_free(&own);
    kt_policy_free(bundled);
    return rc;
}

int kt_verify_fd(int fd, const kt_verify_opts *o, kt_verify_result *res)
{
    memset(res, 0, sizeof *res);
    res->verdict = KT_VERDICT_REJECT;
    kt_err *err = &res->err;
    vstate v;
    memset(&v, 0, sizeof v);
    kt_ev_init_mem(&v.ev);
    kt_buf_init(&v.envelope, KT_MAX_ENVELOPE);
    kt_buf_init(&v.manifest, KT_MAX_MANIFEST);
    kt_buf_init(&v.token, KT_TSA_MAX);
    kt_dsse_env env;
    memset(&env, 0, sizeof env);
    int rc = -1;
    if (!o->trust || o->trust->nkeys == 0) {
        kt_fail(err, KT_E_USAGE, "no pinned key");
        goto out;
    }
    v.defer_min = o->defer_min ? o->defer_min : DEFER_MIN;
    v.progress = o->progress, v.progress_arg = o->progress_arg;
    /* From a file, the large members are hashed after the rest is read (on
     * every CPU); what an observer sees must come in order, as read. */
    if ((o->observe ? kt_tarr_init(&v.r, fd, o->read_buffer, err)
                    : kt_tarr_init_skip(&v.r, fd, o->read_buffer, err)) < 0)
        goto out;
    if (v.r.file_size) {
        v.ev.srcfd = fd; /* re-read members from the bundle file */
        v.spool.fd = -1;
    } else {
        kt_spool_open(&v.spool, o->spool_fd > 0 ? o->spool_fd : -1, o->spool_max);
        v.ev.srcfd = v.spool.fd;
        size_t plen;
        if (o->auditor && kt_want_add(&v.want, kt_policy_bytes(o->auditor, &plen), plen) < 0) {
            kt_fail(err, KT_E_NOMEM, "out of memory");
            goto out;
        }
        (void)plen;
    }
    if (read_members(&v, o, res, err) < 0) goto out;
    res->bytes = v.r.off;
    res->evidence = v.nsubs;
    res->source_date_epoch = v.mtime;
    if (check_envelope(&v, o, &env, res, err) < 0) goto out;
    if (check_manifest(&v, &env, o->cpus, res, err) < 0) goto out;
    if (adjudicate(&v, o, res, err) < 0) goto out;
    res->subjects = v.subs;
    res->nsubjects = v.nsubs;
    v.subs = NULL;
    /* for --list: the members that are not subjects, from the bytes read */
    const kt_buf *meta[3] = {&v.envelope, &v.manifest, &v.token};
    static const char *const meta_names[3] = {KT_ENVELOPE_NAME, KT_MANIFEST_NAME,
                                              KT_TIMESTAMP_NAME};
    res->nmeta = v.has_token ? 3 : 2;
    for (size_t i = 0; i < res->nmeta; i++) {
        res->meta[i].name = meta_names[i];
        res->meta[i].size = meta[i]->len;
        kt_sha256(meta[i]->data, meta[i]->len, res->meta[i].sha256);
    }
    res->verdict = !res->adjudicated ? KT_VERDICT_AUTHENTIC
                   : res->adj.pass   ? KT_VERDICT_PASS
                                     : KT_VERDICT_FAIL;
    kt_err_clear(err);
    if (o->inspect) o->inspect(o->inspect_arg, &v.ev, res);
    rc = 0;
out:
    if (rc < 0) {
        res->keyid[0] = '\0';
        /* A resource or I/O limit is no finding about the bundle */
        if (err->cls == KT_E_LIMIT || err->cls == KT_E_IO || err->cls == KT_E_NOMEM)
            res->verdict = KT_VERDICT_UNCHECKED;
    }
    kt_dsse_env_free(&env);
    kt_ev_free(&v.ev);
    kt_tarr_free(&v.r);
    kt_buf_free(&v.envelope);
    kt_buf_free(&v.manifest);
    kt_buf_free(&v.token);
    kt_subjects_free(v.subs, v.nsubs);
    free(v.jobs);
    kt_want_free(v.want);
    if (!v.r.file_size) kt_spool_close(&v.spool);
    return rc;
}

void kt_verify_result_free(kt_verify_result *res)
{
    kt_adjudication_free(&res->adj);
    kt_subjects_free(res->subjects, res->nsubjects);
    cJSON_Delete(res->manifest);
    res->subjects = NULL;
    res->manifest = NULL;
}
