/* Cipher suites: the ones both OpenSSL 3.0 and GnuTLS 3.7 implement, by OpenSSL, IANA and GnuTLS
 * names, and OpenSSL's cipher-list syntax (ciphers, ciphersuites) translated into GnuTLS
 * keywords over that table. priorities.c builds the priority strings from the result; describe()
 * names the negotiated suite from the same table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>

#include "internal.h"

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
int parse_openssl_cipher_list(const char *list, suite_selection *sel, int *seclevel,
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
int parse_tls13_suites(const char *list, suite_selection *sel, tlsm_error *e)
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

int usable_in_tls13(const char *cipher)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if ((suites[i].attrs & TLS13) && strcmp(suites[i].cipher, cipher) == 0)
            return 1;
    return 0;
}

/* The IANA name of the negotiated suite, as OpenSSL's SSL_CIPHER_standard_name spells it.
 * gnutls_ciphersuite_get() (3.7.4+) returns GnuTLS's own names for TLS <= 1.2
 * ("TLS_ECDHE_RSA_AES_128_GCM_SHA256", no "WITH"), so we go through the suite id instead. */
void negotiated_suite_name(gnutls_session_t s, char *out, size_t len)
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
