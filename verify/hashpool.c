#include "hashpool.h"

#include "../core/readahead.h"
#include "../core/sha256.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Read in turn by a worker that shares the CPUs with others: small enough
 * that a chunk is still in the core's cache when it is hashed. */
#define PLAIN_CHUNK (256u << 10)
/* Read ahead for a range hashed alone: as core/tarread.c measured best. */
#define AHEAD_SLOT (1u << 20)
#define AHEAD_SLOTS 4
#define MAX_WORKERS 8

typedef struct pool {
    int fd;
    kt_hashjob *jobs;
    size_t *order; /* largest first */
    size_t n, next;
    uint64_t queued; /* bytes of the jobs not yet taken */
    int workers;
    pthread_mutex_t mu;
    atomic_uint_least64_t done;
    void (*progress)(void *, uint64_t);
    void *arg;
    int failed; /* the first failure: */
    size_t failed_job;
    kt_err err;
} pool;

typedef struct worker {
    pool *p;
    int main; /* the calling thread: it reports progress */
    uint8_t *buf;
} worker;

static void tick(worker *w, size_t n)
{
    uint64_t all = atomic_fetch_add(&w->p->done, n) + n;
    if (w->main && w->p->progress) w->p->progress(w->p->arg, all);
}

static int hash_plain(worker *w, kt_hashjob *j, kt_sha256_ctx *h, kt_err *err)
{
    for (uint64_t got = 0; got < j->size;) {
        size_t want = j->size - got < PLAIN_CHUNK ? (size_t)(j->size - got) : PLAIN_CHUNK;
        ssize_t r = pread(w->p->fd, w->buf, want, (off_t)(j->offset + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot read the bundle");
        if (r == 0) return kt_fail(err, KT_E_TAMPER, "truncated inside member data");
        kt_sha256_update(h, w->buf, (size_t)r);
        got += (uint64_t)r;
        tick(w, (size_t)r);
    }
    return 0;
}

/* Alone on its range, or far the largest: the copy on a thread of its own. */
static int hash_ahead(worker *w, kt_hashjob *j, kt_sha256_ctx *h, kt_err *err)
{
    kt_readahead *ra;
    kt_err why;
    if (kt_readahead_start_at(&ra, w->p->fd, j->offset, j->size, AHEAD_SLOT, AHEAD_SLOTS, &why) < 0)
        return hash_plain(w, j, h, err); /* no thread to spare (RLIMIT_NPROC, pids.max) */
    uint64_t got = 0;
    int rc = 0;
    for (;;) {
        const uint8_t *p;
        size_t len;
        if ((rc = kt_readahead_next(ra, &p, &len, err)) < 0 || len == 0) break;
        kt_sha256_update(h, p, len);
        got += len;
        tick(w, len);
    }
    kt_readahead_stop(ra);
    if (rc == 0 && got < j->size) rc = kt_fail(err, KT_E_TAMPER, "truncated inside member data");
    return rc;
}

static void *work(void *arg)
{
    worker *w = arg;
    pool *p = w->p;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->failed || p->next == p->n) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        size_t k = p->order[p->next++];
        kt_hashjob *j = &p->jobs[k];
        p->queued -= j->size;
        /* Read ahead when nothing else would keep the other CPUs busy. */
        int ahead = j->size >= 2 * AHEAD_SLOT && (p->workers == 1 || j->size > p->queued);
        pthread_mutex_unlock(&p->mu);
        kt_sha256_ctx h;
        if (j->from)
            kt_sha256_resume(&h, j->from, j->before);
        else
            kt_sha256_init(&h);
        kt_err e;
        kt_err_clear(&e);
        int rc = ahead ? hash_ahead(w, j, &h, &e) : hash_plain(w, j, &h, &e);
        if (rc == 0) {
            if (j->open)
                kt_sha256_state(&h, j->sha256);
            else
                kt_sha256_final(&h, j->sha256);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        if (!p->failed) p->failed = 1, p->failed_job = k, p->err = e;
        pthread_mutex_unlock(&p->mu);
        break;
    }
    return NULL;
}

/* Largest first: a Shell sort, in place (glibc's qsort asks the system for
 * its memory size first, which the verifier's self-sandbox refuses). */
static void largest_first(size_t *o, size_t n, const kt_hashjob *j)
{
    for (size_t gap = n / 2; gap; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t k = i; k >= gap && j[o[k - gap]].size < j[o[k]].size; k -= gap) {
                size_t t = o[k];
                o[k] = o[k - gap];
                o[k - gap] = t;
            }
}

int kt_hash_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0) return 1;
    int c = CPU_COUNT(&set);
    return c < 1 ? 1 : c;
}

/* The others joined, the progress line going on meanwhile (the largest
 * member may be another thread's), and ending at what all of them hashed. */
static void join_all(pool *p, pthread_t *th, int started)
{
    for (int i = 1; i <= started; i++) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        for (;;) {
            if (!p->progress) {
                pthread_join(th[i], NULL);
                break;
            }
            t.tv_nsec += 100 * 1000 * 1000;
            if (t.tv_nsec >= 1000 * 1000 * 1000) t.tv_sec++, t.tv_nsec -= 1000 * 1000 * 1000;
            if (pthread_timedjoin_np(th[i], NULL, &t) != ETIMEDOUT) break;
            p->progress(p->arg, atomic_load(&p->done));
        }
    }
    if (p->progress) p->progress(p->arg, atomic_load(&p->done));
}

int kt_hash_ranges(int fd, kt_hashjob *jobs, size_t n, int cpus, void (*progress)(void *, uint64_t),
                   void *arg, size_t *failed, kt_err *err)
{
    if (n == 0) return 0;
    pool p;
    memset(&p, 0, sizeof p);
    p.fd = fd, p.jobs = jobs, p.n = n, p.progress = progress, p.arg = arg;
    atomic_init(&p.done, 0);
    worker w[MAX_WORKERS];
    memset(w, 0, sizeof w);
    if (cpus <= 0) cpus = kt_hash_cpus();
    if (cpus > MAX_WORKERS) cpus = MAX_WORKERS;
    p.workers = (size_t)cpus < n ? cpus : (int)n;
    if (!(p.order = malloc(n * sizeof *p.order))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) p.order[i] = i, p.queued += jobs[i].size;
    largest_first(p.order, n, jobs);
    pthread_t th[MAX_WORKERS];
    int started = 0, rc = 0;
    for (int i = 0; i < p.workers; i++) {
        w[i].p = &p;
        w[i].main = i == 0;
        if (!(w[i].buf = malloc(PLAIN_CHUNK))) {
            rc = kt_fail(err, KT_E_NOMEM, "out of memory");
            goto out;
        }
    }
    pthread_mutex_init(&p.mu, NULL);
    /* Fewer threads than asked for is slower, not wrong. */
    for (int i = 1; i < p.workers; i++) {
        if (pthread_create(&th[i], NULL, work, &w[i]) != 0) break;
        started = i;
    }
    pthread_mutex_lock(&p.mu);
    if (started + 1 < p.workers) p.workers = started + 1; /* tells work() how many share */
    pthread_mutex_unlock(&p.mu);
    work(&w[0]);
    join_all(&p, th, started);
    pthread_mutex_destroy(&p.mu);
    if (p.failed) {
        *failed = jobs[p.failed_job].tag;
        *err = p.err;
        rc = -1;
    }
out:
    for (int i = 0; i < MAX_WORKERS; i++) free(w[i].buf);
    free(p.order);
    return rc;
}
