/* Why a handshake or a transfer failed, as a tlsm class: from what the connection recorded
 * (our verify verdict, a plaintext alert, the peer's first bytes, the ClientHello's versions)
 * before GnuTLS's error code; and the alert an OpenSSL peer would send for the same failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "alerts.h"
#include "internal.h"

/* The first bytes from the peer are not a TLS record header (content type 20-24, major version
 * 3) nor an SSLv2-framed ClientHello: the peer speaks something else (SMTP banner, HTTP, ...). */
static int peer_spoke_plaintext(const tlsm_conn *c)
{
    if (c->n_first_bytes == 0)
        return 0;
    unsigned char b0 = c->first_bytes[0];
    if (b0 & 0x80)
        return c->ctx->side == TLSM_CLIENT; /* SSLv2 framing: only a ClientHello is plausible */
    if (b0 < 20 || b0 > 24)
        return 1;
    return c->n_first_bytes >= 2 && c->first_bytes[1] != 3;
}

int is_transport_error(int ret)
{
    return ret == GNUTLS_E_PULL_ERROR || ret == GNUTLS_E_PUSH_ERROR;
}

int fail_transport(tlsm_conn *c, int ret, tlsm_stage stage, tlsm_error *e)
{
    int err = c->last_errno;
    if (err == ECONNRESET || err == EPIPE)
        return tlsm_fail(e, TLSM_E_IO_RESET, stage, "connection reset by peer (%s)",
                         strerror(err));
    tlsm_fail(e, TLSM_E_IO_FAILED, stage, "socket error: %s", err ? strerror(err) : "?");
    append_gnutls_error(e, ret);
    return -1;
}

/* Our write failed because the peer closed (it rejected us and went away while we were still
 * sending our flight). If its alert is still in our receive queue and in plaintext (TLS <= 1.2
 * before ChangeCipherSpec), report that alert: it says why, the reset does not. */
static int salvage_plaintext_alert(tlsm_conn *c, tlsm_error *e)
{
    if (c->rec_in.lost || c->rec_in.header_len != 0 || c->rec_in.body_left != 0)
        return 0; /* not at a record boundary */
    unsigned char rec[7];
    ssize_t n = recv(c->fd, rec, sizeof rec, MSG_DONTWAIT);
    if (n != (ssize_t)sizeof rec || rec[0] != 21 || rec[1] != 3 || rec[3] != 0 || rec[4] != 2 ||
        rec[5] != GNUTLS_AL_FATAL)
        return 0;
    char buf[32];
    tlsm_fail(e, tlsm_alert_class(rec[6]), TLSM_STAGE_HANDSHAKE,
              "received alert %s (read after our write failed: %s)",
              tlsm_alert_name(rec[6], buf, sizeof buf), strerror(c->last_errno));
    return 1;
}

int fail_alert_received(tlsm_conn *c, int ret, tlsm_stage stage, tlsm_error *e)
{
    int desc = (int)gnutls_alert_get(c->session);
    char buf[32];
    tlsm_fail(e, tlsm_alert_class(desc), stage, "received alert %s",
              tlsm_alert_name(desc, buf, sizeof buf));
    append_gnutls_error(e, ret);
    return -1;
}

/* The alert an OpenSSL 3.0 peer would send for the same failure, so both libraries' peers see
 * the same class; GnuTLS's own mapping (gnutls_error_to_alert) for the rest. */
static gnutls_alert_description_t alert_for_failure(tlsm_conn *c, tlsm_class cls, int ret)
{
    switch (cls) {
    case TLSM_E_TLS_CERT_REQUIRED:
        return gnutls_protocol_get_version(c->session) == GNUTLS_TLS1_3
                   ? GNUTLS_A_CERTIFICATE_REQUIRED : GNUTLS_A_HANDSHAKE_FAILURE;
    case TLSM_E_TLS_PROTOCOL_VERSION: return GNUTLS_A_PROTOCOL_VERSION;
    case TLSM_E_TLS_NO_SHARED_CIPHER: return GNUTLS_A_HANDSHAKE_FAILURE;
    case TLSM_E_TLS_ALPN_MISMATCH: return GNUTLS_A_NO_APPLICATION_PROTOCOL;
    default: break;
    }
    int desc = gnutls_error_to_alert(ret, NULL);
    return desc >= 0 ? (gnutls_alert_description_t)desc : GNUTLS_A_INTERNAL_ERROR;
}

/* Classifies a failed handshake and tells the peer why when the failure is ours. */
int fail_handshake(tlsm_conn *c, int ret, tlsm_error *e)
{
    if (c->verify_failed) {
        tlsm_fail(e, c->verify_err.cls, TLSM_STAGE_VERIFY, "%s", c->verify_err.detail);
        send_alert(c, alert_for_verify_class(c->verify_err.cls));
        return -1;
    }
    if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
        return fail_alert_received(c, ret, TLSM_STAGE_HANDSHAKE, e);
    if (c->plain_alert >= 0) {
        /* The peer sent a fatal alert in plaintext where GnuTLS expected an encrypted record
         * (an OpenSSL TLS 1.3 client rejecting our certificate has not switched to its
         * handshake keys yet), so GnuTLS reports a decryption failure: the alert says why. */
        char buf[32];
        tlsm_fail(e, tlsm_alert_class(c->plain_alert), TLSM_STAGE_HANDSHAKE,
                  "received alert %s (in plaintext)", tlsm_alert_name(c->plain_alert, buf, sizeof buf));
        append_gnutls_error(e, ret);
        return -1;
    }
    if (is_transport_error(ret)) {
        if (salvage_plaintext_alert(c, e))
            return -1;
        return fail_transport(c, ret, TLSM_STAGE_HANDSHAKE, e);
    }
    if (peer_spoke_plaintext(c)) {
        char shown[4 * sizeof c->first_bytes + 1];
        size_t k = 0;
        for (size_t i = 0; i < c->n_first_bytes; i++) {
            unsigned char ch = c->first_bytes[i];
            if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
                shown[k++] = (char)ch;
            else
                k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02X", ch);
        }
        shown[k] = '\0';
        tlsm_fail(e, TLSM_E_TLS_NOT_TLS, TLSM_STAGE_HANDSHAKE,
                  "the peer does not speak TLS: its first bytes are \"%s\"", shown);
        append_gnutls_error(e, ret);
        send_alert(c, GNUTLS_A_PROTOCOL_VERSION); /* what OpenSSL sends on "wrong version number" */
        return -1;
    }
    if (ret == GNUTLS_E_PREMATURE_TERMINATION) {
        tlsm_fail(e, TLSM_E_IO_TRUNCATED, TLSM_STAGE_HANDSHAKE,
                  "peer closed the connection during the handshake");
        append_gnutls_error(e, ret);
        return -1;
    }
    tlsm_class cls;
    int versions_disjoint = c->ctx->side == TLSM_SERVER && c->client_versions != 0 &&
                            (c->client_versions & c->ctx->version_mask) == 0;
    switch (versions_disjoint ? GNUTLS_E_UNSUPPORTED_VERSION_PACKET : ret) {
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET: cls = TLSM_E_TLS_PROTOCOL_VERSION; break;
    case GNUTLS_E_NO_CIPHER_SUITES:
    case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
    case GNUTLS_E_NO_COMMON_KEY_SHARE:
    case GNUTLS_E_INSUFFICIENT_CREDENTIALS: cls = TLSM_E_TLS_NO_SHARED_CIPHER; break;
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
    case GNUTLS_E_CERTIFICATE_REQUIRED: cls = TLSM_E_TLS_CERT_REQUIRED; break;
    case GNUTLS_E_NO_APPLICATION_PROTOCOL: cls = TLSM_E_TLS_ALPN_MISMATCH; break;
    default: cls = TLSM_E_TLS_HANDSHAKE_FAILURE; break;
    }
    if (versions_disjoint)
        tlsm_fail(e, cls, TLSM_STAGE_HANDSHAKE,
                  "the client offers no protocol version this server allows");
    else
        tlsm_fail(e, cls, TLSM_STAGE_HANDSHAKE, "handshake failed");
    append_gnutls_error(e, ret);
    send_alert(c, alert_for_failure(c, cls, ret));
    return -1;
}
