/* What this side trusts and what it presents: trust anchors (cafile, capath, the system store),
 * its own certificates and keys (local_cert, local_pk, passphrase, sni_certs), and which of
 * them a handshake sends. Judging the peer's certificate is verify.c's business. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

/* ------------------------------------------------------------------------------------------ */
/* Trust (cafile, capath, system)                                                             */

static int load_cafile(gnutls_x509_trust_list_t list, const char *path, tlsm_error *e)
{
    gnutls_datum_t data;
    char why[256];
    if (read_file(path, &data, why, sizeof why) < 0)
        return tlsm_fail(e, TLSM_E_CONFIG_CAFILE, TLSM_STAGE_CONFIG, "cafile %s: %s", path, why);
    int ret = is_pem(&data)
                  ? gnutls_x509_trust_list_add_trust_mem(list, &data, NULL, GNUTLS_X509_FMT_PEM, 0, 0)
                  : gnutls_x509_trust_list_add_trust_mem(list, &data, NULL, GNUTLS_X509_FMT_DER, 0, 0);
    free(data.data);
    if (ret < 0) {
        tlsm_fail(e, TLSM_E_CONFIG_CAFILE, TLSM_STAGE_CONFIG, "cafile %s: cannot load", path);
        append_gnutls_error(e, ret);
        return -1;
    }
    if (ret == 0)
        return tlsm_fail(e, TLSM_E_CONFIG_CAFILE, TLSM_STAGE_CONFIG,
                         "cafile %s: no certificate found in it", path);
    return 0;
}

static int load_capath(gnutls_x509_trust_list_t list, const char *dir, tlsm_error *e)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return tlsm_fail(e, TLSM_E_CONFIG_CAPATH, TLSM_STAGE_CONFIG, "capath %s: %s", dir,
                         strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return tlsm_fail(e, TLSM_E_CONFIG_CAPATH, TLSM_STAGE_CONFIG,
                         "capath %s: not a directory", dir);
    /* GnuTLS reads every certificate file of the directory up front (OpenSSL looks hashed names
     * up lazily); an empty directory is not an error on either library. */
    int ret = gnutls_x509_trust_list_add_trust_dir(list, dir, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    if (ret < 0) {
        tlsm_fail(e, TLSM_E_CONFIG_CAPATH, TLSM_STAGE_CONFIG, "capath %s: cannot load", dir);
        append_gnutls_error(e, ret);
        return -1;
    }
    return 0;
}

/* Client: cafile/capath when given, else the system store (PHP: SSL_CTX_set_default_verify_paths).
 * Server: cafile/capath only, like PHP, which loads no default store for client certificates. */
static int setup_trust(tlsm_ctx *ctx, const tlsm_options *o, tlsm_error *e)
{
    int ret = gnutls_x509_trust_list_init(&ctx->trust, 0);
    if (ret < 0)
        return fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "trust list");
    /* The credentials own the list from here on (freed with them). */
    gnutls_certificate_set_trust_list(ctx->cred, ctx->trust, 0);
    if (o->cafile != NULL && load_cafile(ctx->trust, o->cafile, e) < 0)
        return -1;
    if (o->capath != NULL && load_capath(ctx->trust, o->capath, e) < 0)
        return -1;
    ctx->have_client_ca_names = o->cafile != NULL || o->capath != NULL;
    if (o->cafile == NULL && o->capath == NULL && ctx->side == TLSM_CLIENT && ctx->verify_peer) {
        ret = gnutls_x509_trust_list_add_system_trust(ctx->trust, 0, 0);
        if (ret < 0)
            return fail_gnutls(e, TLSM_E_CONFIG_CAFILE, TLSM_STAGE_CONFIG, ret,
                               "cannot load the system trust store");
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Local certificates and keys                                                                */

void identity_free(identity *id)
{
    for (unsigned i = 0; i < id->n_pcerts; i++)
        gnutls_pcert_deinit(&id->pcerts[i]);
    free(id->pcerts);
    if (id->key != NULL)
        gnutls_privkey_deinit(id->key);
    free(id->sni_name);
    memset(id, 0, sizeof *id);
}

static int is_encrypted_pem_key(const gnutls_datum_t *d)
{
    return has_text(d, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
           has_text(d, "Proc-Type: 4,ENCRYPTED");
}

/* Imports the private key in data (PEM anywhere in the file, or DER), honouring the passphrase. */
static int import_key(const gnutls_datum_t *data, const char *path, const char *passphrase,
                      gnutls_x509_privkey_t *out, tlsm_error *e)
{
    int ret = gnutls_x509_privkey_init(out);
    if (ret < 0)
        return fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "privkey init");
    int pem = is_pem(data);
    if (pem && !has_text(data, "PRIVATE KEY-----")) {
        gnutls_x509_privkey_deinit(*out);
        *out = NULL;
        return tlsm_fail(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG,
                         "%s: no private key in the file", path);
    }
    int encrypted = pem && is_encrypted_pem_key(data);
    if (encrypted && (passphrase == NULL || passphrase[0] == '\0')) {
        gnutls_x509_privkey_deinit(*out);
        *out = NULL;
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_PASSPHRASE, TLSM_STAGE_CONFIG,
                         "%s: key is encrypted and no passphrase was given", path);
    }
    /* GNUTLS_PKCS_PLAIN is not set: import2 tries plain and encrypted forms by itself. */
    ret = gnutls_x509_privkey_import2(*out, data, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
                                      passphrase, 0);
    if (ret >= 0)
        return 0;
    gnutls_x509_privkey_deinit(*out);
    *out = NULL;
    if (ret == GNUTLS_E_DECRYPTION_FAILED || ret == GNUTLS_E_PK_INVALID_PRIVKEY) {
        if (passphrase == NULL) {
            tlsm_fail(e, TLSM_E_CONFIG_BAD_PASSPHRASE, TLSM_STAGE_CONFIG,
                      "%s: key is encrypted and no passphrase was given", path);
            append_gnutls_error(e, ret);
            return -1;
        }
        tlsm_fail(e, TLSM_E_CONFIG_BAD_PASSPHRASE, TLSM_STAGE_CONFIG,
                  "%s: wrong passphrase for the encrypted key", path);
        append_gnutls_error(e, ret);
        return -1;
    }
    tlsm_fail(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG, "%s: cannot load the private key",
              path);
    append_gnutls_error(e, ret);
    return -1;
}

static int import_chain(const gnutls_datum_t *data, const char *path, gnutls_x509_crt_t **crts,
                        unsigned *n, tlsm_error *e)
{
    int pem = is_pem(data);
    if (pem && !has_text(data, "-----BEGIN CERTIFICATE-----") &&
        !has_text(data, "-----BEGIN X509 CERTIFICATE-----"))
        return tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG,
                         "local_cert %s: no certificate in the file", path);
    int ret = gnutls_x509_crt_list_import2(crts, n, data,
                                           pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
    if (ret < 0 || *n == 0) {
        tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG,
                  "local_cert %s: cannot load the certificate", path);
        if (ret < 0)
            append_gnutls_error(e, ret);
        return -1;
    }
    return 0;
}

static int keys_match(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
    unsigned char a[64], b[64];
    size_t la = sizeof a, lb = sizeof b;
    if (gnutls_x509_crt_get_key_id(crt, 0, a, &la) < 0 ||
        gnutls_x509_privkey_get_key_id(key, 0, b, &lb) < 0)
        return 0;
    return la == lb && memcmp(a, b, la) == 0;
}

/* OpenSSL refuses to load a key weaker than its security level (SSL_CTX_use_PrivateKey: "ee key
 * too small"); GnuTLS loads anything, so the same rule is checked here with GnuTLS's own
 * bits->security-parameter table (80/112/128/192/256 bits, as OpenSSL counts). Only an explicit
 * level is checked: -1 keeps GnuTLS's default, which loads any key. */
static int check_key_strength(const tlsm_ctx *ctx, gnutls_x509_privkey_t key, const char *path,
                              tlsm_error *e)
{
    if (ctx->security_level < 1)
        return 0;
    unsigned bits = 0;
    int algo = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);
    if (algo < 0)
        return 0;
    gnutls_sec_param_t have = gnutls_pk_bits_to_sec_param((gnutls_pk_algorithm_t)algo, bits);
    gnutls_sec_param_t need = security_level_key_param(ctx->security_level);
    if (gnutls_sec_param_to_pk_bits((gnutls_pk_algorithm_t)algo, have) <
        gnutls_sec_param_to_pk_bits((gnutls_pk_algorithm_t)algo, need))
        return tlsm_fail(e, TLSM_E_CONFIG_WEAK_KEY, TLSM_STAGE_CONFIG,
                         "%s: %s key of %u bits is too weak for security level %d (needs %s)",
                         path, gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)algo), bits,
                         ctx->security_level, gnutls_sec_param_get_name(need));
    return 0;
}

/* Loads one certificate chain (PEM with key and chain, or DER) and its key into id. */
static int load_identity(tlsm_ctx *ctx, identity *id, const char *cert_path, const char *key_path,
                         const char *passphrase, tlsm_error *e)
{
    char why[256];
    gnutls_datum_t cert_data, key_data = {NULL, 0};
    if (read_file(cert_path, &cert_data, why, sizeof why) < 0)
        return tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG, "local_cert %s: %s",
                         cert_path, why);
    gnutls_x509_crt_t *crts = NULL;
    unsigned n = 0;
    gnutls_x509_privkey_t xkey = NULL;
    int rc = -1;
    if (import_chain(&cert_data, cert_path, &crts, &n, e) < 0)
        goto out;
    const gnutls_datum_t *kd = &cert_data;
    const char *kpath = cert_path;
    if (key_path != NULL) {
        if (read_file(key_path, &key_data, why, sizeof why) < 0) {
            tlsm_fail(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG, "local_pk %s: %s", key_path,
                      why);
            goto out;
        }
        kd = &key_data;
        kpath = key_path;
    } else if (!is_pem(&cert_data)) {
        tlsm_fail(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG,
                  "local_cert %s is DER (certificate only) and no local_pk was given", cert_path);
        goto out;
    }
    if (import_key(kd, kpath, passphrase, &xkey, e) < 0)
        goto out;
    if (!keys_match(crts[0], xkey)) {
        tlsm_fail(e, TLSM_E_CONFIG_KEY_MISMATCH, TLSM_STAGE_CONFIG,
                  "the private key in %s does not belong to the certificate in %s", kpath,
                  cert_path);
        append_gnutls_error(e, GNUTLS_E_CERTIFICATE_KEY_MISMATCH);
        goto out;
    }
    if (check_key_strength(ctx, xkey, kpath, e) < 0)
        goto out;

    id->pcerts = calloc(n, sizeof *id->pcerts);
    if (id->pcerts == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        goto out;
    }
    unsigned imported = n;
    int ret = gnutls_pcert_import_x509_list(id->pcerts, crts, &imported, 0);
    if (ret < 0) {
        fail_gnutls(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG, ret, "local_cert chain");
        goto out;
    }
    id->n_pcerts = imported;
    ret = gnutls_privkey_init(&id->key);
    if (ret >= 0)
        ret = gnutls_privkey_import_x509(id->key, xkey, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
    if (ret < 0) {
        fail_gnutls(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG, ret, kpath);
        goto out;
    }
    xkey = NULL; /* now owned by id->key */
    rc = 0;
out:
    if (xkey != NULL)
        gnutls_x509_privkey_deinit(xkey);
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    free(cert_data.data);
    if (key_data.data != NULL) {
        gnutls_memset(key_data.data, 0, key_data.size);
        free(key_data.data);
    }
    return rc;
}

/* sni_certs = "name=cert[+key],name=cert[+key]". */
static int load_sni_identities(tlsm_ctx *ctx, const tlsm_options *o, tlsm_error *e)
{
    char *copy = dup_str(o->sni_certs);
    if (copy == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *entry = strtok_r(copy, ",", &save); entry != NULL && rc == 0;
         entry = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(entry, '=');
        if (eq == NULL || eq == entry || eq[1] == '\0') {
            rc = tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                           "sni_certs: \"%s\" is not name=cert[+key]", entry);
            break;
        }
        if (ctx->n_ids >= MAX_IDS) {
            rc = tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                           "sni_certs: more than %d entries", MAX_IDS - 1);
            break;
        }
        *eq = '\0';
        char *cert = eq + 1;
        char *plus = strchr(cert, '+');
        if (plus != NULL)
            *plus = '\0';
        identity *id = &ctx->ids[ctx->n_ids];
        id->sni_name = dup_str(entry);
        ctx->n_ids++;
        rc = load_identity(ctx, id, cert, plus ? plus + 1 : NULL, o->passphrase, e);
    }
    free(copy);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Certificate selection (both sides)                                                         */

/* Our own retrieve function instead of GnuTLS's built-in selection: a client always sends its
 * local_cert like OpenSSL does (GnuTLS would withhold one whose issuer is not among the server's
 * requested CA names), and a server picks the sni_certs entry for the SNI name. */
static int select_certificate(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                              gnutls_pcert_st **certs, unsigned *n_certs,
                              gnutls_ocsp_data_st **ocsp, unsigned *n_ocsp,
                              gnutls_privkey_t *key, unsigned *flags)
{
    (void)info;
    tlsm_conn *c = gnutls_session_get_ptr(session);
    *certs = NULL;
    *n_certs = 0;
    *ocsp = NULL;
    *n_ocsp = 0;
    *key = NULL;
    *flags = 0; /* the ctx keeps ownership */
    if (c == NULL)
        return -1;
    const tlsm_ctx *ctx = c->ctx;
    const identity *chosen = ctx->has_default_id ? &ctx->ids[0] : NULL;
    if (ctx->side == TLSM_SERVER && ctx->n_ids > (ctx->has_default_id ? 1 : 0)) {
        char name[256];
        size_t size = sizeof name;
        unsigned type = 0;
        if (gnutls_server_name_get(session, name, &size, &type, 0) == 0 &&
            type == GNUTLS_NAME_DNS) {
            for (int i = ctx->has_default_id ? 1 : 0; i < ctx->n_ids; i++)
                if (strcasecmp(ctx->ids[i].sni_name, name) == 0) { /* exact, like the OpenSSL backend */
                    chosen = &ctx->ids[i];
                    break;
                }
        }
    }
    if (chosen == NULL)
        return 0; /* no certificate: a server then fails the handshake, a client sends none */
    *certs = chosen->pcerts;
    *n_certs = chosen->n_pcerts;
    *key = chosen->key;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The credentials of a context                                                               */

/* The context's certificate credentials: trust, our verify callback, local_cert and sni_certs,
 * and our own choice of the certificate a handshake sends. */
int setup_credentials(tlsm_ctx *ctx, const tlsm_options *o, tlsm_error *e)
{
    int ret = gnutls_certificate_allocate_credentials(&ctx->cred);
    if (ret < 0)
        return fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "credentials");
    if (setup_trust(ctx, o, e) < 0)
        return -1;
    gnutls_certificate_set_verify_function(ctx->cred, on_verify_peer);
    if (o->local_cert != NULL) {
        if (load_identity(ctx, &ctx->ids[0], o->local_cert, o->local_pk, o->passphrase, e) < 0) {
            ctx->n_ids = 1; /* free what was loaded */
            return -1;
        }
        ctx->n_ids = 1;
        ctx->has_default_id = 1;
    } else if (o->local_pk != NULL) {
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "local_pk given without local_cert");
    }
    if (o->sni_certs != NULL) {
        if (ctx->side != TLSM_SERVER)
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "sni_certs is a server option");
        if (load_sni_identities(ctx, o, e) < 0)
            return -1;
    }
    gnutls_certificate_set_retrieve_function3(ctx->cred, select_certificate);
    return 0;
}
