/* The GnuTLS backend (DESIGN §5, docs/backend-gnutls.md).
 *
 * Every call into GnuTLS lives in this file. The rules it follows are shared with the OpenSSL
 * backend so that the same situation yields the same class, stage and record fields on both;
 * where GnuTLS cannot behave like OpenSSL, docs/backend-gnutls.md says so.
 *
 * Threads: the server shares one tlsm_ctx between connection threads. After ctx_new the ctx is
 * read-only (credentials, trust list, priority caches, identities), and per-connection state lives
 * in tlsm_conn. No global state is changed after global_init (in particular the GnuTLS time
 * function is never replaced: verify_time is implemented by our own time checks). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "alerts.h"
#include "backend.h"
#include "fingerprint.h"
#include "net.h"

#define MAX_FILE_BYTES (16 * 1024 * 1024) /* cert/key/CA files larger than this are refused */
#define MAX_PEER_CHAIN 16                   /* certificates we look at in a peer's chain */
#define MAX_IDS 32                          /* local_cert + sni_certs entries */
#define MAX_ALPN 16
#define ALERT_DEADLINE_MS 1000 /* how long a best-effort alert may take to go out */
#define LINGER_MS 300          /* how long we wait for the peer to close after our alert */

/* security_level when the option is not given. -1 keeps GnuTLS's own default policy ("NORMAL":
 * TLS 1.0/1.1 on, RSA-1024 accepted), which is what a GnuTLS application gets; 2 would make the
 * GnuTLS backend behave like OpenSSL 3.0's default level instead. See docs/backend-gnutls.md. */
#define DEFAULT_SECURITY_LEVEL (-1)

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
/* Small helpers                                                                              */

static char *dup_str(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* Appends the GnuTLS error text and its symbolic name, e.g. "Decryption has failed.
 * (GNUTLS_E_DECRYPTION_FAILED)", so the detail keeps the library's own words. */
static void append_gnutls_error(tlsm_error *e, int ret)
{
    const char *name = gnutls_strerror_name(ret);
    tlsm_error_append(e, "gnutls: %s (%s)", gnutls_strerror(ret), name ? name : "?");
}

static int fail_gnutls(tlsm_error *e, tlsm_class cls, tlsm_stage stage, int ret, const char *what)
{
    if (e == NULL || e->cls != TLSM_OK)
        return -1;
    tlsm_fail(e, cls, stage, "%s", what);
    append_gnutls_error(e, ret);
    return -1;
}

/* Reads a whole (small) file. On failure writes the reason into why. */
static int read_file(const char *path, gnutls_datum_t *out, char *why, size_t why_len)
{
    out->data = NULL;
    out->size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, why_len, "%s", strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        if (cap >= MAX_FILE_BYTES) {
            free(buf);
            buf = NULL;
            snprintf(why, why_len, "file larger than %d bytes", MAX_FILE_BYTES);
            fclose(f);
            return -1;
        }
        cap *= 2;
        unsigned char *bigger = realloc(buf, cap + 1);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = bigger;
    }
    int read_error = ferror(f);
    fclose(f);
    if (buf == NULL) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    if (read_error) {
        free(buf);
        snprintf(why, why_len, "read error");
        return -1;
    }
    buf[len] = '\0'; /* lets PEM checks use strstr */
    out->data = buf;
    out->size = (unsigned)len;
    return 0;
}

static int has_text(const gnutls_datum_t *d, const char *needle)
{
    return d->data != NULL && strstr((const char *)d->data, needle) != NULL;
}

static int is_pem(const gnutls_datum_t *d)
{
    return has_text(d, "-----BEGIN ");
}

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                   */

static const struct {
    tlsm_version v;
    gnutls_protocol_t proto;
    const char *keyword;
} version_map[] = {
    {TLSM_VER_TLS1_0, GNUTLS_TLS1_0, "VERS-TLS1.0"},
    {TLSM_VER_TLS1_1, GNUTLS_TLS1_1, "VERS-TLS1.1"},
    {TLSM_VER_TLS1_2, GNUTLS_TLS1_2, "VERS-TLS1.2"},
    {TLSM_VER_TLS1_3, GNUTLS_TLS1_3, "VERS-TLS1.3"},
};
#define N_VERSIONS (sizeof version_map / sizeof version_map[0])

static tlsm_version version_from_gnutls(gnutls_protocol_t p)
{
    if (p == GNUTLS_SSL3)
        return TLSM_VER_SSL3;
    for (size_t i = 0; i < N_VERSIONS; i++)
        if (version_map[i].proto == p)
            return version_map[i].v;
    return TLSM_VER_NONE;
}

/* Whether this GnuTLS build implements a protocol at all: gnutls_protocol_list() lists only the
 * compiled-in ones (3.7 builds without --enable-ssl3-support leave SSL 3.0 out, and a priority
 * string naming VERS-SSL3.0 is then silently ignored, so asking the list is the only honest test). */
static int library_has_protocol(gnutls_protocol_t p)
{
    for (const gnutls_protocol_t *l = gnutls_protocol_list(); *l != 0; l++)
        if (*l == p)
            return 1;
    return 0;
}

/* SSLv2/SSLv3 requests: transport.unavailable, never a silent upgrade. */
static int check_ancient_version(tlsm_version v, const char *how, tlsm_error *e)
{
    if (v == TLSM_VER_SSL2)
        return tlsm_fail(e, TLSM_E_TRANSPORT_UNAVAILABLE, TLSM_STAGE_CONFIG,
                         "%s SSLv2: GnuTLS never implemented SSL 2.0", how);
    if (v == TLSM_VER_SSL3 && !library_has_protocol(GNUTLS_SSL3))
        return tlsm_fail(e, TLSM_E_TRANSPORT_UNAVAILABLE, TLSM_STAGE_CONFIG,
                         "%s SSLv3: this GnuTLS %s build has SSL 3.0 compiled out "
                         "(not in gnutls_protocol_list())",
                         how, gnutls_check_version(NULL));
    if (v == TLSM_VER_SSL3)
        return tlsm_fail(e, TLSM_E_TRANSPORT_UNAVAILABLE, TLSM_STAGE_CONFIG,
                         "%s SSLv3: the tlsmatrix GnuTLS backend does not enable SSL 3.0", how);
    return 0;
}

/* A min/max bound naming a version this build lacks: config.unsupported, as in the OpenSSL
 * backend (the transport URL asking for it is transport.unavailable instead). */
static int check_bound(tlsm_version v, const char *name, tlsm_error *e)
{
    if (v == TLSM_VER_SSL2)
        return tlsm_fail(e, TLSM_E_CONFIG_UNSUPPORTED, TLSM_STAGE_CONFIG,
                         "%s SSLv2: GnuTLS never implemented SSL 2.0", name);
    if (v == TLSM_VER_SSL3)
        return tlsm_fail(e, TLSM_E_CONFIG_UNSUPPORTED, TLSM_STAGE_CONFIG,
                         "%s SSLv3: this GnuTLS %s build has no SSL 3.0", name,
                         gnutls_check_version(NULL));
    return 0;
}

/* The versions (bit per tlsm_version) the context allows before the security level: the pinned
 * version (tlsvX.Y://) intersected with the min/max bounds. The result may be empty; the
 * handshake then fails as tls.protocol_version (OpenSSL: "no protocols available"). */
static int allowed_versions(const tlsm_options *o, tlsm_version pinned, unsigned *mask,
                            tlsm_error *e)
{
    if (pinned != TLSM_VER_NONE && check_ancient_version(pinned, "the transport asks for", e) < 0)
        return -1;
    if (o->min_version != TLSM_VER_NONE && check_bound(o->min_version, "min_proto_version", e) < 0)
        return -1;
    if (o->max_version != TLSM_VER_NONE && check_bound(o->max_version, "max_proto_version", e) < 0)
        return -1;
    tlsm_version lo = o->min_version != TLSM_VER_NONE ? o->min_version : TLSM_VER_TLS1_0;
    tlsm_version hi = o->max_version != TLSM_VER_NONE ? o->max_version : TLSM_VER_TLS1_3;
    *mask = 0;
    for (int v = lo; v <= (int)hi; v++)
        *mask |= 1u << v;
    if (pinned != TLSM_VER_NONE)
        *mask &= 1u << pinned;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Cipher suites: IANA names and the OpenSSL cipher-list syntax                               */

enum {
    K_RSA = 1u << 0, K_ECDHE = 1u << 1, K_DHE = 1u << 2,
    A_RSA = 1u << 3, A_ECDSA = 1u << 4,
    E_AES128 = 1u << 5, E_AES256 = 1u << 6, E_GCM = 1u << 7, E_CCM = 1u << 8, E_CCM8 = 1u << 9,
    E_CHACHA = 1u << 10, E_CBC = 1u << 11,
    M_SHA1 = 1u << 12, M_SHA256 = 1u << 13, M_SHA384 = 1u << 14, M_AEAD = 1u << 15,
    IN_DEFAULT = 1u << 16, /* part of OpenSSL 3.0's DEFAULT list */
    TLS13 = 1u << 17,
};

#define KE_ECDHE_ECDSA (K_ECDHE | A_ECDSA)
#define KE_ECDHE_RSA (K_ECDHE | A_RSA)
#define KE_DHE_RSA (K_DHE | A_RSA)
#define KE_RSA (K_RSA | A_RSA)

/* Suites both OpenSSL 3.0 and GnuTLS 3.7 implement; order = OpenSSL's preference order.
 * IANA names are what OpenSSL's SSL_CIPHER_standard_name returns (the record's cipher field). */
static const struct suite {
    const char *openssl; /* OpenSSL name (NULL: TLS 1.3, named by IANA) */
    const char *iana;
    unsigned char id[2];
    const char *kx, *cipher, *mac; /* GnuTLS priority keywords */
    unsigned attrs;
} suites[] = {
#define S(o, i, a, b, k, c, m, at) {o, i, {a, b}, k, c, m, at}
    S(NULL, "TLS_AES_256_GCM_SHA384", 0x13, 0x02, NULL, "AES-256-GCM", "AEAD", TLS13),
    S(NULL, "TLS_CHACHA20_POLY1305_SHA256", 0x13, 0x03, NULL, "CHACHA20-POLY1305", "AEAD", TLS13),
    S(NULL, "TLS_AES_128_GCM_SHA256", 0x13, 0x01, NULL, "AES-128-GCM", "AEAD", TLS13),
    S(NULL, "TLS_AES_128_CCM_SHA256", 0x13, 0x04, NULL, "AES-128-CCM", "AEAD", TLS13),
    S(NULL, "TLS_AES_128_CCM_8_SHA256", 0x13, 0x05, NULL, "AES-128-CCM-8", "AEAD", TLS13),
    S("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc0, 0x2c,
      "ECDHE-ECDSA", "AES-256-GCM", "AEAD", KE_ECDHE_ECDSA | E_AES256 | E_GCM | M_AEAD | IN_DEFAULT),
    S("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc0, 0x30,
      "ECDHE-RSA", "AES-256-GCM", "AEAD", KE_ECDHE_RSA | E_AES256 | E_GCM | M_AEAD | IN_DEFAULT),
    S("DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x00, 0x9f,
      "DHE-RSA", "AES-256-GCM", "AEAD", KE_DHE_RSA | E_AES256 | E_GCM | M_AEAD | IN_DEFAULT),
    S("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcc, 0xa9,
      "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD", KE_ECDHE_ECDSA | E_CHACHA | M_AEAD | IN_DEFAULT),
    S("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcc, 0xa8,
      "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD", KE_ECDHE_RSA | E_CHACHA | M_AEAD | IN_DEFAULT),
    S("DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcc, 0xaa,
      "DHE-RSA", "CHACHA20-POLY1305", "AEAD", KE_DHE_RSA | E_CHACHA | M_AEAD | IN_DEFAULT),
    S("ECDHE-ECDSA-AES256-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", 0xc0, 0xaf,
      "ECDHE-ECDSA", "AES-256-CCM-8", "AEAD", KE_ECDHE_ECDSA | E_AES256 | E_CCM8 | M_AEAD),
    S("ECDHE-ECDSA-AES256-CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", 0xc0, 0xad,
      "ECDHE-ECDSA", "AES-256-CCM", "AEAD", KE_ECDHE_ECDSA | E_AES256 | E_CCM | M_AEAD),
    S("DHE-RSA-AES256-CCM8", "TLS_DHE_RSA_WITH_AES_256_CCM_8", 0xc0, 0xa3,
      "DHE-RSA", "AES-256-CCM-8", "AEAD", KE_DHE_RSA | E_AES256 | E_CCM8 | M_AEAD),
    S("DHE-RSA-AES256-CCM", "TLS_DHE_RSA_WITH_AES_256_CCM", 0xc0, 0x9f,
      "DHE-RSA", "AES-256-CCM", "AEAD", KE_DHE_RSA | E_AES256 | E_CCM | M_AEAD),
    S("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc0, 0x2b,
      "ECDHE-ECDSA", "AES-128-GCM", "AEAD", KE_ECDHE_ECDSA | E_AES128 | E_GCM | M_AEAD | IN_DEFAULT),
    S("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc0, 0x2f,
      "ECDHE-RSA", "AES-128-GCM", "AEAD", KE_ECDHE_RSA | E_AES128 | E_GCM | M_AEAD | IN_DEFAULT),
    S("DHE-RSA-AES128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x00, 0x9e,
      "DHE-RSA", "AES-128-GCM", "AEAD", KE_DHE_RSA | E_AES128 | E_GCM | M_AEAD | IN_DEFAULT),
    S("ECDHE-ECDSA-AES128-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", 0xc0, 0xae,
      "ECDHE-ECDSA", "AES-128-CCM-8", "AEAD", KE_ECDHE_ECDSA | E_AES128 | E_CCM8 | M_AEAD),
    S("ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 0xc0, 0xac,
      "ECDHE-ECDSA", "AES-128-CCM", "AEAD", KE_ECDHE_ECDSA | E_AES128 | E_CCM | M_AEAD),
    S("DHE-RSA-AES128-CCM8", "TLS_DHE_RSA_WITH_AES_128_CCM_8", 0xc0, 0xa2,
      "DHE-RSA", "AES-128-CCM-8", "AEAD", KE_DHE_RSA | E_AES128 | E_CCM8 | M_AEAD),
    S("DHE-RSA-AES128-CCM", "TLS_DHE_RSA_WITH_AES_128_CCM", 0xc0, 0x9e,
      "DHE-RSA", "AES-128-CCM", "AEAD", KE_DHE_RSA | E_AES128 | E_CCM | M_AEAD),
    S("ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xc0, 0x24,
      "ECDHE-ECDSA", "AES-256-CBC", "SHA384", KE_ECDHE_ECDSA | E_AES256 | E_CBC | M_SHA384 | IN_DEFAULT),
    S("ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xc0, 0x28,
      "ECDHE-RSA", "AES-256-CBC", "SHA384", KE_ECDHE_RSA | E_AES256 | E_CBC | M_SHA384 | IN_DEFAULT),
    S("DHE-RSA-AES256-SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 0x00, 0x6b,
      "DHE-RSA", "AES-256-CBC", "SHA256", KE_DHE_RSA | E_AES256 | E_CBC | M_SHA256 | IN_DEFAULT),
    S("ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc0, 0x23,
      "ECDHE-ECDSA", "AES-128-CBC", "SHA256", KE_ECDHE_ECDSA | E_AES128 | E_CBC | M_SHA256 | IN_DEFAULT),
    S("ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc0, 0x27,
      "ECDHE-RSA", "AES-128-CBC", "SHA256", KE_ECDHE_RSA | E_AES128 | E_CBC | M_SHA256 | IN_DEFAULT),
    S("DHE-RSA-AES128-SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 0x00, 0x67,
      "DHE-RSA", "AES-128-CBC", "SHA256", KE_DHE_RSA | E_AES128 | E_CBC | M_SHA256 | IN_DEFAULT),
    S("ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc0, 0x0a,
      "ECDHE-ECDSA", "AES-256-CBC", "SHA1", KE_ECDHE_ECDSA | E_AES256 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc0, 0x14,
      "ECDHE-RSA", "AES-256-CBC", "SHA1", KE_ECDHE_RSA | E_AES256 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("DHE-RSA-AES256-SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x00, 0x39,
      "DHE-RSA", "AES-256-CBC", "SHA1", KE_DHE_RSA | E_AES256 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc0, 0x09,
      "ECDHE-ECDSA", "AES-128-CBC", "SHA1", KE_ECDHE_ECDSA | E_AES128 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc0, 0x13,
      "ECDHE-RSA", "AES-128-CBC", "SHA1", KE_ECDHE_RSA | E_AES128 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("DHE-RSA-AES128-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x00, 0x33,
      "DHE-RSA", "AES-128-CBC", "SHA1", KE_DHE_RSA | E_AES128 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x00, 0x9d,
      "RSA", "AES-256-GCM", "AEAD", KE_RSA | E_AES256 | E_GCM | M_AEAD | IN_DEFAULT),
    S("AES256-CCM8", "TLS_RSA_WITH_AES_256_CCM_8", 0xc0, 0xa1,
      "RSA", "AES-256-CCM-8", "AEAD", KE_RSA | E_AES256 | E_CCM8 | M_AEAD),
    S("AES256-CCM", "TLS_RSA_WITH_AES_256_CCM", 0xc0, 0x9d,
      "RSA", "AES-256-CCM", "AEAD", KE_RSA | E_AES256 | E_CCM | M_AEAD),
    S("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x00, 0x9c,
      "RSA", "AES-128-GCM", "AEAD", KE_RSA | E_AES128 | E_GCM | M_AEAD | IN_DEFAULT),
    S("AES128-CCM8", "TLS_RSA_WITH_AES_128_CCM_8", 0xc0, 0xa0,
      "RSA", "AES-128-CCM-8", "AEAD", KE_RSA | E_AES128 | E_CCM8 | M_AEAD),
    S("AES128-CCM", "TLS_RSA_WITH_AES_128_CCM", 0xc0, 0x9c,
      "RSA", "AES-128-CCM", "AEAD", KE_RSA | E_AES128 | E_CCM | M_AEAD),
    S("AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256", 0x00, 0x3d,
      "RSA", "AES-256-CBC", "SHA256", KE_RSA | E_AES256 | E_CBC | M_SHA256 | IN_DEFAULT),
    S("AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x00, 0x3c,
      "RSA", "AES-128-CBC", "SHA256", KE_RSA | E_AES128 | E_CBC | M_SHA256 | IN_DEFAULT),
    S("AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", 0x00, 0x35,
      "RSA", "AES-256-CBC", "SHA1", KE_RSA | E_AES256 | E_CBC | M_SHA1 | IN_DEFAULT),
    S("AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", 0x00, 0x2f,
      "RSA", "AES-128-CBC", "SHA1", KE_RSA | E_AES128 | E_CBC | M_SHA1 | IN_DEFAULT),
#undef S
};
#define N_SUITES (sizeof suites / sizeof suites[0])
#define ALL_TLS12_ATTRS (~0u & ~(unsigned)TLS13)

/* OpenSSL cipher-string aliases. A suite matches an alias when it has any of the alias's bits
 * (and, for the "all_of" part, every one of them); mask 0 = a real OpenSSL alias that names only
 * suites GnuTLS lacks or that OpenSSL 3.0 does not enable (so it selects nothing here). */
static const struct alias {
    const char *name;
    unsigned any_of;
    unsigned all_of;
} aliases[] = {
    {"ALL", 0, 0}, /* handled specially: every TLS <= 1.2 suite in the table */
    {"DEFAULT", IN_DEFAULT, 0},
    {"HIGH", 0, 0}, /* = ALL: every suite in the table is HIGH for OpenSSL 3.0 */
    {"kRSA", K_RSA, 0}, {"aRSA", A_RSA, 0}, {"RSA", K_RSA | A_RSA, 0},
    {"kECDHE", K_ECDHE, 0}, {"kEECDH", K_ECDHE, 0}, {"ECDHE", K_ECDHE, 0}, {"EECDH", K_ECDHE, 0},
    {"kDHE", K_DHE, 0}, {"kEDH", K_DHE, 0}, {"DHE", K_DHE, 0}, {"EDH", K_DHE, 0},
    {"aECDSA", A_ECDSA, 0}, {"ECDSA", A_ECDSA, 0},
    {"AES128", E_AES128, 0}, {"AES256", E_AES256, 0}, {"AES", E_AES128 | E_AES256, 0},
    {"AESGCM", E_GCM, 0}, {"AESCCM", E_CCM | E_CCM8, 0}, {"AESCCM8", E_CCM8, 0},
    {"CHACHA20", E_CHACHA, 0},
    {"SHA1", M_SHA1, 0}, {"SHA", M_SHA1, 0}, {"SHA256", M_SHA256, 0}, {"SHA384", M_SHA384, 0},
    {"TLSv1.2", M_SHA256 | M_SHA384 | M_AEAD, 0}, {"TLSv1", M_SHA1, 0}, {"TLSv1.0", M_SHA1, 0},
    {"SSLv3", M_SHA1, 0},
    /* Known OpenSSL aliases with nothing behind them in this table. */
    {"MEDIUM", 0, 0}, {"LOW", 0, 0}, {"EXPORT", 0, 0}, {"EXP", 0, 0}, {"aNULL", 0, 0},
    {"eNULL", 0, 0}, {"NULL", 0, 0}, {"ADH", 0, 0}, {"AECDH", 0, 0}, {"COMPLEMENTOFDEFAULT", 0, 0},
    {"COMPLEMENTOFALL", 0, 0}, {"DES", 0, 0}, {"3DES", 0, 0}, {"RC4", 0, 0}, {"RC2", 0, 0},
    {"IDEA", 0, 0}, {"SEED", 0, 0}, {"MD5", 0, 0}, {"CAMELLIA", 0, 0}, {"CAMELLIA128", 0, 0},
    {"CAMELLIA256", 0, 0}, {"ARIA", 0, 0}, {"ARIA128", 0, 0}, {"ARIA256", 0, 0}, {"PSK", 0, 0},
    {"kPSK", 0, 0}, {"aPSK", 0, 0}, {"SRP", 0, 0}, {"kSRP", 0, 0}, {"DSS", 0, 0}, {"aDSS", 0, 0},
    {"DH", 0, 0}, {"kDH", 0, 0}, {"ECDH", 0, 0}, {"kECDH", 0, 0}, {"aECDH", 0, 0}, {"aDH", 0, 0},
    {"SSLv2", 0, 0}, {"GOST94", 0, 0}, {"GOST89MAC", 0, 0}, {"aGOST", 0, 0}, {"kGOST", 0, 0},
    {"SUITEB128", 0, 0}, {"SUITEB192", 0, 0}, {"SUITEB128ONLY", 0, 0}, {"ECDHEPSK", 0, 0},
    {"DHEPSK", 0, 0}, {"RSAPSK", 0, 0}, {"aNULL", 0, 0}, {"FIPS", 0, 0},
};
#define N_ALIASES (sizeof aliases / sizeof aliases[0])

static const struct suite *suite_by_openssl_name(const char *name)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (suites[i].openssl != NULL && strcasecmp(suites[i].openssl, name) == 0)
            return &suites[i];
    /* OpenSSL still accepts the pre-1.1 spelling "EDH-RSA-…" for "DHE-RSA-…". */
    if (strncasecmp(name, "EDH-RSA-", 8) == 0) {
        char modern[96];
        snprintf(modern, sizeof modern, "DHE-RSA-%s", name + 8);
        return suite_by_openssl_name(modern);
    }
    return NULL;
}

static const struct suite *suite_by_id(const unsigned char id[2])
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (suites[i].id[0] == id[0] && suites[i].id[1] == id[1])
            return &suites[i];
    return NULL;
}

/* Does one '+'-joined word (e.g. "kEDH+AESGCM", "ECDHE-RSA-AES128-SHA", "HIGH") match suite i?
 * Returns -1 when a component is unknown (bad_component points at it). */
static int word_matches(const char *word, size_t i, char *bad_component, size_t bad_len)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", word);
    int result = 1;
    char *save = NULL;
    for (char *part = strtok_r(copy, "+", &save); part != NULL; part = strtok_r(NULL, "+", &save)) {
        const struct suite *named = suite_by_openssl_name(part);
        if (named != NULL) {
            result = result && named == &suites[i];
            continue;
        }
        size_t a;
        for (a = 0; a < N_ALIASES; a++)
            if (strcmp(aliases[a].name, part) == 0)
                break;
        if (a == N_ALIASES) {
            snprintf(bad_component, bad_len, "%s", part);
            return -1;
        }
        unsigned attrs = suites[i].attrs;
        int hit;
        if (strcmp(part, "ALL") == 0 || strcmp(part, "HIGH") == 0)
            hit = 1;
        else
            hit = (attrs & aliases[a].any_of) != 0 &&
                  (attrs & aliases[a].all_of) == aliases[a].all_of;
        result = result && hit;
    }
    return result;
}

/* Applies OpenSSL cipher-list semantics over the table: "X" appends, "-X" removes (may come
 * back), "!X" removes for good, "+X" moves to the end, "@STRENGTH" is a no-op (the table is
 * already in OpenSSL's order), "@SECLEVEL=n" sets the security level. Separators: ':' ',' ' '.
 * Unknown words select nothing, as in OpenSSL; only an empty result is config.bad_ciphers. */
static int parse_openssl_cipher_list(const char *list, suite_selection *sel, int *seclevel,
                                     tlsm_error *e)
{
    size_t order[N_SUITES];
    size_t n_order = 0;
    int banned[N_SUITES] = {0};
    char copy[2048];
    char unknown[128] = ""; /* the first unknown word, for the detail */
    if (strlen(list) >= sizeof copy)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                         "ciphers: list longer than %zu characters", sizeof copy - 1);
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ":, ", &save); tok != NULL; tok = strtok_r(NULL, ":, ", &save)) {
        if (strcmp(tok, "@STRENGTH") == 0)
            continue;
        if (strncmp(tok, "@SECLEVEL=", 10) == 0) {
            char *end = NULL;
            long lvl = strtol(tok + 10, &end, 10);
            if (*end != '\0' || lvl < 0 || lvl > 5)
                return tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                                 "ciphers: bad %s", tok);
            *seclevel = (int)lvl;
            continue;
        }
        char op = (tok[0] == '!' || tok[0] == '-' || tok[0] == '+') ? tok[0] : 0;
        const char *word = op ? tok + 1 : tok;
        char bad[128] = "";
        int matches[N_SUITES];
        for (size_t i = 0; i < N_SUITES; i++) {
            if (suites[i].attrs & TLS13) {
                matches[i] = 0;
                continue;
            }
            matches[i] = word_matches(word, i, bad, sizeof bad);
            if (matches[i] < 0)
                break;
        }
        if (bad[0] != '\0') {
            /* Like SSL_CTX_set_cipher_list: an unknown word selects nothing. */
            if (unknown[0] == '\0')
                snprintf(unknown, sizeof unknown, "%s", bad);
            continue;
        }
        for (size_t i = 0; i < N_SUITES; i++) {
            if (!matches[i])
                continue;
            size_t pos = n_order;
            for (size_t k = 0; k < n_order; k++)
                if (order[k] == i)
                    pos = k;
            if (op == '!' || op == '-') {
                if (op == '!')
                    banned[i] = 1;
                if (pos < n_order) {
                    memmove(&order[pos], &order[pos + 1], (n_order - pos - 1) * sizeof order[0]);
                    n_order--;
                }
            } else if (op == '+') {
                if (pos < n_order) {
                    memmove(&order[pos], &order[pos + 1], (n_order - pos - 1) * sizeof order[0]);
                    order[n_order - 1] = i;
                }
            } else if (pos == n_order && !banned[i]) {
                order[n_order++] = i;
            }
        }
    }
    if (n_order == 0 && unknown[0] != '\0')
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                         "ciphers: \"%s\" selects no cipher suite (unknown: \"%s\"; OpenSSL: "
                         "no cipher match)", list, unknown);
    if (n_order == 0)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                         "ciphers: \"%s\" selects no cipher suite (OpenSSL: no cipher match)", list);
    /* GnuTLS priorities are lists of key exchanges, ciphers and MACs, not of suites: keep each
     * keyword once, in the order of the first suite that needs it. */
    for (size_t k = 0; k < n_order; k++) {
        const struct suite *s = &suites[order[k]];
        int have = 0;
        for (int j = 0; j < sel->n_kx; j++)
            have |= strcmp(sel->kx[j], s->kx) == 0;
        if (!have && sel->n_kx < 8)
            sel->kx[sel->n_kx++] = s->kx;
        have = 0;
        for (int j = 0; j < sel->n_cipher; j++)
            have |= strcmp(sel->cipher[j], s->cipher) == 0;
        if (!have && sel->n_cipher < 16)
            sel->cipher[sel->n_cipher++] = s->cipher;
        have = 0;
        for (int j = 0; j < sel->n_mac; j++)
            have |= strcmp(sel->mac[j], s->mac) == 0;
        if (!have && sel->n_mac < 8)
            sel->mac[sel->n_mac++] = s->mac;
    }
    sel->given = 1;
    return 0;
}

/* ciphersuites: TLS 1.3 IANA names joined by ':' (OpenSSL's SSL_CTX_set_ciphersuites syntax). */
static int parse_tls13_suites(const char *list, suite_selection *sel, tlsm_error *e)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save)) {
        const struct suite *s = NULL;
        for (size_t i = 0; i < N_SUITES; i++)
            if ((suites[i].attrs & TLS13) && strcmp(suites[i].iana, tok) == 0)
                s = &suites[i];
        if (s == NULL)
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                             "ciphersuites: unknown TLS 1.3 suite \"%s\"", tok);
        if (sel->n_cipher < 16)
            sel->cipher[sel->n_cipher++] = s->cipher;
    }
    if (sel->n_cipher == 0)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_CIPHERS, TLSM_STAGE_CONFIG,
                         "ciphersuites: empty list");
    sel->mac[0] = "AEAD";
    sel->n_mac = 1;
    sel->given = 1;
    return 0;
}

/* The IANA name of the negotiated suite, as OpenSSL's SSL_CIPHER_standard_name spells it.
 * gnutls_ciphersuite_get() (3.7.4+) returns GnuTLS's own names for TLS <= 1.2
 * ("TLS_ECDHE_RSA_AES_128_GCM_SHA256", no "WITH"), so we go through the suite id instead. */
static void negotiated_suite_name(gnutls_session_t s, char *out, size_t len)
{
    out[0] = '\0';
    gnutls_kx_algorithm_t kx = gnutls_kx_get(s);
    gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(s);
    gnutls_mac_algorithm_t mac = gnutls_mac_get(s);
    int tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
    unsigned char id[2];
    gnutls_kx_algorithm_t ikx;
    gnutls_cipher_algorithm_t icipher;
    gnutls_mac_algorithm_t imac;
    gnutls_protocol_t min_version;
    for (size_t i = 0; gnutls_cipher_suite_info(i, id, &ikx, &icipher, &imac, &min_version); i++) {
        int is13 = id[0] == 0x13;
        if (icipher != cipher || is13 != tls13)
            continue;
        if (!tls13 && (ikx != kx || imac != mac))
            continue;
        const struct suite *known = suite_by_id(id);
        if (known != NULL)
            snprintf(out, len, "%s", known->iana);
        else
            snprintf(out, len, "0x%02X%02X", id[0], id[1]); /* never guess a name */
        return;
    }
    const char *own = gnutls_ciphersuite_get(s);
    snprintf(out, len, "%s", own ? own : "");
}

/* ------------------------------------------------------------------------------------------ */
/* Priority strings                                                                           */

typedef struct strbuf {
    char s[1536];
    size_t n;
    int overflow;
} strbuf;

static void sb_add(strbuf *b, const char *piece)
{
    size_t len = strlen(piece);
    if (b->n + len + 2 > sizeof b->s) {
        b->overflow = 1;
        return;
    }
    if (b->n > 0)
        b->s[b->n++] = ':';
    memcpy(b->s + b->n, piece, len + 1);
    b->n += len;
}

static void sb_add_plus(strbuf *b, const char *keyword)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "+%s", keyword);
    sb_add(b, tmp);
}

/* OpenSSL's security levels in GnuTLS terms. The profile sets the minimum key/DH sizes of the
 * level (80/112/128/192/256 bits), the other keywords remove what OpenSSL 3.0 forbids at the level
 * (SHA-1 signatures from level 1, so TLS 1.0/1.1 whose handshake signatures use MD5+SHA-1 too;
 * static RSA key exchange from level 3; SHA-1 MACs from level 4; small groups). */
static const struct level {
    const char *keywords;
    gnutls_certificate_verification_profiles_t profile;
    gnutls_sec_param_t key_param; /* minimum for our own keys */
    int min_tls12;                /* TLS 1.0/1.1 excluded */
} levels[6] = {
    {"%PROFILE_VERY_WEAK:%VERIFY_ALLOW_SIGN_WITH_SHA1", GNUTLS_PROFILE_VERY_WEAK,
     GNUTLS_SEC_PARAM_UNKNOWN, 0},
    {"%PROFILE_LOW:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1", GNUTLS_PROFILE_LOW,
     GNUTLS_SEC_PARAM_LOW, 1},
    {"%PROFILE_MEDIUM:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1", GNUTLS_PROFILE_MEDIUM,
     GNUTLS_SEC_PARAM_MEDIUM, 1},
    {"%PROFILE_HIGH:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:-RSA:-GROUP-FFDHE2048",
     GNUTLS_PROFILE_HIGH, GNUTLS_SEC_PARAM_HIGH, 1},
    {"%PROFILE_ULTRA:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:-RSA:-SHA1:-GROUP-ALL:"
     "+GROUP-SECP384R1:+GROUP-SECP521R1:+GROUP-X448:+GROUP-FFDHE8192",
     GNUTLS_PROFILE_ULTRA, GNUTLS_SEC_PARAM_ULTRA, 1},
    {"%PROFILE_FUTURE:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:-RSA:-SHA1:-GROUP-ALL:"
     "+GROUP-SECP521R1",
     GNUTLS_PROFILE_FUTURE, GNUTLS_SEC_PARAM_FUTURE, 1},
};

/* NORMAL's own cipher lists (gnutls-cli --list --priority NORMAL, 3.7.9), used when only one of
 * ciphers / ciphersuites is given and the other family must keep its default. */
static const char *const normal_tls12_ciphers[] = {"AES-256-GCM", "CHACHA20-POLY1305",
                                                   "AES-256-CCM", "AES-256-CBC", "AES-128-GCM",
                                                   "AES-128-CCM", "AES-128-CBC"};
static const char *const normal_tls12_macs[] = {"SHA1", "AEAD"};
static const char *const normal_tls13_ciphers[] = {"AES-256-GCM", "CHACHA20-POLY1305",
                                                   "AES-128-GCM", "AES-128-CCM"};

typedef struct cipher_lists {
    const char *cipher[40];
    int n_cipher;
    const char *mac[16];
    int n_mac;
} cipher_lists;

static void add_unique(const char **list, int *n, int cap, const char *item)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(list[i], item) == 0)
            return;
    if (*n < cap)
        list[(*n)++] = item;
}

static int in_list(const char *const *list, int n, const char *item)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], item) == 0)
            return 1;
    return 0;
}

static int usable_in_tls13(const char *cipher)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if ((suites[i].attrs & TLS13) && strcmp(suites[i].cipher, cipher) == 0)
            return 1;
    return 0;
}

/* One priority string for the versions in mask. sel12/sel13 are the translated ciphers /
 * ciphersuites options (given = 0 when absent).
 *
 * GnuTLS has one cipher list for every version where OpenSSL keeps `ciphers` (TLS <= 1.2) and
 * `ciphersuites` (TLS 1.3) apart. With both families enabled, the list is the union: an explicit
 * `ciphers` entry is always kept (it may add a TLS 1.3 suite), and without `ciphers` TLS 1.3 is
 * kept exact. Servers are exact anyway (post_client_hello switches lists). */
static int build_priority(int level, unsigned mask, const suite_selection *sel12,
                          const suite_selection *sel13, gnutls_priority_t *out, tlsm_error *e)
{
    strbuf b = {.n = 0};
    sb_add(&b, "NORMAL");
    if (level >= 0)
        sb_add(&b, levels[level].keywords);
    sb_add(&b, "-VERS-ALL");
    for (int i = (int)N_VERSIONS - 1; i >= 0; i--)
        if (mask & (1u << version_map[i].v))
            sb_add_plus(&b, version_map[i].keyword);

    int has12 = (mask & ~(1u << TLSM_VER_TLS1_3)) != 0;
    int has13 = (mask & (1u << TLSM_VER_TLS1_3)) != 0;
    if ((has12 && sel12->given) || (has13 && sel13->given)) {
        cipher_lists l = {.n_cipher = 0};
        if (has12 && sel12->given) {
            sb_add(&b, "-KX-ALL");
            for (int i = 0; i < sel12->n_kx; i++)
                sb_add_plus(&b, sel12->kx[i]);
            for (int i = 0; i < sel12->n_cipher; i++)
                add_unique(l.cipher, &l.n_cipher, 40, sel12->cipher[i]);
            for (int i = 0; i < sel12->n_mac; i++)
                add_unique(l.mac, &l.n_mac, 16, sel12->mac[i]);
        } else if (has12) {
            /* Keep TLS 1.3 exact: a NORMAL TLS 1.2 cipher that TLS 1.3 could also use is kept
             * only when the ciphersuites list has it (the TLS 1.2 offer shrinks instead). */
            for (size_t i = 0; i < sizeof normal_tls12_ciphers / sizeof *normal_tls12_ciphers; i++)
                if (!has13 || !sel13->given || !usable_in_tls13(normal_tls12_ciphers[i]) ||
                    in_list(sel13->cipher, sel13->n_cipher, normal_tls12_ciphers[i]))
                    add_unique(l.cipher, &l.n_cipher, 40, normal_tls12_ciphers[i]);
            for (size_t i = 0; i < sizeof normal_tls12_macs / sizeof *normal_tls12_macs; i++)
                add_unique(l.mac, &l.n_mac, 16, normal_tls12_macs[i]);
        }
        if (has13 && sel13->given) {
            for (int i = 0; i < sel13->n_cipher; i++)
                add_unique(l.cipher, &l.n_cipher, 40, sel13->cipher[i]);
        } else if (has13) {
            for (size_t i = 0; i < sizeof normal_tls13_ciphers / sizeof *normal_tls13_ciphers; i++)
                add_unique(l.cipher, &l.n_cipher, 40, normal_tls13_ciphers[i]);
        }
        if (has13)
            add_unique(l.mac, &l.n_mac, 16, "AEAD");
        sb_add(&b, "-CIPHER-ALL");
        for (int i = 0; i < l.n_cipher; i++)
            sb_add_plus(&b, l.cipher[i]);
        sb_add(&b, "-MAC-ALL");
        for (int i = 0; i < l.n_mac; i++)
            sb_add_plus(&b, l.mac[i]);
    }
    if (b.overflow)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "priority string too long");
    const char *err_pos = NULL;
    int ret = gnutls_priority_init2(out, b.s, &err_pos, 0);
    if (ret < 0) {
        tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                  "GnuTLS rejected the priority string \"%s\" at \"%s\"", b.s,
                  err_pos ? err_pos : "?");
        append_gnutls_error(e, ret);
        return -1;
    }
    return 0;
}

/* Versions, security level, ciphers and ciphersuites -> the ctx's priority caches. */
static int setup_priorities(tlsm_ctx *ctx, const tlsm_options *o, tlsm_version pinned,
                            tlsm_error *e)
{
    unsigned mask = 0;
    if (allowed_versions(o, pinned, &mask, e) < 0)
        return -1;
    suite_selection sel12 = {.given = 0}, sel13 = {.given = 0};
    int level = o->security_level >= 0 ? o->security_level : DEFAULT_SECURITY_LEVEL;
    if (o->ciphers != NULL && parse_openssl_cipher_list(o->ciphers, &sel12, &level, e) < 0)
        return -1;
    if (o->ciphersuites != NULL && parse_tls13_suites(o->ciphersuites, &sel13, e) < 0)
        return -1;
    if (level > 5)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "security_level %d is outside OpenSSL's 0-5 scale", level);
    ctx->security_level = level;

    /* Nothing left: OpenSSL 3.0 builds such a context and fails the handshake; so do we
     * (handshake() refuses before GnuTLS runs; the priority keeps a placeholder version). */
    if (mask == 0) {
        ctx->no_usable_version = 1;
        snprintf(ctx->no_version_reason, sizeof ctx->no_version_reason,
                 "no protocol version available: the transport's version and "
                 "min_proto_version/max_proto_version exclude each other");
        mask = 1u << TLSM_VER_TLS1_2;
    } else if (level >= 0 && levels[level].min_tls12 &&
               (mask & ~((1u << TLSM_VER_TLS1_0) | (1u << TLSM_VER_TLS1_1))) == 0) {
        ctx->no_usable_version = 1;
        snprintf(ctx->no_version_reason, sizeof ctx->no_version_reason,
                 "no protocol version available: TLS 1.0 and 1.1 need security_level=0 "
                 "(their handshake signatures use SHA-1/MD5; OpenSSL 3.0 rule)");
    } else if (level >= 0 && levels[level].min_tls12) {
        mask &= ~((1u << TLSM_VER_TLS1_0) | (1u << TLSM_VER_TLS1_1));
    }
    ctx->version_mask = mask;
    if (build_priority(level, mask, &sel12, &sel13, &ctx->prio, e) < 0)
        return -1;

    /* GnuTLS has one cipher list for all versions while OpenSSL keeps TLS 1.3 suites apart.
     * A server can still be exact: post_client_hello switches to the list of the negotiated
     * version (GnuTLS re-negotiates the version after that callback, as documented). */
    unsigned tls13 = 1u << TLSM_VER_TLS1_3;
    if (ctx->side == TLSM_SERVER && (sel12.given || sel13.given) && (mask & tls13) &&
        (mask & ~tls13)) {
        if (build_priority(level, mask & ~tls13, &sel12, &sel13, &ctx->prio_tls12, e) < 0)
            return -1;
        if (build_priority(level, tls13, &sel12, &sel13, &ctx->prio_tls13, e) < 0)
            return -1;
    }
    if (level >= 0) {
        ctx->verify_flags |= GNUTLS_PROFILE_TO_VFLAGS(levels[level].profile);
        if (level == 0)
            ctx->verify_flags |= GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
    }
    return 0;
}

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

static void identity_free(identity *id)
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
    gnutls_sec_param_t need = levels[ctx->security_level].key_param;
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
/* Names: DNS/IP matching (RFC 6125 as DESIGN §4 words it)                                     */

/* DNS name pattern match: case-insensitive; '*' only as the whole leftmost label and only with
 * at least two labels after it ("*.example.com", not "*.com" nor "f*.example.com"). */
static int dns_pattern_matches(const char *pattern, const char *host)
{
    if (strcasecmp(pattern, host) == 0)
        return 1;
    if (pattern[0] != '*' || pattern[1] != '.')
        return 0;
    const char *suffix = pattern + 1; /* ".example.com" */
    if (strchr(suffix + 1, '.') == NULL || strchr(suffix, '*') != NULL)
        return 0;
    const char *dot = strchr(host, '.');
    if (dot == NULL || dot == host)
        return 0;
    return strcasecmp(dot, suffix) == 0;
}

/* 16 bytes for IPv6, 4 for IPv4, 0 when host is not an IP literal. */
static size_t parse_ip(const char *host, unsigned char out[16])
{
    char buf[64];
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof buf) {
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET, host, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, host, out) == 1)
        return 16;
    return 0;
}

/* Host name check: IP SANs for IP literals (never the CN), else DNS SANs, and the CN only when
 * the certificate has no DNS SAN. */
static int name_matches(gnutls_x509_crt_t crt, const char *host)
{
    unsigned char ip[16];
    size_t ip_len = parse_ip(host, ip);
    int have_dns_san = 0;
    for (unsigned i = 0;; i++) {
        char san[TLSM_SAN_MAX];
        size_t size = sizeof san - 1;
        unsigned critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
            continue; /* longer than any name we could match */
        if (type < 0)
            break;
        if (type == GNUTLS_SAN_DNSNAME) {
            have_dns_san = 1;
            san[size] = '\0';
            if (ip_len == 0 && strlen(san) == size && dns_pattern_matches(san, host))
                return 1;
        } else if (type == GNUTLS_SAN_IPADDRESS && ip_len != 0 && size == ip_len &&
                   memcmp(san, ip, ip_len) == 0) {
            return 1;
        }
    }
    if (ip_len != 0 || have_dns_san)
        return 0;
    for (unsigned i = 0;; i++) {
        char cn[256];
        size_t size = sizeof cn;
        int ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, i, 0, cn, &size);
        if (ret < 0)
            return 0;
        if (strlen(cn) == size && dns_pattern_matches(cn, host))
            return 1;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Distinguished names in OpenSSL's RFC 2253 form (XN_FLAG_RFC2253)                            */

static const struct {
    const char *oid;
    const char *name; /* OpenSSL's short name */
} dn_names[] = {
    {"2.5.4.3", "CN"}, {"2.5.4.4", "SN"}, {"2.5.4.5", "serialNumber"}, {"2.5.4.6", "C"},
    {"2.5.4.7", "L"}, {"2.5.4.8", "ST"}, {"2.5.4.9", "street"}, {"2.5.4.10", "O"},
    {"2.5.4.11", "OU"}, {"2.5.4.12", "title"}, {"2.5.4.13", "description"},
    {"2.5.4.15", "businessCategory"}, {"2.5.4.16", "postalAddress"}, {"2.5.4.17", "postalCode"},
    {"2.5.4.18", "postOfficeBox"}, {"2.5.4.20", "telephoneNumber"}, {"2.5.4.41", "name"},
    {"2.5.4.42", "GN"}, {"2.5.4.43", "initials"}, {"2.5.4.44", "generationQualifier"},
    {"2.5.4.46", "dnQualifier"}, {"2.5.4.65", "pseudonym"}, {"2.5.4.97", "organizationIdentifier"},
    {"1.2.840.113549.1.9.1", "emailAddress"}, {"0.9.2342.19200300.100.1.25", "DC"},
    {"0.9.2342.19200300.100.1.1", "UID"}, {"1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"},
    {"1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"}, {"1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"},
};

static void out_char(char *out, size_t len, size_t *pos, char c)
{
    if (*pos + 1 < len) {
        out[*pos] = c;
        out[*pos + 1] = '\0';
    }
    (*pos)++;
}

static void out_str(char *out, size_t len, size_t *pos, const char *s)
{
    while (*s)
        out_char(out, len, pos, *s++);
}

static void out_hex_byte(char *out, size_t len, size_t *pos, unsigned char c, int backslash)
{
    char hex[4];
    snprintf(hex, sizeof hex, "%02X", c);
    if (backslash)
        out_char(out, len, pos, '\\');
    out_str(out, len, pos, hex);
}

/* Appends one code point as UTF-8 with the escaping of OpenSSL's XN_FLAG_RFC2253 without
 * ASN1_STRFLGS_ESC_MSB (what the OpenSSL backend prints): RFC 2253 specials get a backslash,
 * control characters become \XX, non-ASCII characters stay raw UTF-8. */
static void out_codepoint(char *out, size_t len, size_t *pos, unsigned long cp, int first,
                          int last)
{
    if (cp >= 0x80) {
        unsigned char u[4];
        int n;
        if (cp < 0x800) {
            u[0] = (unsigned char)(0xC0 | (cp >> 6));
            u[1] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            u[0] = (unsigned char)(0xE0 | (cp >> 12));
            u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            u[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
            u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[3] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        for (int i = 0; i < n; i++)
            out_char(out, len, pos, (char)u[i]);
        return;
    }
    char c = (char)cp;
    if (strchr(",+\"\\<>;", c) != NULL || (first && (c == '#' || c == ' ')) || (last && c == ' ')) {
        out_char(out, len, pos, '\\');
        out_char(out, len, pos, c);
    } else if (cp < 0x20 || cp == 0x7f) {
        out_hex_byte(out, len, pos, (unsigned char)cp, 1);
    } else {
        out_char(out, len, pos, c);
    }
}

/* Decodes an AVA value of a string type into code points; returns the count or -1 when the
 * type is not a character string (then OpenSSL dumps it as #hex). */
static int decode_string_value(const gnutls_x509_ava_st *ava, unsigned long *cps, int cap)
{
    const unsigned char *v = ava->value.data;
    unsigned n = ava->value.size;
    int count = 0;
    switch (ava->value_tag) {
    case 12: /* UTF8String */
        for (unsigned i = 0; i < n && count < cap;) {
            unsigned char c = v[i];
            int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
            unsigned long cp = extra == 0 ? c : c & (0x3F >> extra);
            i++;
            for (int k = 0; k < extra && i < n; k++, i++)
                cp = (cp << 6) | (v[i] & 0x3F);
            cps[count++] = cp;
        }
        return count;
    case 18: case 19: case 20: case 22: case 26: /* Numeric, Printable, T61 (as Latin-1), IA5, Visible */
        for (unsigned i = 0; i < n && count < cap; i++)
            cps[count++] = v[i];
        return count;
    case 30: /* BMPString: UCS-2 big endian */
        for (unsigned i = 0; i + 1 < n && count < cap; i += 2)
            cps[count++] = ((unsigned long)v[i] << 8) | v[i + 1];
        return count;
    case 28: /* UniversalString: UCS-4 big endian */
        for (unsigned i = 0; i + 3 < n && count < cap; i += 4)
            cps[count++] = ((unsigned long)v[i] << 24) | ((unsigned long)v[i + 1] << 16) |
                           ((unsigned long)v[i + 2] << 8) | v[i + 3];
        return count;
    default:
        return -1;
    }
}

static void format_ava(const gnutls_x509_ava_st *ava, char *out, size_t len, size_t *pos)
{
    char oid[128];
    size_t oid_len = ava->oid.size < sizeof oid - 1 ? ava->oid.size : sizeof oid - 1;
    memcpy(oid, ava->oid.data, oid_len);
    oid[oid_len] = '\0';
    const char *name = oid;
    for (size_t i = 0; i < sizeof dn_names / sizeof dn_names[0]; i++)
        if (strcmp(dn_names[i].oid, oid) == 0)
            name = dn_names[i].name;
    out_str(out, len, pos, name);
    out_char(out, len, pos, '=');

    static const int cap = 1024;
    unsigned long cps[1024];
    int n = decode_string_value(ava, cps, cap);
    if (n < 0) { /* not a string type: OpenSSL's DUMP_DER, "#" + hex of tag, length, value */
        out_char(out, len, pos, '#');
        out_hex_byte(out, len, pos, (unsigned char)ava->value_tag, 0);
        unsigned size = ava->value.size;
        if (size < 0x80) {
            out_hex_byte(out, len, pos, (unsigned char)size, 0);
        } else {
            unsigned char lb[4];
            int nb = 0;
            for (unsigned s = size; s > 0; s >>= 8)
                lb[nb++] = (unsigned char)(s & 0xFF);
            out_hex_byte(out, len, pos, (unsigned char)(0x80 | nb), 0);
            while (nb > 0)
                out_hex_byte(out, len, pos, lb[--nb], 0);
        }
        for (unsigned i = 0; i < size; i++)
            out_hex_byte(out, len, pos, ava->value.data[i], 0);
        return;
    }
    for (int i = 0; i < n; i++)
        out_codepoint(out, len, pos, cps[i], i == 0, i == n - 1);
}

/* Subject DN, most specific first, attributes as OpenSSL names and escapes them, so the record
 * is identical to the OpenSSL backend's X509_NAME_print_ex(XN_FLAG_RFC2253) for the same cert. */
static void format_subject(gnutls_x509_crt_t crt, char *out, size_t len)
{
    out[0] = '\0';
    gnutls_x509_dn_t dn;
    if (gnutls_x509_crt_get_subject(crt, &dn) < 0)
        return;
    /* Flatten the AVAs, then print them in reverse order: OpenSSL's XN_FLAG_DN_REV reverses the
     * entry list, which also reverses the members of a multi-valued RDN. */
    struct { int rdn, ava; } order[64];
    int n = 0;
    for (int irdn = 0; n < 64; irdn++) {
        int iava = 0;
        gnutls_x509_ava_st ava;
        while (n < 64 && gnutls_x509_dn_get_rdn_ava(dn, irdn, iava, &ava) == 0) {
            order[n].rdn = irdn;
            order[n].ava = iava;
            n++;
            iava++;
        }
        if (iava == 0)
            break;
    }
    size_t pos = 0;
    for (int k = n - 1; k >= 0; k--) {
        gnutls_x509_ava_st ava;
        if (gnutls_x509_dn_get_rdn_ava(dn, order[k].rdn, order[k].ava, &ava) != 0)
            continue;
        if (k != n - 1)
            out_char(out, len, &pos, order[k].rdn == order[k + 1].rdn ? '+' : ',');
        format_ava(&ava, out, len, &pos);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Peer certificate verification (inside the handshake)                                      */

/* Verification result before it becomes a tlsm class: which check failed, at which depth. */
typedef struct chain_view {
    gnutls_x509_crt_t peer[MAX_PEER_CHAIN]; /* what the peer sent, leaf first */
    unsigned n_peer;
    gnutls_x509_crt_t path[MAX_PEER_CHAIN + 1]; /* leaf .. anchor, as we built it */
    int path_owned[MAX_PEER_CHAIN + 1];
    unsigned n_path;
    int anchored; /* the path ends at a trusted certificate */
} chain_view;

static void chain_view_free(chain_view *v)
{
    for (unsigned i = 0; i < v->n_path; i++)
        if (v->path_owned[i])
            gnutls_x509_crt_deinit(v->path[i]);
    for (unsigned i = 0; i < v->n_peer; i++)
        gnutls_x509_crt_deinit(v->peer[i]);
    memset(v, 0, sizeof *v);
}

static int path_contains(const chain_view *v, gnutls_x509_crt_t c)
{
    for (unsigned i = 0; i < v->n_path; i++)
        if (gnutls_x509_crt_equals(v->path[i], c))
            return 1;
    return 0;
}

/* Builds leaf -> ... -> anchor the way OpenSSL does with X509_V_FLAG_TRUSTED_FIRST (its default):
 * at each step a trusted issuer is preferred over one the peer sent. We need our own path for
 * two things GnuTLS's verdict does not give: the depth (verify_depth) and per-certificate
 * validity times (verify_time, and OpenSSL's top-down order of time errors). */
static void build_path(chain_view *v, gnutls_x509_trust_list_t trust)
{
    v->path[0] = v->peer[0];
    v->n_path = 1;
    while (v->n_path <= MAX_PEER_CHAIN) {
        gnutls_x509_crt_t cur = v->path[v->n_path - 1];
        gnutls_x509_crt_t issuer = NULL;
        if (gnutls_x509_trust_list_get_issuer(trust, cur, &issuer, GNUTLS_TL_GET_COPY) == 0) {
            if (gnutls_x509_crt_equals(issuer, cur) || path_contains(v, issuer)) {
                gnutls_x509_crt_deinit(issuer); /* cur itself is the trusted (self-signed) root */
            } else {
                v->path_owned[v->n_path] = 1;
                v->path[v->n_path++] = issuer;
            }
            v->anchored = 1;
            return;
        }
        int found = 0;
        for (unsigned i = 0; i < v->n_peer && !found; i++) {
            if (path_contains(v, v->peer[i]) || !gnutls_x509_crt_check_issuer(cur, v->peer[i]))
                continue;
            v->path[v->n_path++] = v->peer[i];
            found = 1;
        }
        if (!found)
            return;
    }
}

static int self_issued(gnutls_x509_crt_t c)
{
    return gnutls_x509_crt_check_issuer(c, c) == 1;
}

/* The GnuTLS status text for a set of bits, plus the subject of the certificate concerned. */
static void verify_detail(tlsm_error *e, unsigned status, const char *what, unsigned depth,
                          gnutls_x509_crt_t crt)
{
    char subject[TLSM_DETAIL_MAX / 2];
    format_subject(crt, subject, sizeof subject);
    gnutls_datum_t text = {NULL, 0};
    if (status != 0 &&
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0) {
        while (text.size > 0 && text.data[text.size - 1] == ' ')
            text.data[--text.size] = '\0'; /* GnuTLS ends each sentence with a space */
        snprintf(e->detail, sizeof e->detail, "%s at depth %u; gnutls: %s; subject: %s", what,
                 depth, (const char *)text.data, subject);
        gnutls_free(text.data);
    } else {
        snprintf(e->detail, sizeof e->detail, "%s at depth %u; subject: %s", what, depth, subject);
    }
}

static int verify_fail(tlsm_error *e, tlsm_class cls, unsigned status, const char *what,
                       unsigned depth, gnutls_x509_crt_t crt)
{
    e->cls = cls;
    e->stage = TLSM_STAGE_VERIFY;
    verify_detail(e, status, what, depth, crt);
    return -1;
}

/* Validity at the verification time, top-down like OpenSSL's internal_verify. */
static int check_times(const tlsm_ctx *ctx, const chain_view *v, tlsm_error *e)
{
    time_t now = ctx->verify_time != 0 ? (time_t)ctx->verify_time : time(NULL);
    for (int i = (int)v->n_path - 1; i >= 0; i--) {
        time_t not_before = gnutls_x509_crt_get_activation_time(v->path[i]);
        time_t not_after = gnutls_x509_crt_get_expiration_time(v->path[i]);
        if (not_before != (time_t)-1 && now < not_before)
            return verify_fail(e, TLSM_E_TLS_CERT_NOT_YET_VALID,
                               GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED,
                               "certificate not yet valid", (unsigned)i, v->path[i]);
        if (not_after != (time_t)-1 && now > not_after)
            return verify_fail(e, TLSM_E_TLS_CERT_EXPIRED, GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED,
                               "certificate has expired", (unsigned)i, v->path[i]);
    }
    return 0;
}

/* The chain check, classified in the order OpenSSL (with PHP's verify callback) reports:
 *   1. no trust anchor: a lone self-issued leaf is tls.cert_self_signed (accepted with
 *      allow_self_signed), anything else tls.cert_untrusted — even when a certificate has also
 *      expired (OpenSSL stops at "unable to get local issuer certificate");
 *   2. other structural failures GnuTLS reports (signer not a CA, insecure algorithm, key too
 *      small for the level, purpose, constraints, bad signature) -> tls.cert_invalid;
 *   3. depth: a certificate deeper than verify_depth (leaf = 0, the anchor counts) ->
 *      tls.cert_chain_too_long, which is PHP's verify_callback rule;
 *   4. validity times from the anchor down -> tls.cert_not_yet_valid / tls.cert_expired. */
static int check_chain(const tlsm_ctx *ctx, chain_view *v, tlsm_error *e)
{
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID,
        .data = (void *)(ctx->side == TLSM_CLIENT ? GNUTLS_KP_TLS_WWW_SERVER
                                                  : GNUTLS_KP_TLS_WWW_CLIENT),
        .size = 0,
    };
    unsigned status = 0;
    unsigned flags = ctx->verify_flags | GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                     GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
    int ret = gnutls_x509_trust_list_verify_crt2(ctx->trust, v->peer, v->n_peer, &purpose, 1,
                                                 flags, &status, NULL);
    if (ret < 0) {
        e->cls = TLSM_E_TLS_CERT_INVALID;
        e->stage = TLSM_STAGE_VERIFY;
        snprintf(e->detail, sizeof e->detail, "chain verification failed: %s (%s)",
                 gnutls_strerror(ret), gnutls_strerror_name(ret));
        return -1;
    }
    build_path(v, ctx->trust);
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
        int lone_self_signed = v->n_path == 1 && self_issued(v->peer[0]);
        if (!lone_self_signed)
            return verify_fail(e, TLSM_E_TLS_CERT_UNTRUSTED, status,
                               "unable to get the issuer certificate (untrusted)",
                               v->n_path - 1, v->path[v->n_path - 1]);
        if (!ctx->allow_self_signed)
            return verify_fail(e, TLSM_E_TLS_CERT_SELF_SIGNED, status,
                               "self-signed certificate", 0, v->peer[0]);
        v->anchored = 1; /* allow_self_signed: the leaf is its own anchor */
        status &= ~(unsigned)(GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_INVALID);
    }
    unsigned other = status & ~(unsigned)GNUTLS_CERT_INVALID;
    if (other != 0)
        return verify_fail(e, TLSM_E_TLS_CERT_INVALID, status, "certificate rejected", 0,
                           v->peer[0]);
    if ((int)v->n_path - 1 > ctx->verify_depth)
        return verify_fail(e, TLSM_E_TLS_CERT_CHAIN_TOO_LONG, 0,
                           "certificate chain too long for verify_depth", v->n_path - 1,
                           v->path[v->n_path - 1]);
    return check_times(ctx, v, e);
}

static int check_fingerprint(const tlsm_ctx *ctx, gnutls_x509_crt_t leaf, tlsm_error *e)
{
    unsigned char got[64];
    size_t size = sizeof got;
    int ret = gnutls_x509_crt_get_fingerprint(leaf, ctx->fp_algo, got, &size);
    if (ret < 0 || size != ctx->fp.len || memcmp(got, ctx->fp.digest, size) != 0) {
        e->cls = TLSM_E_TLS_CERT_FINGERPRINT_MISMATCH;
        e->stage = TLSM_STAGE_VERIFY;
        char subject[256];
        format_subject(leaf, subject, sizeof subject);
        snprintf(e->detail, sizeof e->detail, "peer_fingerprint (%s) does not match; subject: %s",
                 gnutls_digest_get_name(ctx->fp_algo), subject);
        return -1;
    }
    return 0;
}

/* All of PHP's peer checks in PHP's order: chain (verify_peer), fingerprint, name. */
static int check_peer(tlsm_conn *c, tlsm_error *e)
{
    const tlsm_ctx *ctx = c->ctx;
    int want_name = ctx->verify_peer_name && c->verify_name != NULL;
    if (!ctx->verify_peer && !want_name && ctx->fp.len == 0)
        return 0;
    unsigned n = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(c->session, &n);
    if (der == NULL || n == 0) {
        e->cls = TLSM_E_TLS_NO_PEER_CERT;
        e->stage = TLSM_STAGE_VERIFY;
        snprintf(e->detail, sizeof e->detail, "the peer sent no certificate");
        return -1;
    }
    chain_view v;
    memset(&v, 0, sizeof v);
    for (unsigned i = 0; i < n && i < MAX_PEER_CHAIN; i++) {
        if (gnutls_x509_crt_init(&v.peer[v.n_peer]) < 0)
            break;
        if (gnutls_x509_crt_import(v.peer[v.n_peer], &der[i], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(v.peer[v.n_peer]);
            break;
        }
        v.n_peer++;
    }
    int rc = 0;
    if (v.n_peer == 0) {
        e->cls = TLSM_E_TLS_CERT_INVALID;
        e->stage = TLSM_STAGE_VERIFY;
        snprintf(e->detail, sizeof e->detail, "the peer's certificate cannot be parsed");
        rc = -1;
    }
    if (rc == 0 && ctx->verify_peer)
        rc = check_chain(ctx, &v, e);
    if (rc == 0 && ctx->fp.len > 0) {
        /* A match does not skip the name check: PHP's code goes on to check the name even
         * though its comment says the fingerprint "trumps" it (docs/backend-openssl.md). */
        rc = check_fingerprint(ctx, v.peer[0], e);
    }
    if (rc == 0 && want_name && !name_matches(v.peer[0], c->verify_name)) {
        char what[300];
        snprintf(what, sizeof what, "certificate does not match the name \"%.200s\"",
                 c->verify_name);
        rc = verify_fail(e, TLSM_E_TLS_CERT_NAME_MISMATCH,
                         GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER, what, 0, v.peer[0]);
    }
    chain_view_free(&v);
    return rc;
}

/* gnutls_certificate_set_verify_function callback: runs inside the handshake, so a rejection
 * aborts it and the peer gets an alert. Non-zero return = reject. */
static int on_verify_peer(gnutls_session_t session)
{
    tlsm_conn *c = gnutls_session_get_ptr(session);
    if (c == NULL)
        return -1;
    tlsm_error_clear(&c->verify_err);
    if (check_peer(c, &c->verify_err) < 0) {
        c->verify_failed = 1;
        return -1;
    }
    return 0;
}

/* The alert OpenSSL sends for the same verification error (ssl_x509err2alert), so the peer's
 * class (tls.cert_rejected_by_peer) and detail agree across libraries. */
static gnutls_alert_description_t alert_for_verify_class(tlsm_class cls)
{
    switch (cls) {
    case TLSM_E_TLS_CERT_UNTRUSTED:
    case TLSM_E_TLS_CERT_SELF_SIGNED:
    case TLSM_E_TLS_CERT_CHAIN_TOO_LONG:
        return GNUTLS_A_UNKNOWN_CA;
    case TLSM_E_TLS_CERT_EXPIRED:
        return GNUTLS_A_CERTIFICATE_EXPIRED;
    case TLSM_E_TLS_NO_PEER_CERT:
        return GNUTLS_A_HANDSHAKE_FAILURE;
    default:
        return GNUTLS_A_BAD_CERTIFICATE;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* peer_fingerprint, ALPN                                                                     */

/* The text is parsed by the core (lib/fingerprint.c); GnuTLS only has to know the digest. */
static int parse_fingerprint(tlsm_ctx *ctx, const char *text, tlsm_error *e)
{
    if (tlsm_fingerprint_parse(text, &ctx->fp, e) < 0)
        return -1;
    gnutls_digest_algorithm_t algo = gnutls_digest_get_id(ctx->fp.algo);
    if (algo == GNUTLS_DIG_UNKNOWN || (size_t)gnutls_hash_get_len(algo) != ctx->fp.len)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "peer_fingerprint \"%s\": this GnuTLS has no %s digest", text,
                         ctx->fp.algo);
    ctx->fp_algo = algo;
    return 0;
}

static int parse_alpn(tlsm_ctx *ctx, const char *list, tlsm_error *e)
{
    ctx->alpn_storage = dup_str(list);
    if (ctx->alpn_storage == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
    char *save = NULL;
    for (char *p = strtok_r(ctx->alpn_storage, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(p);
        if (len == 0 || len > 255 || ctx->n_alpn >= MAX_ALPN)
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "alpn_protocols: bad entry \"%s\" (1-255 bytes, at most %d entries)",
                             p, MAX_ALPN);
        ctx->alpn[ctx->n_alpn].data = (unsigned char *)p;
        ctx->alpn[ctx->n_alpn].size = (unsigned)len;
        ctx->n_alpn++;
    }
    if (ctx->n_alpn == 0)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                         "alpn_protocols: \"%s\" names no protocol", list);
    return 0;
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
/* Context                                                                                    */

static void ctx_free(tlsm_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->cred != NULL)
        gnutls_certificate_free_credentials(ctx->cred); /* frees the trust list too */
    if (ctx->prio != NULL)
        gnutls_priority_deinit(ctx->prio);
    if (ctx->prio_tls12 != NULL)
        gnutls_priority_deinit(ctx->prio_tls12);
    if (ctx->prio_tls13 != NULL)
        gnutls_priority_deinit(ctx->prio_tls13);
    for (int i = 0; i < ctx->n_ids; i++)
        identity_free(&ctx->ids[i]);
    free(ctx->alpn_storage);
    if (ctx->ticket_key.data != NULL) {
        gnutls_memset(ctx->ticket_key.data, 0, ctx->ticket_key.size);
        gnutls_free(ctx->ticket_key.data);
    }
    free(ctx);
}

static int setup_credentials(tlsm_ctx *ctx, const tlsm_options *o, tlsm_error *e)
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

static tlsm_ctx *ctx_new(tlsm_side side, const tlsm_options *o, tlsm_version pinned,
                         tlsm_error *e)
{
    tlsm_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
        return NULL;
    }
    ctx->side = side;
    ctx->verify_peer = tlsm_options_verify_peer(o, side);
    ctx->verify_peer_name = tlsm_options_verify_peer_name(o, side);
    ctx->allow_self_signed = o->allow_self_signed > 0;
    ctx->verify_depth = o->verify_depth >= 0 ? o->verify_depth : 9;
    ctx->capture_peer_cert = o->capture_peer_cert > 0;
    ctx->verify_time = o->verify_time;
    ctx->fp_algo = GNUTLS_DIG_UNKNOWN;

    if (setup_priorities(ctx, o, pinned, e) < 0)
        goto fail;
    if (setup_credentials(ctx, o, e) < 0)
        goto fail;
    if (o->peer_fingerprint != NULL && o->peer_fingerprint[0] != '\0' &&
        parse_fingerprint(ctx, o->peer_fingerprint, e) < 0)
        goto fail;
    if (o->alpn_protocols != NULL && o->alpn_protocols[0] != '\0' &&
        parse_alpn(ctx, o->alpn_protocols, e) < 0)
        goto fail;
    if (side == TLSM_SERVER) {
        int ret = gnutls_session_ticket_key_generate(&ctx->ticket_key);
        if (ret < 0) {
            fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "session ticket key");
            goto fail;
        }
    }
    return ctx;
fail:
    ctx_free(ctx);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Transport: non-blocking socket I/O through our own push/pull                               */

static void track_records(tlsm_conn *c, record_tracker *t, const unsigned char *p, size_t n,
                          int outgoing);

/* Our own push/pull functions (instead of gnutls_transport_set_int) see the raw records: the
 * first bytes the peer sent tell whether it speaks TLS at all (GnuTLS reports plaintext input
 * under several unrelated error codes), and CCS records go into the transcript (see the Transcript section). */
static ssize_t pull_bytes(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
    tlsm_conn *c = ptr;
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n < 0) {
        c->last_errno = errno;
        gnutls_transport_set_errno(c->session, errno);
        return -1;
    }
    for (ssize_t i = 0; i < n && c->n_first_bytes < sizeof c->first_bytes; i++)
        c->first_bytes[c->n_first_bytes++] = ((unsigned char *)buf)[i];
    track_records(c, &c->rec_in, buf, (size_t)n, 0);
    return n;
}

/* Vectored, so that a whole flight leaves in one sendmsg() as OpenSSL writes it: one send()
 * per record lets Nagle's algorithm hold the later records back until the peer's delayed ACK,
 * which costs ~40 ms per flight on loopback. */
static ssize_t push_vector(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
    tlsm_conn *c = ptr;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = (struct iovec *)(void *)iov; /* giovec_t has struct iovec's layout */
    mh.msg_iovlen = (size_t)iovcnt;
    ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
    if (n < 0) {
        c->last_errno = errno;
        gnutls_transport_set_errno(c->session, errno);
        return n;
    }
    size_t left = (size_t)n;
    for (int i = 0; i < iovcnt && left > 0; i++) {
        size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
        track_records(c, &c->rec_out, iov[i].iov_base, k, 1);
        left -= k;
    }
    return n;
}

/* Used by GnuTLS only to ask whether data is pending; never blocks (deadlines are ours). */
static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
    tlsm_conn *c = ptr;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int wait = ms == GNUTLS_INDEFINITE_TIMEOUT ? 0 : (int)(ms > 1000 ? 1000 : ms);
    int r = poll(&p, 1, wait);
    if (r < 0) {
        c->last_errno = errno;
        gnutls_transport_set_errno(c->session, errno);
        return -1;
    }
    return r;
}

/* Waits for the direction GnuTLS is blocked on. 0 ready, -1 with io.timeout / io.failed. */
static int wait_io(tlsm_conn *c, int64_t deadline_ms, tlsm_stage stage, const char *what,
                   tlsm_error *e)
{
    short ev = gnutls_record_get_direction(c->session) ? POLLOUT : POLLIN;
    int r = tlsm_wait_fd(c->fd, ev, deadline_ms);
    if (r > 0)
        return 0;
    if (r == 0)
        return tlsm_fail(e, TLSM_E_IO_TIMEOUT, stage, "%s did not complete before the deadline",
                         what);
    return tlsm_fail(e, TLSM_E_IO_FAILED, stage, "poll: %s", strerror(errno));
}

/* After our fatal alert: read and discard what the peer still sends until it closes, briefly.
 * Closing a socket with unread input makes the kernel send RST instead of FIN, and an RST can
 * destroy our alert in the peer's receive queue (or fail the peer's pending write) before the
 * peer reads it: the peer would report io.reset instead of the alert. Our FIN goes first, so
 * that a peer doing the same after its own alert does not wait for us until LINGER_MS. */
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

/* Best effort: a fatal alert so the peer learns why, bounded by a short deadline. */
static void send_alert(tlsm_conn *c, gnutls_alert_description_t desc)
{
    int64_t deadline = tlsm_now_ms() + ALERT_DEADLINE_MS;
    for (;;) {
        int ret = gnutls_alert_send(c->session, GNUTLS_AL_FATAL, desc);
        if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED)
            break;
        if (tlsm_wait_fd(c->fd, POLLOUT, deadline) <= 0)
            break;
    }
    linger_for_peer(c);
}

/* ------------------------------------------------------------------------------------------ */
/* Transcript                                                                                 */

/* Where GnuTLS tells us about messages: handshake messages through the hook (incoming ones
 * before they are processed, so a Certificate we reject is still listed, as OpenSSL's message
 * callback lists it; outgoing ones when queued). ChangeCipherSpec is not a handshake message and
 * GnuTLS's hook never reports it (its pseudo type 254 is used only internally), so CCS records are
 * found in the byte stream: incoming ones as they are read (GnuTLS reads record by record, so
 * the order is exact), outgoing ones when written. Outgoing messages are queued by the hook but
 * written when the flight is flushed, so an outgoing CCS is placed before the first queued
 * message that has not reached the wire yet (TLS 1.2: before our Finished). */

static void transcript_insert(tlsm_conn *c, int at, int type, int from_server)
{
    tlsm_transcript *t = &c->transcript;
    if (t->n >= TLSM_TRANSCRIPT_MAX) {
        t->overflow++;
        return;
    }
    memmove(&t->msgs[at + 1], &t->msgs[at], (size_t)(t->n - at) * sizeof t->msgs[0]);
    t->msgs[at].type = type;
    t->msgs[at].from_server = from_server;
    t->n++;
    for (int i = 0; i < c->n_pending_out; i++)
        if (c->pending_out[i] >= at)
            c->pending_out[i]++;
}

static void on_record(tlsm_conn *c, unsigned char content_type, int outgoing)
{
    int i_am_server = c->ctx->side == TLSM_SERVER;
    if (!outgoing) {
        if (content_type == 20)
            tlsm_transcript_add(&c->transcript, TLSM_HS_CHANGE_CIPHER_SPEC, !i_am_server);
        return;
    }
    if (content_type == 20) {
        int at = c->n_pending_out > 0 ? c->pending_out[0] : c->transcript.n;
        transcript_insert(c, at, TLSM_HS_CHANGE_CIPHER_SPEC, i_am_server);
    } else if ((content_type == 22 || content_type == 23) && c->n_pending_out > 0) {
        c->n_pending_out--; /* the oldest queued message is on the wire */
        memmove(&c->pending_out[0], &c->pending_out[1],
                (size_t)c->n_pending_out * sizeof c->pending_out[0]);
    }
}

static void track_records(tlsm_conn *c, record_tracker *t, const unsigned char *p, size_t n,
                          int outgoing)
{
    while (n > 0 && !t->lost) {
        if (t->body_left > 0) {
            size_t k = n < t->body_left ? n : t->body_left;
            if (t->header[0] == 21 && t->header[3] == 0 && t->header[4] == 2) {
                for (size_t i = 0; i < k && t->alert_len < 2; i++)
                    t->alert[t->alert_len++] = p[i];
                if (t->alert_len == 2 && !outgoing && t->alert[0] == GNUTLS_AL_FATAL)
                    c->plain_alert = t->alert[1];
            }
            t->body_left -= k;
            p += k;
            n -= k;
            continue;
        }
        t->header[t->header_len++] = *p++;
        n--;
        if (t->header_len < 5)
            continue;
        t->header_len = 0;
        if (t->header[0] < 20 || t->header[0] > 24 || t->header[1] != 3) {
            t->lost = 1;
            return;
        }
        t->body_left = (size_t)t->header[3] << 8 | t->header[4];
        t->alert_len = 0;
        on_record(c, t->header[0], outgoing);
    }
}

static unsigned version_bit(unsigned wire)
{
    switch (wire) {
    case 0x0300: return 1u << TLSM_VER_SSL3;
    case 0x0301: return 1u << TLSM_VER_TLS1_0;
    case 0x0302: return 1u << TLSM_VER_TLS1_1;
    case 0x0303: return 1u << TLSM_VER_TLS1_2;
    case 0x0304: return 1u << TLSM_VER_TLS1_3;
    default: return 0;
    }
}

/* The versions a ClientHello offers: its supported_versions extension, or else every version
 * up to legacy_version. GnuTLS 3.7 does not say "protocol version" when they do not meet ours
 * (a TLS 1.3-only server answers a TLS 1.2 client with GNUTLS_E_NO_CIPHER_SUITES), so the
 * server classifies that case from this. Returns 0 when the message cannot be parsed. */
static unsigned client_hello_versions(const unsigned char *d, size_t n)
{
    if (n >= 4 && d[0] == GNUTLS_HANDSHAKE_CLIENT_HELLO &&
        ((size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3]) == n - 4) {
        d += 4; /* skip a handshake header if the hook passed one */
        n -= 4;
    }
    if (n < 2 + 32 + 1)
        return 0;
    unsigned legacy = (unsigned)d[0] << 8 | d[1];
    size_t pos = 2 + 32;
    pos += 1 + (size_t)d[pos]; /* session id */
    if (pos + 2 > n)
        return 0;
    pos += 2 + ((size_t)d[pos] << 8 | d[pos + 1]); /* cipher suites */
    if (pos + 1 > n)
        return 0;
    pos += 1 + (size_t)d[pos]; /* compression methods */
    size_t ext_end = n;
    if (pos + 2 <= n) {
        ext_end = pos + 2 + ((size_t)d[pos] << 8 | d[pos + 1]);
        pos += 2;
    }
    while (ext_end <= n && pos + 4 <= ext_end) {
        unsigned type = (unsigned)d[pos] << 8 | d[pos + 1];
        size_t len = (size_t)d[pos + 2] << 8 | d[pos + 3];
        pos += 4;
        if (pos + len > ext_end)
            break;
        if (type == 0x002b && len >= 1) { /* supported_versions */
            unsigned mask = 0;
            for (size_t i = 1; i + 1 < len && i + 1 <= d[pos]; i += 2)
                mask |= version_bit((unsigned)d[pos + i] << 8 | d[pos + i + 1]);
            return mask;
        }
        pos += len;
    }
    unsigned mask = 0;
    for (unsigned v = 0x0300; v <= legacy && v <= 0x0303; v++)
        mask |= version_bit(v);
    return mask;
}

static int on_handshake_message(gnutls_session_t session, unsigned htype, unsigned when,
                                unsigned incoming, const gnutls_datum_t *msg)
{
    tlsm_conn *c = gnutls_session_get_ptr(session);
    if (c == NULL)
        return 0;
    if (incoming && when == GNUTLS_HOOK_PRE && c->ctx->side == TLSM_SERVER &&
        htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && msg != NULL && c->client_versions == 0)
        c->client_versions = client_hello_versions(msg->data, msg->size);
    if ((incoming && when != GNUTLS_HOOK_PRE) || (!incoming && when != GNUTLS_HOOK_POST))
        return 0;
    int type;
    switch (htype) {
    case GNUTLS_HANDSHAKE_CLIENT_HELLO_V2: type = TLSM_HS_CLIENT_HELLO; break;
    case GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST: /* a ServerHello on the wire, listed as one */
        type = TLSM_HS_SERVER_HELLO;
        break;
    default: type = (int)htype; break;
    }
    int from_server = (c->ctx->side == TLSM_CLIENT) ? (incoming != 0) : (incoming == 0);
    if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO)
        c->saw_server_hello = 1;
    if (!incoming && c->transcript.n < TLSM_TRANSCRIPT_MAX &&
        c->n_pending_out < TLSM_TRANSCRIPT_MAX)
        c->pending_out[c->n_pending_out++] = c->transcript.n;
    tlsm_transcript_add(&c->transcript, type, from_server);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Connection                                                                                 */

/* Server: once the version is known, switch to the cipher list of that version (see
 * setup_priorities); GnuTLS re-negotiates the version after this callback. */
static int on_client_hello(gnutls_session_t session)
{
    tlsm_conn *c = gnutls_session_get_ptr(session);
    if (c == NULL || c->ctx->prio_tls12 == NULL)
        return 0;
    gnutls_priority_t p = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3
                              ? c->ctx->prio_tls13 : c->ctx->prio_tls12;
    int ret = gnutls_priority_set(session, p);
    return ret < 0 ? ret : 0;
}

static void conn_free(tlsm_conn *c)
{
    if (c == NULL)
        return;
    if (c->session != NULL)
        gnutls_deinit(c->session);
    free(c->verify_name);
    free(c);
}

static tlsm_conn *conn_new(tlsm_ctx *ctx, int fd, const char *verify_name, const char *sni,
                           tlsm_error *e)
{
    tlsm_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_HANDSHAKE, "out of memory");
        return NULL;
    }
    c->ctx = ctx;
    c->fd = fd;
    c->plain_alert = -1;
    tlsm_error_clear(&c->verify_err);
    if (verify_name != NULL && (c->verify_name = dup_str(verify_name)) == NULL)
        goto oom;
    /* No TLS 1.2 session tickets (the OpenSSL backend sets SSL_OP_NO_TICKET), so a TLS 1.2 full
     * handshake has exactly the seed's messages; TLS 1.3 servers still send NewSessionTicket. */
    unsigned flags = (ctx->side == TLSM_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_NONBLOCK |
                     GNUTLS_NO_TICKETS_TLS12;
    int ret = gnutls_init(&c->session, flags);
    if (ret < 0)
        goto gnutls_error;
    gnutls_session_set_ptr(c->session, c);
    if ((ret = gnutls_priority_set(c->session, ctx->prio)) < 0 ||
        (ret = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, ctx->cred)) < 0)
        goto gnutls_error;
    gnutls_transport_set_ptr(c->session, c);
    gnutls_transport_set_vec_push_function(c->session, push_vector);
    gnutls_transport_set_pull_function(c->session, pull_bytes);
    gnutls_transport_set_pull_timeout_function(c->session, pull_timeout);
    gnutls_handshake_set_timeout(c->session, 0); /* our deadlines, not GnuTLS's 40 s default */
    gnutls_handshake_set_hook_function(c->session, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH,
                                       on_handshake_message);
    if (ctx->n_alpn > 0) {
        unsigned aflags = ctx->side == TLSM_SERVER
                              ? GNUTLS_ALPN_SERVER_PRECEDENCE | GNUTLS_ALPN_MANDATORY : 0;
        if ((ret = gnutls_alpn_set_protocols(c->session, ctx->alpn, ctx->n_alpn, aflags)) < 0)
            goto gnutls_error;
    }
    if (ctx->side == TLSM_CLIENT) {
        if (sni != NULL && sni[0] != '\0' &&
            (ret = gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, sni, strlen(sni))) < 0)
            goto gnutls_error;
    } else {
        gnutls_certificate_server_set_request(c->session, ctx->verify_peer ? GNUTLS_CERT_REQUIRE
                                                                           : GNUTLS_CERT_IGNORE);
        /* CA names in the CertificateRequest come from cafile/capath only, like PHP's
         * SSL_CTX_set_client_CA_list(cafile). */
        gnutls_certificate_send_x509_rdn_sequence(c->session, !ctx->have_client_ca_names);
        gnutls_handshake_set_post_client_hello_function(c->session, on_client_hello);
        if ((ret = gnutls_session_ticket_enable_server(c->session, &ctx->ticket_key)) < 0)
            goto gnutls_error;
    }
    return c;
gnutls_error:
    fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_HANDSHAKE, ret, "cannot set up the session");
    conn_free(c);
    return NULL;
oom:
    tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_HANDSHAKE, "out of memory");
    conn_free(c);
    return NULL;
}

/* The first bytes from the peer are not a TLS record header (content type 20-24, major version
 * 3) nor an SSLv2-framed ClientHello: the peer speaks something else (SMTP banner, HTTP, ...). */
static int peer_spoke_plaintext(const tlsm_conn *c)
{
    if (c->n_first_bytes == 0)
        return 0;
    unsigned char b0 = c->first_bytes[0];
    if (b0 & 0x80)
        return c->ctx->side == TLSM_CLIENT; /* SSLv2 framing: only a ClientHello is plausible */
    if (b0 < 20 || b0 > 24)
        return 1;
    return c->n_first_bytes >= 2 && c->first_bytes[1] != 3;
}

static int is_transport_error(int ret)
{
    return ret == GNUTLS_E_PULL_ERROR || ret == GNUTLS_E_PUSH_ERROR;
}

static int fail_transport(tlsm_conn *c, int ret, tlsm_stage stage, tlsm_error *e)
{
    int err = c->last_errno;
    if (err == ECONNRESET || err == EPIPE)
        return tlsm_fail(e, TLSM_E_IO_RESET, stage, "connection reset by peer (%s)",
                         strerror(err));
    tlsm_fail(e, TLSM_E_IO_FAILED, stage, "socket error: %s", err ? strerror(err) : "?");
    append_gnutls_error(e, ret);
    return -1;
}

/* Our write failed because the peer closed (it rejected us and went away while we were still
 * sending our flight). If its alert is still in our receive queue and in plaintext (TLS <= 1.2
 * before ChangeCipherSpec), report that alert: it says why, the reset does not. */
static int salvage_plaintext_alert(tlsm_conn *c, tlsm_error *e)
{
    if (c->rec_in.lost || c->rec_in.header_len != 0 || c->rec_in.body_left != 0)
        return 0; /* not at a record boundary */
    unsigned char rec[7];
    ssize_t n = recv(c->fd, rec, sizeof rec, MSG_DONTWAIT);
    if (n != (ssize_t)sizeof rec || rec[0] != 21 || rec[1] != 3 || rec[3] != 0 || rec[4] != 2 ||
        rec[5] != GNUTLS_AL_FATAL)
        return 0;
    char buf[32];
    tlsm_fail(e, tlsm_alert_class(rec[6]), TLSM_STAGE_HANDSHAKE,
              "received alert %s (read after our write failed: %s)",
              tlsm_alert_name(rec[6], buf, sizeof buf), strerror(c->last_errno));
    return 1;
}

static int fail_alert_received(tlsm_conn *c, int ret, tlsm_stage stage, tlsm_error *e)
{
    int desc = (int)gnutls_alert_get(c->session);
    char buf[32];
    tlsm_fail(e, tlsm_alert_class(desc), stage, "received alert %s",
              tlsm_alert_name(desc, buf, sizeof buf));
    append_gnutls_error(e, ret);
    return -1;
}

/* The alert an OpenSSL 3.0 peer would send for the same failure, so both libraries' peers see
 * the same class; GnuTLS's own mapping (gnutls_error_to_alert) for the rest. */
static gnutls_alert_description_t alert_for_failure(tlsm_conn *c, tlsm_class cls, int ret)
{
    switch (cls) {
    case TLSM_E_TLS_CERT_REQUIRED:
        return gnutls_protocol_get_version(c->session) == GNUTLS_TLS1_3
                   ? GNUTLS_A_CERTIFICATE_REQUIRED : GNUTLS_A_HANDSHAKE_FAILURE;
    case TLSM_E_TLS_PROTOCOL_VERSION: return GNUTLS_A_PROTOCOL_VERSION;
    case TLSM_E_TLS_NO_SHARED_CIPHER: return GNUTLS_A_HANDSHAKE_FAILURE;
    case TLSM_E_TLS_ALPN_MISMATCH: return GNUTLS_A_NO_APPLICATION_PROTOCOL;
    default: break;
    }
    int desc = gnutls_error_to_alert(ret, NULL);
    return desc >= 0 ? (gnutls_alert_description_t)desc : GNUTLS_A_INTERNAL_ERROR;
}

/* Classifies a failed handshake and tells the peer why when the failure is ours. */
static int fail_handshake(tlsm_conn *c, int ret, tlsm_error *e)
{
    if (c->verify_failed) {
        tlsm_fail(e, c->verify_err.cls, TLSM_STAGE_VERIFY, "%s", c->verify_err.detail);
        send_alert(c, alert_for_verify_class(c->verify_err.cls));
        return -1;
    }
    if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
        return fail_alert_received(c, ret, TLSM_STAGE_HANDSHAKE, e);
    if (c->plain_alert >= 0) {
        /* The peer sent a fatal alert in plaintext where GnuTLS expected an encrypted record
         * (an OpenSSL TLS 1.3 client rejecting our certificate has not switched to its
         * handshake keys yet), so GnuTLS reports a decryption failure: the alert says why. */
        char buf[32];
        tlsm_fail(e, tlsm_alert_class(c->plain_alert), TLSM_STAGE_HANDSHAKE,
                  "received alert %s (in plaintext)", tlsm_alert_name(c->plain_alert, buf, sizeof buf));
        append_gnutls_error(e, ret);
        return -1;
    }
    if (is_transport_error(ret)) {
        if (salvage_plaintext_alert(c, e))
            return -1;
        return fail_transport(c, ret, TLSM_STAGE_HANDSHAKE, e);
    }
    if (peer_spoke_plaintext(c)) {
        char shown[4 * sizeof c->first_bytes + 1];
        size_t k = 0;
        for (size_t i = 0; i < c->n_first_bytes; i++) {
            unsigned char ch = c->first_bytes[i];
            if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
                shown[k++] = (char)ch;
            else
                k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02X", ch);
        }
        shown[k] = '\0';
        tlsm_fail(e, TLSM_E_TLS_NOT_TLS, TLSM_STAGE_HANDSHAKE,
                  "the peer does not speak TLS: its first bytes are \"%s\"", shown);
        append_gnutls_error(e, ret);
        send_alert(c, GNUTLS_A_PROTOCOL_VERSION); /* what OpenSSL sends on "wrong version number" */
        return -1;
    }
    if (ret == GNUTLS_E_PREMATURE_TERMINATION) {
        tlsm_fail(e, TLSM_E_IO_TRUNCATED, TLSM_STAGE_HANDSHAKE,
                  "peer closed the connection during the handshake");
        append_gnutls_error(e, ret);
        return -1;
    }
    tlsm_class cls;
    int versions_disjoint = c->ctx->side == TLSM_SERVER && c->client_versions != 0 &&
                            (c->client_versions & c->ctx->version_mask) == 0;
    switch (versions_disjoint ? GNUTLS_E_UNSUPPORTED_VERSION_PACKET : ret) {
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET: cls = TLSM_E_TLS_PROTOCOL_VERSION; break;
    case GNUTLS_E_NO_CIPHER_SUITES:
    case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
    case GNUTLS_E_NO_COMMON_KEY_SHARE:
    case GNUTLS_E_INSUFFICIENT_CREDENTIALS: cls = TLSM_E_TLS_NO_SHARED_CIPHER; break;
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
    case GNUTLS_E_CERTIFICATE_REQUIRED: cls = TLSM_E_TLS_CERT_REQUIRED; break;
    case GNUTLS_E_NO_APPLICATION_PROTOCOL: cls = TLSM_E_TLS_ALPN_MISMATCH; break;
    default: cls = TLSM_E_TLS_HANDSHAKE_FAILURE; break;
    }
    if (versions_disjoint)
        tlsm_fail(e, cls, TLSM_STAGE_HANDSHAKE,
                  "the client offers no protocol version this server allows");
    else
        tlsm_fail(e, cls, TLSM_STAGE_HANDSHAKE, "handshake failed");
    append_gnutls_error(e, ret);
    send_alert(c, alert_for_failure(c, cls, ret));
    return -1;
}

static int run_handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        int ret = gnutls_handshake(c->session);
        if (ret == GNUTLS_E_SUCCESS)
            return 0;
        if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED ||
            (ret < 0 && !gnutls_error_is_fatal(ret) && ret != GNUTLS_E_WARNING_ALERT_RECEIVED)) {
            if (ret == GNUTLS_E_AGAIN && wait_io(c, deadline_ms, TLSM_STAGE_HANDSHAKE, "handshake",
                                                 e) < 0)
                return -1;
            continue;
        }
        if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED &&
            gnutls_alert_get(c->session) == GNUTLS_A_CLOSE_NOTIFY)
            return tlsm_fail(e, TLSM_E_TLS_ALERT, TLSM_STAGE_HANDSHAKE,
                             "received alert close_notify during the handshake");
        if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
            continue; /* e.g. unrecognized_name: OpenSSL goes on too */
        return fail_handshake(c, ret, e);
    }
}

static int handshake(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    if (c->ctx->no_usable_version) {
        /* As OpenSSL does: a plaintext protocol_version alert instead of any hello. */
        tlsm_fail(e, TLSM_E_TLS_PROTOCOL_VERSION, TLSM_STAGE_HANDSHAKE, "%s",
                  c->ctx->no_version_reason);
        send_alert(c, GNUTLS_A_PROTOCOL_VERSION);
        return -1;
    }
    return run_handshake(c, deadline_ms, e);
}

/* ------------------------------------------------------------------------------------------ */
/* Application data                                                                           */

static long conn_read(tlsm_conn *c, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        ssize_t n = gnutls_record_recv(c->session, buf, len);
        if (n >= 0)
            return (long)n; /* 0 = close_notify */
        int ret = (int)n;
        switch (ret) {
        case GNUTLS_E_AGAIN:
            if (wait_io(c, deadline_ms, TLSM_STAGE_IO, "read", e) < 0)
                return -1;
            continue;
        case GNUTLS_E_INTERRUPTED:
        case GNUTLS_E_WARNING_ALERT_RECEIVED: /* warnings do not end the connection */
            continue;
        case GNUTLS_E_REHANDSHAKE:
            /* Client: a TLS 1.2 HelloRequest; OpenSSL clients renegotiate, so do we. Server: a
             * client-initiated renegotiation, which OpenSSL 3.0 servers refuse by default. */
            if (c->ctx->side == TLSM_CLIENT) {
                if (run_handshake(c, deadline_ms, e) < 0)
                    return -1;
            } else {
                gnutls_alert_send(c->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
            }
            continue;
        case GNUTLS_E_FATAL_ALERT_RECEIVED:
            return fail_alert_received(c, ret, TLSM_STAGE_IO, e);
        case GNUTLS_E_PREMATURE_TERMINATION:
            tlsm_fail(e, TLSM_E_IO_TRUNCATED, TLSM_STAGE_IO,
                      "the peer closed the connection without close_notify");
            append_gnutls_error(e, ret);
            return -1;
        case GNUTLS_E_PULL_ERROR:
        case GNUTLS_E_PUSH_ERROR:
            return fail_transport(c, ret, TLSM_STAGE_IO, e);
        default:
            if (!gnutls_error_is_fatal(ret))
                continue;
            tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "read failed");
            append_gnutls_error(e, ret);
            return -1;
        }
    }
}

static long conn_write(tlsm_conn *c, const void *buf, size_t len, int64_t deadline_ms,
                       tlsm_error *e)
{
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        /* After GNUTLS_E_AGAIN the same data must be passed again; we do. */
        ssize_t n = gnutls_record_send(c->session, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        int ret = (int)n;
        if (ret == GNUTLS_E_AGAIN) {
            if (wait_io(c, deadline_ms, TLSM_STAGE_IO, "write", e) < 0)
                return -1;
            continue;
        }
        if (ret == GNUTLS_E_INTERRUPTED)
            continue;
        if (is_transport_error(ret))
            return fail_transport(c, ret, TLSM_STAGE_IO, e);
        tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "write failed");
        append_gnutls_error(e, ret);
        return -1;
    }
    return (long)len;
}

static int conn_shutdown(tlsm_conn *c, int64_t deadline_ms, tlsm_error *e)
{
    if (c->sent_close_notify)
        return 0;
    for (;;) {
        int ret = gnutls_bye(c->session, GNUTLS_SHUT_WR);
        if (ret == GNUTLS_E_SUCCESS) {
            c->sent_close_notify = 1;
            return 0;
        }
        if (ret == GNUTLS_E_AGAIN) {
            if (wait_io(c, deadline_ms, TLSM_STAGE_CLOSE, "close_notify", e) < 0)
                return -1;
            continue;
        }
        if (ret == GNUTLS_E_INTERRUPTED)
            continue;
        c->sent_close_notify = 1; /* once, even when it failed */
        if (is_transport_error(ret))
            return fail_transport(c, ret, TLSM_STAGE_CLOSE, e);
        tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_CLOSE, "close_notify failed");
        append_gnutls_error(e, ret);
        return -1;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* describe()                                                                                 */

static void format_sans(gnutls_x509_crt_t crt, tlsm_session_info *out)
{
    for (unsigned i = 0; out->n_peer_sans < TLSM_MAX_SANS; i++) {
        unsigned char san[TLSM_SAN_MAX - 8]; /* room for the "DNS:" prefix in the record */
        size_t size = sizeof san - 1;
        unsigned critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type < 0)
            continue;
        char *dst = out->peer_sans[out->n_peer_sans];
        if (type == GNUTLS_SAN_DNSNAME) {
            for (size_t k = 0; k < size; k++) /* as the OpenSSL backend prints them */
                if (san[k] < 0x20 || san[k] > 0x7e)
                    san[k] = '?';
            san[size] = '\0';
            snprintf(dst, TLSM_SAN_MAX, "DNS:%s", (const char *)san);
        } else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(size == 4 ? AF_INET : AF_INET6, san, text, sizeof text) == NULL)
                continue;
            snprintf(dst, TLSM_SAN_MAX, "IP:%s", text);
        } else {
            continue; /* only DNS and IP names are part of the record */
        }
        out->n_peer_sans++;
    }
}

static char *der_to_pem(const gnutls_datum_t *der)
{
    gnutls_datum_t pem = {NULL, 0};
    if (gnutls_pem_base64_encode2("CERTIFICATE", der, &pem) < 0)
        return NULL;
    char *copy = malloc(pem.size + 1);
    if (copy != NULL) {
        memcpy(copy, pem.data, pem.size);
        copy[pem.size] = '\0';
    }
    gnutls_free(pem.data);
    return copy;
}

static void describe(tlsm_conn *c, tlsm_session_info *out)
{
    tlsm_session_info_clear(out);
    gnutls_session_t s = c->session;
    /* Before a ServerHello GnuTLS reports a provisional version (the highest enabled) and no
     * suite: both are reported only once they were actually negotiated. */
    if (c->saw_server_hello) {
        out->version = version_from_gnutls(gnutls_protocol_get_version(s));
        negotiated_suite_name(s, out->cipher, sizeof out->cipher);
    }

    gnutls_datum_t alpn;
    if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0) {
        size_t n = alpn.size < sizeof out->alpn - 1 ? alpn.size : sizeof out->alpn - 1;
        memcpy(out->alpn, alpn.data, n);
        out->alpn[n] = '\0';
    }
    if (c->ctx->side == TLSM_SERVER) {
        size_t size = sizeof out->sni;
        unsigned type = 0;
        if (gnutls_server_name_get(s, out->sni, &size, &type, 0) != 0 || type != GNUTLS_NAME_DNS)
            out->sni[0] = '\0';
    }
    unsigned n = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(s, &n);
    if (der == NULL || n == 0)
        return;
    gnutls_x509_crt_t leaf;
    if (gnutls_x509_crt_init(&leaf) < 0)
        return;
    if (gnutls_x509_crt_import(leaf, &der[0], GNUTLS_X509_FMT_DER) == 0) {
        format_subject(leaf, out->peer_subject, sizeof out->peer_subject);
        format_sans(leaf, out);
        if (c->ctx->capture_peer_cert)
            out->peer_cert_pem = der_to_pem(&der[0]);
    }
    gnutls_x509_crt_deinit(leaf);
}

static const tlsm_transcript *transcript(const tlsm_conn *c)
{
    return &c->transcript;
}

/* ------------------------------------------------------------------------------------------ */
/* Library                                                                                    */

static char version_text[64];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void make_version_text(void)
{
    snprintf(version_text, sizeof version_text, "GnuTLS %s", gnutls_check_version(NULL));
}

static const char *lib_version(void)
{
    pthread_once(&version_once, make_version_text);
    return version_text;
}

static int global_init(tlsm_error *e)
{
    int ret = gnutls_global_init();
    if (ret < 0)
        return fail_gnutls(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, ret, "gnutls_global_init");
    return 0;
}

static void global_cleanup(void)
{
    gnutls_global_deinit();
}

const tlsm_backend tlsm_backend_gnutls = {
    .name = "gnutls",
    /* SSLv2 never, SSLv3 compiled out of Debian's 3.7 (checked at run time in ctx_new). */
    .caps = TLSM_CAP_TLS1_0 | TLSM_CAP_TLS1_1 | TLSM_CAP_TLS1_2 | TLSM_CAP_TLS1_3 |
            TLSM_CAP_ED25519 | TLSM_CAP_DER | TLSM_CAP_CAPATH,
    .lib_version = lib_version,
    .global_init = global_init,
    .global_cleanup = global_cleanup,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .conn_new = conn_new,
    .handshake = handshake,
    .read = conn_read,
    .write = conn_write,
    .shutdown = conn_shutdown,
    .describe = describe,
    .transcript = transcript,
    .conn_free = conn_free,
};
