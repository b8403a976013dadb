#include "report.h"

#include "../core/buf.h"
#include "../core/cli.h"
#include "../core/json_canon.h"
#include "../core/layout.h"
#include "../core/manifest.h"

static const char *verdict_name(enum kt_verdict v)
{
    switch (v) {
    case KT_VERDICT_PASS:
        return "PASS";
    case KT_VERDICT_FAIL:
        return "FAIL";
    case KT_VERDICT_REJECT:
        return "REJECT";
    }
    return "REJECT";
}

int kt_report_exit(const kt_verify_result *res)
{
    switch (res->verdict) {
    case KT_VERDICT_PASS:
        return KT_EXIT_OK;
    case KT_VERDICT_FAIL:
        return KT_EXIT_FAIL;
    case KT_VERDICT_REJECT:
        return KT_EXIT_REJECT;
    }
    return KT_EXIT_REJECT;
}

static int print_json(FILE *f, const char *bundle, const char *const *keypaths,
                      const kt_verify_result *res)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return -1;
    int authentic = res->verdict != KT_VERDICT_REJECT;
    cJSON_AddNumberToObject(o, "schema", 1);
    cJSON_AddStringToObject(o, "tool", "kiemthu-verify " KT_VERSION);
    cJSON_AddStringToObject(o, "bundle", bundle);
    cJSON_AddStringToObject(o, "verdict", verdict_name(res->verdict));
    cJSON_AddNumberToObject(o, "exit_code", kt_report_exit(res));
    if (authentic) {
        cJSON_AddStringToObject(o, "key_id", res->keyid);
        cJSON_AddStringToObject(o, "key_file", keypaths[res->key_index]);
        char created[32];
        kt_rfc3339(res->source_date_epoch, created);
        cJSON_AddStringToObject(o, "created", created);
    } else {
        cJSON_AddNullToObject(o, "key_id");
        cJSON_AddNullToObject(o, "key_file");
        cJSON_AddNullToObject(o, "created");
    }
    cJSON_AddNumberToObject(o, "members", (double)res->members);
    cJSON_AddNumberToObject(o, "evidence_members", (double)res->evidence);
    if (res->verdict == KT_VERDICT_REJECT) {
        cJSON *r = cJSON_AddObjectToObject(o, "reason");
        cJSON_AddStringToObject(r, "class", kt_errclass_name(res->err.cls));
        cJSON_AddStringToObject(r, "message", res->err.msg);
        if (res->err.member[0])
            cJSON_AddStringToObject(r, "member", res->err.member);
        else
            cJSON_AddNullToObject(r, "member");
    } else {
        cJSON_AddNullToObject(o, "reason");
    }
    if (res->adjudicated) {
        cJSON *pol = cJSON_AddObjectToObject(o, "policy");
        cJSON_AddStringToObject(pol, "name", res->policy_name);
        cJSON_AddStringToObject(pol, "sha256", res->policy_sha256);
        cJSON_AddBoolToObject(pol, "bundled", res->policy_is_bundles);
        cJSON *arr = cJSON_AddArrayToObject(o, "checks");
        for (size_t i = 0; i < res->adj.n; i++) {
            const kt_check_out *c = &res->adj.checks[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", c->id);
            cJSON_AddStringToObject(e, "type", c->type);
            cJSON_AddStringToObject(e, "description", c->description);
            cJSON_AddStringToObject(e, "result", kt_result_name(c->result));
            cJSON_AddStringToObject(e, "reason", c->reason);
            cJSON_AddItemToArray(arr, e);
        }
    } else {
        cJSON_AddNullToObject(o, "policy");
        cJSON_AddArrayToObject(o, "checks");
    }
    kt_buf b;
    kt_buf_init(&b, 0);
    int rc = kt_json_emit_doc(o, &b, NULL);
    if (rc == 0) fputs(b.data, f);
    kt_buf_free(&b);
    cJSON_Delete(o);
    return rc;
}

static size_t passed(const kt_verify_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->adj.n; i++) n += res->adj.checks[i].result == KT_RESULT_PASS;
    return n;
}

/* Markdown table cells: no pipes or newlines from the reasons. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) fputs(*s == '|' ? "\\|" : *s == '\n' ? " " : (char[]){*s, 0}, f);
}

static int print_markdown(FILE *f, const char *bundle, const char *const *keypaths,
                          const kt_verify_result *res)
{
    static const char *const icon[] = {"PASS", "FAIL", "REJECT"};
    const char *v = res->verdict == KT_VERDICT_PASS   ? icon[0]
                    : res->verdict == KT_VERDICT_FAIL ? icon[1]
                                                      : icon[2];
    fprintf(f, "## kiemthu-verify: %s\n\n", v);
    fprintf(f, "- bundle: `%s`\n", bundle);
    if (res->verdict == KT_VERDICT_REJECT) {
        fprintf(f, "- **not authentic or not intact**: ");
        md_cell(f, res->err.msg);
        fprintf(f, "\n");
        if (res->err.member[0]) fprintf(f, "- member: `%s`\n", res->err.member);
        return 0;
    }
    fprintf(f, "- signed by key `%s` (`%s`)\n", res->keyid, keypaths[res->key_index]);
    fprintf(f, "- %zu members, %zu evidence files, each matching its sha256\n", res->members,
            res->evidence);
    if (!res->adjudicated) {
        fprintf(f, "- no policy: authenticity and integrity only\n");
        return 0;
    }
    fprintf(f, "- policy `%s`, sha256 `%s` (%s)\n- checks: %zu/%zu pass\n\n", res->policy_name,
            res->policy_sha256, res->policy_is_bundles ? "the bundle's own" : "the auditor's",
            passed(res), res->adj.n);
    fprintf(f, "| check | result | reason |\n|---|---|---|\n");
    for (size_t i = 0; i < res->adj.n; i++) {
        const kt_check_out *c = &res->adj.checks[i];
        fprintf(f, "| `%s` | %s | ", c->id, kt_result_name(c->result));
        md_cell(f, c->reason);
        fprintf(f, " |\n");
    }
    return 0;
}

int kt_report_print(FILE *f, enum kt_format fmt, const char *bundle, const char *const *keypaths,
                    const kt_verify_result *res)
{
    if (fmt == KT_FMT_JSON) return print_json(f, bundle, keypaths, res);
    if (fmt == KT_FMT_MARKDOWN) return print_markdown(f, bundle, keypaths, res);
    if (res->verdict == KT_VERDICT_REJECT) {
        fprintf(f, "REJECT %s: not authentic or not intact\n", bundle);
        fprintf(f, "  reason:  %s\n", res->err.msg);
        if (res->err.member[0]) fprintf(f, "  member:  %s\n", res->err.member);
        fprintf(f, "  class:   %s\n", kt_errclass_name(res->err.cls));
        return 0;
    }
    char created[32];
    kt_rfc3339(res->source_date_epoch, created);
    fprintf(f, "%s %s\n", verdict_name(res->verdict), bundle);
    fprintf(f, "  signed by key %s (%s)\n", res->keyid, keypaths[res->key_index]);
    fprintf(f, "  members: %zu (%zu evidence files, each matching its sha256)\n", res->members,
            res->evidence);
    fprintf(f, "  created: %s\n", created);
    if (!res->adjudicated) {
        fprintf(f, "  policy:  none (authenticity and integrity only)\n");
        return 0;
    }
    fprintf(f, "  policy:  %s, sha256 %s (%s)\n", res->policy_name, res->policy_sha256,
            res->policy_is_bundles ? "the bundle's own" : "the auditor's, given with --policy");
    fprintf(f, "  checks:  %zu/%zu pass\n", passed(res), res->adj.n);
    for (size_t i = 0; i < res->adj.n; i++) {
        const kt_check_out *c = &res->adj.checks[i];
        fprintf(f, "    %-5s  %-28s %s\n", kt_result_name(c->result), c->id, c->reason);
    }
    if (res->verdict == KT_VERDICT_FAIL) {
        fprintf(f, "  failing:");
        for (size_t i = 0; i < res->adj.n; i++)
            if (res->adj.checks[i].result != KT_RESULT_PASS)
                fprintf(f, " %s", res->adj.checks[i].id);
        fprintf(f, "\n");
    }
    return 0;
}
