/* The peer's certificate, judged inside the handshake: OpenSSL's chain verification with PHP's
 * callback rules (allow_self_signed, verify_depth), then peer_fingerprint and the name, so that
 * a rejection aborts the handshake with an alert, and the first reason is kept for the record. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

static void subject_of(const X509 *cert, char *out, size_t len)
{
    if (cert == NULL) {
        copy_string(out, len, "(none)", 6);
        return;
    }
    name_to_text(X509_get_subject_name(cert), out, len);
}

static tlsm_conn *conn_of_store(X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    return ssl != NULL ? SSL_get_app_data(ssl) : NULL;
}

static tlsm_class class_of_verify_error(int err)
{
    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        return TLSM_E_TLS_CERT_UNTRUSTED;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return TLSM_E_TLS_CERT_SELF_SIGNED;
    case X509_V_ERR_CERT_HAS_EXPIRED: return TLSM_E_TLS_CERT_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID: return TLSM_E_TLS_CERT_NOT_YET_VALID;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return TLSM_E_TLS_CERT_NAME_MISMATCH;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG: return TLSM_E_TLS_CERT_CHAIN_TOO_LONG;
    default: return TLSM_E_TLS_CERT_INVALID;
    }
}

/* Keeps the first reason this side rejects the peer's certificate; classification uses it
 * rather than the error queue, which says only "certificate verify failed". */
static void record_rejection(tlsm_conn *c, tlsm_class cls, const char *what, int depth,
                             const X509 *cert)
{
    if (c->rejection.rejected)
        return;
    char subject[256];
    subject_of(cert, subject, sizeof subject);
    c->rejection.rejected = 1;
    c->rejection.cls = cls;
    snprintf(c->rejection.detail, sizeof c->rejection.detail, "%s (depth %d, subject %s)", what,
             depth, subject);
}

/* Called by X509_verify_cert for every certificate of the chain and every problem found, with
 * PHP's verify_callback rules: allow_self_signed forgives exactly a self-signed leaf, and a
 * certificate deeper than verify_depth is an error of its own. With verify_peer=false the
 * chain is not judged at all (PHP uses SSL_VERIFY_NONE then). */
static int on_verify_certificate(int ok, X509_STORE_CTX *store)
{
    tlsm_conn *c = conn_of_store(store);
    if (c == NULL)
        return ok;
    int err = X509_STORE_CTX_get_error(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    if (!ok && err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT && c->ctx->allow_self_signed)
        ok = 1;
    if (depth > c->ctx->verify_depth) {
        ok = 0;
        err = X509_V_ERR_CERT_CHAIN_TOO_LONG;
        X509_STORE_CTX_set_error(store, err);
    }
    if (!c->ctx->verify_peer)
        return 1;
    if (!ok)
        record_rejection(c, class_of_verify_error(err), X509_verify_cert_error_string(err), depth,
                         X509_STORE_CTX_get_current_cert(store));
    return ok;
}

static int fingerprint_matches(const fingerprint *fp, const X509 *cert)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!X509_digest(cert, fp->md, digest, &len))
        return 0;
    return len == fp->want.len && CRYPTO_memcmp(digest, fp->want.digest, len) == 0;
}

/* RFC 6125 as the contract words it: DNS SANs, a wildcard only as the whole leftmost label, the
 * CN only when there is no DNS SAN (X509_check_host's default), case-insensitive; an IP literal
 * is matched against IP SANs only. */
static int name_matches(X509 *cert, const char *name, int *is_ip)
{
    char bare[256];
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
        copy_string(bare, sizeof bare, name + 1, len - 2);
        name = bare;
    }
    unsigned char addr[16];
    *is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    if (*is_ip)
        return X509_check_ip_asc(cert, name, 0) == 1;
    return X509_check_host(cert, name, strlen(name), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

/* libssl keeps the peer certificate only once it is accepted (a server never stores a client
 * certificate it rejected), but the record should name the certificate that was rejected too. */
static void remember_peer_leaf(tlsm_conn *c, X509 *leaf)
{
    if (leaf == NULL || leaf == c->peer_leaf || !X509_up_ref(leaf))
        return;
    X509_free(c->peer_leaf);
    c->peer_leaf = leaf;
}

/* Replaces OpenSSL's chain verification for this context: runs it (with the per-certificate
 * callback above), then the checks PHP does after the handshake, here done inside it so that a
 * rejection sends an alert. Returning 0 makes libssl abort with the alert that matches the
 * store's error (X509_V_ERR_* -> alert, ssl_x509err2alert). */
static int on_verify_chain(X509_STORE_CTX *store, void *arg)
{
    (void)arg;
    tlsm_conn *c = conn_of_store(store);
    int chain_ok = X509_verify_cert(store) > 0;
    if (c == NULL)
        return chain_ok;
    remember_peer_leaf(c, X509_STORE_CTX_get0_cert(store));
    const tlsm_ctx *ctx = c->ctx;
    if (ctx->verify_peer && !chain_ok) {
        int err = X509_STORE_CTX_get_error(store);
        record_rejection(c, class_of_verify_error(err), X509_verify_cert_error_string(err),
                         X509_STORE_CTX_get_error_depth(store),
                         X509_STORE_CTX_get_current_cert(store));
        return 0;
    }
    if (!ctx->verify_peer)
        X509_STORE_CTX_set_error(store, X509_V_OK); /* nothing PHP would have checked failed */
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (leaf == NULL)
        return 1;
    if (ctx->fp.md != NULL) {
        if (!fingerprint_matches(&ctx->fp, leaf)) {
            char what[96];
            snprintf(what, sizeof what, "peer certificate's %s fingerprint does not match peer_fingerprint",
                     ctx->fp.want.algo);
            X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
            record_rejection(c, TLSM_E_TLS_CERT_FINGERPRINT_MISMATCH, what, 0, leaf);
            return 0;
        }
        /* A match does not excuse the name: PHP's xp_ssl.c says the fingerprint "trumps"
         * name verification in a comment, but its code goes on to check the name, and tlsmatrix
         * follows what PHP does. */
    }
    if (ctx->verify_peer_name && c->verify_name != NULL && c->verify_name[0] != '\0') {
        int is_ip = 0;
        if (!name_matches(leaf, c->verify_name, &is_ip)) {
            int err = is_ip ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH;
            char what[400];
            snprintf(what, sizeof what, "%s: certificate is not valid for %s",
                     X509_verify_cert_error_string(err), c->verify_name);
            X509_STORE_CTX_set_error(store, err);
            record_rejection(c, TLSM_E_TLS_CERT_NAME_MISMATCH, what, 0, leaf);
            return 0;
        }
    }
    return 1;
}

void apply_verification(SSL_CTX *sc, const tlsm_ctx *ctx, const tlsm_options *o)
{
    int mode;
    if (ctx->side == TLSM_CLIENT)
        /* Always ask libssl to verify: the callbacks decide what verify_peer=false forgives, and
         * only in this mode does a rejection (name, fingerprint) abort the handshake. */
        mode = SSL_VERIFY_PEER;
    else
        mode = ctx->verify_peer ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE;
    SSL_CTX_set_verify(sc, mode, on_verify_certificate);
    SSL_CTX_set_cert_verify_callback(sc, on_verify_chain, NULL);
    if (o->verify_time != 0)
        X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(sc), (time_t)o->verify_time);
}

/* "hex" (md5/sha1/sha256 by length) or "algo:hex"; hex in any case, colons between bytes allowed. */
int parse_fingerprint(const char *text, fingerprint *fp, tlsm_error *e)
{
    if (tlsm_fingerprint_parse(text, &fp->want, e) < 0)
        return -1;
    fp->md = EVP_get_digestbyname(fp->want.algo);
    if (fp->md == NULL || EVP_MD_get_size(fp->md) != (int)fp->want.len)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "peer_fingerprint \"%s\": this OpenSSL has no %s digest", text,
                         fp->want.algo);
    return 0;
}
