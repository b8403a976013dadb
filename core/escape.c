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
        char esc[24];
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

/* Like utf8_at, within n bytes: the length of the valid sequence at p, 0 if
 * invalid, or -1 if the n bytes are a valid start that is cut short. */
static long utf8_in(const unsigned char *p, size_t n, unsigned long *cp)
{
    unsigned char c = p[0];
    size_t need = c < 0x80             ? 1
                  : (c & 0xE0) == 0xC0 ? 2
                  : (c & 0xF0) == 0xE0 ? 3
                  : (c & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (need == 0) return 0;
    unsigned char seq[5] = {0};
    size_t have = n < need ? n : need;
    memcpy(seq, p, have);
    for (size_t i = 1; i < have; i++)
        if ((seq[i] & 0xC0) != 0x80) return 0;
    if (have < need) {
        /* Cut short: is what is there a possible prefix? (E0 80 never is.) */
        if (have >= 2 && ((c == 0xE0 && seq[1] < 0xA0) || (c == 0xED && seq[1] > 0x9F) ||
                          (c == 0xF0 && seq[1] < 0x90) || (c == 0xF4 && seq[1] > 0x8F) || c > 0xF4))
            return 0;
        if (have == 1 && (c == 0xC0 || c == 0xC1 || c > 0xF4)) return 0;
        return -1;
    }
    return (long)utf8_at(seq, cp);
}

static int stream_one(const kt_esc_stream *st, kt_buf *out, const unsigned char *p, size_t len,
                      unsigned long cp, kt_err *err)
{
    char esc[24];
    if (len == 0) {
        snprintf(esc, sizeof esc, "\\x%02x", *p);
        return kt_buf_puts(out, esc, err);
    }
    if (len == 1 && (cp == '\n' || cp == '\t' || (cp >= 0x20 && cp != 0x7F)))
        return kt_buf_append(out, p, 1, err);
    if (len == 1) {
        snprintf(esc, sizeof esc, "\\x%02x", *p);
        return kt_buf_puts(out, esc, err);
    }
    if (steers(cp) || !st->utf8) {
        snprintf(esc, sizeof esc, "\\u{%04lX}", cp);
        return kt_buf_puts(out, esc, err);
    }
    return kt_buf_append(out, p, len, err);
}

int kt_esc_stream_put(kt_esc_stream *st, kt_buf *out, const void *data, size_t n, kt_err *err)
{
    const unsigned char *p = data;
    /* First complete a sequence carried from the last chunk. */
    while (st->ncarry && n) {
        unsigned char seq[8];
        memcpy(seq, st->carry, st->ncarry);
        size_t take = n < 4 - st->ncarry ? n : 4 - st->ncarry;
        memcpy(seq + st->ncarry, p, take);
        unsigned long cp;
        long len = utf8_in(seq, st->ncarry + take, &cp);
        if (len < 0 && take == n) { /* still cut: carry more */
            memcpy(st->carry + st->ncarry, p, take);
            st->ncarry += take;
            return 0;
        }
        if (len <= 0) { /* invalid: its first byte as \xNN, retry with the rest */
            if (stream_one(st, out, seq, 0, 0, err) < 0) return -1;
            memmove(st->carry, st->carry + 1, --st->ncarry);
            continue;
        }
        if (stream_one(st, out, seq, (size_t)len, cp, err) < 0) return -1;
        size_t used = (size_t)len - st->ncarry;
        p += used, n -= used, st->ncarry = 0;
    }
    while (n) {
        unsigned long cp = 0;
        long len = utf8_in(p, n, &cp);
        if (len < 0) { /* cut at the end of this chunk */
            memcpy(st->carry, p, n);
            st->ncarry = n;
            return 0;
        }
        if (stream_one(st, out, p, (size_t)len, cp, err) < 0) return -1;
        size_t used = len ? (size_t)len : 1;
        p += used, n -= used;
    }
    return 0;
}

int kt_esc_stream_end(kt_esc_stream *st, kt_buf *out, kt_err *err)
{
    for (size_t i = 0; i < st->ncarry; i++)
        if (stream_one(st, out, st->carry + i, 0, 0, err) < 0) return -1;
    st->ncarry = 0;
    return 0;
}
