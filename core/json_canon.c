#include "json_canon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740991.0

int kt_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static int emit_string(const char *s, kt_buf *out, kt_err *err)
{
    size_t n = strlen(s);
    if (!kt_utf8_valid(s, n)) return kt_fail(err, KT_E_DATA, "string is not valid UTF-8");
    if (kt_buf_append(out, "\"", 1, err) < 0) return -1;
    size_t run = 0; /* bytes copied verbatim, flushed in runs */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                static const char hx[] = "0123456789abcdef";
                memcpy(u, "\\u00", 4);
                u[4] = hx[c >> 4];
                u[5] = hx[c & 15];
                u[6] = '\0';
                esc = u;
            }
        }
        if (!esc) {
            run++;
            continue;
        }
        if (kt_buf_append(out, s + i - run, run, err) < 0 || kt_buf_puts(out, esc, err) < 0)
            return -1;
        run = 0;
    }
    if (kt_buf_append(out, s + n - run, run, err) < 0) return -1;
    return kt_buf_append(out, "\"", 1, err);
}

static int cmp_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static int emit_value(const cJSON *v, kt_buf *out, int depth, kt_err *err);

/* Every object's keys sorted, as emit_object sorts them: equal ones side by
 * side, so a document is checked in n log n, not n^2 (its objects may hold
 * as many keys as its size allows). where holds the path so far. */
static int unique_keys(const cJSON *v, char *where, size_t len, size_t cap, const char *what,
                       kt_err *err)
{
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    if (cJSON_IsObject(v) && n > 1) {
        const cJSON **items = malloc(n * sizeof *items);
        if (!items) return kt_fail(err, KT_E_NOMEM, "out of memory reading %s", what);
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next) items[i++] = c;
        qsort(items, n, sizeof *items, cmp_keys);
        const char *dup = NULL;
        for (i = 1; i < n && !dup; i++)
            if (!strcmp(items[i - 1]->string, items[i]->string)) dup = items[i]->string;
        free(items);
        if (dup)
            return kt_fail(err, KT_E_DATA,
                           "%s: %s.%.64s: the key is given twice (readers disagree on which one "
                           "counts)",
                           what, where, dup);
    }
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c)) continue;
        int k = cJSON_IsObject(v) ? snprintf(where + len, cap - len, ".%s", c->string)
                                  : snprintf(where + len, cap - len, "[%zu]", i);
        size_t m = k < 0 ? 0 : (size_t)k < cap - len ? (size_t)k : cap - 1 - len;
        int rc = unique_keys(c, where, len + m, cap, what, err);
        where[len] = '\0';
        if (rc < 0) return -1;
    }
    return 0;
}

int kt_json_unique_keys(const cJSON *v, const char *what, kt_err *err)
{
    char where[512] = "$";
    return unique_keys(v, where, 1, sizeof where, what, err);
}

static int emit_object(const cJSON *v, kt_buf *out, int depth, kt_err *err)
{
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    const cJSON **items = NULL;
    if (n) {
        items = malloc(n * sizeof *items);
        if (!items) return kt_fail(err, KT_E_NOMEM, "out of memory emitting JSON");
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next) items[i++] = c;
        qsort(items, n, sizeof *items, cmp_keys);
    }
    int rc = kt_buf_append(out, "{", 1, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!items[i]->string) {
            rc = kt_fail(err, KT_E_DATA, "object member without a key");
            break;
        }
        if (i > 0 && strcmp(items[i - 1]->string, items[i]->string) == 0) {
            rc = kt_fail(err, KT_E_DATA, "duplicate object key \"%.64s\"", items[i]->string);
            break;
        }
        if ((i > 0 && kt_buf_append(out, ",", 1, err) < 0) ||
            emit_string(items[i]->string, out, err) < 0 || kt_buf_append(out, ":", 1, err) < 0 ||
            emit_value(items[i], out, depth + 1, err) < 0)
            rc = -1;
    }
    free(items);
    return rc < 0 ? -1 : kt_buf_append(out, "}", 1, err);
}

static int emit_value(const cJSON *v, kt_buf *out, int depth, kt_err *err)
{
    if (depth > KT_JSON_MAX_DEPTH)
        return kt_fail(err, KT_E_LIMIT, "JSON nested deeper than %d levels", KT_JSON_MAX_DEPTH);
    if (cJSON_IsObject(v)) return emit_object(v, out, depth, err);
    if (cJSON_IsArray(v)) {
        if (kt_buf_append(out, "[", 1, err) < 0) return -1;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child && kt_buf_append(out, ",", 1, err) < 0) return -1;
            if (emit_value(c, out, depth + 1, err) < 0) return -1;
        }
        return kt_buf_append(out, "]", 1, err);
    }
    if (cJSON_IsString(v)) return emit_string(v->valuestring, out, err);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d) || fabs(d) > MAX_SAFE_INT)
            return kt_fail(err, KT_E_DATA, "number is not an integer within +/-2^53");
        return kt_buf_printf(out, err, "%lld", (long long)d);
    }
    if (cJSON_IsTrue(v)) return kt_buf_puts(out, "true", err);
    if (cJSON_IsFalse(v)) return kt_buf_puts(out, "false", err);
    if (cJSON_IsNull(v)) return kt_buf_puts(out, "null", err);
    return kt_fail(err, KT_E_DATA, "unsupported JSON value");
}

int kt_json_emit(const cJSON *v, kt_buf *out, kt_err *err)
{
    return emit_value(v, out, 0, err);
}

int kt_json_emit_doc(const cJSON *v, kt_buf *out, kt_err *err)
{
    if (kt_json_emit(v, out, err) < 0) return -1;
    return kt_buf_append(out, "\n", 1, err);
}

/* "line L, column C (byte N)" of offset off in p, 1-based, columns in bytes. */
static void where(const char *p, size_t off, char *out, size_t cap)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++, col++)
        if (p[i] == '\n') line++, col = 0;
    snprintf(out, cap, "line %zu, column %zu (byte %zu)", line, col, off);
}

int kt_json_parse(const char *p, size_t n, const char *what, cJSON **out, kt_err *err)
{
    char at[96];
    const char *nul = memchr(p, '\0', n);
    if (nul) {
        where(p, (size_t)(nul - p), at, sizeof at);
        return kt_fail(err, KT_E_DATA, "%s: contains a NUL byte at %s", what, at);
    }
    if (!kt_utf8_valid(p, n)) return kt_fail(err, KT_E_DATA, "%s: not valid UTF-8", what);
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (!v) {
        size_t off = end ? (size_t)(end - p) : 0;
        const char *e = cJSON_GetErrorPtr();
        if (e && e >= p && e <= p + n) off = (size_t)(e - p);
        where(p, off, at, sizeof at);
        return kt_fail(err, KT_E_DATA, "%s: invalid JSON near %s", what, at);
    }
    /* Only whitespace may follow the value. */
    for (const char *q = end; q < p + n; q++) {
        if (*q != ' ' && *q != '\n' && *q != '\t' && *q != '\r') {
            cJSON_Delete(v);
            where(p, (size_t)(q - p), at, sizeof at);
            return kt_fail(err, KT_E_DATA, "%s: trailing data after the JSON value at %s", what,
                           at);
        }
    }
    *out = v;
    return 0;
}

static int depth_of(const cJSON *v, int depth)
{
    int max = depth;
    if (depth > KT_JSON_MAX_DEPTH) return depth;
    for (const cJSON *c = v->child; c; c = c->next) {
        int d = depth_of(c, depth + 1);
        if (d > max) max = d;
        if (max > KT_JSON_MAX_DEPTH) break;
    }
    return max;
}

int kt_json_parse_canonical(const char *p, size_t n, const char *what, cJSON **out, kt_err *err)
{
    cJSON *v = NULL;
    if (kt_json_parse(p, n, what, &v, err) < 0) return -1;
    if (depth_of(v, 0) > KT_JSON_MAX_DEPTH) {
        cJSON_Delete(v);
        return kt_fail(err, KT_E_LIMIT, "%s: JSON nested deeper than %d levels", what,
                       KT_JSON_MAX_DEPTH);
    }
    kt_buf b;
    kt_buf_init(&b, 2 * n + 64);
    kt_err why;
    kt_err_clear(&why);
    int rc = kt_json_emit_doc(v, &b, &why);
    if (rc < 0)
        kt_fail(err, KT_E_TAMPER, "%s: not canonical JSON: %s", what, why.msg);
    else if (b.len != n || memcmp(b.data, p, n) != 0)
        rc = kt_fail(err, KT_E_TAMPER, "%s: not in canonical JSON form", what);
    kt_buf_free(&b);
    if (rc < 0) {
        cJSON_Delete(v);
        return -1;
    }
    *out = v;
    return 0;
}
