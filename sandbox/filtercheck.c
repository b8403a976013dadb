#include "filtercheck.h"

#include "bpfeval.h"

#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAND 64 /* values tried for one argument */

int kt_fcheck_rule(kt_fcheck *fc, int nr, uint32_t act, unsigned ncond,
                   const struct scmp_arg_cmp *cond, kt_err *err)
{
    if (fc->n == fc->cap) {
        size_t cap = fc->cap ? fc->cap * 2 : 64;
        kt_fcrule *r = realloc(fc->rules, cap * sizeof *r);
        if (!r) return kt_fail(err, KT_E_NOMEM, "out of memory keeping the filter's rules");
        fc->rules = r;
        fc->cap = cap;
    }
    kt_fcrule *r = &fc->rules[fc->n++];
    memset(r, 0, sizeof *r);
    r->nr = nr;
    r->act = act;
    r->ncond = ncond > 6 ? 6 : ncond;
    if (r->ncond) memcpy(r->cond, cond, r->ncond * sizeof *cond);
    return 0;
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
    free(fc->rules);
    memset(fc, 0, sizeof *fc);
}

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
    uint64_t v[MAX_CAND];
    unsigned n;
} cands;

static void cand(cands *c, uint64_t v, int w)
{
    if (!w) v &= 0xffffffffULL;
    for (unsigned i = 0; i < c->n; i++)
        if (c->v[i] == v) return;
    if (c->n < MAX_CAND) c->v[c->n++] = v;
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
    const kt_fcrule *r; /* rules of one syscall, consecutive after sorting */
    size_t n;
    uint32_t def;
} group;

static int expected(const group *g, const uint64_t *args, int w, uint32_t got)
{
    int any = 0;
    for (size_t i = 0; i < g->n; i++) {
        int all = 1;
        for (unsigned k = 0; k < g->r[i].ncond && all; k++)
            all = holds(&g->r[i].cond[k], args[g->r[i].cond[k].arg], w);
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

static int mismatch(const group *g, const char *name, uint32_t arch, const uint64_t *args,
                    uint32_t got, kt_err *err)
{
    char a[24], want[160] = "";
    size_t o = 0;
    for (size_t i = 0; i < g->n && o < sizeof want - 40; i++) {
        int all = 1;
        for (unsigned k = 0; k < g->r[i].ncond && all; k++)
            all = holds(&g->r[i].cond[k], args[g->r[i].cond[k].arg], wide(arch));
        if (all)
            o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", o ? " or " : "",
                                  act_name(g->r[i].act, a, sizeof a));
    }
    if (!o) snprintf(want, sizeof want, "%s (the default)", act_name(g->def, a, sizeof a));
    char b[24];
    return kt_fail(
        err, KT_E_INTERNAL,
        "libseccomp %u.%u.%u compiled a filter that answers %s(0x%llx, 0x%llx, 0x%llx, "
        "0x%llx, 0x%llx, 0x%llx) on architecture 0x%08x with %s, where its rules say %s: "
        "a libseccomp bug (docs/THREAT_MODEL.md); nothing was run under it",
        seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro, name,
        (unsigned long long)args[0], (unsigned long long)args[1], (unsigned long long)args[2],
        (unsigned long long)args[3], (unsigned long long)args[4], (unsigned long long)args[5], arch,
        act_name(got, b, sizeof b), want);
}

/* Every point of one syscall on one architecture. */
static int check_arch(const group *g, const char *name, uint32_t arch, int anr, const void *insns,
                      size_t n, size_t *points, kt_err *err)
{
    int w = wide(arch);
    cands c[6];
    memset(c, 0, sizeof c);
    for (size_t i = 0; i < g->n; i++)
        for (unsigned k = 0; k < g->r[i].ncond; k++) {
            unsigned ix = g->r[i].cond[k].arg;
            if (ix > 5) continue;
            if (!c[ix].n) {
                cand(&c[ix], 0, w);
                cand(&c[ix], ~0ULL, w);
            }
            edges(&c[ix], &g->r[i].cond[k], w);
        }
    for (int i = 0; i < 6; i++)
        if (!c[i].n) cand(&c[i], 0, w);
    unsigned at[6] = {0};
    for (size_t done = 0; done < KT_FCHECK_MAX_POINTS; done++) {
        struct seccomp_data d;
        memset(&d, 0, sizeof d);
        d.nr = anr;
        d.arch = bpf_arch(arch);
        for (int i = 0; i < 6; i++) d.args[i] = c[i].v[at[i]];
        uint32_t got;
        if (kt_bpf_eval(insns, n, &d, &got) != 0)
            return kt_fail(err, KT_E_INTERNAL,
                           "libseccomp exported a filter kiemthu cannot run (%s, arch 0x%08x)",
                           name, arch);
        ++*points;
        if (!expected(g, (const uint64_t *)d.args, w, got))
            return mismatch(g, name, arch, (const uint64_t *)d.args, got, err);
        int i = 0; /* next point: count in mixed radix */
        while (i < 6 && ++at[i] == c[i].n) at[i++] = 0;
        if (i == 6) break;
    }
    return 0;
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
    if (!fc->n) return 0;
    kt_fcrule *r = malloc(fc->n * sizeof *r);
    if (!r) return kt_fail(err, KT_E_NOMEM, "out of memory checking the filter");
    memcpy(r, fc->rules, fc->n * sizeof *r);
    qsort(r, fc->n, sizeof *r, by_nr);
    uint32_t native = seccomp_arch_native();
    int rc = 0;
    for (size_t i = 0; i < fc->n && rc == 0;) {
        group g = {&r[i], 1, def};
        while (i + g.n < fc->n && r[i + g.n].nr == r[i].nr) g.n++;
        i += g.n;
        char *name = seccomp_syscall_resolve_num_arch(native, g.r->nr);
        if (!name) continue; /* a number libseccomp gave us: cannot happen */
        for (size_t a = 0; a < fc->narches && rc == 0; a++) {
            /* Calls multiplexed on an architecture (socketcall, ipc) have no
             * number of their own there: not checked on it. */
            int anr = seccomp_syscall_resolve_name_arch(fc->arches[a], name);
            if (anr >= 0) rc = check_arch(&g, name, fc->arches[a], anr, insns, n, points, err);
        }
        free(name);
    }
    free(r);
    return rc;
}
