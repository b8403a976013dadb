#include "image.h"

#include "../core/json_canon.h"
#include "beneath.h"
#include "imgsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAYOUT_MAX 4096

static int alloc_layers(kt_image *img, size_t n, kt_err *err)
{
    img->nlayers = n;
    if (!n) return 0;
    img->layers = calloc(n, sizeof *img->layers);
    img->media_types = calloc(n, sizeof *img->media_types);
    if (!img->layers || !img->media_types) return kt_fail(err, KT_E_NOMEM, "out of memory");
    return 0;
}

static int check_layout(kt_imgsrc *src, const kt_imgref *ref, kt_err *err)
{
    char *p, dg[KT_OCI_DIGEST];
    size_t n;
    if (kt_imgsrc_read(src, "oci-layout", LAYOUT_MAX, &p, &n, dg, err) < 0) {
        kt_err inner = *err;
        return kt_fail(err, inner.cls, "%s: not an OCI image layout (%s)", ref->text, inner.msg);
    }
    cJSON *doc = NULL;
    int rc = kt_json_parse(p, n, "oci-layout", &doc, err);
    free(p);
    if (rc < 0) return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "imageLayoutVersion");
    int ok = cJSON_IsString(v) && strncmp(v->valuestring, "1.", 2) == 0; /* any 1.x */
    cJSON_Delete(doc);
    if (!ok) return kt_fail(err, KT_E_DATA, "%s: oci-layout is not version 1.x", ref->text);
    return 0;
}

/* index.json -> (a list -> its linux/amd64 entry) -> the manifest's bytes. */
static int resolve_manifest(kt_image *img, kt_imgsrc *src, const kt_img_caps *caps, kt_desc *mdesc,
                            char **blob, size_t *len, kt_err *err)
{
    char *p, dg[KT_OCI_DIGEST], what[1024];
    size_t n;
    kt_index ix, list = {0};
    const kt_desc *d;
    snprintf(what, sizeof what, "%.400s: index.json", img->ref.text);
    if (kt_imgsrc_read(src, "index.json", caps->max_json, &p, &n, dg, err) < 0) return -1;
    int rc = kt_oci_parse_index(p, n, what, caps, &ix, err);
    free(p);
    if (rc < 0) return -1;
    rc = kt_index_select(&ix, &img->ref, what, &d, err);
    if (rc == 0) {
        *mdesc = *d;
        snprintf(img->image_digest, sizeof img->image_digest, "%s", d->digest);
        rc = kt_imgsrc_read_blob(src, d, caps->max_json, what, blob, len, err);
    }
    kt_index_free(&ix);
    if (rc < 0 || kt_media_kind(mdesc->media_type, NULL) != KT_MT_INDEX) return rc;
    /* A multi-platform image: index.json names a list of manifests. */
    snprintf(what, sizeof what, "%.400s: image index %s", img->ref.text, mdesc->digest);
    snprintf(img->index_digest, sizeof img->index_digest, "%s", mdesc->digest);
    rc = kt_oci_parse_index(*blob, *len, what, caps, &list, err);
    free(*blob);
    *blob = NULL;
    if (rc == 0) rc = kt_index_select_platform(&list, what, &d, err);
    if (rc == 0 && kt_media_kind(d->media_type, NULL) != KT_MT_MANIFEST)
        rc = kt_fail(err, KT_E_DATA, "%s: the linux/amd64 entry is not an image manifest", what);
    if (rc == 0) {
        *mdesc = *d;
        rc = kt_imgsrc_read_blob(src, d, caps->max_json, what, blob, len, err);
    }
    kt_index_free(&list);
    return rc;
}

static int open_oci(kt_image *img, kt_imgsrc *src, const kt_img_caps *caps, kt_err *err)
{
    kt_desc md;
    char *blob = NULL, what[1024], eb[128];
    size_t len;
    kt_manifest m = {0};
    if (check_layout(src, &img->ref, err) < 0 ||
        resolve_manifest(img, src, caps, &md, &blob, &len, err) < 0)
        return -1;
    if (kt_media_kind(md.media_type, NULL) != KT_MT_MANIFEST) {
        free(blob);
        return kt_fail(err, KT_E_DATA, "%s: %s is not an image manifest (media type \"%s\")",
                       img->ref.text, md.digest, kt_clip(md.media_type, eb, sizeof eb));
    }
    snprintf(img->manifest_digest, sizeof img->manifest_digest, "%s", md.digest);
    snprintf(what, sizeof what, "%.400s: manifest %s", img->ref.text, md.digest);
    int rc = kt_oci_parse_manifest(blob, len, what, md.media_type, caps, &m, err);
    free(blob);
    blob = NULL;
    if (rc == 0) {
        snprintf(img->config_digest, sizeof img->config_digest, "%s", m.config.digest);
        snprintf(what, sizeof what, "%.400s: config %s", img->ref.text, m.config.digest);
        rc = kt_imgsrc_read_blob(src, &m.config, caps->max_json, what, &blob, &len, err);
    }
    if (rc == 0) rc = kt_oci_parse_config(blob, len, what, caps, &img->config, err);
    free(blob);
    if (rc == 0 && img->config.ndiff_ids != m.nlayers)
        rc = kt_fail(err, KT_E_DATA, "%s: %zu layers in the manifest, %zu diff_ids in the config",
                     img->ref.text, m.nlayers, img->config.ndiff_ids);
    if (rc == 0) rc = alloc_layers(img, m.nlayers, err);
    for (size_t i = 0; rc == 0 && i < m.nlayers; i++) {
        kt_rootfs_layer *l = &img->layers[i];
        kt_blob_name(m.layers[i].digest, l->member, sizeof l->member);
        l->size = m.layers[i].size;
        snprintf(l->digest, sizeof l->digest, "%s", m.layers[i].digest);
        kt_media_kind(m.layers[i].media_type, &l->comp);
        snprintf(l->diff_id, sizeof l->diff_id, "%s", img->config.diff_ids[i]);
        snprintf(img->media_types[i], sizeof img->media_types[i], "%s", m.layers[i].media_type);
    }
    kt_manifest_free(&m);
    return rc;
}

/* <64 hex>.json (docker save) or blobs/sha256/<64 hex> (Docker 25+): the
 * name is the config's digest, and must be. */
static int check_config_name(const char *name, const char *digest, const kt_imgref *ref,
                             kt_err *err)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char claimed[KT_OCI_DIGEST + 8];
    snprintf(claimed, sizeof claimed, "sha256:%.64s", base);
    int named = strlen(base) >= 64 && kt_digest_valid(claimed) &&
                (!strcmp(base + 64, ".json") || !base[64]);
    if (named && strcmp(claimed, digest) != 0)
        return kt_fail(err, KT_E_DATA, "%s: config %s is named for %s but has %s", ref->text, base,
                       claimed, digest);
    return 0;
}

static int open_docker(kt_image *img, kt_imgsrc *src, const kt_img_caps *caps, kt_err *err)
{
    char *p, dg[KT_OCI_DIGEST], what[1024], eb[200];
    size_t n;
    kt_docker_manifest dm;
    snprintf(what, sizeof what, "%.400s: manifest.json", img->ref.text);
    if (kt_imgsrc_read(src, "manifest.json", caps->max_json, &p, &n, dg, err) < 0) return -1;
    int rc = kt_docker_parse_manifest(p, n, what, &img->ref, caps, &dm, err);
    free(p);
    if (rc < 0) return -1;
    snprintf(what, sizeof what, "%.400s: config %s", img->ref.text,
             kt_clip(dm.config, eb, sizeof eb));
    rc = kt_imgsrc_read(src, dm.config, caps->max_json, &p, &n, img->config_digest, err);
    if (rc == 0) {
        rc = check_config_name(dm.config, img->config_digest, &img->ref, err);
        if (rc == 0) rc = kt_oci_parse_config(p, n, what, caps, &img->config, err);
        free(p);
    }
    snprintf(img->image_digest, sizeof img->image_digest, "%s", img->config_digest);
    if (rc == 0 && img->config.ndiff_ids != dm.nlayers)
        rc = kt_fail(err, KT_E_DATA, "%s: %zu layers in manifest.json, %zu diff_ids in the config",
                     img->ref.text, dm.nlayers, img->config.ndiff_ids);
    if (rc == 0) rc = alloc_layers(img, dm.nlayers, err);
    for (size_t i = 0; rc == 0 && i < dm.nlayers; i++) {
        kt_rootfs_layer *l = &img->layers[i];
        snprintf(l->member, sizeof l->member, "%s", dm.layers[i]);
        l->comp = KT_COMP_ANY;
        snprintf(l->diff_id, sizeof l->diff_id, "%s", img->config.diff_ids[i]);
        rc = kt_imgsrc_stat(src, l->member, &l->size, err);
    }
    kt_docker_manifest_free(&dm);
    return rc;
}

/* Every layer is there with its size, and all of them fit the caps, before
 * anything is unpacked. */
static int check_layers(const kt_image *img, kt_imgsrc *src, const kt_img_caps *caps, kt_err *err)
{
    uint64_t max = kt_img_caps_max_blob(caps), total = 0;
    for (size_t i = 0; i < img->nlayers; i++) {
        const kt_rootfs_layer *l = &img->layers[i];
        char eb[200];
        const char *name = l->digest[0] ? l->digest : kt_clip(l->member, eb, sizeof eb);
        if (l->size > max || (total += l->size) > max)
            return kt_fail(err, KT_E_LIMIT,
                           "%s: layer %zu (%s) declares %llu bytes: over the cap of %llu for "
                           "all layers (--image-max-size)",
                           img->ref.text, i, name, (unsigned long long)l->size,
                           (unsigned long long)max);
        uint64_t size;
        if (kt_imgsrc_stat(src, l->member, &size, err) < 0) {
            kt_err inner = *err;
            return kt_fail(err, inner.cls, "%s: layer %zu (%s): %s", img->ref.text, i, name,
                           inner.cls == KT_E_NOINPUT ? "the blob is missing" : inner.msg);
        }
        if (size != l->size)
            return kt_fail(err, KT_E_DATA,
                           "%s: layer %zu (%s): the blob is %llu bytes, the "
                           "descriptor says %llu",
                           img->ref.text, i, name, (unsigned long long)size,
                           (unsigned long long)l->size);
    }
    return 0;
}

int kt_image_open(kt_image *img, const char *ref, const char *cache_dir, const kt_img_caps *caps,
                  kt_err *err)
{
    memset(img, 0, sizeof *img);
    if (kt_imgref_parse(ref, &img->ref, err) < 0) return -1;
    kt_imgsrc *src;
    if (kt_imgsrc_open(&img->ref, caps, &src, err) < 0) return -1;
    int rc = img->ref.kind == KT_REF_DOCKER_ARCHIVE ? open_docker(img, src, caps, err)
                                                    : open_oci(img, src, caps, err);
    if (rc == 0) {
        snprintf(img->platform, sizeof img->platform, "%s/%s%s%s", img->config.os, img->config.arch,
                 img->config.variant[0] ? "/" : "", img->config.variant);
        rc = check_layers(img, src, caps, err);
    }
    if (rc == 0)
        rc = kt_rootfs_get(src, img->ref.text, img->layers, img->nlayers, cache_dir, caps,
                           &img->rootfs, err);
    kt_imgsrc_close(src);
    return rc;
}

void kt_image_free(kt_image *img)
{
    free(img->argv);
    free(img->layers);
    free(img->media_types);
    kt_imgconfig_free(&img->config);
    memset(img, 0, sizeof *img);
}

int kt_image_argv(const kt_image *img, const char *entrypoint, char *const *args, size_t nargs,
                  char ***out, kt_err *err)
{
    const kt_imgconfig *c = &img->config;
    size_t n = 0, cap = c->nentrypoint + c->ncmd + nargs + 2;
    char **v = calloc(cap, sizeof *v);
    if (!v) return kt_fail(err, KT_E_NOMEM, "out of memory");
    if (entrypoint && *entrypoint) {
        v[n++] = (char *)(uintptr_t)entrypoint;
    } else if (!entrypoint) {
        for (size_t i = 0; i < c->nentrypoint; i++) v[n++] = c->entrypoint[i];
    }
    /* docker run: a non-empty --entrypoint drops the image's Cmd. */
    int image_cmd = nargs == 0 && !(entrypoint && *entrypoint);
    for (size_t i = 0; image_cmd && i < c->ncmd; i++) v[n++] = c->cmd[i];
    for (size_t i = 0; i < nargs; i++) v[n++] = args[i];
    if (n == 0) {
        free(v);
        return kt_fail(err, KT_E_USAGE, "%s has no Entrypoint or Cmd: give the command after --",
                       img->ref.text);
    }
    *out = v;
    return 0;
}

static int env_name_eq(const char *a, const char *b)
{
    size_t la = strcspn(a, "="), lb = strcspn(b, "=");
    return la == lb && memcmp(a, b, la) == 0;
}

int kt_image_env(const kt_image *img, kt_sandbox *sb, int user_path, kt_err *err)
{
    char *user[KT_SB_MAX_ENV];
    size_t nuser = sb->nenv, n = 0;
    memcpy(user, sb->envp + 1, nuser * sizeof *user);
    char *merged[KT_SB_MAX_ENV];
    for (size_t i = 0; i < img->config.nenv; i++) {
        char *e = img->config.env[i];
        if (env_name_eq(e, "PATH=")) {
            if (!user_path) sb->envp[0] = e;
            continue;
        }
        int overridden = 0;
        for (size_t j = 0; j < nuser && !overridden; j++) overridden = env_name_eq(e, user[j]);
        for (size_t j = 0; j < n && !overridden; j++)
            if (env_name_eq(e, merged[j])) merged[j] = e, overridden = 1; /* last one wins */
        if (overridden) continue;
        if (n == KT_SB_MAX_ENV)
            return kt_fail(err, KT_E_USAGE, "%s: more than %d environment variables", img->ref.text,
                           KT_SB_MAX_ENV);
        merged[n++] = e;
    }
    if (n + nuser > KT_SB_MAX_ENV)
        return kt_fail(err, KT_E_USAGE, "%s: more than %d environment variables with --env",
                       img->ref.text, KT_SB_MAX_ENV);
    memcpy(sb->envp + 1, merged, n * sizeof *merged);
    memcpy(sb->envp + 1 + n, user, nuser * sizeof *user);
    sb->nenv = n + nuser;
    sb->envp[1 + sb->nenv] = NULL;
    return 0;
}

static void json_strv(kt_jb *b, cJSON *o, const char *key, char **v, size_t n)
{
    if (!v) {
        kt_jb_null(b, o, key);
        return;
    }
    cJSON *a = kt_jb_arr(b, o, key);
    for (size_t i = 0; i < n; i++) kt_jb_text(b, a, NULL, v[i]);
}

static const char *or_null(const char *s)
{
    return s[0] ? s : NULL;
}

static void json_unpacked(kt_jb *b, cJSON *o, const kt_rootfs *r)
{
    cJSON *u = kt_jb_obj(b, o, "unpacked");
    const struct {
        const char *k;
        uint64_t v;
    } counts[] = {{"entries", r->st.entries},
                  {"bytes", r->st.bytes},
                  {"files", r->st.files},
                  {"dirs", r->st.dirs},
                  {"symlinks", r->st.symlinks},
                  {"hardlinks", r->st.hardlinks},
                  {"fifos", r->st.fifos},
                  {"whiteouts", r->st.whiteouts},
                  {"devices_skipped", r->st.devices_skipped}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        kt_jb_int(b, u, counts[i].k, (int64_t)counts[i].v);
    cJSON *dev = kt_jb_arr(b, u, "devices");
    for (size_t i = 0; i < r->st.nskipped_listed; i++) kt_jb_text(b, dev, NULL, r->st.skipped[i]);
}

void kt_image_json(const kt_image *img, kt_jb *b, cJSON *parent)
{
    cJSON *o = kt_jb_obj(b, parent, "image");
    kt_jb_text(b, o, "reference", img->ref.text);
    kt_jb_text(b, o, "transport", kt_imgref_kind_name(img->ref.kind));
    kt_jb_text(b, o, "manifest_digest", or_null(img->manifest_digest));
    kt_jb_text(b, o, "index_digest", or_null(img->index_digest));
    kt_jb_text(b, o, "config_digest", img->config_digest);
    kt_jb_text(b, o, "platform", img->platform);
    cJSON *ls = kt_jb_arr(b, o, "layers");
    for (size_t i = 0; i < img->nlayers; i++) {
        const kt_rootfs_layer *l = &img->layers[i];
        cJSON *e = kt_jb_obj(b, ls, NULL);
        kt_jb_text(b, e, "digest", or_null(l->digest));
        kt_jb_text(b, e, "media_type", or_null(img->media_types[i]));
        kt_jb_int(b, e, "size", (int64_t)l->size);
        kt_jb_text(b, e, "diff_id", l->diff_id);
        if (img->ref.kind == KT_REF_DOCKER_ARCHIVE) kt_jb_text(b, e, "member", l->member);
    }
    kt_jb_bool(b, o, "cache_hit", img->rootfs.hit);
    kt_jb_text(b, o, "cache_key", img->rootfs.key);
    kt_jb_text(b, o, "rootfs_digest", img->rootfs.digest);
    kt_jb_int(b, o, "rootfs_entries", (int64_t)img->rootfs.tree_entries);
    json_unpacked(b, o, &img->rootfs);
    cJSON *added = kt_jb_arr(b, o, "mount_points_added");
    for (size_t i = 0; i < img->rootfs.nadded; i++)
        kt_jb_text(b, added, NULL, img->rootfs.added[i]);
    json_strv(b, o, "entrypoint", img->config.entrypoint, img->config.nentrypoint);
    json_strv(b, o, "cmd", img->config.cmd, img->config.ncmd);
    kt_jb_text(b, o, "working_dir", img->config.workdir ? img->config.workdir : "");
    kt_jb_text(b, o, "user", img->config.user ? img->config.user : "");
}

/* A --ro-bind into an image's tree needs its mount point there already, a
 * real directory or file reached without any symlink: the sandbox would
 * otherwise create it, in the shared cached tree, and through a symlink
 * an image planted, outside it. */
static int check_binds(const kt_image *img, const kt_sandbox *sb, kt_err *err)
{
    int root = open(img->rootfs.tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot open %s", img->rootfs.tree);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sb->nbinds; i++) {
        const char *want = "directory or file";
        char rel[PATH_MAX], parent[PATH_MAX];
        struct stat src, dst;
        int fits = 0, walk = 1, pfd = -1;
        if (stat(sb->binds[i].src, &src) == 0 &&
            kt_member_name(sb->binds[i].dst + 1, rel, sizeof rel) == 0 && rel[0]) {
            want = S_ISDIR(src.st_mode) ? "directory" : "file";
            const char *slash = strrchr(rel, '/');
            snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - rel) : 0, rel);
            pfd = kt_open_dir_beneath(root, parent, &walk);
            fits = pfd >= 0 &&
                   fstatat(pfd, slash ? slash + 1 : rel, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
                   (S_ISDIR(src.st_mode) ? S_ISDIR(dst.st_mode) : S_ISREG(dst.st_mode));
        }
        if (pfd >= 0) close(pfd);
        if (!fits)
            rc = kt_fail(err, KT_E_USAGE,
                         "--ro-bind %s: the image has no %s there (reached without symlinks) to "
                         "mount on; the cached tree is never changed: add it to the image",
                         sb->binds[i].dst, want);
    }
    close(root);
    return rc;
}

int kt_image_prepare(kt_image *img, kt_sandbox *sb, const char *ref, const char *cache_dir,
                     const char *entrypoint, char *const *args, size_t nargs,
                     const kt_img_caps *caps, int user_path, kt_err *err)
{
    if (kt_image_open(img, ref, cache_dir, caps, err) < 0 ||
        kt_image_argv(img, entrypoint, args, nargs, &img->argv, err) < 0 ||
        kt_image_env(img, sb, user_path, err) < 0)
        return -1;
    if (check_binds(img, sb, err) < 0) return -1;
    sb->argv = img->argv;
    sb->rootfs = img->rootfs.tree;
    if (!sb->workdir) /* --chdir wins, as docker run -w does */
        sb->workdir = img->config.workdir[0] ? img->config.workdir : NULL;
    sb->image = img;
    return 0;
}

int kt_image_digest(const kt_sandbox *sb, char out[KT_DIGEST_STR], char *host_path, size_t n,
                    kt_err *err)
{
    if (!sb->image) return kt_host_digest(sb, sb->hostexec, out, host_path, n, err);
    snprintf(out, KT_DIGEST_STR, "%s", sb->image->image_digest);
    snprintf(host_path, n, "%s", sb->image->rootfs.tree);
    return 0;
}
