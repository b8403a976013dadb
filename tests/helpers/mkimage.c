/* kt-mkimage - a reproducible single-layer OCI image from files, for the
 * demo's probe and MVP images.
 *
 *   kt-mkimage --out DIR --tag TAG [--entrypoint ARG]... [--cmd ARG]...
 *              [--env K=V]... [--workdir DIR] [--label K=V]... [--dir DIR]...
 *              SRC:DST[:MODE]...
 *
 * The same inputs give the same bytes on every machine: one uncompressed
 * ustar layer written here (entries sorted by name, parents made 0755,
 * uid/gid 0, mtime 0, no user names), canonical JSON (sorted keys, no
 * whitespace) for the config, manifest and index, no timestamps anywhere.
 * Prints the manifest digest, which is what `skopeo inspect oci:DIR` and
 * kiemthu-sandbox --image report. */
#include "../../core/buf.h"
#include "../../core/json_canon.h"
#include "../../core/jsonb.h"
#include "../../core/sha256.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ITEMS 256

typedef struct item {
    char name[101]; /* in the tar: no leading '/', at most 100 bytes (ustar name field) */
    char *data;
    size_t len;
    unsigned mode;
    int dir;
} item;

typedef struct spec {
    const char *out, *tag, *workdir;
    const char *entrypoint[32], *cmd[32], *env[32], *label[32];
    size_t nentrypoint, ncmd, nenv, nlabel;
    item items[MAX_ITEMS];
    size_t nitems;
} spec;

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kt-mkimage: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void add_item(spec *s, const char *name, char *data, size_t len, unsigned mode, int dir)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (!strcmp(s->items[i].name, name)) {
            if (dir && s->items[i].dir) return;
            die("%s given twice", name);
        }
    if (s->nitems == MAX_ITEMS || strlen(name) > 100)
        die("too many files, or a name over 100 bytes: %s", name);
    item *it = &s->items[s->nitems++];
    snprintf(it->name, sizeof it->name, "%s", name);
    it->data = data, it->len = len, it->mode = mode, it->dir = dir;
}

static void add_file(spec *s, char *arg)
{
    char *dst = strchr(arg, ':');
    if (!dst || dst[1] != '/') die("SRC:/DST[:MODE], not %s", arg);
    *dst++ = '\0';
    char *m = strchr(dst, ':');
    unsigned mode = 0;
    if (m) *m++ = '\0', mode = (unsigned)strtoul(m, NULL, 8);
    int fd = open(arg, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) die("cannot read %s", arg);
    char *data = malloc((size_t)st.st_size + 1);
    if (!data || read(fd, data, (size_t)st.st_size) != st.st_size) die("cannot read %s", arg);
    close(fd);
    if (!m) mode = st.st_mode & 0111 ? 0755 : 0644;
    for (char *p = dst + 1; (p = strchr(p, '/')); p++) { /* parents */
        *p = '\0';
        add_item(s, dst + 1, NULL, 0, 0755, 1);
        *p = '/';
    }
    add_item(s, dst + 1, data, (size_t)st.st_size, mode, 0);
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp(((const item *)a)->name, ((const item *)b)->name);
}

/* One ustar header: uid/gid 0, mtime 0, no user or group names. */
static void header(char h[512], const item *it)
{
    memset(h, 0, 512);
    snprintf(h, 100, "%s%s", it->name, it->dir ? "/" : "");
    snprintf(h + 100, 8, "%07o", it->mode);
    snprintf(h + 108, 8, "%07o", 0);
    snprintf(h + 116, 8, "%07o", 0);
    snprintf(h + 124, 12, "%011llo", (unsigned long long)(it->dir ? 0 : it->len));
    snprintf(h + 136, 12, "%011o", 0);
    h[156] = it->dir ? '5' : '0';
    memcpy(h + 257,
           "ustar\0"
           "00",
           8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
}

static void layer(spec *s, kt_buf *tar)
{
    kt_err err;
    qsort(s->items, s->nitems, sizeof *s->items, cmp_items);
    static const char zero[1024];
    for (size_t i = 0; i < s->nitems; i++) {
        char h[512];
        header(h, &s->items[i]);
        size_t pad = (512 - s->items[i].len % 512) % 512;
        if (kt_buf_append(tar, h, 512, &err) < 0 ||
            (s->items[i].len && (kt_buf_append(tar, s->items[i].data, s->items[i].len, &err) < 0 ||
                                 kt_buf_append(tar, zero, pad, &err) < 0)))
            die("%s", err.msg);
    }
    if (kt_buf_append(tar, zero, 1024, &err) < 0) die("%s", err.msg);
}

static void digest(const void *p, size_t n, char out[72])
{
    uint8_t d[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    kt_sha256(p, n, d);
    kt_hex(d, sizeof d, hex);
    snprintf(out, 72, "sha256:%s", hex);
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, p, n) != (ssize_t)n || close(fd) < 0) die("cannot write %s", path);
}

/* Canonical JSON (no trailing newline) written as a blob; its digest in out. */
static size_t blob(const char *dir, cJSON *doc, char out[72], int as_blob)
{
    kt_buf b;
    kt_err err;
    kt_buf_init(&b, 0);
    if (kt_json_emit(doc, &b, &err) < 0) die("%s", err.msg);
    digest(b.data, b.len, out);
    char name[128];
    snprintf(name, sizeof name, "blobs/sha256/%s", out + 7);
    write_file(dir, as_blob ? name : "index.json", b.data, b.len);
    size_t n = b.len;
    kt_buf_free(&b);
    cJSON_Delete(doc);
    return n;
}

static void strv(kt_jb *b, cJSON *o, const char *key, const char *const *v, size_t n)
{
    if (!n) return;
    cJSON *a = kt_jb_arr(b, o, key);
    for (size_t i = 0; i < n; i++) kt_jb_str(b, a, NULL, v[i]);
}

static cJSON *config_doc(const spec *s, const char *diff_id)
{
    kt_jb b;
    kt_err err;
    kt_jb_init(&b);
    kt_jb_str(&b, b.root, "architecture", "amd64");
    kt_jb_str(&b, b.root, "os", "linux");
    cJSON *c = kt_jb_obj(&b, b.root, "config");
    strv(&b, c, "Entrypoint", s->entrypoint, s->nentrypoint);
    strv(&b, c, "Cmd", s->cmd, s->ncmd);
    strv(&b, c, "Env", s->env, s->nenv);
    if (s->workdir) kt_jb_str(&b, c, "WorkingDir", s->workdir);
    kt_jb_str(&b, c, "User", "65532:65532");
    if (s->nlabel) {
        cJSON *l = kt_jb_obj(&b, c, "Labels");
        for (size_t i = 0; i < s->nlabel; i++) {
            char k[256];
            const char *eq = strchr(s->label[i], '=');
            if (!eq) die("--label K=V, not %s", s->label[i]);
            snprintf(k, sizeof k, "%.*s", (int)(eq - s->label[i]), s->label[i]);
            kt_jb_str(&b, l, k, eq + 1);
        }
    }
    cJSON *r = kt_jb_obj(&b, b.root, "rootfs");
    kt_jb_str(&b, r, "type", "layers");
    cJSON *ids = kt_jb_arr(&b, r, "diff_ids");
    kt_jb_str(&b, ids, NULL, diff_id);
    cJSON *doc;
    if (kt_jb_done(&b, &doc, "config", &err) < 0) die("%s", err.msg);
    return doc;
}

static cJSON *descriptor(kt_jb *b, cJSON *parent, const char *key, const char *mt, const char *d,
                         size_t size)
{
    cJSON *o = kt_jb_obj(b, parent, key);
    kt_jb_str(b, o, "mediaType", mt);
    kt_jb_str(b, o, "digest", d);
    kt_jb_int(b, o, "size", (int64_t)size);
    return o;
}

static void build(spec *s)
{
    char path[4096], layer_d[72], cfg_d[72], man_d[72];
    snprintf(path, sizeof path, "%s/blobs/sha256", s->out);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') *p = '\0', mkdir(path, 0755), *p = '/';
    if (mkdir(path, 0755) < 0 && errno != EEXIST) die("cannot create %s", path);
    kt_buf tar;
    kt_buf_init(&tar, 0);
    layer(s, &tar);
    digest(tar.data, tar.len, layer_d);
    snprintf(path, sizeof path, "blobs/sha256/%s", layer_d + 7);
    write_file(s->out, path, tar.data, tar.len);
    size_t cfg_n = blob(s->out, config_doc(s, layer_d), cfg_d, 1);
    kt_jb b;
    kt_err err;
    cJSON *doc;
    kt_jb_init(&b);
    kt_jb_int(&b, b.root, "schemaVersion", 2);
    kt_jb_str(&b, b.root, "mediaType", "application/vnd.oci.image.manifest.v1+json");
    descriptor(&b, b.root, "config", "application/vnd.oci.image.config.v1+json", cfg_d, cfg_n);
    descriptor(&b, kt_jb_arr(&b, b.root, "layers"), NULL, "application/vnd.oci.image.layer.v1.tar",
               layer_d, tar.len);
    if (kt_jb_done(&b, &doc, "manifest", &err) < 0) die("%s", err.msg);
    size_t man_n = blob(s->out, doc, man_d, 1);
    kt_jb_init(&b);
    kt_jb_int(&b, b.root, "schemaVersion", 2);
    kt_jb_str(&b, b.root, "mediaType", "application/vnd.oci.image.index.v1+json");
    cJSON *m = descriptor(&b, kt_jb_arr(&b, b.root, "manifests"), NULL,
                          "application/vnd.oci.image.manifest.v1+json", man_d, man_n);
    kt_jb_str(&b, kt_jb_obj(&b, m, "annotations"), "org.opencontainers.image.ref.name", s->tag);
    if (kt_jb_done(&b, &doc, "index", &err) < 0) die("%s", err.msg);
    char idx_d[72];
    blob(s->out, doc, idx_d, 0);
    write_file(s->out, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
    printf("%s\n", man_d);
    kt_buf_free(&tar);
}

int main(int argc, char **argv)
{
    static spec s;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **list = NULL;
        size_t *n = NULL;
        if (!strcmp(a, "--entrypoint"))
            list = s.entrypoint, n = &s.nentrypoint;
        else if (!strcmp(a, "--cmd"))
            list = s.cmd, n = &s.ncmd;
        else if (!strcmp(a, "--env"))
            list = s.env, n = &s.nenv;
        else if (!strcmp(a, "--label"))
            list = s.label, n = &s.nlabel;
        if (list) {
            if (!v || *n == 32) die("%s takes a value (at most 32)", a);
            list[(*n)++] = v, i++;
        } else if (!strcmp(a, "--out") && v) {
            s.out = v, i++;
        } else if (!strcmp(a, "--tag") && v) {
            s.tag = v, i++;
        } else if (!strcmp(a, "--workdir") && v) {
            s.workdir = v, i++;
        } else if (!strcmp(a, "--dir") && v && v[0] == '/' && v[1]) {
            add_item(&s, v + 1, NULL, 0, 0755, 1); /* an empty directory, e.g. /usr */
            i++;
        } else if (a[0] != '-') {
            add_file(&s, argv[i]);
        } else {
            die("unknown option %s", a);
        }
    }
    if (!s.out || !s.tag || !s.nitems) die("usage: --out DIR --tag TAG ... SRC:DST[:MODE]...");
    build(&s);
    return 0;
}
