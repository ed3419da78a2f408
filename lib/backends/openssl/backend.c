/* The OpenSSL backend (OpenSSL 3.0 API): its vtable, and the context and connection objects it
 * hands out. Every call into libssl/libcrypto lives in this directory, one topic per file
 * (internal.h declares what they share).
 *
 * docs/backend-openssl.md tells how each option is applied and how each error class arises.
 * The shape, in short:
 *  - one SSL_CTX per tlsm_ctx (plus one per sni_certs entry), read-only once built, so that the
 *    server's connection threads can share it;
 *  - every certificate check (chain, depth, fingerprint, name) runs inside the handshake, in the
 *    certificate verification callback (verify.c), so that a rejection sends an alert the peer
 *    can see;
 *  - failures are classified (failures.c) from what the backend recorded while the handshake ran
 *    (the verify outcome, the alerts seen, the ALPN outcome) first, and from OpenSSL's error queue
 *    after. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

#define DEFAULT_VERIFY_DEPTH 9 /* PHP's OPENSSL_DEFAULT_STREAM_VERIFY_DEPTH */

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* One complete SSL_CTX from the options, with the given credentials (sni_certs entries build
 * theirs with the same function so that they differ in nothing else). */
static SSL_CTX *build_ssl_ctx(tlsm_ctx *ctx, const tlsm_options *o, tlsm_version pinned,
                              const char *cert, const char *key, tlsm_error *e)
{
    ERR_clear_error();
    SSL_CTX *sc = SSL_CTX_new(ctx->side == TLSM_CLIENT ? TLS_client_method() : TLS_server_method());
    if (sc == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "SSL_CTX_new failed");
        append_openssl_errors(e);
        return NULL;
    }
    /* Never let libssl prompt for a passphrase on the terminal. */
    SSL_CTX_set_default_passwd_cb(sc, on_passphrase);
    SSL_CTX_set_default_passwd_cb_userdata(sc, NULL);
    /* No TLS 1.2 session tickets: the full handshake then reads exactly as the seed lists it.
     * TLS 1.3 servers still send NewSessionTicket (stateful tickets with this option). */
    SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    static const unsigned char session_context[] = "tlsmatrix";
    SSL_CTX_set_session_id_context(sc, session_context, sizeof session_context - 1);

    if (apply_versions(sc, o, pinned, e) != 0 || apply_ciphers(sc, o, e) != 0)
        goto fail;
    /* After the cipher list, so that an explicit security_level wins over "@SECLEVEL=n";
     * before the credentials, whose key sizes it judges. */
    if (o->security_level >= 0)
        SSL_CTX_set_security_level(sc, o->security_level);
    /* OpenSSL 3.0 cannot complete a certificate-authenticated TLS 1.0/1.1 handshake at security
     * level 1 or above: it agrees on the version, then refuses the MD5/SHA-1 signatures those
     * versions need and sends internal_error. Raising the floor to TLS 1.2 makes the same refusal
     * happen where it belongs, at version negotiation, with a protocol_version alert. */
    int floor = SSL_CTX_get_min_proto_version(sc);
    if (SSL_CTX_get_security_level(sc) >= 1 && floor < TLS1_2_VERSION) {
        SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION);
        ctx->legacy_floor = 1;
    }
    if (apply_trust(sc, o, ctx, e) != 0)
        goto fail;
    if (use_credentials(sc, cert, key, o->passphrase, e) != 0)
        goto fail;
    apply_verification(sc, ctx, o);
    if (ctx->alpn != NULL) {
        if (ctx->side == TLSM_CLIENT) {
            if (SSL_CTX_set_alpn_protos(sc, ctx->alpn, (unsigned int)ctx->alpn_len) != 0) {
                tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                          "alpn_protocols cannot be set");
                append_openssl_errors(e);
                goto fail;
            }
        } else {
            SSL_CTX_set_alpn_select_cb(sc, on_alpn_select, NULL);
        }
    }
    if (ctx->side == TLSM_SERVER)
        SSL_CTX_set_tlsext_servername_callback(sc, on_servername);
    ERR_clear_error();
    return sc;
fail:
    SSL_CTX_free(sc);
    ERR_clear_error();
    return NULL;
}

/* sni_certs: "name=cert[+key],name=cert[+key]". Each entry gets its own SSL_CTX. */
static int build_sni_contexts(tlsm_ctx *ctx, const tlsm_options *o, tlsm_version pinned,
                              tlsm_error *e)
{
    if (ctx->side != TLSM_SERVER)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "sni_certs applies to servers only");
    size_t entries = 1;
    for (const char *p = o->sni_certs; *p != '\0'; p++)
        entries += *p == ',';
    ctx->sni = calloc(entries, sizeof *ctx->sni);
    char *copy = strdup(o->sni_certs);
    int rc = -1;
    if (ctx->sni == NULL || copy == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        goto done;
    }
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq == NULL || eq == item || eq[1] == '\0') {
            tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                      "sni_certs entry \"%s\" is not name=cert[+key]", item);
            goto done;
        }
        *eq = '\0';
        char *cert = eq + 1;
        char *plus = strchr(cert, '+');
        char *key = NULL;
        if (plus != NULL) {
            *plus = '\0';
            key = plus + 1;
        }
        sni_entry *entry = &ctx->sni[ctx->n_sni];
        entry->name = strdup(item);
        if (entry->name == NULL) {
            tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
            goto done;
        }
        ctx->n_sni++;
        entry->ssl_ctx = build_ssl_ctx(ctx, o, pinned, cert, key, e);
        if (entry->ssl_ctx == NULL) {
            tlsm_error_append(e, "in sni_certs entry for %s", item);
            goto done;
        }
    }
    rc = 0;
done:
    free(copy);
    return rc;
}

static void ossl_ctx_free(tlsm_ctx *ctx)
{
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    for (int i = 0; i < ctx->n_sni; i++) {
        free(ctx->sni[i].name);
        SSL_CTX_free(ctx->sni[i].ssl_ctx);
    }
    free(ctx->sni);
    free(ctx->alpn);
    free(ctx);
}

static tlsm_ctx *ossl_ctx_new(tlsm_side side, const tlsm_options *o, tlsm_version pinned,
                              tlsm_error *e)
{
    char why[300];
    if (version_missing(pinned, why, sizeof why) != NULL) {
        tlsm_fail(e, TLSM_E_TRANSPORT_UNAVAILABLE, TLSM_STAGE_CONFIG, "%s is unavailable: %s",
                  tlsm_version_name(pinned), why);
        return NULL;
    }
    tlsm_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        return NULL;
    }
    ctx->side = side;
    ctx->verify_peer = tlsm_options_verify_peer(o, side);
    ctx->verify_peer_name = tlsm_options_verify_peer_name(o, side);
    ctx->allow_self_signed = o->allow_self_signed > 0;
    ctx->verify_depth = o->verify_depth >= 0 ? o->verify_depth : DEFAULT_VERIFY_DEPTH;
    ctx->capture_peer_cert = o->capture_peer_cert > 0;
    if (o->peer_fingerprint != NULL && parse_fingerprint(o->peer_fingerprint, &ctx->fp, e) != 0)
        goto fail;
    if (o->alpn_protocols != NULL && parse_alpn(o->alpn_protocols, &ctx->alpn, &ctx->alpn_len, e) != 0)
        goto fail;
    ctx->ssl_ctx = build_ssl_ctx(ctx, o, pinned, o->local_cert, o->local_pk, e);
    if (ctx->ssl_ctx == NULL)
        goto fail;
    if (o->sni_certs != NULL && o->sni_certs[0] != '\0' && build_sni_contexts(ctx, o, pinned, e) != 0)
        goto fail;
    return ctx;
fail:
    ossl_ctx_free(ctx);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Connection                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void ossl_conn_free(tlsm_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl); /* the socket BIO was made with BIO_NOCLOSE: the fd stays open */
    X509_free(c->peer_leaf);
    free(c->verify_name);
    free(c);
}

static tlsm_conn *ossl_conn_new(tlsm_ctx *ctx, int fd, const char *verify_name, const char *sni,
                                tlsm_error *e)
{
    tlsm_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        return NULL;
    }
    c->ctx = ctx;
    c->fd = fd;
    c->alert_received = NO_ALERT;
    c->alert_sent = NO_ALERT;
    if (verify_name != NULL && (c->verify_name = strdup(verify_name)) == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        goto fail;
    }
    ERR_clear_error();
    c->ssl = SSL_new(ctx->ssl_ctx);
    if (c->ssl == NULL || !SSL_set_fd(c->ssl, fd)) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "cannot create the TLS connection");
        append_openssl_errors(e);
        goto fail;
    }
    SSL_set_app_data(c->ssl, c);
    SSL_set_msg_callback(c->ssl, on_protocol_message);
    SSL_set_msg_callback_arg(c->ssl, c);
    SSL_set_info_callback(c->ssl, on_info);
    BIO *socket_bio = SSL_get_rbio(c->ssl);
    BIO_set_callback_arg(socket_bio, (char *)c);
    BIO_set_callback_ex(socket_bio, on_socket_io);
    if (ctx->side == TLSM_CLIENT) {
        SSL_set_connect_state(c->ssl);
        if (sni != NULL && !SSL_set_tlsext_host_name(c->ssl, sni)) {
            tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                      "\"%s\" cannot be sent as server_name (SNI)", sni);
            append_openssl_errors(e);
            goto fail;
        }
    } else {
        SSL_set_accept_state(c->ssl);
    }
    return c;
fail:
    ossl_conn_free(c);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Describe                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* SAN text as it goes into the record: printable ASCII only (a certificate is untrusted input). */
static void add_san(tlsm_session_info *out, const char *prefix, const unsigned char *value,
                    size_t len)
{
    if (out->n_peer_sans >= TLSM_MAX_SANS)
        return;
    char *dst = out->peer_sans[out->n_peer_sans++];
    size_t used = strlen(prefix);
    memcpy(dst, prefix, used);
    for (size_t i = 0; i < len && used + 1 < TLSM_SAN_MAX; i++)
        dst[used++] = value[i] >= 0x20 && value[i] < 0x7f ? (char)value[i] : '?';
    dst[used] = '\0';
}

static void describe_sans(X509 *cert, tlsm_session_info *out)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DNS) {
            add_san(out, "DNS:", ASN1_STRING_get0_data(gn->d.dNSName),
                    (size_t)ASN1_STRING_length(gn->d.dNSName));
        } else if (gn->type == GEN_IPADD) {
            int len = ASN1_STRING_length(gn->d.iPAddress);
            const unsigned char *addr = ASN1_STRING_get0_data(gn->d.iPAddress);
            char text[INET6_ADDRSTRLEN];
            int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
            if (family != 0 && inet_ntop(family, addr, text, sizeof text) != NULL)
                add_san(out, "IP:", (const unsigned char *)text, strlen(text));
        }
    }
    GENERAL_NAMES_free(names);
}

static char *certificate_pem(X509 *cert)
{
    char *pem = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio != NULL && PEM_write_bio_X509(bio, cert)) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && (pem = malloc((size_t)n + 1)) != NULL) {
            memcpy(pem, data, (size_t)n);
            pem[n] = '\0';
        }
    }
    BIO_free(bio);
    return pem;
}

static int transcript_has(const tlsm_transcript *t, int type)
{
    for (int i = 0; i < t->n; i++)
        if (t->msgs[i].type == type)
            return 1;
    return 0;
}

/* Fills out from scratch (out is overwritten, not freed: clear it before reuse). Version and
 * cipher are known once the hellos are exchanged, the peer certificate once received, so a
 * failed handshake still reports what it got that far. */
static void ossl_describe(tlsm_conn *c, tlsm_session_info *out)
{
    memset(out, 0, sizeof *out);
    /* The current cipher is set only once ChangeCipherSpec is processed; a TLS 1.2 handshake that
     * fails after the hellos (a rejected certificate) has agreed on its version and suite all the
     * same, and the GnuTLS backend reports them, so fall back to the one being negotiated — once
     * a ServerHello was sent or received, not when a server refused before answering. */
    const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
    if (cipher == NULL && transcript_has(&c->transcript, TLSM_HS_SERVER_HELLO))
        cipher = SSL_get_pending_cipher(c->ssl);
    if (cipher != NULL) {
        out->version = version_of(SSL_version(c->ssl));
        const char *iana = SSL_CIPHER_standard_name(cipher);
        if (iana == NULL)
            iana = SSL_CIPHER_get_name(cipher);
        copy_string(out->cipher, sizeof out->cipher, iana, strlen(iana));
    }
    X509 *peer = SSL_get0_peer_certificate(c->ssl);
    if (peer == NULL)
        peer = c->peer_leaf;
    if (peer != NULL) {
        name_to_text(X509_get_subject_name(peer), out->peer_subject, sizeof out->peer_subject);
        describe_sans(peer, out);
        if (c->ctx->capture_peer_cert)
            out->peer_cert_pem = certificate_pem(peer);
    }
    const unsigned char *alpn = NULL;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
    if (alpn != NULL)
        copy_string(out->alpn, sizeof out->alpn, (const char *)alpn, alpn_len);
    if (c->ctx->side == TLSM_SERVER)
        copy_string(out->sni, sizeof out->sni, c->sni, strlen(c->sni));
    ERR_clear_error();
}

static const tlsm_transcript *ossl_transcript(const tlsm_conn *c)
{
    return &c->transcript;
}

/* ------------------------------------------------------------------------------------------ */
/* Library                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static const char *ossl_lib_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

static int ossl_global_init(tlsm_error *e)
{
    if (!OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL)) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "OPENSSL_init_ssl failed");
        append_openssl_errors(e);
        return -1;
    }
    return 0;
}

/* Nothing to do: OpenSSL 3 releases its global state in its own atexit handler, and calling
 * OPENSSL_cleanup() here would forbid any later use in the same process. */
static void ossl_global_cleanup(void)
{
    ERR_clear_error();
}

const tlsm_backend tlsm_backend_openssl = {
    .name = "openssl",
    .caps = TLSM_CAP_TLS1_0 | TLSM_CAP_TLS1_1 | TLSM_CAP_TLS1_2 | TLSM_CAP_TLS1_3 |
            TLSM_CAP_ED25519 | TLSM_CAP_DER | TLSM_CAP_CAPATH
#ifndef OPENSSL_NO_SSL3
            | TLSM_CAP_SSL3
#endif
    ,
    .lib_version = ossl_lib_version,
    .global_init = ossl_global_init,
    .global_cleanup = ossl_global_cleanup,
    .ctx_new = ossl_ctx_new,
    .ctx_free = ossl_ctx_free,
    .conn_new = ossl_conn_new,
    .handshake = ossl_handshake,
    .read = ossl_read,
    .write = ossl_write,
    .shutdown = ossl_shutdown,
    .describe = ossl_describe,
    .transcript = ossl_transcript,
    .conn_free = ossl_conn_free,
};
