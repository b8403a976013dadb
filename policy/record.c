/* record.c - the adjudication as the manifest records it, and the comparison
 * of a recorded adjudication with one re-derived from the evidence. */
#include "check.h"

#include "../core/jsonb.h"

#include <stdio.h>
#include <string.h>

int kt_adjudication_json(const kt_policy *p, const kt_adjudication *a, cJSON **out, kt_err *err)
{
    kt_jb b;
    kt_jb_init(&b);
    kt_jb_str(&b, b.root, "policy", "evidence/" KT_POLICY_MEMBER);
    kt_jb_str(&b, b.root, "policyName", p->name);
    kt_jb_str(&b, b.root, "policySha256", p->doc.sha256_hex);
    kt_jb_str(&b, b.root, "verdict", a->pass ? "PASS" : "FAIL");
    cJSON *arr = kt_jb_arr(&b, b.root, "checks");
    for (size_t i = 0; i < a->n; i++) {
        const kt_check_out *c = &a->checks[i];
        cJSON *e = kt_jb_obj(&b, arr, NULL);
        kt_jb_str(&b, e, "id", c->id);
        kt_jb_str(&b, e, "type", c->type);
        kt_jb_str(&b, e, "result", kt_result_name(c->result));
        kt_jb_str(&b, e, "reason", c->reason);
        cJSON *ev = kt_jb_arr(&b, e, "evidence");
        for (int k = 0; k < c->nevidence; k++) {
            char member[300];
            snprintf(member, sizeof member, "evidence/%s", c->evidence[k]);
            kt_jb_str(&b, ev, NULL, member);
        }
    }
    return kt_jb_done(&b, out, "the adjudication record", err);
}

int kt_adjudication_compare(const cJSON *rec, const kt_policy *p, const kt_adjudication *a,
                            kt_err *err)
{
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(rec, "policySha256");
    const cJSON *verdict_rec = cJSON_GetObjectItemCaseSensitive(rec, "verdict");
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(rec, "checks");
    if (!cJSON_IsObject(rec) || !cJSON_IsString(sha) || !cJSON_IsString(verdict_rec) ||
        !cJSON_IsArray(checks))
        return kt_fail(err, KT_E_TAMPER, "the recorded adjudication is malformed");
    if (strcmp(sha->valuestring, p->doc.sha256_hex))
        return kt_fail(err, KT_E_TAMPER,
                       "the recorded adjudication is for policy %.12s..., not the bundled "
                       "policy %.12s...",
                       sha->valuestring, p->doc.sha256_hex);
    if ((size_t)cJSON_GetArraySize(checks) != a->n)
        return kt_fail(err, KT_E_TAMPER, "the record has %d checks, the policy %zu",
                       cJSON_GetArraySize(checks), a->n);
    size_t i = 0;
    for (const cJSON *c = checks->child; c; c = c->next, i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "result");
        if (!cJSON_IsString(id) || strcmp(id->valuestring, a->checks[i].id))
            return kt_fail(err, KT_E_TAMPER, "recorded check %zu is not \"%s\"", i,
                           a->checks[i].id);
        if (!cJSON_IsString(res) || strcmp(res->valuestring, kt_result_name(a->checks[i].result)))
            return kt_fail(err, KT_E_TAMPER,
                           "check %s: recorded \"%.16s\" but the evidence gives \"%s\"",
                           a->checks[i].id, cJSON_IsString(res) ? res->valuestring : "?",
                           kt_result_name(a->checks[i].result));
    }
    if (strcmp(verdict_rec->valuestring, a->pass ? "PASS" : "FAIL"))
        return kt_fail(err, KT_E_TAMPER, "recorded verdict %.16s but the evidence gives %s",
                       verdict_rec->valuestring, a->pass ? "PASS" : "FAIL");
    return 0;
}
