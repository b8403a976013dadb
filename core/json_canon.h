/* json_canon.h - the one canonical JSON form kiemthu writes and accepts.
 *
 * Canonical form: no insignificant whitespace; object keys sorted by byte
 * order and unique; strings escape only '"', '\\' and control characters
 * (\b \f \n \r \t short forms, others \u00xx lowercase); other bytes are
 * copied as valid UTF-8; numbers are integers with |n| <= 2^53-1 written in
 * plain decimal; nesting at most KT_JSON_MAX_DEPTH; a document ends in "\n".
 * A parsed document is canonical when re-emitting it gives the same bytes. */
#ifndef KT_JSON_CANON_H
#define KT_JSON_CANON_H

#include "buf.h"
#include "err.h"

#include <cjson/cJSON.h>

#define KT_JSON_MAX_DEPTH 32

/* Append the canonical encoding of v (no trailing newline). */
int kt_json_emit(const cJSON *v, kt_buf *out, kt_err *err);

/* Emit a whole document: canonical encoding followed by "\n". */
int kt_json_emit_doc(const cJSON *v, kt_buf *out, kt_err *err);

/* Parse p[0..n) and require it to be exactly a canonical document.
 * what names the input in messages. *out is owned by the caller. */
int kt_json_parse_canonical(const char *p, size_t n, const char *what, cJSON **out, kt_err *err);

/* Parse p[0..n) as JSON (any layout, no NUL bytes, valid UTF-8 strings). */
int kt_json_parse(const char *p, size_t n, const char *what, cJSON **out, kt_err *err);

/* 0 if no object of v gives a key twice; else -1, err naming the first
 * such key by its JSON path ("$.syscalls[3].action"). cJSON keeps both and
 * finds the first; Python, jq and Go's encoding/json take the last. */
int kt_json_unique_keys(const cJSON *v, const char *what, kt_err *err);

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int kt_utf8_valid(const char *s, size_t n);

#endif
