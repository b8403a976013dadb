#include "imgsrc.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINK_HOPS 8

typedef struct member_ix {
    char *name;
    char *link; /* symlink target, resolved to a member name; NULL for a file */
    uint64_t size;
    size_t ordinal; /* position in the archive */
} member_ix;

struct kt_imgsrc {
    enum kt_ref_kind kind;
    char where[KT_OCI_PATH]; /* the directory or archive, for messages */
    int fd;                  /* the directory (O_PATH) or the archive */
    member_ix *ix;           /* archives: every regular member and link, sorted by name */
    size_t nix;
};

void kt_blob_name(const char *digest, char *out, size_t n)
{
    snprintf(out, n, "blobs/sha256/%s", digest + strlen("sha256:"));
}

static int cmp_ix(const void *a, const void *b)
{
    return strcmp(((const member_ix *)a)->name, ((const member_ix *)b)->name);
}

static int cmp_name_ix(const void *name, const void *m)
{
    return strcmp(name, ((const member_ix *)m)->name);
}

static const member_ix *ix_find(const kt_imgsrc *s, const char *name)
{
    return s->nix ? bsearch(name, s->ix, s->nix, sizeof *s->ix, cmp_name_ix) : NULL;
}

/* A symlink's target as a member name, ".." resolved lexically within the
 * archive (legacy docker save: "../ID/layer.tar"). */
static int link_target(const char *member, const char *target, char *out, size_t n)
{
    char joined[2 * KT_OCI_PATH + 2];
    const char *slash = strrchr(member, '/');
    if (target[0] == '/') return -1;
    snprintf(joined, sizeof joined, "%.*s%s%s", slash ? (int)(slash - member) : 0, member,
             slash ? "/" : "", target);
    size_t o = 0;
    for (char *p = joined, *next; *p; p = next) {
        size_t len = strcspn(p, "/");
        next = p + len + (p[len] == '/');
        if (len == 0 || (len == 1 && p[0] == '.')) continue;
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (o == 0) return -1; /* above the archive's root */
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
            continue;
        }
        if (o + len + 2 > n) return -1;
        if (o) out[o++] = '/';
        memcpy(out + o, p, len);
        o += len;
    }
    out[o] = '\0';
    return o ? 0 : -1;
}

static int add_member(kt_imgsrc *s, struct archive_entry *e, size_t ordinal, size_t *cap,
                      kt_err *err)
{
    const char *raw = archive_entry_pathname(e);
    char name[KT_OCI_PATH], target[KT_OCI_PATH], eb[256];
    if (!raw || kt_member_name(raw, name, sizeof name) < 0)
        return kt_fail(err, KT_E_DATA, "%s: member %zu has an unsafe name (absolute or \"..\")",
                       s->where, ordinal);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR || !name[0]) return 0;
    if (archive_entry_hardlink(e))
        return kt_fail(err, KT_E_DATA, "%s: member %s is a hard link", s->where,
                       kt_clip(name, eb, sizeof eb));
    int is_link = type == AE_IFLNK;
    if (!is_link && type != AE_IFREG)
        return kt_fail(err, KT_E_DATA, "%s: member %s is not a regular file", s->where,
                       kt_clip(name, eb, sizeof eb));
    if (is_link && (s->kind != KT_REF_DOCKER_ARCHIVE || !archive_entry_symlink(e) ||
                    link_target(name, archive_entry_symlink(e), target, sizeof target) < 0))
        return kt_fail(err, KT_E_DATA, "%s: member %s is a symlink out of the archive", s->where,
                       kt_clip(name, eb, sizeof eb));
    if (!is_link && !archive_entry_size_is_set(e))
        return kt_fail(err, KT_E_DATA, "%s: member %s has no size", s->where,
                       kt_clip(name, eb, sizeof eb));
    if (s->nix == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        member_ix *p = realloc(s->ix, *cap * sizeof *p);
        if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
        s->ix = p;
    }
    member_ix *m = &s->ix[s->nix];
    *m = (member_ix){strdup(name), is_link ? strdup(target) : NULL,
                     is_link ? 0 : (uint64_t)archive_entry_size(e), ordinal};
    if (!m->name || (is_link && !m->link)) {
        free(m->name);
        free(m->link);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    s->nix++;
    return 0;
}

static struct archive *archive_at_start(kt_imgsrc *s, kt_err *err)
{
    if (lseek(s->fd, 0, SEEK_SET) < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "%s: cannot seek", s->where);
        return NULL;
    }
    struct archive *a = archive_read_new();
    if (!a) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        return NULL;
    }
    /* Uncompressed tar only: members are then read in place, and skipping
     * a member is a seek, not a decompression. */
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, s->fd, 1 << 20) != ARCHIVE_OK) {
        kt_fail(err, KT_E_DATA, "%s: not a tar archive: %s", s->where, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int compressed(int fd, const char *where, kt_err *err)
{
    unsigned char m[6] = {0};
    if (pread(fd, m, sizeof m, 0) < 0)
        return kt_fail_errno(err, KT_E_IO, errno, "%s: cannot read", where);
    const char *kind = m[0] == 0x1f && m[1] == 0x8b                                   ? "gzip"
                       : m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd ? "zstd"
                       : m[0] == 0xfd && memcmp(m + 1, "7zXZ", 4) == 0                ? "xz"
                       : m[0] == 'B' && m[1] == 'Z' && m[2] == 'h'                    ? "bzip2"
                                                                                      : NULL;
    if (kind)
        return kt_fail(err, KT_E_DATA,
                       "%s: the archive is %s-compressed; decompress it first (members are read "
                       "in place from an uncompressed tar)",
                       where, kind);
    return 0;
}

static int index_archive(kt_imgsrc *s, const kt_img_caps *caps, kt_err *err)
{
    if (compressed(s->fd, s->where, err) < 0) return -1;
    struct archive *a = archive_at_start(s, err);
    if (!a) return -1;
    struct archive_entry *e;
    size_t cap = 0, ordinal = 0;
    int r, rc = 0;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        if (ordinal >= caps->max_members) {
            rc = kt_fail(err, KT_E_LIMIT, "%s: more than %u members", s->where, caps->max_members);
            break;
        }
        if ((rc = add_member(s, e, ordinal++, &cap, err)) < 0) break;
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = kt_fail(err, KT_E_DATA, "%s: bad tar archive: %s", s->where, archive_error_string(a));
    archive_read_free(a);
    if (rc < 0) return -1;
    qsort(s->ix, s->nix, sizeof *s->ix, cmp_ix);
    char eb[256];
    for (size_t i = 1; i < s->nix; i++)
        if (strcmp(s->ix[i - 1].name, s->ix[i].name) == 0)
            return kt_fail(err, KT_E_DATA, "%s: member %s appears twice", s->where,
                           kt_clip(s->ix[i].name, eb, sizeof eb));
    return 0;
}

int kt_imgsrc_open(const kt_imgref *ref, const kt_img_caps *caps, kt_imgsrc **out, kt_err *err)
{
    kt_imgsrc *s = calloc(1, sizeof *s);
    if (!s) return kt_fail(err, KT_E_NOMEM, "out of memory");
    s->kind = ref->kind;
    snprintf(s->where, sizeof s->where, "%s", ref->path);
    int dir = ref->kind == KT_REF_OCI;
    s->fd = open(ref->path, (dir ? O_PATH | O_DIRECTORY : O_RDONLY | O_NONBLOCK) | O_CLOEXEC);
    struct stat st;
    if (s->fd < 0) {
        kt_fail_errno(err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno, "%s: cannot open %s",
                      ref->text, dir ? "the layout directory" : "the archive");
        free(s);
        return -1;
    }
    if (!dir && (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        kt_fail(err, KT_E_DATA, "%s: not a regular file", ref->path);
        kt_imgsrc_close(s);
        return -1;
    }
    if (!dir && index_archive(s, caps, err) < 0) {
        kt_imgsrc_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void kt_imgsrc_close(kt_imgsrc *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nix; i++) free(s->ix[i].name), free(s->ix[i].link);
    free(s->ix);
    if (s->fd >= 0) close(s->fd);
    free(s);
}

/* An archive member, following docker-archive links within the archive. */
static const member_ix *ix_resolve(const kt_imgsrc *s, const char *name, kt_err *err)
{
    const member_ix *m = ix_find(s, name);
    char eb[256];
    for (int hops = 0; m && m->link; hops++) {
        if (hops == MAX_LINK_HOPS) {
            kt_fail(err, KT_E_DATA, "%s: %s: too many links", s->where,
                    kt_clip(name, eb, sizeof eb));
            return NULL;
        }
        m = ix_find(s, m->link);
    }
    if (!m) kt_fail(err, KT_E_NOINPUT, "%s: no member %s", s->where, kt_clip(name, eb, sizeof eb));
    return m;
}

/* Open name beneath the layout directory, never following a link. */
static int open_beneath(const kt_imgsrc *s, const char *name, kt_err *err)
{
    char norm[KT_OCI_PATH];
    if (kt_member_name(name, norm, sizeof norm) < 0 || !norm[0])
        return kt_fail(err, KT_E_DATA, "%s: unsafe name %s", s->where, name);
    int dfd = dup(s->fd);
    char *p = norm;
    while (dfd >= 0) {
        char *slash = strchr(p, '/');
        if (slash) *slash = '\0';
        int flags = O_CLOEXEC | O_NOFOLLOW | (slash ? O_PATH | O_DIRECTORY : O_RDONLY | O_NONBLOCK);
        int fd = openat(dfd, p, flags);
        int e = errno;
        close(dfd);
        if (fd < 0) {
            errno = e;
            break;
        }
        if (!slash) return fd;
        dfd = fd;
        p = slash + 1;
    }
    int e = errno;
    return kt_fail_errno(err, e == ENOENT ? KT_E_NOINPUT : KT_E_DATA, e, "%s/%s", s->where, name);
}

int kt_imgsrc_stat(kt_imgsrc *s, const char *name, uint64_t *size, kt_err *err)
{
    if (s->kind != KT_REF_OCI) { /* the index has it: no pass over the archive */
        const member_ix *ix = ix_resolve(s, name, err);
        if (!ix) return -1;
        *size = ix->size;
        return 0;
    }
    kt_member m;
    if (kt_imgsrc_member(s, name, &m, err) < 0) return -1;
    *size = m.size;
    kt_member_close(&m);
    return 0;
}

static int member_in_archive(kt_imgsrc *s, const member_ix *ix, kt_member *m, kt_err *err)
{
    if (!(m->a = archive_at_start(s, err))) return -1;
    struct archive_entry *e;
    for (size_t i = 0; i <= ix->ordinal; i++) {
        int r = archive_read_next_header(m->a, &e);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return kt_fail(err, KT_E_DATA, "%s: changed while being read", s->where);
    }
    char name[KT_OCI_PATH];
    const char *raw = archive_entry_pathname(e);
    if (!raw || kt_member_name(raw, name, sizeof name) < 0 || strcmp(name, ix->name) != 0 ||
        (uint64_t)archive_entry_size(e) != ix->size)
        return kt_fail(err, KT_E_DATA, "%s: changed while being read", s->where);
    m->size = ix->size;
    return 0;
}

int kt_imgsrc_member(kt_imgsrc *s, const char *name, kt_member *m, kt_err *err)
{
    memset(m, 0, sizeof *m);
    m->src = s;
    m->fd = -1;
    kt_sha256_init(&m->h);
    kt_clip(name, m->name, sizeof m->name); /* for messages only */
    int rc;
    if (s->kind == KT_REF_OCI) {
        struct stat st;
        if ((m->fd = open_beneath(s, name, err)) < 0) return -1;
        if (fstat(m->fd, &st) < 0 || !S_ISREG(st.st_mode))
            rc = kt_fail(err, KT_E_DATA, "%s/%s: not a regular file", s->where, name);
        else
            m->size = (uint64_t)st.st_size, rc = 0;
    } else {
        const member_ix *ix = ix_resolve(s, name, err);
        rc = ix ? member_in_archive(s, ix, m, err) : -1;
    }
    if (rc < 0) kt_member_close(m);
    return rc;
}

ssize_t kt_member_read(kt_member *m, void *buf, size_t n, kt_err *err)
{
    ssize_t r;
    if (m->a) {
        r = archive_read_data(m->a, buf, n);
        if (r < 0)
            return kt_fail(err, KT_E_DATA, "%s: %s: %s", m->src->where, m->name,
                           archive_error_string(m->a));
    } else {
        do r = read(m->fd, buf, n);
        while (r < 0 && errno == EINTR);
        if (r < 0) return kt_fail_errno(err, KT_E_IO, errno, "%s/%s", m->src->where, m->name);
    }
    m->done += (uint64_t)r;
    if (m->done > m->size)
        return kt_fail(err, KT_E_DATA, "%s: %s grew while being read", m->src->where, m->name);
    kt_sha256_update(&m->h, buf, (size_t)r);
    return r;
}

int kt_member_finish(kt_member *m, char digest[KT_OCI_DIGEST], kt_err *err)
{
    char sink[16384];
    ssize_t r;
    while ((r = kt_member_read(m, sink, sizeof sink, err)) > 0) {
    }
    if (r < 0) return -1;
    if (m->done != m->size)
        return kt_fail(err, KT_E_DATA, "%s: %s: %llu bytes, expected %llu", m->src->where, m->name,
                       (unsigned long long)m->done, (unsigned long long)m->size);
    uint8_t d[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    kt_sha256_final(&m->h, d);
    kt_hex(d, sizeof d, hex);
    snprintf(digest, KT_OCI_DIGEST, "sha256:%s", hex);
    return 0;
}

void kt_member_close(kt_member *m)
{
    if (m->a) archive_read_free(m->a);
    if (m->fd >= 0) close(m->fd);
    m->a = NULL;
    m->fd = -1;
}

int kt_imgsrc_read(kt_imgsrc *s, const char *name, uint64_t cap, char **data, size_t *len,
                   char digest[KT_OCI_DIGEST], kt_err *err)
{
    kt_member m;
    if (kt_imgsrc_member(s, name, &m, err) < 0) return -1;
    int rc = -1;
    char *buf = NULL;
    if (m.size > cap) {
        kt_fail(err, KT_E_LIMIT, "%s: %s is %llu bytes, over the cap of %llu", s->where, m.name,
                (unsigned long long)m.size, (unsigned long long)cap);
        goto out;
    }
    if (!(buf = malloc((size_t)m.size + 1))) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    size_t got = 0;
    ssize_t r = 1;
    while (got < m.size && (r = kt_member_read(&m, buf + got, (size_t)m.size - got, err)) > 0)
        got += (size_t)r;
    if (r < 0 || kt_member_finish(&m, digest, err) < 0) goto out;
    buf[got] = '\0';
    *data = buf;
    *len = got;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    kt_member_close(&m);
    return rc;
}

int kt_imgsrc_read_blob(kt_imgsrc *s, const kt_desc *d, uint64_t cap, const char *what, char **data,
                        size_t *len, kt_err *err)
{
    char name[KT_OCI_PATH], got[KT_OCI_DIGEST];
    kt_blob_name(d->digest, name, sizeof name);
    /* The descriptor's size is checked against the cap before anything is
     * opened: a manifest may claim any size. */
    if (d->size > cap)
        return kt_fail(err, KT_E_LIMIT, "%s: %s declares %llu bytes, over the cap of %llu", what,
                       d->digest, (unsigned long long)d->size, (unsigned long long)cap);
    uint64_t size;
    if (kt_imgsrc_stat(s, name, &size, err) < 0) {
        kt_err inner = *err;
        return kt_fail(err, inner.cls, "%s: blob %s %s (%s)", what, d->digest,
                       inner.cls == KT_E_NOINPUT ? "is missing" : "cannot be read", inner.msg);
    }
    if (size != d->size)
        return kt_fail(err, KT_E_DATA, "%s: blob %s is %llu bytes, the descriptor says %llu", what,
                       d->digest, (unsigned long long)size, (unsigned long long)d->size);
    char *buf;
    if (kt_imgsrc_read(s, name, cap, &buf, len, got, err) < 0) return -1;
    if (strcmp(got, d->digest) != 0) {
        free(buf);
        return kt_fail(err, KT_E_DATA, "%s: blob %s has sha256 %s (tampered or corrupt)", what,
                       d->digest, got + strlen("sha256:"));
    }
    *data = buf;
    return 0;
}
