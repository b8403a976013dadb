#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_NODES 200000

typedef struct parser {
    const char *p, *end;
    int nodes;
    kt_err *err;
} parser;

static pj *fail(parser *ps, const char *msg)
{
    if (ps->err && !ps->err->cls) kt_fail(ps->err, KT_E_DATA, "%s", msg);
    return NULL;
}

static void ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static pj *node(parser *ps, enum pj_type t)
{
    if (++ps->nodes > MAX_NODES) return fail(ps, "too many JSON values");
    pj *v = calloc(1, sizeof *v);
    if (!v) return fail(ps, "out of memory");
    v->type = t;
    return v;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string into a new buffer; \\u escapes become UTF-8 (surrogate pairs joined). */
static char *string(parser *ps)
{
    if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a string"), NULL;
    ps->p++;
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    /* Every malformed case leaves through bad: a string ended early must
     * never pass for a whole one because a quote happens to follow. */
    while (out && ps->p < ps->end && *ps->p != '"') {
        if (n + 5 > cap) {
            char *o = realloc(out, cap *= 2);
            if (!o) goto bad;
            out = o;
        }
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20) goto bad;
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        if (ps->p >= ps->end) goto bad;
        char e = *ps->p++;
        const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *m = strchr(map, e);
        if (m && ((m - map) % 2 == 0) && e != 'u') {
            out[n++] = m[1];
            continue;
        }
        if (e != 'u' || ps->end - ps->p < 4) goto bad;
        unsigned cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = hexval(ps->p[i]);
            if (h < 0) goto bad;
            cp = cp << 4 | (unsigned)h;
        }
        ps->p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
            ps->p[1] == 'u') {
            unsigned lo = 0;
            for (int i = 0; i < 4; i++) {
                int h = hexval(ps->p[2 + i]);
                if (h < 0) goto bad;
                lo = lo << 4 | (unsigned)h;
            }
            if (lo < 0xdc00 || lo > 0xdfff) goto bad;
            ps->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            goto bad;
        }
        if (cp == 0) goto bad; /* no NUL inside C strings */
        if (cp < 0x80) {
            out[n++] = (char)cp;
        } else if (cp < 0x800) {
            out[n++] = (char)(0xc0 | cp >> 6), out[n++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out[n++] = (char)(0xe0 | cp >> 12), out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (char)(0x80 | (cp & 0x3f));
        } else {
            out[n++] = (char)(0xf0 | cp >> 18), out[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    if (out && ps->p < ps->end && *ps->p == '"') {
        ps->p++;
        out[n] = '\0';
        return out;
    }
bad:
    free(out);
    return fail(ps, "malformed string"), NULL;
}

static pj *value(parser *ps, int depth);

static pj *container(parser *ps, int depth, int obj)
{
    pj *v = node(ps, obj ? PJ_OBJ : PJ_ARR), **tail;
    if (!v) return NULL;
    tail = &v->child;
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        if (obj) {
            ws(ps);
            if (!(key = string(ps))) break;
            ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail(ps, "expected ':'");
                break;
            }
            ps->p++;
        }
        pj *c = value(ps, depth + 1);
        if (!c) {
            free(key);
            break;
        }
        c->key = key;
        *tail = c;
        tail = &c->next;
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
            ps->p++;
            return v;
        }
        fail(ps, "expected ',' or a closing bracket");
        break;
    }
    pj_free(v);
    return NULL;
}

static pj *value(parser *ps, int depth)
{
    if (depth > MAX_DEPTH) return fail(ps, "JSON nested too deeply");
    ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end of JSON");
    char c = *ps->p;
    if (c == '{' || c == '[') return container(ps, depth, c == '{');
    if (c == '"') {
        char *s = string(ps);
        pj *v = s ? node(ps, PJ_STR) : NULL;
        if (!v) return free(s), NULL;
        v->str = s;
        return v;
    }
    static const struct {
        const char *word;
        enum pj_type t;
        double n;
    } words[] = {{"true", PJ_BOOL, 1}, {"false", PJ_BOOL, 0}, {"null", PJ_NULL, 0}};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(words[i].word);
        if ((size_t)(ps->end - ps->p) >= l && !memcmp(ps->p, words[i].word, l)) {
            ps->p += l;
            pj *v = node(ps, words[i].t);
            if (v) v->num = words[i].n;
            return v;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t n = 0;
        while (ps->p < ps->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", *ps->p))
            buf[n++] = *ps->p++;
        buf[n] = '\0';
        char *endp;
        double d = strtod(buf, &endp);
        if (*endp || !n) return fail(ps, "malformed number");
        pj *v = node(ps, PJ_NUM);
        if (v) v->num = d;
        return v;
    }
    return fail(ps, "unexpected character");
}

pj *pj_parse(const char *text, size_t n, kt_err *err)
{
    parser ps = {text, text + n, 0, err};
    if (err) kt_err_clear(err);
    if (memchr(text, '\0', n)) return fail(&ps, "NUL byte in JSON");
    pj *v = value(&ps, 0);
    if (!v) return NULL;
    ws(&ps);
    if (ps.p != ps.end) {
        pj_free(v);
        return fail(&ps, "trailing data after JSON");
    }
    return v;
}

void pj_free(pj *v)
{
    while (v) {
        pj *next = v->next;
        pj_free(v->child);
        free(v->str);
        free(v->key);
        free(v);
        v = next;
    }
}

const pj *pj_get(const pj *obj, const char *key)
{
    if (!obj || obj->type != PJ_OBJ) return NULL;
    for (const pj *c = obj->child; c; c = c->next)
        if (c->key && !strcmp(c->key, key)) return c;
    return NULL;
}
