#include "filtercheck.h"

#include "bpfeval.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 6 /* rounds of "the program compares this too" */

void kt_fcheck_init(kt_fcheck *fc)
{
    memset(fc, 0, sizeof *fc);
    kt_buf_init(&fc->rules, 0);
}

int kt_fcheck_rule(kt_fcheck *fc, const char *name, int nr, uint32_t act, unsigned ncond,
                   const struct scmp_arg_cmp *cond, kt_err *err)
{
    kt_fcrule r;
    memset(&r, 0, sizeof r);
    r.name = name;
    r.nr = nr;
    r.act = act;
    r.ncond = ncond > 6 ? 6 : ncond;
    if (r.ncond) memcpy(r.cond, cond, r.ncond * sizeof *cond);
    return kt_buf_append(&fc->rules, &r, sizeof r, err);
}

int kt_fcheck_arch(kt_fcheck *fc, uint32_t arch, kt_err *err)
{
    for (size_t i = 0; i < fc->narches; i++)
        if (fc->arches[i] == arch) return 0;
    if (fc->narches == KT_FCHECK_MAX_ARCHES)
        return kt_fail(err, KT_E_INTERNAL, "more than %d architectures in one filter",
                       KT_FCHECK_MAX_ARCHES);
    fc->arches[fc->narches++] = arch;
    return 0;
}

void kt_fcheck_free(kt_fcheck *fc)
{
    kt_buf_free(&fc->rules);
    memset(fc, 0, sizeof *fc);
}

/* ---- the rules as they are on one architecture ------------------------ */

/* libseccomp compares 64-bit arguments only on 64-bit architectures (its
 * ARCH_SIZE_64: the audit token's 64-bit flag, but not MIPS n32); elsewhere
 * the low 32 bits of the argument against the low 32 bits of the value. */
static int wide(uint32_t arch)
{
    return (arch & __AUDIT_ARCH_64BIT) && !(arch & 0x20000000U);
}

static uint32_t bpf_arch(uint32_t arch)
{
    return arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch;
}

/* The calls libseccomp multiplexes (socketcall, ipc): their direct numbers
 * on an architecture, found once from its own table. */
static const char *const mux_names[] = {
    "socket",     "bind",    "connect",    "listen",  "accept",   "getsockname", "getpeername",
    "socketpair", "send",    "recv",       "sendto",  "recvfrom", "shutdown",    "setsockopt",
    "getsockopt", "sendmsg", "recvmsg",    "accept4", "recvmmsg", "sendmmsg",    "semop",
    "semget",     "semctl",  "semtimedop", "msgsnd",  "msgrcv",   "msgget",      "msgctl",
    "shmat",      "shmdt",   "shmget",     "shmctl"};
#define NMUX (sizeof mux_names / sizeof mux_names[0])
/* Their direct numbers on x86 (Linux 4.3 and 5.1; -1: multiplexed only),
 * checked against libseccomp's table before use, which is otherwise read
 * whole (0.2 ms, on every run that filters a socket call on x86). */
static const int x86_direct[NMUX] = {359, 361, 362, 363, -1,  367, 368, 360, -1,  -1, 369,
                                     371, 373, 366, 365, 370, 372, 364, 337, 345, -1, 393,
                                     394, -1,  400, 401, 399, 402, 397, 398, 395, 396};

static int direct_nr(uint32_t arch, const char *name)
{
    static struct {
        uint32_t arch;
        int nr[NMUX];
    } cache[KT_FCHECK_MAX_ARCHES];
    static size_t ncache;
    size_t c = 0, m = 0;
    while (m < NMUX && strcmp(mux_names[m], name)) m++;
    if (m == NMUX) return -1;
    while (c < ncache && cache[c].arch != arch) c++;
    if (c == ncache) {
        if (ncache == KT_FCHECK_MAX_ARCHES) return -1;
        cache[c].arch = arch;
        int known = arch == SCMP_ARCH_X86;
        for (size_t i = 0; i < NMUX; i++) {
            cache[c].nr[i] = known ? x86_direct[i] : -1;
            char *s =
                cache[c].nr[i] >= 0 ? seccomp_syscall_resolve_num_arch(arch, x86_direct[i]) : NULL;
            if (cache[c].nr[i] >= 0 && (!s || strcmp(s, mux_names[i]))) known = 0;
            free(s);
        }
        if (!known) /* not x86, or its table is not the kernel's: look */
            for (size_t i = 0; i < NMUX; i++) cache[c].nr[i] = -1;
        for (int nr = 0; !known && nr < 1100; nr++) {
            char *s = seccomp_syscall_resolve_num_arch(arch, nr);
            for (size_t i = 0; s && i < NMUX; i++)
                if (!strcmp(s, mux_names[i]) && cache[c].nr[i] < 0) cache[c].nr[i] = nr;
            free(s);
        }
        ncache++;
    }
    return cache[c].nr[m];
}

/* The rules as on one architecture: a kt_buf of kt_fcrule. */
static int push(kt_buf *a, const kt_fcrule *r, int nr, kt_err *err)
{
    kt_fcrule x = *r;
    x.nr = nr;
    return kt_buf_append(a, &x, sizeof x, err);
}

/* Each rule under the number(s) it has on arch, as libseccomp adds it. */
static int on_arch(const kt_fcheck *fc, uint32_t arch, kt_buf *a, kt_err *err)
{
    const kt_fcrule *all = (const kt_fcrule *)(const void *)fc->rules.data;
    for (size_t i = 0; i < fc->rules.len / sizeof *all; i++) {
        const kt_fcrule *r = &all[i];
        int p = seccomp_syscall_resolve_name_arch(arch, r->name);
        if (p >= 0) {
            if (push(a, r, p, err) < 0) return -1;
            continue;
        }
        int sock = p <= -100 && p >= -120, ipc = p <= -200 && p >= -224;
        if (!sock && !ipc) continue; /* not a call on this architecture */
        int mux = seccomp_syscall_resolve_name_rewrite(arch, r->name);
        if (mux >= 0) { /* arg0 is the call's number; the rule's arg0 test is gone */
            kt_fcrule m = *r;
            m.ncond = 0;
            for (unsigned k = 0; k < r->ncond; k++)
                if (r->cond[k].arg != 0) m.cond[m.ncond++] = r->cond[k];
            m.cond[m.ncond++] =
                (struct scmp_arg_cmp){0, SCMP_CMP_EQ, (scmp_datum_t)(-p % (ipc ? 200 : 100)), 0};
            if (push(a, &m, mux, err) < 0) return -1;
        }
        int d = direct_nr(arch, r->name);
        if (d >= 0 && push(a, r, d, err) < 0) return -1;
    }
    return 0;
}

/* ---- the points --------------------------------------------------------- */

static int holds(const struct scmp_arg_cmp *c, uint64_t a, int w)
{
    uint64_t m = w ? ~0ULL : 0xffffffffULL, x = a & m, d = c->datum_a & m;
    switch (c->op) {
    case SCMP_CMP_NE:
        return x != d;
    case SCMP_CMP_LT:
        return x < d;
    case SCMP_CMP_LE:
        return x <= d;
    case SCMP_CMP_EQ:
        return x == d;
    case SCMP_CMP_GE:
        return x >= d;
    case SCMP_CMP_GT:
        return x > d;
    case SCMP_CMP_MASKED_EQ:
        return (x & d) == (c->datum_b & d);
    default:
        return 0;
    }
}

typedef struct cands {
    uint64_t v[KT_FCHECK_MAX_VALUES];
    unsigned n;
    int full; /* a value did not fit */
} cands;

static int has(const cands *c, uint64_t v)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->v[i] == v) return 1;
    return 0;
}

static void cand(cands *c, uint64_t v, int w)
{
    if (!w) v &= 0xffffffffULL;
    if (has(c, v)) return;
    if (c->n < KT_FCHECK_MAX_VALUES)
        c->v[c->n++] = v;
    else
        c->full = 1;
}

/* The edges of one condition: where it changes its mind, and the other
 * half of the argument changed under it. */
static void edges(cands *c, const struct scmp_arg_cmp *k, int w)
{
    if (k->op == SCMP_CMP_MASKED_EQ) {
        uint64_t m = k->datum_a, v = k->datum_b & m;
        cand(c, v, w);
        cand(c, v | ~m, w);
        cand(c, v ^ (m & (0 - m)), w);               /* lowest masked bit flipped */
        cand(c, v ^ (m & 0xffffffff00000000ULL), w); /* the high half's masked bits */
        return;
    }
    uint64_t d = k->datum_a;
    const uint64_t near[] = {d,
                             d - 1,
                             d + 1,
                             d + (1ULL << 32),
                             d - (1ULL << 32),
                             d & 0xffffffffULL,
                             d | 0xffffffff00000000ULL};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) cand(c, near[i], w);
}

typedef struct group {
    const kt_fcrule *r; /* the rules of one number, consecutive after sorting */
    size_t n;
    uint32_t def, arch;
    int w;
} group;

/* What the program compares an argument's word with: every (word, mask,
 * operation, constant) seen while it ran. Each becomes values of that
 * argument: 0 and all ones with that word set to the constant and one either
 * side (under the masks applied), or with the tested bits set. Built on
 * fixed values, so the values stop growing once no new comparison runs. */
#define MAX_SEEN 1024

typedef struct seen {
    uint8_t word, op;
    uint32_t mask, k;
} seen;

typedef struct tracer {
    seen v[MAX_SEEN];
    size_t n, old;
    int full;
} tracer;

static void on_cmp(void *ctx, unsigned word, uint32_t mask, unsigned op, uint32_t k)
{
    tracer *t = ctx;
    if (word < 4 || word > 15) return; /* the number, architecture, address */
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].word == word && t->v[i].op == op && t->v[i].mask == mask && t->v[i].k == k)
            return;
    if (t->n == MAX_SEEN) {
        t->full = 1;
        return;
    }
    t->v[t->n++] = (seen){(uint8_t)word, (uint8_t)op, mask, k};
}

/* The values of one argument a comparison seen in the program makes worth
 * trying: its word at the constant and one either side (the tested bits, for
 * JSET), the word's other bits all 0 or all 1, the other word each value the
 * rules' own values give it (base: the values before any comparison). */
static void from_seen(cands *c, const cands *base, const seen *s, int w)
{
    unsigned hi = (s->word - 4) % 2; /* little-endian */
    uint32_t vals[3];
    size_t nv = 0;
    if (s->op == BPF_JSET) {
        vals[nv++] = s->k & s->mask;
    } else {
        const uint32_t near[3] = {s->k, s->k + 1, s->k - 1};
        for (int i = 0; i < 3; i++) vals[nv++] = near[i] & s->mask;
    }
    for (unsigned b = 0; b < base->n; b++) {
        uint32_t other = (uint32_t)(hi ? base->v[b] : base->v[b] >> 32);
        for (int fill = 0; fill < 2; fill++)
            for (size_t i = 0; i < nv; i++) {
                uint32_t h = (fill ? ~s->mask : 0) | vals[i];
                cand(c, hi ? (uint64_t)h << 32 | other : (uint64_t)other << 32 | h, w);
            }
    }
}

static int expected(const group *g, const uint64_t *args, uint32_t got)
{
    int any = 0;
    for (size_t i = 0; i < g->n; i++) {
        int all = 1;
        for (unsigned k = 0; k < g->r[i].ncond && all; k++)
            all = holds(&g->r[i].cond[k], args[g->r[i].cond[k].arg], g->w);
        if (!all) continue;
        if (g->r[i].act == got) return 1;
        any = 1;
    }
    return !any && got == g->def;
}

static const char *act_name(uint32_t a, char *buf, size_t n)
{
    if (a == SCMP_ACT_ALLOW) return "ALLOW";
    if (a == SCMP_ACT_LOG) return "LOG";
    if ((a & 0xffff0000U) == SCMP_ACT_ERRNO(0))
        snprintf(buf, n, "ERRNO(%u)", a & 0xffffU);
    else
        snprintf(buf, n, "0x%08x", a);
    return buf;
}

static int mismatch(const group *g, int nr, const uint64_t *args, uint32_t got, kt_err *err)
{
    char a[24], want[160] = "";
    size_t o = 0;
    for (size_t i = 0; i < g->n && o < sizeof want - 40; i++) {
        int all = 1;
        for (unsigned k = 0; k < g->r[i].ncond && all; k++)
            all = holds(&g->r[i].cond[k], args[g->r[i].cond[k].arg], g->w);
        if (all)
            o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", o ? " or " : "",
                                  act_name(g->r[i].act, a, sizeof a));
    }
    if (!o) snprintf(want, sizeof want, "%s (the default)", act_name(g->def, a, sizeof a));
    char b[24], *name = seccomp_syscall_resolve_num_arch(g->arch, nr);
    const struct scmp_version *v = seccomp_version();
    kt_fail(err, KT_E_INTERNAL,
            "libseccomp %u.%u.%u compiled a filter that answers %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, "
            "0x%llx, 0x%llx) (number %d) on architecture 0x%08x with %s, where its rules say %s: "
            "a libseccomp bug (docs/THREAT_MODEL.md); nothing was run under it",
            v->major, v->minor, v->micro, name ? name : g->r->name, (unsigned long long)args[0],
            (unsigned long long)args[1], (unsigned long long)args[2], (unsigned long long)args[3],
            (unsigned long long)args[4], (unsigned long long)args[5], nr, g->arch,
            act_name(got, b, sizeof b), want);
    free(name);
    return -1;
}

static int too_many(const group *g, const char *what, kt_err *err)
{
    return kt_fail(err, KT_E_LIMIT,
                   "cannot check the filter libseccomp compiled for %s on architecture 0x%08x: "
                   "%s; kiemthu-sandbox runs no filter it has not checked (split the rules, or "
                   "give fewer conditions on one call)",
                   g->r->name, g->arch, what);
}

/* Every point of one syscall number on one architecture. */
static int check_group(const group *g, const void *insns, size_t n, size_t *points, kt_err *err)
{
    static cands c[6]; /* 12 KiB: off the stack */
    static tracer t;
    memset(c, 0, sizeof c);
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < g->n; i++)
        for (unsigned k = 0; k < g->r[i].ncond; k++) {
            unsigned ix = g->r[i].cond[k].arg;
            if (ix > 5) continue;
            if (!c[ix].n) {
                cand(&c[ix], 0, g->w);
                cand(&c[ix], ~0ULL, g->w);
            }
            edges(&c[ix], &g->r[i].cond[k], g->w);
        }
    static cands base[6];
    memcpy(base, c, sizeof c);
    for (int i = 0; i < 6; i++)
        if (!base[i].n) { /* the program may test an argument no rule names */
            cand(&base[i], 0, g->w);
            cand(&base[i], ~0ULL, g->w);
        }
    kt_bpf_trace tr = {on_cmp, &t};
    for (int round = 0;; round++) {
        size_t total = 1;
        for (int i = 0; i < 6; i++) {
            if (!c[i].n) cand(&c[i], 0, g->w);
            if (c[i].full) return too_many(g, "more than 1024 values of one argument to try", err);
            total *= c[i].n;
            if (total > KT_FCHECK_MAX_GROUP)
                return too_many(g, "more than 1048576 combinations of argument values", err);
        }
        if (*points + total > KT_FCHECK_MAX_POINTS)
            return too_many(g, "more than 1048576 points for the whole filter", err);
        struct seccomp_data d;
        memset(&d, 0, sizeof d);
        d.arch = bpf_arch(g->arch);
        d.nr = g->r->nr;
        unsigned at[6] = {0};
        for (size_t done = 0; done < total; done++) {
            for (int i = 0; i < 6; i++) d.args[i] = c[i].v[at[i]];
            uint32_t got;
            if (kt_bpf_eval_trace(insns, n, &d, &got, &tr) != 0)
                return kt_fail(err, KT_E_INTERNAL,
                               "libseccomp exported a filter kiemthu cannot run (%s, arch 0x%08x)",
                               g->r->name, g->arch);
            if (!expected(g, (const uint64_t *)d.args, got))
                return mismatch(g, g->r->nr, (const uint64_t *)d.args, got, err);
            for (int i = 0; i < 6 && ++at[i] == c[i].n; i++) at[i] = 0;
        }
        *points += total;
        if (t.full) return too_many(g, "more than 1024 comparisons in its program", err);
        if (t.n == t.old) return 0; /* nothing new compared: done */
        for (size_t i = t.old; i < t.n; i++) {
            unsigned arg = (t.v[i].word - 4) / 2;
            from_seen(&c[arg], &base[arg], &t.v[i], g->w);
        }
        t.old = t.n;
        if (round + 1 == MAX_ROUNDS)
            return too_many(g, "the values its program compares did not settle", err);
    }
}

static int by_nr(const void *a, const void *b)
{
    const kt_fcrule *x = a, *y = b;
    return (x->nr > y->nr) - (x->nr < y->nr);
}

int kt_fcheck_run(const kt_fcheck *fc, const void *insns, size_t n, uint32_t def, size_t *points,
                  kt_err *err)
{
    *points = 0;
    int rc = 0;
    for (size_t a = 0; a < fc->narches && rc == 0; a++) {
        kt_buf buf;
        kt_buf_init(&buf, 0);
        rc = on_arch(fc, fc->arches[a], &buf, err);
        kt_fcrule *r = (kt_fcrule *)(void *)buf.data;
        size_t nr = buf.len / sizeof *r;
        if (rc == 0 && nr) qsort(r, nr, sizeof *r, by_nr);
        for (size_t i = 0; i < nr && rc == 0;) {
            group g = {&r[i], 1, def, fc->arches[a], wide(fc->arches[a])};
            while (i + g.n < nr && r[i + g.n].nr == r[i].nr) g.n++;
            i += g.n;
            rc = check_group(&g, insns, n, points, err);
        }
        kt_buf_free(&buf);
    }
    return rc;
}
