#include "create.h"

#include "../core/buf.h"
#include "../core/dsse.h"
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
                         kt_buf *manifest, kt_buf *envelope, char keyid[KT_KEYID_HEX], kt_err *err)
{
    cJSON *st = kt_manifest_build(subs, n, o->source_date_epoch, err);
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
    if (!(subs = calloc(list.n, sizeof *subs))) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    if (kt_tarw_open(&w, o->out_path, o->source_date_epoch, err) < 0) goto out;
    for (size_t i = 0; i < list.n; i++) {
        if (add_evidence(w, rootfd, o, list.paths[i], &subs[i], err) < 0) goto out;
        res->evidence_bytes += subs[i].size;
    }
    if (sign_manifest(subs, list.n, o, &manifest, &envelope, res->keyid, err) < 0) goto out;
    if (kt_tarw_add_mem(w, KT_ENVELOPE_NAME, envelope.data, envelope.len, err) < 0 ||
        kt_tarw_add_mem(w, KT_MANIFEST_NAME, manifest.data, manifest.len, err) < 0)
        goto out;
    res->bundle_bytes = kt_tarw_size(w) + 2 * 512;
    res->evidence_members = list.n;
    rc = kt_tarw_commit(w, err);
    w = NULL;
out:
    kt_tarw_abort(w);
    kt_evlist_free(&list);
out_fd:
    free(subs);
    kt_buf_free(&manifest);
    kt_buf_free(&envelope);
    close(rootfd);
    return rc;
}
