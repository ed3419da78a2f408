/* Bounded line I/O over a stream, for the mail protocols. A line ends at LF (CRLF or bare LF);
 * a line longer than the limit is consumed through its end and reported, so the conversation
 * stays in step. Bytes read ahead stay in the buffer, which STARTTLS must be able to drop. */
#ifndef TLSM_LINES_H
#define TLSM_LINES_H

#include <stddef.h>

#include "errors.h"
#include "stream.h"

#define TLSM_LINES_BUF 16384

typedef struct tlsm_lines {
    tlsm_stream *stream;
    size_t max_line; /* longest line accepted, without its CRLF */
    char buf[TLSM_LINES_BUF];
    size_t len;      /* bytes read ahead, not yet returned */
} tlsm_lines;

enum { TLSM_LINE_EOF = -1, TLSM_LINE_TOO_LONG = -2, TLSM_LINE_ERROR = -3, TLSM_LINE_TLS = -4 };

void tlsm_lines_init(tlsm_lines *l, tlsm_stream *s, size_t max_line);
/* One line into out without its line ending (NUL-terminated, out_len > max_line).
 * Returns its length, or TLSM_LINE_EOF (peer ended cleanly before a full line),
 * TLSM_LINE_TOO_LONG (the line was dropped), TLSM_LINE_ERROR (e set), TLSM_LINE_TLS (a line
 * starts with a TLS handshake record header: the peer speaks TLS where text was expected). */
long tlsm_lines_read(tlsm_lines *l, char *out, size_t out_len, tlsm_error *e);
/* Drops what was read ahead and returns how many bytes that was (STARTTLS: RFC 3207 §4.2). */
size_t tlsm_lines_discard(tlsm_lines *l);
/* Writes text as-is (the caller includes CRLF). */
int tlsm_lines_write(tlsm_lines *l, const char *text, tlsm_error *e);

#endif
