/* jsonb.h - build a cJSON document and remember the first failure.
 *
 * Every call takes the parent it adds to and returns what it added (or NULL).
 * A NULL parent, a failed allocation or a key added twice marks the builder
 * failed and is otherwise ignored, so a whole document can be built without a
 * check per call, and checked once with kt_jb_done() before anything built
 * from it is written or signed. A document with a field missing never leaves
 * a builder that says it succeeded. */
#ifndef KT_JSONB_H
#define KT_JSONB_H

#include "err.h"

#include <cjson/cJSON.h>
#include <stdint.h>

typedef struct kt_jb {
    cJSON *root; /* the document; owned by the caller after kt_jb_done() */
    int failed;
    char what[64]; /* the first key that failed */
} kt_jb;

/* Start a document whose root is an object (or an array with kt_jb_init_array). */
void kt_jb_init(kt_jb *b);
void kt_jb_init_array(kt_jb *b);

/* Add to an object (key != NULL) or append to an array (key == NULL). */
cJSON *kt_jb_obj(kt_jb *b, cJSON *parent, const char *key);
cJSON *kt_jb_arr(kt_jb *b, cJSON *parent, const char *key);
cJSON *kt_jb_str(kt_jb *b, cJSON *parent, const char *key, const char *v); /* NULL v: null */
/* Bytes from outside (an argument, a path, an image's config, a message
 * naming them): the string itself when it is valid UTF-8, else the object
 * {"encoded": E} with E its member-name encoding (name.h, reversible), so a
 * record is never unwritable, nor lossy, because of the bytes it records. */
cJSON *kt_jb_text(kt_jb *b, cJSON *parent, const char *key, const char *v);
cJSON *kt_jb_int(kt_jb *b, cJSON *parent, const char *key, int64_t v); /* |v| <= 2^53-1 */
cJSON *kt_jb_bool(kt_jb *b, cJSON *parent, const char *key, int v);
cJSON *kt_jb_null(kt_jb *b, cJSON *parent, const char *key);
/* Attach an item built elsewhere; the builder owns it from here on (freed on failure). */
cJSON *kt_jb_item(kt_jb *b, cJSON *parent, const char *key, cJSON *item);

/* 0 and the document in *out (the caller's), or -1 with err filled and
 * everything freed. what names the document in the message. */
int kt_jb_done(kt_jb *b, cJSON **out, const char *what, kt_err *err);

/* Free a builder's document without using it. */
void kt_jb_discard(kt_jb *b);

#endif
