/* json.h - a small JSON reader for kiemthu-probe, which is linked statically
 * (to run in a minimal --rootfs) and so cannot use the shared cJSON. It reads
 * the whole grammar into a tree with caps on size, depth and node count;
 * numbers are kept as doubles. Used only on seccomp profiles. */
#ifndef KT_PROBE_JSON_H
#define KT_PROBE_JSON_H

#include "../../core/err.h"

#include <stddef.h>

enum pj_type { PJ_NULL, PJ_BOOL, PJ_NUM, PJ_STR, PJ_ARR, PJ_OBJ };

typedef struct pj {
    enum pj_type type;
    double num; /* PJ_NUM; PJ_BOOL: 0 or 1 */
    char *str;  /* PJ_STR; the key when inside an object */
    char *key;
    struct pj *child; /* first element / member */
    struct pj *next;
} pj;

/* Parse text[0..n); NULL on any error, with err filled (KT_E_DATA, the
 * first thing wrong). */
pj *pj_parse(const char *text, size_t n, kt_err *err);
void pj_free(pj *v);
const pj *pj_get(const pj *obj, const char *key);

#endif
