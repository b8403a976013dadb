/* schema.c - the policy format (docs/POLICY.md): the check types and their
 * parameters, reading and validating a policy document. Anything not in the
 * schema makes the policy invalid (fail closed). */
#include "check.h"

#include "../core/buf.h"
#include "../core/json_canon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kt_json_is_int(const cJSON *v)
{
    /* range first: converting an out-of-range double is undefined behaviour
     * (found by fuzz_policy; tests/fuzz/corpus/policy/regression-huge-number.json) */
    return cJSON_IsNumber(v) && v->valuedouble > -9007199254740991.0 &&
           v->valuedouble < 9007199254740991.0 &&
           v->valuedouble == (double)(long long)v->valuedouble;
}

int kt_is_sha256_hex(const char *s)
{
    uint8_t ignored[KT_SHA256_LEN];
    return strlen(s) == 2 * KT_SHA256_LEN && kt_unhex_lower(s, ignored, KT_SHA256_LEN) == 0;
}

static int distinct_strings(const cJSON *v, int nonempty)
{
    if (!cJSON_IsArray(v) || (nonempty && !v->child)) return 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!cJSON_IsString(c) || (nonempty && !*c->valuestring)) return 0;
        for (const cJSON *o = v->child; o != c; o = o->next)
            if (!strcmp(o->valuestring, c->valuestring)) return 0;
    }
    return 1;
}

static int limit_name(const char *s)
{
    return !strcmp(s, "pids") || !strcmp(s, "memory") || !strcmp(s, "memory_swap") ||
           !strcmp(s, "cpus");
}

/* A profile name as kiemthu-sandbox records it: a file name without .json. */
static int profile_name(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") && strlen(s) < 200;
}

static int param_ok(const cJSON *v, char kind)
{
    kt_buf b;
    switch (kind) {
    case 's':
        return cJSON_IsString(v);
    case 'i':
        return kt_json_is_int(v);
    case 'b':
        return cJSON_IsBool(v);
    case 'j': /* a value that can never be canonical could never be equal */
        kt_buf_init(&b, KT_POLICY_MAX);
        int ok = kt_json_emit(v, &b, NULL) == 0;
        kt_buf_free(&b);
        return ok;
    case 'a':
        if (!cJSON_IsArray(v)) return 0;
        for (const cJSON *c = v->child; c; c = c->next)
            if (!cJSON_IsString(c)) return 0;
        return 1;
    case 'u':
        return distinct_strings(v, 1);
    case 'h':
        return cJSON_IsString(v) && kt_is_sha256_hex(v->valuestring);
    case 'd':
        return cJSON_IsString(v) && !strncmp(v->valuestring, "sha256:", 7) &&
               kt_is_sha256_hex(v->valuestring + 7);
    case 'm':
        if (!cJSON_IsObject(v) || !v->child) return 0;
        for (const cJSON *c = v->child; c; c = c->next)
            if (!profile_name(c->string) || !cJSON_IsString(c) || !kt_is_sha256_hex(c->valuestring))
                return 0;
        return 1;
    case 'l':
        if (!distinct_strings(v, 1)) return 0;
        for (const cJSON *c = v->child; c; c = c->next)
            if (!limit_name(c->valuestring)) return 0;
        return 1;
    }
    return 0;
}

static int check_params(const cJSON *chk, const kt_check_type *t, const char *what, int idx,
                        kt_err *err)
{
    /* every spec'd parameter present (unless optional) and of its kind */
    char spec[160], *save = NULL;
    snprintf(spec, sizeof spec, "%s", t->info.params);
    for (char *tok = strtok_r(spec, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(tok, ':');
        *colon = '\0';
        int optional = colon[2] == '?';
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(chk, tok);
        if (!v && optional) continue;
        if (!v)
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): missing parameter \"%s\"", what,
                           idx, t->info.name, tok);
        if (!param_ok(v, colon[1]))
            return kt_fail(err, KT_E_DATA,
                           "%s: checks[%d] (%s): parameter \"%s\" has the wrong type: it must be "
                           "%s",
                           what, idx, t->info.name, tok, kt_check_kind_text(colon[1]));
    }
    /* and nothing else */
    for (const cJSON *c = chk->child; c; c = c->next) {
        if (!strcmp(c->string, "id") || !strcmp(c->string, "type") ||
            !strcmp(c->string, "description"))
            continue;
        char key[80], have[170];
        snprintf(key, sizeof key, " %s:", c->string);
        snprintf(have, sizeof have, " %s", t->info.params);
        if (!strstr(have, key))
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): unknown parameter \"%.64s\"", what,
                           idx, t->info.name, c->string);
    }
    return 0;
}

/* One line of printable text (no control bytes), 1..max bytes. */
static int one_line(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

static int validate(const cJSON *root, const char *what, kt_err *err)
{
    static const char *const keys[] = {"kiemthuPolicy", "name",    "description",
                                       "checks",        "verdict", NULL};
    if (!cJSON_IsObject(root))
        return kt_fail(err, KT_E_DATA, "%s: a policy is a JSON object", what);
    for (const cJSON *c = root->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *k = keys; *k; k++) ok |= !strcmp(*k, c->string);
        if (!ok) return kt_fail(err, KT_E_DATA, "%s: unknown field \"%.64s\"", what, c->string);
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "kiemthuPolicy");
    if (!kt_json_is_int(ver) || ver->valuedouble != 1)
        return kt_fail(err, KT_E_DATA, "%s: \"kiemthuPolicy\" must be 1 (the format version)",
                       what);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (!cJSON_IsString(name) || !one_line(name->valuestring, 127))
        return kt_fail(err, KT_E_DATA, "%s: \"name\" must be one line of 1-127 characters", what);
    const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(root, "verdict");
    if (!cJSON_IsString(verdict) || strcmp(verdict->valuestring, "all"))
        return kt_fail(err, KT_E_DATA, "%s: \"verdict\" must be \"all\" (every check must hold)",
                       what);
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(root, "checks");
    if (!cJSON_IsArray(checks) || !checks->child)
        return kt_fail(err, KT_E_DATA, "%s: \"checks\" must be a non-empty array", what);
    int i = 0;
    for (const cJSON *chk = checks->child; chk; chk = chk->next, i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(chk, "id");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(chk, "type");
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(chk, "description");
        if (!cJSON_IsObject(chk) || !cJSON_IsString(id) || !valid_id(id->valuestring))
            return kt_fail(err, KT_E_DATA, "%s: checks[%d]: \"id\" must be 1-63 of a-z 0-9 - _ .",
                           what, i);
        if (!cJSON_IsString(desc) || !one_line(desc->valuestring, 200))
            return kt_fail(err, KT_E_DATA,
                           "%s: checks[%d] (%s): \"description\" must be one line of "
                           "1-200 characters",
                           what, i, id->valuestring);
        if (!cJSON_IsString(type))
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): \"type\" missing", what, i,
                           id->valuestring);
        const kt_check_type *t = kt_check_type_of(type->valuestring);
        if (!t) {
            char names[600];
            kt_policy_type_names(names, sizeof names);
            return kt_fail(err, KT_E_DATA,
                           "%s: checks[%d] (%s): unknown check type \"%.64s\"; the check types "
                           "are: %s",
                           what, i, id->valuestring, type->valuestring, names);
        }
        if (check_params(chk, t, what, i, err) < 0) return -1;
        for (const cJSON *o = checks->child; o != chk; o = o->next)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring, id->valuestring))
                return kt_fail(err, KT_E_DATA, "%s: checks[%d]: duplicate id \"%s\"", what, i,
                               id->valuestring);
    }
    return 0;
}

static int validate_doc(const cJSON *root, const char *what, void *arg, kt_err *err)
{
    (void)arg;
    return validate(root, what, err);
}

static int adopt(kt_policy *p, kt_policy **out)
{
    snprintf(p->name, sizeof p->name, "%s",
             cJSON_GetObjectItemCaseSensitive(p->doc.root, "name")->valuestring);
    *out = p;
    return 0;
}

int kt_policy_parse(const char *bytes, size_t n, const char *what, kt_policy **out, kt_err *err)
{
    kt_policy *p = calloc(1, sizeof *p);
    if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
    if (kt_jsondoc_parse(&p->doc, bytes, n, what, KT_POLICY_MAX, validate_doc, NULL, err) < 0) {
        free(p);
        return -1;
    }
    return adopt(p, out);
}

int kt_policy_load(const char *path, kt_policy **out, kt_err *err)
{
    kt_policy *p = calloc(1, sizeof *p);
    if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
    if (kt_jsondoc_load(&p->doc, path, KT_POLICY_MAX, validate_doc, NULL, err) < 0) {
        free(p);
        return -1;
    }
    return adopt(p, out);
}

void kt_policy_free(kt_policy *p)
{
    if (!p) return;
    kt_jsondoc_free(&p->doc);
    free(p);
}

const char *kt_policy_sha256(const kt_policy *p)
{
    return p->doc.sha256_hex;
}
const char *kt_policy_name(const kt_policy *p)
{
    return p->name;
}
const char *kt_policy_bytes(const kt_policy *p, size_t *n)
{
    *n = p->doc.n;
    return p->doc.bytes;
}

const char *kt_result_name(enum kt_result r)
{
    return r == KT_RESULT_PASS ? "pass" : r == KT_RESULT_FAIL ? "fail" : "error";
}
