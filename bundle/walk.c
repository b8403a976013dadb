#include "walk.h"

#include "../core/fsutil.h"
#include "../core/layout.h"
#include "../core/name.h"
#include "../core/ustar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct walker {
    const char *root;
    size_t reserve;
    uint64_t subject_bytes; /* what the manifest's subjects will take */
    kt_evlist *out;
    kt_err *err;
} walker;

static const char *kind(mode_t m)
{
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* A regular file: encode its name, check every cap, and list it. */
static int add_file(walker *w, const char *rel, uint64_t size)
{
    kt_evlist *l = w->out;
    if (l->n + w->reserve >= KT_MAX_EVIDENCE)
        return kt_fail(w->err, KT_E_LIMIT, "%s holds more than %d files; a bundle holds at most %d",
                       w->root, KT_MAX_EVIDENCE - (int)w->reserve, KT_MAX_EVIDENCE);
    if (size > KT_TAR_SIZE_MAX)
        return kt_fail(w->err, KT_E_LIMIT, "%s/%s is %llu bytes; a member holds at most %llu",
                       w->root, rel, (unsigned long long)size, (unsigned long long)KT_TAR_SIZE_MAX);
    if (size > KT_MAX_EVIDENCE_BYTES - l->total)
        return kt_fail(w->err, KT_E_LIMIT, "%s holds more than %llu bytes, the most a bundle holds",
                       w->root, (unsigned long long)KT_MAX_EVIDENCE_BYTES);
    size_t elen = kt_name_encoded_len(rel);
    w->subject_bytes += KT_SUBJECT_OVERHEAD + sizeof KT_EVIDENCE_PREFIX - 1 + elen;
    if (w->subject_bytes > KT_MAX_SUBJECT_BYTES)
        return kt_fail(w->err, KT_E_LIMIT,
                       "%s: the file names take more than %u bytes of the manifest "
                       "(%zu files so far)",
                       w->root, KT_MAX_SUBJECT_BYTES, l->n);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        kt_evfile *p = realloc(l->f, cap * sizeof *p);
        if (!p) return kt_fail(w->err, KT_E_NOMEM, "out of memory listing evidence");
        l->f = p;
        l->cap = cap;
    }
    kt_evfile *f = &l->f[l->n];
    f->raw = strdup(rel);
    f->enc = malloc(elen + 1);
    f->size = size;
    if (!f->raw || !f->enc || kt_name_encode(rel, f->enc, elen + 1, w->err) < 0) {
        free(f->raw);
        free(f->enc);
        return kt_fail(w->err, KT_E_NOMEM, "out of memory listing evidence");
    }
    l->n++;
    l->total += size;
    return 0;
}

static int walk(walker *w, int fd, const char *rel, int depth)
{
    if (depth > KT_NAME_DEPTH_MAX)
        return kt_fail(w->err, KT_E_LIMIT, "directories nested deeper than %d: %s/%.200s...",
                       KT_NAME_DEPTH_MAX, w->root, rel);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return kt_fail_errno(w->err, KT_E_DATA, e, "cannot list %s/%s", w->root, rel);
    }
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = kt_fail_errno(w->err, KT_E_IO, errno, "cannot list %s/%s", w->root, rel);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char path[KT_NAME_RAW_MAX + 1];
        if (snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
            (int)sizeof path) {
            rc = kt_fail(w->err, KT_E_LIMIT, "a path longer than %d bytes: %s/%.200s.../%.64s",
                         KT_NAME_RAW_MAX, w->root, rel, de->d_name);
            break;
        }
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = kt_fail_errno(w->err, KT_E_IO, errno, "cannot stat %s/%s", w->root, path);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                rc = kt_fail_errno(w->err, KT_E_DATA, errno, "cannot open directory %s/%s", w->root,
                                   path);
                break;
            }
            if ((rc = walk(w, sub, path, depth + 1)) < 0) break;
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            rc = kt_fail(w->err, KT_E_DATA, "%s/%s is %s; evidence must be regular files", w->root,
                         path, kind(st.st_mode));
            break;
        }
        if ((rc = add_file(w, path, (uint64_t)st.st_size)) < 0) break;
    }
    closedir(d);
    return rc;
}

static int cmp_enc(const void *a, const void *b)
{
    return strcmp(((const kt_evfile *)a)->enc, ((const kt_evfile *)b)->enc);
}

int kt_walk_evidence(int rootfd, const char *root, size_t reserve, kt_evlist *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    int fd = dup(rootfd);
    if (fd < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "dup");
    walker w = {root, reserve, 0, out, err};
    if (walk(&w, fd, "", 0) < 0) {
        kt_evlist_free(out);
        return -1;
    }
    /* Members are sorted by their encoded names, which is not the order of
     * the raw names ("a b" -> "a%20b" sorts before "a-b"; "aé" after "a0"). */
    if (out->n) qsort(out->f, out->n, sizeof *out->f, cmp_enc);
    return 0;
}

void kt_evlist_free(kt_evlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->f[i].raw);
        free(l->f[i].enc);
    }
    free(l->f);
    memset(l, 0, sizeof *l);
}
