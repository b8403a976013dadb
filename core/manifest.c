#include "manifest.h"

#include "json_canon.h"
#include "jsonb.h"
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
    for (size_t i = 0; subs && i < n; i++) free(subs[i].name), free(subs[i].states);
    free(subs);
}

/* Where the bundle is being made, from GITHUB_* / RUNNER_* (see manifest.h). */
static void add_venue(kt_jb *b, cJSON *pred)
{
    cJSON *v = kt_jb_obj(b, pred, "venue");
    const char *gha = getenv("GITHUB_ACTIONS");
    if (!gha || strcmp(gha, "true")) {
        kt_jb_str(b, v, "ci", "local");
        return;
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
    kt_jb_str(b, v, "ci", "github-actions");
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *x = getenv(vars[i][1]);
        if (x && *x && kt_utf8_valid(x, strlen(x)) && strlen(x) < 512)
            kt_jb_str(b, v, vars[i][0], x);
    }
}

/* "annotations": {KT_CHAIN_KEY: [the values]} of a subject being built. */
static void add_chain(kt_jb *b, cJSON *subject, const kt_subject *s)
{
    cJSON *arr = kt_jb_arr(b, kt_jb_obj(b, subject, "annotations"), KT_CHAIN_KEY);
    for (size_t k = 0; k < kt_chain_count(s->size); k++) {
        char hex[KT_SHA256_HEX];
        kt_hex(s->states[k], KT_SHA256_LEN, hex);
        kt_jb_str(b, arr, NULL, hex);
    }
}

int kt_manifest_build(const kt_subject *subs, size_t n, uint64_t sde, cJSON *adjudication,
                      cJSON **out, kt_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (kt_chain_count(subs[i].size) && !subs[i].states) {
            cJSON_Delete(adjudication);
            *out = NULL;
            return kt_fail(err, KT_E_INTERNAL, "no chain values for %s", subs[i].name);
        }
    kt_jb b;
    kt_jb_init(&b);
    kt_jb_str(&b, b.root, "_type", KT_STATEMENT_TYPE);
    kt_jb_str(&b, b.root, "predicateType", KT_PREDICATE_TYPE);
    cJSON *arr = kt_jb_arr(&b, b.root, "subject");
    for (size_t i = 0; i < n; i++) {
        char hex[KT_SHA256_HEX];
        kt_hex(subs[i].sha256, KT_SHA256_LEN, hex);
        cJSON *s = kt_jb_obj(&b, arr, NULL);
        if (kt_chain_count(subs[i].size)) add_chain(&b, s, &subs[i]);
        kt_jb_str(&b, kt_jb_obj(&b, s, "digest"), "sha256", hex);
        kt_jb_str(&b, s, "name", subs[i].name);
    }
    cJSON *pred = kt_jb_obj(&b, b.root, "predicate");
    cJSON *tool = kt_jb_obj(&b, pred, "tool");
    kt_jb_str(&b, tool, "name", "kiemthu-bundle");
    kt_jb_str(&b, tool, "version", KT_VERSION);
    char created[32];
    kt_rfc3339(sde, created);
    kt_jb_str(&b, pred, "created", created);
    kt_jb_int(&b, pred, "sourceDateEpoch", (int64_t)sde);
    add_venue(&b, pred);
    kt_jb_null(&b, pred, "imageDigest");
    kt_jb_obj(&b, pred, "profiles");
    kt_jb_arr(&b, pred, "runs");
    /* the builder owns adjudication from here on, even if it fails */
    if (adjudication)
        kt_jb_item(&b, pred, "adjudication", adjudication);
    else
        kt_jb_null(&b, pred, "adjudication");
    /* checked once: a manifest with a field missing is never signed */
    return kt_jb_done(&b, out, "the manifest", err);
}

cJSON *kt_manifest_predicate(const cJSON *stmt)
{
    return cJSON_GetObjectItemCaseSensitive(stmt, "predicate");
}

/* The annotations of a member's subject (NULL: none): exactly
 * {KT_CHAIN_KEY: kt_chain_count(size) values}, each equal to the one
 * computed. */
static int check_chain(const cJSON *ann, const kt_subject *m, kt_err *err)
{
    size_t want = kt_chain_count(m->size);
    if (!ann) return 0; /* format version 2: the sha256 alone */
    if (!want)
        return kt_fail(err, KT_E_TAMPER,
                       "subject \"%s\" has annotations, but only a member over %u bytes may",
                       m->name, KT_CHAIN_MIN);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(ann, KT_CHAIN_KEY);
    if (!cJSON_IsObject(ann) || cJSON_GetArraySize(ann) != 1 || !cJSON_IsArray(arr) ||
        (size_t)cJSON_GetArraySize(arr) != want)
        return kt_fail(err, KT_E_TAMPER, "subject \"%s\" annotations are not {\"%s\": %zu values}",
                       m->name, KT_CHAIN_KEY, want);
    size_t k = 0;
    for (const cJSON *v = arr->child; v; v = v->next, k++) {
        uint8_t h[KT_SHA256_LEN];
        if (!cJSON_IsString(v) || kt_unhex_lower(v->valuestring, h, sizeof h) < 0)
            return kt_fail(err, KT_E_TAMPER,
                           "subject \"%s\" chain value %zu is not 64 lowercase hex digits", m->name,
                           k);
        if (!m->states)
            return kt_fail(err, KT_E_INTERNAL, "the chain values of \"%s\" were not computed",
                           m->name);
        if (memcmp(h, m->states[k], sizeof h) != 0)
            return kt_fail(err, KT_E_TAMPER,
                           "member \"%s\" does not match its manifest in bytes %llu to %llu "
                           "(chain value %zu)",
                           m->name, (unsigned long long)k * KT_CHUNK,
                           (unsigned long long)(k + 1) * KT_CHUNK, k);
    }
    return 0;
}

static int check_subject(const cJSON *s, size_t i, const kt_subject *m, kt_err *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
    const cJSON *dig = cJSON_GetObjectItemCaseSensitive(s, "digest");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(s, "annotations");
    if (!cJSON_IsObject(s) || !cJSON_IsString(name) || !cJSON_IsObject(dig) ||
        cJSON_GetArraySize(s) != 2 + (ann != NULL))
        return kt_fail(err, KT_E_TAMPER,
                       "manifest subject %zu is not {\"name\", \"digest\"} (and "
                       "\"annotations\" for a large member)",
                       i);
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
    /* the values first: a change names the chunk it is in */
    if (check_chain(ann, m, err) < 0) return -1;
    if (memcmp(want, m->sha256, sizeof want) != 0)
        return kt_fail(err, KT_E_TAMPER, "member \"%s\" does not match its sha256 in the manifest",
                       m->name);
    err->member[0] = '\0';
    return 0;
}

int kt_manifest_chain(const cJSON *stmt, const cJSON **cursor, const char *name, uint64_t size,
                      uint8_t (*out)[KT_SHA256_LEN])
{
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(stmt, "subject");
    if (!cJSON_IsArray(subs) || *cursor == subs) return 0; /* subs: past the end */
    const cJSON *s = *cursor ? *cursor : subs->child;
    for (; s; s = s->next) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "name");
        int cmp = cJSON_IsString(n) ? strcmp(n->valuestring, name) : -1;
        if (cmp < 0) continue;
        if (cmp > 0) break;
        *cursor = s->next ? s->next : subs;
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(s, "annotations");
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(ann, KT_CHAIN_KEY);
        size_t want = kt_chain_count(size), k = 0;
        if (!want || !cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != want) return 0;
        for (const cJSON *v = arr->child; v; v = v->next, k++)
            if (!cJSON_IsString(v) || kt_unhex_lower(v->valuestring, out[k], KT_SHA256_LEN) < 0)
                return 0;
        return 1;
    }
    *cursor = s ? s : subs;
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
