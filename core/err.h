/* err.h - error context filled by library code, printed only by main().
 *
 * Every fallible function returns 0 on success or -1 on failure, after
 * filling a kt_err with a class (which main() maps to an exit code) and a
 * message that names the file and the reason. */
#ifndef KT_ERR_H
#define KT_ERR_H

#include <stddef.h>

enum kt_errclass {
    KT_E_NONE = 0,
    KT_E_USAGE,     /* bad command line or option value */
    KT_E_NOINPUT,   /* an input file or directory does not exist */
    KT_E_DATA,      /* an input exists but is malformed or refused */
    KT_E_CANTCREAT, /* an output cannot be created */
    KT_E_IO,        /* read/write failure, disk full */
    KT_E_NOMEM,     /* allocation failed */
    KT_E_AUTH,      /* signature does not verify against a pinned key */
    KT_E_TAMPER,    /* bundle not in canonical form or contents do not match */
    KT_E_LIMIT,     /* a resource cap was exceeded */
    KT_E_INTERNAL,  /* a bug or an unexpected system failure */
};

typedef struct kt_err {
    enum kt_errclass cls;
    char member[256]; /* bundle member involved, if any ("" otherwise) */
    char msg[768];
} kt_err;

/* Fill err (if not NULL) and return -1. */
int kt_fail(kt_err *err, enum kt_errclass cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(errnum)". errno is preserved. */
int kt_fail_errno(kt_err *err, enum kt_errclass cls, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record which bundle member an error concerns; returns -1. */
int kt_err_member(kt_err *err, const char *member);

/* Short stable name of a class ("data", "io", ...), for JSON output. */
const char *kt_errclass_name(enum kt_errclass cls);

void kt_err_clear(kt_err *err);

#endif
