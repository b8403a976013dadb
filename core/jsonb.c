#include "jsonb.h"

#include "json_canon.h"
#include "name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mark(kt_jb *b, const char *key)
{
    if (!b->failed) snprintf(b->what, sizeof b->what, "%s", key ? key : "(array item)");
    b->failed = 1;
}

void kt_jb_init(kt_jb *b)
{
    b->failed = 0;
    b->what[0] = '\0';
    b->root = cJSON_CreateObject();
    if (!b->root) mark(b, "(root)");
}

void kt_jb_init_array(kt_jb *b)
{
    b->failed = 0;
    b->what[0] = '\0';
    b->root = cJSON_CreateArray();
    if (!b->root) mark(b, "(root)");
}

cJSON *kt_jb_item(kt_jb *b, cJSON *parent, const char *key, cJSON *item)
{
    int ok = item && parent && (key ? cJSON_IsObject(parent) : cJSON_IsArray(parent));
    /* Canonical JSON has unique keys: a second add of a key is a bug. */
    if (ok && key && cJSON_GetObjectItemCaseSensitive(parent, key)) ok = 0;
    if (ok)
        ok = key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item);
    if (!ok) {
        cJSON_Delete(item);
        mark(b, key);
        return NULL;
    }
    return item;
}

cJSON *kt_jb_obj(kt_jb *b, cJSON *parent, const char *key)
{
    return kt_jb_item(b, parent, key, cJSON_CreateObject());
}

cJSON *kt_jb_arr(kt_jb *b, cJSON *parent, const char *key)
{
    return kt_jb_item(b, parent, key, cJSON_CreateArray());
}

cJSON *kt_jb_str(kt_jb *b, cJSON *parent, const char *key, const char *v)
{
    return kt_jb_item(b, parent, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

cJSON *kt_jb_text(kt_jb *b, cJSON *parent, const char *key, const char *v)
{
    if (!v || kt_utf8_valid(v, strlen(v))) return kt_jb_str(b, parent, key, v);
    size_t n = kt_name_encoded_len(v) + 1;
    char *enc = malloc(n);
    kt_err e;
    if (!enc || kt_name_encode(v, enc, n, &e) < 0) {
        free(enc);
        mark(b, key);
        return NULL;
    }
    cJSON *o = kt_jb_obj(b, parent, key);
    kt_jb_str(b, o, "encoded", enc);
    free(enc);
    return o;
}

cJSON *kt_jb_int(kt_jb *b, cJSON *parent, const char *key, int64_t v)
{
    const int64_t max = (INT64_C(1) << 53) - 1;
    if (v > max || v < -max) {
        mark(b, key);
        return NULL;
    }
    return kt_jb_item(b, parent, key, cJSON_CreateNumber((double)v));
}

cJSON *kt_jb_bool(kt_jb *b, cJSON *parent, const char *key, int v)
{
    return kt_jb_item(b, parent, key, cJSON_CreateBool(v != 0));
}

cJSON *kt_jb_null(kt_jb *b, cJSON *parent, const char *key)
{
    return kt_jb_item(b, parent, key, cJSON_CreateNull());
}

int kt_jb_done(kt_jb *b, cJSON **out, const char *what, kt_err *err)
{
    *out = NULL;
    if (b->failed || !b->root) {
        kt_jb_discard(b);
        return kt_fail(err, KT_E_NOMEM, "cannot build %s (at \"%s\": out of memory or a bug)", what,
                       b->what);
    }
    *out = b->root;
    b->root = NULL;
    return 0;
}

void kt_jb_discard(kt_jb *b)
{
    cJSON_Delete(b->root);
    b->root = NULL;
}
