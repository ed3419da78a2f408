/* The handshake transcript as the wire carried it: messages from GnuTLS's handshake hook,
 * ChangeCipherSpec records found in the byte stream our push/pull functions see, and (server)
 * the versions the ClientHello offered, which failures.c needs. */
#include <string.h>

#include <gnutls/gnutls.h>

#include "internal.h"

/* Where GnuTLS tells us about messages: handshake messages through the hook (incoming ones
 * before they are processed, so a Certificate we reject is still listed, as OpenSSL's message
 * callback lists it; outgoing ones when queued). ChangeCipherSpec is not a handshake message and
 * GnuTLS's hook never reports it (its pseudo type 254 is used only internally), so CCS records are
 * found in the byte stream: incoming ones as they are read (GnuTLS reads record by record, so
 * the order is exact), outgoing ones when written. Outgoing messages are queued by the hook but
 * written when the flight is flushed, so an outgoing CCS is placed before the first queued
 * message that has not reached the wire yet (TLS 1.2: before our Finished). */

static void transcript_insert(tlsm_conn *c, int at, int type, int from_server)
{
    tlsm_transcript *t = &c->transcript;
    if (t->n >= TLSM_TRANSCRIPT_MAX) {
        t->overflow++;
        return;
    }
    memmove(&t->msgs[at + 1], &t->msgs[at], (size_t)(t->n - at) * sizeof t->msgs[0]);
    t->msgs[at].type = type;
    t->msgs[at].from_server = from_server;
    t->n++;
    for (int i = 0; i < c->n_pending_out; i++)
        if (c->pending_out[i] >= at)
            c->pending_out[i]++;
}

static void on_record(tlsm_conn *c, unsigned char content_type, int outgoing)
{
    int i_am_server = c->ctx->side == TLSM_SERVER;
    if (!outgoing) {
        if (content_type == 20)
            tlsm_transcript_add(&c->transcript, TLSM_HS_CHANGE_CIPHER_SPEC, !i_am_server);
        return;
    }
    if (content_type == 20) {
        int at = c->n_pending_out > 0 ? c->pending_out[0] : c->transcript.n;
        transcript_insert(c, at, TLSM_HS_CHANGE_CIPHER_SPEC, i_am_server);
    } else if ((content_type == 22 || content_type == 23) && c->n_pending_out > 0) {
        c->n_pending_out--; /* the oldest queued message is on the wire */
        memmove(&c->pending_out[0], &c->pending_out[1],
                (size_t)c->n_pending_out * sizeof c->pending_out[0]);
    }
}

void track_records(tlsm_conn *c, record_tracker *t, const unsigned char *p, size_t n,
                   int outgoing)
{
    while (n > 0 && !t->lost) {
        if (t->body_left > 0) {
            size_t k = n < t->body_left ? n : t->body_left;
            if (t->header[0] == 21 && t->header[3] == 0 && t->header[4] == 2) {
                for (size_t i = 0; i < k && t->alert_len < 2; i++)
                    t->alert[t->alert_len++] = p[i];
                if (t->alert_len == 2 && !outgoing && t->alert[0] == GNUTLS_AL_FATAL)
                    c->plain_alert = t->alert[1];
            }
            t->body_left -= k;
            p += k;
            n -= k;
            continue;
        }
        t->header[t->header_len++] = *p++;
        n--;
        if (t->header_len < 5)
            continue;
        t->header_len = 0;
        if (t->header[0] < 20 || t->header[0] > 24 || t->header[1] != 3) {
            t->lost = 1;
            return;
        }
        t->body_left = (size_t)t->header[3] << 8 | t->header[4];
        t->alert_len = 0;
        on_record(c, t->header[0], outgoing);
    }
}

static unsigned version_bit(unsigned wire)
{
    switch (wire) {
    case 0x0300: return 1u << TLSM_VER_SSL3;
    case 0x0301: return 1u << TLSM_VER_TLS1_0;
    case 0x0302: return 1u << TLSM_VER_TLS1_1;
    case 0x0303: return 1u << TLSM_VER_TLS1_2;
    case 0x0304: return 1u << TLSM_VER_TLS1_3;
    default: return 0;
    }
}

/* The versions a ClientHello offers: its supported_versions extension, or else every version
 * up to legacy_version. GnuTLS 3.7 does not say "protocol version" when they do not meet ours
 * (a TLS 1.3-only server answers a TLS 1.2 client with GNUTLS_E_NO_CIPHER_SUITES), so the
 * server classifies that case from this. Returns 0 when the message cannot be parsed. */
static unsigned client_hello_versions(const unsigned char *d, size_t n)
{
    if (n >= 4 && d[0] == GNUTLS_HANDSHAKE_CLIENT_HELLO &&
        ((size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3]) == n - 4) {
        d += 4; /* skip a handshake header if the hook passed one */
        n -= 4;
    }
    if (n < 2 + 32 + 1)
        return 0;
    unsigned legacy = (unsigned)d[0] << 8 | d[1];
    size_t pos = 2 + 32;
    pos += 1 + (size_t)d[pos]; /* session id */
    if (pos + 2 > n)
        return 0;
    pos += 2 + ((size_t)d[pos] << 8 | d[pos + 1]); /* cipher suites */
    if (pos + 1 > n)
        return 0;
    pos += 1 + (size_t)d[pos]; /* compression methods */
    size_t ext_end = n;
    if (pos + 2 <= n) {
        ext_end = pos + 2 + ((size_t)d[pos] << 8 | d[pos + 1]);
        pos += 2;
    }
    while (ext_end <= n && pos + 4 <= ext_end) {
        unsigned type = (unsigned)d[pos] << 8 | d[pos + 1];
        size_t len = (size_t)d[pos + 2] << 8 | d[pos + 3];
        pos += 4;
        if (pos + len > ext_end)
            break;
        if (type == 0x002b && len >= 1) { /* supported_versions */
            unsigned mask = 0;
            for (size_t i = 1; i + 1 < len && i + 1 <= d[pos]; i += 2)
                mask |= version_bit((unsigned)d[pos + i] << 8 | d[pos + i + 1]);
            return mask;
        }
        pos += len;
    }
    unsigned mask = 0;
    for (unsigned v = 0x0300; v <= legacy && v <= 0x0303; v++)
        mask |= version_bit(v);
    return mask;
}

int on_handshake_message(gnutls_session_t session, unsigned htype, unsigned when,
                         unsigned incoming, const gnutls_datum_t *msg)
{
    tlsm_conn *c = gnutls_session_get_ptr(session);
    if (c == NULL)
        return 0;
    if (incoming && when == GNUTLS_HOOK_PRE && c->ctx->side == TLSM_SERVER &&
        htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && msg != NULL && c->client_versions == 0)
        c->client_versions = client_hello_versions(msg->data, msg->size);
    if ((incoming && when != GNUTLS_HOOK_PRE) || (!incoming && when != GNUTLS_HOOK_POST))
        return 0;
    int type;
    switch (htype) {
    case GNUTLS_HANDSHAKE_CLIENT_HELLO_V2: type = TLSM_HS_CLIENT_HELLO; break;
    case GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST: /* a ServerHello on the wire, listed as one */
        type = TLSM_HS_SERVER_HELLO;
        break;
    default: type = (int)htype; break;
    }
    int from_server = (c->ctx->side == TLSM_CLIENT) ? (incoming != 0) : (incoming == 0);
    if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO)
        c->saw_server_hello = 1;
    if (!incoming && c->transcript.n < TLSM_TRANSCRIPT_MAX &&
        c->n_pending_out < TLSM_TRANSCRIPT_MAX)
        c->pending_out[c->n_pending_out++] = c->transcript.n;
    tlsm_transcript_add(&c->transcript, type, from_server);
    return 0;
}
