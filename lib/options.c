#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { OPT_BOOL, OPT_INT, OPT_STRING, OPT_VERSION, OPT_TIME } opt_type;

enum { FOR_CLIENT = 1, FOR_SERVER = 2, FOR_BOTH = 3 };

typedef struct opt_spec {
    const char *name;
    opt_type type;
    int sides;
    size_t offset;
    long min, max; /* OPT_INT range */
    const char *help;
} opt_spec;

#define FIELD(f) offsetof(tlsm_options, f)

/* PHP 8 names (ext/openssl's ssl context), plus a few harness extensions marked as such. */
static const opt_spec specs[] = {
    {"verify_peer", OPT_BOOL, FOR_BOTH, FIELD(verify_peer), 0, 0,
     "verify the peer's certificate chain (client default true; server true = require a client certificate)"},
    {"verify_peer_name", OPT_BOOL, FOR_CLIENT, FIELD(verify_peer_name), 0, 0,
     "check the certificate names the host (default true)"},
    {"peer_name", OPT_STRING, FOR_CLIENT, FIELD(peer_name), 0, 0,
     "name to verify and send as SNI (default: the URL host)"},
    {"CN_match", OPT_STRING, FOR_CLIENT, FIELD(peer_name), 0, 0, "legacy alias of peer_name"},
    {"allow_self_signed", OPT_BOOL, FOR_BOTH, FIELD(allow_self_signed), 0, 0,
     "accept a self-signed peer certificate (default false)"},
    {"cafile", OPT_STRING, FOR_BOTH, FIELD(cafile), 0, 0, "PEM file of trusted CAs"},
    {"capath", OPT_STRING, FOR_BOTH, FIELD(capath), 0, 0, "hashed directory of trusted CAs"},
    {"verify_depth", OPT_INT, FOR_BOTH, FIELD(verify_depth), 0, 100,
     "longest certificate chain accepted (default 9)"},
    {"local_cert", OPT_STRING, FOR_BOTH, FIELD(local_cert), 0, 0,
     "own certificate, PEM or DER (a PEM may also hold the key and chain)"},
    {"local_pk", OPT_STRING, FOR_BOTH, FIELD(local_pk), 0, 0, "own private key, PEM or DER"},
    {"passphrase", OPT_STRING, FOR_BOTH, FIELD(passphrase), 0, 0, "passphrase of an encrypted key"},
    {"ciphers", OPT_STRING, FOR_BOTH, FIELD(ciphers), 0, 0,
     "TLS 1.2-and-below cipher list, OpenSSL syntax (default: the library's)"},
    {"ciphersuites", OPT_STRING, FOR_BOTH, FIELD(ciphersuites), 0, 0,
     "TLS 1.3 suites, IANA names joined by ':' (extension)"},
    {"security_level", OPT_INT, FOR_BOTH, FIELD(security_level), 0, 5,
     "OpenSSL security level 0-5 (default: the library's)"},
    {"SNI_enabled", OPT_BOOL, FOR_CLIENT, FIELD(sni_enabled), 0, 0, "send server_name (default true)"},
    {"peer_fingerprint", OPT_STRING, FOR_CLIENT, FIELD(peer_fingerprint), 0, 0,
     "expected leaf digest: hex (md5/sha1/sha256 by length) or algo:hex"},
    {"capture_peer_cert", OPT_BOOL, FOR_BOTH, FIELD(capture_peer_cert), 0, 0,
     "put the peer certificate (PEM) into the record (default false)"},
    {"alpn_protocols", OPT_STRING, FOR_BOTH, FIELD(alpn_protocols), 0, 0,
     "ALPN protocols, comma-separated, in preference order"},
    {"min_proto_version", OPT_VERSION, FOR_BOTH, FIELD(min_version), 0, 0,
     "lowest protocol version (TLSv1.0 ... TLSv1.3)"},
    {"max_proto_version", OPT_VERSION, FOR_BOTH, FIELD(max_version), 0, 0,
     "highest protocol version (TLSv1.0 ... TLSv1.3)"},
    {"SNI_server_certs", OPT_STRING, FOR_SERVER, FIELD(sni_certs), 0, 0,
     "per-SNI credentials: name=certfile[+keyfile],..."},
    {"verify_time", OPT_TIME, FOR_BOTH, FIELD(verify_time), 0, 0,
     "verify certificates at this UNIX time instead of now (extension, for a fixed reference time)"},
};

#define N_SPECS (sizeof specs / sizeof specs[0])

void tlsm_options_init(tlsm_options *o)
{
    memset(o, 0, sizeof *o);
    o->verify_peer = -1;
    o->verify_peer_name = -1;
    o->allow_self_signed = 0;
    o->verify_depth = 9;
    o->security_level = -1;
    o->sni_enabled = 1;
    o->min_version = TLSM_VER_NONE;
    o->max_version = TLSM_VER_NONE;
}

void tlsm_options_free(tlsm_options *o)
{
    for (size_t i = 0; i < N_SPECS; i++) {
        if (specs[i].type != OPT_STRING)
            continue;
        char **field = (char **)((char *)o + specs[i].offset);
        free(*field);
        *field = NULL; /* aliases share a field: never free twice */
    }
}

static const opt_spec *find_spec(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SPECS; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

static int bad_option(tlsm_error *err, const char *name, const char *expected, const char *value)
{
    return tlsm_fail(err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                     "option %s expects %s, got \"%s\"", name, expected, value);
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

int tlsm_parse_integer(const char *v, long long min, long long max, long long *out)
{
    if (*v != '-' && (*v < '0' || *v > '9'))
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static int apply_value(tlsm_options *o, const opt_spec *s, const char *v, tlsm_error *err)
{
    void *field = (char *)o + s->offset;
    long long n;
    int b, ver;
    switch (s->type) {
    case OPT_BOOL:
        if (parse_bool(v, &b) < 0)
            return bad_option(err, s->name, "a boolean (true/false/1/0)", v);
        *(int *)field = b;
        return 0;
    case OPT_INT:
        if (tlsm_parse_integer(v, s->min, s->max, &n) < 0) {
            char range[64];
            snprintf(range, sizeof range, "an integer from %ld to %ld", s->min, s->max);
            return bad_option(err, s->name, range, v);
        }
        *(int *)field = (int)n;
        return 0;
    case OPT_TIME:
        if (tlsm_parse_integer(v, 1, LLONG_MAX, &n) < 0)
            return bad_option(err, s->name, "a UNIX time in seconds", v);
        *(long long *)field = n;
        return 0;
    case OPT_VERSION:
        ver = tlsm_version_parse(v);
        if (ver < 0)
            return bad_option(err, s->name, "a version such as TLSv1.2", v);
        *(tlsm_version *)field = (tlsm_version)ver;
        return 0;
    case OPT_STRING:
        if (*v == '\0')
            return bad_option(err, s->name, "a non-empty value", v);
        free(*(char **)field);
        *(char **)field = strdup(v);
        if (*(char **)field == NULL)
            return tlsm_fail(err, TLSM_E_INTERNAL, TLSM_STAGE_PARSE, "out of memory");
        return 0;
    }
    return tlsm_fail(err, TLSM_E_INTERNAL, TLSM_STAGE_PARSE, "option %s: unknown type", s->name);
}

int tlsm_options_set(tlsm_options *o, tlsm_side side, const char *assignment, tlsm_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return tlsm_fail(err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "option \"%s\" is not of the form name=value", assignment);
    size_t name_len = (size_t)(eq - assignment);
    const opt_spec *s = find_spec(assignment, name_len);
    if (s == NULL)
        return tlsm_fail(err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "unknown context option \"%.*s\" (see --help for the list)",
                         (int)name_len, assignment);
    int side_bit = side == TLSM_CLIENT ? FOR_CLIENT : FOR_SERVER;
    if (!(s->sides & side_bit))
        return tlsm_fail(err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "option %s applies only to the %s", s->name,
                         side == TLSM_CLIENT ? "server" : "client");
    return apply_value(o, s, eq + 1, err);
}

int tlsm_options_verify_peer(const tlsm_options *o, tlsm_side side)
{
    if (o->verify_peer >= 0)
        return o->verify_peer;
    return side == TLSM_CLIENT;
}

int tlsm_options_verify_peer_name(const tlsm_options *o, tlsm_side side)
{
    if (side == TLSM_SERVER)
        return 0;
    return o->verify_peer_name >= 0 ? o->verify_peer_name : 1;
}

void tlsm_options_print_help(tlsm_side side, void *file)
{
    FILE *f = file;
    int side_bit = side == TLSM_CLIENT ? FOR_CLIENT : FOR_SERVER;
    for (size_t i = 0; i < N_SPECS; i++)
        if (specs[i].sides & side_bit)
            fprintf(f, "  %-18s %s\n", specs[i].name, specs[i].help);
}
