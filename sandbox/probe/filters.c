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

static pj *load(const char *path, char *why, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *text = NULL;
    struct stat st;
    pj *root = NULL;
    if (fd < 0) {
        snprintf(why, n, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) == 0 && st.st_size < (4 << 20) && (text = malloc((size_t)st.st_size + 1)) &&
        read(fd, text, (size_t)st.st_size) == st.st_size)
        root = pj_parse(text, (size_t)st.st_size, why, n);
    else
        snprintf(why, n, "%s: unreadable or too large", path);
    close(fd);
    free(text);
    return root;
}

void probe_filters_load(probe_ctx *c)
{
    if (c->cfg->profile_path)
        c->profile = load(c->cfg->profile_path, c->profile_why, sizeof c->profile_why);
    if (c->cfg->baseline_path)
        c->baseline = load(c->cfg->baseline_path, c->baseline_why, sizeof c->baseline_why);
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

/* One filter's answer for name: errno, 0 (allowed), -1 (depends on arguments
 * or an action without errno). */
static int one(const pj *root, const char *name)
{
    const pj *sys = pj_get(root, "syscalls");
    int conditional = 0;
    for (const pj *r = sys && sys->type == PJ_ARR ? sys->child : NULL; r; r = r->next) {
        if (!names(r, name) || !probe_rule_applies(r)) continue;
        if (pj_get(r, "args")) {
            conditional = 1;
            continue;
        }
        return action_errno(pj_get(r, "action"), pj_get(r, "errnoRet"), EPERM);
    }
    if (conditional) return -1;
    const pj *der = pj_get(root, "defaultErrnoRet");
    return action_errno(pj_get(root, "defaultAction"), der, EPERM);
}

int probe_filter_errno(const probe_ctx *c, const char *name)
{
    /* Both filters answer ERRNO where they deny: equal precedence, and the
     * kernel then takes the answer of the filter installed last, the profile. */
    int p = c->profile ? one(c->profile, name) : 0;
    if (p != 0) return p;
    return c->baseline ? one(c->baseline, name) : 0;
}
