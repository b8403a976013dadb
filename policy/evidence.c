#include "evidence.h"

#include "../core/fsutil.h"
#include "../core/name.h"
#include "../core/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void kt_ev_init_dir(kt_evidence *ev, int rootfd, const char *root)
{
    memset(ev, 0, sizeof *ev);
    ev->srcfd = -1;
    ev->rootfd = rootfd;
    ev->root = root;
}

void kt_ev_init_mem(kt_evidence *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->rootfd = -1;
    ev->srcfd = -1;
}

static int push(kt_evidence *ev, const char *path, char *data, size_t len, uint64_t size,
                kt_err *err)
{
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 64;
        kt_ev_entry *p = realloc(ev->e, cap * sizeof *p);
        if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
        ev->e = p;
        ev->cap = cap;
    }
    char *dup = strdup(path);
    if (!dup) return kt_fail(err, KT_E_NOMEM, "out of memory");
    ev->e[ev->n++] = (kt_ev_entry){dup, data, len, size, -1, {0}};
    if (data) ev->kept += len;
    return 0;
}

int kt_ev_add(kt_evidence *ev, const char *path, char *data, size_t len, uint64_t size, kt_err *err)
{
    if (data && (len > KT_EV_FILE_MAX || ev->kept + len > KT_EV_TOTAL_MAX)) {
        free(data);
        data = NULL;
        len = 0;
    }
    if (push(ev, path, data, len, size, err) < 0) {
        free(data);
        return -1;
    }
    return 0;
}

int kt_ev_add_ref(kt_evidence *ev, const char *path, int64_t offset, uint64_t size,
                  const uint8_t sha256[32], kt_err *err)
{
    if (push(ev, path, NULL, 0, size, err) < 0) return -1;
    ev->e[ev->n - 1].offset = offset;
    memcpy(ev->e[ev->n - 1].sha256, sha256, 32);
    return 0;
}

/* Re-read a member of the bundle and hold it to the digest of the first pass. */
static int reread(kt_evidence *ev, kt_ev_entry *e, kt_err *err)
{
    if (e->size > KT_EV_FILE_MAX)
        return kt_fail(err, KT_E_LIMIT, "evidence file %s (%llu bytes) is too large to re-read",
                       e->path, (unsigned long long)e->size);
    char *buf = malloc((size_t)e->size + 1);
    if (!buf) return kt_fail(err, KT_E_NOMEM, "out of memory");
    size_t got = 0;
    while (got < e->size) {
        ssize_t r = pread(ev->srcfd, buf + got, (size_t)e->size - got, e->offset + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int en = r < 0 ? errno : EIO;
            free(buf);
            if (!ev->io_failed) ev->io_failed = e->path, ev->io_errno = en;
            return kt_fail_errno(err, KT_E_IO, en, "cannot re-read %s", e->path);
        }
        got += (size_t)r;
    }
    uint8_t h[KT_SHA256_LEN];
    kt_sha256(buf, got, h);
    if (memcmp(h, e->sha256, sizeof h)) {
        free(buf);
        return kt_fail(err, KT_E_TAMPER,
                       "%s changed in the bundle file while it was being verified", e->path);
    }
    buf[got] = '\0';
    e->data = buf;
    e->len = got;
    return 0;
}

static kt_ev_entry *find(kt_evidence *ev, const char *path)
{
    for (size_t i = 0; i < ev->n; i++)
        if (strcmp(ev->e[i].path, path) == 0) return &ev->e[i];
    return NULL;
}

static int safe_rel(const char *p)
{
    if (!*p || *p == '/' || strstr(p, "..")) return 0;
    return 1;
}

/* A directory source holds files under their raw names; paths here are
 * member names (core/name.h): decode before opening. A path that is no
 * canonical encoding names no file. */
static int open_member(kt_evidence *ev, const char *path)
{
    char raw[KT_NAME_RAW_MAX + 1];
    if (kt_name_decode(path, raw, sizeof raw, NULL) < 0) {
        errno = ENOENT;
        return -1;
    }
    return kt_open_beneath(ev->rootfd, raw);
}

int kt_ev_exists(kt_evidence *ev, const char *path)
{
    if (!safe_rel(path)) return 0;
    if (find(ev, path)) return 1;
    if (ev->rootfd < 0) return 0;
    /* what create would bundle: a regular file reached without any symlink */
    int fd = open_member(ev, path);
    if (fd < 0) return 0;
    struct stat st;
    int reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    return reg;
}

int kt_ev_get(kt_evidence *ev, const char *path, const char **data, size_t *len, kt_err *err)
{
    if (!safe_rel(path))
        return kt_fail(err, KT_E_DATA, "evidence path \"%s\" is not relative", path);
    kt_ev_entry *e = find(ev, path);
    if (!e && ev->rootfd >= 0) {
        int fd = open_member(ev, path);
        if (fd < 0) return kt_fail(err, KT_E_DATA, "evidence file %s is missing", path);
        struct stat st;
        char *buf = NULL;
        ssize_t n = -1;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= KT_EV_FILE_MAX &&
            (buf = malloc((size_t)st.st_size + 1)))
            n = kt_read_full(fd, buf, (size_t)st.st_size + 1);
        close(fd);
        if (n < 0 || n > st.st_size) {
            free(buf);
            return kt_fail(err, KT_E_DATA, "evidence file %s cannot be read (or is over %u bytes)",
                           path, KT_EV_FILE_MAX);
        }
        buf[n] = '\0';
        if (push(ev, path, buf, (size_t)n, (uint64_t)n, err) < 0) {
            free(buf);
            return -1;
        }
        e = &ev->e[ev->n - 1];
    }
    if (!e) return kt_fail(err, KT_E_DATA, "evidence file %s is missing", path);
    if (!e->data && e->offset >= 0 && ev->srcfd >= 0 && reread(ev, e, err) < 0) return -1;
    if (!e->data && e->size <= KT_EV_FILE_MAX && e->offset < 0 && ev->rootfd < 0) {
        if (!ev->unavailable) ev->unavailable = e->path;
        return kt_fail(err, KT_E_LIMIT, "evidence file %s was not kept from the stream", path);
    }
    if (!e->data)
        return kt_fail(err, KT_E_LIMIT, "evidence file %s (%llu bytes) is too large to re-read",
                       path, (unsigned long long)e->size);
    *data = e->data;
    *len = e->len;
    return 0;
}

void kt_ev_free(kt_evidence *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->e[i].path);
        free(ev->e[i].data);
    }
    free(ev->e);
    memset(ev, 0, sizeof *ev);
    ev->rootfd = -1;
    ev->srcfd = -1;
}
