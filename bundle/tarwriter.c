#include "tarwriter.h"

#include "../core/fsutil.h"
#include "../core/ustar.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSLOT 4
#define SLOT_SIZE (1u << 20)

struct slot {
    uint8_t *data;
    size_t len;
    int full; /* handed to the writer thread */
};

struct kt_tarw {
    int fd, dirfd;
    int is_tmpfile;          /* O_TMPFILE (unnamed) rather than a named temp */
    char path[PATH_MAX];     /* final path, for messages */
    char base[NAME_MAX + 1]; /* final name within dirfd */
    char tmpname[NAME_MAX + 64];
    uint64_t mtime, total;

    struct slot slots[NSLOT];
    int cur;   /* slot the main thread fills */
    int wnext; /* slot the writer thread writes next */
    int stop, werr, started;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void *writer_main(void *arg)
{
    kt_tarw *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct slot *s = &w->slots[w->wnext];
        while (!s->full && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        if (!s->full) break;
        int failed = w->werr;
        pthread_mutex_unlock(&w->mu);
        int e = 0;
        if (!failed && kt_write_all(w->fd, s->data, s->len) < 0) e = errno;
        pthread_mutex_lock(&w->mu);
        if (e && !w->werr) w->werr = e;
        s->full = 0;
        s->len = 0;
        w->wnext = (w->wnext + 1) % NSLOT;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int write_error(kt_tarw *w, int e, kt_err *err)
{
    return kt_fail_errno(err, KT_E_IO, e, "cannot write %s", w->path);
}

/* Hand the current slot to the writer and wait for the next one to be free. */
static int submit(kt_tarw *w, kt_err *err)
{
    pthread_mutex_lock(&w->mu);
    w->slots[w->cur].full = 1;
    pthread_cond_broadcast(&w->cv);
    w->cur = (w->cur + 1) % NSLOT;
    while (w->slots[w->cur].full) pthread_cond_wait(&w->cv, &w->mu);
    int e = w->werr;
    pthread_mutex_unlock(&w->mu);
    return e ? write_error(w, e, err) : 0;
}

static int put(kt_tarw *w, const void *p, size_t n, kt_err *err)
{
    const uint8_t *c = p;
    while (n) {
        struct slot *s = &w->slots[w->cur];
        size_t room = SLOT_SIZE - s->len, k = n < room ? n : room;
        if (c)
            memcpy(s->data + s->len, c, k);
        else
            memset(s->data + s->len, 0, k);
        s->len += k;
        w->total += k;
        n -= k;
        if (c) c += k;
        if (s->len == SLOT_SIZE && submit(w, err) < 0) return -1;
    }
    return 0;
}

static void tarw_free(kt_tarw *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    for (int i = 0; i < NSLOT; i++) free(w->slots[i].data);
    if (w->fd >= 0) close(w->fd);
    if (w->dirfd >= 0) close(w->dirfd);
    free(w);
}

int kt_tarw_open(kt_tarw **out, const char *path, uint64_t mtime, kt_err *err)
{
    kt_tarw *w = calloc(1, sizeof *w);
    if (!w) return kt_fail(err, KT_E_NOMEM, "out of memory");
    w->fd = w->dirfd = -1;
    w->mtime = mtime;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    kt_dirname(path, dir, sizeof dir);
    if (snprintf(w->path, sizeof w->path, "%s", path) >= (int)sizeof w->path || !*base ||
        strlen(base) > NAME_MAX - 16) {
        tarw_free(w);
        return kt_fail(err, KT_E_USAGE, "bad output path \"%s\"", path);
    }
    snprintf(w->base, sizeof w->base, "%s", base);
    for (int i = 0; i < NSLOT; i++) {
        if (!(w->slots[i].data = malloc(SLOT_SIZE))) {
            tarw_free(w);
            return kt_fail(err, KT_E_NOMEM, "out of memory");
        }
    }
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        int e = errno;
        tarw_free(w);
        return kt_fail_errno(err, KT_E_CANTCREAT, e, "cannot open output directory %s", dir);
    }
    w->fd = openat(w->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (w->fd >= 0) {
        w->is_tmpfile = 1;
    } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        for (int tries = 0; tries < 100 && w->fd < 0; tries++) {
            snprintf(w->tmpname, sizeof w->tmpname, ".%s.%ld.%d.tmp", base, (long)getpid(), tries);
            w->fd = openat(w->dirfd, w->tmpname,
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (w->fd < 0 && errno != EEXIST) break;
        }
    }
    if (w->fd < 0) {
        int e = errno;
        w->tmpname[0] = '\0';
        tarw_free(w);
        return kt_fail_errno(err, KT_E_CANTCREAT, e, "cannot create %s in %s", base, dir);
    }
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        kt_tarw_abort(w);
        return kt_fail(err, KT_E_INTERNAL, "cannot start writer thread");
    }
    w->started = 1;
    *out = w;
    return 0;
}

static int header(kt_tarw *w, const char *name, uint64_t size, kt_err *err)
{
    uint8_t hdr[KT_TAR_BLOCK];
    if (kt_tar_header(hdr, name, size, w->mtime, err) < 0) return -1;
    return put(w, hdr, sizeof hdr, err);
}

int kt_tarw_add_fd(kt_tarw *w, const char *name, int fd, uint64_t size, const char *what,
                   uint8_t digest[KT_SHA256_LEN], kt_err *err)
{
    if (header(w, name, size, err) < 0) return -1;
    kt_sha256_ctx h;
    kt_sha256_init(&h);
    uint64_t left = size;
    /* Read straight into the output slot and hash it there: one copy. */
    while (left) {
        struct slot *s = &w->slots[w->cur];
        size_t room = SLOT_SIZE - s->len, want = left < room ? (size_t)left : room;
        ssize_t r = read(fd, s->data + s->len, want);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot read %s", what);
        if (r == 0) return kt_fail(err, KT_E_DATA, "%s shrank while it was being read", what);
        kt_sha256_update(&h, s->data + s->len, (size_t)r);
        s->len += (size_t)r;
        w->total += (uint64_t)r;
        left -= (uint64_t)r;
        if (s->len == SLOT_SIZE && submit(w, err) < 0) return -1;
    }
    uint8_t probe;
    ssize_t r = read(fd, &probe, 1);
    if (r > 0) return kt_fail(err, KT_E_DATA, "%s grew while it was being read", what);
    if (r < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot read %s", what);
    kt_sha256_final(&h, digest);
    return put(w, NULL, kt_tar_pad(size), err);
}

int kt_tarw_add_mem(kt_tarw *w, const char *name, const void *p, size_t n, kt_err *err)
{
    if (header(w, name, n, err) < 0 || put(w, p, n, err) < 0) return -1;
    return put(w, NULL, kt_tar_pad(n), err);
}

uint64_t kt_tarw_size(const kt_tarw *w)
{
    return w->total;
}

void kt_tarw_abort(kt_tarw *w)
{
    if (!w) return;
    if (!w->is_tmpfile && w->tmpname[0] && w->dirfd >= 0) unlinkat(w->dirfd, w->tmpname, 0);
    tarw_free(w);
}

int kt_tarw_commit(kt_tarw *w, kt_err *err)
{
    /* End of archive: exactly two zero blocks. */
    if (put(w, NULL, 2 * KT_TAR_BLOCK, err) < 0) goto fail;
    if (w->slots[w->cur].len && submit(w, err) < 0) goto fail;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->started = 0;
    if (w->werr) {
        write_error(w, w->werr, err);
        goto fail;
    }
    if (fsync(w->fd) < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "cannot flush %s to disk", w->path);
        goto fail;
    }
    if (w->is_tmpfile) {
        char proc[64];
        snprintf(w->tmpname, sizeof w->tmpname, ".%s.%ld.tmp", w->base, (long)getpid());
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", w->fd);
        unlinkat(w->dirfd, w->tmpname, 0); /* a stale one from a killed run with our pid */
        if (linkat(w->fd, "", w->dirfd, w->tmpname, AT_EMPTY_PATH) < 0 &&
            linkat(AT_FDCWD, proc, w->dirfd, w->tmpname, AT_SYMLINK_FOLLOW) < 0) {
            kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot link %s into place", w->path);
            w->tmpname[0] = '\0';
            goto fail;
        }
        w->is_tmpfile = 0; /* now named: abort must unlink it */
    }
    if (renameat(w->dirfd, w->tmpname, w->dirfd, w->base) < 0) {
        kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot move the new bundle to %s", w->path);
        goto fail;
    }
    w->tmpname[0] = '\0';
    if (fsync(w->dirfd) < 0 && errno != EINVAL) {
        kt_fail_errno(err, KT_E_IO, errno, "cannot flush directory of %s", w->path);
        tarw_free(w);
        return -1;
    }
    tarw_free(w);
    return 0;
fail:
    kt_tarw_abort(w);
    return -1;
}
