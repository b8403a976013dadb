#include "jsondoc.h"

#include "fsutil.h"
#include "json_canon.h"

#include <stdlib.h>
#include <string.h>

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
    if (kt_json_parse(buf, n, path, &doc->root, err) < 0 ||
        kt_json_unique_keys(doc->root, path, err) < 0 ||
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
