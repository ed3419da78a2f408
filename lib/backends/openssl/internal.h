/* What the files of the OpenSSL backend share: the context and connection types and the
 * functions one file of lib/backends/openssl/ calls in another. Everything else stays static
 * in the file of its topic (docs/architecture.md lists them). */
#ifndef TLSM_OPENSSL_INTERNAL_H
#define TLSM_OPENSSL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "backend.h"
#include "fingerprint.h"

#define NO_ALERT (-1)

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

/* ------------------------------------------------------------------------------------------ */
/* Functions shared between the files, by the file that defines them                          */
/* ------------------------------------------------------------------------------------------ */

/* util.c */
void copy_string(char *dst, size_t size, const char *src, size_t len); /* truncates, terminates */
/* Empties this thread's error queue into text (codes into codes[max]); returns the count. */
int drain_errors(char *text, size_t text_len, unsigned long *codes, int max);
void append_openssl_errors(tlsm_error *e);
void name_to_text(const X509_NAME *name, char *out, size_t len);

/* versions.c */
tlsm_version version_of(int protocol);
const char *version_missing(tlsm_version v, char *buf, size_t len); /* NULL: this build has v */
int apply_versions(SSL_CTX *sc, const tlsm_options *o, tlsm_version pinned, tlsm_error *e);

/* policy.c */
int apply_trust(SSL_CTX *sc, const tlsm_options *o, const tlsm_ctx *ctx, tlsm_error *e);
int apply_ciphers(SSL_CTX *sc, const tlsm_options *o, tlsm_error *e);

/* credentials.c */
int on_passphrase(char *buf, int size, int rwflag, void *arg); /* never prompts */
int use_credentials(SSL_CTX *sc, const char *cert, const char *key, const char *passphrase,
                    tlsm_error *e);

/* verify.c */
void apply_verification(SSL_CTX *sc, const tlsm_ctx *ctx, const tlsm_options *o);
int parse_fingerprint(const char *text, fingerprint *fp, tlsm_error *e);

/* alpn_sni.c: parse_alpn for ctx_new, the two server callbacks for build_ssl_ctx */
int parse_alpn(const char *text, unsigned char **wire, size_t *wire_len, tlsm_error *e);
int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                   const unsigned char *in, unsigned int in_len, void *arg);
int on_servername(SSL *ssl, int *alert, void *arg);

/* transcript.c: the callbacks conn_new installs, and what they saw */
void on_protocol_message(int write_p, int version, int content_type, const void *buf,
                         size_t len, SSL *ssl, void *arg);
void on_info(const SSL *ssl, int where, int ret);
long on_socket_io(BIO *bio, int oper, const char *argp, size_t len, int argi, long argl,
                  int ret, size_t *processed);
int first_record_alert(const tlsm_conn *c);

/* failures.c */
/* Classifies a failed SSL_* call into e; returns -1. */
int fail_from_ssl(tlsm_conn *c, tlsm_stage stage, int ssl_error, int sys_errno, tlsm_error *e);

/* io.c: the vtable's I/O entries */
int ossl_handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e);
long ossl_read(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
long ossl_write(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
int ossl_shutdown(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e);

#endif
