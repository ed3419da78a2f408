/* Canonical error classes and stages (DESIGN §7, docs/errors.md).
 *
 * One taxonomy for both libraries and every adapter. Each class has exactly one meaning;
 * the library's own words go into the detail string, never into the class. */
#ifndef TLSM_ERRORS_H
#define TLSM_ERRORS_H

#include <stdarg.h>

#define TLSM_DETAIL_MAX 512

/* X(enum name, dotted class name). Order is irrelevant to users: only names are printed. */
#define TLSM_ERROR_CLASSES(X)                                                   \
    X(TLSM_OK, "ok")                                                            \
    X(TLSM_E_URL_BAD_TRANSPORT, "url.bad_transport")                            \
    X(TLSM_E_URL_MISSING_PORT, "url.missing_port")                              \
    X(TLSM_E_URL_BAD_IPV6, "url.bad_ipv6")                                      \
    X(TLSM_E_URL_BAD_BRACKET, "url.bad_bracket")                                \
    X(TLSM_E_URL_BAD_PORT, "url.bad_port")                                      \
    X(TLSM_E_URL_TRAILING_JUNK, "url.trailing_junk")                            \
    X(TLSM_E_URL_EMPTY_HOST, "url.empty_host")                                  \
    X(TLSM_E_URL_HOST_TOO_LONG, "url.host_too_long")                            \
    X(TLSM_E_URL_BAD_HOST, "url.bad_host")                                      \
    X(TLSM_E_URL_DUPLICATE_PORT, "url.duplicate_port")                          \
    X(TLSM_E_TRANSPORT_UNAVAILABLE, "transport.unavailable")                    \
    X(TLSM_E_RESOLVE_FAILED, "resolve.failed")                                  \
    X(TLSM_E_CONNECT_REFUSED, "connect.refused")                                \
    X(TLSM_E_CONNECT_TIMEOUT, "connect.timeout")                                \
    X(TLSM_E_CONNECT_FAILED, "connect.failed")                                  \
    X(TLSM_E_LISTEN_FAILED, "listen.failed")                                    \
    X(TLSM_E_STARTTLS_NOT_OFFERED, "starttls.not_offered")                      \
    X(TLSM_E_STARTTLS_REFUSED, "starttls.refused")                              \
    X(TLSM_E_STARTTLS_PROTOCOL, "starttls.protocol")                            \
    X(TLSM_E_TLS_NOT_TLS, "tls.not_tls")                                        \
    X(TLSM_E_TLS_PROTOCOL_VERSION, "tls.protocol_version")                      \
    X(TLSM_E_TLS_NO_SHARED_CIPHER, "tls.no_shared_cipher")                      \
    X(TLSM_E_TLS_HANDSHAKE_FAILURE, "tls.handshake_failure")                    \
    X(TLSM_E_TLS_CERT_UNTRUSTED, "tls.cert_untrusted")                          \
    X(TLSM_E_TLS_CERT_SELF_SIGNED, "tls.cert_self_signed")                      \
    X(TLSM_E_TLS_CERT_EXPIRED, "tls.cert_expired")                              \
    X(TLSM_E_TLS_CERT_NOT_YET_VALID, "tls.cert_not_yet_valid")                  \
    X(TLSM_E_TLS_CERT_NAME_MISMATCH, "tls.cert_name_mismatch")                  \
    X(TLSM_E_TLS_CERT_CHAIN_TOO_LONG, "tls.cert_chain_too_long")                \
    X(TLSM_E_TLS_CERT_FINGERPRINT_MISMATCH, "tls.cert_fingerprint_mismatch")    \
    X(TLSM_E_TLS_CERT_INVALID, "tls.cert_invalid")                              \
    X(TLSM_E_TLS_CERT_REQUIRED, "tls.cert_required")                            \
    X(TLSM_E_TLS_CERT_REJECTED_BY_PEER, "tls.cert_rejected_by_peer")            \
    X(TLSM_E_TLS_NO_PEER_CERT, "tls.no_peer_cert")                              \
    X(TLSM_E_TLS_ALPN_MISMATCH, "tls.alpn_mismatch")                            \
    X(TLSM_E_TLS_ALERT, "tls.alert")                                            \
    X(TLSM_E_CONFIG_BAD_OPTION, "config.bad_option")                            \
    X(TLSM_E_CONFIG_CAFILE, "config.cafile")                                    \
    X(TLSM_E_CONFIG_CAPATH, "config.capath")                                    \
    X(TLSM_E_CONFIG_CERT_LOAD, "config.cert_load")                              \
    X(TLSM_E_CONFIG_KEY_LOAD, "config.key_load")                                \
    X(TLSM_E_CONFIG_BAD_PASSPHRASE, "config.bad_passphrase")                    \
    X(TLSM_E_CONFIG_KEY_MISMATCH, "config.key_mismatch")                        \
    X(TLSM_E_CONFIG_BAD_CIPHERS, "config.bad_ciphers")                          \
    X(TLSM_E_CONFIG_WEAK_KEY, "config.weak_key")                                \
    X(TLSM_E_CONFIG_UNSUPPORTED, "config.unsupported")                          \
    X(TLSM_E_IO_TIMEOUT, "io.timeout")                                          \
    X(TLSM_E_IO_RESET, "io.reset")                                              \
    X(TLSM_E_IO_TRUNCATED, "io.truncated")                                      \
    X(TLSM_E_IO_MISMATCH, "io.mismatch")                                        \
    X(TLSM_E_IO_FAILED, "io.failed")                                            \
    X(TLSM_E_INTERNAL, "internal")

#define TLSM_X_ENUM(id, name) id,
typedef enum tlsm_class { TLSM_ERROR_CLASSES(TLSM_X_ENUM) TLSM_CLASS_COUNT } tlsm_class;
#undef TLSM_X_ENUM

/* Where in a connection's life an outcome was decided. "config" (loading keys, trust, policy)
 * extends DESIGN §6's list; see docs/result-record.md. */
#define TLSM_STAGES(X)                                                          \
    X(TLSM_STAGE_NONE, "none")                                                  \
    X(TLSM_STAGE_PARSE, "parse")                                                \
    X(TLSM_STAGE_CONFIG, "config")                                              \
    X(TLSM_STAGE_RESOLVE, "resolve")                                            \
    X(TLSM_STAGE_CONNECT, "connect")                                            \
    X(TLSM_STAGE_STARTTLS, "starttls")                                          \
    X(TLSM_STAGE_HANDSHAKE, "handshake")                                        \
    X(TLSM_STAGE_VERIFY, "verify")                                              \
    X(TLSM_STAGE_IO, "io")                                                      \
    X(TLSM_STAGE_CLOSE, "close")

#define TLSM_X_ENUM(id, name) id,
typedef enum tlsm_stage { TLSM_STAGES(TLSM_X_ENUM) TLSM_STAGE_COUNT } tlsm_stage;
#undef TLSM_X_ENUM

typedef struct tlsm_error {
    tlsm_class cls;
    tlsm_stage stage;
    char detail[TLSM_DETAIL_MAX];
} tlsm_error;

const char *tlsm_class_name(tlsm_class cls);
const char *tlsm_stage_name(tlsm_stage stage);
/* Looks a dotted name up; returns -1 when unknown. */
int tlsm_class_from_name(const char *name);

void tlsm_error_clear(tlsm_error *e);
/* Records the first failure only: later calls do not overwrite an earlier, more precise cause.
 * Always returns -1 so callers can write `return tlsm_fail(...)`. */
int tlsm_fail(tlsm_error *e, tlsm_class cls, tlsm_stage stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Overwrites whatever was recorded (used when a later step knows the real cause better). */
int tlsm_fail_replace(tlsm_error *e, tlsm_class cls, tlsm_stage stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends "; text" to the detail (e.g. the library's own message), truncating safely. */
void tlsm_error_append(tlsm_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
