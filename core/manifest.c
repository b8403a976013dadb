#include "manifest.h"

#include "json_canon.h"
#include "layout.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void kt_rfc3339(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void kt_subjects_free(kt_subject *subs, size_t n)
{
    for (size_t i = 0; subs && i < n; i++) free(subs[i].name);
    free(subs);
}

cJSON *kt_manifest_build(const kt_subject *subs, size_t n, uint64_t sde, cJSON *adjudication,
                         kt_err *err)
{
    cJSON *st = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(st, "subject");
    cJSON *pred = cJSON_CreateObject();
    cJSON *tool = cJSON_CreateObject();
    char created[32];
    if (!st || !arr || !pred || !tool) goto oom;
    cJSON_AddStringToObject(st, "_type", KT_STATEMENT_TYPE);
    cJSON_AddStringToObject(st, "predicateType", KT_PREDICATE_TYPE);
    for (size_t i = 0; i < n; i++) {
        char hex[KT_SHA256_HEX];
        kt_hex(subs[i].sha256, KT_SHA256_LEN, hex);
        cJSON *s = cJSON_CreateObject(), *d = cJSON_CreateObject();
        if (!s || !d || !cJSON_AddStringToObject(s, "name", subs[i].name) ||
            !cJSON_AddStringToObject(d, "sha256", hex)) {
            cJSON_Delete(s);
            cJSON_Delete(d);
            goto oom;
        }
        cJSON_AddItemToObject(s, "digest", d);
        cJSON_AddItemToArray(arr, s);
    }
    kt_rfc3339(sde, created);
    cJSON_AddStringToObject(tool, "name", "kiemthu-bundle");
    cJSON_AddStringToObject(tool, "version", KT_VERSION);
    cJSON_AddItemToObject(pred, "tool", tool);
    tool = NULL;
    cJSON_AddStringToObject(pred, "created", created);
    cJSON_AddNumberToObject(pred, "sourceDateEpoch", (double)sde);
    cJSON_AddItemToObject(pred, "venue", kt_manifest_venue());
    cJSON_AddNullToObject(pred, "imageDigest");
    cJSON_AddObjectToObject(pred, "profiles");
    cJSON_AddArrayToObject(pred, "runs");
    if (adjudication)
        cJSON_AddItemToObject(pred, "adjudication", adjudication);
    else
        cJSON_AddNullToObject(pred, "adjudication");
    adjudication = NULL;
    cJSON_AddItemToObject(st, "predicate", pred);
    return st;
oom:
    cJSON_Delete(adjudication);
    cJSON_Delete(tool);
    cJSON_Delete(pred);
    cJSON_Delete(st);
    kt_fail(err, KT_E_NOMEM, "out of memory building the manifest");
    return NULL;
}

cJSON *kt_manifest_venue(void)
{
    cJSON *v = cJSON_CreateObject();
    const char *gha = getenv("GITHUB_ACTIONS");
    if (!gha || strcmp(gha, "true")) {
        cJSON_AddStringToObject(v, "ci", "local");
        return v;
    }
    static const char *const vars[][2] = {
        {"repository", "GITHUB_REPOSITORY"},
        {"run_id", "GITHUB_RUN_ID"},
        {"run_attempt", "GITHUB_RUN_ATTEMPT"},
        {"commit", "GITHUB_SHA"},
        {"ref", "GITHUB_REF"},
        {"workflow_ref", "GITHUB_WORKFLOW_REF"},
        {"runner_os", "RUNNER_OS"},
        {"runner_arch", "RUNNER_ARCH"},
        {"runner_environment", "RUNNER_ENVIRONMENT"},
    };
    cJSON_AddStringToObject(v, "ci", "github-actions");
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *x = getenv(vars[i][1]);
        if (x && *x && kt_utf8_valid(x, strlen(x)) && strlen(x) < 512)
            cJSON_AddStringToObject(v, vars[i][0], x);
    }
    return v;
}

cJSON *kt_manifest_predicate(const cJSON *stmt)
{
    return cJSON_GetObjectItemCaseSensitive(stmt, "predicate");
}

static int check_subject(const cJSON *s, size_t i, const kt_subject *m, kt_err *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
    const cJSON *dig = cJSON_GetObjectItemCaseSensitive(s, "digest");
    if (!cJSON_IsObject(s) || !cJSON_IsString(name) || !cJSON_IsObject(dig) ||
        cJSON_GetArraySize(s) != 2)
        return kt_fail(err, KT_E_TAMPER, "manifest subject %zu is not {\"name\", \"digest\"}", i);
    int cmp = strcmp(name->valuestring, m->name);
    if (cmp > 0) {
        kt_err_member(err, m->name);
        return kt_fail(err, KT_E_TAMPER, "member \"%s\" has no subject in the manifest", m->name);
    }
    if (cmp < 0) {
        kt_err_member(err, name->valuestring);
        return kt_fail(err, KT_E_TAMPER, "manifest subject \"%.200s\" names no member",
                       name->valuestring);
    }
    kt_err_member(err, m->name);
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(dig, "sha256");
    if (!sha)
        return kt_fail(err, KT_E_TAMPER,
                       "subject \"%s\" has no sha256 digest (only unknown "
                       "algorithms)",
                       m->name);
    if (cJSON_GetArraySize(dig) != 1)
        return kt_fail(err, KT_E_TAMPER, "subject \"%s\" digest has algorithms besides sha256",
                       m->name);
    uint8_t want[KT_SHA256_LEN];
    if (!cJSON_IsString(sha) || kt_unhex_lower(sha->valuestring, want, sizeof want) < 0)
        return kt_fail(err, KT_E_TAMPER, "subject \"%s\" sha256 is not 64 lowercase hex digits",
                       m->name);
    if (memcmp(want, m->sha256, sizeof want) != 0)
        return kt_fail(err, KT_E_TAMPER, "member \"%s\" does not match its sha256 in the manifest",
                       m->name);
    err->member[0] = '\0';
    return 0;
}

int kt_manifest_check(const cJSON *stmt, const kt_subject *members, size_t n, uint64_t mtime,
                      kt_err *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(stmt, "_type");
    const cJSON *ptype = cJSON_GetObjectItemCaseSensitive(stmt, "predicateType");
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(stmt, "subject");
    const cJSON *pred = kt_manifest_predicate(stmt);
    if (!cJSON_IsObject(stmt) || !cJSON_IsString(type) ||
        strcmp(type->valuestring, KT_STATEMENT_TYPE) != 0)
        return kt_fail(err, KT_E_TAMPER, "manifest is not an in-toto Statement v1");
    if (!cJSON_IsString(ptype) || strcmp(ptype->valuestring, KT_PREDICATE_TYPE) != 0)
        return kt_fail(err, KT_E_TAMPER, "manifest predicateType is not %s", KT_PREDICATE_TYPE);
    if (!cJSON_IsArray(subs) || !cJSON_IsObject(pred) || cJSON_GetArraySize(stmt) != 4)
        return kt_fail(err, KT_E_TAMPER,
                       "manifest needs exactly _type, predicateType, subject "
                       "and predicate");
    size_t i = 0;
    const cJSON *s = subs->child;
    for (; s && i < n; s = s->next, i++)
        if (check_subject(s, i, &members[i], err) < 0) return -1;
    if (i < n) {
        kt_err_member(err, members[i].name);
        return kt_fail(err, KT_E_TAMPER, "member \"%s\" has no subject in the manifest",
                       members[i].name);
    }
    if (s) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
        return kt_fail(err, KT_E_TAMPER, "manifest subject \"%.200s\" names no member",
                       cJSON_IsString(name) ? name->valuestring : "?");
    }
    const cJSON *sde = cJSON_GetObjectItemCaseSensitive(pred, "sourceDateEpoch");
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(pred, "created");
    char want[32];
    kt_rfc3339(mtime, want);
    if (!cJSON_IsNumber(sde) || sde->valuedouble != (double)mtime || !cJSON_IsString(created) ||
        strcmp(created->valuestring, want) != 0)
        return kt_fail(err, KT_E_TAMPER,
                       "manifest creation time does not match the members' "
                       "mtime (%llu)",
                       (unsigned long long)mtime);
    return 0;
}
