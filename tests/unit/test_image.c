/* An OCI layout, an oci-archive and a docker-archive written here, opened
 * end to end (verify, unpack, cache); then the cache alone: a second open is
 * a hit, a stale tmp/ attempt is removed, damage to any blob is refused. */
#include "testutil.h"

#include "../../core/sha256.h"
#include "../../sandbox/image.h"
#include "../../sandbox/imgcache.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>

static void sha(const void *p, size_t n, char out[KT_OCI_DIGEST])
{
    uint8_t d[32];
    char hex[65];
    kt_sha256(p, n, d);
    kt_hex(d, 32, hex);
    snprintf(out, KT_OCI_DIGEST, "sha256:%s", hex);
}

typedef struct blob {
    char name[128];
    char *data;
    size_t len;
} blob;

typedef struct layout {
    blob b[8];
    size_t n;
    char manifest[KT_OCI_DIGEST], config[KT_OCI_DIGEST], layer[KT_OCI_DIGEST];
} layout;

static blob *add(layout *l, const char *name, const void *p, size_t n)
{
    blob *b = &l->b[l->n++];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->data = malloc(n + 1);
    memcpy(b->data, p, n);
    b->len = n;
    return b;
}

static void add_blob(layout *l, const void *p, size_t n, char digest[KT_OCI_DIGEST])
{
    char name[128];
    sha(p, n, digest);
    snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
    add(l, name, p, n);
}

/* One uncompressed layer with bin/hello (0755) and etc/greeting. */
static void make_layer(char **out, size_t *len)
{
    static char buf[16384];
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_ustar(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open_memory(a, buf, sizeof buf, &used);
    const struct {
        const char *name, *data;
        int mode;
    } files[] = {{"bin/hello", "#!/bin/sh\necho hello\n", 0755}, {"etc/greeting", "hi\n", 0644}};
    for (size_t i = 0; i < 2; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, files[i].name);
        archive_entry_set_mode(e, AE_IFREG | files[i].mode);
        archive_entry_set_size(e, (la_int64_t)strlen(files[i].data));
        archive_write_header(a, e);
        archive_write_data(a, files[i].data, strlen(files[i].data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    *out = buf;
    *len = used;
}

static void make_image(layout *l)
{
    memset(l, 0, sizeof *l);
    char *layer, cfg[1024], man[2048], idx[1024];
    size_t llen;
    make_layer(&layer, &llen);
    add_blob(l, layer, llen, l->layer);
    snprintf(
        cfg, sizeof cfg,
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/bin/"
        "hello\"],\"Env\":[\"PATH=/bin\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
        l->layer);
    add_blob(l, cfg, strlen(cfg), l->config);
    snprintf(man, sizeof man,
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
             "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1."
             "tar\",\"digest\":\"%s\",\"size\":%zu}]}",
             l->config, strlen(cfg), l->layer, llen);
    add_blob(l, man, strlen(man), l->manifest);
    snprintf(
        idx, sizeof idx,
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
        "manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers."
        "image.ref.name\":\"v1\"}}]}",
        l->manifest, strlen(man));
    add(l, "index.json", idx, strlen(idx));
    add(l, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
}

static void write_dir(const layout *l, const char *dir)
{
    mkdir(dir, 0755);
    for (size_t i = 0; i < l->n; i++) tu_write(dir, l->b[i].name, l->b[i].data, l->b[i].len);
}

static void write_tar(const layout *l, const char *path)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < l->n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, l->b[i].name);
        archive_entry_set_mode(e, AE_IFREG | 0644);
        archive_entry_set_size(e, (la_int64_t)l->b[i].len);
        archive_write_header(a, e);
        archive_write_data(a, l->b[i].data, l->b[i].len);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static void free_layout(layout *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->b[i].data);
}

static kt_img_caps caps(void)
{
    kt_img_caps c;
    kt_img_caps_default(&c);
    return c;
}

static void oci_dir_end_to_end(void **state)
{
    (void)state;
    char *t = tu_tmpdir(), dir[1024], cache[1024], ref[1200];
    snprintf(dir, sizeof dir, "%s/layout", t);
    snprintf(cache, sizeof cache, "%s/cache", t);
    layout l;
    make_image(&l);
    write_dir(&l, dir);
    kt_img_caps c = caps();
    kt_image img;
    kt_err err;
    snprintf(ref, sizeof ref, "oci:%s:v1", dir);
    if (kt_image_open(&img, ref, cache, &c, &err) < 0) fail_msg("%s", err.msg);
    assert_string_equal(img.image_digest, l.manifest);
    assert_string_equal(img.manifest_digest, l.manifest);
    assert_string_equal(img.config_digest, l.config);
    assert_string_equal(img.platform, "linux/amd64");
    assert_false(img.rootfs.hit);
    assert_int_equal(img.rootfs.st.files, 2);
    char p[4400];
    snprintf(p, sizeof p, "%s/bin/hello", img.rootfs.tree);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    snprintf(p, sizeof p, "%s/proc", img.rootfs.tree);
    assert_int_equal(stat(p, &st), 0); /* mount point added */
    char digest[KT_OCI_DIGEST];
    snprintf(digest, sizeof digest, "%s", img.rootfs.digest);
    kt_image_free(&img);
    /* again: a cache hit, the same tree digest */
    if (kt_image_open(&img, ref, cache, &c, &err) < 0) fail_msg("%s", err.msg);
    assert_true(img.rootfs.hit);
    assert_string_equal(img.rootfs.digest, digest);
    assert_int_equal(img.rootfs.st.files, 2);
    kt_jb b;
    kt_jb_init(&b);
    kt_image_json(&img, &b, b.root);
    cJSON *doc;
    assert_int_equal(kt_jb_done(&b, &doc, "image", &err), 0);
    cJSON_Delete(doc);
    kt_image_free(&img);
    /* the same image as an oci-archive hits the same cache entry */
    snprintf(p, sizeof p, "%s/image.tar", t);
    write_tar(&l, p);
    snprintf(ref, sizeof ref, "oci-archive:%.1000s", p);
    if (kt_image_open(&img, ref, cache, &c, &err) < 0) fail_msg("%s", err.msg);
    assert_true(img.rootfs.hit);
    assert_string_equal(img.image_digest, l.manifest);
    kt_image_free(&img);
    free_layout(&l);
    tu_rmrf(t);
}

static void expect_open_fails(const layout *l, const char *needle, int archive)
{
    char *t = tu_tmpdir(), path[1024], cache[1024], ref[1200];
    snprintf(cache, sizeof cache, "%s/cache", t);
    if (archive) {
        snprintf(path, sizeof path, "%s/image.tar", t);
        write_tar(l, path);
        snprintf(ref, sizeof ref, "oci-archive:%s", path);
    } else {
        snprintf(path, sizeof path, "%s/layout", t);
        write_dir(l, path);
        snprintf(ref, sizeof ref, "oci:%s", path);
    }
    kt_img_caps c = caps();
    kt_image img;
    kt_err err;
    if (kt_image_open(&img, ref, cache, &c, &err) == 0) fail_msg("accepted (want \"%s\")", needle);
    if (!strstr(err.msg, needle)) fail_msg("\"%s\" lacks \"%s\"", err.msg, needle);
    kt_image_free(&img);
    /* nothing was published, nothing is left in tmp/ */
    char sub[1200];
    snprintf(sub, sizeof sub, "%s/rootfs", cache);
    DIR *d = opendir(sub);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') fail_msg("a tree was published: %s", de->d_name);
    if (d) closedir(d);
    snprintf(sub, sizeof sub, "%s/tmp", cache);
    d = opendir(sub);
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') fail_msg("left in tmp/: %s", de->d_name);
    if (d) closedir(d);
    tu_rmrf(t);
}

static blob *find(layout *l, const char *digest)
{
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->b[i].name, digest + 7)) return &l->b[i];
    fail_msg("no blob %s", digest);
    return &l->b[0];
}

static void damaged_images(void **state)
{
    (void)state;
    for (int archive = 0; archive < 2; archive++) {
        layout l;
        make_image(&l);
        find(&l, l.layer)->data[600] ^= 1; /* one bit of the layer's content */
        expect_open_fails(&l, "diff_id", archive);
        free_layout(&l);
        make_image(&l);
        find(&l, l.config)->data[2] ^= 1;
        expect_open_fails(&l, "tampered or corrupt", archive);
        free_layout(&l);
        make_image(&l);
        blob *m = find(&l, l.manifest);
        m->len--; /* shorter than its descriptor says */
        expect_open_fails(&l, "the descriptor says", archive);
        free_layout(&l);
        make_image(&l);
        find(&l, l.layer)->name[0] = 'X'; /* the layer blob is missing */
        expect_open_fails(&l, "missing", archive);
        free_layout(&l);
        make_image(&l);
        l.b[4].name[0] = 'X'; /* no oci-layout */
        expect_open_fails(&l, "not an OCI image layout", archive);
        free_layout(&l);
    }
}

static void cache_transactions(void **state)
{
    (void)state;
    char *t = tu_tmpdir(), cdir[1024];
    snprintf(cdir, sizeof cdir, "%s/c", t);
    kt_cache c;
    kt_err err;
    assert_int_equal(kt_cache_open(&c, cdir, &err), 0);
    const char *key = "v1-abc";
    char tree[4096], *meta;
    size_t len;
    assert_int_equal(kt_cache_lock(&c, key, &err), 0);
    assert_int_equal(kt_cache_lookup(&c, key, tree, &meta, &len, &err), 0);
    /* a run that died mid-unpack left this */
    char stale[1200];
    snprintf(stale, sizeof stale, "%s/tmp/%s.99999/tree/half", cdir, key);
    tu_writes(cdir, "tmp/v1-abc.99999/tree/half", "x");
    tu_writes(cdir, "tmp/v1-other.1/tree/keep", "x"); /* another key's: not ours to judge */
    kt_cache_tx tx;
    assert_int_equal(kt_cache_begin(&c, key, &tx, &err), 0);
    assert_int_equal(access(stale, F_OK), -1);
    snprintf(stale, sizeof stale, "%s/tmp/v1-other.1/tree/keep", cdir);
    assert_int_equal(access(stale, F_OK), 0);
    assert_int_equal(kt_cache_commit(&c, key, &tx, "{}\n", 3, &err), 0);
    assert_int_equal(kt_cache_lookup(&c, key, tree, &meta, &len, &err), 1);
    assert_string_equal(meta, "{}\n");
    free(meta);
    kt_cache_close(&c);
    /* a cache others can write is refused */
    chmod(cdir, 0777);
    assert_int_equal(kt_cache_open(&c, cdir, &err), -1);
    assert_non_null(strstr(err.msg, "writable by no one else"));
    chmod(cdir, 0700);
    snprintf(stale, sizeof stale, "%s/rootfs", cdir);
    chmod(stale, 0755);
    assert_int_equal(kt_cache_open(&c, cdir, &err), -1);
    chmod(stale, 0700);
    tu_rmrf(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oci_dir_end_to_end),
        cmocka_unit_test(damaged_images),
        cmocka_unit_test(cache_transactions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
