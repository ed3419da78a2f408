/* Context options, PHP 8 names and defaults (DESIGN §4, docs/options.md).
 *
 * Given on the command line as `-o name=value`. Strings are owned by the struct
 * (tlsm_options_free releases them). A tri-state int uses -1 for "not given": the side's
 * default applies, see tlsm_options_effective_*. */
#ifndef TLSM_OPTIONS_H
#define TLSM_OPTIONS_H

#include "errors.h"
#include "version.h"

typedef enum tlsm_side { TLSM_CLIENT, TLSM_SERVER } tlsm_side;

typedef struct tlsm_options {
    int verify_peer;          /* -1: client true, server false (server true = require a client cert) */
    int verify_peer_name;     /* -1: client true; the server never checks a client's name */
    char *peer_name;          /* NULL: the URL host. Also the SNI name. CN_match is an alias. */
    int allow_self_signed;    /* false */
    char *cafile;
    char *capath;             /* hashed directory (c_rehash / openssl rehash layout) */
    int verify_depth;         /* 9: longest chain accepted below the leaf, PHP's default */
    char *local_cert;         /* PEM or DER; a PEM may hold the key and the chain too */
    char *local_pk;
    char *passphrase;
    char *ciphers;            /* OpenSSL cipher-list syntax, TLS 1.2 and below (PHP passes it on) */
    char *ciphersuites;       /* TLS 1.3 suites, IANA names joined by ':' (extension) */
    int security_level;       /* -1: the library's default (OpenSSL 3.0 on Debian: 2) */
    int sni_enabled;          /* true; PHP's SNI_enabled */
    char *peer_fingerprint;   /* "hex" (algorithm by length: md5/sha1/sha256) or "algo:hex" */
    int capture_peer_cert;    /* false; true puts the peer's PEM into the record */
    char *alpn_protocols;     /* comma-separated, in preference order */
    tlsm_version min_version; /* min_proto_version; NONE: library default */
    tlsm_version max_version; /* max_proto_version; NONE: library default */
    char *sni_certs;          /* server: "name=certfile[+keyfile],name=…" per-SNI credentials */
    long long verify_time;    /* 0: now; otherwise a UNIX time to verify certificates at (harness) */
} tlsm_options;

void tlsm_options_init(tlsm_options *o);
void tlsm_options_free(tlsm_options *o);

/* Applies one "name=value". Unknown names, values of the wrong type and options that do not
 * apply to this side fail with config.bad_option (stage parse) naming the option. */
int tlsm_options_set(tlsm_options *o, tlsm_side side, const char *assignment, tlsm_error *err);

int tlsm_options_verify_peer(const tlsm_options *o, tlsm_side side);
int tlsm_options_verify_peer_name(const tlsm_options *o, tlsm_side side);

/* Strict decimal: digits with an optional '-', nothing else (no spaces, no '+', no overflow),
 * within [min, max]. 0 or -1. Shared by option values and the programs' numeric flags. */
int tlsm_parse_integer(const char *text, long long min, long long max, long long *out);

/* One line per option, for --help: "name (type, default D): what it does". */
void tlsm_options_print_help(tlsm_side side, void *file);

#endif
