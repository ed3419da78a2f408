#include "stream.h"

#include <sys/socket.h>

#include "net.h"

void tlsm_stream_init(tlsm_stream *s, int fd, const tlsm_backend *backend, int64_t deadline_ms)
{
    s->fd = fd;
    s->backend = backend;
    s->tls = NULL;
    s->deadline_ms = deadline_ms;
    s->peer_closed = 0;
}

long tlsm_stream_read(tlsm_stream *s, void *buf, size_t len, tlsm_error *e)
{
    long n = s->tls ? s->backend->read(s->tls, buf, len, s->deadline_ms, e)
                    : tlsm_recv_some(s->fd, buf, len, s->deadline_ms, e);
    if (n == 0)
        s->peer_closed = 1;
    return n;
}

long tlsm_stream_read_exact(tlsm_stream *s, void *buf, size_t len, tlsm_error *e)
{
    size_t got = 0;
    while (got < len) {
        long n = tlsm_stream_read(s, (char *)buf + got, len - got, e);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

int tlsm_stream_write(tlsm_stream *s, const void *buf, size_t len, tlsm_error *e)
{
    if (s->tls)
        return s->backend->write(s->tls, buf, len, s->deadline_ms, e) < 0 ? -1 : 0;
    return tlsm_send_all(s->fd, buf, len, s->deadline_ms, e);
}

int tlsm_stream_finish(tlsm_stream *s, int skip_close_notify, tlsm_error *e)
{
    if (s->tls) {
        if (skip_close_notify)
            return 0;
        return s->backend->shutdown(s->tls, s->deadline_ms, e);
    }
    shutdown(s->fd, SHUT_WR);
    return 0;
}

int tlsm_stream_await_peer_end(tlsm_stream *s, tlsm_error *e)
{
    char sink[4096];
    /* Bounded by the deadline; the byte cap stops a peer that streams forever. */
    for (long total = 0; !s->peer_closed && total < (1L << 24);) {
        tlsm_error read_err;
        tlsm_error_clear(&read_err);
        long n = tlsm_stream_read(s, sink, sizeof sink, &read_err);
        if (n < 0) {
            /* After our close_notify, a reset means the peer closed with our close_notify still
             * unread: it ended without its own, exactly like a bare FIN. Which of the two the
             * kernel shows depends only on timing, so the verdict is io.truncated either way. */
            if (read_err.cls == TLSM_E_IO_RESET)
                tlsm_fail(e, TLSM_E_IO_TRUNCATED, TLSM_STAGE_CLOSE,
                          "the peer reset the connection instead of sending close_notify (%s)",
                          read_err.detail);
            else
                tlsm_fail(e, read_err.cls, read_err.stage, "%s", read_err.detail);
            return 0;
        }
        total += n;
    }
    if (!s->peer_closed)
        tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_CLOSE, "the peer kept sending after our close");
    return s->peer_closed;
}
