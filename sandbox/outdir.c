#include "outdir.h"

#include "../core/fsutil.h"
#include "../core/name.h"
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

int kt_outdir_make(uint64_t size, uid_t uid, gid_t gid, int exec, kt_err *err)
{
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "/out: fsopen tmpfs");
    char sz[32], u[16], g[16];
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    snprintf(u, sizeof u, "%u", (unsigned)uid);
    snprintf(g, sizeof g, "%u", (unsigned)gid);
    int mfd = -1;
    unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (exec ? 0 : MOUNT_ATTR_NOEXEC);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", sz, 0) == 0 &&
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) == 0 &&
        fsconfig(fs, FSCONFIG_SET_STRING, "uid", u, 0) == 0 &&
        fsconfig(fs, FSCONFIG_SET_STRING, "gid", g, 0) == 0 &&
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mfd = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    int e = errno;
    close(fs);
    if (mfd < 0) return kt_fail_errno(err, KT_E_INTERNAL, e, "/out: create the tmpfs");
    return mfd;
}

/* ---- the copy --------------------------------------------------------- */

typedef struct cp {
    const kt_out_caps *caps;
    kt_outstop *stop;
    kt_outcopy *out;
    size_t capfiles, caprefused;
    kt_err *err;
    char path[KT_OUT_PATH_MAX + 2]; /* relative path of the entry at hand */
} cp;

static int oom(cp *c)
{
    return kt_fail(c->err, KT_E_NOMEM, "out of memory while copying /out");
}

static int refuse(cp *c, const char *reason)
{
    kt_outcopy *o = c->out;
    if (o->nrefused == KT_OUT_REFUSED_LISTED) return o->refused_more++, 0;
    if (o->nrefused == c->caprefused) {
        size_t n = c->caprefused ? c->caprefused * 2 : 16;
        kt_outrefusal *r = realloc(o->refused, n * sizeof *r);
        if (!r) return oom(c);
        o->refused = r;
        c->caprefused = n;
    }
    char *name = strdup(c->path);
    if (!name) return oom(c);
    o->refused[o->nrefused++] = (kt_outrefusal){name, reason};
    return 0;
}

/* The record refused a write (errno e): the payload can fill the record's
 * filesystem or its inodes, so this stops the copy and is recorded, never a
 * runner failure. */
static int record_refused(cp *c, int e)
{
    kt_outcopy *o = c->out;
    o->stopped = "record write failed";
    o->stopped_errno = e;
    free(o->stopped_at);
    if (!(o->stopped_at = strdup(c->path))) return oom(c);
    return 0;
}

/* 1 if the copy must stop now (deadline passed or a stop signal came). */
static int must_stop(cp *c)
{
    kt_outstop *s = c->stop;
    if (!s || c->out->stopped) return c->out->stopped != NULL;
    if (s->deadline_ms && kt_now_ms() >= s->deadline_ms) return c->out->stopped = "deadline", 1;
    struct pollfd p = {s->sigfd, POLLIN, 0};
    if (s->sigfd >= 0 && poll(&p, 1, 0) > 0) {
        struct signalfd_siginfo si;
        if (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) s->signo = (int)si.ssi_signo;
        c->out->stopped = "signal";
        return 1;
    }
    return 0;
}

static int keep(cp *c, uint64_t size, const uint8_t h[KT_SHA256_LEN])
{
    kt_outcopy *o = c->out;
    if (o->nfiles == c->capfiles) {
        size_t n = c->capfiles ? c->capfiles * 2 : 16;
        kt_outfile *f = realloc(o->files, n * sizeof *f);
        if (!f) return oom(c);
        o->files = f;
        c->capfiles = n;
    }
    kt_outfile *f = &o->files[o->nfiles];
    if (!(f->name = strdup(c->path))) return oom(c);
    f->size = size;
    kt_hex(h, KT_SHA256_LEN, f->sha256);
    o->nfiles++;
    o->bytes += size;
    return 0;
}

/* One regular file of st.st_size bytes: copied and hashed, or refused. */
static int copy_file(cp *c, int sdir, int ddir, const char *name, const struct stat *st)
{
    if ((uint64_t)c->out->nfiles >= c->caps->files) return refuse(c, "file cap");
    if ((uint64_t)st->st_size > c->caps->bytes - c->out->bytes) return refuse(c, "size cap");
    int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0) return refuse(c, "unreadable");
    int o = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (o < 0) {
        int e = errno;
        close(in);
        return record_refused(c, e);
    }
    kt_sha256_ctx h;
    kt_sha256_init(&h);
    char buf[65536];
    uint64_t left = (uint64_t)st->st_size;
    int werr = 0;
    const char *why = NULL;
    while (left > 0 && !werr && !why) {
        ssize_t n = read(in, buf, left < sizeof buf ? (size_t)left : sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            why = "unreadable";
        } else if (kt_write_all(o, buf, (size_t)n) < 0) {
            werr = errno ? errno : EIO;
        } else {
            kt_sha256_update(&h, buf, (size_t)n);
            left -= (uint64_t)n;
            if ((left & ((1u << 20) - 1)) < (uint64_t)n && must_stop(c)) why = "stopped";
        }
    }
    close(in);
    if (close(o) < 0 && !werr) werr = errno;
    if (werr || why) {
        unlinkat(ddir, name, 0); /* never a partial file under the final name */
        return werr ? record_refused(c, werr) : refuse(c, why);
    }
    uint8_t d[KT_SHA256_LEN];
    kt_sha256_final(&h, d);
    return keep(c, (uint64_t)st->st_size, d);
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd, byte-sorted (so which files a cap keeps does
 * not depend on readdir order). */
static int list_dir(cp *c, int fd, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    int it = dup(fd);
    DIR *d = it < 0 ? NULL : fdopendir(it);
    if (!d) {
        if (it >= 0) close(it);
        return refuse(c, "unreadable directory");
    }
    rewinddir(d); /* the duplicate shares fd's offset: list from the start */
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (*n == KT_OUT_DIR_ENTRIES) {
            c->out->refused_more++; /* past what one directory may hold */
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **g = realloc(*names, cap * sizeof *g);
            if (!g)
                rc = oom(c);
            else
                *names = g;
        }
        if (rc == 0 && !((*names)[*n] = strdup(de->d_name))) rc = oom(c);
        if (rc == 0) (*n)++;
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, by_bytes);
    return rc;
}

static int copy_tree(cp *c, int sdir, int ddir, unsigned depth);

static int copy_entry(cp *c, int sdir, int ddir, const char *name, unsigned depth)
{
    size_t base = strlen(c->path);
    if (base + 1 + strlen(name) > KT_OUT_PATH_MAX) {
        /* recorded by as much of its name as fits */
        snprintf(c->path + base, sizeof c->path - base, "%s%s", base ? "/" : "", name);
        int rc = refuse(c, "path too long");
        c->path[base] = '\0';
        return rc;
    }
    snprintf(c->path + base, sizeof c->path - base, "%s%s", base ? "/" : "", name);
    int rc = 0;
    struct stat st;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        rc = refuse(c, "unreadable");
    } else if (S_ISREG(st.st_mode)) {
        rc = copy_file(c, sdir, ddir, name, &st);
    } else if (S_ISLNK(st.st_mode)) {
        rc = refuse(c, "symlink");
    } else if (!S_ISDIR(st.st_mode)) {
        rc = refuse(c, "special file");
    } else if (depth >= c->caps->depth) {
        rc = refuse(c, "depth cap");
    } else if (c->out->dirs >= c->caps->files) {
        rc = refuse(c, "directory cap"); /* empty directories cost the host disk too */
    } else if (mkdirat(ddir, name, 0755) < 0) {
        rc = record_refused(c, errno);
    } else {
        c->out->dirs++;
        int s2 = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int d2 = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d2 < 0)
            rc = record_refused(c, errno);
        else if (s2 < 0)
            rc = refuse(c, "unreadable directory");
        else
            rc = copy_tree(c, s2, d2, depth + 1);
        if (s2 >= 0) close(s2);
        if (d2 >= 0) close(d2);
    }
    c->path[base] = '\0';
    return rc;
}

static int copy_tree(cp *c, int sdir, int ddir, unsigned depth)
{
    char **names;
    size_t n;
    int rc = list_dir(c, sdir, &names, &n);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && !must_stop(c)) rc = copy_entry(c, sdir, ddir, names[i], depth);
        free(names[i]);
    }
    free(names);
    return rc;
}

int kt_outdir_copy(int src, int dst, const kt_out_caps *caps, kt_outstop *stop, kt_outcopy *out,
                   kt_err *err)
{
    memset(out, 0, sizeof *out);
    cp c = {caps, stop, out, 0, 0, err, {0}};
    return copy_tree(&c, src, dst, 0);
}

void kt_outcopy_free(kt_outcopy *c)
{
    for (size_t i = 0; i < c->nfiles; i++) free(c->files[i].name);
    for (size_t i = 0; i < c->nrefused; i++) free(c->refused[i].name);
    free(c->stopped_at);
    free(c->files);
    free(c->refused);
    memset(c, 0, sizeof *c);
}

/* ---- publishing to the host --out ------------------------------------ */

typedef struct pub {
    const char *host;
    kt_err *err;
    size_t failed; /* names not published; err says why for the first */
} pub;

/* A name that cannot be published (a same-named file or directory of the
 * other kind in --out, say): noted, and the rest still published. */
static void pub_fail(pub *p, int e, const char *what, const char *name)
{
    if (p->failed++ > 0) return;
    char enc[3 * 256 + 1];
    kt_err ne;
    if (kt_name_encode(name, enc, sizeof enc, &ne) < 0) snprintf(enc, sizeof enc, "?");
    kt_fail_errno(p->err, KT_E_CANTCREAT, e, "%s: cannot %s %s", p->host, what, enc);
}

static void publish_file(pub *p, int src, int dst, const char *n)
{
    if (unlinkat(dst, n, 0) < 0 && errno != ENOENT && errno != EISDIR)
        return pub_fail(p, errno, "replace", n);
    int in = openat(src, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int o = openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    char buf[65536];
    ssize_t r = 0;
    while (in >= 0 && o >= 0 && (r = read(in, buf, sizeof buf)) > 0)
        if (kt_write_all(o, buf, (size_t)r) < 0) r = -1;
    int e = errno;
    if (in < 0 || o < 0 || r < 0)
        pub_fail(p, e, o < 0 ? "create (is a directory in the way?)" : "copy", n);
    if (in >= 0) close(in);
    if (o >= 0 && close(o) < 0 && r >= 0) pub_fail(p, errno, "copy", n);
}

static int publish_tree(pub *p, int src, int dst, unsigned depth)
{
    if (depth > 256) return kt_fail(p->err, KT_E_INTERNAL, "%s: nested too deep", p->host);
    int it = dup(src);
    DIR *d = it < 0 ? NULL : fdopendir(it);
    if (!d) {
        if (it >= 0) close(it);
        return kt_fail_errno(p->err, KT_E_IO, errno, "cannot list what to copy to %s", p->host);
    }
    rewinddir(d); /* the duplicate shares src's offset */
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        const char *n = de->d_name;
        struct stat st;
        if (!strcmp(n, ".") || !strcmp(n, "..") || fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode)) publish_file(p, src, dst, n);
        if (!S_ISDIR(st.st_mode)) continue; /* the runner wrote only files and directories */
        if (mkdirat(dst, n, 0755) < 0 && errno != EEXIST) {
            pub_fail(p, errno, "create the directory", n);
            continue;
        }
        int s2 = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int d2 = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s2 < 0 || d2 < 0)
            pub_fail(p, errno, "copy the directory (is a file or link in the way?)", n);
        else
            rc = publish_tree(p, s2, d2, depth + 1);
        if (s2 >= 0) close(s2);
        if (d2 >= 0) close(d2);
    }
    closedir(d);
    return rc;
}

int kt_outdir_publish(int src, int dst, const char *host, kt_err *err)
{
    pub p = {host, err, 0};
    if (publish_tree(&p, src, dst, 0) < 0) return -1;
    if (!p.failed) return 0;
    char first[sizeof err->msg];
    snprintf(first, sizeof first, "%s", err->msg);
    return kt_fail(err, err->cls,
                   "%.600s (%zu name(s) not published; everything else was, and "
                   "the record holds all of it)",
                   first, p.failed);
}

/* ---- removal ---------------------------------------------------------- */

typedef struct level {
    dev_t dev;
    ino_t ino;
} level;

/* Empty what fd holds of files and empty directories; *sub gets the first
 * non-empty subdirectory (opened, mode 0700 whatever the payload left), or
 * -1 when fd is empty. */
static int empty_level(int fd, int *sub, const char *name, kt_err *err)
{
    *sub = -1;
    int it = dup(fd);
    DIR *d = it < 0 ? NULL : fdopendir(it);
    if (!d) {
        if (it >= 0) close(it);
        return kt_fail_errno(err, KT_E_IO, errno, "cannot list what is under %s", name);
    }
    rewinddir(d); /* the duplicate shares fd's offset */
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && *sub < 0 && (de = readdir(d))) {
        const char *n = de->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
        if (unlinkat(fd, n, 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR && errno != EPERM) /* EISDIR/EPERM: a directory */
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot remove a file under %s", name);
        else if (unlinkat(fd, n, AT_REMOVEDIR) == 0 || errno == ENOENT)
            continue;
        else if (errno != ENOTEMPTY && errno != EEXIST)
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot remove a directory under %s", name);
        else if (fchmodat(fd, n, 0700, 0) < 0 || /* rmdir said: a directory, not a link */
                 (*sub = openat(fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot open a directory under %s", name);
    }
    closedir(d);
    return rc;
}

/* Depth-first, holding one directory fd; the levels above are remembered by
 * device and inode on a heap-grown stack (a payload can nest directories
 * deeper than any C stack or descriptor limit) and returned to through "..",
 * checked to be the directory we came down from. */
int kt_tree_remove(int parent, const char *name, kt_err *err)
{
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return 0;
    if (fchmodat(parent, name, 0700, 0) < 0) {
        /* not a link (unlinking it would have worked); openat below says why */
    }
    int cur = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cur < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot remove %s", name);
    level *stk = NULL;
    size_t top = 0, cap = 0;
    int rc = 0;
    for (;;) {
        struct stat st;
        if (top == cap) {
            size_t n = cap ? cap * 2 : 64;
            level *g = realloc(stk, n * sizeof *g);
            if (!g) {
                rc = kt_fail(err, KT_E_NOMEM, "out of memory while removing %s", name);
                break;
            }
            stk = g;
            cap = n;
        }
        if (fstat(cur, &st) < 0) {
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot remove %s", name);
            break;
        }
        stk[top++] = (level){st.st_dev, st.st_ino};
        int sub;
        while ((rc = empty_level(cur, &sub, name, err)) == 0 && sub < 0) {
            /* cur is empty: back to its parent, which removes it on its pass */
            if (--top == 0) break;
            int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (up < 0 || fstat(up, &st) < 0 || st.st_dev != stk[top - 1].dev ||
                st.st_ino != stk[top - 1].ino) {
                if (up >= 0) close(up);
                rc = kt_fail(err, KT_E_IO, "cannot remove %s: a directory moved under it", name);
                break;
            }
            close(cur);
            cur = up;
        }
        if (rc < 0 || top == 0) break;
        close(cur);
        cur = sub;
    }
    close(cur);
    free(stk);
    if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = kt_fail_errno(err, KT_E_IO, errno, "cannot remove %s", name);
    return rc;
}
