#include "lines.h"

#include <string.h>

void tlsm_lines_init(tlsm_lines *l, tlsm_stream *s, size_t max_line)
{
    l->stream = s;
    l->max_line = max_line < TLSM_LINES_BUF - 2 ? max_line : TLSM_LINES_BUF - 2;
    l->len = 0;
}

/* Returns the index just past the first LF in the buffer, or 0 when there is none. */
static size_t line_end(const tlsm_lines *l)
{
    const char *lf = memchr(l->buf, '\n', l->len);
    return lf ? (size_t)(lf - l->buf) + 1 : 0;
}

static void consume(tlsm_lines *l, size_t n)
{
    memmove(l->buf, l->buf + n, l->len - n);
    l->len -= n;
}

static long fill(tlsm_lines *l, tlsm_error *e)
{
    long n = tlsm_stream_read(l->stream, l->buf + l->len, sizeof l->buf - l->len, e);
    if (n > 0)
        l->len += (size_t)n;
    return n;
}

/* An overlong line: drop what we have and keep dropping until its LF arrives. */
static long skip_long_line(tlsm_lines *l, tlsm_error *e)
{
    for (;;) {
        size_t end = line_end(l);
        if (end) {
            consume(l, end);
            return TLSM_LINE_TOO_LONG;
        }
        l->len = 0;
        long n = fill(l, e);
        if (n < 0)
            return TLSM_LINE_ERROR;
        if (n == 0)
            return TLSM_LINE_EOF;
    }
}

/* 0x16 0x03: a TLS handshake record (RFC 8446 §5.1) where a text line should begin. */
static int starts_with_tls_record(const tlsm_lines *l)
{
    return l->len >= 2 && (unsigned char)l->buf[0] == 0x16 && l->buf[1] == 0x03;
}

long tlsm_lines_read(tlsm_lines *l, char *out, size_t out_len, tlsm_error *e)
{
    for (;;) {
        if (starts_with_tls_record(l))
            return TLSM_LINE_TLS;
        size_t end = line_end(l);
        if (end) {
            size_t text = end - 1;
            if (text > 0 && l->buf[text - 1] == '\r')
                text--;
            if (text > l->max_line || text >= out_len) {
                consume(l, end);
                return TLSM_LINE_TOO_LONG;
            }
            memcpy(out, l->buf, text);
            out[text] = '\0';
            consume(l, end);
            return (long)text;
        }
        if (l->len > l->max_line + 1)
            return skip_long_line(l, e);
        long n = fill(l, e);
        if (n < 0)
            return TLSM_LINE_ERROR;
        if (n == 0)
            return TLSM_LINE_EOF;
    }
}

size_t tlsm_lines_discard(tlsm_lines *l)
{
    size_t dropped = l->len;
    l->len = 0;
    return dropped;
}

int tlsm_lines_write(tlsm_lines *l, const char *text, tlsm_error *e)
{
    return tlsm_stream_write(l->stream, text, strlen(text), e);
}
