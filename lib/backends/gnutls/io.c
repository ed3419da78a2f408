/* Moving bytes, each call bounded by the caller's deadline: the push/pull functions GnuTLS
 * writes and reads through, the handshake loop, application data and close_notify.
 * What a failed call means is failures.c's business. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/gnutls.h>

#include "internal.h"
#include "net.h"

#define ALERT_DEADLINE_MS 1000 /* how long a best-effort alert may take to go out */

/* ------------------------------------------------------------------------------------------ */
/* Transport: non-blocking socket I/O through our own push/pull                               */

/* Our own push/pull functions (instead of gnutls_transport_set_int) see the raw records: the
 * first bytes the peer sent tell whether it speaks TLS at all (GnuTLS reports plaintext input
 * under several unrelated error codes), and CCS records go into the transcript (transcript.c). */
ssize_t pull_bytes(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
    tlsm_conn *c = ptr;
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n < 0) {
        c->last_errno = errno;
        gnutls_transport_set_errno(c->session, errno);
        return -1;
    }
    for (ssize_t i = 0; i < n && c->n_first_bytes < sizeof c->first_bytes; i++)
        c->first_bytes[c->n_first_bytes++] = ((unsigned char *)buf)[i];
    track_records(c, &c->rec_in, buf, (size_t)n, 0);
    return n;
}

/* Vectored, so that a whole flight leaves in one sendmsg() as OpenSSL writes it: one send()
 * per record lets Nagle's algorithm hold the later records back until the peer's delayed ACK,
 * which costs ~40 ms per flight on loopback. */
ssize_t push_vector(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
    tlsm_conn *c = ptr;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = (struct iovec *)(void *)iov; /* giovec_t has struct iovec's layout */
    mh.msg_iovlen = (size_t)iovcnt;
    ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
    if (n < 0) {
        c->last_errno = errno;
        gnutls_transport_set_errno(c->session, errno);
        return n;
    }
    size_t left = (size_t)n;
    for (int i = 0; i < iovcnt && left > 0; i++) {
        size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
        track_records(c, &c->rec_out, iov[i].iov_base, k, 1);
        left -= k;
    }
    return n;
}

/* Used by GnuTLS only to ask whether data is pending; never blocks (deadlines are ours). */
int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
    tlsm_conn *c = ptr;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int wait = ms == GNUTLS_INDEFINITE_TIMEOUT ? 0 : (int)(ms > 1000 ? 1000 : ms);
    int r = poll(&p, 1, wait);
    if (r < 0) {
        c->last_errno = errno;
        gnutls_transport_set_errno(c->session, errno);
        return -1;
    }
    return r;
}

/* Waits for the direction GnuTLS is blocked on. 0 ready, -1 with io.timeout / io.failed. */
static int wait_io(tlsm_conn *c, int64_t deadline_ms, tlsm_stage stage, const char *what,
                   tlsm_error *e)
{
    short ev = gnutls_record_get_direction(c->session) ? POLLOUT : POLLIN;
    int r = tlsm_wait_fd(c->fd, ev, deadline_ms);
    if (r > 0)
        return 0;
    if (r == 0)
        return tlsm_fail(e, TLSM_E_IO_TIMEOUT, stage, "%s did not complete before the deadline",
                         what);
    return tlsm_fail(e, TLSM_E_IO_FAILED, stage, "poll: %s", strerror(errno));
}

/* Best effort: a fatal alert so the peer learns why, bounded by a short deadline. */
void send_alert(tlsm_conn *c, gnutls_alert_description_t desc)
{
    int64_t deadline = tlsm_now_ms() + ALERT_DEADLINE_MS;
    for (;;) {
        int ret = gnutls_alert_send(c->session, GNUTLS_AL_FATAL, desc);
        if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED)
            break;
        if (tlsm_wait_fd(c->fd, POLLOUT, deadline) <= 0)
            break;
    }
    tlsm_linger_after_alert(c->fd);
}

/* ------------------------------------------------------------------------------------------ */
/* Handshake                                                                                  */

static int run_handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        int ret = gnutls_handshake(c->session);
        if (ret == GNUTLS_E_SUCCESS)
            return 0;
        if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED ||
            (ret < 0 && !gnutls_error_is_fatal(ret) && ret != GNUTLS_E_WARNING_ALERT_RECEIVED)) {
            if (ret == GNUTLS_E_AGAIN && wait_io(c, deadline_ms, TLSM_STAGE_HANDSHAKE, "handshake",
                                                 e) < 0)
                return -1;
            continue;
        }
        if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED &&
            gnutls_alert_get(c->session) == GNUTLS_A_CLOSE_NOTIFY)
            return tlsm_fail(e, TLSM_E_TLS_ALERT, TLSM_STAGE_HANDSHAKE,
                             "received alert close_notify during the handshake");
        if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
            continue; /* e.g. unrecognized_name: OpenSSL goes on too */
        return fail_handshake(c, ret, e);
    }
}

int handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    if (c->ctx->no_usable_version) {
        /* As OpenSSL does: a plaintext protocol_version alert instead of any hello. */
        tlsm_fail(e, TLSM_E_TLS_PROTOCOL_VERSION, TLSM_STAGE_HANDSHAKE, "%s",
                  c->ctx->no_version_reason);
        send_alert(c, GNUTLS_A_PROTOCOL_VERSION);
        return -1;
    }
    return run_handshake(c, deadline_ms, e);
}

/* ------------------------------------------------------------------------------------------ */
/* Application data                                                                           */

long conn_read(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        ssize_t n = gnutls_record_recv(c->session, buf, len);
        if (n >= 0)
            return (long)n; /* 0 = close_notify */
        int ret = (int)n;
        switch (ret) {
        case GNUTLS_E_AGAIN:
            if (wait_io(c, deadline_ms, TLSM_STAGE_IO, "read", e) < 0)
                return -1;
            continue;
        case GNUTLS_E_INTERRUPTED:
        case GNUTLS_E_WARNING_ALERT_RECEIVED: /* warnings do not end the connection */
            continue;
        case GNUTLS_E_REHANDSHAKE:
            /* Client: a TLS 1.2 HelloRequest; OpenSSL clients renegotiate, so do we. Server: a
             * client-initiated renegotiation, which OpenSSL 3.0 servers refuse by default. */
            if (c->ctx->side == TLSM_CLIENT) {
                if (run_handshake(c, deadline_ms, e) < 0)
                    return -1;
            } else {
                gnutls_alert_send(c->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
            }
            continue;
        case GNUTLS_E_FATAL_ALERT_RECEIVED:
            return fail_alert_received(c, ret, TLSM_STAGE_IO, e);
        case GNUTLS_E_PREMATURE_TERMINATION:
            tlsm_fail(e, TLSM_E_IO_TRUNCATED, TLSM_STAGE_IO,
                      "the peer closed the connection without close_notify");
            append_gnutls_error(e, ret);
            return -1;
        case GNUTLS_E_PULL_ERROR:
        case GNUTLS_E_PUSH_ERROR:
            return fail_transport(c, ret, TLSM_STAGE_IO, e);
        default:
            if (!gnutls_error_is_fatal(ret))
                continue;
            tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "read failed");
            append_gnutls_error(e, ret);
            return -1;
        }
    }
}

long conn_write(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms,
                tlsm_error *e)
{
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        /* After GNUTLS_E_AGAIN the same data must be passed again; we do. */
        ssize_t n = gnutls_record_send(c->session, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        int ret = (int)n;
        if (ret == GNUTLS_E_AGAIN) {
            if (wait_io(c, deadline_ms, TLSM_STAGE_IO, "write", e) < 0)
                return -1;
            continue;
        }
        if (ret == GNUTLS_E_INTERRUPTED)
            continue;
        if (is_transport_error(ret))
            return fail_transport(c, ret, TLSM_STAGE_IO, e);
        tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "write failed");
        append_gnutls_error(e, ret);
        return -1;
    }
    return (long)len;
}

int conn_shutdown(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    if (c->sent_close_notify)
        return 0;
    for (;;) {
        int ret = gnutls_bye(c->session, GNUTLS_SHUT_WR);
        if (ret == GNUTLS_E_SUCCESS) {
            c->sent_close_notify = 1;
            return 0;
        }
        if (ret == GNUTLS_E_AGAIN) {
            if (wait_io(c, deadline_ms, TLSM_STAGE_CLOSE, "close_notify", e) < 0)
                return -1;
            continue;
        }
        if (ret == GNUTLS_E_INTERRUPTED)
            continue;
        c->sent_close_notify = 1; /* once, even when it failed */
        if (is_transport_error(ret))
            return fail_transport(c, ret, TLSM_STAGE_CLOSE, e);
        tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_CLOSE, "close_notify failed");
        append_gnutls_error(e, ret);
        return -1;
    }
}
