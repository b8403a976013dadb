#include "create.h"

#include "../core/buf.h"
#include "../core/dsse.h"
#include "../core/fsutil.h"
#include "../core/json_canon.h"
#include "../core/layout.h"
#include "../core/manifest.h"
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

static int add_evidence(kt_tarw *w, int rootfd, const kt_create_opts *o, const char *rel,
                        kt_subject *sub, kt_err *err)
{
    char what[4200];
    snprintf(what, sizeof what, "%s/%s", o->evidence_dir, rel);
    snprintf(sub->name, sizeof sub->name, "%s%s", KT_EVIDENCE_PREFIX, rel);
    int fd = kt_open_beneath(rootfd, rel);
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
    else {
        sub->size = (uint64_t)st.st_size;
        if (sub->size >= (1u << 20)) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        rc = kt_tarw_add_fd(w, sub->name, fd, sub->size, what, sub->sha256, err);
    }
    close(fd);
    return rc;
}

/* Manifest -> canonical bytes -> PAE -> Ed25519 -> canonical envelope. */
static int sign_manifest(const kt_subject *subs, size_t n, const kt_create_opts *o,
                         cJSON *adjudication, kt_buf *manifest, kt_buf *envelope,
                         char keyid[KT_KEYID_HEX], kt_err *err)
{
    cJSON *st = kt_manifest_build(subs, n, o->source_date_epoch, adjudication, err);
    if (!st) return -1;
    int rc = kt_json_emit_doc(st, manifest, err);
    cJSON_Delete(st);
    if (rc < 0) return -1;

    kt_buf pae;
    kt_buf_init(&pae, 0);
    uint8_t sig[KT_SIG_LEN];
    kt_pubkey pub;
    kt_seckey_public(o->key, &pub);
    memcpy(keyid, pub.keyid, KT_KEYID_HEX);
    rc =
        kt_dsse_pae(KT_DSSE_INTOTO_TYPE, (const uint8_t *)manifest->data, manifest->len, &pae, err);
    if (rc == 0) rc = kt_sign(o->key, (const uint8_t *)pae.data, pae.len, sig, err);
    if (rc == 0)
        rc = kt_dsse_emit(KT_DSSE_INTOTO_TYPE, (const uint8_t *)manifest->data, manifest->len,
                          pub.keyid, sig, envelope, err);
    kt_buf_free(&pae);
    return rc;
}

void kt_create_result_free(kt_create_result *res)
{
    kt_adjudication_free(&res->adj);
}

static ssize_t find_rel(const kt_evlist *l, const char *rel)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->paths[i], rel)) return (ssize_t)i;
    return -1;
}

/* The policy: --policy FILE (bundled as evidence/policy.json; an evidence
 * policy.json must then be the same bytes), else the evidence's own
 * policy.json, else none. Either way it is read once: the bytes evaluated
 * are the bytes bundled (*insert), never a second read of the file. */
static int choose_policy(const kt_create_opts *o, int rootfd, kt_evlist *list, kt_policy **out,
                         int *insert, kt_err *err)
{
    *out = NULL;
    *insert = 0;
    ssize_t at = find_rel(list, KT_POLICY_MEMBER);
    char where[4200];
    if (o->policy_path) {
        if (kt_policy_load(o->policy_path, out, err) < 0) return -1;
        *insert = 1;
        if (at < 0) return 0;
        kt_evidence ev;
        kt_ev_init_dir(&ev, rootfd, o->evidence_dir);
        const char *data;
        size_t len, plen;
        const char *pbytes = kt_policy_bytes(*out, &plen);
        int same = kt_ev_get(&ev, KT_POLICY_MEMBER, &data, &len, err) == 0 && len == plen &&
                   !memcmp(data, pbytes, len);
        kt_ev_free(&ev);
        if (!same) {
            kt_policy_free(*out);
            *out = NULL;
            return kt_fail(err, KT_E_DATA, "%s/%s differs from --policy %s; remove one of them",
                           o->evidence_dir, KT_POLICY_MEMBER, o->policy_path);
        }
        return 0;
    }
    if (at < 0) return 0;
    snprintf(where, sizeof where, "%s/%s", o->evidence_dir, KT_POLICY_MEMBER);
    kt_evidence ev;
    kt_ev_init_dir(&ev, rootfd, o->evidence_dir);
    const char *data;
    size_t len;
    int rc = kt_ev_get(&ev, KT_POLICY_MEMBER, &data, &len, err);
    if (rc == 0) rc = kt_policy_parse(data, len, where, out, err);
    kt_ev_free(&ev);
    *insert = rc == 0;
    return rc;
}

/* Evaluate on exactly the bytes that went into the bundle: every file a
 * check read is re-hashed and must match its subject. */
static int adjudicate(const kt_create_opts *o, int rootfd, const kt_policy *pol,
                      const kt_subject *subs, size_t n, kt_create_result *res, kt_err *err)
{
    kt_evidence ev;
    kt_ev_init_dir(&ev, rootfd, o->evidence_dir);
    int rc = kt_policy_eval(pol, &ev, &res->adj, err);
    for (size_t i = 0; rc == 0 && i < ev.n; i++) {
        char member[KT_TAR_NAME_MAX + 64];
        snprintf(member, sizeof member, "%s%s", KT_EVIDENCE_PREFIX, ev.e[i].path);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(subs[k].name, member)) continue;
            uint8_t h[KT_SHA256_LEN];
            kt_sha256(ev.e[i].data, ev.e[i].len, h);
            if (memcmp(h, subs[k].sha256, sizeof h))
                rc = kt_fail(err, KT_E_DATA, "%s/%s changed while the bundle was being made",
                             o->evidence_dir, ev.e[i].path);
        }
    }
    kt_ev_free(&ev);
    if (rc == 0) {
        res->adjudicated = 1;
        snprintf(res->policy_sha256, sizeof res->policy_sha256, "%s", kt_policy_sha256(pol));
        snprintf(res->policy_name, sizeof res->policy_name, "%s", kt_policy_name(pol));
    }
    return rc;
}

int kt_bundle_create(const kt_create_opts *o, kt_create_result *res, kt_err *err)
{
    memset(res, 0, sizeof *res);
    int rootfd = open(o->evidence_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        if (errno == ENOENT)
            return kt_fail(err, KT_E_NOINPUT, "evidence directory %s does not exist",
                           o->evidence_dir);
        return kt_fail_errno(err, errno == ENOTDIR ? KT_E_DATA : KT_E_NOINPUT, errno,
                             "cannot open evidence directory %s", o->evidence_dir);
    }
    kt_evlist list;
    kt_subject *subs = NULL;
    kt_tarw *w = NULL;
    kt_policy *pol = NULL;
    int insert_policy = 0;
    cJSON *adj = NULL;
    kt_buf manifest, envelope;
    kt_buf_init(&manifest, 0);
    kt_buf_init(&envelope, 0);
    int rc = -1;
    if (kt_walk_evidence(rootfd, o->evidence_dir, &list, err) < 0) goto out_fd;
    if (list.n == 0) {
        kt_fail(err, KT_E_DATA,
                "evidence directory %s contains no files; an empty bundle "
                "proves nothing",
                o->evidence_dir);
        goto out;
    }
    if (choose_policy(o, rootfd, &list, &pol, &insert_policy, err) < 0) goto out;
    if (!(subs = calloc(list.n + 1, sizeof *subs))) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    if (kt_tarw_open(&w, o->out_path, o->source_date_epoch, err) < 0) goto out;
    size_t nsubs = 0;
    for (size_t i = 0; i <= list.n; i++) {
        /* --policy's file goes in at its sorted place as evidence/policy.json */
        if (insert_policy && (i == list.n || strcmp(list.paths[i], KT_POLICY_MEMBER) > 0)) {
            size_t plen;
            const char *pb = kt_policy_bytes(pol, &plen);
            kt_subject *s = &subs[nsubs++];
            snprintf(s->name, sizeof s->name, "%s%s", KT_EVIDENCE_PREFIX, KT_POLICY_MEMBER);
            s->size = plen;
            kt_sha256(pb, plen, s->sha256);
            if (kt_tarw_add_mem(w, s->name, pb, plen, err) < 0) goto out;
            insert_policy = 0;
        }
        if (i == list.n) break;
        if (pol && !strcmp(list.paths[i], KT_POLICY_MEMBER)) continue; /* bundled from memory */
        if (add_evidence(w, rootfd, o, list.paths[i], &subs[nsubs], err) < 0) goto out;
        res->evidence_bytes += subs[nsubs++].size;
        if (o->progress) o->progress(o->progress_arg, res->evidence_bytes, nsubs);
    }
    if (pol) {
        if (adjudicate(o, rootfd, pol, subs, nsubs, res, err) < 0) goto out;
        if (kt_adjudication_json(pol, &res->adj, &adj, err) < 0) goto out;
    }
    int sr = sign_manifest(subs, nsubs, o, adj, &manifest, &envelope, res->keyid, err);
    adj = NULL; /* owned by the manifest now */
    if (sr < 0) goto out;
    if (kt_tarw_add_mem(w, KT_ENVELOPE_NAME, envelope.data, envelope.len, err) < 0 ||
        kt_tarw_add_mem(w, KT_MANIFEST_NAME, manifest.data, manifest.len, err) < 0)
        goto out;
    res->bundle_bytes = kt_tarw_size(w) + 2 * 512;
    res->evidence_members = nsubs;
    rc = kt_tarw_commit(w, err);
    w = NULL;
out:
    kt_tarw_abort(w);
    kt_evlist_free(&list);
out_fd:
    cJSON_Delete(adj);
    kt_policy_free(pol);
    free(subs);
    kt_buf_free(&manifest);
    kt_buf_free(&envelope);
    close(rootfd);
    return rc;
}
