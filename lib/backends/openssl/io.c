/* The handshake, application data and close_notify loops: each retries while libssl wants
 * the socket, waits no longer than the caller's deadline, and hands a failure to failures.c. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "internal.h"
#include "net.h"


/* Waits for what libssl asked for (WANT_READ / WANT_WRITE) or fails at the deadline. */
static int wait_for_socket(tlsm_conn *c, int ssl_error, int64_t deadline_ms, tlsm_stage stage,
                           const char *operation, tlsm_error *e)
{
    short events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    int ready = tlsm_wait_fd(c->fd, events, deadline_ms);
    if (ready > 0)
        return 0;
    if (ready == 0)
        return tlsm_fail(e, TLSM_E_IO_TIMEOUT, stage,
                         "%s did not complete before the deadline (waiting to %s)", operation,
                         events == POLLOUT ? "write" : "read");
    return tlsm_fail(e, TLSM_E_IO_FAILED, stage, "poll: %s", strerror(errno));
}

static int wants_io(int ssl_error)
{
    return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE;
}

int ossl_handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int ret = SSL_do_handshake(c->ssl);
        int saved_errno = errno;
        if (ret == 1)
            return 0;
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (!wants_io(ssl_error)) {
            int rc = fail_from_ssl(c, TLSM_STAGE_HANDSHAKE, ssl_error, saved_errno, e);
            if (c->alert_sent != NO_ALERT)
                tlsm_linger_after_alert(c->fd);
            return rc;
        }
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_HANDSHAKE, "the handshake", e) != 0)
            return -1;
    }
}

long ossl_read(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e)
{
    if (len == 0)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_IO, "read into an empty buffer");
    if (len > LONG_MAX)
        len = LONG_MAX;
    for (;;) {
        size_t got = 0;
        ERR_clear_error();
        errno = 0;
        int ret = SSL_read_ex(c->ssl, buf, len, &got);
        int saved_errno = errno;
        if (ret == 1)
            return (long)got;
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (ssl_error == SSL_ERROR_ZERO_RETURN) /* close_notify */
            return 0;
        if (!wants_io(ssl_error))
            return fail_from_ssl(c, TLSM_STAGE_IO, ssl_error, saved_errno, e);
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_IO, "the read", e) != 0)
            return -1;
    }
}

long ossl_write(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms,
                tlsm_error *e)
{
    if (len > LONG_MAX)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_IO, "write of %zu bytes is too large", len);
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        size_t wrote = 0;
        ERR_clear_error();
        errno = 0;
        /* After WANT_*, libssl requires the same arguments again: p + done and len - done do
         * not change until a call succeeds. */
        int ret = SSL_write_ex(c->ssl, p + done, len - done, &wrote);
        int saved_errno = errno;
        if (ret == 1) {
            done += wrote;
            continue;
        }
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (!wants_io(ssl_error))
            return fail_from_ssl(c, TLSM_STAGE_IO, ssl_error, saved_errno, e);
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_IO, "the write", e) != 0)
            return -1;
    }
    return (long)len;
}

/* Sends close_notify once. SSL_shutdown returning 0 means "sent, the peer's not seen yet":
 * that is success here; reading the peer's close_notify is the caller's business (read()). */
int ossl_shutdown(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    if (c->close_notify_sent)
        return 0;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int ret = SSL_shutdown(c->ssl);
        int saved_errno = errno;
        if (ret >= 0) {
            c->close_notify_sent = 1;
            return 0;
        }
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (ssl_error == SSL_ERROR_WANT_READ) { /* the alert is out; it now waits for the peer's */
            c->close_notify_sent = 1;
            ERR_clear_error();
            return 0;
        }
        if (ssl_error != SSL_ERROR_WANT_WRITE)
            return fail_from_ssl(c, TLSM_STAGE_CLOSE, ssl_error, saved_errno, e);
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_CLOSE, "sending close_notify", e) != 0)
            return -1;
    }
}
