/* escape.h - show a string that did not come from kiemthu without letting it
 * act on the terminal, log or page that shows it.
 *
 * Member names, key ids, payload types and check reasons can come from a
 * crafted bundle or from a payload's output; printed raw, an escape sequence
 * can erase a REJECT line and draw a PASS, and Markdown can draw headings and
 * images in a CI summary. Every tool prints such strings only through here.
 *
 * KT_ESC_TEXT: printable ASCII only. A backslash becomes \\ (so an escaped
 *   form is never mistaken for a literal one); C0 controls, DEL and every
 *   byte that is not part of valid UTF-8 become \xNN; every other non-ASCII
 *   character becomes \u{XXXX}. No byte of the output is below 0x20, 0x7F or
 *   above it, so no terminal, in any character set, sees a control (C1
 *   controls hide in UTF-8: U+271B is E2 9C 9B, and 0x9B is CSI on an 8-bit
 *   terminal).
 * KT_ESC_HTML: for Markdown and HTML. Every ASCII character other than a
 *   letter, a digit or a space becomes a numeric character reference (&#60;
 *   for <): no tag, entity, link, emphasis, table cell or code span can
 *   start. Non-ASCII characters become &#xXXXX; (the browser shows the
 *   glyph), except those that reorder or break text — C1 controls, bidi marks
 *   and overrides (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069),
 *   U+2028, U+2029 — which are shown as the text \u{XXXX}; control and
 *   invalid bytes as \xNN.
 *
 * Neither form contains a byte outside 0x20..0x7E. */
#ifndef KT_ESCAPE_H
#define KT_ESCAPE_H

#include "buf.h"
#include "err.h"

#include <stdio.h>

enum kt_esc { KT_ESC_TEXT, KT_ESC_HTML };

/* Append the escaped form of s (NULL: nothing) to out. */
int kt_esc_buf(kt_buf *out, const char *s, enum kt_esc mode, kt_err *err);

/* Write the escaped form of s to f. */
void kt_esc_fputs(FILE *f, const char *s, enum kt_esc mode);

/* A malloc'd escaped copy (the caller frees it), or NULL when out of memory. */
char *kt_esc_dup(const char *s, enum kt_esc mode);

/* printf-style: format, escape the whole line (KT_ESC_TEXT), then write it
 * and a newline. For lines whose every part may carry outside bytes. */
void kt_esc_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A byte stream shown live on a terminal (kiemthu-sandbox --tee shows a
 * payload's output as it comes): like KT_ESC_TEXT, but \n and \t pass, a
 * backslash stays single (the record keeps the raw bytes; this is a view),
 * and, when utf8 is set (the terminal decodes UTF-8), so does valid UTF-8
 * other than the C1 controls and the characters that steer text (bidi marks
 * and overrides, U+2028, U+2029; see KT_ESC_HTML): a UTF-8 terminal shows
 * them and cannot act on them. Without utf8 every non-ASCII character is
 * \u{XXXX}, since an 8-bit terminal takes the 0x9B inside U+271B for CSI.
 * Every other C0 control (CR, ESC, BEL, ...), DEL and every byte that is not
 * valid UTF-8 becomes \xNN, C1 and steering characters \u{XXXX}: no escape
 * sequence, OSC, CR-overwrite or 8-bit CSI of the payload's reaches the
 * terminal. The input may hold NUL bytes; a UTF-8 sequence cut between two
 * chunks is carried to the next. */
typedef struct kt_esc_stream {
    int utf8; /* set by the caller */
    unsigned char carry[4];
    size_t ncarry;
} kt_esc_stream;

/* Append the shown form of p[0..n) to out. */
int kt_esc_stream_put(kt_esc_stream *st, kt_buf *out, const void *p, size_t n, kt_err *err);
/* End of the stream: a sequence left incomplete is shown as \xNN bytes. */
int kt_esc_stream_end(kt_esc_stream *st, kt_buf *out, kt_err *err);

#endif
