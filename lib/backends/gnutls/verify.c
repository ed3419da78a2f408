/* The peer's certificate, judged inside the handshake (GnuTLS's verify callback): chain, depth,
 * validity times, peer_fingerprint and name, in PHP's order and classified as the OpenSSL
 * backend classifies them, and the alert OpenSSL would send for each verdict. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

#define MAX_PEER_CHAIN 16 /* certificates we look at in a peer's chain */

/* ------------------------------------------------------------------------------------------ */
/* Peer certificate verification (inside the handshake)                                       */

/* Verification result before it becomes a tlsm class: which check failed, at which depth. */
typedef struct chain_view {
    gnutls_x509_crt_t peer[MAX_PEER_CHAIN]; /* what the peer sent, leaf first */
    unsigned n_peer;
    gnutls_x509_crt_t path[MAX_PEER_CHAIN + 1]; /* leaf .. anchor, as we built it */
    int path_owned[MAX_PEER_CHAIN + 1];
    unsigned n_path;
    int anchored; /* the path ends at a trusted certificate */
} chain_view;

static void chain_view_free(chain_view *v)
{
    for (unsigned i = 0; i < v->n_path; i++)
        if (v->path_owned[i])
            gnutls_x509_crt_deinit(v->path[i]);
    for (unsigned i = 0; i < v->n_peer; i++)
        gnutls_x509_crt_deinit(v->peer[i]);
    memset(v, 0, sizeof *v);
}

static int path_contains(const chain_view *v, gnutls_x509_crt_t c)
{
    for (unsigned i = 0; i < v->n_path; i++)
        if (gnutls_x509_crt_equals(v->path[i], c))
            return 1;
    return 0;
}

/* Builds leaf -> ... -> anchor the way OpenSSL does with X509_V_FLAG_TRUSTED_FIRST (its default):
 * at each step a trusted issuer is preferred over one the peer sent. We need our own path for
 * two things GnuTLS's verdict does not give: the depth (verify_depth) and per-certificate
 * validity times (verify_time, and OpenSSL's top-down order of time errors). */
static void build_path(chain_view *v, gnutls_x509_trust_list_t trust)
{
    v->path[0] = v->peer[0];
    v->n_path = 1;
    while (v->n_path <= MAX_PEER_CHAIN) {
        gnutls_x509_crt_t cur = v->path[v->n_path - 1];
        gnutls_x509_crt_t issuer = NULL;
        if (gnutls_x509_trust_list_get_issuer(trust, cur, &issuer, GNUTLS_TL_GET_COPY) == 0) {
            if (gnutls_x509_crt_equals(issuer, cur) || path_contains(v, issuer)) {
                gnutls_x509_crt_deinit(issuer); /* cur itself is the trusted (self-signed) root */
            } else {
                v->path_owned[v->n_path] = 1;
                v->path[v->n_path++] = issuer;
            }
            v->anchored = 1;
            return;
        }
        int found = 0;
        for (unsigned i = 0; i < v->n_peer && !found; i++) {
            if (path_contains(v, v->peer[i]) || !gnutls_x509_crt_check_issuer(cur, v->peer[i]))
                continue;
            v->path[v->n_path++] = v->peer[i];
            found = 1;
        }
        if (!found)
            return;
    }
}

static int self_issued(gnutls_x509_crt_t c)
{
    return gnutls_x509_crt_check_issuer(c, c) == 1;
}

/* The GnuTLS status text for a set of bits, plus the subject of the certificate concerned. */
static void verify_detail(tlsm_error *e, unsigned status, const char *what, unsigned depth,
                          gnutls_x509_crt_t crt)
{
    char subject[TLSM_DETAIL_MAX / 2];
    format_subject(crt, subject, sizeof subject);
    gnutls_datum_t text = {NULL, 0};
    if (status != 0 &&
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0) {
        while (text.size > 0 && text.data[text.size - 1] == ' ')
            text.data[--text.size] = '\0'; /* GnuTLS ends each sentence with a space */
        snprintf(e->detail, sizeof e->detail, "%s at depth %u; gnutls: %s; subject: %s", what,
                 depth, (const char *)text.data, subject);
        gnutls_free(text.data);
    } else {
        snprintf(e->detail, sizeof e->detail, "%s at depth %u; subject: %s", what, depth, subject);
    }
}

static int verify_fail(tlsm_error *e, tlsm_class cls, unsigned status, const char *what,
                       unsigned depth, gnutls_x509_crt_t crt)
{
    e->cls = cls;
    e->stage = TLSM_STAGE_VERIFY;
    verify_detail(e, status, what, depth, crt);
    return -1;
}

/* Validity at the verification time, top-down like OpenSSL's internal_verify. */
static int check_times(const tlsm_ctx *ctx, const chain_view *v, tlsm_error *e)
{
    time_t now = ctx->verify_time != 0 ? (time_t)ctx->verify_time : time(NULL);
    for (int i = (int)v->n_path - 1; i >= 0; i--) {
        time_t not_before = gnutls_x509_crt_get_activation_time(v->path[i]);
        time_t not_after = gnutls_x509_crt_get_expiration_time(v->path[i]);
        if (not_before != (time_t)-1 && now < not_before)
            return verify_fail(e, TLSM_E_TLS_CERT_NOT_YET_VALID,
                               GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED,
                               "certificate not yet valid", (unsigned)i, v->path[i]);
        if (not_after != (time_t)-1 && now > not_after)
            return verify_fail(e, TLSM_E_TLS_CERT_EXPIRED, GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED,
                               "certificate has expired", (unsigned)i, v->path[i]);
    }
    return 0;
}

/* The chain check, classified in the order OpenSSL (with PHP's verify callback) reports:
 *   1. no trust anchor: a lone self-issued leaf is tls.cert_self_signed (accepted with
 *      allow_self_signed), anything else tls.cert_untrusted — even when a certificate has also
 *      expired (OpenSSL stops at "unable to get local issuer certificate");
 *   2. other structural failures GnuTLS reports (signer not a CA, insecure algorithm, key too
 *      small for the level, purpose, constraints, bad signature) -> tls.cert_invalid;
 *   3. depth: a certificate deeper than verify_depth (leaf = 0, the anchor counts) ->
 *      tls.cert_chain_too_long, which is PHP's verify_callback rule;
 *   4. validity times from the anchor down -> tls.cert_not_yet_valid / tls.cert_expired. */
static int check_chain(const tlsm_ctx *ctx, chain_view *v, tlsm_error *e)
{
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID,
        .data = (void *)(ctx->side == TLSM_CLIENT ? GNUTLS_KP_TLS_WWW_SERVER
                                                  : GNUTLS_KP_TLS_WWW_CLIENT),
        .size = 0,
    };
    unsigned status = 0;
    unsigned flags = ctx->verify_flags | GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                     GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
    int ret = gnutls_x509_trust_list_verify_crt2(ctx->trust, v->peer, v->n_peer, &purpose, 1,
                                                 flags, &status, NULL);
    if (ret < 0) {
        e->cls = TLSM_E_TLS_CERT_INVALID;
        e->stage = TLSM_STAGE_VERIFY;
        snprintf(e->detail, sizeof e->detail, "chain verification failed: %s (%s)",
                 gnutls_strerror(ret), gnutls_strerror_name(ret));
        return -1;
    }
    build_path(v, ctx->trust);
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
        int lone_self_signed = v->n_path == 1 && self_issued(v->peer[0]);
        if (!lone_self_signed)
            return verify_fail(e, TLSM_E_TLS_CERT_UNTRUSTED, status,
                               "unable to get the issuer certificate (untrusted)",
                               v->n_path - 1, v->path[v->n_path - 1]);
        if (!ctx->allow_self_signed)
            return verify_fail(e, TLSM_E_TLS_CERT_SELF_SIGNED, status,
                               "self-signed certificate", 0, v->peer[0]);
        v->anchored = 1; /* allow_self_signed: the leaf is its own anchor */
        status &= ~(unsigned)(GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_INVALID);
    }
    unsigned other = status & ~(unsigned)GNUTLS_CERT_INVALID;
    if (other != 0)
        return verify_fail(e, TLSM_E_TLS_CERT_INVALID, status, "certificate rejected", 0,
                           v->peer[0]);
    if ((int)v->n_path - 1 > ctx->verify_depth)
        return verify_fail(e, TLSM_E_TLS_CERT_CHAIN_TOO_LONG, 0,
                           "certificate chain too long for verify_depth", v->n_path - 1,
                           v->path[v->n_path - 1]);
    return check_times(ctx, v, e);
}

static int check_fingerprint(const tlsm_ctx *ctx, gnutls_x509_crt_t leaf, tlsm_error *e)
{
    unsigned char got[64];
    size_t size = sizeof got;
    int ret = gnutls_x509_crt_get_fingerprint(leaf, ctx->fp_algo, got, &size);
    if (ret < 0 || size != ctx->fp.len || memcmp(got, ctx->fp.digest, size) != 0) {
        e->cls = TLSM_E_TLS_CERT_FINGERPRINT_MISMATCH;
        e->stage = TLSM_STAGE_VERIFY;
        char subject[256];
        format_subject(leaf, subject, sizeof subject);
        snprintf(e->detail, sizeof e->detail, "peer_fingerprint (%s) does not match; subject: %s",
                 gnutls_digest_get_name(ctx->fp_algo), subject);
        return -1;
    }
    return 0;
}

/* All of PHP's peer checks in PHP's order: chain (verify_peer), fingerprint, name. */
static int check_peer(tlsm_conn *c, tlsm_error *e)
{
    const tlsm_ctx *ctx = c->ctx;
    int want_name = ctx->verify_peer_name && c->verify_name != NULL;
    if (!ctx->verify_peer && !want_name && ctx->fp.len == 0)
        return 0;
    unsigned n = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(c->session, &n);
    if (der == NULL || n == 0) {
        e->cls = TLSM_E_TLS_NO_PEER_CERT;
        e->stage = TLSM_STAGE_VERIFY;
        snprintf(e->detail, sizeof e->detail, "the peer sent no certificate");
        return -1;
    }
    chain_view v;
    memset(&v, 0, sizeof v);
    for (unsigned i = 0; i < n && i < MAX_PEER_CHAIN; i++) {
        if (gnutls_x509_crt_init(&v.peer[v.n_peer]) < 0)
            break;
        if (gnutls_x509_crt_import(v.peer[v.n_peer], &der[i], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(v.peer[v.n_peer]);
            break;
        }
        v.n_peer++;
    }
    int rc = 0;
    if (v.n_peer == 0) {
        e->cls = TLSM_E_TLS_CERT_INVALID;
        e->stage = TLSM_STAGE_VERIFY;
        snprintf(e->detail, sizeof e->detail, "the peer's certificate cannot be parsed");
        rc = -1;
    }
    if (rc == 0 && ctx->verify_peer)
        rc = check_chain(ctx, &v, e);
    if (rc == 0 && ctx->fp.len > 0) {
        /* A match does not skip the name check: PHP's code goes on to check the name even
         * though its comment says the fingerprint "trumps" it (docs/backend-openssl.md). */
        rc = check_fingerprint(ctx, v.peer[0], e);
    }
    if (rc == 0 && want_name && !name_matches(v.peer[0], c->verify_name)) {
        char what[300];
        snprintf(what, sizeof what, "certificate does not match the name \"%.200s\"",
                 c->verify_name);
        rc = verify_fail(e, TLSM_E_TLS_CERT_NAME_MISMATCH,
                         GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER, what, 0, v.peer[0]);
    }
    chain_view_free(&v);
    return rc;
}

/* gnutls_certificate_set_verify_function callback: runs inside the handshake, so a rejection
 * aborts it and the peer gets an alert. Non-zero return = reject. */
int on_verify_peer(gnutls_session_t session)
{
    tlsm_conn *c = gnutls_session_get_ptr(session);
    if (c == NULL)
        return -1;
    tlsm_error_clear(&c->verify_err);
    if (check_peer(c, &c->verify_err) < 0) {
        c->verify_failed = 1;
        return -1;
    }
    return 0;
}

/* The alert OpenSSL sends for the same verification error (ssl_x509err2alert), so the peer's
 * class (tls.cert_rejected_by_peer) and detail agree across libraries. */
gnutls_alert_description_t alert_for_verify_class(tlsm_class cls)
{
    switch (cls) {
    case TLSM_E_TLS_CERT_UNTRUSTED:
    case TLSM_E_TLS_CERT_SELF_SIGNED:
    case TLSM_E_TLS_CERT_CHAIN_TOO_LONG:
        return GNUTLS_A_UNKNOWN_CA;
    case TLSM_E_TLS_CERT_EXPIRED:
        return GNUTLS_A_CERTIFICATE_EXPIRED;
    case TLSM_E_TLS_NO_PEER_CERT:
        return GNUTLS_A_HANDSHAKE_FAILURE;
    default:
        return GNUTLS_A_BAD_CERTIFICATE;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* peer_fingerprint                                                                           */

/* The text is parsed by the core (lib/fingerprint.c); GnuTLS only has to know the digest. */
int parse_fingerprint(tlsm_ctx *ctx, const char *text, tlsm_error *e)
{
    if (tlsm_fingerprint_parse(text, &ctx->fp, e) < 0)
        return -1;
    gnutls_digest_algorithm_t algo = gnutls_digest_get_id(ctx->fp.algo);
    if (algo == GNUTLS_DIG_UNKNOWN || (size_t)gnutls_hash_get_len(algo) != ctx->fp.len)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "peer_fingerprint \"%s\": this GnuTLS has no %s digest", text,
                         ctx->fp.algo);
    ctx->fp_algo = algo;
    return 0;
}
