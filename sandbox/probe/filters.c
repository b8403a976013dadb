/* The seccomp profile and the baseline the runner shows the payload
 * (contract.h), read once, and the answer the two filters give together. */
#include "../contract.h"
#include "../rulesel.h"
#include "json.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* NULL with err filled when the file cannot be read or parsed. */
static pj *load(const char *path, kt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *text = NULL;
    struct stat st;
    pj *root = NULL;
    if (fd < 0) {
        kt_fail_errno(err, KT_E_NOINPUT, errno, "%s", path);
        return NULL;
    }
    if (fstat(fd, &st) == 0 && st.st_size < (4 << 20) && (text = malloc((size_t)st.st_size + 1)) &&
        read(fd, text, (size_t)st.st_size) == st.st_size) {
        kt_err perr;
        root = pj_parse(text, (size_t)st.st_size, &perr);
        if (!root) kt_fail(err, KT_E_DATA, "%s: %s", path, perr.msg);
    } else {
        kt_fail(err, KT_E_DATA, "%s: unreadable or too large", path);
    }
    close(fd);
    free(text);
    return root;
}

void probe_filters_load(probe_ctx *c)
{
    kt_err err;
    if (c->cfg->profile_path && !(c->profile = load(c->cfg->profile_path, &err)))
        snprintf(c->profile_why, sizeof c->profile_why, "%.*s", (int)sizeof c->profile_why - 1,
                 err.msg);
    if (c->cfg->baseline_path && !(c->baseline = load(c->cfg->baseline_path, &err)))
        snprintf(c->baseline_why, sizeof c->baseline_why, "%.*s", (int)sizeof c->baseline_why - 1,
                 err.msg);
}

void probe_filters_free(probe_ctx *c)
{
    pj_free(c->profile);
    pj_free(c->baseline);
    c->profile = c->baseline = NULL;
}

static void read_list(const pj *arr, const char **out, size_t *n)
{
    *n = 0;
    for (const pj *a = arr && arr->type == PJ_ARR ? arr->child : NULL; a && *n < KT_RULESEL_MAX;
         a = a->next)
        if (a->type == PJ_STR) out[(*n)++] = a->str;
}

/* The rule selection the sandbox uses: with no capabilities, includes.caps
 * rules never apply and excludes.caps rules always do. */
int probe_rule_applies(const pj *r)
{
    const pj *ji = pj_get(r, "includes"), *je = pj_get(r, "excludes");
    kt_rulesel_filter inc, exc;
    memset(&inc, 0, sizeof inc);
    memset(&exc, 0, sizeof exc);
    read_list(pj_get(ji, "caps"), inc.caps, &inc.ncaps);
    read_list(pj_get(ji, "arches"), inc.arches, &inc.narches);
    const pj *mk = pj_get(ji, "minKernel");
    inc.min_kernel = mk && mk->type == PJ_STR ? mk->str : NULL;
    read_list(pj_get(je, "caps"), exc.caps, &exc.ncaps);
    read_list(pj_get(je, "arches"), exc.arches, &exc.narches);
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    return kt_rulesel_applies(ji ? &inc : NULL, je ? &exc : NULL, &env);
}

/* errno for an action name; 0 for ALLOW/LOG; -1 for anything else. */
static int action_errno(const pj *action, const pj *eret, int dflt)
{
    if (!action || action->type != PJ_STR) return -1;
    if (!strcmp(action->str, "SCMP_ACT_ERRNO"))
        return eret && eret->type == PJ_NUM && eret->num >= 0 && eret->num <= 4095 ? (int)eret->num
                                                                                   : dflt;
    if (!strcmp(action->str, "SCMP_ACT_ALLOW") || !strcmp(action->str, "SCMP_ACT_LOG")) return 0;
    return -1;
}

static int names(const pj *r, const char *name)
{
    const pj *n = pj_get(r, "names");
    for (const pj *x = n && n->type == PJ_ARR ? n->child : NULL; x; x = x->next)
        if (x->type == PJ_STR && !strcmp(x->str, name)) return 1;
    const pj *legacy = pj_get(r, "name");
    return legacy && legacy->type == PJ_STR && !strcmp(legacy->str, name);
}

static int op_holds(const char *op, unsigned long long arg, unsigned long long v,
                    unsigned long long v2)
{
    if (!strcmp(op, "SCMP_CMP_NE")) return arg != v;
    if (!strcmp(op, "SCMP_CMP_LT")) return arg < v;
    if (!strcmp(op, "SCMP_CMP_LE")) return arg <= v;
    if (!strcmp(op, "SCMP_CMP_EQ")) return arg == v;
    if (!strcmp(op, "SCMP_CMP_GE")) return arg >= v;
    if (!strcmp(op, "SCMP_CMP_GT")) return arg > v;
    if (!strcmp(op, "SCMP_CMP_MASKED_EQ")) return (arg & v) == v2;
    return 0;
}

/* Whether a rule's "args" hold for these argument values, as runc (and
 * kiemthu's filter.c) compile them: one rule with every condition (AND);
 * but when some index has several conditions, each condition becomes a rule
 * of its own, whatever its index, so any of them holds (OR). -1: unreadable. */
static int args_hold(const pj *args, const unsigned long long a[6])
{
    int count[6] = {0}, all = 1, any = 0, repeated = 0;
    for (const pj *c = args->type == PJ_ARR ? args->child : NULL; c; c = c->next) {
        const pj *ix = pj_get(c, "index"), *v = pj_get(c, "value"), *op = pj_get(c, "op");
        const pj *v2 = pj_get(c, "valueTwo");
        if (!ix || ix->type != PJ_NUM || ix->num < 0 || ix->num > 5 || !v || v->type != PJ_NUM ||
            !op || op->type != PJ_STR)
            return -1;
        int i = (int)ix->num;
        repeated |= count[i]++ > 0;
        int h = op_holds(op->str, a[i], (unsigned long long)v->num,
                         v2 && v2->type == PJ_NUM ? (unsigned long long)v2->num : 0);
        all &= h;
        any |= h;
    }
    return repeated ? any : all;
}

/* One filter's answer for name called with arguments a: errno, 0 (allowed),
 * -1 (an action without errno, or unreadable rules). */
static int one(const pj *root, const char *name, const unsigned long long a[6])
{
    const pj *sys = pj_get(root, "syscalls");
    for (const pj *r = sys && sys->type == PJ_ARR ? sys->child : NULL; r; r = r->next) {
        if (!names(r, name) || !probe_rule_applies(r)) continue;
        const pj *args = pj_get(r, "args");
        int h = args ? args_hold(args, a) : 1;
        if (h < 0) return -1;
        if (h) return action_errno(pj_get(r, "action"), pj_get(r, "errnoRet"), EPERM);
    }
    const pj *der = pj_get(root, "defaultErrnoRet");
    return action_errno(pj_get(root, "defaultAction"), der, EPERM);
}

int probe_filter_errno(const probe_ctx *c, const char *name, const long args[6])
{
    unsigned long long a[6];
    for (int i = 0; i < 6; i++) a[i] = (unsigned long long)args[i];
    /* Both filters answer ERRNO where they deny: equal precedence, and the
     * kernel then takes the answer of the filter installed last, the
     * baseline. */
    int b = c->baseline ? one(c->baseline, name, a) : 0;
    if (b != 0) return b;
    return c->profile ? one(c->profile, name, a) : 0;
}
