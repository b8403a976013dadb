/* checks_probe.c - check types over a probe report, the JSON kiemthu-probe
 * prints: {"probes": [{"id", "expect", "observed", "pass"}...], "passed",
 * "total"}. The report comes from the payload's own output, so it proves
 * nothing alone: probe_ids pins which probes ran, and the run's image pin
 * (image_pinned) says which program printed them. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct report {
    cJSON *doc;
    const cJSON *probes;
    long long n, ok;
    const char *first_bad;
    char path[600];
} report;

/* Read the check's report and hold it to its own counts; -1 when decided. */
static int load_report(check_ctx *c, report *r)
{
    char buf[256];
    memset(r, 0, sizeof *r);
    const char *prof = ck_profile_of(c, buf, sizeof buf);
    if (!prof) return -1;
    snprintf(r->path, sizeof r->path, "runs/%s/%s/%s", ck_str(c, "run"), prof,
             ck_str(c, "file") ? ck_str(c, "file") : "stdout");
    if (!(r->doc = ck_json_file(c, r->path))) return -1;
    r->probes = cJSON_GetObjectItemCaseSensitive(r->doc, "probes");
    const cJSON *passed = cJSON_GetObjectItemCaseSensitive(r->doc, "passed");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(r->doc, "total");
    if (!cJSON_IsArray(r->probes) || !kt_json_is_int(passed) || !kt_json_is_int(total)) {
        ck_verdict(c, KT_RESULT_ERROR,
                   "%s: needs \"probes\" array and integer \"passed\", \"total\"", r->path);
        return -1;
    }
    for (const cJSON *p = r->probes->child; p; p = p->next, r->n++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
        const cJSON *pass = cJSON_GetObjectItemCaseSensitive(p, "pass");
        if (!cJSON_IsString(id) || !cJSON_IsBool(pass) ||
            !cJSON_GetObjectItemCaseSensitive(p, "expect") ||
            !cJSON_GetObjectItemCaseSensitive(p, "observed")) {
            ck_verdict(c, KT_RESULT_ERROR, "%s: probe %lld is not {id, expect, observed, pass}",
                       r->path, r->n);
            return -1;
        }
        if (cJSON_IsTrue(pass))
            r->ok++;
        else if (!r->first_bad)
            r->first_bad = id->valuestring;
    }
    if (passed->valuedouble != (double)r->ok || total->valuedouble != (double)r->n) {
        ck_verdict(c, KT_RESULT_ERROR, "%s: says %lld/%lld but lists %lld/%lld", r->path,
                   (long long)passed->valuedouble, (long long)total->valuedouble, r->ok, r->n);
        return -1;
    }
    return 0;
}

void ck_probe_report(check_ctx *c)
{
    report r;
    if (load_report(c, &r) == 0) {
        long long min = ck_num(c, "min_probes", 0);
        if (r.first_bad)
            ck_verdict(c, KT_RESULT_FAIL, "%lld/%lld probes pass; first failing: %.64s", r.ok, r.n,
                       r.first_bad);
        else if (r.n < min)
            ck_verdict(c, KT_RESULT_FAIL, "%lld probes, fewer than %lld", r.n, min);
        else
            ck_verdict(c, KT_RESULT_PASS, "%lld/%lld probes pass", r.ok, r.n);
    }
    cJSON_Delete(r.doc);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append ", name" to a list in out, or count it once out is full. */
static void list_add(char *out, size_t cap, int *more, const char *name)
{
    size_t used = strlen(out);
    if (*more || used + strlen(name) + 3 > cap - 16) {
        (*more)++;
        return;
    }
    snprintf(out + used, cap - used, "%s%.64s", used ? ", " : "", name);
}

static void list_end(char *out, size_t cap, int more)
{
    size_t used = strlen(out);
    if (more) snprintf(out + used, cap - used, " (+%d more)", more);
}

/* Sorted copies of the pinned ids, and how often the report lists each:
 * O((n + m) log m) whatever a payload prints. */
void ck_probe_ids(check_ctx *c)
{
    report r;
    if (load_report(c, &r) < 0) {
        cJSON_Delete(r.doc);
        return;
    }
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->chk, "ids");
    size_t m = (size_t)cJSON_GetArraySize(ids), k = 0;
    const char **want = calloc(m, sizeof *want);
    int *seen = calloc(m, sizeof *seen);
    if (!want || !seen) {
        ck_verdict(c, KT_RESULT_ERROR, "out of memory");
        goto out;
    }
    for (const cJSON *i = ids->child; i; i = i->next) want[k++] = i->valuestring;
    qsort(want, m, sizeof *want, cmp_str);
    char extra[140] = "", missing[140] = "", twice[100] = "";
    int nextra = 0, nmissing = 0, ntwice = 0;
    for (const cJSON *p = r.probes->child; p; p = p->next) {
        const char *id = cJSON_GetObjectItemCaseSensitive(p, "id")->valuestring;
        const char **hit = bsearch(&id, want, m, sizeof *want, cmp_str);
        if (!hit)
            list_add(extra, sizeof extra, &nextra, id);
        else if (seen[hit - want]++ == 1)
            list_add(twice, sizeof twice, &ntwice, id);
    }
    for (size_t i = 0; i < m; i++)
        if (!seen[i]) list_add(missing, sizeof missing, &nmissing, want[i]);
    list_end(extra, sizeof extra, nextra);
    list_end(missing, sizeof missing, nmissing);
    list_end(twice, sizeof twice, ntwice);
    if (!extra[0] && !missing[0] && !twice[0])
        ck_verdict(c, KT_RESULT_PASS, "%s lists exactly the %zu pinned probe ids", r.path, m);
    else
        ck_verdict(c, KT_RESULT_FAIL,
                   "%s lists %lld probes, pinned %zu; missing: %s; unexpected: %s%s%s", r.path, r.n,
                   m, missing[0] ? missing : "none", extra[0] ? extra : "none",
                   twice[0] ? "; listed twice: " : "", twice);
out:
    free(want);
    free(seen);
    cJSON_Delete(r.doc);
}
