/* The GnuTLS backend (DESIGN §5, docs/backend-gnutls.md): its vtable, and the context and
 * connection objects it hands out.
 *
 * Every call into GnuTLS lives in this directory, one topic per file (internal.h declares what
 * they share). The rules it follows are shared with the OpenSSL backend so that the same
 * situation yields the same class, stage and record fields on both; where GnuTLS cannot behave
 * like OpenSSL, docs/backend-gnutls.md says so.
 *
 * Threads: the server shares one tlsm_ctx between connection threads. After ctx_new the ctx is
 * read-only (credentials, trust list, priority caches, identities), and per-connection state lives
 * in tlsm_conn. No global state is changed after global_init (in particular the GnuTLS time
 * function is never replaced: verify_time is implemented by our own time checks). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                    */

static void ctx_free(tlsm_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->cred != NULL)
        gnutls_certificate_free_credentials(ctx->cred); /* frees the trust list too */
    if (ctx->prio != NULL)
        gnutls_priority_deinit(ctx->prio);
    if (ctx->prio_tls12 != NULL)
        gnutls_priority_deinit(ctx->prio_tls12);
    if (ctx->prio_tls13 != NULL)
        gnutls_priority_deinit(ctx->prio_tls13);
    for (int i = 0; i < ctx->n_ids; i++)
        identity_free(&ctx->ids[i]);
    free(ctx->alpn_storage);
    if (ctx->ticket_key.data != NULL) {
        gnutls_memset(ctx->ticket_key.data, 0, ctx->ticket_key.size);
        gnutls_free(ctx->ticket_key.data);
    }
    free(ctx);
}

static int parse_alpn(tlsm_ctx *ctx, const char *list, tlsm_error *e)
{
    ctx->alpn_storage = dup_str(list);
    if (ctx->alpn_storage == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
    char *save = NULL;
    for (char *p = strtok_r(ctx->alpn_storage, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(p);
        if (len == 0 || len > 255 || ctx->n_alpn >= MAX_ALPN)
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "alpn_protocols: bad entry \"%s\" (1-255 bytes, at most %d entries)",
                             p, MAX_ALPN);
        ctx->alpn[ctx->n_alpn].data = (unsigned char *)p;
        ctx->alpn[ctx->n_alpn].size = (unsigned)len;
        ctx->n_alpn++;
    }
    if (ctx->n_alpn == 0)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "alpn_protocols: \"%s\" names no protocol", list);
    return 0;
}

static tlsm_ctx *ctx_new(tlsm_side side, const tlsm_options *o, tlsm_version pinned,
                         tlsm_error *e)
{
    tlsm_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        return NULL;
    }
    ctx->side = side;
    ctx->verify_peer = tlsm_options_verify_peer(o, side);
    ctx->verify_peer_name = tlsm_options_verify_peer_name(o, side);
    ctx->allow_self_signed = o->allow_self_signed > 0;
    ctx->verify_depth = o->verify_depth >= 0 ? o->verify_depth : 9;
    ctx->capture_peer_cert = o->capture_peer_cert > 0;
    ctx->verify_time = o->verify_time;
    ctx->fp_algo = GNUTLS_DIG_UNKNOWN;

    if (setup_priorities(ctx, o, pinned, e) < 0)
        goto fail;
    if (setup_credentials(ctx, o, e) < 0)
        goto fail;
    if (o->peer_fingerprint != NULL && o->peer_fingerprint[0] != '\0' &&
        parse_fingerprint(ctx, o->peer_fingerprint, e) < 0)
        goto fail;
    if (o->alpn_protocols != NULL && o->alpn_protocols[0] != '\0' &&
        parse_alpn(ctx, o->alpn_protocols, e) < 0)
        goto fail;
    if (side == TLSM_SERVER) {
        int ret = gnutls_session_ticket_key_generate(&ctx->ticket_key);
        if (ret < 0) {
            fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "session ticket key");
            goto fail;
        }
    }
    return ctx;
fail:
    ctx_free(ctx);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Connection                                                                                 */

/* Server: once the version is known, switch to the cipher list of that version (see
 * setup_priorities); GnuTLS re-negotiates the version after this callback. */
static int on_client_hello(gnutls_session_t session)
{
    tlsm_conn *c = gnutls_session_get_ptr(session);
    if (c == NULL || c->ctx->prio_tls12 == NULL)
        return 0;
    gnutls_priority_t p = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3
                              ? c->ctx->prio_tls13 : c->ctx->prio_tls12;
    int ret = gnutls_priority_set(session, p);
    return ret < 0 ? ret : 0;
}

static void conn_free(tlsm_conn *c)
{
    if (c == NULL)
        return;
    if (c->session != NULL)
        gnutls_deinit(c->session);
    free(c->verify_name);
    free(c);
}

static tlsm_conn *conn_new(tlsm_ctx *ctx, int fd, const char *verify_name, const char *sni,
                           tlsm_error *e)
{
    tlsm_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_HANDSHAKE, "out of memory");
        return NULL;
    }
    c->ctx = ctx;
    c->fd = fd;
    c->plain_alert = -1;
    tlsm_error_clear(&c->verify_err);
    if (verify_name != NULL && (c->verify_name = dup_str(verify_name)) == NULL)
        goto oom;
    /* No TLS 1.2 session tickets (the OpenSSL backend sets SSL_OP_NO_TICKET), so a TLS 1.2 full
     * handshake has exactly the seed's messages; TLS 1.3 servers still send NewSessionTicket. */
    unsigned flags = (ctx->side == TLSM_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_NONBLOCK |
                     GNUTLS_NO_TICKETS_TLS12;
    int ret = gnutls_init(&c->session, flags);
    if (ret < 0)
        goto gnutls_error;
    gnutls_session_set_ptr(c->session, c);
    if ((ret = gnutls_priority_set(c->session, ctx->prio)) < 0 ||
        (ret = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, ctx->cred)) < 0)
        goto gnutls_error;
    gnutls_transport_set_ptr(c->session, c);
    gnutls_transport_set_vec_push_function(c->session, push_vector);
    gnutls_transport_set_pull_function(c->session, pull_bytes);
    gnutls_transport_set_pull_timeout_function(c->session, pull_timeout);
    gnutls_handshake_set_timeout(c->session, 0); /* our deadlines, not GnuTLS's 40 s default */
    gnutls_handshake_set_hook_function(c->session, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH,
                                       on_handshake_message);
    if (ctx->n_alpn > 0) {
        unsigned aflags = ctx->side == TLSM_SERVER
                              ? GNUTLS_ALPN_SERVER_PRECEDENCE | GNUTLS_ALPN_MANDATORY : 0;
        if ((ret = gnutls_alpn_set_protocols(c->session, ctx->alpn, ctx->n_alpn, aflags)) < 0)
            goto gnutls_error;
    }
    if (ctx->side == TLSM_CLIENT) {
        if (sni != NULL && sni[0] != '\0' &&
            (ret = gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, sni, strlen(sni))) < 0)
            goto gnutls_error;
    } else {
        gnutls_certificate_server_set_request(c->session, ctx->verify_peer ? GNUTLS_CERT_REQUIRE
                                                                           : GNUTLS_CERT_IGNORE);
        /* CA names in the CertificateRequest come from cafile/capath only, like PHP's
         * SSL_CTX_set_client_CA_list(cafile). */
        gnutls_certificate_send_x509_rdn_sequence(c->session, !ctx->have_client_ca_names);
        gnutls_handshake_set_post_client_hello_function(c->session, on_client_hello);
        if ((ret = gnutls_session_ticket_enable_server(c->session, &ctx->ticket_key)) < 0)
            goto gnutls_error;
    }
    return c;
gnutls_error:
    fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_HANDSHAKE, ret, "cannot set up the session");
    conn_free(c);
    return NULL;
oom:
    tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_HANDSHAKE, "out of memory");
    conn_free(c);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* describe()                                                                                 */

static void format_sans(gnutls_x509_crt_t crt, tlsm_session_info *out)
{
    for (unsigned i = 0; out->n_peer_sans < TLSM_MAX_SANS; i++) {
        unsigned char san[TLSM_SAN_MAX - 8]; /* room for the "DNS:" prefix in the record */
        size_t size = sizeof san - 1;
        unsigned critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type < 0)
            continue;
        char *dst = out->peer_sans[out->n_peer_sans];
        if (type == GNUTLS_SAN_DNSNAME) {
            for (size_t k = 0; k < size; k++) /* as the OpenSSL backend prints them */
                if (san[k] < 0x20 || san[k] > 0x7e)
                    san[k] = '?';
            san[size] = '\0';
            snprintf(dst, TLSM_SAN_MAX, "DNS:%s", (const char *)san);
        } else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(size == 4 ? AF_INET : AF_INET6, san, text, sizeof text) == NULL)
                continue;
            snprintf(dst, TLSM_SAN_MAX, "IP:%s", text);
        } else {
            continue; /* only DNS and IP names are part of the record */
        }
        out->n_peer_sans++;
    }
}

static char *der_to_pem(const gnutls_datum_t *der)
{
    gnutls_datum_t pem = {NULL, 0};
    if (gnutls_pem_base64_encode2("CERTIFICATE", der, &pem) < 0)
        return NULL;
    char *copy = malloc(pem.size + 1);
    if (copy != NULL) {
        memcpy(copy, pem.data, pem.size);
        copy[pem.size] = '\0';
    }
    gnutls_free(pem.data);
    return copy;
}

static void describe(tlsm_conn *c, tlsm_session_info *out)
{
    tlsm_session_info_clear(out);
    gnutls_session_t s = c->session;
    /* Before a ServerHello GnuTLS reports a provisional version (the highest enabled) and no
     * suite: both are reported only once they were actually negotiated. */
    if (c->saw_server_hello) {
        out->version = version_from_gnutls(gnutls_protocol_get_version(s));
        negotiated_suite_name(s, out->cipher, sizeof out->cipher);
    }

    gnutls_datum_t alpn;
    if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0) {
        size_t n = alpn.size < sizeof out->alpn - 1 ? alpn.size : sizeof out->alpn - 1;
        memcpy(out->alpn, alpn.data, n);
        out->alpn[n] = '\0';
    }
    if (c->ctx->side == TLSM_SERVER) {
        size_t size = sizeof out->sni;
        unsigned type = 0;
        if (gnutls_server_name_get(s, out->sni, &size, &type, 0) != 0 || type != GNUTLS_NAME_DNS)
            out->sni[0] = '\0';
    }
    unsigned n = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(s, &n);
    if (der == NULL || n == 0)
        return;
    gnutls_x509_crt_t leaf;
    if (gnutls_x509_crt_init(&leaf) < 0)
        return;
    if (gnutls_x509_crt_import(leaf, &der[0], GNUTLS_X509_FMT_DER) == 0) {
        format_subject(leaf, out->peer_subject, sizeof out->peer_subject);
        format_sans(leaf, out);
        if (c->ctx->capture_peer_cert)
            out->peer_cert_pem = der_to_pem(&der[0]);
    }
    gnutls_x509_crt_deinit(leaf);
}

static const tlsm_transcript *transcript(const tlsm_conn *c)
{
    return &c->transcript;
}

/* ------------------------------------------------------------------------------------------ */
/* Library                                                                                    */

static char version_text[64];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void make_version_text(void)
{
    snprintf(version_text, sizeof version_text, "GnuTLS %s", gnutls_check_version(NULL));
}

static const char *lib_version(void)
{
    pthread_once(&version_once, make_version_text);
    return version_text;
}

static int global_init(tlsm_error *e)
{
    int ret = gnutls_global_init();
    if (ret < 0)
        return fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "gnutls_global_init");
    return 0;
}

static void global_cleanup(void)
{
    gnutls_global_deinit();
}

const tlsm_backend tlsm_backend_gnutls = {
    .name = "gnutls",
    /* SSLv2 never, SSLv3 compiled out of Debian's 3.7 (checked at run time in ctx_new). */
    .caps = TLSM_CAP_TLS1_0 | TLSM_CAP_TLS1_1 | TLSM_CAP_TLS1_2 | TLSM_CAP_TLS1_3 |
            TLSM_CAP_ED25519 | TLSM_CAP_DER | TLSM_CAP_CAPATH,
    .lib_version = lib_version,
    .global_init = global_init,
    .global_cleanup = global_cleanup,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .conn_new = conn_new,
    .handshake = handshake,
    .read = conn_read,
    .write = conn_write,
    .shutdown = conn_shutdown,
    .describe = describe,
    .transcript = transcript,
    .conn_free = conn_free,
};
