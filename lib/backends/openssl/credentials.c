/* Our own certificate and key: local_cert (with its chain), local_pk and passphrase, read in
 * PEM or DER, each failure with its own class (unreadable, no or wrong passphrase, key and
 * certificate mismatch, key too weak for the security level). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "internal.h"

#define MAX_CREDENTIAL_FILE (1 << 20) /* certificates and keys are small; refuse anything huge */

/* The passphrase callback's view of one key load: what was given, and whether it was asked. */
typedef struct passphrase_state {
    const char *given;
    int asked;
} passphrase_state;

/* The first queued error's reason, without removing it (0 when the queue is empty). */
static int first_error_reason(int *lib)
{
    unsigned long code = ERR_peek_error();
    if (lib != NULL)
        *lib = code != 0 ? ERR_GET_LIB(code) : 0;
    return code != 0 ? ERR_GET_REASON(code) : 0;
}

/* Passphrase callback for every PEM/DER read. It never prompts: with no passphrase given it
 * refuses (libcrypto's default callback would ask on the terminal and hang a test run). */
int on_passphrase(char *buf, int size, int rwflag, void *arg)
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
int use_credentials(SSL_CTX *sc, const char *cert, const char *key, const char *passphrase,
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
