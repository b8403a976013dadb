#include "report.h"

#include "../core/buf.h"
#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/json_canon.h"
#include "../core/jsonb.h"
#include "../core/layout.h"
#include "../core/manifest.h"
#include "extract.h"
#include "html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every string printed here may come from the bundle, the evidence, the
 * policy or the command line: each goes through core/escape.h. */

static const char *verdict_name(enum kt_verdict v)
{
    switch (v) {
    case KT_VERDICT_PASS:
        return "PASS";
    case KT_VERDICT_FAIL:
        return "FAIL";
    case KT_VERDICT_UNCHECKED:
        return "UNCHECKED";
    case KT_VERDICT_AUTHENTIC:
        return "AUTHENTIC";
    case KT_VERDICT_REJECT:
        return "REJECT";
    }
    return "REJECT";
}

static int authentic(const kt_verify_result *res)
{
    return res->verdict == KT_VERDICT_PASS || res->verdict == KT_VERDICT_FAIL ||
           res->verdict == KT_VERDICT_AUTHENTIC;
}

static int verdict_exit(const kt_verify_result *res)
{
    switch (res->verdict) {
    case KT_VERDICT_PASS:
        return KT_EXIT_OK;
    case KT_VERDICT_FAIL:
        return KT_EXIT_FAIL;
    case KT_VERDICT_UNCHECKED:
        return KT_EXIT_UNCHECKED;
    case KT_VERDICT_AUTHENTIC:
        return KT_EXIT_NO_POLICY;
    case KT_VERDICT_REJECT:
        return KT_EXIT_REJECT;
    }
    return KT_EXIT_REJECT;
}

int kt_report_exit(const kt_report_in *in)
{
    /* a bundle that did not verify: its verdict, nothing was extracted */
    if (!authentic(in->res) || !in->extract || in->extracted) return verdict_exit(in->res);
    return in->extract_err.cls == KT_E_IO ? KT_EXIT_IOERR : KT_EXIT_CANTCREAT;
}

static size_t passed(const kt_verify_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->adj.n; i++) n += res->adj.checks[i].result == KT_RESULT_PASS;
    return n;
}

/* A string value, escaped (KT_ESC_TEXT); NULL gives null. */
static void jstr(kt_jb *b, cJSON *o, const char *key, const char *v)
{
    if (!v) {
        kt_jb_null(b, o, key);
        return;
    }
    char *e = kt_esc_dup(v, KT_ESC_TEXT);
    kt_jb_item(b, o, key, e ? cJSON_CreateString(e) : NULL);
    free(e);
}

static void json_checks(kt_jb *b, cJSON *o, const kt_verify_result *res)
{
    if (!res->adjudicated) {
        kt_jb_null(b, o, "policy");
        kt_jb_arr(b, o, "checks");
        return;
    }
    cJSON *pol = kt_jb_obj(b, o, "policy");
    jstr(b, pol, "name", res->policy_name);
    jstr(b, pol, "sha256", res->policy_sha256);
    kt_jb_bool(b, pol, "bundled", res->policy_is_bundles);
    cJSON *arr = kt_jb_arr(b, o, "checks");
    for (size_t i = 0; i < res->adj.n; i++) {
        const kt_check_out *c = &res->adj.checks[i];
        cJSON *e = kt_jb_obj(b, arr, NULL);
        jstr(b, e, "id", c->id);
        jstr(b, e, "type", c->type);
        jstr(b, e, "description", c->description);
        jstr(b, e, "result", kt_result_name(c->result));
        jstr(b, e, "reason", c->reason);
    }
}

const char *kt_report_key_label(const kt_trust *t, int k, char *buf, size_t n)
{
    if (k < 0) return NULL;
    const kt_trusted_key *key = &t->keys[k];
    if (key->file) return key->file;
    snprintf(buf, n, "keyring: %s", key->name);
    return buf;
}

static void json_trust(kt_jb *b, cJSON *o, const kt_trust *t, const kt_verify_result *res)
{
    kt_jb_int(b, o, "threshold", res->threshold);
    cJSON *arr = kt_jb_arr(b, o, "signatures");
    for (size_t i = 0; i < res->nsigners; i++) {
        const kt_signer *sg = &res->signers[i];
        char buf[128];
        cJSON *e = kt_jb_obj(b, arr, NULL);
        jstr(b, e, "keyid", sg->keyid);
        jstr(b, e, "key", kt_report_key_label(t, sg->key, buf, sizeof buf));
        jstr(b, e, "status", kt_sig_status_name(sg->status));
    }
    if (!res->timestamp) {
        kt_jb_null(b, o, "timestamp");
    } else {
        cJSON *ts = kt_jb_obj(b, o, "timestamp");
        kt_jb_bool(b, ts, "verified", res->timestamp == 2);
        jstr(b, ts, "gen_time", res->tsa.gen_time_str);
        jstr(b, ts, "tsa", res->timestamp == 2 ? res->tsa.tsa : NULL);
        jstr(b, ts, "serial", res->tsa.serial);
    }
    char when[32];
    kt_rfc3339((uint64_t)res->ref_time, when);
    jstr(b, o, "keys_judged_at", when);
}

static void json_member(kt_jb *b, cJSON *arr, const char *name, uint64_t size,
                        const uint8_t sha[KT_SHA256_LEN])
{
    char hex[KT_SHA256_HEX], file[KT_TAR_NAME_MAX + 1];
    kt_hex(sha, KT_SHA256_LEN, hex);
    cJSON *e = kt_jb_obj(b, arr, NULL);
    jstr(b, e, "name", name);
    kt_jb_int(b, e, "size", (int64_t)size);
    jstr(b, e, "sha256", hex);
    jstr(b, e, "file", kt_extract_path(name, file, sizeof file, NULL) == 0 ? file : NULL);
}

/* --list: every member in archive order, from the verified stream; "file"
 * is where --extract writes it (null: it cannot be a file here). */
static void json_members(kt_jb *b, cJSON *o, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    if (!in->list || !authentic(res)) {
        kt_jb_null(b, o, "member_list");
        return;
    }
    cJSON *arr = kt_jb_arr(b, o, "member_list");
    for (size_t i = 0; i < res->nsubjects; i++)
        json_member(b, arr, res->subjects[i].name, res->subjects[i].size, res->subjects[i].sha256);
    for (size_t i = 0; i < res->nmeta; i++)
        json_member(b, arr, res->meta[i].name, res->meta[i].size, res->meta[i].sha256);
}

static void json_extract(kt_jb *b, cJSON *o, const kt_report_in *in)
{
    if (!in->extract) {
        kt_jb_null(b, o, "extract");
        return;
    }
    cJSON *x = kt_jb_obj(b, o, "extract");
    jstr(b, x, "dir", in->extract);
    kt_jb_bool(b, x, "extracted", in->extracted);
    kt_jb_int(b, x, "files", in->extracted ? (int64_t)in->extracted_files : 0);
    if (in->extracted) {
        kt_jb_null(b, x, "reason");
        return;
    }
    cJSON *r = kt_jb_obj(b, x, "reason");
    int auth = authentic(in->res);
    jstr(b, r, "class", kt_errclass_name(auth ? in->extract_err.cls : in->res->err.cls));
    jstr(b, r, "message",
         auth ? in->extract_err.msg : "nothing was written: the bundle did not verify");
    jstr(b, r, "member", NULL);
}

/* What any JSON report has, verdict or not (schema 2: verdict may be
 * AUTHENTIC, or null when none was reached). */
static cJSON *json_head(kt_jb *b, const char *bundle, const char *verdict, int exit_code)
{
    cJSON *o = b->root;
    kt_jb_int(b, o, "schema", 2);
    jstr(b, o, "tool", "kiemthu-verify " KT_VERSION);
    jstr(b, o, "bundle", bundle);
    jstr(b, o, "verdict", verdict);
    kt_jb_int(b, o, "exit_code", exit_code);
    return o;
}

/* The JSON object when even building one failed (out of memory): fixed
 * bytes, the same keys, so that a reader still gets exactly one object. */
static const char json_fallback[] =
    "{\"adjudicated\":false,\"bundle\":null,\"checks\":[],\"created\":null,"
    "\"evidence_members\":0,\"exit_code\":3,\"extract\":null,\"key_file\":null,"
    "\"key_id\":null,\"member_list\":null,\"members\":0,\"policy\":null,\"reason\":{\"class\":"
    "\"nomem\",\"member\":null,"
    "\"message\":\"out of memory while building the JSON report\"},\"schema\":2,"
    "\"tool\":\"kiemthu-verify " KT_VERSION "\",\"verdict\":\"UNCHECKED\"}\n";

static int emit_json(FILE *f, kt_jb *b)
{
    cJSON *doc;
    if (kt_jb_done(b, &doc, "the JSON report", NULL) < 0) {
        fputs(json_fallback, f);
        return -1;
    }
    kt_buf out;
    kt_buf_init(&out, 0);
    int rc = kt_json_emit_doc(doc, &out, NULL);
    if (rc == 0)
        fputs(out.data, f);
    else
        fputs(json_fallback, f);
    kt_buf_free(&out);
    cJSON_Delete(doc);
    return rc;
}

int kt_report_no_verdict_json(FILE *f, const char *bundle, int exit_code, const char *cls,
                              const char *why, const char *usage)
{
    kt_jb b;
    kt_jb_init(&b);
    cJSON *o = json_head(&b, bundle, NULL, exit_code);
    /* the keys of every report, so that a reader needs no second shape */
    kt_jb_bool(&b, o, "adjudicated", 0);
    kt_jb_null(&b, o, "key_id");
    kt_jb_null(&b, o, "key_file");
    kt_jb_null(&b, o, "created");
    kt_jb_int(&b, o, "members", 0);
    kt_jb_int(&b, o, "evidence_members", 0);
    kt_jb_null(&b, o, "policy");
    kt_jb_arr(&b, o, "checks");
    kt_jb_null(&b, o, "member_list");
    kt_jb_null(&b, o, "extract");
    if (why) {
        cJSON *r = kt_jb_obj(&b, o, "reason");
        jstr(&b, r, "class", cls);
        jstr(&b, r, "message", why);
        kt_jb_null(&b, r, "member");
    } else {
        kt_jb_null(&b, o, "reason");
    }
    if (usage) jstr(&b, o, "usage", usage);
    return emit_json(f, &b);
}

static int print_json(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    const kt_trust *trust = in->trust;
    kt_jb b;
    kt_jb_init(&b);
    int auth = authentic(res);
    cJSON *o = json_head(&b, in->bundle, verdict_name(res->verdict), kt_report_exit(in));
    kt_jb_bool(&b, o, "adjudicated", auth && res->adjudicated);
    jstr(&b, o, "key_id", auth ? res->keyid : NULL);
    char label[128];
    jstr(&b, o, "key_file",
         auth ? kt_report_key_label(trust, (int)res->key_index, label, sizeof label) : NULL);
    char created[32];
    kt_rfc3339(res->source_date_epoch, created);
    jstr(&b, o, "created", auth ? created : NULL);
    kt_jb_int(&b, o, "members", (int64_t)res->members);
    kt_jb_int(&b, o, "evidence_members", (int64_t)res->evidence);
    if (res->verdict == KT_VERDICT_REJECT || res->verdict == KT_VERDICT_UNCHECKED) {
        cJSON *r = kt_jb_obj(&b, o, "reason");
        jstr(&b, r, "class", kt_errclass_name(res->err.cls));
        jstr(&b, r, "message", res->err.msg);
        jstr(&b, r, "member", res->err.member[0] ? res->err.member : NULL);
    } else {
        kt_jb_null(&b, o, "reason");
    }
    if (auth) json_trust(&b, o, trust, res);
    json_checks(&b, o, res);
    json_members(&b, o, in);
    json_extract(&b, o, in);
    return emit_json(f, &b);
}

/* Markdown for a CI summary page: the structure is ours; every outside
 * string is HTML-escaped (no tag, link, emphasis or table cell can start). */
static void md(FILE *f, const char *s)
{
    kt_esc_fputs(f, s, KT_ESC_HTML);
}

static void md_code(FILE *f, const char *s)
{
    fputs("<code>", f);
    md(f, s);
    fputs("</code>", f);
}

static void md_list(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    char hex[KT_SHA256_HEX];
    if (in->list && authentic(res)) {
        fputs("\n| member | bytes | sha256 |\n|---|---|---|\n", f);
        for (size_t i = 0; i < res->nsubjects + res->nmeta; i++) {
            int sub = i < res->nsubjects;
            kt_hex(sub ? res->subjects[i].sha256 : res->meta[i - res->nsubjects].sha256,
                   KT_SHA256_LEN, hex);
            fputs("| ", f);
            md_code(f, sub ? res->subjects[i].name : res->meta[i - res->nsubjects].name);
            fprintf(f, " | %llu | <code>%s</code> |\n",
                    (unsigned long long)(sub ? res->subjects[i].size
                                             : res->meta[i - res->nsubjects].size),
                    hex);
        }
    }
    if (!in->extract) return;
    fputs("\n- extract into ", f);
    md_code(f, in->extract);
    if (in->extracted) {
        fprintf(f, ": %zu files written\n", in->extracted_files);
    } else {
        fputs(": **nothing written**: ", f);
        md(f, authentic(res) ? in->extract_err.msg : "the bundle did not verify");
        fputs("\n", f);
    }
}

static int print_markdown(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    const char *bundle = in->bundle;
    const kt_trust *trust = in->trust;
    fprintf(f, "## kiemthu-verify: %s\n\n- bundle: ",
            res->verdict == KT_VERDICT_AUTHENTIC ? "AUTHENTIC, no policy"
                                                 : verdict_name(res->verdict));
    md_code(f, bundle);
    fputs("\n", f);
    if (res->verdict == KT_VERDICT_REJECT || res->verdict == KT_VERDICT_UNCHECKED) {
        fputs(res->verdict == KT_VERDICT_REJECT ? "- **not authentic or not intact**: "
                                                : "- **could not be checked** (no finding about "
                                                  "the bundle): ",
              f);
        md(f, res->err.msg);
        fputs("\n", f);
        if (res->err.member[0]) {
            fputs("- member: ", f);
            md_code(f, res->err.member);
            fputs("\n", f);
        }
        md_list(f, in);
        return 0;
    }
    for (size_t i = 0; i < res->nsigners; i++) {
        const kt_signer *sg = &res->signers[i];
        char buf[128];
        const char *label = kt_report_key_label(trust, sg->key, buf, sizeof buf);
        fputs(sg->status == KT_SIG_COUNTED ? "- signed by key " : "- also signed by key ", f);
        md_code(f, sg->keyid);
        if (label) {
            fputs(" (", f);
            md_code(f, label);
            fputs(")", f);
        }
        if (sg->status != KT_SIG_COUNTED)
            fprintf(f, ": not counted, %s", kt_sig_status_name(sg->status));
        fputs("\n", f);
    }
    fprintf(f, "- %zu trusted keys signed and count, %u required\n", res->counted, res->threshold);
    if (res->timestamp) {
        fputs("- time-stamped ", f);
        md_code(f, res->tsa.gen_time_str);
        if (res->timestamp == 2) {
            fputs(" by ", f);
            md_code(f, res->tsa.tsa);
            fputs(" (verified against a pinned TSA certificate)\n", f);
        } else {
            fputs(" (not verified: no TSA certificate pinned, --tsa-cert)\n", f);
        }
    }
    fprintf(f, "- %zu members, %zu evidence files, each matching its sha256\n", res->members,
            res->evidence);
    if (!res->adjudicated) {
        fputs("- **no policy**: authentic and intact, but nothing adjudicated the evidence "
              "(exit 4; adjudicate with <code>--policy FILE</code>)\n",
              f);
        md_list(f, in);
        return 0;
    }
    fputs("- policy ", f);
    md_code(f, res->policy_name);
    fputs(", sha256 ", f);
    md_code(f, res->policy_sha256);
    fprintf(f, " (%s)\n- checks: %zu/%zu pass\n\n",
            res->policy_is_bundles ? "the bundle's own" : "the auditor's", passed(res), res->adj.n);
    fputs("| check | result | reason |\n|---|---|---|\n", f);
    for (size_t i = 0; i < res->adj.n; i++) {
        const kt_check_out *c = &res->adj.checks[i];
        fputs("| ", f);
        md_code(f, c->id);
        fprintf(f, " | %s | ", kt_result_name(c->result));
        md(f, c->reason);
        fputs(" |\n", f);
    }
    md_list(f, in);
    return 0;
}

/* The signatures, the threshold and the time, as text. */
static void text_trust(FILE *f, const kt_trust *trust, const kt_verify_result *res)
{
    for (size_t i = 0; i < res->nsigners; i++) {
        const kt_signer *sg = &res->signers[i];
        char buf[128];
        const char *label = kt_report_key_label(trust, sg->key, buf, sizeof buf);
        if (sg->status == KT_SIG_COUNTED)
            kt_esc_line(f, "  signed by key %s (%s)", sg->keyid, label);
        else if (label)
            kt_esc_line(f, "  also signed by key %s (%s): not counted, %s", sg->keyid, label,
                        kt_sig_status_name(sg->status));
        else
            kt_esc_line(f, "  also signed by key %s: not trusted, not checked", sg->keyid);
    }
    if (res->nsigners > 1 || res->threshold > 1)
        kt_esc_line(f, "  keys:    %zu trusted keys signed and count, %u required", res->counted,
                    res->threshold);
    char when[32];
    kt_rfc3339((uint64_t)res->ref_time, when);
    if (res->timestamp == 2) {
        kt_esc_line(f, "  time-stamped: %s by %s (verified against a pinned TSA certificate)",
                    res->tsa.gen_time_str, res->tsa.tsa);
        kt_esc_line(f, "  keys judged at %s, the token's time", when);
    } else if (res->timestamp == 1) {
        kt_esc_line(f, "  time-stamp token: says %s, NOT verified (pin the TSA with --tsa-cert)",
                    res->tsa.gen_time_str);
    }
}

/* --list and --extract, after the verdict: sha256, bytes, member name, and
 * where --extract writes it when that differs (decoded, escaped here). */
static void text_list(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    char hex[KT_SHA256_HEX], file[KT_TAR_NAME_MAX + 1];
    if (in->list && authentic(res)) {
        kt_esc_line(f, "  members (sha256, bytes, name; --extract's file name where it differs):");
        for (size_t i = 0; i < res->nsubjects + res->nmeta; i++) {
            int sub = i < res->nsubjects;
            const char *name = sub ? res->subjects[i].name : res->meta[i - res->nsubjects].name;
            kt_hex(sub ? res->subjects[i].sha256 : res->meta[i - res->nsubjects].sha256,
                   KT_SHA256_LEN, hex);
            unsigned long long size =
                sub ? res->subjects[i].size : res->meta[i - res->nsubjects].size;
            kt_err e;
            if (kt_extract_path(name, file, sizeof file, &e) < 0)
                kt_esc_line(f, "    %s %12llu  %s  (not a file here: %s)", hex, size, name, e.msg);
            else if (strcmp(file, name))
                kt_esc_line(f, "    %s %12llu  %s  -> %s", hex, size, name, file);
            else
                kt_esc_line(f, "    %s %12llu  %s", hex, size, name);
        }
    }
    if (!in->extract) return;
    if (in->extracted)
        kt_esc_line(f, "  extracted: %zu files into %s", in->extracted_files, in->extract);
    else if (authentic(res))
        kt_esc_line(f, "  NOT extracted into %s: %s", in->extract, in->extract_err.msg);
    else
        kt_esc_line(f, "  nothing extracted into %s: the bundle did not verify", in->extract);
}

static int print_text(FILE *f, const kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    const char *bundle = in->bundle;
    const kt_trust *trust = in->trust;
    if (res->verdict == KT_VERDICT_REJECT || res->verdict == KT_VERDICT_UNCHECKED) {
        kt_esc_line(f, "%s %s: %s", verdict_name(res->verdict), bundle,
                    res->verdict == KT_VERDICT_REJECT
                        ? "not authentic or not intact"
                        : "could not be checked (no finding about the bundle)");
        kt_esc_line(f, "  reason:  %s", res->err.msg);
        if (res->err.member[0]) kt_esc_line(f, "  member:  %s", res->err.member);
        kt_esc_line(f, "  class:   %s", kt_errclass_name(res->err.cls));
        text_list(f, in);
        return 0;
    }
    char created[32];
    kt_rfc3339(res->source_date_epoch, created);
    if (res->verdict == KT_VERDICT_AUTHENTIC)
        kt_esc_line(f, "AUTHENTIC %s: authentic and intact, but NO POLICY adjudicated the evidence",
                    bundle);
    else
        kt_esc_line(f, "%s %s", verdict_name(res->verdict), bundle);
    text_trust(f, trust, res);
    kt_esc_line(f, "  members: %zu (%zu evidence files, each matching its sha256)", res->members,
                res->evidence);
    kt_esc_line(f, "  created: %s", created);
    if (!res->adjudicated) {
        kt_esc_line(f, "  policy:  none: the bundle has none and --policy was not given; this is "
                       "not a PASS (exit 4)");
        text_list(f, in);
        return 0;
    }
    kt_esc_line(f, "  policy:  %s, sha256 %s (%s)", res->policy_name, res->policy_sha256,
                res->policy_is_bundles ? "the bundle's own" : "the auditor's, given with --policy");
    kt_esc_line(f, "  checks:  %zu/%zu pass", passed(res), res->adj.n);
    for (size_t i = 0; i < res->adj.n; i++) {
        const kt_check_out *c = &res->adj.checks[i];
        kt_esc_line(f, "    %-5s  %-28s %s", kt_result_name(c->result), c->id, c->reason);
    }
    if (res->verdict == KT_VERDICT_FAIL) {
        kt_buf ids;
        kt_buf_init(&ids, 0);
        for (size_t i = 0; i < res->adj.n; i++)
            if (res->adj.checks[i].result != KT_RESULT_PASS)
                kt_buf_printf(&ids, NULL, " %s", res->adj.checks[i].id);
        kt_esc_line(f, "  failing:%s", ids.data ? ids.data : "");
        kt_buf_free(&ids);
    }
    text_list(f, in);
    return 0;
}

int kt_report_print(FILE *f, enum kt_format fmt, const kt_report_in *in)
{
    if (fmt == KT_FMT_JSON) return print_json(f, in);
    if (fmt == KT_FMT_MARKDOWN) return print_markdown(f, in);
    if (fmt == KT_FMT_HTML) return kt_report_html(f, in, in->html);
    return print_text(f, in);
}
