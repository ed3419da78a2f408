/* What the files of the GnuTLS backend share: the context and connection types, the limits
 * they are sized by, and the functions one file of lib/backends/gnutls/ calls in another.
 * Everything else stays static in the file of its topic (docs/architecture.md lists them). */
#ifndef TLSM_GNUTLS_INTERNAL_H
#define TLSM_GNUTLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "backend.h"
#include "fingerprint.h"

#define MAX_IDS 32 /* local_cert + sni_certs entries */
#define MAX_ALPN 16

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                      */

/* One certificate chain with its key: the default local_cert or one sni_certs entry. */
typedef struct identity {
    char *sni_name; /* NULL for the default identity */
    gnutls_pcert_st *pcerts;
    unsigned n_pcerts;
    gnutls_privkey_t key;
} identity;

/* A cipher selection translated from OpenSSL syntax: GnuTLS priority keywords in preference order. */
typedef struct suite_selection {
    int given;          /* the option was set */
    const char *kx[8];  /* KX keywords (TLS <= 1.2 only) */
    int n_kx;
    const char *cipher[16];
    int n_cipher;
    const char *mac[8];
    int n_mac;
} suite_selection;

struct tlsm_ctx {
    tlsm_side side;
    int verify_peer;
    int verify_peer_name;
    int allow_self_signed;
    int verify_depth;
    int capture_peer_cert;
    int security_level;   /* -1: GnuTLS's own default ("NORMAL") */
    long long verify_time; /* 0: now */
    unsigned verify_flags; /* GNUTLS_VERIFY_* for the chain check (profile of the level) */

    gnutls_digest_algorithm_t fp_algo; /* peer_fingerprint; GNUTLS_DIG_UNKNOWN when not given */
    tlsm_fingerprint fp;

    gnutls_certificate_credentials_t cred;
    gnutls_x509_trust_list_t trust; /* owned by cred once attached */
    int have_client_ca_names;       /* server: send the cafile's CA names in CertificateRequest */

    gnutls_priority_t prio;      /* what every session starts with */
    gnutls_priority_t prio_tls12; /* server: once TLS <= 1.2 is negotiated (ciphers given) */
    gnutls_priority_t prio_tls13; /* server: once TLS 1.3 is negotiated (ciphersuites given) */
    unsigned version_mask;        /* bit per tlsm_version this context may negotiate */
    int no_usable_version;        /* the level excluded every allowed version */
    char no_version_reason[200];

    identity ids[MAX_IDS];
    int n_ids;
    int has_default_id; /* ids[0] is local_cert */

    char *alpn_storage;
    gnutls_datum_t alpn[MAX_ALPN];
    unsigned n_alpn;

    gnutls_datum_t ticket_key; /* server: TLS 1.3 tickets, as OpenSSL servers send two by default */
};

/* Follows the TLS record framing of one direction of the byte stream. */
typedef struct record_tracker {
    unsigned char header[5];
    size_t header_len;
    size_t body_left;
    int lost; /* not TLS framing (plaintext peer): stop looking */
    unsigned char alert[2]; /* body of the current record when it is a 2-byte (plaintext) alert */
    size_t alert_len;
} record_tracker;

struct tlsm_conn {
    tlsm_ctx *ctx;
    gnutls_session_t session;
    int fd;
    char *verify_name;
    tlsm_transcript transcript;

    unsigned char first_bytes[24]; /* the first bytes the peer ever sent: TLS record or not */
    size_t n_first_bytes;
    int last_errno; /* errno of the last failed send/recv */

    record_tracker rec_in, rec_out; /* record boundaries, to place ChangeCipherSpec */
    int pending_out[TLSM_TRANSCRIPT_MAX]; /* transcript indices of messages not yet on the wire */
    int n_pending_out;

    int verify_failed;     /* our verify function rejected the peer's certificate */
    tlsm_error verify_err; /* its class and detail (stage verify) */
    int sent_close_notify;
    int saw_server_hello; /* the version and suite are negotiated */
    int plain_alert;      /* last plaintext fatal alert the peer sent, -1 when none */
    unsigned client_versions; /* server: versions the ClientHello offered (bit per tlsm_version) */
};

/* ------------------------------------------------------------------------------------------ */
/* Functions shared between the files, by the file that defines them                          */

/* util.c */
char *dup_str(const char *s);
void append_gnutls_error(tlsm_error *e, int ret);
/* Fails e (unless it already failed) with what, then GnuTLS's words for ret; returns -1. */
int fail_gnutls(tlsm_error *e, tlsm_class cls, tlsm_stage stage, int ret, const char *what);
int read_file(const char *path, gnutls_datum_t *out, char *why, size_t why_len);
int has_text(const gnutls_datum_t *d, const char *needle);
int is_pem(const gnutls_datum_t *d);

/* priorities.c */
tlsm_version version_from_gnutls(gnutls_protocol_t p);
int setup_priorities(tlsm_ctx *ctx, const tlsm_options *o, tlsm_version pinned, tlsm_error *e);
/* The minimum strength of our own keys at an OpenSSL security level (1-5). */
gnutls_sec_param_t security_level_key_param(int level);

/* ciphers.c */
int parse_openssl_cipher_list(const char *list, suite_selection *sel, int *seclevel,
                              tlsm_error *e);
int parse_tls13_suites(const char *list, suite_selection *sel, tlsm_error *e);
int usable_in_tls13(const char *cipher); /* a TLS 1.3 suite uses this GnuTLS cipher keyword */
void negotiated_suite_name(gnutls_session_t s, char *out, size_t len);

/* credentials.c */
int setup_credentials(tlsm_ctx *ctx, const tlsm_options *o, tlsm_error *e);
void identity_free(identity *id);

/* names.c */
int name_matches(gnutls_x509_crt_t crt, const char *host); /* the certificate is valid for host */
void format_subject(gnutls_x509_crt_t crt, char *out, size_t len); /* as OpenSSL prints it */

/* verify.c */
int parse_fingerprint(tlsm_ctx *ctx, const char *text, tlsm_error *e);
int on_verify_peer(gnutls_session_t session); /* the credentials' verify callback */
gnutls_alert_description_t alert_for_verify_class(tlsm_class cls);

/* transcript.c: fed by io.c's push/pull (records) and GnuTLS's handshake hook (messages) */
void track_records(tlsm_conn *c, record_tracker *t, const unsigned char *p, size_t n,
                   int outgoing);
int on_handshake_message(gnutls_session_t session, unsigned htype, unsigned when,
                         unsigned incoming, const gnutls_datum_t *msg);

/* io.c: the transport functions conn_new installs, and the vtable's I/O entries */
ssize_t pull_bytes(gnutls_transport_ptr_t ptr, void *buf, size_t len);
ssize_t push_vector(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt);
int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms);
void send_alert(tlsm_conn *c, gnutls_alert_description_t desc); /* fatal, best effort */
int handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e);
long conn_read(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
long conn_write(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
int conn_shutdown(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e);

/* failures.c: each fail_* sets e and returns -1 */
int is_transport_error(int ret); /* ret comes from our push/pull failing */
int fail_transport(tlsm_conn *c, int ret, tlsm_stage stage, tlsm_error *e);
int fail_alert_received(tlsm_conn *c, int ret, tlsm_stage stage, tlsm_error *e);
int fail_handshake(tlsm_conn *c, int ret, tlsm_error *e);

#endif
