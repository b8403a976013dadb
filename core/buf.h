/* buf.h - growable byte buffer with a hard cap, always NUL-terminated. */
#ifndef KT_BUF_H
#define KT_BUF_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_buf {
    char *data;
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* largest len allowed (0 = SIZE_MAX/2) */
} kt_buf;

void kt_buf_init(kt_buf *b, size_t limit);
void kt_buf_free(kt_buf *b);
int kt_buf_append(kt_buf *b, const void *p, size_t n, kt_err *err);
int kt_buf_puts(kt_buf *b, const char *s, kt_err *err);
int kt_buf_printf(kt_buf *b, kt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Hand the data to the caller (who frees it); the buffer is reset. */
char *kt_buf_steal(kt_buf *b, size_t *len_out);

#endif
