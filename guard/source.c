/* source.c - identifiers called in C sources (a name followed by '('), a
 * coarse second opinion next to the binary's imports. The tree is walked
 * beneath one directory descriptor, never through a symbolic link, and
 * everything that cannot be read is an error: a guard that skips what it
 * cannot see would pass what it never checked. */
#include "guard.h"

#include "../core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct walk {
    kt_guard *g;
    const char *root;
    long entries;
} walk;

/* The tokenizer's state survives between read chunks, so an identifier or
 * the whitespace before its '(' may straddle two reads. */
typedef struct lexer {
    char id[64];
    size_t len;
    int too_long; /* longer than any deny-listed name */
    int after;    /* an identifier ended; whitespace may come before '(' */
} lexer;

static int is_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_cont(unsigned char c)
{
    return is_start(c) || (c >= '0' && c <= '9');
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* An identifier (in lx->id, terminated) followed by '('. */
static int found(walk *w, lexer *lx, const char *where, kt_err *err)
{
    lx->after = 0;
    if (lx->too_long) return 0;
    const char *cat = kt_guard_category(lx->id);
    return cat ? kt_guard_violation_add(w->g, lx->id, cat, where, err) : 0;
}

static int lex(walk *w, lexer *lx, const unsigned char *p, size_t n, const char *where, kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (lx->len && is_cont(c)) {
            if (lx->len < sizeof lx->id - 1)
                lx->id[lx->len++] = (char)c;
            else
                lx->too_long = 1;
            continue;
        }
        if (lx->len) { /* the identifier ended here */
            lx->after = 1;
            lx->id[lx->len] = '\0';
            lx->len = 0;
        }
        if (lx->after && is_space(c)) continue;
        if (lx->after && c == '(' && found(w, lx, where, err) < 0) return -1;
        lx->after = 0;
        if (is_start(c)) {
            lx->id[0] = (char)c;
            lx->len = 1;
            lx->too_long = 0;
        }
    }
    return 0;
}

static int scan_file(walk *w, int dirfd, const char *name, const char *rel, kt_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return kt_fail_errno(err, KT_E_DATA, errno, "cannot open %s/%s", w->root, rel);
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = kt_fail_errno(err, KT_E_DATA, errno, "cannot stat %s/%s", w->root, rel);
    else if (!S_ISREG(st.st_mode))
        rc = kt_fail(err, KT_E_DATA, "%s/%s is a C file name but not a regular file", w->root, rel);
    else if ((uint64_t)st.st_size > KT_GUARD_SOURCE_MAX)
        rc = kt_fail(err, KT_E_DATA, "%s/%s is larger than %u bytes: too large to scan", w->root,
                     rel, KT_GUARD_SOURCE_MAX);
    char *where = rc == 0 ? kt_guard_display(rel) : NULL;
    if (rc == 0 && !where) rc = kt_fail(err, KT_E_NOMEM, "out of memory");
    lexer lx = {{0}, 0, 0, 0};
    unsigned char buf[65536];
    uint64_t total = 0;
    while (rc == 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = kt_fail_errno(err, KT_E_DATA, errno, "cannot read %s/%s", w->root, rel);
        } else if (n == 0) {
            rc = lex(w, &lx, (const unsigned char *)" ", 1, where, err); /* end the last name */
            break;
        } else if ((total += (uint64_t)n) > KT_GUARD_SOURCE_MAX) {
            rc = kt_fail(err, KT_E_DATA, "%s/%s grew past %u bytes while it was scanned", w->root,
                         rel, KT_GUARD_SOURCE_MAX);
        } else {
            rc = lex(w, &lx, buf, (size_t)n, where, err);
        }
    }
    if (rc == 0) w->g->source_files++;
    free(where);
    close(fd);
    return rc;
}

static int is_c_file(const char *name)
{
    size_t l = strlen(name);
    return l > 2 && name[l - 2] == '.' && (name[l - 1] == 'c' || name[l - 1] == 'h');
}

static int scan_dir(walk *w, int dirfd, const char *rel, int depth, kt_err *err);

/* One directory entry: a directory to descend, a C file to scan, anything
 * else skipped; a symbolic link is refused wherever it is. */
static int entry(walk *w, int dirfd, const char *name, const char *rel, int depth, kt_err *err)
{
    if (++w->entries > KT_GUARD_FILES_MAX)
        return kt_fail(err, KT_E_DATA, "%s holds more than %d entries: too many to scan", w->root,
                       KT_GUARD_FILES_MAX);
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kt_fail_errno(err, KT_E_DATA, errno, "cannot stat %s/%s", w->root, rel);
    if (S_ISLNK(st.st_mode))
        return kt_fail(err, KT_E_DATA,
                       "%s/%s is a symbolic link: the guard does not follow links (scan a copy "
                       "with the links resolved, cp -rL)",
                       w->root, rel);
    if (S_ISDIR(st.st_mode)) {
        if (depth >= KT_GUARD_DEPTH_MAX)
            return kt_fail(err, KT_E_DATA, "%s/%s is more than %d levels deep", w->root, rel,
                           KT_GUARD_DEPTH_MAX);
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return kt_fail_errno(err, KT_E_DATA, errno, "cannot open %s/%s", w->root, rel);
        return scan_dir(w, fd, rel, depth + 1, err); /* closes fd */
    }
    return is_c_file(name) ? scan_file(w, dirfd, name, rel, err) : 0;
}

static int byname(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, byte-sorted (so violations come out in the same
 * order on every run), at most the entries still allowed. */
static int list_dir(walk *w, int dirfd, const char *rel, char ***out, size_t *count, kt_err *err)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        int e = errno;
        close(dirfd);
        return kt_fail_errno(err, KT_E_DATA, e, "cannot list %s/%s", w->root, rel);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (w->entries + (long)n >= KT_GUARD_FILES_MAX) {
            rc = kt_fail(err, KT_E_DATA, "%s holds more than %d entries: too many to scan", w->root,
                         KT_GUARD_FILES_MAX);
        } else if (n == cap) {
            char **p = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *p);
            if (!p)
                rc = kt_fail(err, KT_E_NOMEM, "out of memory");
            else
                names = p;
        }
        if (rc == 0 && !(names[n++] = strdup(de->d_name)))
            rc = kt_fail(err, KT_E_NOMEM, "out of memory");
        errno = 0;
    }
    if (rc == 0 && errno)
        rc = kt_fail_errno(err, KT_E_DATA, errno, "cannot list %s/%s", w->root, rel);
    closedir(d);
    if (rc == 0) qsort(names, n, sizeof *names, byname);
    *out = names;
    *count = n;
    return rc;
}

/* Takes ownership of dirfd. */
static int scan_dir(walk *w, int dirfd, const char *rel, int depth, kt_err *err)
{
    char **names = NULL;
    size_t n = 0;
    int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0); /* for the *at calls; the listing closes dirfd */
    if (fd < 0) {
        int e = errno;
        close(dirfd);
        return kt_fail_errno(err, KT_E_DATA, e, "cannot list %s/%s", w->root, rel);
    }
    int rc = list_dir(w, dirfd, rel, &names, &n, err);
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        if (rc == 0 &&
            snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) >= (int)sizeof sub)
            rc = kt_fail(err, KT_E_DATA, "a path under %s is longer than %zu bytes", w->root,
                         sizeof sub);
        else if (rc == 0)
            rc = entry(w, fd, names[i], sub, depth, err);
        free(names[i]);
    }
    free(names);
    close(fd);
    return rc;
}

int kt_guard_scan_source(kt_guard *g, const char *dir, kt_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return kt_fail_errno(err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno,
                             "cannot open --source %s", dir);
    walk w = {g, dir, 0};
    if (g->source_files < 0) g->source_files = 0;
    return scan_dir(&w, fd, "", 0, err);
}
