/* tee.h - --tee: the payload's stdout and stderr shown live on the runner's
 * own stdout and stderr (a CI log), as well as stored raw in the record.
 *
 * The bytes are the payload's, and the terminal or log viewer that shows
 * them may be what it attacks: they pass through kt_esc_stream (core/
 * escape.h), so no escape sequence, OSC, carriage return or 8-bit control of
 * the payload's reaches it; valid UTF-8 text passes when the runner's locale
 * (LC_ALL, LC_CTYPE or LANG, the first set) is UTF-8, else non-ASCII is
 * shown as \u{XXXX}.
 *
 * Showing never holds the supervisor up (the timeout and the stop signals
 * must still act while a slow or stopped reader lets a pipe fill): a pipe or
 * terminal is written through a non-blocking descriptor of its own, a socket
 * with MSG_DONTWAIT; what does not fit then is dropped and counted. A reader
 * that went away (EPIPE) ends the view of that stream, never the runner.
 * Shown is what the record keeps (at most --output-cap per stream). */
#ifndef KT_TEE_H
#define KT_TEE_H

#include "../core/buf.h"
#include "../core/escape.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_tee {
    int fd[2];   /* the runner's stdout, stderr as the view writes them; -1: off */
    int own[2];  /* fd[i] is a descriptor of ours (close it) */
    int sock[2]; /* fd[i] is a socket: send(MSG_DONTWAIT) */
    kt_esc_stream st[2];
    uint64_t dropped[2];    /* bytes of the shown form not written: the reader did not keep up */
    const char *off_why[2]; /* why the view of a stream ended, NULL while it runs */
    kt_buf scratch;
} kt_tee;

/* Set up the views of stdout (1) and stderr (2). A stream that cannot be
 * shown without blocking the runner (closed, no reader, /proc missing) is
 * left off, off_why saying why; the record is complete either way. */
void kt_tee_open(kt_tee *t);
/* Show n bytes of the payload's stream which (0 stdout, 1 stderr). */
void kt_tee_write(kt_tee *t, int which, const void *p, size_t n);
/* End of an attempt: a UTF-8 sequence left cut is shown as \xNN. */
void kt_tee_end(kt_tee *t);
void kt_tee_close(kt_tee *t);
/* What the view of stream i could not show, as a warning for main() to
 * print; NULL when it showed everything. */
const char *kt_tee_note(const kt_tee *t, int i, char *buf, size_t n);

#endif
