#include "tarwriter.h"

#include "../core/chain.h"
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

#define NSLOT 8
#define SLOT_SIZE (1u << 20)
#define BIG_FILE (4u << 20)        /* from this size on, hashing has its own thread */
#define WRITEBACK_STEP (64u << 20) /* the flusher syncs every this many bytes */

/* A slot goes: filled by the main thread -> full -> written by the writer
 * thread and (for slots holding a big file's data) hashed by the hasher
 * thread, concurrently -> empty. All three walk the ring in the same order. */
struct slot {
    uint8_t *data;
    size_t len;
    int full;
    int hash;         /* holds big-file data for the hasher */
    int wdone, hdone; /* written; hashed (or nothing to hash) */
};

struct kt_tarw {
    int fd, dirfd;
    int is_tmpfile;          /* O_TMPFILE (unnamed) rather than a named temp */
    char path[PATH_MAX];     /* final path, for messages */
    char base[NAME_MAX + 1]; /* final name within dirfd */
    char tmpname[NAME_MAX + 64];
    uint64_t mtime, total;
    uint64_t data_off; /* where the last member's data began */

    struct slot slots[NSLOT];
    int cur;          /* slot the main thread fills */
    int wnext, hnext; /* slots the writer and hasher handle next */
    kt_chain *bigctx; /* hash of the big file being added (core/chain.h) */
    int stop, werr;
    uint64_t woff, flushed; /* bytes written; bytes known flushed */
    pthread_t threads[3];
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Called with mu held once a thread is done with s. */
static void release(kt_tarw *w, struct slot *s)
{
    if (s->wdone && s->hdone) {
        s->full = s->hash = s->wdone = s->hdone = 0;
        s->len = 0;
    }
    pthread_cond_broadcast(&w->cv);
}

static void *writer_main(void *arg)
{
    kt_tarw *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct slot *s = &w->slots[w->wnext];
        while (!(s->full && !s->wdone) && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        if (!(s->full && !s->wdone)) break;
        int failed = w->werr;
        pthread_mutex_unlock(&w->mu);
        int e = 0;
        if (!failed && kt_write_all(w->fd, s->data, s->len) < 0) e = errno;
        pthread_mutex_lock(&w->mu);
        if (e && !w->werr) w->werr = e;
        if (!failed && !e) w->woff += s->len;
        s->wdone = 1;
        w->wnext = (w->wnext + 1) % NSLOT;
        release(w, s);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void *hasher_main(void *arg)
{
    kt_tarw *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct slot *s = &w->slots[w->hnext];
        while (!(s->full && !s->hdone) && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        if (!(s->full && !s->hdone)) break;
        if (s->hash) {
            kt_chain *h = w->bigctx;
            pthread_mutex_unlock(&w->mu);
            kt_chain_update(h, s->data, s->len);
            pthread_mutex_lock(&w->mu);
        }
        s->hdone = 1;
        w->hnext = (w->hnext + 1) % NSLOT;
        release(w, s);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Flush in the background while data is still being hashed and written, so
 * that getting it onto the disk overlaps the work instead of following it in
 * one long final fsync (which still runs, and reports any error). */
static void *flusher_main(void *arg)
{
    kt_tarw *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && w->woff - w->flushed < WRITEBACK_STEP) pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) break;
        uint64_t upto = w->woff;
        pthread_mutex_unlock(&w->mu);
        fdatasync(w->fd);
        pthread_mutex_lock(&w->mu);
        w->flushed = upto;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int write_error(kt_tarw *w, int e, kt_err *err)
{
    return kt_fail_errno(err, KT_E_IO, e, "cannot write %s", w->path);
}

/* Hand the current slot on and wait for the next one to be free. */
static int submit(kt_tarw *w, int hash, kt_err *err)
{
    pthread_mutex_lock(&w->mu);
    w->slots[w->cur].hash = hash;
    w->slots[w->cur].full = 1;
    pthread_cond_broadcast(&w->cv);
    w->cur = (w->cur + 1) % NSLOT;
    while (w->slots[w->cur].full) pthread_cond_wait(&w->cv, &w->mu);
    int e = w->werr;
    pthread_mutex_unlock(&w->mu);
    return e ? write_error(w, e, err) : 0;
}

/* Wait until every submitted slot has been written and hashed. */
static void drain(kt_tarw *w)
{
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < NSLOT; i++)
        while (w->slots[i].full) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static void stop_threads(kt_tarw *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->nthreads; i++) pthread_join(w->threads[i], NULL);
    w->nthreads = 0;
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
        if (s->len == SLOT_SIZE && submit(w, 0, err) < 0) return -1;
    }
    return 0;
}

static void tarw_free(kt_tarw *w)
{
    stop_threads(w);
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
    w->fd = openat(w->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (w->fd >= 0) {
        w->is_tmpfile = 1;
    } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        for (int tries = 0; tries < 100 && w->fd < 0; tries++) {
            snprintf(w->tmpname, sizeof w->tmpname, ".%s.%ld.%d.tmp", base, (long)getpid(), tries);
            w->fd = openat(w->dirfd, w->tmpname, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           0644);
            if (w->fd < 0 && errno != EEXIST) break;
        }
    }
    if (w->fd < 0) {
        int e = errno;
        w->tmpname[0] = '\0';
        tarw_free(w);
        return kt_fail_errno(err, KT_E_CANTCREAT, e, "cannot create %s in %s", base, dir);
    }
    void *(*mains[3])(void *) = {writer_main, hasher_main, flusher_main};
    for (int i = 0; i < 3; i++) {
        if (pthread_create(&w->threads[i], NULL, mains[i], w) != 0) {
            kt_tarw_abort(w);
            return kt_fail(err, KT_E_INTERNAL, "cannot start a writer thread");
        }
        w->nthreads++;
    }
    *out = w;
    return 0;
}

static int header(kt_tarw *w, const char *name, uint64_t size, kt_err *err)
{
    uint8_t hdr[KT_TAR_HDR_MAX];
    size_t len;
    if (kt_tar_header(hdr, &len, name, size, w->mtime, err) < 0) return -1;
    if (put(w, hdr, len, err) < 0) return -1;
    w->data_off = w->total;
    return 0;
}

static int read_error(const char *what, int e, kt_err *err)
{
    return kt_fail_errno(err, KT_E_IO, e, "cannot read %s", what);
}

/* read() retried on EINTR. */
static ssize_t read_some(int fd, uint8_t *dst, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, dst, n);
        if (r >= 0 || errno != EINTR) return r;
    }
}

/* Copy size bytes from fd into the archive. Reads ask for one byte more than
 * the rest of the file where there is room, so a short read proves the end
 * of the file without another syscall. Data of files of BIG_FILE bytes or
 * more go in whole slots that the hasher thread hashes while the writer
 * writes them; smaller files are hashed here, in the slot. */
static int copy_data(kt_tarw *w, int fd, uint64_t size, const char *what, kt_chain *h, kt_err *err)
{
    int big = size >= BIG_FILE;
    if (big) {
        if (w->slots[w->cur].len && submit(w, 0, err) < 0) return -1;
        pthread_mutex_lock(&w->mu);
        w->bigctx = h;
        pthread_mutex_unlock(&w->mu);
    }
    uint64_t left = size;
    int rc = 0, at_eof = 0;
    while (left && !at_eof) {
        struct slot *s = &w->slots[w->cur];
        size_t room = SLOT_SIZE - s->len;
        size_t want = left < room ? (size_t)left + 1 : room;
        ssize_t r = read_some(fd, s->data + s->len, want);
        if (r < 0) {
            rc = read_error(what, errno, err);
            break;
        }
        if ((uint64_t)r > left) {
            rc = kt_fail(err, KT_E_DATA, "%s grew while it was being read", what);
            break;
        }
        at_eof = (size_t)r < want;
        if (!big) kt_chain_update(h, s->data + s->len, (size_t)r);
        s->len += (size_t)r;
        w->total += (uint64_t)r;
        left -= (uint64_t)r;
        if ((s->len == SLOT_SIZE || (big && (!left || at_eof))) && submit(w, big, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && left) rc = kt_fail(err, KT_E_DATA, "%s shrank while it was being read", what);
    if (rc == 0 && !at_eof) {
        uint8_t probe;
        ssize_t r = read_some(fd, &probe, 1);
        if (r < 0) rc = read_error(what, errno, err);
        if (r > 0) rc = kt_fail(err, KT_E_DATA, "%s grew while it was being read", what);
    }
    if (big) drain(w); /* the hasher must be done with h before it is used or gone */
    return rc;
}

int kt_tarw_add_fd(kt_tarw *w, const char *name, int fd, uint64_t size, const char *what,
                   uint8_t digest[KT_SHA256_LEN], uint8_t (*states)[KT_SHA256_LEN], kt_err *err)
{
    if (header(w, name, size, err) < 0) return -1;
    kt_chain h;
    kt_chain_init(&h, size, states);
    if (copy_data(w, fd, size, what, &h, err) < 0) return -1;
    kt_chain_final(&h, digest);
    return put(w, NULL, kt_tar_pad(size), err);
}

int kt_tarw_add_mem(kt_tarw *w, const char *name, const void *p, size_t n, kt_err *err)
{
    if (header(w, name, n, err) < 0 || put(w, p, n, err) < 0) return -1;
    return put(w, NULL, kt_tar_pad(n), err);
}

int kt_tarw_add_raw(kt_tarw *w, int fd, uint64_t n, const char *what, kt_err *err)
{
    uint8_t buf[1 << 16];
    while (n) {
        size_t want = n < sizeof buf ? (size_t)n : sizeof buf;
        ssize_t r = read_some(fd, buf, want);
        if (r < 0) return read_error(what, errno, err);
        if (r == 0) return kt_fail(err, KT_E_DATA, "%s ended early", what);
        if (put(w, buf, (size_t)r, err) < 0) return -1;
        n -= (uint64_t)r;
    }
    return 0;
}

uint64_t kt_tarw_size(const kt_tarw *w)
{
    return w->total;
}

uint64_t kt_tarw_data_offset(const kt_tarw *w)
{
    return w->data_off;
}

int kt_tarw_fd(const kt_tarw *w)
{
    return w->fd;
}

int kt_tarw_sync(kt_tarw *w, kt_err *err)
{
    if (w->slots[w->cur].len && submit(w, 0, err) < 0) return -1;
    drain(w);
    pthread_mutex_lock(&w->mu);
    int e = w->werr;
    pthread_mutex_unlock(&w->mu);
    return e ? write_error(w, e, err) : 0;
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
    if (w->slots[w->cur].len && submit(w, 0, err) < 0) goto fail;
    stop_threads(w);
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
