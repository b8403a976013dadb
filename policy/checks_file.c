/* checks_file.c - check types over single evidence files: a JSON field, a
 * pinned sha256, JUnit XML, the capability guard's result, the venue. */
#include "check.h"

#include "../core/buf.h"
#include "../core/json_canon.h"
#include "../core/sha256.h"
#include "junit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6901 JSON pointer. */
static const cJSON *pointer(const cJSON *v, const char *ptr)
{
    if (!*ptr) return v;
    if (*ptr != '/') return NULL;
    while (v && *ptr == '/') {
        ptr++;
        char tok[256];
        size_t n = 0;
        for (; *ptr && *ptr != '/' && n < sizeof tok - 1; ptr++) {
            if (*ptr == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
                tok[n++] = ptr[1] == '0' ? '~' : '/';
                ptr++;
            } else {
                tok[n++] = *ptr;
            }
        }
        tok[n] = '\0';
        if (cJSON_IsObject(v)) {
            v = cJSON_GetObjectItemCaseSensitive(v, tok);
        } else if (cJSON_IsArray(v)) {
            char *end;
            long i = strtol(tok, &end, 10);
            v = *tok && !*end && i >= 0 ? cJSON_GetArrayItem(v, (int)i) : NULL;
        } else {
            v = NULL;
        }
    }
    return v;
}

static int same_json(const cJSON *a, const cJSON *b)
{
    kt_buf x, y;
    kt_buf_init(&x, 1 << 20);
    kt_buf_init(&y, 1 << 20);
    int eq = kt_json_emit(a, &x, NULL) == 0 && kt_json_emit(b, &y, NULL) == 0 && x.len == y.len &&
             !memcmp(x.data, y.data, x.len);
    kt_buf_free(&x);
    kt_buf_free(&y);
    return eq;
}

void ck_json_field(check_ctx *c)
{
    cJSON *doc = ck_json_file(c, ck_str(c, "file"));
    if (!doc) return;
    const cJSON *v = pointer(doc, ck_str(c, "pointer"));
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->chk, "equals");
    char got[100], exp[100];
    if (!v)
        ck_verdict(c, KT_RESULT_FAIL, "%s has nothing at %s", ck_str(c, "file"),
                   ck_str(c, "pointer"));
    else if (same_json(v, want))
        ck_verdict(c, KT_RESULT_PASS, "%s%s is %s", ck_str(c, "file"), ck_str(c, "pointer"),
                   ck_show(v, got, sizeof got));
    else
        ck_verdict(c, KT_RESULT_FAIL, "%s%s is %s, expected %s", ck_str(c, "file"),
                   ck_str(c, "pointer"), ck_show(v, got, sizeof got),
                   ck_show(want, exp, sizeof exp));
    cJSON_Delete(doc);
}

void ck_profile_sha256(check_ctx *c)
{
    const char *data;
    size_t len;
    kt_err err;
    ck_used(c, ck_str(c, "file"));
    if (kt_ev_get(c->ev, ck_str(c, "file"), &data, &len, &err) < 0) {
        ck_verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return;
    }
    uint8_t h[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    kt_sha256(data, len, h);
    kt_hex(h, sizeof h, hex);
    ck_verdict(c, !strcmp(hex, ck_str(c, "sha256")) ? KT_RESULT_PASS : KT_RESULT_FAIL,
               "%s has sha256 %s, pinned %s", ck_str(c, "file"), hex, ck_str(c, "sha256"));
}

void ck_junit(check_ctx *c)
{
    const char *data;
    size_t len;
    kt_err err;
    kt_junit j;
    ck_used(c, ck_str(c, "file"));
    if (kt_ev_get(c->ev, ck_str(c, "file"), &data, &len, &err) < 0 ||
        kt_junit_parse(data, len, ck_str(c, "file"), &j, &err) < 0) {
        ck_verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return;
    }
    long long min = ck_num(c, "min_tests", 0), maxf = ck_num(c, "max_failures", 0),
              maxe = ck_num(c, "max_errors", 0);
    int ok = j.tests >= min && j.failures <= maxf && j.errors <= maxe;
    ck_verdict(
        c, ok ? KT_RESULT_PASS : KT_RESULT_FAIL,
        "%ld tests, %ld failures, %ld errors, %ld skipped (need >= %lld tests, <= %lld failures, "
        "<= %lld errors)",
        j.tests, j.failures, j.errors, j.skipped, min, maxf, maxe);
}

void ck_guard(check_ctx *c)
{
    cJSON *g = ck_json_file(c, ck_str(c, "file"));
    if (!g) return;
    const cJSON *pass = cJSON_GetObjectItemCaseSensitive(g, "pass");
    const cJSON *viol = cJSON_GetObjectItemCaseSensitive(g, "violations");
    if (!cJSON_IsBool(pass) || !cJSON_IsArray(viol))
        ck_verdict(c, KT_RESULT_ERROR, "%s: needs boolean \"pass\" and array \"violations\"",
                   ck_str(c, "file"));
    else if (cJSON_IsTrue(pass) && !viol->child)
        ck_verdict(c, KT_RESULT_PASS, "capability guard passed, no violations");
    else
        ck_verdict(c, KT_RESULT_FAIL, "capability guard: %d violation(s)",
                   cJSON_GetArraySize(viol));
    cJSON_Delete(g);
}

void ck_venue(check_ctx *c)
{
    cJSON *v = ck_json_file(c, ck_str(c, "file"));
    if (!v) return;
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(c->chk, "fields");
    int n = 0;
    for (const cJSON *f = fields->child; f && !c->decided; f = f->next, n++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, f->valuestring);
        if (!(cJSON_IsString(x) && *x->valuestring) && !kt_json_is_int(x))
            ck_verdict(c, KT_RESULT_FAIL, "%s has no \"%s\"", ck_str(c, "file"), f->valuestring);
    }
    ck_verdict(c, KT_RESULT_PASS, "%s has all %d fields", ck_str(c, "file"), n);
    cJSON_Delete(v);
}
