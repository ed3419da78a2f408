/* The TLS backend vtable (DESIGN §5, docs/architecture.md).
 *
 * One const struct per library, like curl's struct Curl_ssl: the core calls only through it and
 * never includes a TLS library header. A new library is one directory in lib/backends/ plus one
 * Makefile line.
 *
 * Sockets are non-blocking. Every operation takes an absolute deadline (tlsm_now_ms() based) and
 * waits with tlsm_wait_fd(); nothing blocks past it (io.timeout / connect.timeout). */
#ifndef TLSM_BACKEND_H
#define TLSM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "options.h"
#include "transcript.h"
#include "version.h"

#define TLSM_MAX_SANS 32
#define TLSM_SAN_MAX 256

/* What a backend declares it can do, so that the matrix prunes with the backend's reason. */
enum {
    TLSM_CAP_SSL2 = 1u << 0,
    TLSM_CAP_SSL3 = 1u << 1,
    TLSM_CAP_TLS1_0 = 1u << 2,
    TLSM_CAP_TLS1_1 = 1u << 3,
    TLSM_CAP_TLS1_2 = 1u << 4,
    TLSM_CAP_TLS1_3 = 1u << 5,
    TLSM_CAP_ED25519 = 1u << 6,
    TLSM_CAP_DER = 1u << 7,
    TLSM_CAP_CAPATH = 1u << 8,
};

typedef struct tlsm_session_info {
    tlsm_version version;
    char cipher[128];                      /* IANA name, e.g. TLS_AES_256_GCM_SHA384 */
    char peer_subject[512];                /* RFC 4514 form; empty when no peer certificate */
    char peer_sans[TLSM_MAX_SANS][TLSM_SAN_MAX]; /* "DNS:name", "IP:addr" */
    int n_peer_sans;
    char alpn[256];                        /* negotiated protocol, empty when none */
    char sni[256];                         /* server side: the name the client sent, empty when none */
    char *peer_cert_pem;                   /* malloc'd when capture_peer_cert, else NULL */
} tlsm_session_info;

void tlsm_session_info_clear(tlsm_session_info *s); /* frees peer_cert_pem, zeroes the rest */

typedef struct tlsm_ctx tlsm_ctx;   /* defined by each backend */
typedef struct tlsm_conn tlsm_conn; /* defined by each backend */

typedef struct tlsm_backend {
    const char *name;            /* "openssl", "gnutls": the suffix of the binaries */
    unsigned caps;               /* TLSM_CAP_* */
    const char *(*lib_version)(void); /* the runtime library's own version string */

    int (*global_init)(tlsm_error *e);
    void (*global_cleanup)(void);

    /* Configuration shared by all connections of one process: credentials, trust, policy.
     * pinned != NONE restricts the context to exactly that version (tlsvX.Y://);
     * SSLv2/SSLv3 fail with transport.unavailable (stage config) when the library lacks them.
     * Failures: config.* (stage config) with the library's message in detail. */
    tlsm_ctx *(*ctx_new)(tlsm_side side, const tlsm_options *opts, tlsm_version pinned,
                         tlsm_error *e);
    void (*ctx_free)(tlsm_ctx *ctx);

    /* Wraps a connected non-blocking socket (the conn does not own or close fd).
     * Client: verify_name is matched against the peer certificate (NULL = no name check);
     * sni is sent as server_name (NULL = none). Both NULL on the server side. */
    tlsm_conn *(*conn_new)(tlsm_ctx *ctx, int fd, const char *verify_name, const char *sni,
                           tlsm_error *e);
    /* Returns 0 or -1 with e set: stage handshake, or stage verify when this side rejected the
     * peer's certificate (the library sends the alert). */
    int (*handshake)(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e);
    /* >0 bytes read; 0 when the peer sent close_notify; -1 with e set (io.truncated when the
     * transport closed without close_notify, io.timeout, io.reset, tls.alert …). */
    long (*read)(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
    /* Writes all of buf or fails: returns len or -1. */
    long (*write)(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
    /* Sends close_notify (does not wait for the peer's). 0 or -1. */
    int (*shutdown)(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e);
    void (*describe)(tlsm_conn *c, tlsm_session_info *out);
    /* Handshake messages seen so far, in order, both directions. */
    const tlsm_transcript *(*transcript)(const tlsm_conn *c);
    void (*conn_free)(tlsm_conn *c);
} tlsm_backend;

/* One JSON line naming the build and what it declares it can do (for --caps):
 * {"impl":"reference-openssl","lib_version":"…","versions":["TLSv1.2",…],"ed25519":true,…} */
void tlsm_backend_print_caps(const tlsm_backend *b, void *file);

extern const tlsm_backend tlsm_backend_openssl;
extern const tlsm_backend tlsm_backend_gnutls;

#endif
