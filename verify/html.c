#include "html.h"

#include "../core/b64.h"
#include "../core/buf.h"
#include "../core/escape.h"
#include "../core/json_canon.h"
#include "../core/layout.h"
#include "../core/manifest.h"
#include "../core/sha256.h"
#include "../core/ustar.h"
#include "extract.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The page's only style. The CSP allows exactly these bytes (by sha256). */
static const char css[] =
    "body{font:14px/1.4 sans-serif;margin:2em;color:#111}"
    "h1{padding:.3em .6em;border-radius:4px;color:#fff}"
    ".v-pass{background:#1a7f37}.v-fail{background:#b42318}.v-reject{background:#7a1010}"
    ".v-unchecked{background:#8a6d00}.v-authentic{background:#44546a}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}"
    "th{background:#f2f2f2}code{font:12px monospace}"
    ".r-pass{color:#1a7f37}.r-fail,.r-error,.hit{color:#b42318;font-weight:bold}"
    ".r-pass,.r-fail,.r-error{white-space:nowrap}"
    ".note{color:#555}";

/* Everything that did not come from kiemthu goes through this. */
static void h(FILE *f, const char *s)
{
    kt_esc_fputs(f, s ? s : "", KT_ESC_HTML);
}

static void code(FILE *f, const char *s)
{
    fputs("<code>", f);
    h(f, s);
    fputs("</code>", f);
}

/* A JSON value from the evidence: strings as they are, the rest as JSON. */
static void jval(FILE *f, const cJSON *v)
{
    if (!v) {
        fputs("<span class=\"note\">absent</span>", f);
    } else if (cJSON_IsString(v)) {
        h(f, v->valuestring);
    } else {
        kt_buf b;
        kt_buf_init(&b, 1u << 16);
        if (kt_json_emit(v, &b, NULL) == 0 && b.data)
            h(f, b.data);
        else
            fputs("<span class=\"note\">(too large to show)</span>", f);
        kt_buf_free(&b);
    }
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *vclass(enum kt_verdict v)
{
    switch (v) {
    case KT_VERDICT_PASS:
        return "v-pass";
    case KT_VERDICT_FAIL:
        return "v-fail";
    case KT_VERDICT_AUTHENTIC:
        return "v-authentic";
    case KT_VERDICT_UNCHECKED:
        return "v-unchecked";
    case KT_VERDICT_REJECT:
        break;
    }
    return "v-reject";
}

static const char *vtext(enum kt_verdict v)
{
    switch (v) {
    case KT_VERDICT_PASS:
        return "PASS</h1><p>Authentic and intact, and the evidence adjudicates to PASS.";
    case KT_VERDICT_FAIL:
        return "FAIL</h1><p>Authentic and intact, but the evidence adjudicates to FAIL.";
    case KT_VERDICT_AUTHENTIC:
        return "AUTHENTIC &#8212; no policy</h1><p>Authentic and intact, but <b>no policy</b> "
               "adjudicated the evidence: this is not a PASS (exit 4).";
    case KT_VERDICT_UNCHECKED:
        return "UNCHECKED</h1><p>The bundle could not be checked: no finding about it either "
               "way.";
    case KT_VERDICT_REJECT:
        break;
    }
    return "REJECT</h1><p>Not authentic or not intact.";
}

static const char *vname(enum kt_verdict v)
{
    switch (v) {
    case KT_VERDICT_PASS:
        return "PASS";
    case KT_VERDICT_FAIL:
        return "FAIL";
    case KT_VERDICT_AUTHENTIC:
        return "AUTHENTIC, no policy";
    case KT_VERDICT_UNCHECKED:
        return "UNCHECKED";
    case KT_VERDICT_REJECT:
        break;
    }
    return "REJECT";
}

static void head(FILE *f, const kt_report_in *in)
{
    uint8_t sum[KT_SHA256_LEN];
    kt_sha256(css, sizeof css - 1, sum);
    char *b64 = kt_b64_encode(sum, sizeof sum);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'sha256-",
          f);
    fputs(b64 ? b64 : "", f);
    fputs("'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n<title>kiemthu-verify: ",
          f);
    free(b64);
    fprintf(f, "%s</title>\n<style>%s</style></head>\n<body>\n", vname(in->res->verdict), css);
    fprintf(f, "<h1 class=\"v %s\">%s</p>\n", vclass(in->res->verdict), vtext(in->res->verdict));
}

static void row(FILE *f, const char *label, const char *value, int as_code)
{
    fprintf(f, "<tr><th>%s</th><td>", label);
    if (as_code)
        code(f, value);
    else
        h(f, value);
    fputs("</td></tr>\n", f);
}

/* Every signature (counted, or why not), the threshold, and the time-stamp:
 * what the text report says, in rows. */
static void signatures(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    char label[128], line[512];
    for (size_t i = 0; i < res->nsigners; i++) {
        const kt_signer *sg = &res->signers[i];
        const char *k = kt_report_key_label(in->trust, sg->key, label, sizeof label);
        fprintf(f, "<tr><th>%s</th><td>",
                sg->status == KT_SIG_COUNTED ? "signed by key" : "also signed by key");
        code(f, sg->keyid);
        if (k) {
            fputs(" (", f);
            code(f, k);
            fputs(")", f);
        }
        if (sg->status != KT_SIG_COUNTED && k) {
            fputs(": not counted, ", f);
            h(f, kt_sig_status_name(sg->status));
        } else if (sg->status != KT_SIG_COUNTED) {
            fputs(": not trusted, not checked", f);
        }
        fputs("</td></tr>\n", f);
    }
    snprintf(line, sizeof line, "%zu trusted keys signed and count, %u required", res->counted,
             res->threshold);
    row(f, "keys", line, 0);
    if (res->timestamp == 2) {
        fputs("<tr><th>time-stamped</th><td>", f);
        code(f, res->tsa.gen_time_str);
        fputs(" by ", f);
        code(f, res->tsa.tsa);
        fputs(" (verified against a pinned TSA certificate)</td></tr>\n", f);
        kt_rfc3339((uint64_t)res->ref_time, line);
        row(f, "keys judged at", line, 0);
    } else if (res->timestamp == 1) {
        fputs("<tr><th>time-stamp token</th><td>says ", f);
        code(f, res->tsa.gen_time_str);
        fputs(", <b>NOT verified</b> (pin the TSA with --tsa-cert)</td></tr>\n", f);
    }
}

static void summary(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    int auth = res->verdict == KT_VERDICT_PASS || res->verdict == KT_VERDICT_FAIL ||
               res->verdict == KT_VERDICT_AUTHENTIC;
    fputs("<table>\n", f);
    row(f, "bundle", in->bundle, 1);
    fprintf(f, "<tr><th>exit status</th><td>%d</td></tr>\n", kt_report_exit(in));
    if (!auth) {
        row(f, "reason", res->err.msg, 0);
        if (res->err.member[0]) row(f, "member", res->err.member, 1);
        row(f, "class", kt_errclass_name(res->err.cls), 0);
        fputs("</table>\n", f);
        return;
    }
    char created[32], line[512];
    kt_rfc3339(res->source_date_epoch, created);
    signatures(f, in);
    row(f, "created (SOURCE_DATE_EPOCH)", created, 0);
    snprintf(line, sizeof line, "%zu (%zu evidence files, each matching its sha256)", res->members,
             res->evidence);
    row(f, "members", line, 0);
    if (res->adjudicated) {
        snprintf(line, sizeof line, "%s, sha256 %s (%s)", res->policy_name, res->policy_sha256,
                 res->policy_is_bundles ? "the bundle's own" : "the auditor's, --policy");
        row(f, "policy", line, 0);
    } else {
        row(f, "policy", "none: the bundle has none and --policy was not given", 0);
    }
    fputs("</table>\n", f);
}

static void venue(FILE *f, const kt_html_data *d)
{
    if (!cJSON_IsObject(d->venue)) return;
    fputs("<h2>Venue</h2>\n<p class=\"note\">venue.json, as the CI wrote it.</p>\n<table>\n", f);
    for (const cJSON *v = d->venue->child; v; v = v->next) {
        fputs("<tr><th>", f);
        h(f, v->string);
        fputs("</th><td>", f);
        jval(f, v);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A check's parameters in the policy in use: what it expected. */
static void expected(FILE *f, const kt_html_data *d, const char *id)
{
    const cJSON *checks = get(d ? d->policy : NULL, "checks");
    for (const cJSON *c = cJSON_IsArray(checks) ? checks->child : NULL; c; c = c->next) {
        const cJSON *cid = get(c, "id");
        if (!cJSON_IsString(cid) || strcmp(cid->valuestring, id)) continue;
        for (const cJSON *p = c->child; p; p = p->next) {
            if (!strcmp(p->string, "id") || !strcmp(p->string, "type") ||
                !strcmp(p->string, "description"))
                continue;
            code(f, p->string);
            fputs(" = ", f);
            jval(f, p);
            fputs("<br>", f);
        }
        return;
    }
    fputs("<span class=\"note\">(policy not readable)</span>", f);
}

static void checks(FILE *f, const kt_report_in *in, const kt_html_data *d)
{
    const kt_verify_result *res = in->res;
    if (!res->adjudicated) return;
    size_t pass = 0;
    for (size_t i = 0; i < res->adj.n; i++) pass += res->adj.checks[i].result == KT_RESULT_PASS;
    fprintf(f, "<h2>Checks: %zu/%zu pass</h2>\n", pass, res->adj.n);
    fputs("<p class=\"note\">Re-derived offline from the raw evidence. Expected: the check's "
          "parameters in the policy; found: what the evidence gave.</p>\n<table>\n"
          "<tr><th>check</th><th>type</th><th>result</th><th>expected</th><th>found</th></tr>\n",
          f);
    for (size_t i = 0; i < res->adj.n; i++) {
        const kt_check_out *c = &res->adj.checks[i];
        fputs("<tr><td>", f);
        code(f, c->id);
        fputs("<br><span class=\"note\">", f);
        h(f, c->description);
        fputs("</span></td><td>", f);
        code(f, c->type);
        fprintf(f, "</td><td class=\"r-%s\">%s</td><td>", kt_result_name(c->result),
                kt_result_name(c->result));
        expected(f, d, c->id);
        fputs("</td><td>", f);
        h(f, c->reason);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* limits.<name>.hit: true (hit), false, null (cannot know: rlimit mode) */
static void hits(FILE *f, const cJSON *run)
{
    static const char *const names[] = {"pids", "memory", "memory_swap", "cpus"};
    const cJSON *lim = get(run, "limits");
    for (size_t i = 0; i < 4; i++) {
        const cJSON *l = get(lim, names[i]), *hit = get(l, "hit");
        fprintf(f, "%s: ", names[i]);
        if (cJSON_IsTrue(hit))
            fputs("<span class=\"hit\">HIT</span>", f);
        else if (cJSON_IsFalse(hit))
            fputs("not hit", f);
        else
            fputs("<span class=\"note\">unknown</span>", f);
        if (get(l, "enforced_by")) {
            fputs(" (", f);
            jval(f, get(l, "enforced_by"));
            fputs(")", f);
        }
        fputs("<br>", f);
    }
}

static void ladder(FILE *f, const kt_html_run *r)
{
    fputs("<h3>Run ", f);
    code(f, r->name);
    fputs("</h3>\n", f);
    if (!r->ladder) {
        fputs("<p class=\"note\">", f);
        h(f, r->why);
        fputs("</p>\n", f);
        return;
    }
    fputs("<p>Canonical profile (the first, strictest first, under which the payload started): ",
          f);
    jval(f, get(r->ladder, "canonical"));
    if (!cJSON_IsNull(get(r->ladder, "runner_error")) && get(r->ladder, "runner_error")) {
        fputs("; runner error: ", f);
        jval(f, get(r->ladder, "runner_error"));
    }
    if (!cJSON_IsNull(get(r->ladder, "interrupted")) && get(r->ladder, "interrupted")) {
        fputs("; interrupted: ", f);
        jval(f, get(r->ladder, "interrupted"));
    }
    fputs("</p>\n<table>\n<tr><th>#</th><th>profile</th><th>started</th><th>outcome</th>"
          "<th>exit code</th><th>limits</th></tr>\n",
          f);
    for (size_t i = 0; i < r->n; i++) {
        const kt_html_attempt *a = &r->att[i];
        fprintf(f, "<tr><td>%zu</td><td>", i + 1);
        jval(f, get(a->entry, "profile"));
        fputs("</td><td>", f);
        jval(f, get(a->entry, "started"));
        fputs("</td><td>", f);
        jval(f, get(a->run ? a->run : a->entry, "outcome"));
        fputs("</td><td>", f);
        if (!a->run) {
            fputs("<span class=\"note\">", f);
            h(f, a->why);
            fputs("</span></td><td></td></tr>\n", f);
            continue;
        }
        jval(f, get(a->run, "exit_code"));
        if (cJSON_IsString(get(a->run, "signal_name"))) {
            fputs(", signal ", f);
            jval(f, get(a->run, "signal_name"));
        }
        if (cJSON_IsTrue(get(a->run, "timed_out"))) fputs(", <b>timed out</b>", f);
        if (cJSON_IsTrue(get(a->run, "oom_killed"))) fputs(", <b>OOM-killed</b>", f);
        fputs("</td><td>", f);
        hits(f, a->run);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (r->more)
        fprintf(f, "<p class=\"note\">Only the first %d attempts are shown.</p>\n",
                KT_HTML_MAX_ATTEMPTS);
}

static void probes(FILE *f, const kt_html_run *r, const kt_html_attempt *a)
{
    const cJSON *list = get(a->probes, "probes");
    size_t n = 0, ok = 0;
    for (const cJSON *p = list->child; p; p = p->next, n++) ok += cJSON_IsTrue(get(p, "pass"));
    fputs("<h3>Probes of ", f);
    code(f, r->name);
    fputs(" under ", f);
    jval(f, get(a->entry, "profile"));
    fprintf(f, ": %zu/%zu pass</h3>\n<p class=\"note\">From ", ok, n);
    code(f, a->probes_file);
    fputs(": what the payload reported from inside (the policy's probe checks pin which probes "
          "and which program).</p>\n<table>\n<tr><th>probe</th><th>pass</th><th>expected</th>"
          "<th>observed</th></tr>\n",
          f);
    size_t shown = 0;
    for (const cJSON *p = list->child; p && shown < 1000; p = p->next, shown++) {
        fprintf(f, "<tr><td>");
        jval(f, get(p, "id"));
        fprintf(f, "</td><td class=\"r-%s\">", cJSON_IsTrue(get(p, "pass")) ? "pass" : "fail");
        jval(f, get(p, "pass"));
        fputs("</td><td>", f);
        jval(f, get(p, "expect"));
        fputs("</td><td>", f);
        jval(f, get(p, "observed"));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (shown < n)
        fprintf(f, "<p class=\"note\">Only the first %zu probes are shown.</p>\n", shown);
}

static void runs(FILE *f, const kt_html_data *d)
{
    if (!d || !d->n) return;
    fputs("<h2>Runs: the profile ladders</h2>\n", f);
    for (size_t i = 0; i < d->n; i++) ladder(f, &d->runs[i]);
    if (d->more_runs)
        fprintf(f, "<p class=\"note\">Only the first %d runs are shown.</p>\n", KT_HTML_MAX_RUNS);
    for (size_t i = 0; i < d->n; i++)
        for (size_t k = 0; k < d->runs[i].n; k++)
            if (d->runs[i].att[k].probes) probes(f, &d->runs[i], &d->runs[i].att[k]);
}

static void member(FILE *f, const char *name, uint64_t size, const uint8_t *sha)
{
    static char file[KT_TAR_NAME_MAX + 1];
    char hex[KT_SHA256_HEX];
    kt_hex(sha, KT_SHA256_LEN, hex);
    fputs("<tr><td>", f);
    code(f, name);
    fputs("</td><td>", f);
    if (kt_extract_path(name, file, sizeof file, NULL) == 0 && strcmp(file, name)) h(f, file);
    fprintf(f, "</td><td>%" PRIu64 "</td><td><code>%s</code></td></tr>\n", size, hex);
}

static void members(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    fprintf(f,
            "<h2>Members: %zu</h2>\n<table>\n<tr><th>member</th><th>file name (where it "
            "differs)</th><th>bytes</th><th>sha256</th></tr>\n",
            res->members);
    for (size_t i = 0; i < res->nsubjects; i++)
        member(f, res->subjects[i].name, res->subjects[i].size, res->subjects[i].sha256);
    for (int i = 0; i < 2; i++)
        member(f, res->meta[i].name, res->meta[i].size, res->meta[i].sha256);
    fputs("</table>\n", f);
}

static void extracted(FILE *f, const kt_report_in *in)
{
    if (!in->extract) return;
    fputs("<p>Extract into ", f);
    code(f, in->extract);
    if (in->extracted)
        fprintf(f, ": %zu files written.</p>\n", in->extracted_files);
    else {
        fputs(": <b>nothing written</b>: ", f);
        h(f, in->res->verdict == KT_VERDICT_REJECT || in->res->verdict == KT_VERDICT_UNCHECKED
                 ? "the bundle did not verify"
                 : in->extract_err.msg);
        fputs("</p>\n", f);
    }
}

int kt_report_html(FILE *f, const kt_report_in *in, const kt_html_data *d)
{
    const kt_verify_result *res = in->res;
    int auth = res->verdict == KT_VERDICT_PASS || res->verdict == KT_VERDICT_FAIL ||
               res->verdict == KT_VERDICT_AUTHENTIC;
    head(f, in);
    summary(f, in);
    extracted(f, in);
    if (auth) {
        if (d) venue(f, d);
        checks(f, in, d);
        runs(f, d);
        members(f, in);
    }
    fputs("<p class=\"note\">kiemthu-verify " KT_VERSION ", offline. This page loads nothing "
          "and runs nothing; every string from the bundle is shown as text.</p>\n"
          "</body></html>\n",
          f);
    return 0;
}
