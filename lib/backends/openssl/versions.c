/* Protocol versions: tlsm's names to OpenSSL's numbers and back, whether this build can speak
 * SSLv2/SSLv3 at all (asked at run time), and the bounds a context gets from the transport and
 * min/max_version. */
#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "internal.h"

static int protocol_number(tlsm_version v)
{
    switch (v) {
    case TLSM_VER_SSL3: return SSL3_VERSION;
    case TLSM_VER_TLS1_0: return TLS1_VERSION;
    case TLSM_VER_TLS1_1: return TLS1_1_VERSION;
    case TLSM_VER_TLS1_2: return TLS1_2_VERSION;
    case TLSM_VER_TLS1_3: return TLS1_3_VERSION;
    default: return 0;
    }
}

tlsm_version version_of(int protocol)
{
    switch (protocol) {
    case SSL3_VERSION: return TLSM_VER_SSL3;
    case TLS1_VERSION: return TLSM_VER_TLS1_0;
    case TLS1_1_VERSION: return TLSM_VER_TLS1_1;
    case TLS1_2_VERSION: return TLSM_VER_TLS1_2;
    case TLS1_3_VERSION: return TLSM_VER_TLS1_3;
    default: return TLSM_VER_NONE;
    }
}

/* Can this library, as built, speak SSLv3? Asked at run time rather than trusted from the
 * headers: a client pinned to SSLv3 at security level 0 either writes a ClientHello (the build
 * has SSLv3) or fails with "no protocols available" (Debian's build, and OpenSSL's default).
 * Returns 1, or 0 with OpenSSL's reason in why. */
static int ssl3_usable(char *why, size_t why_len)
{
    int usable = 0;
    SSL_CTX *sc = NULL;
    SSL *ssl = NULL;
    copy_string(why, why_len, "cannot create a probe context", 30);
    ERR_clear_error();
    sc = SSL_CTX_new(TLS_client_method());
    if (sc == NULL)
        goto done;
    SSL_CTX_set_security_level(sc, 0);
    if (!SSL_CTX_set_min_proto_version(sc, SSL3_VERSION) ||
        !SSL_CTX_set_max_proto_version(sc, SSL3_VERSION))
        goto done;
    ssl = SSL_new(sc);
    BIO *in = BIO_new(BIO_s_mem());
    BIO *out = BIO_new(BIO_s_mem());
    if (ssl == NULL || in == NULL || out == NULL) {
        BIO_free(in);
        BIO_free(out);
        goto done;
    }
    SSL_set_bio(ssl, in, out);
    int ret = SSL_connect(ssl);
    if (ret <= 0 && SSL_get_error(ssl, ret) == SSL_ERROR_WANT_READ) {
        usable = 1;
    } else {
        const char *reason = ERR_reason_error_string(ERR_peek_error());
        snprintf(why, why_len, "the SSLv3 probe handshake failed with \"%s\"",
                 reason != NULL ? reason : "unknown error");
    }
done:
    SSL_free(ssl);
    SSL_CTX_free(sc);
    ERR_clear_error();
    return usable;
}

/* NULL when this build can speak v; otherwise why not (into buf). */
const char *version_missing(tlsm_version v, char *buf, size_t len)
{
    if (v == TLSM_VER_SSL2) {
        snprintf(buf, len, "OpenSSL 3.0 has no SSLv2 (the protocol was removed in OpenSSL 1.1.0)");
        return buf;
    }
    if (v == TLSM_VER_SSL3) {
        char probe[200];
        if (ssl3_usable(probe, sizeof probe))
            return NULL;
        snprintf(buf, len, "this OpenSSL build (%s) has no SSLv3: %s",
                 OpenSSL_version(OPENSSL_VERSION), probe);
        return buf;
    }
    return NULL;
}

/* A pinned version sets both bounds; min/max_version options narrow them further (intersection,
 * so that an impossible combination fails the handshake as tls.protocol_version rather than
 * one setting silently overriding the other). */
int apply_versions(SSL_CTX *sc, const tlsm_options *o, tlsm_version pinned, tlsm_error *e)
{
    char why[300];
    int lo = 0, hi = 0; /* 0: the library's default bound */
    if (pinned != TLSM_VER_NONE)
        lo = hi = protocol_number(pinned);
    if (o->min_version != TLSM_VER_NONE) {
        if (version_missing(o->min_version, why, sizeof why) != NULL)
            return tlsm_fail(e, TLSM_E_CONFIG_UNSUPPORTED, TLSM_STAGE_CONFIG,
                             "min_version=%s: %s", tlsm_version_name(o->min_version), why);
        int v = protocol_number(o->min_version);
        if (v > lo)
            lo = v;
    }
    if (o->max_version != TLSM_VER_NONE) {
        if (version_missing(o->max_version, why, sizeof why) != NULL)
            return tlsm_fail(e, TLSM_E_CONFIG_UNSUPPORTED, TLSM_STAGE_CONFIG,
                             "max_version=%s: %s", tlsm_version_name(o->max_version), why);
        int v = protocol_number(o->max_version);
        if (hi == 0 || v < hi)
            hi = v;
    }
    if (!SSL_CTX_set_min_proto_version(sc, lo) || !SSL_CTX_set_max_proto_version(sc, hi)) {
        tlsm_fail(e, TLSM_E_CONFIG_UNSUPPORTED, TLSM_STAGE_CONFIG,
                  "cannot restrict OpenSSL to protocol versions 0x%x..0x%x", lo, hi);
        append_openssl_errors(e);
        return -1;
    }
    return 0;
}
