#include "create.h"

#include "../core/buf.h"
#include "../core/dsse.h"
#include "../core/json_canon.h"
#include "../core/layout.h"
#include "../core/fsutil.h"
#include "../core/manifest.h"
#include "../core/name.h"
#include "sign.h"
#include "tarwriter.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kt_parse_source_date_epoch(const char *s, uint64_t *out, kt_err *err)
{
    if (!s || !*s) {
        *out = 0;
        return 0;
    }
    size_t n = strlen(s);
    int ok = n <= 11 && !(n > 1 && s[0] == '0');
    uint64_t v = 0;
    for (size_t i = 0; ok && i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            ok = 0;
        else
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (!ok || v > KT_TAR_MTIME_MAX)
        return kt_fail(err, KT_E_USAGE,
                       "SOURCE_DATE_EPOCH=\"%.32s\" is not a decimal Unix time between 0 and "
                       "%llu without sign or leading zeros",
                       s, (unsigned long long)KT_TAR_MTIME_MAX);
    *out = v;
    return 0;
}

static int add_evidence(kt_tarw *w, int rootfd, const kt_create_opts *o, const kt_evfile *f,
                        kt_subject *sub, kt_err *err)
{
    char what[KT_NAME_RAW_MAX + 512];
    snprintf(what, sizeof what, "%s/%s", o->evidence_dir, f->raw);
    int fd = kt_open_beneath(rootfd, f->raw);
    if (fd < 0) {
        if (errno == ELOOP || errno == EXDEV)
            return kt_fail(err, KT_E_DATA, "%s is (or is under) a symbolic link", what);
        return kt_fail_errno(err, KT_E_DATA, errno, "cannot open %s", what);
    }
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) < 0)
        kt_fail_errno(err, KT_E_IO, errno, "cannot stat %s", what);
    else if (!S_ISREG(st.st_mode))
        kt_fail(err, KT_E_DATA, "%s is not a regular file", what);
    else if ((uint64_t)st.st_size != f->size)
        kt_fail(err, KT_E_DATA, "%s changed size while the bundle was being made", what);
    else {
        sub->size = (uint64_t)st.st_size;
        if (sub->size >= (1u << 20)) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        size_t nv = kt_chain_count(sub->size);
        if (nv && !(sub->states = calloc(nv, KT_SHA256_LEN)))
            rc = kt_fail(err, KT_E_NOMEM, "out of memory");
        else
            rc = kt_tarw_add_fd(w, sub->name, fd, sub->size, what, sub->sha256, sub->states, err);
    }
    close(fd);
    return rc;
}

/* Manifest -> canonical bytes -> every key signs its PAE -> canonical envelope. */
static int sign_manifest(const kt_subject *subs, size_t n, const kt_create_opts *o,
                         cJSON *adjudication, kt_buf *manifest, kt_buf *envelope,
                         kt_create_result *res, kt_err *err)
{
    cJSON *st;
    if (kt_manifest_build(subs, n, o->source_date_epoch, adjudication, &st, err) < 0) return -1;
    int rc = kt_json_emit_doc(st, manifest, err);
    cJSON_Delete(st);
    if (rc < 0) return -1;
    return kt_sign_envelope(o->keys, o->nkeys, manifest, envelope, res->keyids, err);
}

void kt_create_result_free(kt_create_result *res)
{
    kt_adjudication_free(&res->adj);
}

static ssize_t find_enc(const kt_evlist *l, const char *enc)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->f[i].enc, enc)) return (ssize_t)i;
    return -1;
}

/* The policy: --policy FILE (an evidence policy.json must then be the same
 * bytes), else the evidence's own policy.json, else none. Read once: the
 * bytes parsed here are the bytes bundled as evidence/policy.json. */
static int choose_policy(const kt_create_opts *o, int rootfd, const kt_evlist *list,
                         kt_policy **out, kt_err *err)
{
    *out = NULL;
    ssize_t at = find_enc(list, KT_POLICY_MEMBER);
    char where[4200];
    snprintf(where, sizeof where, "%s/%s", o->evidence_dir, KT_POLICY_MEMBER);
    if (o->policy_path && kt_policy_load(o->policy_path, out, err) < 0) return -1;
    if (at < 0) return 0;
    char *data = NULL;
    size_t len = 0;
    int fd = kt_open_beneath(rootfd, KT_POLICY_MEMBER);
    int rc = fd < 0 ? kt_fail_errno(err, KT_E_DATA, errno, "cannot open %s", where) : 0;
    if (rc == 0) rc = kt_read_fd(fd, KT_POLICY_MAX, where, &data, &len, err);
    if (fd >= 0) close(fd);
    if (rc == 0 && !o->policy_path) rc = kt_policy_parse(data, len, where, out, err);
    if (rc == 0 && o->policy_path) {
        size_t plen;
        const char *pbytes = kt_policy_bytes(*out, &plen);
        if (len != plen || memcmp(data, pbytes, len))
            rc = kt_fail(err, KT_E_DATA, "%s differs from --policy %s; remove one of them", where,
                         o->policy_path);
    }
    free(data);
    if (rc < 0) {
        kt_policy_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Evaluate on exactly the bytes that went into the bundle: every evidence
 * member is read back from the archive being written (and held to the
 * digest computed while writing it), as kiemthu-verify reads it. */
static int adjudicate(kt_tarw *w, const kt_policy *pol, const kt_subject *subs,
                      const uint64_t *offsets, size_t n, kt_create_result *res, kt_err *err)
{
    if (kt_tarw_sync(w, err) < 0) return -1;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    ev.srcfd = kt_tarw_fd(w);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = kt_ev_add_ref(&ev, subs[i].name + strlen(KT_EVIDENCE_PREFIX), (int64_t)offsets[i],
                           subs[i].size, subs[i].sha256, err);
    if (rc == 0) rc = kt_policy_eval(pol, &ev, &res->adj, err);
    kt_ev_free(&ev);
    if (rc == 0) {
        res->adjudicated = 1;
        snprintf(res->policy_sha256, sizeof res->policy_sha256, "%s", kt_policy_sha256(pol));
        snprintf(res->policy_name, sizeof res->policy_name, "%s", kt_policy_name(pol));
    }
    return rc;
}

typedef struct create_state {
    int rootfd;
    kt_evlist list;
    kt_subject *subs;
    uint64_t *offsets; /* of each subject's data in the archive */
    size_t nsubs, nalloc;
    kt_tarw *w;
    kt_policy *pol;
    kt_buf manifest, envelope;
} create_state;

static int add_policy(create_state *c, kt_err *err)
{
    size_t plen;
    const char *pb = kt_policy_bytes(c->pol, &plen);
    kt_subject *s = &c->subs[c->nsubs];
    if (!(s->name = strdup(KT_EVIDENCE_PREFIX KT_POLICY_MEMBER)))
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    s->size = plen;
    kt_sha256(pb, plen, s->sha256);
    if (kt_tarw_add_mem(c->w, s->name, pb, plen, err) < 0) return -1;
    c->offsets[c->nsubs++] = kt_tarw_data_offset(c->w);
    return 0;
}

/* Every evidence file in member order; the policy's bytes at their place. */
static int add_all(create_state *c, const kt_create_opts *o, kt_create_result *res, kt_err *err)
{
    int policy_done = !c->pol;
    for (size_t i = 0; i <= c->list.n; i++) {
        const kt_evfile *f = i < c->list.n ? &c->list.f[i] : NULL;
        int cmp = f ? strcmp(f->enc, KT_POLICY_MEMBER) : 1;
        if (!policy_done && cmp >= 0) {
            if (add_policy(c, err) < 0) return -1;
            policy_done = 1;
            if (cmp == 0) continue; /* the evidence's own, read once already */
        }
        if (!f) break;
        kt_subject *s = &c->subs[c->nsubs];
        size_t len = sizeof KT_EVIDENCE_PREFIX + strlen(f->enc);
        if (!(s->name = malloc(len))) return kt_fail(err, KT_E_NOMEM, "out of memory");
        snprintf(s->name, len, "%s%s", KT_EVIDENCE_PREFIX, f->enc);
        if (add_evidence(c->w, c->rootfd, o, f, s, err) < 0) return -1;
        c->offsets[c->nsubs] = kt_tarw_data_offset(c->w);
        res->evidence_bytes += c->subs[c->nsubs++].size;
        if (o->progress) o->progress(o->progress_arg, res->evidence_bytes, c->nsubs);
    }
    return 0;
}

static int open_evidence(const kt_create_opts *o, kt_err *err)
{
    int fd = open(o->evidence_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno == ENOENT)
        return kt_fail(err, KT_E_NOINPUT, "evidence directory %s does not exist", o->evidence_dir);
    return kt_fail_errno(err, errno == ENOTDIR ? KT_E_DATA : KT_E_NOINPUT, errno,
                         "cannot open evidence directory %s", o->evidence_dir);
}

static int build(create_state *c, const kt_create_opts *o, kt_create_result *res, kt_err *err)
{
    if (kt_walk_evidence(c->rootfd, o->evidence_dir, o->policy_path ? 1 : 0, &c->list, err) < 0)
        return -1;
    if (c->list.n == 0)
        return kt_fail(err, KT_E_DATA,
                       "evidence directory %s contains no files; an empty bundle proves nothing",
                       o->evidence_dir);
    if (choose_policy(o, c->rootfd, &c->list, &c->pol, err) < 0) return -1;
    c->nalloc = c->list.n + 1;
    c->subs = calloc(c->nalloc, sizeof *c->subs);
    c->offsets = calloc(c->nalloc, sizeof *c->offsets);
    if (!c->subs || !c->offsets) return kt_fail(err, KT_E_NOMEM, "out of memory");
    if (kt_tarw_open(&c->w, o->out_path, o->source_date_epoch, err) < 0) return -1;
    if (add_all(c, o, res, err) < 0) return -1;
    cJSON *adj = NULL;
    if (c->pol) {
        if (adjudicate(c->w, c->pol, c->subs, c->offsets, c->nsubs, res, err) < 0) return -1;
        if (kt_adjudication_json(c->pol, &res->adj, &adj, err) < 0) return -1;
    }
    /* adj is owned by the manifest from here on */
    if (sign_manifest(c->subs, c->nsubs, o, adj, &c->manifest, &c->envelope, res, err) < 0)
        return -1;
    if (c->manifest.len > KT_MAX_MANIFEST)
        return kt_fail(err, KT_E_LIMIT, "the manifest would be %zu bytes; a verifier reads %u",
                       c->manifest.len, KT_MAX_MANIFEST);
    kt_buf token;
    kt_buf_init(&token, 0);
    int rc = o->tsa_url ? kt_timestamp_envelope(o->tsa_url, &c->envelope, &token, err) : 0;
    if (rc == 0)
        rc = kt_tarw_add_mem(c->w, KT_ENVELOPE_NAME, c->envelope.data, c->envelope.len, err);
    if (rc == 0)
        rc = kt_tarw_add_mem(c->w, KT_MANIFEST_NAME, c->manifest.data, c->manifest.len, err);
    if (rc == 0 && o->tsa_url) {
        rc = kt_tarw_add_mem(c->w, KT_TIMESTAMP_NAME, token.data, token.len, err);
        res->timestamped = rc == 0;
    }
    kt_buf_free(&token);
    if (rc < 0) return -1;
    res->bundle_bytes = kt_tarw_size(c->w) + 2 * KT_TAR_BLOCK;
    res->evidence_members = c->nsubs;
    kt_tarw *w = c->w;
    c->w = NULL;
    return kt_tarw_commit(w, err);
}

int kt_bundle_create(const kt_create_opts *o, kt_create_result *res, kt_err *err)
{
    memset(res, 0, sizeof *res);
    create_state c;
    memset(&c, 0, sizeof c);
    kt_buf_init(&c.manifest, 0);
    kt_buf_init(&c.envelope, 0);
    if ((c.rootfd = open_evidence(o, err)) < 0) return -1;
    int rc = build(&c, o, res, err);
    kt_tarw_abort(c.w);
    kt_evlist_free(&c.list);
    kt_policy_free(c.pol);
    kt_subjects_free(c.subs, c.nalloc); /* a name may be set beyond nsubs */
    free(c.offsets);
    kt_buf_free(&c.manifest);
    kt_buf_free(&c.envelope);
    close(c.rootfd);
    return rc;
}
