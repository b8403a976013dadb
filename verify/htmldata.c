#include "htmldata.h"

#include "../core/json_canon.h"
#include "../core/layout.h"
#include "../core/name.h"
#include "../policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS "runs/"

/* What the report may still read: files of at most KT_HTML_FILE_MAX, and
 * KT_HTML_TOTAL_MAX in all (a bundle file's members are re-read into memory
 * and kept there until the end). */
typedef struct gather {
    kt_evidence *ev;
    const kt_verify_result *res;
    uint64_t left;
} gather;

static int by_name(const void *key, const void *elem)
{
    return strcmp(key, ((const kt_subject *)elem)->name);
}

/* The verified member evidence/rel (subjects are in byte order), or NULL. */
static const kt_subject *member(const gather *g, const char *rel)
{
    char name[KT_NAME_ENC_MAX + 16];
    if ((size_t)snprintf(name, sizeof name, KT_EVIDENCE_PREFIX "%s", rel) >= sizeof name)
        return NULL;
    return bsearch(name, g->res->subjects, g->res->nsubjects, sizeof *g->res->subjects, by_name);
}

/* runs/R/ladder.json, runs/R/P/run.json, runs/R/P/stdout, runs/R/P/out/probe.json */
int kt_html_wants(const char *rel)
{
    if (strncmp(rel, RUNS, strlen(RUNS))) return !strcmp(rel, "venue.json");
    const char *r = rel + strlen(RUNS), *s1 = strchr(r, '/');
    if (!s1 || s1 == r) return 0;
    if (!strcmp(s1 + 1, "ladder.json")) return 1;
    const char *s2 = strchr(s1 + 1, '/');
    if (!s2 || s2 == s1 + 1) return 0;
    return !strcmp(s2 + 1, "run.json") || !strcmp(s2 + 1, "stdout") ||
           !strcmp(s2 + 1, "out/probe.json");
}

/* Parse a member as JSON; on failure why says so and NULL comes back. */
static cJSON *read_json(gather *g, const char *rel, char *why, size_t cap)
{
    const kt_subject *m = member(g, rel);
    const char *data;
    size_t len;
    kt_err err;
    cJSON *doc = NULL;
    if (!m)
        snprintf(why, cap, "%.200s is not in the bundle", rel);
    else if (m->size > KT_HTML_FILE_MAX || m->size > g->left)
        snprintf(why, cap,
                 "%.150s is %llu bytes; the report reads files of at most %u bytes, "
                 "%u in all",
                 rel, (unsigned long long)m->size, KT_HTML_FILE_MAX, KT_HTML_TOTAL_MAX);
    else if (g->left -= m->size, kt_ev_get(g->ev, rel, &data, &len, &err) < 0)
        snprintf(why, cap, "%.250s", err.msg);
    else if (kt_json_parse(data, len, rel, &doc, &err) < 0)
        snprintf(why, cap, "%.250s", err.msg);
    return doc;
}

/* kiemthu-probe's report: {"probes": [{"id", ...}, ...]} */
static int is_probe_report(const cJSON *d)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "probes");
    return cJSON_IsArray(p) && cJSON_IsObject(p->child);
}

static void attempt(gather *g, const char *run, kt_html_attempt *a)
{
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(a->entry, "profile");
    const cJSON *tried = cJSON_GetObjectItemCaseSensitive(a->entry, "attempted");
    char enc[KT_NAME_ENC_MAX + 1], rel[KT_NAME_ENC_MAX + 600];
    if (!cJSON_IsString(prof) || !*prof->valuestring || strchr(prof->valuestring, '/') ||
        !strcmp(prof->valuestring, ".") || !strcmp(prof->valuestring, "..") ||
        kt_name_encode(prof->valuestring, enc, sizeof enc, NULL) < 0 || strlen(enc) > 255) {
        snprintf(a->why, sizeof a->why, "the ladder names no usable profile for this attempt");
        return;
    }
    if (cJSON_IsFalse(tried)) {
        snprintf(a->why, sizeof a->why, "not attempted");
        return;
    }
    snprintf(rel, sizeof rel, RUNS "%s/%s/run.json", run, enc);
    a->run = read_json(g, rel, a->why, sizeof a->why);
    static const char *const reports[] = {"stdout", "out/probe.json"};
    for (size_t i = 0; i < 2 && !a->probes; i++) {
        char why[256];
        snprintf(rel, sizeof rel, RUNS "%s/%s/%s", run, enc, reports[i]);
        if (!member(g, rel)) continue;
        cJSON *d = read_json(g, rel, why, sizeof why);
        if (d && is_probe_report(d)) {
            a->probes = d;
            snprintf(a->probes_file, sizeof a->probes_file, "%s", reports[i]);
        } else {
            cJSON_Delete(d);
        }
    }
}

static void one_run(gather *g, kt_html_run *r)
{
    char rel[600];
    snprintf(rel, sizeof rel, RUNS "%s/ladder.json", r->name);
    r->ladder = read_json(g, rel, r->why, sizeof r->why);
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(r->ladder, "attempts");
    if (r->ladder && !cJSON_IsArray(atts)) {
        snprintf(r->why, sizeof r->why, "%.200s has no \"attempts\" array", rel);
        return;
    }
    for (cJSON *e = atts ? atts->child : NULL; e; e = e->next) {
        if (r->n == KT_HTML_MAX_ATTEMPTS) {
            r->more = 1;
            break;
        }
        if (!cJSON_IsObject(e)) continue;
        r->att[r->n].entry = e;
        attempt(g, r->name, &r->att[r->n++]);
    }
}

static int find_runs(kt_html_data *d, const kt_verify_result *res)
{
    static const char pre[] = KT_EVIDENCE_PREFIX RUNS, suf[] = "/ladder.json";
    for (size_t i = 0; i < res->nsubjects; i++) {
        const char *name = res->subjects[i].name;
        size_t len = strlen(name);
        if (strncmp(name, pre, sizeof pre - 1) || len < sizeof pre - 1 + sizeof suf ||
            strcmp(name + len - (sizeof suf - 1), suf))
            continue;
        const char *run = name + sizeof pre - 1;
        size_t rl = len - (sizeof pre - 1) - (sizeof suf - 1);
        if (memchr(run, '/', rl) || rl >= sizeof d->runs[0].name) continue;
        if (d->n == KT_HTML_MAX_RUNS) {
            d->more_runs = 1;
            break;
        }
        if (!d->runs && !(d->runs = calloc(KT_HTML_MAX_RUNS, sizeof *d->runs))) return -1;
        memcpy(d->runs[d->n].name, run, rl);
        d->runs[d->n++].name[rl] = '\0';
    }
    return 0;
}

int kt_html_gather(kt_html_data *d, kt_evidence *ev, const kt_verify_result *res,
                   const char *policy, size_t n)
{
    memset(d, 0, sizeof *d);
    char why[256];
    gather g = {ev, res, KT_HTML_TOTAL_MAX};
    if (find_runs(d, res) < 0) return -1;
    if (policy)
        kt_json_parse(policy, n, "--policy", &d->policy, NULL);
    else if (res->policy_is_bundles)
        d->policy = read_json(&g, KT_POLICY_MEMBER, why, sizeof why);
    if (member(&g, "venue.json")) d->venue = read_json(&g, "venue.json", why, sizeof why);
    for (size_t i = 0; i < d->n; i++) one_run(&g, &d->runs[i]);
    return 0;
}

void kt_html_data_free(kt_html_data *d)
{
    for (size_t i = 0; i < d->n; i++) {
        kt_html_run *r = &d->runs[i];
        for (size_t k = 0; k < r->n; k++) {
            cJSON_Delete(r->att[k].run);
            cJSON_Delete(r->att[k].probes);
        }
        cJSON_Delete(r->ladder);
    }
    free(d->runs);
    cJSON_Delete(d->venue);
    cJSON_Delete(d->policy);
    memset(d, 0, sizeof *d);
}
