/* A connected byte stream, plain or TLS: protocols (echo, later SMTP/IMAP/POP3) read and write
 * through this and never ask which. TLS can be switched on mid-stream (STARTTLS). */
#ifndef TLSM_STREAM_H
#define TLSM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "errors.h"

typedef struct tlsm_stream {
    int fd;
    const tlsm_backend *backend;
    tlsm_conn *tls;       /* NULL while plain */
    int64_t deadline_ms;  /* every wait of this stream ends by then */
    int peer_closed;      /* read() saw the end: close_notify (TLS) or FIN (plain) */
} tlsm_stream;

void tlsm_stream_init(tlsm_stream *s, int fd, const tlsm_backend *backend, int64_t deadline_ms);

/* >0 bytes, 0 at the peer's clean end (close_notify / FIN), -1 with e set. */
long tlsm_stream_read(tlsm_stream *s, void *buf, size_t len, tlsm_error *e);
/* Reads exactly len bytes unless the stream ends first; returns the count read or -1. */
long tlsm_stream_read_exact(tlsm_stream *s, void *buf, size_t len, tlsm_error *e);
int tlsm_stream_write(tlsm_stream *s, const void *buf, size_t len, tlsm_error *e);

/* Ends our direction: close_notify (TLS, unless skip_close_notify) or FIN (plain). */
int tlsm_stream_finish(tlsm_stream *s, int skip_close_notify, tlsm_error *e);

/* After finishing, waits (bounded) for the peer's end. Returns 1 when the peer ended cleanly
 * (close_notify on TLS), 0 when it did not (e says why: io.truncated — also for a reset, which
 * here only means our close_notify was unread — io.timeout …). Data that still arrives is
 * discarded. */
int tlsm_stream_await_peer_end(tlsm_stream *s, tlsm_error *e);

#endif
