#include "rootfs.h"

#include "../core/buf.h"
#include "../core/json_canon.h"
#include "../core/jsonb.h"
#include "../core/layout.h"
#include "beneath.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the sandbox mounts on, made when the image lacks it (as runc makes
 * mount points in a container's root). A required one that the image has
 * as something else than a directory (a symlink, a file) refuses the image;
 * an optional one is then left out (the probe reports what it misses). */
enum { REQUIRED, OPTIONAL_DIR };
static const struct {
    const char *path;
    int kind;
    mode_t mode;
} mount_points[] = {
    {"proc", REQUIRED, 0555},
    {"dev", REQUIRED, 0755},
    {"tmp", REQUIRED, 01777},
    {"in", REQUIRED, 0755},
    {"out", REQUIRED, 0755},
    {"sys", OPTIONAL_DIR, 0555},
    {"sys/fs", OPTIONAL_DIR, 0755},
    {"sys/fs/cgroup", OPTIONAL_DIR, 0755},
    {"sys/fs/cgroup/pids", OPTIONAL_DIR, 0755},
    {"sys/fs/cgroup/memory", OPTIONAL_DIR, 0755},
    {"sys/fs/cgroup/cpu", OPTIONAL_DIR, 0755},
    {"etc", OPTIONAL_DIR, 0755},
    {"etc/kiemthu", OPTIONAL_DIR, 0755}, /* the filters' views (contract.h) */
};

/* Made 0700 (an unprivileged run must still make /sys/fs inside /sys);
 * the final modes are set once all are made. */
static int make_point(int pfd, const char *base)
{
    return mkdirat(pfd, base, 0700);
}

static int final_modes(int treefd, const kt_rootfs *out, kt_err *err)
{
    for (size_t k = out->nadded; k-- > 0;) {
        mode_t mode = 0755;
        for (size_t i = 0; i < sizeof mount_points / sizeof mount_points[0]; i++)
            if (!strcmp(mount_points[i].path, out->added[k] + 1)) mode = mount_points[i].mode;
        if (fchmodat(treefd, out->added[k] + 1, mode, 0) < 0)
            return kt_fail_errno(err, KT_E_IO, errno, "cannot set the mode of %s", out->added[k]);
    }
    return 0;
}

static int add_mount_points(int treefd, const char *where, kt_rootfs *out, kt_err *err)
{
    for (size_t i = 0; i < sizeof mount_points / sizeof mount_points[0]; i++) {
        const char *path = mount_points[i].path, *slash = strrchr(path, '/');
        char parent[64];
        snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - path) : 0, path);
        int walk = 1; /* no symlink is followed here, not even one inside the tree */
        int pfd = kt_open_dir_beneath(treefd, parent, &walk);
        if (pfd < 0) continue; /* an optional parent the image has as something else */
        const char *base = slash ? slash + 1 : path;
        struct stat st;
        int kind = mount_points[i].kind, rc = 0;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (!S_ISDIR(st.st_mode) && kind == REQUIRED)
                rc = kt_fail(err, KT_E_DATA,
                             "%s: the image's /%s is not a directory (a symlink or a file); the "
                             "sandbox mounts a directory there",
                             where, path);
        } else if (make_point(pfd, base) < 0) {
            rc = kt_fail_errno(err, KT_E_IO, errno, "%s: cannot add the mount point /%s", where,
                               path);
        } else if (out->nadded < KT_ROOTFS_MAX_ADDED) {
            snprintf(out->added[out->nadded++], sizeof out->added[0], "/%s", path);
        }
        close(pfd);
        if (rc < 0) return -1;
    }
    return final_modes(treefd, out, err);
}

static ssize_t read_member(void *ctx, void *buf, size_t n, kt_err *err)
{
    return kt_member_read(ctx, buf, n, err);
}

static int unpack_one(kt_imgsrc *src, kt_unpacker *u, const kt_rootfs_layer *l, const char *what,
                      kt_err *err)
{
    kt_member m;
    char got[KT_OCI_DIGEST];
    if (kt_imgsrc_member(src, l->member, &m, err) < 0) return -1;
    int rc = -1;
    if (m.size != l->size)
        kt_fail(err, KT_E_DATA, "%s: the blob is %llu bytes, the descriptor says %llu", what,
                (unsigned long long)m.size, (unsigned long long)l->size);
    else if (kt_unpack_layer(u, read_member, &m, l->comp, l->diff_id, what, err) == 0 &&
             kt_member_finish(&m, got, err) == 0) {
        if (l->digest[0] && strcmp(got, l->digest) != 0)
            kt_fail(err, KT_E_DATA, "%s: the blob has %s (tampered or corrupt)", what, got);
        else
            rc = 0;
    } else if (err->cls == KT_E_DATA && l->digest[0]) {
        /* Refused already; name the cause when it is a damaged blob (what
         * is left to hash is bounded by the size cap checked before). */
        kt_err saved = *err, drain;
        if (kt_member_finish(&m, got, &drain) == 0 && strcmp(got, l->digest) != 0)
            kt_fail(err, KT_E_DATA, "%s: the blob has %s (tampered or corrupt; unpacking said: %s)",
                    what, got,
                    saved.msg + (strncmp(saved.msg, what, strlen(what)) ? 0 : strlen(what) + 2));
        else
            *err = saved;
    }
    kt_member_close(&m);
    return rc;
}

/* A cache hit skips the unpacking, never the verification: every layer
 * blob is read and its sha256 compared with its descriptor (a
 * docker-archive layer, which has none, is decompressed and compared with
 * its diff_id), so a damaged or swapped blob fails as it would cold. */
static int verify_one(kt_imgsrc *src, const kt_rootfs_layer *l, const kt_img_caps *caps,
                      uint64_t *bytes, const char *what, kt_err *err)
{
    kt_member m;
    char got[KT_OCI_DIGEST];
    if (kt_imgsrc_member(src, l->member, &m, err) < 0) return -1;
    int rc = -1;
    if (m.size != l->size)
        kt_fail(err, KT_E_DATA, "%s: the blob is %llu bytes, the descriptor says %llu", what,
                (unsigned long long)m.size, (unsigned long long)l->size);
    else if ((l->digest[0] || kt_unpack_verify(read_member, &m, l->comp, l->diff_id, caps, bytes,
                                               what, err) == 0) &&
             kt_member_finish(&m, got, err) == 0) {
        if (l->digest[0] && strcmp(got, l->digest) != 0)
            kt_fail(err, KT_E_DATA, "%s: the blob has %s (tampered or corrupt)", what, got);
        else
            rc = 0;
    }
    kt_member_close(&m);
    return rc;
}

static int verify_layers(kt_imgsrc *src, const char *where, const kt_rootfs_layer *layers, size_t n,
                         const kt_img_caps *caps, kt_err *err)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        char what[KT_OCI_PATH + 128], eb[200];
        snprintf(what, sizeof what, "%s: layer %zu (%s)", where, i,
                 layers[i].digest[0] ? layers[i].digest : kt_clip(layers[i].member, eb, sizeof eb));
        if (verify_one(src, &layers[i], caps, &bytes, what, err) < 0) return -1;
    }
    return 0;
}

static int build_tree(kt_imgsrc *src, const char *where, const kt_rootfs_layer *layers, size_t n,
                      int treefd, const kt_img_caps *caps, kt_rootfs *out, kt_err *err)
{
    kt_unpacker *u;
    if (kt_unpack_new(treefd, caps, &u, err) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char what[KT_OCI_PATH + 128], eb[200];
        snprintf(what, sizeof what, "%s: layer %zu (%s)", where, i,
                 layers[i].digest[0] ? layers[i].digest : kt_clip(layers[i].member, eb, sizeof eb));
        rc = unpack_one(src, u, &layers[i], what, err);
    }
    if (rc == 0) rc = add_mount_points(treefd, where, out, err);
    if (rc == 0) rc = kt_unpack_finish(u, &out->st, err);
    kt_unpack_free(u);
    if (rc == 0) rc = kt_tree_digest(treefd, where, out->digest, &out->tree_entries, err);
    return rc;
}

static int meta_build(const kt_rootfs *r, const kt_rootfs_layer *layers, size_t n, kt_buf *out,
                      kt_err *err)
{
    kt_jb b;
    kt_jb_init(&b);
    cJSON *o = b.root, *ids = kt_jb_arr(&b, o, "diff_ids"), *un;
    kt_jb_int(&b, o, "schema", 1);
    kt_jb_text(&b, o, "key", r->key);
    kt_jb_text(&b, o, "tool", "kiemthu-sandbox " KT_VERSION);
    for (size_t i = 0; i < n; i++) kt_jb_text(&b, ids, NULL, layers[i].diff_id);
    kt_jb_text(&b, o, "rootfs_digest", r->digest);
    kt_jb_int(&b, o, "tree_entries", (int64_t)r->tree_entries);
    un = kt_jb_obj(&b, o, "unpacked");
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
        kt_jb_int(&b, un, counts[i].k, (int64_t)counts[i].v);
    cJSON *dev = kt_jb_arr(&b, un, "devices");
    for (size_t i = 0; i < r->st.nskipped_listed; i++) kt_jb_text(&b, dev, NULL, r->st.skipped[i]);
    cJSON *added = kt_jb_arr(&b, o, "mount_points_added");
    for (size_t i = 0; i < r->nadded; i++) kt_jb_text(&b, added, NULL, r->added[i]);
    cJSON *doc;
    if (kt_jb_done(&b, &doc, "meta.json", err) < 0) return -1;
    int rc = kt_json_emit_doc(doc, out, err);
    cJSON_Delete(doc);
    return rc;
}

static int meta_count(const cJSON *o, const char *k, uint64_t *v)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 9007199254740991.0 ||
        n->valuedouble != floor(n->valuedouble))
        return -1;
    *v = (uint64_t)n->valuedouble;
    return 0;
}

static int meta_strings(const cJSON *arr, char *dst, size_t width, size_t max, size_t *count)
{
    const cJSON *s;
    *count = 0;
    if (!cJSON_IsArray(arr)) return -1;
    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s) || *count == max || strlen(s->valuestring) >= width) return -1;
        snprintf(dst + width * (*count)++, width, "%s", s->valuestring);
    }
    return 0;
}

/* meta.json of a tree found in the cache: ours, but read as carefully as any input. */
static int meta_parse(const char *p, size_t len, kt_rootfs *r, kt_err *err)
{
    cJSON *doc;
    if (kt_json_parse(p, len, "meta.json", &doc, err) < 0) return -1;
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(doc, "key"),
                *dg = cJSON_GetObjectItemCaseSensitive(doc, "rootfs_digest"),
                *un = cJSON_GetObjectItemCaseSensitive(doc, "unpacked");
    int bad = !cJSON_IsString(key) || strcmp(key->valuestring, r->key) != 0 ||
              !cJSON_IsString(dg) || !kt_digest_valid(dg->valuestring) || !cJSON_IsObject(un) ||
              meta_count(doc, "tree_entries", &r->tree_entries) < 0;
    const struct {
        const char *k;
        uint64_t *v;
    } counts[] = {{"entries", &r->st.entries},
                  {"bytes", &r->st.bytes},
                  {"files", &r->st.files},
                  {"dirs", &r->st.dirs},
                  {"symlinks", &r->st.symlinks},
                  {"hardlinks", &r->st.hardlinks},
                  {"fifos", &r->st.fifos},
                  {"whiteouts", &r->st.whiteouts},
                  {"devices_skipped", &r->st.devices_skipped}};
    for (size_t i = 0; !bad && i < sizeof counts / sizeof counts[0]; i++)
        bad = meta_count(un, counts[i].k, counts[i].v) < 0;
    if (!bad)
        bad = meta_strings(cJSON_GetObjectItemCaseSensitive(un, "devices"), r->st.skipped[0],
                           sizeof r->st.skipped[0], KT_UNPACK_LISTED, &r->st.nskipped_listed) < 0 ||
              meta_strings(cJSON_GetObjectItemCaseSensitive(doc, "mount_points_added"), r->added[0],
                           sizeof r->added[0], KT_ROOTFS_MAX_ADDED, &r->nadded) < 0;
    if (!bad) snprintf(r->digest, sizeof r->digest, "%s", dg->valuestring);
    cJSON_Delete(doc);
    if (bad)
        return kt_fail(err, KT_E_DATA, "the cached tree %s has a bad meta.json; remove %s", r->key,
                       r->tree);
    return 0;
}

static int make_tree(kt_cache *c, kt_imgsrc *src, const char *where, const kt_rootfs_layer *layers,
                     size_t n, const kt_img_caps *caps, kt_rootfs *out, kt_err *err)
{
    kt_cache_tx tx;
    if (kt_cache_begin(c, out->key, &tx, err) < 0) return -1;
    kt_buf meta;
    kt_buf_init(&meta, 1u << 20);
    int rc = build_tree(src, where, layers, n, tx.tree_fd, caps, out, err);
    if (rc == 0) rc = meta_build(out, layers, n, &meta, err);
    if (rc == 0) rc = kt_cache_commit(c, out->key, &tx, meta.data, meta.len, err);
    if (rc < 0) kt_cache_abort(c, &tx);
    kt_buf_free(&meta);
    return rc;
}

int kt_rootfs_get(kt_imgsrc *src, const char *where, const kt_rootfs_layer *layers, size_t n,
                  const char *cache_dir, const kt_img_caps *caps, kt_rootfs *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    char(*ids)[KT_OCI_DIGEST] = n ? calloc(n, sizeof *ids) : NULL;
    if (n && !ids) return kt_fail(err, KT_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) snprintf(ids[i], sizeof ids[i], "%s", layers[i].diff_id);
    kt_cache_key((const char(*)[KT_OCI_DIGEST])ids, n, out->key);
    free(ids);
    kt_cache c;
    if (kt_cache_open(&c, cache_dir, err) < 0) return -1;
    char *meta = NULL;
    size_t len = 0;
    int rc = kt_cache_lock(&c, out->key, err);
    if (rc == 0) rc = kt_cache_lookup(&c, out->key, out->tree, &meta, &len, err);
    if (rc == 1) {
        out->hit = 1;
        rc = meta_parse(meta, len, out, err);
        if (rc == 0) rc = verify_layers(src, where, layers, n, caps, err);
    } else if (rc == 0) {
        rc = make_tree(&c, src, where, layers, n, caps, out, err);
        /* the tree's path, as a later run will find it */
        if (rc == 0 && kt_cache_lookup(&c, out->key, out->tree, &meta, &len, err) != 1) rc = -1;
    }
    free(meta);
    kt_cache_close(&c);
    return rc;
}
