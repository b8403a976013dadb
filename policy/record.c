/* record.c - the adjudication as the manifest records it, and the comparison
 * of a recorded adjudication with one re-derived from the evidence. */
#include "check.h"

#include <stdio.h>
#include <string.h>

cJSON *kt_adjudication_json(const kt_policy *p, const kt_adjudication *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", "evidence/" KT_POLICY_MEMBER);
    cJSON_AddStringToObject(o, "policyName", p->name);
    cJSON_AddStringToObject(o, "policySha256", p->sha);
    cJSON_AddStringToObject(o, "verdict", a->pass ? "PASS" : "FAIL");
    cJSON *arr = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; i < a->n; i++) {
        const kt_check_out *c = &a->checks[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", c->id);
        cJSON_AddStringToObject(e, "type", c->type);
        cJSON_AddStringToObject(e, "result", kt_result_name(c->result));
        cJSON_AddStringToObject(e, "reason", c->reason);
        cJSON *ev = cJSON_AddArrayToObject(e, "evidence");
        for (int k = 0; k < c->nevidence; k++) {
            char member[300];
            snprintf(member, sizeof member, "evidence/%s", c->evidence[k]);
            cJSON_AddItemToArray(ev, cJSON_CreateString(member));
        }
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

int kt_adjudication_compare(const cJSON *rec, const kt_policy *p, const kt_adjudication *a,
                            char *why, size_t n)
{
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(rec, "policySha256");
    const cJSON *verdict_rec = cJSON_GetObjectItemCaseSensitive(rec, "verdict");
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(rec, "checks");
    if (!cJSON_IsObject(rec) || !cJSON_IsString(sha) || !cJSON_IsString(verdict_rec) ||
        !cJSON_IsArray(checks))
        return snprintf(why, n, "the recorded adjudication is malformed"), -1;
    if (strcmp(sha->valuestring, p->sha))
        return snprintf(why, n,
                        "the recorded adjudication is for policy %.12s..., not the bundled "
                        "policy %.12s...",
                        sha->valuestring, p->sha),
               -1;
    if ((size_t)cJSON_GetArraySize(checks) != a->n)
        return snprintf(why, n, "the record has %d checks, the policy %zu",
                        cJSON_GetArraySize(checks), a->n),
               -1;
    size_t i = 0;
    for (const cJSON *c = checks->child; c; c = c->next, i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "result");
        if (!cJSON_IsString(id) || strcmp(id->valuestring, a->checks[i].id))
            return snprintf(why, n, "recorded check %zu is not \"%s\"", i, a->checks[i].id), -1;
        if (!cJSON_IsString(res) || strcmp(res->valuestring, kt_result_name(a->checks[i].result)))
            return snprintf(why, n, "check %s: recorded \"%s\" but the evidence gives \"%s\"",
                            a->checks[i].id, cJSON_IsString(res) ? res->valuestring : "?",
                            kt_result_name(a->checks[i].result)),
                   -1;
    }
    if (strcmp(verdict_rec->valuestring, a->pass ? "PASS" : "FAIL"))
        return snprintf(why, n, "recorded verdict %s but the evidence gives %s",
                        verdict_rec->valuestring, a->pass ? "PASS" : "FAIL"),
               -1;
    return 0;
}
