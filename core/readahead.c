#include "readahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SLOTS 16

struct slot {
    uint8_t *data;
    size_t len;
    int full; /* filled, not yet handed back */
    int err;  /* errno of a failed read, with full set */
};

struct kt_readahead {
    int fd;
    int at; /* pread from pos, at most left bytes; else read() to the end */
    uint64_t pos, left;
    size_t size; /* of each slot */
    int n;
    struct slot s[MAX_SLOTS];
    int next; /* slot the consumer takes next */
    int held; /* slot the consumer holds, or -1 */
    int stop, done;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Fill one slot completely, or up to the end of the file (or of the range). */
static ssize_t read_slot(kt_readahead *ra, uint8_t *p, size_t n)
{
    if (ra->at && n > ra->left) n = (size_t)ra->left;
    size_t got = 0;
    while (got < n) {
        ssize_t r = ra->at ? pread(ra->fd, p + got, n - got, (off_t)(ra->pos + got))
                           : read(ra->fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    if (ra->at) ra->pos += got, ra->left -= got;
    return (ssize_t)got;
}

static void *reader_main(void *arg)
{
    kt_readahead *ra = arg;
    for (int i = 0;; i = (i + 1) % ra->n) {
        struct slot *s = &ra->s[i];
        pthread_mutex_lock(&ra->mu);
        while (s->full && !ra->stop) pthread_cond_wait(&ra->cv, &ra->mu);
        int stop = ra->stop;
        pthread_mutex_unlock(&ra->mu);
        if (stop) break;
        ssize_t got = read_slot(ra, s->data, ra->size);
        pthread_mutex_lock(&ra->mu);
        s->err = got < 0 ? errno : 0;
        s->len = got < 0 ? 0 : (size_t)got;
        s->full = 1;
        pthread_cond_broadcast(&ra->cv);
        pthread_mutex_unlock(&ra->mu);
        if (got < (ssize_t)ra->size) break; /* the end, or an error: nothing after */
    }
    pthread_mutex_lock(&ra->mu);
    ra->done = 1;
    pthread_cond_broadcast(&ra->cv);
    pthread_mutex_unlock(&ra->mu);
    return NULL;
}

static void free_ra(kt_readahead *ra)
{
    for (int i = 0; i < ra->n; i++) free(ra->s[i].data);
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->cv);
    free(ra);
}

static int start(kt_readahead **out, int fd, int at, uint64_t offset, uint64_t length, size_t slot,
                 int nslots, kt_err *err)
{
    kt_readahead *ra = calloc(1, sizeof *ra);
    if (!ra) return kt_fail(err, KT_E_NOMEM, "out of memory");
    ra->fd = fd;
    ra->at = at;
    ra->pos = offset;
    ra->left = length;
    ra->size = slot;
    ra->n = nslots < 2 ? 2 : nslots > MAX_SLOTS ? MAX_SLOTS : nslots;
    ra->held = -1;
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->cv, NULL);
    for (int i = 0; i < ra->n; i++) {
        if (!(ra->s[i].data = malloc(slot))) {
            free_ra(ra);
            return kt_fail(err, KT_E_NOMEM, "out of memory");
        }
    }
    if (pthread_create(&ra->thread, NULL, reader_main, ra) != 0) {
        free_ra(ra);
        return kt_fail(err, KT_E_INTERNAL, "cannot start the reader thread");
    }
    *out = ra;
    return 0;
}

int kt_readahead_start(kt_readahead **out, int fd, size_t slot, int nslots, kt_err *err)
{
    return start(out, fd, 0, 0, 0, slot, nslots, err);
}

int kt_readahead_start_at(kt_readahead **out, int fd, uint64_t offset, uint64_t length, size_t slot,
                          int nslots, kt_err *err)
{
    return start(out, fd, 1, offset, length, slot, nslots, err);
}

int kt_readahead_next(kt_readahead *ra, const uint8_t **p, size_t *len, kt_err *err)
{
    pthread_mutex_lock(&ra->mu);
    if (ra->held >= 0) {
        ra->s[ra->held].full = 0; /* back to the reader */
        ra->held = -1;
        pthread_cond_broadcast(&ra->cv);
    }
    struct slot *s = &ra->s[ra->next];
    while (!s->full && !ra->done) pthread_cond_wait(&ra->cv, &ra->mu);
    int full = s->full, e = s->err;
    if (full) {
        ra->held = ra->next;
        ra->next = (ra->next + 1) % ra->n;
    }
    pthread_mutex_unlock(&ra->mu);
    if (e) return kt_fail_errno(err, KT_E_IO, e, "cannot read the bundle");
    *p = s->data;
    *len = full ? s->len : 0; /* the reader is done and this slot was never filled: the end */
    return 0;
}

void kt_readahead_stop(kt_readahead *ra)
{
    if (!ra) return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = 1;
    pthread_cond_broadcast(&ra->cv);
    pthread_mutex_unlock(&ra->mu);
    pthread_join(ra->thread, NULL);
    free_ra(ra);
}
