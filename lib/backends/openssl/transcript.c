/* What libssl lets us see of the wire while a connection runs: handshake messages and
 * ChangeCipherSpec for the transcript, the first fatal alert each way, and the first bytes the
 * peer sent. failures.c classifies from these before it looks at the error queue. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "internal.h"

/* libssl reports each handshake message it writes or reads, and each ChangeCipherSpec it
 * writes. A ChangeCipherSpec it reads (TLS 1.2, and TLS 1.3's middlebox-compatibility one) is
 * not reported as such by OpenSSL 3.0, only its record header, so received ones are taken from
 * the header (type 20); that also keeps one entry per record if a version reported both.
 * Other record headers, TLS 1.3 inner content types and alerts are not handshake messages. */
void on_protocol_message(int write_p, int version, int content_type, const void *buf,
                         size_t len, SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    tlsm_conn *c = arg;
    if (c == NULL || len == 0)
        return;
    int from_server = c->ctx->side == TLSM_SERVER ? write_p : !write_p;
    int first_byte = ((const unsigned char *)buf)[0];
    if (content_type == SSL3_RT_HANDSHAKE)
        tlsm_transcript_add(&c->transcript, first_byte, from_server);
    else if (content_type == SSL3_RT_CHANGE_CIPHER_SPEC && write_p)
        tlsm_transcript_add(&c->transcript, TLSM_HS_CHANGE_CIPHER_SPEC, from_server);
    else if (content_type == SSL3_RT_HEADER && !write_p && first_byte == SSL3_RT_CHANGE_CIPHER_SPEC)
        tlsm_transcript_add(&c->transcript, TLSM_HS_CHANGE_CIPHER_SPEC, from_server);
}

/* Notes the first fatal alert in each direction: the one received decides the class. */
void on_info(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_ALERT))
        return;
    tlsm_conn *c = SSL_get_app_data(ssl);
    if (c == NULL)
        return;
    int level = (ret >> 8) & 0xff;
    int description = ret & 0xff;
    if (level != SSL3_AL_FATAL)
        return;
    if (where & SSL_CB_READ) {
        if (c->alert_received == NO_ALERT)
            c->alert_received = description;
    } else if (c->alert_sent == NO_ALERT) {
        c->alert_sent = description;
    }
}

/* Keeps the first bytes read from the socket. A peer with no protocol version left sends a
 * plaintext alert instead of a ClientHello (OpenSSL's client does, and the GnuTLS backend does
 * as OpenSSL does); a server's libssl rejects a first record that is not a handshake as
 * "unexpected message" without reading the alert in it, so the alert is taken from these bytes. */
long on_socket_io(BIO *bio, int oper, const char *argp, size_t len, int argi, long argl,
                  int ret, size_t *processed)
{
    (void)len;
    (void)argi;
    (void)argl;
    tlsm_conn *c = (tlsm_conn *)BIO_get_callback_arg(bio);
    if (c != NULL && oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL) {
        size_t room = sizeof c->first_bytes - c->n_first_bytes;
        size_t n = *processed < room ? *processed : room;
        memcpy(c->first_bytes + c->n_first_bytes, argp, n);
        c->n_first_bytes += n;
    }
    return ret;
}

/* The description of a fatal alert that was the very first record the peer sent (type 21,
 * version 3.x, length 2, level fatal), or NO_ALERT. */
int first_record_alert(const tlsm_conn *c)
{
    const unsigned char *b = c->first_bytes;
    if (c->n_first_bytes < 7 || b[0] != SSL3_RT_ALERT || b[1] != 3 || b[3] != 0 || b[4] != 2 ||
        b[5] != SSL3_AL_FATAL)
        return NO_ALERT;
    return b[6];
}
