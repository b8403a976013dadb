#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kt_buf_init(kt_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX / 2;
}

void kt_buf_free(kt_buf *b)
{
    free(b->data);
    kt_buf_init(b, b->limit);
}

static int reserve(kt_buf *b, size_t extra, kt_err *err)
{
    if (extra > b->limit - b->len)
        return kt_fail(err, KT_E_LIMIT, "buffer would exceed its limit of %zu bytes", b->limit);
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory (%zu bytes)", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int kt_buf_append(kt_buf *b, const void *p, size_t n, kt_err *err)
{
    if (reserve(b, n, err) < 0) return -1;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int kt_buf_puts(kt_buf *b, const char *s, kt_err *err)
{
    return kt_buf_append(b, s, strlen(s), err);
}

int kt_buf_printf(kt_buf *b, kt_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return kt_fail(err, KT_E_INTERNAL, "formatting failed");
    if (reserve(b, (size_t)n, err) < 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *kt_buf_steal(kt_buf *b, size_t *len_out)
{
    char *p = b->data;
    if (len_out) *len_out = b->len;
    kt_buf_init(b, b->limit);
    return p;
}
