#include "extract.h"

#include "../core/fsutil.h"
#include "../core/name.h"
#include "../core/ustar.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* evidence/, then up to KT_NAME_DEPTH_MAX directories, then the file */
#define MAX_DEPTH (KT_NAME_DEPTH_MAX + 2)
#define PATH_CAP (KT_TAR_NAME_MAX + sizeof KT_EXTRACT_STAGE + 1)

typedef struct made {
    char *path; /* relative to DIR, staged name */
    int dir;
} made;

struct kt_extract {
    int dirfd;
    int failed;
    kt_err err;
    int fds[MAX_DEPTH]; /* the open directory chain below DIR */
    char *names[MAX_DEPTH];
    size_t depth;
    int cur; /* the file being written, or -1 */
    char cur_member[200];
    made *made;
    size_t nmade, capmade;
    size_t files;
};

/* A decoded component is written as it is when a terminal, a shell loop or
 * a file manager shows it as the characters it is: valid UTF-8, no C0, DEL or
 * C1 control, no bidi control or line/paragraph separator, no BOM, and no
 * '%' (which keeps the mapping one to one). */
static int printable_component(const char *s)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c;
        int n;
        if (*p < 0x80)
            c = *p, n = 1;
        else if ((*p & 0xE0) == 0xC0)
            c = *p & 0x1F, n = 2;
        else if ((*p & 0xF0) == 0xE0)
            c = *p & 0x0F, n = 3;
        else if ((*p & 0xF8) == 0xF0)
            c = *p & 0x07, n = 4;
        else
            return 0;
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == '%') return 0;
        if (c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
            (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 || c == 0xFEFF)
            return 0;
        p += n;
    }
    return 1;
}

int kt_extract_path(const char *member, char *out, size_t cap, kt_err *err)
{
    static char enc[KT_TAR_NAME_MAX + 1], raw[KT_TAR_NAME_MAX + 1];
    size_t len = 0;
    const char *p = member;
    if (!*p) return kt_fail(err, KT_E_DATA, "an empty member name");
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return kt_fail(err, KT_E_DATA, "member \"%.200s\" has an empty, . or .. component",
                           member);
        if (n >= sizeof enc) return kt_fail(err, KT_E_DATA, "member name too long");
        memcpy(enc, p, n);
        enc[n] = '\0';
        if (kt_name_decode(enc, raw, sizeof raw, err) < 0) return -1;
        const char *w = printable_component(raw) ? raw : enc;
        size_t wl = strlen(w);
        if (wl > NAME_MAX)
            return kt_fail(err, KT_E_CANTCREAT,
                           "member \"%.200s\" has a name component of %zu bytes; a file name "
                           "here is at most %d bytes, so it cannot be a file",
                           member, wl, NAME_MAX);
        if (len + !!len + wl + 1 > cap) return kt_fail(err, KT_E_CANTCREAT, "path too long");
        if (len) out[len++] = '/';
        memcpy(out + len, w, wl + 1);
        len += wl;
        if (!slash) return 0;
        p = slash + 1;
    }
}

static void failx(kt_extract *x, enum kt_errclass cls, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void failx(kt_extract *x, enum kt_errclass cls, int errnum, const char *fmt, ...)
{
    if (x->failed) return;
    x->failed = 1;
    char msg[sizeof x->err.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (errnum)
        kt_fail_errno(&x->err, cls, errnum, "%s", msg);
    else
        kt_fail(&x->err, cls, "%s", msg);
    if (x->cur >= 0) close(x->cur);
    x->cur = -1;
}

static int not_empty(int dirfd, char *first, size_t cap)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return -1;
    }
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            found = 1, snprintf(first, cap, "%s", e->d_name);
    closedir(d);
    return found;
}

int kt_extract_open(const char *dir, kt_extract **out, kt_err *err)
{
    struct stat st;
    if (lstat(dir, &st) < 0) {
        if (errno != ENOENT) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "--extract %s", dir);
        if (mkdir(dir, KT_EXTRACT_DIR_MODE) < 0)
            return kt_fail_errno(err, KT_E_CANTCREAT, errno, "--extract: cannot create %s", dir);
    } else if (S_ISLNK(st.st_mode)) {
        return kt_fail(err, KT_E_CANTCREAT,
                       "--extract %s is a symbolic link; pass the directory it names", dir);
    } else if (!S_ISDIR(st.st_mode)) {
        return kt_fail(err, KT_E_CANTCREAT, "--extract %s is not a directory", dir);
    }
    int fd = open(dir, KT_EXTRACT_DIR_FLAGS);
    if (fd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "--extract: cannot open %s", dir);
    char first[256];
    int full = not_empty(fd, first, sizeof first);
    if (full != 0) {
        int e = errno;
        close(fd);
        if (full < 0)
            return kt_fail_errno(err, KT_E_CANTCREAT, e, "--extract: cannot read %s", dir);
        return kt_fail(err, KT_E_CANTCREAT,
                       "--extract %s is not empty (it holds \"%s\"); extraction writes only into "
                       "an empty or new directory",
                       dir, first);
    }
    kt_extract *x = calloc(1, sizeof *x);
    if (!x) {
        close(fd);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    x->dirfd = fd;
    x->cur = -1;
    *out = x;
    return 0;
}

int kt_extract_dirfd(const kt_extract *x)
{
    return x->dirfd;
}

static void close_chain(kt_extract *x, size_t keep)
{
    while (x->depth > keep) {
        x->depth--;
        close(x->fds[x->depth]);
        free(x->names[x->depth]);
    }
}

static int remember(kt_extract *x, char *const *comp, size_t k, int dir)
{
    if (x->nmade == x->capmade) {
        size_t cap = x->capmade ? 2 * x->capmade : 64;
        made *m = realloc(x->made, cap * sizeof *m);
        if (!m) return -1;
        x->made = m;
        x->capmade = cap;
    }
    size_t len = 0;
    for (size_t i = 0; i < k; i++) len += strlen(comp[i]) + 1;
    char *p = malloc(len);
    if (!p) return -1;
    x->made[x->nmade].path = p;
    x->made[x->nmade++].dir = dir;
    for (size_t i = 0; i < k; i++) p = stpcpy(p, comp[i]), *p++ = i + 1 < k ? '/' : '\0';
    return 0;
}

/* Make the directories comp[depth..k-2] below the chain that stays open. */
static int descend(kt_extract *x, char **comp, size_t k)
{
    for (size_t i = x->depth; i + 1 < k; i++) {
        int parent = x->depth ? x->fds[x->depth - 1] : x->dirfd;
        if (mkdirat(parent, comp[i], KT_EXTRACT_DIR_MODE) < 0) {
            failx(x, KT_E_CANTCREAT, errno, "cannot make the directory %s for %s", comp[i],
                  x->cur_member);
            return -1;
        }
        if (remember(x, comp, i + 1, 1) < 0) {
            failx(x, KT_E_NOMEM, 0, "out of memory");
            return -1;
        }
        int fd = openat(parent, comp[i], KT_EXTRACT_DIR_FLAGS);
        char *name = fd >= 0 ? strdup(comp[i]) : NULL;
        if (!name) {
            failx(x, KT_E_CANTCREAT, errno, "cannot open the directory %s", comp[i]);
            if (fd >= 0) close(fd);
            return -1;
        }
        x->fds[x->depth] = fd;
        x->names[x->depth++] = name;
    }
    return 0;
}

void kt_extract_begin(void *arg, const char *member, uint64_t size)
{
    kt_extract *x = arg;
    static char path[PATH_CAP];
    (void)size;
    if (x->failed) return;
    snprintf(x->cur_member, sizeof x->cur_member, "%s", member);
    memcpy(path, KT_EXTRACT_STAGE, sizeof KT_EXTRACT_STAGE - 1);
    kt_err e;
    if (kt_extract_path(member, path + sizeof KT_EXTRACT_STAGE - 1,
                        sizeof path - sizeof KT_EXTRACT_STAGE + 1, &e) < 0) {
        failx(x, e.cls == KT_E_CANTCREAT ? KT_E_CANTCREAT : KT_E_DATA, 0, "%s", e.msg);
        return;
    }
    char *comp[MAX_DEPTH + 1];
    size_t k = 0;
    for (char *p = path;; p++) {
        if (k == MAX_DEPTH + 1) {
            failx(x, KT_E_CANTCREAT, 0, "member %s is nested too deep", member);
            return;
        }
        comp[k++] = p;
        if (!(p = strchr(p, '/'))) break;
        *p = '\0';
    }
    /* members come sorted, so a directory's members are contiguous: keep
     * the common part of the open chain, close the rest */
    size_t same = 0;
    while (same < x->depth && same + 1 < k && strcmp(x->names[same], comp[same]) == 0) same++;
    close_chain(x, same);
    if (descend(x, comp, k) < 0) return;
    int parent = x->depth ? x->fds[x->depth - 1] : x->dirfd;
    x->cur = openat(parent, comp[k - 1], KT_EXTRACT_FILE_FLAGS, KT_EXTRACT_FILE_MODE);
    if (x->cur < 0) {
        failx(x, KT_E_CANTCREAT, errno, "cannot create the file for %s", member);
        return;
    }
    if (remember(x, comp, k, 0) < 0) failx(x, KT_E_NOMEM, 0, "out of memory");
    x->files++;
}

void kt_extract_data(void *arg, const uint8_t *p, size_t n)
{
    kt_extract *x = arg;
    if (x->failed || x->cur < 0) return;
    if (kt_write_all(x->cur, p, n) < 0) failx(x, KT_E_IO, errno, "cannot write %s", x->cur_member);
}

void kt_extract_end(void *arg)
{
    kt_extract *x = arg;
    if (x->cur < 0) return;
    int rc = close(x->cur);
    x->cur = -1;
    if (rc < 0) failx(x, KT_E_IO, errno, "cannot write %s", x->cur_member);
}

const kt_err *kt_extract_failed(const kt_extract *x)
{
    return x->failed ? &x->err : NULL;
}

size_t kt_extract_files(const kt_extract *x)
{
    return x->files;
}

/* The parent of rel (a path this module made), opened beneath DIR, or DIR's
 * own descriptor (not to be closed) for a top-level entry. */
static int open_parent(const kt_extract *x, char *rel, char **leaf)
{
    char *slash = strrchr(rel, '/');
    *leaf = slash ? slash + 1 : rel;
    if (!slash) return x->dirfd;
    *slash = '\0';
    int fd = x->dirfd;
    for (char *p = rel, *q; fd >= 0 && p; p = q) {
        if ((q = strchr(p, '/'))) *q++ = '\0';
        int next = openat(fd, p, KT_EXTRACT_DIR_FLAGS);
        if (fd != x->dirfd) close(fd);
        fd = next;
    }
    return fd;
}

void kt_extract_discard(kt_extract *x)
{
    if (x->cur >= 0) close(x->cur);
    x->cur = -1;
    close_chain(x, 0);
    for (size_t i = x->nmade; i-- > 0;) {
        char *leaf;
        int pfd = open_parent(x, x->made[i].path, &leaf);
        if (pfd >= 0) unlinkat(pfd, leaf, x->made[i].dir ? AT_REMOVEDIR : 0);
        if (pfd >= 0 && pfd != x->dirfd) close(pfd);
        free(x->made[i].path);
    }
    x->nmade = 0;
}

int kt_extract_commit(kt_extract *x, kt_err *err)
{
    if (x->failed) {
        *err = x->err;
        return -1;
    }
    close_chain(x, 0);
    /* evidence/, manifest.dsse.json, manifest.json, timestamp.tst */
    size_t moved[4], nmoved = 0;
    for (size_t i = 0; i < x->nmade; i++) {
        const char *staged = x->made[i].path;
        if (strchr(staged, '/')) continue; /* only the top-level entries move */
        const char *final = staged + sizeof KT_EXTRACT_STAGE - 1;
        if (nmoved == 4 || renameat2(x->dirfd, staged, x->dirfd, final, RENAME_NOREPLACE) < 0) {
            int e = nmoved == 4 ? EINVAL : errno;
            while (nmoved--) {
                const char *back = x->made[moved[nmoved]].path;
                renameat2(x->dirfd, back + sizeof KT_EXTRACT_STAGE - 1, x->dirfd, back,
                          RENAME_NOREPLACE);
            }
            return kt_fail_errno(err, KT_E_CANTCREAT, e, "cannot put %s in place", final);
        }
        moved[nmoved++] = i;
    }
    for (size_t i = 0; i < x->nmade; i++) free(x->made[i].path);
    x->nmade = 0;
    return 0;
}

void kt_extract_close(kt_extract *x)
{
    if (!x) return;
    if (x->nmade) kt_extract_discard(x);
    close_chain(x, 0);
    close(x->dirfd);
    free(x->made);
    free(x);
}
