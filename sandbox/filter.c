#include "filter.h"

#include "bpfeval.h"
#include "filtercheck.h"

#include "../core/sha256.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* What one compile learns, kept out of the (immutable) profile. */
typedef struct cstate {
    const char *file;
    const kt_filter_opts *opts;
    kt_filter *f;
    size_t capdenied;
    int exec_rule; /* a rule named execve/execveat was seen */
    size_t nrules; /* syscalls given a rule */
    kt_fcheck fc;  /* every rule and architecture in the filter (the native one too) */
} cstate;

/* Up to this many rules x architectures, libseccomp lays the filter out as
 * a binary tree sorted by syscall number instead of a list. Installing a
 * filter, the kernel runs it for every syscall number of every architecture
 * (its allow cache): the shipped profiles' lists took 45 + 65 us to install
 * here, as trees 28 + 33 us, and the payload's every syscall walks a few
 * comparisons instead of the list. Building the tree costs compile time that
 * grows faster than the list's: +11 us for seccomp-startup-safe (hidden in
 * the sandbox's set-up), +3.3 ms for Docker's default profile (442 names,
 * three architectures: 6.9 -> 10.2 ms, longer than the set-up it overlaps),
 * whose install the tree would make 0.36 ms shorter. */
#define TREE_MAX 128
/* ... and from this many rules, as runc: libseccomp before 2.5.4 ignored the
 * default action of a tree without rules (upstream issue 370). */
#define TREE_MIN 8

static int is_deny(uint32_t act)
{
    return act != SCMP_ACT_ALLOW && act != SCMP_ACT_LOG;
}

static int errno_of(uint32_t act)
{
    return (act & 0xffff0000U) == SCMP_ACT_ERRNO(0) ? (int)(act & 0xffff) : EPERM;
}

static void read_list(const cJSON *arr, const char **out, size_t *n)
{
    *n = 0;
    for (const cJSON *c = arr ? arr->child : NULL; c && *n < KT_RULESEL_MAX; c = c->next)
        out[(*n)++] = c->valuestring;
}

static int applies(const cJSON *r, const kt_rulesel_env *env)
{
    kt_rulesel_filter inc, exc;
    const cJSON *ji = cJSON_GetObjectItemCaseSensitive(r, "includes");
    const cJSON *je = cJSON_GetObjectItemCaseSensitive(r, "excludes");
    memset(&inc, 0, sizeof inc);
    memset(&exc, 0, sizeof exc);
    read_list(cJSON_GetObjectItemCaseSensitive(ji, "caps"), inc.caps, &inc.ncaps);
    read_list(cJSON_GetObjectItemCaseSensitive(ji, "arches"), inc.arches, &inc.narches);
    const cJSON *mk = cJSON_GetObjectItemCaseSensitive(ji, "minKernel");
    inc.min_kernel = cJSON_IsString(mk) ? mk->valuestring : NULL;
    read_list(cJSON_GetObjectItemCaseSensitive(je, "caps"), exc.caps, &exc.ncaps);
    read_list(cJSON_GetObjectItemCaseSensitive(je, "arches"), exc.arches, &exc.narches);
    return kt_rulesel_applies(ji ? &inc : NULL, je ? &exc : NULL, env);
}

static int note_ignored(cstate *s, const char *name, kt_err *err)
{
    kt_filter *f = s->f;
    for (size_t i = 0; i < f->nignored; i++)
        if (strcmp(f->ignored[i], name) == 0) return 0;
    char **n = realloc(f->ignored, (f->nignored + 1) * sizeof *n);
    if (!n) return kt_fail(err, KT_E_NOMEM, "out of memory");
    f->ignored = n;
    if (!(f->ignored[f->nignored] = strdup(name))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    f->nignored++;
    return 0;
}

static int note_denied(cstate *s, const char *name, uint32_t act, int has_args, kt_err *err)
{
    kt_filter *f = s->f;
    if (f->ndenied == s->capdenied) {
        size_t cap = s->capdenied ? s->capdenied * 2 : 64;
        kt_denied *d = realloc(f->denied, cap * sizeof *d);
        if (!d) return kt_fail(err, KT_E_NOMEM, "out of memory");
        f->denied = d;
        s->capdenied = cap;
    }
    kt_denied *d = &f->denied[f->ndenied++];
    snprintf(d->name, sizeof d->name, "%s", name);
    d->action = act;
    d->has_args = has_args;
    return 0;
}

/* The rule's argument conditions; *repeated if one index has several. */
static unsigned conditions(const cJSON *args, struct scmp_arg_cmp *conds, int *repeated)
{
    unsigned n = 0, seen[6] = {0};
    *repeated = 0;
    for (const cJSON *a = args ? args->child : NULL; a && n < KT_PROFILE_MAX_ARGS; a = a->next) {
        const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(a, "valueTwo");
        enum scmp_compare op = SCMP_CMP_EQ; /* validated: the op is known */
        kt_profile_op(cJSON_GetObjectItemCaseSensitive(a, "op")->valuestring, &op);
        unsigned ix = (unsigned)cJSON_GetObjectItemCaseSensitive(a, "index")->valuedouble;
        *repeated |= seen[ix]++ > 0;
        conds[n++] = (struct scmp_arg_cmp){
            .arg = ix,
            .op = op,
            .datum_a = (scmp_datum_t)cJSON_GetObjectItemCaseSensitive(a, "value")->valuedouble,
            .datum_b = v2 ? (scmp_datum_t)v2->valuedouble : 0,
        };
    }
    return n;
}

/* One rule to libseccomp, kept for the check (filtercheck.h) once it is
 * taken. libseccomp's answer in *rc; -1 only if the rule cannot be kept. */
static int add_one(cstate *s, scmp_filter_ctx ctx, const char *name, uint32_t act, int nr,
                   unsigned n, const struct scmp_arg_cmp *conds, int *rc, kt_err *err)
{
    *rc = seccomp_rule_add_array(ctx, act, nr, n, conds);
    return *rc == 0 ? kt_fcheck_rule(&s->fc, name, nr, act, n, conds, err) : 0;
}

static int add_rule(cstate *s, scmp_filter_ctx ctx, const cJSON *r, int idx, kt_err *err)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "names");
    const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(r, "name");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(r, "action");
    const cJSON *eret = cJSON_GetObjectItemCaseSensitive(r, "errnoRet");
    uint32_t act;
    kt_profile_action(action->valuestring, eret ? (int)eret->valuedouble : EPERM, &act);
    if (act == SCMP_ACT_NOTIFY)
        return kt_fail(err, KT_E_DATA,
                       "%s: $.syscalls[%d].action: SCMP_ACT_NOTIFY needs a "
                       "seccomp agent, which kiemthu-sandbox does not run",
                       s->file, idx);
    struct scmp_arg_cmp conds[KT_PROFILE_MAX_ARGS];
    int repeated;
    unsigned nconds = conditions(cJSON_GetObjectItemCaseSensitive(r, "args"), conds, &repeated);
    const cJSON *list = names ? names->child : legacy;
    for (const cJSON *n = list; n; n = names ? n->next : NULL) {
        int nr = seccomp_syscall_resolve_name(n->valuestring);
        if (nr == __NR_SCMP_ERROR) {
            if (note_ignored(s, n->valuestring, err) < 0) return -1;
            continue;
        }
        uint32_t this_act = act;
        if (s->opts->exec_once &&
            (!strcmp(n->valuestring, "execve") || !strcmp(n->valuestring, "execveat"))) {
            s->exec_rule = 1;
            if (is_deny(act)) {
                s->f->exec_errno = errno_of(act);
                if (nconds) /* a conditional exec rule cannot be made exec-once */
                    return kt_fail(err, KT_E_DATA,
                                   "%s: $.syscalls[%d]: --exec-once needs "
                                   "unconditional execve/execveat rules",
                                   s->file, idx);
                this_act = SCMP_ACT_NOTIFY;
            }
        }
        if (this_act == s->f->default_action) continue; /* same as the default: nothing to add */
        int rc = 0, kept = 0;
        if (this_act == SCMP_ACT_NOTIFY || nconds == 0)
            kept = add_one(s, ctx, n->valuestring, this_act, nr, 0, NULL, &rc, err);
        else if (!repeated)
            kept = add_one(s, ctx, n->valuestring, act, nr, nconds, conds, &rc, err);
        else /* runc: several conditions on one index -> one rule per condition */
            for (unsigned i = 0; i < nconds && rc == 0 && kept == 0; i++)
                kept = add_one(s, ctx, n->valuestring, act, nr, 1, &conds[i], &rc, err);
        if (kept < 0) return -1;
        if (rc < 0)
            return kt_fail_errno(err, KT_E_DATA, -rc,
                                 "%s: $.syscalls[%d]: libseccomp refused the rule for %s", s->file,
                                 idx, n->valuestring);
        s->nrules++;
        if (is_deny(act) && note_denied(s, n->valuestring, act, nconds > 0, err) < 0) return -1;
    }
    return 0;
}

static int add_arch(cstate *s, scmp_filter_ctx ctx, uint32_t tok, kt_err *err)
{
    if (!tok) return 0; /* valid, but unknown to this libseccomp: cannot be native */
    int rc = seccomp_arch_add(ctx, tok);
    if (rc < 0 && rc != -EEXIST)
        return kt_fail_errno(err, KT_E_DATA, -rc, "%s: cannot add architecture", s->file);
    return kt_fcheck_arch(&s->fc, tok, err);
}

static int add_arches_and_flags(cstate *s, scmp_filter_ctx ctx, const cJSON *root, kt_err *err)
{
    uint32_t native = seccomp_arch_native();
    const cJSON *arches = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *amap = cJSON_GetObjectItemCaseSensitive(root, "archMap");
    int rc = 0;
    for (const cJSON *a = arches ? arches->child : NULL; a && rc == 0; a = a->next)
        rc = add_arch(s, ctx, kt_profile_arch_token(a->valuestring), err);
    for (const cJSON *m = amap ? amap->child : NULL; m && rc == 0; m = m->next) {
        /* runc: only the entry for the native architecture counts */
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "architecture");
        if (kt_profile_arch_token(a->valuestring) != native) continue;
        const cJSON *subs = cJSON_GetObjectItemCaseSensitive(m, "subArchitectures");
        for (const cJSON *x = cJSON_IsArray(subs) ? subs->child : NULL; x && rc == 0; x = x->next)
            rc = add_arch(s, ctx, kt_profile_arch_token(x->valuestring), err);
    }
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(root, "flags");
    for (const cJSON *f = flags ? flags->child : NULL; f && rc == 0; f = f->next) {
        if (strcmp(f->valuestring, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        else if (strcmp(f->valuestring, "SECCOMP_FILTER_FLAG_LOG") == 0)
            rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        else if (strcmp(f->valuestring, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        /* WAIT_KILLABLE_RECV only changes how a notify agent is woken: no agent here. */
        if (rc < 0)
            rc = kt_fail_errno(err, KT_E_DATA, -rc, "%s: $.flags: %s", s->file, f->valuestring);
    }
    return rc < 0 ? -1 : 0;
}

/* exec-once with exec denied by the default action rather than a rule. */
static int add_default_exec_notify(cstate *s, scmp_filter_ctx ctx, kt_err *err)
{
    if (s->exec_rule || !is_deny(s->f->default_action)) return 0;
    s->f->exec_errno = errno_of(s->f->default_action);
    static const char *const names[] = {"execve", "execveat"};
    for (int i = 0; i < 2; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        int rc = 0;
        if (nr != __NR_SCMP_ERROR &&
            add_one(s, ctx, names[i], SCMP_ACT_NOTIFY, nr, 0, NULL, &rc, err) < 0)
            return -1;
        if (rc < 0)
            return kt_fail_errno(err, KT_E_DATA, -rc, "%s: cannot add the exec-once rule", s->file);
    }
    return 0;
}

static int export_bpf(scmp_filter_ctx ctx, kt_bpf *out, kt_err *err)
{
    int fd = memfd_create("kiemthu-bpf", MFD_CLOEXEC);
    if (fd < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "memfd_create");
    int rc = seccomp_export_bpf(ctx, fd);
    off_t n = rc < 0 ? -1 : lseek(fd, 0, SEEK_CUR);
    if (rc < 0 || n <= 0 || n % (off_t)sizeof(struct sock_filter) != 0 ||
        n / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        close(fd);
        return kt_fail(err, KT_E_DATA, "the compiled seccomp filter is not usable (%s)",
                       rc < 0 ? strerror(-rc) : "bad size or more than 4096 instructions");
    }
    out->insns = malloc((size_t)n);
    if (!out->insns || pread(fd, out->insns, (size_t)n, 0) != n) {
        close(fd);
        return kt_fail(err, KT_E_INTERNAL, "cannot read the compiled seccomp filter");
    }
    close(fd);
    out->len = (unsigned short)(n / (off_t)sizeof(struct sock_filter));
    uint32_t v = 0;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v)
        out->flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v)
        out->flags |= SECCOMP_FILTER_FLAG_LOG;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v)
        out->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    return 0;
}

/* Export the program and hold it to the rules; on a failed check the
 * program is kept in out->bpf (the caller frees it). */
static int export_checked(cstate *s, scmp_filter_ctx ctx, kt_filter *out, kt_err *err)
{
    if (export_bpf(ctx, &out->bpf, err) < 0) return -1;
    return kt_fcheck_run(&s->fc, out->bpf.insns, out->bpf.len, out->default_action,
                         &out->checked_points, err);
}

int kt_filter_compile(const kt_profile *p, const kt_rulesel_env *env, const kt_filter_opts *opts,
                      kt_filter *out, kt_err *err)
{
    static const kt_filter_opts none = {0};
    memset(out, 0, sizeof *out);
    cstate s = {kt_profile_file(p), opts ? opts : &none, out, 0, 0, 0, {{0}, {0}, 0}};
    kt_fcheck_init(&s.fc);
    const cJSON *root = kt_profile_json(p);
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(root, "defaultAction");
    const cJSON *der = cJSON_GetObjectItemCaseSensitive(root, "defaultErrnoRet");
    kt_profile_action(da->valuestring, der ? (int)der->valuedouble : EPERM, &out->default_action);
    if (out->default_action == SCMP_ACT_NOTIFY)
        return kt_fail(err, KT_E_DATA,
                       "%s: $.defaultAction: SCMP_ACT_NOTIFY needs a seccomp "
                       "agent, which kiemthu-sandbox does not run",
                       s.file);
    scmp_filter_ctx ctx = seccomp_init(out->default_action);
    if (!ctx) return kt_fail(err, KT_E_INTERNAL, "%s: libseccomp could not start a filter", s.file);
    int rc = kt_fcheck_arch(&s.fc, seccomp_arch_native(), err);
    if (rc == 0) rc = add_arches_and_flags(&s, ctx, root, err);
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
    int i = 0;
    for (const cJSON *r = sys ? sys->child : NULL; r && rc == 0; r = r->next, i++)
        if (applies(r, env)) rc = add_rule(&s, ctx, r, i, err);
    if (rc == 0 && s.opts->exec_once) rc = add_default_exec_notify(&s, ctx, err);
    /* The same decisions either way; a libseccomp without trees keeps the list. */
    int tree = s.opts->layout ? s.opts->layout == 2
                              : s.nrules >= TREE_MIN && s.nrules * s.fc.narches <= TREE_MAX;
    if (rc == 0 && tree) (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc == 0) rc = export_checked(&s, ctx, out, err);
    if (rc < 0 && err && err->cls == KT_E_INTERNAL && out->bpf.insns && !s.opts->layout) {
        /* libseccomp compiled the rules wrong (filtercheck.h): laid out the
         * other way, the same rules may come out right */
        kt_err first = *err;
        free(out->bpf.insns);
        memset(&out->bpf, 0, sizeof out->bpf);
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, tree ? 1 : 2);
        rc = export_checked(&s, ctx, out, err);
        if (rc < 0) *err = first;
        out->relaid = rc == 0;
    }
    seccomp_release(ctx);
    kt_fcheck_free(&s.fc);
    if (rc < 0) {
        kt_filter_free(out);
        return -1;
    }
    return 0;
}

void kt_filter_libseccomp(char *out, size_t n)
{
    const struct scmp_version *v = seccomp_version();
    snprintf(out, n, "%u.%u.%u", v->major, v->minor, v->micro);
}

void kt_filter_bpf_sha256(const kt_bpf *b, char hex[65])
{
    uint8_t d[KT_SHA256_LEN];
    kt_sha256(b->insns, (size_t)b->len * sizeof(struct sock_filter), d);
    kt_hex(d, sizeof d, hex);
}

void kt_filter_free(kt_filter *f)
{
    for (size_t i = 0; i < f->nignored; i++) free(f->ignored[i]);
    free(f->ignored);
    free(f->denied);
    free(f->bpf.insns);
    memset(f, 0, sizeof *f);
}

int kt_filter_denies_exec(const kt_filter *f)
{
    for (size_t i = 0; i < f->ndenied; i++)
        if (strcmp(f->denied[i].name, "execve") == 0 && !f->denied[i].has_args) return 1;
    return 0;
}

int kt_filter_lets_seccomp(const kt_bpf *b, unsigned int flags)
{
    struct seccomp_data d;
    memset(&d, 0, sizeof d);
    d.nr = seccomp_syscall_resolve_name("seccomp");
    d.arch = seccomp_arch_native();
    d.args[0] = SECCOMP_SET_MODE_FILTER;
    d.args[1] = flags;
    if (d.nr == __NR_SCMP_ERROR) return 0;
    /* Only these are known: the program's address (args[2]) is on the
     * child's stack, and a profile that looks at it, at args[3..5] or at the
     * instruction pointer could let the test through and answer the real
     * call otherwise (ERRNO 0: "installed", and nothing is). Such a profile
     * gets the baseline first, which is always safe. */
    uint32_t known = KT_BPF_W_NR | KT_BPF_W_ARCH | KT_BPF_W_ARG(0) | KT_BPF_W_ARG(1), ret;
    if (kt_bpf_eval_known(b->insns, b->len, &d, known, &ret) != 0) return 0;
    uint32_t act = ret & SECCOMP_RET_ACTION_FULL;
    return act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG;
}
