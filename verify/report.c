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
    kt_buf b;
    kt_buf_init(&b, 0);
    int rc = kt_json_emit_doc(o, &b, NULL);
    if (rc == 0) fputs(b.data, f);
    kt_buf_free(&b);
    cJSON_Delete(o);
    return rc;
}

int kt_report_print(FILE *f, enum kt_format fmt, const char *bundle, const char *const *keypaths,
                    const kt_verify_result *res)
{
    if (fmt == KT_FMT_JSON) return print_json(f, bundle, keypaths, res);
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
    return 0;
}
