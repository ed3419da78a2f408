/* Unit tests for protocol version names (lib/version.c): the spellings OpenSSL, GnuTLS and people
 * write must all land on the same tlsm_version, and nothing else may. */
#include "unit.h"
#include "version.h"

static void test_names(void)
{
    static const struct {
        tlsm_version v;
        const char *name;
    } rows[] = {
        {TLSM_VER_SSL2, "SSLv2"},     {TLSM_VER_SSL3, "SSLv3"},     {TLSM_VER_TLS1_0, "TLSv1.0"},
        {TLSM_VER_TLS1_1, "TLSv1.1"}, {TLSM_VER_TLS1_2, "TLSv1.2"}, {TLSM_VER_TLS1_3, "TLSv1.3"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unit_context("%s", rows[i].name);
        UNIT_EQ_STR(tlsm_version_name(rows[i].v), rows[i].name);
        /* every printed name parses back to its version */
        UNIT_EQ_INT(tlsm_version_parse(rows[i].name), rows[i].v);
    }
    unit_context(NULL);
    UNIT_CHECK(tlsm_version_name(TLSM_VER_NONE) == NULL, "TLSM_VER_NONE has no name");
    UNIT_CHECK(tlsm_version_name(TLSM_VER_COUNT) == NULL, "out of range has no name");
    UNIT_CHECK(tlsm_version_name((tlsm_version)-1) == NULL, "negative has no name");
}

static void test_accepted_spellings(void)
{
    static const struct {
        const char *text;
        tlsm_version v;
    } rows[] = {
        {"TLSv1.2", TLSM_VER_TLS1_2}, /* OpenSSL */
        {"TLS1.2", TLSM_VER_TLS1_2},  /* GnuTLS */
        {"tls1.2", TLSM_VER_TLS1_2},  {"tlsv1.2", TLSM_VER_TLS1_2}, {"TLSV1.2", TLSM_VER_TLS1_2},
        {"1.2", TLSM_VER_TLS1_2},     {"1.0", TLSM_VER_TLS1_0},     {"1.1", TLSM_VER_TLS1_1},
        {"1.3", TLSM_VER_TLS1_3},     {"TLSv1", TLSM_VER_TLS1_0},   {"tls1", TLSM_VER_TLS1_0},
        {"TLSv1.0", TLSM_VER_TLS1_0}, {"TLSv1.3", TLSM_VER_TLS1_3}, {"SSLv3", TLSM_VER_SSL3},
        {"ssl3", TLSM_VER_SSL3},      {"sslv3", TLSM_VER_SSL3},     {"SSL3", TLSM_VER_SSL3},
        {"SSLv2", TLSM_VER_SSL2},     {"ssl2", TLSM_VER_SSL2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unit_context("\"%s\"", rows[i].text);
        UNIT_EQ_INT(tlsm_version_parse(rows[i].text), rows[i].v);
    }
    unit_context(NULL);
}

static void test_rejected_spellings(void)
{
    static const char *const rows[] = {
        "",        "tls",     "ssl",     "tlsv",     "sslv",   "v1.2",   "1",     "2",
        "1.4",     "tlsv1.4", "TLSv2",   "ssl1",     "sslv4",  "ssl3.0", "SSLv2.0", "tls1.2 ",
        " tls1.2", "tls 1.2", "tls1.2x", "tlsv1.2.", "1.2.3",  "tls13",  "dtls1.2", "TLSv1_2",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unit_context("\"%s\"", rows[i]);
        UNIT_EQ_INT(tlsm_version_parse(rows[i]), -1);
    }
    unit_context(NULL);
}

UNIT_MAIN("version")
{
    test_names();
    test_accepted_spellings();
    test_rejected_spellings();
}
