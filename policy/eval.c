/* eval.c - evaluate a policy's checks on evidence, and the helpers the check
 * functions share: typed parameters, the one result per check, the list of
 * evidence files read, run records and the re-derived canonical profile. */
#include "check.h"

#include "../core/buf.h"
#include "../core/json_canon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reasons quote evidence (probe ids, outcomes) that a payload wrote. Make
 * them safe to record and print: every control byte (C0, DEL, and C1 as
 * UTF-8) and every byte of an invalid UTF-8 sequence (including one that
 * vsnprintf cut in half) becomes '?', so the result is valid UTF-8 that the
 * canonical JSON of the manifest always accepts. */
static void clean_text(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t len = *p < 0x80             ? 1
                     : (*p & 0xe0) == 0xc0 ? 2
                     : (*p & 0xf0) == 0xe0 ? 3
                     : (*p & 0xf8) == 0xf0 ? 4
                                           : 0;
        size_t have = 0;
        while (have < len && p[have]) have++;
        int ok = len && have == len && kt_utf8_valid((const char *)p, len);
        if (ok && len == 1 && (*p < 0x20 || *p == 0x7f)) ok = 0;
        if (ok && len == 2 && p[0] == 0xc2 && p[1] < 0xa0) ok = 0; /* U+0080..U+009F */
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += len;
    }
}

const char *ck_str(check_ctx *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->chk, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

long long ck_num(check_ctx *c, const char *key, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->chk, key);
    return v ? (long long)v->valuedouble : dflt;
}

void ck_verdict(check_ctx *c, enum kt_result r, const char *fmt, ...)
{
    if (c->decided) return;
    c->decided = 1;
    c->out->result = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->out->reason, sizeof c->out->reason, fmt, ap);
    va_end(ap);
    clean_text(c->out->reason);
}

void ck_used(check_ctx *c, const char *path)
{
    for (int i = 0; i < c->out->nevidence; i++)
        if (!strcmp(c->out->evidence[i], path)) return;
    if (c->out->nevidence < 16) snprintf(c->out->evidence[c->out->nevidence++], 256, "%s", path);
}

const char *ck_show(const cJSON *v, char *out, size_t cap)
{
    kt_buf b;
    kt_buf_init(&b, 1 << 20);
    if (!v)
        snprintf(out, cap, "(absent)");
    else if (kt_json_emit(v, &b, NULL) < 0)
        snprintf(out, cap, "(a value that is not canonical JSON)");
    else if (b.len < cap)
        snprintf(out, cap, "%s", b.data);
    else
        snprintf(out, cap, "%.*s...", (int)(cap > 4 ? cap - 4 : 0), b.data);
    kt_buf_free(&b);
    return out;
}

/* Parse an evidence file as JSON; on failure the check is an error. */
cJSON *ck_json_file(check_ctx *c, const char *path)
{
    const char *data;
    size_t len;
    kt_err err;
    ck_used(c, path);
    if (kt_ev_get(c->ev, path, &data, &len, &err) < 0) {
        ck_verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return NULL;
    }
    cJSON *v = NULL;
    if (kt_json_parse(data, len, path, &v, &err) < 0) {
        ck_verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return NULL;
    }
    return v;
}

/* runs/<run>/<profile>/run.json, parsed and with its required fields typed. */
cJSON *ck_run_json(check_ctx *c, const char *run, const char *profile)
{
    char path[512];
    snprintf(path, sizeof path, "runs/%s/%s/run.json", run, profile);
    cJSON *r = ck_json_file(c, path);
    if (!r) return NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "started");
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(r, "exit_code");
    if (!cJSON_IsObject(r) || !cJSON_IsBool(st) || !(kt_json_is_int(ec) || cJSON_IsNull(ec))) {
        ck_verdict(c, KT_RESULT_ERROR,
                   "%s: needs boolean \"started\" and integer-or-null \"exit_code\"", path);
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* The canonical profile of a run, re-derived from the raw records: the first
 * profile in ladder.json's attempt order whose own run.json says started.
 * ladder.json's recorded "canonical" must agree. */
int ck_canonical_of(check_ctx *c, const char *run, char *out, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "runs/%s/ladder.json", run);
    cJSON *l = ck_json_file(c, path);
    if (!l) return -1;
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(l, "attempts");
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(l, "canonical");
    int rc = -1;
    out[0] = '\0';
    if (!cJSON_IsArray(att)) {
        ck_verdict(c, KT_RESULT_ERROR, "%s: no \"attempts\" array", path);
        goto done;
    }
    for (const cJSON *a = att->child; a && !out[0]; a = a->next) {
        const cJSON *prof = cJSON_GetObjectItemCaseSensitive(a, "profile");
        const cJSON *tried = cJSON_GetObjectItemCaseSensitive(a, "attempted");
        if (!cJSON_IsString(prof) || !cJSON_IsBool(tried)) {
            ck_verdict(c, KT_RESULT_ERROR, "%s: malformed attempt", path);
            goto done;
        }
        if (cJSON_IsFalse(tried)) continue;
        cJSON *r = ck_run_json(c, run, prof->valuestring);
        if (!r) goto done;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "started")))
            snprintf(out, n, "%s", prof->valuestring);
        cJSON_Delete(r);
    }
    if (!out[0]) {
        ck_verdict(c, KT_RESULT_FAIL, "run %s: no profile let the payload start", run);
        goto done;
    }
    if (!cJSON_IsString(rec) || strcmp(rec->valuestring, out)) {
        ck_verdict(c, KT_RESULT_ERROR, "%s records canonical \"%s\" but the run records say \"%s\"",
                   path, cJSON_IsString(rec) ? rec->valuestring : "(none)", out);
        goto done;
    }
    rc = 0;
done:
    cJSON_Delete(l);
    return rc;
}

/* The profile a check names, with "@canonical" resolved. */
const char *ck_profile_of(check_ctx *c, char *buf, size_t n)
{
    const char *p = ck_str(c, "profile");
    if (strcmp(p, "@canonical")) return p;
    return ck_canonical_of(c, ck_str(c, "run"), buf, n) == 0 ? buf : NULL;
}

int ck_attempts(check_ctx *c, const char *run, ck_attempt_fn fn, void *arg)
{
    char path[512];
    snprintf(path, sizeof path, "runs/%s/ladder.json", run);
    cJSON *l = ck_json_file(c, path);
    if (!l) return -1;
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(l, "attempts");
    int n = 0;
    if (!cJSON_IsArray(att)) ck_verdict(c, KT_RESULT_ERROR, "%s: no \"attempts\" array", path);
    for (const cJSON *a = cJSON_IsArray(att) ? att->child : NULL; a && !c->decided; a = a->next) {
        const cJSON *prof = cJSON_GetObjectItemCaseSensitive(a, "profile");
        const cJSON *tried = cJSON_GetObjectItemCaseSensitive(a, "attempted");
        if (!cJSON_IsString(prof) || !cJSON_IsBool(tried)) {
            ck_verdict(c, KT_RESULT_ERROR, "%s: malformed attempt", path);
            break;
        }
        if (cJSON_IsFalse(tried)) continue;
        cJSON *r = ck_run_json(c, run, prof->valuestring);
        if (!r) break;
        n++;
        int stop = fn(c, prof->valuestring, a, r, arg);
        cJSON_Delete(r);
        if (stop) break;
    }
    if (!c->decided && n == 0)
        ck_verdict(c, KT_RESULT_ERROR, "%s lists no attempted profile", path);
    cJSON_Delete(l);
    return c->decided ? -1 : n;
}

int kt_policy_eval(const kt_policy *p, kt_evidence *ev, kt_adjudication *out, kt_err *err)
{
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(p->doc.root, "checks");
    size_t n = (size_t)cJSON_GetArraySize(checks);
    out->checks = calloc(n, sizeof *out->checks);
    out->n = n;
    out->pass = 1;
    if (!out->checks) return kt_fail(err, KT_E_NOMEM, "out of memory");
    size_t i = 0;
    for (const cJSON *chk = checks->child; chk; chk = chk->next, i++) {
        kt_check_out *o = &out->checks[i];
        const char *type = cJSON_GetObjectItemCaseSensitive(chk, "type")->valuestring;
        snprintf(o->id, sizeof o->id, "%s",
                 cJSON_GetObjectItemCaseSensitive(chk, "id")->valuestring);
        snprintf(o->type, sizeof o->type, "%s", type);
        snprintf(o->description, sizeof o->description, "%s",
                 cJSON_GetObjectItemCaseSensitive(chk, "description")->valuestring);
        check_ctx c = {chk, ev, o, 0};
        const kt_check_type *t = kt_check_type_of(type); /* validated when the policy was read */
        if (t) t->fn(&c);
        if (!c.decided) ck_verdict(&c, KT_RESULT_ERROR, "check reached no result");
        if (o->result != KT_RESULT_PASS) out->pass = 0;
    }
    return 0;
}

void kt_adjudication_free(kt_adjudication *a)
{
    free(a->checks);
    a->checks = NULL;
    a->n = 0;
}
