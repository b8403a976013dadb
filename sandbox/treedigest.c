#include "treedigest.h"

#include "../core/sha256.h"
#include "imgref.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int hash_fd(int fd, uint8_t out[KT_SHA256_LEN])
{
    kt_sha256_ctx h;
    kt_sha256_init(&h);
    char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        kt_sha256_update(&h, buf, (size_t)r);
    }
    kt_sha256_final(&h, out);
    return 0;
}

static void digest_str(const uint8_t d[KT_SHA256_LEN], char out[KT_DIGEST_STR])
{
    char hex[KT_SHA256_HEX];
    kt_hex(d, KT_SHA256_LEN, hex);
    snprintf(out, KT_DIGEST_STR, "sha256:%s", hex);
}

int kt_file_digest(int fd, char out[KT_DIGEST_STR])
{
    uint8_t d[KT_SHA256_LEN];
    if (hash_fd(fd, d) < 0) return -1;
    digest_str(d, out);
    return 0;
}

typedef struct walker {
    kt_sha256_ctx h;
    kt_err *err;
    const char *root;
    uint64_t entries;
} walker;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A path or link target in the listing: bytes outside printable ASCII,
 * ' ' and '\\' as \xNN, so that no name can forge or merge lines. */
static void put_field(kt_sha256_ctx *h, const char *s)
{
    static const char hx[] = "0123456789abcdef";
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p > 0x20 && *p < 0x7f && *p != '\\') continue;
        kt_sha256_update(h, run, (size_t)((const char *)p - run));
        char e[4] = {'\\', 'x', hx[*p >> 4], hx[*p & 15]};
        kt_sha256_update(h, e, 4);
        run = (const char *)p + 1;
    }
    kt_sha256_update(h, run, strlen(run));
}

static void put_line(walker *w, const char *head, const char *path, const char *tail)
{
    kt_sha256_update(&w->h, head, strlen(head));
    put_field(&w->h, path);
    if (tail) {
        kt_sha256_update(&w->h, " ", 1);
        put_field(&w->h, tail);
    }
    kt_sha256_update(&w->h, "\n", 1);
}

static int walk(walker *w, int dfd, const char *rel, int depth);

static int list_entry(walker *w, int dfd, const char *name, const char *path, int depth)
{
    struct stat st;
    char head[32], ep[256];
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kt_fail_errno(w->err, KT_E_DATA, errno, "cannot stat %s/%s", w->root,
                             kt_clip(path, ep, sizeof ep));
    unsigned mode = (unsigned)st.st_mode & 07777;
    w->entries++;
    if (S_ISDIR(st.st_mode)) {
        snprintf(head, sizeof head, "d %04o ", mode);
        put_line(w, head, path, NULL);
        int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return kt_fail_errno(w->err, KT_E_DATA, errno, "cannot open %s/%s", w->root,
                                 kt_clip(path, ep, sizeof ep));
        return walk(w, sub, path, depth + 1);
    }
    if (S_ISREG(st.st_mode)) {
        char dg[KT_DIGEST_STR];
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        int rc = fd < 0 ? -1 : kt_file_digest(fd, dg);
        int e = errno;
        if (fd >= 0) close(fd);
        if (rc < 0)
            return kt_fail_errno(w->err, KT_E_DATA, e, "cannot read %s/%s", w->root,
                                 kt_clip(path, ep, sizeof ep));
        snprintf(head, sizeof head, "f %04o ", mode);
        put_line(w, head, path, dg + strlen("sha256:"));
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t t = readlinkat(dfd, name, target, sizeof target - 1);
        if (t < 0)
            return kt_fail_errno(w->err, KT_E_DATA, errno, "readlink %s/%s", w->root,
                                 kt_clip(path, ep, sizeof ep));
        target[t] = '\0';
        put_line(w, "l ", path, target);
        return 0;
    }
    snprintf(head, sizeof head, "o %07o ", (unsigned)st.st_mode);
    put_line(w, head, path, NULL);
    return 0;
}

static int read_names(walker *w, DIR *d, const char *rel, char ***out, size_t *count)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    char ep[256];
    while ((errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        if (!(names[n] = strdup(de->d_name))) break;
        n++;
    }
    *out = names;
    *count = n;
    if (de) return kt_fail(w->err, KT_E_NOMEM, "out of memory");
    if (errno)
        return kt_fail_errno(w->err, KT_E_DATA, errno, "cannot list %s/%s", w->root,
                             kt_clip(rel, ep, sizeof ep));
    if (n) qsort(names, n, sizeof *names, cmp_names);
    return 0;
}

static int walk(walker *w, int dfd, const char *rel, int depth)
{
    char ep[256];
    if (depth > 256) {
        close(dfd);
        return kt_fail(w->err, KT_E_DATA, "%s: tree too deep", w->root);
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return kt_fail_errno(w->err, KT_E_DATA, errno, "cannot list %s/%s", w->root,
                             kt_clip(rel, ep, sizeof ep));
    }
    char **names;
    size_t n;
    int rc = read_names(w, d, rel, &names, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", names[i]) >=
            (int)sizeof path)
            rc = kt_fail(w->err, KT_E_DATA, "%s: a path longer than %d bytes", w->root, PATH_MAX);
        else
            rc = list_entry(w, dirfd(d), names[i], path, depth);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int kt_tree_digest(int dirfd, const char *label, char out[KT_DIGEST_STR], uint64_t *entries,
                   kt_err *err)
{
    walker w = {.err = err, .root = label};
    kt_sha256_init(&w.h);
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return kt_fail_errno(err, KT_E_NOINPUT, errno, "cannot open %s", label);
    if (walk(&w, fd, "", 0) < 0) return -1;
    uint8_t d[KT_SHA256_LEN];
    kt_sha256_final(&w.h, d);
    digest_str(d, out);
    if (entries) *entries = w.entries;
    return 0;
}
