#include "want.h"

#include "../core/json_canon.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

typedef struct want_check {
    char *run;   /* NULL if the check names no run */
    char **strs; /* its other string parameters */
    size_t nstrs;
} want_check;

struct kt_want {
    int all;
    want_check *c;
    size_t n, cap;
};

static int skip_key(const char *k)
{
    return !strcmp(k, "id") || !strcmp(k, "type") || !strcmp(k, "description") ||
           !strcmp(k, "run") || !strcmp(k, "profile");
}

static int add_check(kt_want *w, const cJSON *chk)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        want_check *p = realloc(w->c, cap * sizeof *p);
        if (!p) return -1;
        w->c = p;
        w->cap = cap;
    }
    want_check *c = &w->c[w->n];
    memset(c, 0, sizeof *c);
    w->n++;
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(chk, "run");
    if (cJSON_IsString(run) && !(c->run = strdup(run->valuestring))) return -1;
    size_t n = 0;
    for (const cJSON *p = chk->child; p; p = p->next)
        n += cJSON_IsString(p) && !skip_key(p->string);
    if (n && !(c->strs = calloc(n, sizeof *c->strs))) return -1;
    for (const cJSON *p = chk->child; p; p = p->next)
        if (cJSON_IsString(p) && !skip_key(p->string) &&
            !(c->strs[c->nstrs++] = strdup(p->valuestring)))
            return -1;
    return 0;
}

int kt_want_add(kt_want **wp, const char *policy, size_t n)
{
    if (!*wp && !(*wp = calloc(1, sizeof **wp))) return -1;
    kt_want *w = *wp;
    cJSON *doc = NULL;
    const cJSON *checks = NULL;
    if (kt_json_parse(policy, n, "policy", &doc, NULL) == 0)
        checks = cJSON_GetObjectItemCaseSensitive(doc, "checks");
    if (!cJSON_IsArray(checks)) {
        w->all = 1;
        cJSON_Delete(doc);
        return 0;
    }
    int rc = 0;
    for (const cJSON *chk = checks->child; chk && rc == 0; chk = chk->next)
        rc = cJSON_IsObject(chk) ? add_check(w, chk) : (w->all = 1, 0);
    cJSON_Delete(doc);
    return rc;
}

/* rest (below runs/R/P/) is something a check about R may read */
static int run_file(const want_check *c, const char *rest)
{
    static const char *const fixed[] = {"run.json", "stdout", "stderr"};
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(rest, fixed[i])) return 1;
    static const char *const triplet[] = {"/report.json", "/report.md", "/report.sha256"};
    for (size_t i = 0; i <= c->nstrs; i++) {
        const char *s = i < c->nstrs ? c->strs[i] : "out";
        size_t len = strlen(s);
        if (i < c->nstrs && !strcmp(rest, s)) return 1;
        if (strncmp(rest, s, len)) continue;
        for (size_t k = 0; k < 3; k++)
            if (!strcmp(rest + len, triplet[k])) return 1;
    }
    return 0;
}

static int check_wants(const want_check *c, const char *path)
{
    for (size_t i = 0; i < c->nstrs; i++)
        if (!strcmp(path, c->strs[i])) return 1;
    if (!c->run || strncmp(path, "runs/", 5)) return 0;
    const char *p = path + 5;
    size_t rl = strlen(c->run);
    if (strncmp(p, c->run, rl) || p[rl] != '/') return 0;
    p += rl + 1;
    if (!strcmp(p, "ladder.json")) return 1;
    const char *slash = strchr(p, '/'); /* after the profile component */
    return slash && slash != p && run_file(c, slash + 1);
}

int kt_want_member(const kt_want *w, const char *path)
{
    if (!w) return 0;
    if (w->all) return 1;
    for (size_t i = 0; i < w->n; i++)
        if (check_wants(&w->c[i], path)) return 1;
    return 0;
}

void kt_want_free(kt_want *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->c[i].run);
        for (size_t k = 0; k < w->c[i].nstrs; k++) free(w->c[i].strs[k]);
        free(w->c[i].strs);
    }
    free(w->c);
    free(w);
}
