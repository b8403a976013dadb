#include "escape.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0 if
 * the bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF, cut). */
static size_t utf8_at(const unsigned char *p, unsigned long *cp)
{
    unsigned char c = p[0];
    size_t n;
    unsigned long v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

/* Code points shown as \u{XXXX} although they are valid UTF-8. */
static int steers(unsigned long cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
           cp == 0x2029;
}

static int put_ascii(kt_buf *out, unsigned char c, enum kt_esc mode, kt_err *err)
{
    int plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ';
    if (mode == KT_ESC_HTML && !plain) return kt_buf_printf(out, err, "&#%d;", c);
    return kt_buf_append(out, &c, 1, err);
}

/* Our own escape text (a backslash sequence), as the mode shows it. */
static int put_escape(kt_buf *out, const char *esc, enum kt_esc mode, kt_err *err)
{
    for (; *esc; esc++)
        if (put_ascii(out, (unsigned char)*esc, mode, err) < 0) return -1;
    return 0;
}

int kt_esc_buf(kt_buf *out, const char *s, enum kt_esc mode, kt_err *err)
{
    if (!s) return 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char esc[16];
        unsigned long cp;
        size_t n = utf8_at(p, &cp);
        int rc;
        if (n == 0 || cp < 0x20 || cp == 0x7F) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
            n = 1;
            rc = put_escape(out, esc, mode, err);
        } else if (cp == '\\') {
            rc = put_escape(out, "\\\\", mode, err);
        } else if (n == 1) {
            rc = put_ascii(out, *p, mode, err);
        } else if (mode == KT_ESC_HTML && !steers(cp)) {
            rc = kt_buf_printf(out, err, "&#x%lX;", cp);
        } else {
            snprintf(esc, sizeof esc, "\\u{%04lX}", cp);
            rc = put_escape(out, esc, mode, err);
        }
        if (rc < 0) return -1;
        p += n;
    }
    return 0;
}

char *kt_esc_dup(const char *s, enum kt_esc mode)
{
    kt_buf b;
    kt_buf_init(&b, 0);
    if (kt_buf_puts(&b, "", NULL) < 0 || kt_esc_buf(&b, s, mode, NULL) < 0) {
        kt_buf_free(&b);
        return NULL;
    }
    return kt_buf_steal(&b, NULL);
}

void kt_esc_fputs(FILE *f, const char *s, enum kt_esc mode)
{
    char *e = kt_esc_dup(s, mode);
    /* Out of memory: print nothing rather than the raw string. */
    if (e)
        fputs(e, f);
    else
        fputs("(unprintable: out of memory)", f);
    free(e);
}

void kt_esc_line(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("(unprintable: out of memory)\n", f);
        return;
    }
    kt_esc_fputs(f, line, KT_ESC_TEXT);
    fputc('\n', f);
    free(line);
}
