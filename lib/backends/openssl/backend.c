/* The OpenSSL backend (OpenSSL 3.0 API). Every call into libssl/libcrypto lives in this file.
 *
 * docs/backend-openssl.md tells how each option is applied and how each error class arises.
 * The shape, in short:
 *  - one SSL_CTX per tlsm_ctx (plus one per sni_certs entry), read-only once built, so that the
 *    server's connection threads can share it;
 *  - every certificate check (chain, depth, fingerprint, name) runs inside the handshake, in the
 *    certificate verification callback, so that a rejection sends an alert the peer can see;
 *  - failures are classified from what this file recorded while the handshake ran (the verify
 *    outcome, the alerts seen, the ALPN outcome) first, and from OpenSSL's error queue after. */
#include "backend.h"
#include "fingerprint.h"

#include "alerts.h"
#include "net.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define DEFAULT_VERIFY_DEPTH 9      /* PHP's OPENSSL_DEFAULT_STREAM_VERIFY_DEPTH */
#define MAX_CREDENTIAL_FILE (1 << 20) /* certificates and keys are small; refuse anything huge */
#define NO_ALERT (-1)
#define LINGER_MS 300 /* how long we wait for the peer to close after our fatal alert */

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* peer_fingerprint, parsed once in ctx_new. */
typedef struct fingerprint {
    const EVP_MD *md; /* NULL: no fingerprint required */
    tlsm_fingerprint want;
} fingerprint;

/* One sni_certs entry: a complete SSL_CTX that differs from the main one only in credentials. */
typedef struct sni_entry {
    char *name;
    SSL_CTX *ssl_ctx;
} sni_entry;

struct tlsm_ctx {
    SSL_CTX *ssl_ctx;
    tlsm_side side;
    int verify_peer;       /* effective value (side default applied) */
    int verify_peer_name;  /* effective value */
    int allow_self_signed;
    int verify_depth;
    int capture_peer_cert;
    fingerprint fp;
    unsigned char *alpn;   /* our protocols in wire format (length-prefixed), NULL when none */
    size_t alpn_len;
    sni_entry *sni;
    int n_sni;
    int legacy_floor; /* TLS 1.0/1.1 refused because of the security level (see build_ssl_ctx) */
};

/* Why this side rejected the peer's certificate, recorded by the verify callbacks. */
typedef struct rejection {
    int rejected;
    tlsm_class cls;
    char detail[TLSM_DETAIL_MAX];
} rejection;

struct tlsm_conn {
    tlsm_ctx *ctx;
    SSL *ssl;
    int fd;                /* borrowed: the caller closes it */
    char *verify_name;     /* client: the name the peer certificate must match, or NULL */
    tlsm_transcript transcript;
    rejection rejection;
    int alpn_mismatch;     /* server: the client offered ALPN and none of ours */
    int alert_received;    /* first fatal alert from the peer, NO_ALERT when none */
    int alert_sent;        /* first fatal alert we sent, NO_ALERT when none */
    char sni[256];         /* server: the name the client asked for */
    X509 *peer_leaf;       /* the peer's certificate as verified (kept even when rejected) */
    int close_notify_sent;
    unsigned char first_bytes[8]; /* the first bytes the peer ever sent (socket BIO callback) */
    size_t n_first_bytes;
};

/* The passphrase callback's view of one key load: what was given, and whether it was asked. */
typedef struct passphrase_state {
    const char *given;
    int asked;
} passphrase_state;

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                              */
/* ------------------------------------------------------------------------------------------ */

static void copy_string(char *dst, size_t size, const char *src, size_t len)
{
    if (size == 0)
        return;
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Pops every error of this thread's queue into "error:…; error:…" (OpenSSL's own words, with the
 * extra data some errors carry, such as "SSL alert number 48"). Returns how many there were; the
 * packed codes go to codes[] (up to max) for classification. */
static int drain_errors(char *text, size_t text_len, unsigned long *codes, int max)
{
    int n = 0;
    size_t used = 0;
    const char *data = NULL;
    int flags = 0;
    unsigned long code;
    if (text_len > 0)
        text[0] = '\0';
    while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char one[256];
        ERR_error_string_n(code, one, sizeof one);
        if (codes != NULL && n < max)
            codes[n] = code;
        n++;
        if (used + 1 >= text_len)
            continue;
        int w = snprintf(text + used, text_len - used, "%s%s", used > 0 ? "; " : "", one);
        if (w > 0)
            used += (size_t)w < text_len - used ? (size_t)w : text_len - used - 1;
        if ((flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0' && used + 1 < text_len) {
            w = snprintf(text + used, text_len - used, " (%s)", data);
            if (w > 0)
                used += (size_t)w < text_len - used ? (size_t)w : text_len - used - 1;
        }
    }
    return n;
}

/* Appends what OpenSSL said (if anything) to e's detail and empties the queue. */
static void append_openssl_errors(tlsm_error *e)
{
    char text[TLSM_DETAIL_MAX];
    if (drain_errors(text, sizeof text, NULL, 0) > 0 && e != NULL)
        tlsm_error_append(e, "%s", text);
}

/* The first queued error's reason, without removing it (0 when the queue is empty). */
static int first_error_reason(int *lib)
{
    unsigned long code = ERR_peek_error();
    if (lib != NULL)
        *lib = code != 0 ? ERR_GET_LIB(code) : 0;
    return code != 0 ? ERR_GET_REASON(code) : 0;
}

/* "CN=localhost,O=tlsmatrix": RFC 4514 order (most specific first), UTF-8 kept as is. */
static void name_to_text(const X509_NAME *name, char *out, size_t len)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data != NULL)
            copy_string(out, len, data, (size_t)n);
    }
    BIO_free(bio);
}

static void subject_of(const X509 *cert, char *out, size_t len)
{
    if (cert == NULL) {
        copy_string(out, len, "(none)", 6);
        return;
    }
    name_to_text(X509_get_subject_name(cert), out, len);
}

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                   */
/* ------------------------------------------------------------------------------------------ */

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

static tlsm_version version_of(int protocol)
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
static const char *version_missing(tlsm_version v, char *buf, size_t len)
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
static int apply_versions(SSL_CTX *sc, const tlsm_options *o, tlsm_version pinned, tlsm_error *e)
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

/* ------------------------------------------------------------------------------------------ */
/* Credentials: certificates, keys, passphrases                                               */
/* ------------------------------------------------------------------------------------------ */

/* Passphrase callback for every PEM/DER read. It never prompts: with no passphrase given it
 * refuses (libcrypto's default callback would ask on the terminal and hang a test run). */
static int on_passphrase(char *buf, int size, int rwflag, void *arg)
{
    (void)rwflag;
    passphrase_state *st = arg;
    if (st == NULL)
        return -1;
    st->asked = 1;
    if (st->given == NULL)
        return -1;
    size_t n = strlen(st->given);
    if (size < 0 || n > (size_t)size)
        return -1;
    memcpy(buf, st->given, n);
    return (int)n;
}

/* Reads a whole (small) file. Returns a malloc'd buffer, or NULL with the reason in why. */
static unsigned char *read_file(const char *path, size_t *len, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, why_len, "%s", strerror(errno));
        return NULL;
    }
    unsigned char *data = malloc(MAX_CREDENTIAL_FILE);
    if (data == NULL) {
        fclose(f);
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    errno = 0;
    size_t n = fread(data, 1, MAX_CREDENTIAL_FILE, f);
    int read_errno = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
    int too_big = n == MAX_CREDENTIAL_FILE && fgetc(f) != EOF;
    fclose(f);
    if (read_errno != 0 || too_big || n == 0) {
        snprintf(why, why_len, "%s", read_errno != 0 ? strerror(read_errno)
                                     : too_big       ? "file is larger than 1 MiB"
                                                     : "file is empty");
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

/* A PEM file has a "-----BEGIN" line somewhere (possibly after explanatory text). */
static int looks_like_pem(const unsigned char *data, size_t len)
{
    static const char marker[] = "-----BEGIN";
    const size_t marker_len = sizeof marker - 1;
    for (size_t i = 0; i + marker_len <= len; i++)
        if (data[i] == '-' && memcmp(data + i, marker, marker_len) == 0)
            return 1;
    return 0;
}

/* Maps a failure of SSL_CTX_use_certificate / add0_chain_cert: the security level refusing the
 * key is config.weak_key, anything else config.cert_load. */
static int fail_cert_use(tlsm_error *e, const char *option, const char *path, const char *which)
{
    int lib = 0;
    int reason = first_error_reason(&lib);
    if (lib == ERR_LIB_SSL && (reason == SSL_R_EE_KEY_TOO_SMALL || reason == SSL_R_CA_KEY_TOO_SMALL))
        tlsm_fail(e, TLSM_E_CONFIG_WEAK_KEY, TLSM_STAGE_CONFIG,
                  "%s %s: the %s certificate's key is too small for the security level",
                  option, path, which);
    else
        tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG,
                  "%s %s: OpenSSL refused the %s certificate", option, path, which);
    append_openssl_errors(e);
    return -1;
}

/* PEM: the first certificate is the leaf, every further one goes to the chain (other PEM blocks,
 * such as a private key in the same file, are skipped). DER: exactly one certificate. */
static int use_certificate_data(SSL_CTX *sc, const unsigned char *data, size_t len,
                                const char *path, tlsm_error *e)
{
    int rc = -1;
    X509 *leaf = NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
    int pem = looks_like_pem(data, len);
    if (pem)
        leaf = PEM_read_bio_X509_AUX(bio, NULL, on_passphrase, NULL);
    else
        leaf = d2i_X509_bio(bio, NULL);
    if (leaf == NULL) {
        tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG,
                  "local_cert %s: no %s certificate could be read", path, pem ? "PEM" : "DER");
        append_openssl_errors(e);
        goto done;
    }
    if (!SSL_CTX_use_certificate(sc, leaf)) {
        fail_cert_use(e, "local_cert", path, "leaf");
        goto done;
    }
    X509 *extra;
    while (pem && (extra = PEM_read_bio_X509(bio, NULL, on_passphrase, NULL)) != NULL) {
        if (!SSL_CTX_add0_chain_cert(sc, extra)) {
            X509_free(extra);
            fail_cert_use(e, "local_cert", path, "chain");
            goto done;
        }
    }
    /* The chain loop ends with "no start line" at the end of the file: expected, not an error. */
    int lib = 0;
    int reason = first_error_reason(&lib);
    if (pem && !(reason == 0 || (lib == ERR_LIB_PEM && reason == PEM_R_NO_START_LINE))) {
        tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG,
                  "local_cert %s: a chain certificate after the first is unreadable", path);
        append_openssl_errors(e);
        goto done;
    }
    ERR_clear_error();
    rc = 0;
done:
    X509_free(leaf);
    BIO_free(bio);
    return rc;
}

static int use_certificate_file(SSL_CTX *sc, const char *path, tlsm_error *e)
{
    char why[200];
    size_t len = 0;
    unsigned char *data = read_file(path, &len, why, sizeof why);
    if (data == NULL)
        return tlsm_fail(e, TLSM_E_CONFIG_CERT_LOAD, TLSM_STAGE_CONFIG,
                         "local_cert %s: cannot read: %s", path, why);
    int rc = use_certificate_data(sc, data, len, path, e);
    free(data);
    return rc;
}

/* Decodes a private key: PEM (any private key block, skipping certificates) or DER (PKCS#8,
 * encrypted or not, or a traditional key). The passphrase callback sees every attempt. */
static EVP_PKEY *decode_private_key(const unsigned char *data, size_t len, passphrase_state *st)
{
    EVP_PKEY *pkey = NULL;
    if (looks_like_pem(data, len)) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (bio != NULL)
            pkey = PEM_read_bio_PrivateKey(bio, NULL, on_passphrase, st);
        BIO_free(bio);
        return pkey;
    }
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", NULL, NULL,
                                                           EVP_PKEY_KEYPAIR, NULL, NULL);
    if (dctx == NULL)
        return NULL;
    const unsigned char *p = data;
    size_t left = len;
    if (!OSSL_DECODER_CTX_set_pem_password_cb(dctx, on_passphrase, st) ||
        !OSSL_DECODER_from_data(dctx, &p, &left)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

static int fail_key_decode(tlsm_error *e, const char *option, const char *path,
                           const passphrase_state *st)
{
    if (st->asked && st->given == NULL)
        tlsm_fail(e, TLSM_E_CONFIG_BAD_PASSPHRASE, TLSM_STAGE_CONFIG,
                  "%s %s: key is encrypted and no passphrase was given", option, path);
    else if (st->asked)
        tlsm_fail(e, TLSM_E_CONFIG_BAD_PASSPHRASE, TLSM_STAGE_CONFIG,
                  "%s %s: the passphrase does not decrypt the key", option, path);
    else
        tlsm_fail(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG,
                  "%s %s: no private key could be read", option, path);
    append_openssl_errors(e);
    return -1;
}

static int use_private_key_file(SSL_CTX *sc, const char *path, const char *option,
                                const char *passphrase, tlsm_error *e)
{
    char why[200];
    size_t len = 0;
    unsigned char *data = read_file(path, &len, why, sizeof why);
    if (data == NULL)
        return tlsm_fail(e, TLSM_E_CONFIG_KEY_LOAD, TLSM_STAGE_CONFIG, "%s %s: cannot read: %s",
                         option, path, why);
    passphrase_state st = {passphrase, 0};
    ERR_clear_error();
    EVP_PKEY *pkey = decode_private_key(data, len, &st);
    OPENSSL_cleanse(data, len);
    free(data);
    if (pkey == NULL)
        return fail_key_decode(e, option, path, &st);
    int rc = 0;
    if (!SSL_CTX_use_PrivateKey(sc, pkey)) {
        int lib = 0;
        int reason = first_error_reason(&lib);
        int mismatch = lib == ERR_LIB_X509 &&
                       (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH);
        tlsm_fail(e, mismatch ? TLSM_E_CONFIG_KEY_MISMATCH : TLSM_E_CONFIG_KEY_LOAD,
                  TLSM_STAGE_CONFIG, "%s %s: %s", option, path,
                  mismatch ? "the key does not match local_cert" : "OpenSSL refused the key");
        append_openssl_errors(e);
        rc = -1;
    }
    EVP_PKEY_free(pkey);
    return rc;
}

/* local_cert (+ chain) and its key: local_pk, or the key inside local_cert when absent. */
static int use_credentials(SSL_CTX *sc, const char *cert, const char *key, const char *passphrase,
                           tlsm_error *e)
{
    if (cert == NULL) {
        if (key != NULL)
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "local_pk %s given without local_cert", key);
        return 0;
    }
    if (use_certificate_file(sc, cert, e) != 0)
        return -1;
    if (use_private_key_file(sc, key != NULL ? key : cert, key != NULL ? "local_pk" : "local_cert",
                             passphrase, e) != 0)
        return -1;
    ERR_clear_error();
    if (!SSL_CTX_check_private_key(sc)) {
        tlsm_fail(e, TLSM_E_CONFIG_KEY_MISMATCH, TLSM_STAGE_CONFIG,
                  "the key in %s does not match the certificate in %s",
                  key != NULL ? key : cert, cert);
        append_openssl_errors(e);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Trust and policy                                                                           */
/* ------------------------------------------------------------------------------------------ */

static int apply_trust(SSL_CTX *sc, const tlsm_options *o, const tlsm_ctx *ctx, tlsm_error *e)
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

static int apply_ciphers(SSL_CTX *sc, const tlsm_options *o, tlsm_error *e)
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

/* ------------------------------------------------------------------------------------------ */
/* Certificate verification (runs inside the handshake)                                        */
/* ------------------------------------------------------------------------------------------ */

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

static void apply_verification(SSL_CTX *sc, const tlsm_ctx *ctx, const tlsm_options *o)
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
static int parse_fingerprint(const char *text, fingerprint *fp, tlsm_error *e)
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

/* ------------------------------------------------------------------------------------------ */
/* ALPN and SNI                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* "h2,http/1.1" -> "\x02h2\x08http/1.1" (RFC 7301 wire format). */
static int parse_alpn(const char *text, unsigned char **wire, size_t *wire_len, tlsm_error *e)
{
    size_t len = strlen(text);
    if (len == 0)
        return 0;
    unsigned char *out = malloc(len + 1);
    if (out == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
    size_t used = 0;
    for (const char *p = text;;) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == 0 || n > 255) {
            free(out);
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "alpn_protocols \"%s\": each protocol must be 1 to 255 bytes", text);
        }
        out[used++] = (unsigned char)n;
        memcpy(out + used, p, n);
        used += n;
        if (end == NULL)
            break;
        p = end + 1;
    }
    *wire = out;
    *wire_len = used;
    return 0;
}

static int wire_list_contains(const unsigned char *list, size_t len, const unsigned char *proto,
                              size_t proto_len)
{
    for (size_t i = 0; i < len; i += 1 + (size_t)list[i])
        if (list[i] == proto_len && i + 1 + proto_len <= len && memcmp(list + i + 1, proto, proto_len) == 0)
            return 1;
    return 0;
}

/* Server: the first protocol of OUR list that the client offered. No overlap is fatal
 * (RFC 7301 §3.2: no_application_protocol), and remembered so both sides say alpn_mismatch. */
static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                          const unsigned char *in, unsigned int in_len, void *arg)
{
    (void)arg;
    tlsm_conn *c = SSL_get_app_data(ssl);
    if (c == NULL || c->ctx->alpn == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    const unsigned char *ours = c->ctx->alpn;
    for (size_t i = 0; i < c->ctx->alpn_len; i += 1 + (size_t)ours[i]) {
        if (wire_list_contains(in, in_len, ours + i + 1, ours[i])) {
            *out = ours + i + 1;
            *out_len = ours[i];
            return SSL_TLSEXT_ERR_OK;
        }
    }
    c->alpn_mismatch = 1;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Server: remembers the name the client asked for and, when sni_certs has it, switches to that
 * entry's SSL_CTX (configured like the main one, so ALPN and verification stay the same). */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    (void)arg;
    tlsm_conn *c = SSL_get_app_data(ssl);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (c == NULL || name == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    copy_string(c->sni, sizeof c->sni, name, strlen(name));
    for (int i = 0; i < c->ctx->n_sni; i++) {
        if (strcasecmp(c->ctx->sni[i].name, name) == 0) {
            if (SSL_set_SSL_CTX(ssl, c->ctx->sni[i].ssl_ctx) == NULL) {
                *alert = SSL_AD_INTERNAL_ERROR;
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Transcript and alerts                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* libssl reports each handshake message it writes or reads, and each ChangeCipherSpec it
 * writes. A ChangeCipherSpec it reads (TLS 1.2, and TLS 1.3's middlebox-compatibility one) is
 * not reported as such by OpenSSL 3.0, only its record header, so received ones are taken from
 * the header (type 20); that also keeps one entry per record if a version reported both.
 * Other record headers, TLS 1.3 inner content types and alerts are not handshake messages. */
static void on_protocol_message(int write_p, int version, int content_type, const void *buf,
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
static void on_info(const SSL *ssl, int where, int ret)
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
static long on_socket_io(BIO *bio, int oper, const char *argp, size_t len, int argi, long argl,
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
static int first_record_alert(const tlsm_conn *c)
{
    const unsigned char *b = c->first_bytes;
    if (c->n_first_bytes < 7 || b[0] != SSL3_RT_ALERT || b[1] != 3 || b[3] != 0 || b[4] != 2 ||
        b[5] != SSL3_AL_FATAL)
        return NO_ALERT;
    return b[6];
}

/* ------------------------------------------------------------------------------------------ */
/* Failure classification                                                                     */
/* ------------------------------------------------------------------------------------------ */

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
static int fail_from_ssl(tlsm_conn *c, tlsm_stage stage, int ssl_error, int sys_errno,
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

/* Waits for what libssl asked for (WANT_READ / WANT_WRITE) or fails at the deadline. */
static int wait_for_socket(tlsm_conn *c, int ssl_error, int64_t deadline_ms, tlsm_stage stage,
                           const char *operation, tlsm_error *e)
{
    short events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    int ready = tlsm_wait_fd(c->fd, events, deadline_ms);
    if (ready > 0)
        return 0;
    if (ready == 0)
        return tlsm_fail(e, TLSM_E_IO_TIMEOUT, stage,
                         "%s did not complete before the deadline (waiting to %s)", operation,
                         events == POLLOUT ? "write" : "read");
    return tlsm_fail(e, TLSM_E_IO_FAILED, stage, "poll: %s", strerror(errno));
}

static int wants_io(int ssl_error)
{
    return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE;
}

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

/* After our fatal alert: read and discard what the peer still sends until it closes, briefly.
 * Closing a socket with unread input (a TLS 1.3 server's tickets, a client's first data) makes
 * the kernel send RST instead of FIN, and an RST can destroy our alert in the peer's receive
 * queue before the peer reads it: the peer would report io.truncated or io.reset instead of the
 * alert's class. Our FIN goes first, so that a peer doing the same after its own alert does
 * not wait for us until LINGER_MS. The GnuTLS backend does the same (linger_for_peer). */
static void linger_for_peer(tlsm_conn *c)
{
    shutdown(c->fd, SHUT_WR);
    int64_t deadline = tlsm_now_ms() + LINGER_MS;
    unsigned char sink[4096];
    for (int i = 0; i < 256; i++) {
        ssize_t n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return;
        if (n < 0 && tlsm_wait_fd(c->fd, POLLIN, deadline) <= 0)
            return;
    }
}

static int ossl_handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int ret = SSL_do_handshake(c->ssl);
        int saved_errno = errno;
        if (ret == 1)
            return 0;
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (!wants_io(ssl_error)) {
            int rc = fail_from_ssl(c, TLSM_STAGE_HANDSHAKE, ssl_error, saved_errno, e);
            if (c->alert_sent != NO_ALERT)
                linger_for_peer(c);
            return rc;
        }
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_HANDSHAKE, "the handshake", e) != 0)
            return -1;
    }
}

static long ossl_read(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e)
{
    if (len == 0)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_IO, "read into an empty buffer");
    if (len > LONG_MAX)
        len = LONG_MAX;
    for (;;) {
        size_t got = 0;
        ERR_clear_error();
        errno = 0;
        int ret = SSL_read_ex(c->ssl, buf, len, &got);
        int saved_errno = errno;
        if (ret == 1)
            return (long)got;
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (ssl_error == SSL_ERROR_ZERO_RETURN) /* close_notify */
            return 0;
        if (!wants_io(ssl_error))
            return fail_from_ssl(c, TLSM_STAGE_IO, ssl_error, saved_errno, e);
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_IO, "the read", e) != 0)
            return -1;
    }
}

static long ossl_write(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms,
                       tlsm_error *e)
{
    if (len > LONG_MAX)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_IO, "write of %zu bytes is too large", len);
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        size_t wrote = 0;
        ERR_clear_error();
        errno = 0;
        /* After WANT_*, libssl requires the same arguments again: p + done and len - done do
         * not change until a call succeeds. */
        int ret = SSL_write_ex(c->ssl, p + done, len - done, &wrote);
        int saved_errno = errno;
        if (ret == 1) {
            done += wrote;
            continue;
        }
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (!wants_io(ssl_error))
            return fail_from_ssl(c, TLSM_STAGE_IO, ssl_error, saved_errno, e);
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_IO, "the write", e) != 0)
            return -1;
    }
    return (long)len;
}

/* Sends close_notify once. SSL_shutdown returning 0 means "sent, the peer's not seen yet":
 * that is success here; reading the peer's close_notify is the caller's business (read()). */
static int ossl_shutdown(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    if (c->close_notify_sent)
        return 0;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int ret = SSL_shutdown(c->ssl);
        int saved_errno = errno;
        if (ret >= 0) {
            c->close_notify_sent = 1;
            return 0;
        }
        int ssl_error = SSL_get_error(c->ssl, ret);
        if (ssl_error == SSL_ERROR_WANT_READ) { /* the alert is out; it now waits for the peer's */
            c->close_notify_sent = 1;
            ERR_clear_error();
            return 0;
        }
        if (ssl_error != SSL_ERROR_WANT_WRITE)
            return fail_from_ssl(c, TLSM_STAGE_CLOSE, ssl_error, saved_errno, e);
        if (wait_for_socket(c, ssl_error, deadline_ms, TLSM_STAGE_CLOSE, "sending close_notify", e) != 0)
            return -1;
    }
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
