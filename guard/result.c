/* result.c - the guard's findings and the JSON document that records them. */
#include "guard.h"

#include "../core/json_canon.h"
#include "../core/jsonb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kt_guard_init(kt_guard *g)
{
    memset(g, 0, sizeof *g);
    g->source_files = -1;
}

void kt_guard_free(kt_guard *g)
{
    for (size_t i = 0; i < g->n; i++) free(g->v[i].where);
    free(g->v);
    kt_guard_init(g);
}

int kt_guard_violation_add(kt_guard *g, const char *symbol, const char *category, const char *where,
                           kt_err *err)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->v[i].symbol, symbol) && !strcmp(g->v[i].where, where)) return 0;
    if (g->n == KT_GUARD_VIOLATIONS_MAX) {
        g->more++;
        return 0;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        kt_guard_violation *v = realloc(g->v, cap * sizeof *v);
        if (!v) return kt_fail(err, KT_E_NOMEM, "out of memory");
        g->v = v;
        g->cap = cap;
    }
    kt_guard_violation *v = &g->v[g->n];
    v->category = category;
    snprintf(v->symbol, sizeof v->symbol, "%s", symbol);
    if (!(v->where = strdup(where))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    g->n++;
    return 0;
}

int kt_guard_pass(const kt_guard *g)
{
    return g->n == 0 && g->more == 0 && (!g->is_static || g->allow_static);
}

char *kt_guard_display(const char *name)
{
    size_t n = strlen(name);
    char *out = malloc(4 * n + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)name[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        int ok = len && i + len <= n && kt_utf8_valid(name + i, len);
        if (ok && len == 1 && (c < 0x20 || c == 0x7f || c == '\\')) ok = 0;
        if (ok && len == 2 && c == 0xc2 && (unsigned char)name[i + 1] < 0xa0) ok = 0; /* C1 */
        if (!ok) {
            o += sprintf(o, "\\x%02x", c);
            i++;
            continue;
        }
        memcpy(o, name + i, len);
        o += len;
        i += len;
    }
    *o = '\0';
    return out;
}

int kt_guard_json(const kt_guard *g, const char *binary, cJSON **out, kt_err *err)
{
    char *shown = kt_guard_display(binary);
    if (!shown) return kt_fail(err, KT_E_NOMEM, "out of memory");
    kt_jb b;
    kt_jb_init(&b);
    kt_jb_str(&b, b.root, "binary", shown);
    kt_jb_int(&b, b.root, "deny_list", 1);
    kt_jb_bool(&b, b.root, "pass", kt_guard_pass(g));
    kt_jb_str(&b, b.root, "sha256", g->sha256);
    kt_jb_int(&b, b.root, "symbols_checked", g->symbols);
    if (g->source_files >= 0) kt_jb_int(&b, b.root, "source_files_checked", g->source_files);
    cJSON *arr = kt_jb_arr(&b, b.root, "violations");
    if (g->is_static && !g->allow_static) {
        cJSON *v = kt_jb_obj(&b, arr, NULL);
        kt_jb_str(&b, v, "category", "uninspectable");
        kt_jb_str(&b, v, "symbol", "(static binary)");
        kt_jb_str(&b, v, "where", "dynsym");
    }
    for (size_t i = 0; i < g->n; i++) {
        cJSON *v = kt_jb_obj(&b, arr, NULL);
        kt_jb_str(&b, v, "category", g->v[i].category);
        kt_jb_str(&b, v, "symbol", g->v[i].symbol);
        kt_jb_str(&b, v, "where", g->v[i].where);
    }
    if (g->more) kt_jb_bool(&b, b.root, "violations_truncated", 1);
    free(shown);
    return kt_jb_done(&b, out, "the guard result", err);
}
