/* Whether the payload reached each limit, from the kernel's counters, read
 * after it exited and before its groups are removed. */
#include "cgfs.h"
#include "cgroup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A counter file of a group, read once. */
typedef struct cfile {
    char buf[2048];
    int ok;
} cfile;

static void load(cfile *f, const char *dir, const char *file)
{
    f->ok = dir[0] && kt_cg_read(dir, file, f->buf, sizeof f->buf) == 0;
}

/* The value of "key value" in a flat-keyed file, or the whole file's number
 * when key is NULL; -1 if absent. */
static long long value(const cfile *f, const char *key)
{
    if (!f->ok) return -1;
    if (!key) return strtoll(f->buf, NULL, 10);
    size_t n = strlen(key);
    for (const char *line = f->buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, key, n) == 0 && line[n] == ' ') return strtoll(line + n + 1, NULL, 10);
    return -1;
}

/* Record one counter as the event `name`; returns it, 0 if absent. */
static uint64_t ev(kt_limit_hit *h, const char *name, const cfile *f, const char *key)
{
    long long v = value(f, key);
    if (v < 0 || h->nev == KT_HIT_EVENTS) return 0;
    h->ev[h->nev].name = name;
    h->ev[h->nev].value = (uint64_t)v;
    h->nev++;
    return (uint64_t)v;
}

static void hits_unknown(kt_limit_hit *h, const char *how)
{
    h->hit = -1;
    if (!strcmp(how, "rlimit"))
        h->note = "rlimit: the kernel keeps no count of refused forks or allocations";
    else if (!strcmp(how, "affinity"))
        h->note = "affinity: pinning to CPUs has no throttling counter";
    else
        h->note = "not enforced, so never hit";
}

static int by(const kt_limit *l, int which, const char *how)
{
    return !strcmp(l[which].enforced_by, how);
}

static void memory_hits(const kt_cgroup *cg, const kt_limit *l, kt_cgroup_report *out)
{
    kt_limit_hit *m = &out->hits[KT_LIMIT_MEMORY], *s = &out->hits[KT_LIMIT_SWAP];
    cfile f, g;
    if (by(l, KT_LIMIT_MEMORY, "cgroup2")) {
        load(&f, cg->v2, "memory.events");
        uint64_t max = ev(m, "max", &f, "max"), oom = ev(m, "oom", &f, "oom");
        uint64_t kill = ev(m, "oom_kill", &f, "oom_kill");
        m->hit = max + oom + kill > 0;
        out->oom_killed = kill > 0;
    } else if (by(l, KT_LIMIT_MEMORY, "cgroup1")) {
        load(&f, cg->mem, "memory.failcnt");
        load(&g, cg->mem, "memory.oom_control");
        uint64_t fail = ev(m, "failcnt", &f, NULL), kill = ev(m, "oom_kill", &g, "oom_kill");
        m->hit = fail + kill > 0;
        out->oom_killed = kill > 0;
    } else {
        hits_unknown(m, l[KT_LIMIT_MEMORY].enforced_by);
    }
    if (by(l, KT_LIMIT_SWAP, "cgroup2")) {
        load(&f, cg->v2, "memory.swap.events");
        s->hit = ev(s, "max", &f, "max") + ev(s, "fail", &f, "fail") > 0;
    } else if (by(l, KT_LIMIT_SWAP, "cgroup1")) {
        load(&f, cg->mem, "memory.memsw.failcnt");
        s->hit = ev(s, "memsw.failcnt", &f, NULL) > 0;
    } else {
        hits_unknown(s, l[KT_LIMIT_SWAP].enforced_by);
    }
}

void kt_cgroup_read_report(const kt_cgroup *cg, const kt_sandbox *sb, kt_cgroup_report *out)
{
    memset(out, 0, sizeof *out);
    out->version = cg->v2[0] ? 2 : cg->pids[0] || cg->mem[0] || cg->cpu[0] ? 1 : 0;
    out->delegated = cg->delegated;
    kt_limit_hit *h = out->hits;
    const kt_limit *l = sb->limits;
    cfile f;
    /* pids.events "max": forks refused at pids.max (v1 and v2 alike) */
    int v2 = by(l, KT_LIMIT_PIDS, "cgroup2");
    if (v2 || by(l, KT_LIMIT_PIDS, "cgroup1")) {
        load(&f, v2 ? cg->v2 : cg->pids, "pids.events");
        h[KT_LIMIT_PIDS].hit = ev(&h[KT_LIMIT_PIDS], "max", &f, "max") > 0;
    } else {
        hits_unknown(&h[KT_LIMIT_PIDS], l[KT_LIMIT_PIDS].enforced_by);
    }
    memory_hits(cg, l, out);
    /* cpu.stat: throttled in some period (v2 counts usec, v1 ns) */
    kt_limit_hit *c = &h[KT_LIMIT_CPUS];
    v2 = by(l, KT_LIMIT_CPUS, "cgroup2");
    if (v2 || by(l, KT_LIMIT_CPUS, "cgroup1")) {
        load(&f, v2 ? cg->v2 : cg->cpu, "cpu.stat");
        ev(c, "nr_periods", &f, "nr_periods");
        c->hit = ev(c, "nr_throttled", &f, "nr_throttled") > 0;
        ev(c, v2 ? "throttled_usec" : "throttled_time", &f,
           v2 ? "throttled_usec" : "throttled_time");
    } else {
        hits_unknown(c, l[KT_LIMIT_CPUS].enforced_by);
    }
}
