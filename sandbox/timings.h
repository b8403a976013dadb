/* timings.h - where kiemthu-sandbox's time goes (--timings): one counter of
 * microseconds per phase, for the run as a whole (kt_ladder) and for each
 * attempt (kt_run). Phases that run at the same time (the child's setup and
 * a cgroup v1 migration) are each measured on their own clock, so they may
 * add up to more than the wall time. Nothing here is recorded in run.json:
 * timings are not evidence. */
#ifndef KT_TIMINGS_H
#define KT_TIMINGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum kt_phase {
    /* the run */
    KT_PH_LOAD,     /* profiles and baseline: read, hashed, parsed, validated */
    KT_PH_PREPARE,  /* image, program and --ro-bind hashing; the record directory */
    KT_PH_RECLAIM,  /* scans for what killed runners left (.partial-*, cgroups), done
                       while the first sandbox sets itself up (overlaps SETUP) */
    KT_PH_BASELINE, /* the baseline compiled to BPF */
    KT_PH_LADDER,   /* ladder.json */
    KT_PH_PUBLISH,  /* the canonical attempt's files to --out */
    /* each attempt */
    KT_PH_COMPILE,   /* the profile compiled to BPF, while the child sets up (overlaps SETUP) */
    KT_PH_CG_CREATE, /* cgroups made and their limits written */
    KT_PH_CLONE,     /* clone (and the id maps) */
    KT_PH_SETUP,     /* from clone to the child's ready-to-exec (namespaces, mounts, ids) */
    KT_PH_CG_ATTACH, /* putting the child into cgroup v1 groups (overlaps SETUP) */
    KT_PH_RUN,       /* from ready-to-exec to the payload's exit */
    KT_PH_CG_REMOVE, /* limit hits read, groups emptied and removed */
    KT_PH_OUT_COPY,  /* /out copied into the record */
    KT_PH_RECORD,    /* run.json, the attempt renamed into place */
    KT_PH_N
};

typedef struct kt_timings {
    uint64_t us[KT_PH_N];
} kt_timings;

/* "phase N us, phase N us, ..." for the phases from..to-1, into buf. */
void kt_timings_format(const kt_timings *t, enum kt_phase from, enum kt_phase to, char *buf,
                       size_t n);

static inline uint64_t kt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline uint64_t kt_now_ms(void)
{
    return kt_now_us() / 1000;
}

/* Add the time since *since to phase p, and restart *since. */
static inline void kt_timing_lap(kt_timings *t, enum kt_phase p, uint64_t *since)
{
    uint64_t now = kt_now_us();
    t->us[p] += now - *since;
    *since = now;
}

#endif
