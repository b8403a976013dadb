/* jsondoc.h - a JSON document read once: the exact bytes, their sha256, the
 * parsed tree and the path that names it in messages, all from one read.
 *
 * Whatever is hashed, parsed, validated and later written (into a bundle, a
 * run record) is the same buffer: nobody re-reads the file and hopes for the
 * same bytes. Used for policies (policy/) and seccomp profiles (sandbox/). */
#ifndef KT_JSONDOC_H
#define KT_JSONDOC_H

#include "err.h"
#include "sha256.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_jsondoc {
    char *bytes; /* exactly what was read, followed by a NUL not counted in n */
    size_t n;
    uint8_t sha256[KT_SHA256_LEN];
    char sha256_hex[KT_SHA256_HEX];
    cJSON *root; /* the parsed document */
    char *path;  /* names the document in messages: a file path or a member name */
} kt_jsondoc;

/* Checks the parsed document (a schema); 0, or -1 with err filled. path is
 * the document's, for messages; arg is the caller's. */
typedef int (*kt_jsondoc_check)(const cJSON *root, const char *path, void *arg, kt_err *err);

/* Read path once (a regular file of at most cap bytes), hash, parse as JSON,
 * then run check (if not NULL). On failure *doc is left empty and err names
 * path and the reason; a syntax error gives its line and column. */
int kt_jsondoc_load(kt_jsondoc *doc, const char *path, size_t cap, kt_jsondoc_check check,
                    void *arg, kt_err *err);

/* The same from bytes already in memory (copied); path only names them. */
int kt_jsondoc_parse(kt_jsondoc *doc, const char *bytes, size_t n, const char *path, size_t cap,
                     kt_jsondoc_check check, void *arg, kt_err *err);

void kt_jsondoc_free(kt_jsondoc *doc);

#endif
