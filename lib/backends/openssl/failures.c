/* Why an SSL_* call failed, as a tlsm class: what this side decided and what the peer said
 * first, then OpenSSL's error queue, then the socket's errno. */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "alerts.h"
#include "internal.h"

static int peer_spoke_yet(const tlsm_conn *c)
{
    int peer_is_server = c->ctx->side == TLSM_CLIENT;
    for (int i = 0; i < c->transcript.n; i++)
        if (c->transcript.msgs[i].from_server == peer_is_server)
            return 1;
    return 0;
}

/* The class an OpenSSL reason stands for; TLSM_OK when it has no class of its own. */
static tlsm_class class_of_ssl_reason(const tlsm_conn *c, unsigned long code)
{
    if (ERR_GET_LIB(code) != ERR_LIB_SSL)
        return TLSM_OK;
    int reason = ERR_GET_REASON(code);
    if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
        return tlsm_alert_class(reason - SSL_AD_REASON_OFFSET);
    switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
        return TLSM_E_TLS_NOT_TLS;
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
        /* Record-layer garbage means "not TLS" only before the peer said anything valid. */
        return peer_spoke_yet(c) ? TLSM_OK : TLSM_E_TLS_NOT_TLS;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_WRONG_SSL_VERSION:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_BAD_PROTOCOL_VERSION_NUMBER:
        return TLSM_E_TLS_PROTOCOL_VERSION;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
        return TLSM_E_TLS_NO_SHARED_CIPHER;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        return TLSM_E_TLS_CERT_REQUIRED;
    case SSL_R_NO_APPLICATION_PROTOCOL:
        return TLSM_E_TLS_ALPN_MISMATCH;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        return TLSM_E_IO_TRUNCATED;
    default:
        return TLSM_OK;
    }
}

static int is_reset_errno(int err)
{
    return err == ECONNRESET || err == EPIPE || err == ECONNABORTED;
}

static int fail_truncated(tlsm_error *e, tlsm_stage stage, const char *lib_text)
{
    tlsm_fail(e, TLSM_E_IO_TRUNCATED, stage, "%s",
              stage == TLSM_STAGE_HANDSHAKE
                  ? "peer closed the connection during the handshake"
                  : "peer closed the connection without close_notify");
    if (lib_text[0] != '\0')
        tlsm_error_append(e, "%s", lib_text);
    return -1;
}

/* Turns a failed SSL_* call into a class. Order matters: what this side decided (its verify
 * rejection, its ALPN refusal) and what the peer told us (a fatal alert) are more precise than
 * the error queue, which is consulted next, and the socket's errno last. */
int fail_from_ssl(tlsm_conn *c, tlsm_stage stage, int ssl_error, int sys_errno,
                  tlsm_error *e)
{
    char lib_text[TLSM_DETAIL_MAX];
    unsigned long codes[16];
    int n = drain_errors(lib_text, sizeof lib_text, codes, 16);
    if (n > 16)
        n = 16;
    char name_buf[32];

    if (c->rejection.rejected)
        return tlsm_fail(e, c->rejection.cls, TLSM_STAGE_VERIFY, "%s", c->rejection.detail);
    if (c->alpn_mismatch) {
        tlsm_fail(e, TLSM_E_TLS_ALPN_MISMATCH, stage,
                  "the client offered no protocol of alpn_protocols (sent alert "
                  "no_application_protocol)");
        tlsm_error_append(e, "%s", lib_text);
        return -1;
    }
    if (c->alert_received != NO_ALERT) {
        tlsm_fail(e, tlsm_alert_class(c->alert_received), stage, "received alert %s",
                  tlsm_alert_name(c->alert_received, name_buf, sizeof name_buf));
        if (lib_text[0] != '\0')
            tlsm_error_append(e, "%s", lib_text);
        return -1;
    }
    int plain_alert = first_record_alert(c);
    if (plain_alert != NO_ALERT) {
        tlsm_fail(e, tlsm_alert_class(plain_alert), stage, "received alert %s (in plaintext)",
                  tlsm_alert_name(plain_alert, name_buf, sizeof name_buf));
        if (lib_text[0] != '\0')
            tlsm_error_append(e, "%s", lib_text);
        return -1;
    }
    if (ssl_error == SSL_ERROR_ZERO_RETURN) /* close_notify where the handshake was expected */
        return tlsm_fail(e, TLSM_E_TLS_ALERT, stage, "received alert close_notify during the %s",
                         stage == TLSM_STAGE_HANDSHAKE ? "handshake" : "operation");
    for (int i = 0; i < n; i++) {
        tlsm_class cls = class_of_ssl_reason(c, codes[i]);
        if (cls == TLSM_E_IO_TRUNCATED)
            return fail_truncated(e, stage, lib_text);
        if (cls != TLSM_OK) {
            tlsm_fail(e, cls, stage, "%s", lib_text);
            if (cls == TLSM_E_TLS_PROTOCOL_VERSION && c->ctx->legacy_floor)
                tlsm_error_append(e, "TLS 1.0 and 1.1 need security_level=0 with OpenSSL 3");
            if (c->alert_sent != NO_ALERT)
                tlsm_error_append(e, "sent alert %s",
                                  tlsm_alert_name(c->alert_sent, name_buf, sizeof name_buf));
            return -1;
        }
        if (ERR_GET_LIB(codes[i]) == ERR_LIB_SYS && sys_errno == 0)
            sys_errno = ERR_GET_REASON(codes[i]);
    }
    if (ssl_error == SSL_ERROR_SYSCALL) {
        if (is_reset_errno(sys_errno))
            return tlsm_fail(e, TLSM_E_IO_RESET, stage, "connection reset by peer (%s)",
                             strerror(sys_errno));
        if (sys_errno == 0)
            return fail_truncated(e, stage, lib_text);
        return tlsm_fail(e, TLSM_E_IO_FAILED, stage, "%s", strerror(sys_errno));
    }
    tlsm_fail(e, TLSM_E_TLS_HANDSHAKE_FAILURE, stage, "%s",
              lib_text[0] != '\0' ? lib_text : "OpenSSL reported a failure without a reason");
    if (c->alert_sent != NO_ALERT)
        tlsm_error_append(e, "sent alert %s",
                          tlsm_alert_name(c->alert_sent, name_buf, sizeof name_buf));
    return -1;
}
