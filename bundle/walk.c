#include "walk.h"

#include "../core/fsutil.h"
#include "../core/layout.h"
#include "../core/ustar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

static int push(kt_evlist *l, const char *rel, kt_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory listing evidence");
        l->paths = p;
        l->cap = cap;
    }
    if (!(l->paths[l->n] = strdup(rel))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    l->n++;
    return 0;
}

static const char *kind(mode_t m)
{
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

static mode_t dtype_mode(unsigned char t)
{
    switch (t) {
    case DT_REG:
        return S_IFREG;
    case DT_DIR:
        return S_IFDIR;
    case DT_LNK:
        return S_IFLNK;
    case DT_CHR:
        return S_IFCHR;
    case DT_BLK:
        return S_IFBLK;
    case DT_FIFO:
        return S_IFIFO;
    case DT_SOCK:
        return S_IFSOCK;
    default:
        return 0; /* DT_UNKNOWN: ask fstatat */
    }
}

static int walk(int fd, const char *root, const char *rel, int depth, kt_evlist *out, kt_err *err)
{
    if (depth > MAX_DEPTH)
        return kt_fail(err, KT_E_DATA, "%s/%s: directories nested deeper than %d", root, rel,
                       MAX_DEPTH);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return kt_fail_errno(err, KT_E_DATA, e, "cannot list %s/%s", root, rel);
    }
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) rc = kt_fail_errno(err, KT_E_IO, errno, "cannot list %s/%s", root, rel);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
            (int)sizeof path) {
            rc = kt_fail(err, KT_E_DATA, "%s/%s: path too long", root, rel);
            break;
        }
        /* d_type saves a stat per file; the file is fstat'ed when opened. */
        mode_t type = dtype_mode(de->d_type);
        if (type == 0) {
            struct stat st;
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                rc = kt_fail_errno(err, KT_E_IO, errno, "cannot stat %s/%s", root, path);
                break;
            }
            type = st.st_mode & S_IFMT;
        }
        if (S_ISDIR(type)) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                rc =
                    kt_fail_errno(err, KT_E_DATA, errno, "cannot open directory %s/%s", root, path);
                break;
            }
            if ((rc = walk(sub, root, path, depth + 1, out, err)) < 0) break;
            continue;
        }
        if (!S_ISREG(type)) {
            rc = kt_fail(err, KT_E_DATA, "%s/%s is %s; evidence must be regular files", root, path,
                         kind(type));
            break;
        }
        char member[sizeof path + 16];
        snprintf(member, sizeof member, "%s%s", KT_EVIDENCE_PREFIX, path);
        kt_err why;
        if (strlen(path) > KT_TAR_NAME_MAX || kt_tar_name_check(member, &why) < 0) {
            rc = kt_fail(err, KT_E_DATA, "%s/%s: cannot be stored: %s", root, path,
                         strlen(path) > KT_TAR_NAME_MAX ? "name too long" : why.msg);
            break;
        }
        if ((rc = push(out, path, err)) < 0) break;
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kt_walk_evidence(int rootfd, const char *root, kt_evlist *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    int fd = dup(rootfd);
    if (fd < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "dup");
    if (walk(fd, root, "", 0, out, err) < 0) {
        kt_evlist_free(out);
        return -1;
    }
    if (out->n) qsort(out->paths, out->n, sizeof *out->paths, cmp_str);
    if (out->n > KT_MAX_MEMBERS - 2) {
        size_t n = out->n;
        kt_evlist_free(out);
        return kt_fail(err, KT_E_LIMIT, "%s holds %zu files; a bundle holds at most %d", root, n,
                       KT_MAX_MEMBERS - 2);
    }
    return 0;
}

void kt_evlist_free(kt_evlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}
