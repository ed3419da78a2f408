#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* Quotes up to 40 bytes of data for a detail message, escaping what isn't printable. */
static void quote_bytes(const char *data, size_t len, char *out, size_t out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && i < 40 && o + 5 < out_len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

static int compare_echo(const char *sent, size_t len, const char *got, size_t got_len,
                        tlsm_error *e)
{
    if (got_len == len && memcmp(sent, got, len) == 0)
        return 0;
    char want_q[200], got_q[200];
    quote_bytes(sent, len, want_q, sizeof want_q);
    quote_bytes(got, got_len, got_q, sizeof got_q);
    return tlsm_fail(e, TLSM_E_IO_MISMATCH, TLSM_STAGE_IO,
                     "echo differs: sent %zu bytes \"%s\", got %zu bytes \"%s\"", len, want_q,
                     got_len, got_q);
}

int tlsm_echo_client(tlsm_stream *s, const char *text, size_t len, tlsm_error *e)
{
    if (tlsm_stream_write(s, text, len, e) < 0)
        return -1;
    char *back = malloc(len + 1);
    if (back == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_IO, "out of memory");
    long got = tlsm_stream_read_exact(s, back, len, e);
    int rc = got < 0 ? -1 : compare_echo(text, len, back, (size_t)got, e);
    free(back);
    return rc;
}

int tlsm_echo_datagram(tlsm_stream *s, const char *text, size_t len, tlsm_error *e)
{
    if (tlsm_send_all(s->fd, text, len, s->deadline_ms, e) < 0)
        return -1;
    char back[65536];
    long got = tlsm_recv_some(s->fd, back, sizeof back, s->deadline_ms, e);
    if (got < 0)
        return -1;
    return compare_echo(text, len, back, (size_t)got, e);
}

int tlsm_echo_serve(tlsm_stream *s, tlsm_error *e)
{
    char buf[16384];
    for (;;) {
        long n = tlsm_stream_read(s, buf, sizeof buf, e);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (tlsm_stream_write(s, buf, (size_t)n, e) < 0)
            return -1;
    }
}
