/* Protocol versions, OpenSSL's security levels and the GnuTLS priority strings made of them and
 * of the translated cipher options. One file because a priority string is where they meet:
 * version_map and levels[] give both the checks and the keywords of the string.
 * The cipher options themselves are parsed in ciphers.c. */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

/* security_level when the option is not given. -1 keeps GnuTLS's own default policy ("NORMAL":
 * TLS 1.0/1.1 on, RSA-1024 accepted), which is what a GnuTLS application gets; 2 would make the
 * GnuTLS backend behave like OpenSSL 3.0's default level instead. See docs/backend-gnutls.md. */
#define DEFAULT_SECURITY_LEVEL (-1)

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

tlsm_version version_from_gnutls(gnutls_protocol_t p)
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

/* credentials.c checks our keys against the level; the table stays here with its keywords. */
gnutls_sec_param_t security_level_key_param(int level)
{
    return levels[level].key_param;
}

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
int setup_priorities(tlsm_ctx *ctx, const tlsm_options *o, tlsm_version pinned,
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
