#include "jsondoc.h"

#include "fsutil.h"
#include "json_canon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A key given twice in one object: cJSON keeps both and its lookups find
 * the first, while Python, jq and Go's encoding/json take the last, so the
 * same bytes (the same sha256) would mean two different documents to two
 * readers. Refused, named by its JSON path. */
static int no_duplicate_keys(const cJSON *v, char *where, size_t len, size_t cap, const char *path,
                             kt_err *err)
{
    int i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        size_t n = cJSON_IsObject(v) ? (size_t)snprintf(where + len, cap - len, ".%s", c->string)
                                     : (size_t)snprintf(where + len, cap - len, "[%d]", i);
        if (len + n >= cap) n = cap - 1 - len;
        if (cJSON_IsObject(v))
            for (const cJSON *d = v->child; d != c; d = d->next)
                if (!strcmp(d->string, c->string))
                    return kt_fail(err, KT_E_DATA,
                                   "%s: %s: the key is given twice (readers disagree on which "
                                   "one counts)",
                                   path, where);
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
            no_duplicate_keys(c, where, len + n, cap, path, err) < 0)
            return -1;
        where[len] = '\0';
    }
    return 0;
}

/* Take ownership of buf (n bytes plus a NUL): hash, parse, check. */
static int adopt(kt_jsondoc *doc, char *buf, size_t n, const char *path, kt_jsondoc_check check,
                 void *arg, kt_err *err)
{
    memset(doc, 0, sizeof *doc);
    doc->bytes = buf;
    doc->n = n;
    if (!(doc->path = strdup(path))) {
        kt_jsondoc_free(doc);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    kt_sha256(buf, n, doc->sha256);
    kt_hex(doc->sha256, sizeof doc->sha256, doc->sha256_hex);
    char where[512] = "$";
    if (kt_json_parse(buf, n, path, &doc->root, err) < 0 ||
        no_duplicate_keys(doc->root, where, 1, sizeof where, path, err) < 0 ||
        (check && check(doc->root, path, arg, err) < 0)) {
        kt_jsondoc_free(doc);
        return -1;
    }
    return 0;
}

int kt_jsondoc_load(kt_jsondoc *doc, const char *path, size_t cap, kt_jsondoc_check check,
                    void *arg, kt_err *err)
{
    char *buf;
    size_t n;
    memset(doc, 0, sizeof *doc);
    if (kt_read_file(path, cap, &buf, &n, err) < 0) return -1;
    return adopt(doc, buf, n, path, check, arg, err);
}

int kt_jsondoc_parse(kt_jsondoc *doc, const char *bytes, size_t n, const char *path, size_t cap,
                     kt_jsondoc_check check, void *arg, kt_err *err)
{
    memset(doc, 0, sizeof *doc);
    if (n > cap)
        return kt_fail(err, KT_E_LIMIT, "%s is %zu bytes, more than the limit of %zu", path, n,
                       cap);
    char *buf = malloc(n + 1);
    if (!buf) return kt_fail(err, KT_E_NOMEM, "out of memory");
    memcpy(buf, bytes, n);
    buf[n] = '\0';
    return adopt(doc, buf, n, path, check, arg, err);
}

void kt_jsondoc_free(kt_jsondoc *doc)
{
    if (!doc) return;
    cJSON_Delete(doc->root);
    free(doc->bytes);
    free(doc->path);
    memset(doc, 0, sizeof *doc);
}
