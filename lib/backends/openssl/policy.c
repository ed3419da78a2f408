/* What a context accepts from its peer besides the version: trust anchors (cafile, capath, the
 * system store, and the CA names a server asks for) and the cipher lists. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "internal.h"

int apply_trust(SSL_CTX *sc, const tlsm_options *o, const tlsm_ctx *ctx, tlsm_error *e)
{
    ERR_clear_error();
    if (o->cafile != NULL && !SSL_CTX_load_verify_file(sc, o->cafile)) {
        tlsm_fail(e, TLSM_E_CONFIG_CAFILE, TLSM_STAGE_CONFIG, "cafile %s cannot be loaded",
                  o->cafile);
        append_openssl_errors(e);
        return -1;
    }
    if (o->capath != NULL) {
        struct stat st;
        if (stat(o->capath, &st) != 0)
            return tlsm_fail(e, TLSM_E_CONFIG_CAPATH, TLSM_STAGE_CONFIG, "capath %s: %s",
                             o->capath, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return tlsm_fail(e, TLSM_E_CONFIG_CAPATH, TLSM_STAGE_CONFIG,
                             "capath %s is not a directory", o->capath);
        if (!SSL_CTX_load_verify_dir(sc, o->capath)) {
            tlsm_fail(e, TLSM_E_CONFIG_CAPATH, TLSM_STAGE_CONFIG, "capath %s cannot be used",
                      o->capath);
            append_openssl_errors(e);
            return -1;
        }
    }
    /* The system store only for a client, as PHP's xp_ssl.c does: a server with no cafile or
     * capath trusts no client certificate. */
    if (ctx->side == TLSM_CLIENT && o->cafile == NULL && o->capath == NULL &&
        !SSL_CTX_set_default_verify_paths(sc)) {
        /* Only fails on out-of-memory; a missing system store shows up as cert_untrusted. */
        ERR_clear_error();
    }
    /* A server that asks for a client certificate names the CAs it accepts (cafile's). */
    if (ctx->side == TLSM_SERVER && ctx->verify_peer && o->cafile != NULL) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->cafile);
        if (names != NULL)
            SSL_CTX_set_client_CA_list(sc, names);
        ERR_clear_error();
    }
    return 0;
}

int apply_ciphers(SSL_CTX *sc, const tlsm_options *o, tlsm_error *e)
{
    ERR_clear_error();
    if (o->ciphers != NULL && !SSL_CTX_set_cipher_list(sc, o->ciphers)) {
        tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                  "ciphers \"%s\" selects no usable cipher", o->ciphers);
        append_openssl_errors(e);
        return -1;
    }
    if (o->ciphersuites != NULL && !SSL_CTX_set_ciphersuites(sc, o->ciphersuites)) {
        tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                  "ciphersuites \"%s\" is not a valid TLS 1.3 suite list", o->ciphersuites);
        append_openssl_errors(e);
        return -1;
    }
    return 0;
}
