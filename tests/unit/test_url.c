/* Unit tests for the transport URL grammar (lib/url.c, docs/url-grammar.md).
 *
 * One table of inputs: each row is either a valid address with the fields it must yield, or an
 * invalid one with the exact error class and a piece of text the detail must quote. Rows are
 * grouped by what they exercise; the seeds (PHP's transport page) come first. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "url.h"

#define NO_PORT (-1L)
#define C TLSM_URL_CONNECT
#define L TLSM_URL_LISTEN

typedef struct url_case {
    const char *text;
    long separate_port;
    tlsm_url_role role;
    tlsm_class expect;         /* TLSM_OK: valid */
    /* valid rows */
    tlsm_transport transport;
    int transport_explicit;
    const char *host;
    tlsm_host_kind kind;
    unsigned port;
    /* invalid rows: text the detail must contain (the offending part) */
    const char *mentions;
} url_case;

#define OK(text, sep, role, tr, expl, host, kind, port)                                          \
    {text, sep, role, TLSM_OK, TLSM_TR_##tr, expl, host, TLSM_HOST_##kind, port, NULL}
#define BAD(text, sep, role, cls, mentions)                                                      \
    {text, sep, role, TLSM_E_URL_##cls, TLSM_TR_TCP, 0, NULL, TLSM_HOST_NAME, 0, mentions}

static const url_case cases[] = {
    /* --- the seeds: PHP's stream_socket_client / fsockopen forms */
    OK("127.0.0.1", 80, C, TCP, 0, "127.0.0.1", IPV4, 80),
    OK("fe80::1", 80, C, TCP, 0, "fe80::1", IPV6, 80),
    OK("www.example.com", 80, C, TCP, 0, "www.example.com", NAME, 80),
    OK("tcp://127.0.0.1:80", NO_PORT, C, TCP, 1, "127.0.0.1", IPV4, 80),
    OK("udp://127.0.0.1:53", NO_PORT, C, UDP, 1, "127.0.0.1", IPV4, 53),
    OK("ssl://www.example.com:443", NO_PORT, C, SSL, 1, "www.example.com", NAME, 443),
    OK("sslv2://www.example.com:443", NO_PORT, C, SSLV2, 1, "www.example.com", NAME, 443),
    OK("sslv3://www.example.com:443", NO_PORT, C, SSLV3, 1, "www.example.com", NAME, 443),
    OK("tls://www.example.com:443", NO_PORT, C, TLS, 1, "www.example.com", NAME, 443),
    OK("tls://[::1]:465", NO_PORT, C, TLS, 1, "::1", IPV6, 465),

    /* --- every transport, and case-insensitive schemes (RFC 3986 §3.1) */
    OK("tlsv1.0://a.example:1", NO_PORT, C, TLSV1_0, 1, "a.example", NAME, 1),
    OK("tlsv1.1://a.example:2", NO_PORT, C, TLSV1_1, 1, "a.example", NAME, 2),
    OK("tlsv1.2://a.example:3", NO_PORT, C, TLSV1_2, 1, "a.example", NAME, 3),
    OK("tlsv1.3://a.example:4", NO_PORT, C, TLSV1_3, 1, "a.example", NAME, 4),
    OK("TCP://10.0.0.1:8080", NO_PORT, C, TCP, 1, "10.0.0.1", IPV4, 8080),
    OK("UDP://[2001:db8::53]:53", NO_PORT, C, UDP, 1, "2001:db8::53", IPV6, 53),
    OK("TLS://Mail.Example.COM:465", NO_PORT, C, TLS, 1, "Mail.Example.COM", NAME, 465),
    OK("TlSv1.2://x.example:443", NO_PORT, C, TLSV1_2, 1, "x.example", NAME, 443),
    OK("SSLv3://x.example:443", NO_PORT, C, SSLV3, 1, "x.example", NAME, 443),
    OK("tls://x.example", 443, C, TLS, 1, "x.example", NAME, 443),

    /* --- hosts */
    OK("localhost:25", NO_PORT, C, TCP, 0, "localhost", NAME, 25),
    OK("example.com.:443", NO_PORT, C, TCP, 0, "example.com.", NAME, 443),
    OK("_dmarc.example.com:53", NO_PORT, C, TCP, 0, "_dmarc.example.com", NAME, 53),
    OK("xn--bcher-kva.example:443", NO_PORT, C, TCP, 0, "xn--bcher-kva.example", NAME, 443),
    OK("123.example:1", NO_PORT, C, TCP, 0, "123.example", NAME, 1),
    OK("tls:443", NO_PORT, C, TCP, 0, "tls", NAME, 443),
    OK("255.255.255.255:9", NO_PORT, C, TCP, 0, "255.255.255.255", IPV4, 9),

    /* --- IPv6: brackets, zones, separate ports */
    OK("[fe80::1%eth0]:80", NO_PORT, C, TCP, 0, "fe80::1%eth0", IPV6, 80),
    OK("tcp://[fe80::1%25]:80", NO_PORT, C, TCP, 1, "fe80::1%25", IPV6, 80),
    OK("fe80::1%eth0", 80, C, TCP, 0, "fe80::1%eth0", IPV6, 80),
    OK("[::1]", 443, C, TCP, 0, "::1", IPV6, 443),
    OK("tls://[::1]", 443, C, TLS, 1, "::1", IPV6, 443),
    OK("::ffff:192.0.2.1", 25, C, TCP, 0, "::ffff:192.0.2.1", IPV6, 25),
    OK("[::ffff:192.0.2.1]:25", NO_PORT, C, TCP, 0, "::ffff:192.0.2.1", IPV6, 25),
    OK("[1:2:3:4:5:6:7:8]:8", NO_PORT, C, TCP, 0, "1:2:3:4:5:6:7:8", IPV6, 8),

    /* --- ports: boundaries, leading zeros, the listen role's port 0 */
    OK("x.example:1", NO_PORT, C, TCP, 0, "x.example", NAME, 1),
    OK("x.example:65535", NO_PORT, C, TCP, 0, "x.example", NAME, 65535),
    OK("x.example:00080", NO_PORT, C, TCP, 0, "x.example", NAME, 80),
    OK("x.example", 65535, C, TCP, 0, "x.example", NAME, 65535),
    OK("tcp://0.0.0.0:0", NO_PORT, L, TCP, 1, "0.0.0.0", IPV4, 0),
    OK("[::]:0", NO_PORT, L, TCP, 0, "::", IPV6, 0),
    OK("localhost", 0, L, TCP, 0, "localhost", NAME, 0),
    OK("tls://127.0.0.1:4433", NO_PORT, L, TLS, 1, "127.0.0.1", IPV4, 4433),

    /* --- url.bad_transport */
    BAD("http://x.example:1", NO_PORT, C, BAD_TRANSPORT, "\"http\""),
    BAD("tlsv1.4://x.example:1", NO_PORT, C, BAD_TRANSPORT, "\"tlsv1.4\""),
    BAD("://x.example:1", NO_PORT, C, BAD_TRANSPORT, "\"\""),
    BAD("tlsv1://x.example:1", NO_PORT, C, BAD_TRANSPORT, "\"tlsv1\""),
    BAD("tcp6://x.example:1", NO_PORT, C, BAD_TRANSPORT, "known: tcp, udp, ssl, tls, sslv2"),

    /* --- url.missing_port */
    BAD("127.0.0.1", NO_PORT, C, MISSING_PORT, "\"127.0.0.1\""),
    BAD("tcp://www.example.com", NO_PORT, C, MISSING_PORT, "\"tcp://www.example.com\""),
    BAD("tls://[::1]", NO_PORT, L, MISSING_PORT, "\"tls://[::1]\""),

    /* --- url.bad_ipv6 */
    BAD("fe80::1:80", NO_PORT, C, BAD_IPV6, "[fe80::1]:80"),
    BAD("fe80::1", NO_PORT, C, BAD_IPV6, "must be in brackets"),
    BAD("tcp://[localhost]:80", NO_PORT, C, BAD_IPV6, "\"localhost\""),
    BAD("[127.0.0.1]:80", NO_PORT, C, BAD_IPV6, "\"127.0.0.1\""),
    BAD("[fe80::zz]:80", NO_PORT, C, BAD_IPV6, "\"fe80::zz\""),
    BAD("[1:2:3:4:5:6:7:8:9]:80", NO_PORT, C, BAD_IPV6, "\"1:2:3:4:5:6:7:8:9\""),
    BAD("[fe80::1%]:80", NO_PORT, C, BAD_IPV6, "empty zone"),
    BAD("[fe80::1%e:0]:80", NO_PORT, C, BAD_IPV6, "zone"),
    BAD("a:b:c", 80, C, BAD_IPV6, "\"a:b:c\""),
    BAD("fe80::1%eth0:80", NO_PORT, C, BAD_IPV6, "[fe80::1%eth0]:80"),
    BAD("2001:db8::1:443", NO_PORT, C, BAD_IPV6, "[2001:db8::1]:443"),

    /* --- url.bad_bracket */
    BAD("[::1", 80, C, BAD_BRACKET, "\"[\""),
    BAD("::1]", 80, C, BAD_BRACKET, "\"]\""),
    BAD("tcp://[::1:80", NO_PORT, C, BAD_BRACKET, "\"tcp://[::1:80\""),
    BAD("x[::1]:80", NO_PORT, C, BAD_BRACKET, "offset 1"),
    BAD("[[::1]]:80", NO_PORT, C, BAD_BRACKET, "second \"[\""),
    BAD("[::1]]:80", NO_PORT, C, BAD_BRACKET, "stray \"]\""),

    /* --- url.bad_port */
    BAD("x.example:", NO_PORT, C, BAD_PORT, "empty port"),
    BAD("[::1]:", NO_PORT, C, BAD_PORT, "empty port"),
    BAD("x.example:0", NO_PORT, C, BAD_PORT, "\"0\""),
    BAD("x.example:65536", NO_PORT, C, BAD_PORT, "\"65536\""),
    BAD("x.example:80abc", NO_PORT, C, BAD_PORT, "\"80abc\""),
    BAD("x.example:+80", NO_PORT, C, BAD_PORT, "\"+80\""),
    BAD("x.example:-1", NO_PORT, C, BAD_PORT, "\"-1\""),
    BAD("x.example:99999999999999999999999", NO_PORT, C, BAD_PORT, "\"99999999999999999999999\""),
    BAD("x.example:0x50", NO_PORT, C, BAD_PORT, "\"0x50\""),
    BAD("x.example", 65536, C, BAD_PORT, "65536"),
    BAD("x.example", 0, C, BAD_PORT, "separate port 0"),
    BAD("[::]:0", NO_PORT, C, BAD_PORT, "listen"),

    /* --- url.trailing_junk */
    BAD("[::1]x:80", NO_PORT, C, TRAILING_JUNK, "\"x:80\""),
    BAD("[::1]:80/path", NO_PORT, C, TRAILING_JUNK, "\"/path\""),
    BAD("tcp://x.example:80/", NO_PORT, C, TRAILING_JUNK, "\"/\""),
    BAD("x.example:80?q=1", NO_PORT, C, TRAILING_JUNK, "\"?q=1\""),
    BAD("x.example/index.html", 80, C, TRAILING_JUNK, "\"/index.html\""),
    BAD("x.example:80#frag", NO_PORT, C, TRAILING_JUNK, "\"#frag\""),

    /* --- url.empty_host */
    BAD("", 80, C, EMPTY_HOST, "\"\""),
    BAD("tcp://:80", NO_PORT, C, EMPTY_HOST, "\"tcp://:80\""),
    BAD("tls://", 443, C, EMPTY_HOST, "\"tls://\""),
    BAD(":80", NO_PORT, C, EMPTY_HOST, "\":80\""),
    BAD("[]:80", NO_PORT, C, EMPTY_HOST, "\"[]:80\""),

    /* --- url.bad_host */
    BAD("999.1.1.1:80", NO_PORT, C, BAD_HOST, "\"999.1.1.1\""),
    BAD("1.2.3:80", NO_PORT, C, BAD_HOST, "\"1.2.3\""),
    BAD("1.2.3.4.:80", NO_PORT, C, BAD_HOST, "\"1.2.3.4.\""),
    BAD("01.2.3.4:80", NO_PORT, C, BAD_HOST, "\"01.2.3.4\""),
    BAD("123:80", NO_PORT, C, BAD_HOST, "\"123\""),
    BAD("example.123:80", NO_PORT, C, BAD_HOST, "\"example.123\""),
    BAD("0x7f.1:80", NO_PORT, C, BAD_HOST, "\"0x7f.1\""),
    BAD(" x.example:80", NO_PORT, C, BAD_HOST, "offset 0"),
    BAD("x.example:80 ", NO_PORT, C, BAD_HOST, "offset 12"),
    BAD("x.example\t:80", NO_PORT, C, BAD_HOST, "\"x.example\\x09:80\""),
    BAD("tcp://x.example:80\r\n", NO_PORT, C, BAD_HOST, "0x0d"),
    BAD("b\xc3\xbc" "cher.example:80", NO_PORT, C, BAD_HOST, "non-ASCII"),
    BAD("bad!host:80", NO_PORT, C, BAD_HOST, "'!' at offset 3"),
    BAD("user@x.example:80", NO_PORT, C, BAD_HOST, "'@' at offset 4"),
    BAD("x%eth0:80", NO_PORT, C, BAD_HOST, "'%' at offset 1"),
    BAD("a..b:80", NO_PORT, C, BAD_HOST, "empty label at offset 2"),
    BAD(".example.com:80", NO_PORT, C, BAD_HOST, "empty label at offset 0"),
    BAD(".", 80, C, BAD_HOST, "empty label"),
    BAD("tls:/x.example", NO_PORT, C, BAD_HOST, "\"tls:\""),
    BAD("tls:x.example:443", NO_PORT, C, BAD_HOST, "write \"tls://x.example:443\""),

    /* --- url.duplicate_port */
    BAD("x.example:80", 80, C, DUPLICATE_PORT, "\"80\""),
    BAD("[::1]:443", 443, C, DUPLICATE_PORT, "\"443\""),
    BAD("tls://x.example:1", 2, L, DUPLICATE_PORT, "2 separately"),
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* The detail quotes the whole input when it is short and plain enough to appear verbatim. */
static void check_detail_quotes_input(const char *text, const char *detail)
{
    char want[160];
    if (strlen(text) > 100 || strpbrk(text, "\"\\") != NULL)
        return;
    for (const char *c = text; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
            return;
    snprintf(want, sizeof want, "\"%s\"", text);
    UNIT_CONTAINS(detail, want);
}

static void check_case(const url_case *tc)
{
    tlsm_url u;
    tlsm_error err;
    tlsm_error_clear(&err);
    int rc = tlsm_url_parse(tc->text, tc->separate_port, tc->role, &u, &err);
    if (tc->expect == TLSM_OK) {
        if (!UNIT_CHECK(rc == 0, "rejected with %s: %s", tlsm_class_name(err.cls), err.detail))
            return;
        UNIT_EQ_INT(u.transport, tc->transport);
        UNIT_EQ_INT(u.transport_explicit, tc->transport_explicit);
        UNIT_EQ_STR(u.host, tc->host);
        UNIT_EQ_INT(u.host_kind, tc->kind);
        UNIT_EQ_INT(u.port, tc->port);
        UNIT_EQ_INT(err.cls, TLSM_OK);
        return;
    }
    if (!UNIT_CHECK(rc == -1, "accepted, expected %s", tlsm_class_name(tc->expect)))
        return;
    UNIT_EQ_STR(tlsm_class_name(err.cls), tlsm_class_name(tc->expect));
    UNIT_EQ_STR(tlsm_stage_name(err.stage), "parse");
    UNIT_CONTAINS(err.detail, tc->mentions);
    check_detail_quotes_input(tc->text, err.detail);
    UNIT_EQ_STR(u.host, ""); /* a failed parse leaves no half-filled address behind */
}

static void test_table(void)
{
    for (size_t i = 0; i < N_CASES; i++) {
        unit_context("case %zu: \"%s\" port %ld", i, cases[i].text, cases[i].separate_port);
        check_case(&cases[i]);
    }
    unit_context(NULL);
}

/* Every url.* class is exercised by at least two rows, so none is tested by accident only. */
static void test_table_covers_every_class(void)
{
    static const tlsm_class url_classes[] = {
        TLSM_E_URL_BAD_TRANSPORT, TLSM_E_URL_MISSING_PORT, TLSM_E_URL_BAD_IPV6,
        TLSM_E_URL_BAD_BRACKET,   TLSM_E_URL_BAD_PORT,     TLSM_E_URL_TRAILING_JUNK,
        TLSM_E_URL_EMPTY_HOST,    TLSM_E_URL_HOST_TOO_LONG, TLSM_E_URL_BAD_HOST,
        TLSM_E_URL_DUPLICATE_PORT,
    };
    int transports_seen[TLSM_TR_COUNT] = {0};
    for (size_t i = 0; i < N_CASES; i++)
        if (cases[i].expect == TLSM_OK)
            transports_seen[cases[i].transport] = 1;
    for (int t = 0; t < TLSM_TR_COUNT; t++)
        UNIT_CHECK(transports_seen[t], "no valid row uses transport %s", tlsm_transport_name(t));
    for (size_t c = 0; c < sizeof url_classes / sizeof url_classes[0]; c++) {
        int rows = 0;
        for (size_t i = 0; i < N_CASES; i++)
            rows += cases[i].expect == url_classes[c];
        /* host_too_long rows are built at run time in test_host_length */
        if (url_classes[c] != TLSM_E_URL_HOST_TOO_LONG)
            UNIT_CHECK(rows >= 2, "%s has %d rows", tlsm_class_name(url_classes[c]), rows);
    }
    UNIT_CHECK(N_CASES >= 60, "only %zu rows", N_CASES);
}

/* A name of exactly n characters: 63-character labels joined by dots, as RFC 1035 allows. */
static void make_host(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (i % 64 == 63) ? '.' : 'a' + (char)(i % 26);
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = 'z';
    buf[n] = '\0';
}

static void test_host_length(void)
{
    char host[400], text[420];
    tlsm_url u;
    tlsm_error err;

    make_host(host, TLSM_HOST_MAX);
    snprintf(text, sizeof text, "tls://%s:443", host);
    tlsm_error_clear(&err);
    UNIT_CHECK(tlsm_url_parse(text, NO_PORT, C, &u, &err) == 0, "253 rejected: %s", err.detail);
    UNIT_EQ_STR(u.host, host);

    make_host(host, TLSM_HOST_MAX + 1);
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse(host, 80, C, &u, &err), -1);
    UNIT_EQ_STR(tlsm_class_name(err.cls), "url.host_too_long");
    UNIT_CONTAINS(err.detail, "254");

    make_host(host, 300);
    snprintf(text, sizeof text, "tcp://%s:80", host);
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse(text, NO_PORT, C, &u, &err), -1);
    UNIT_EQ_STR(tlsm_class_name(err.cls), "url.host_too_long");
    UNIT_CONTAINS(err.detail, "300");

    /* a 64-character label is too long even in a short name */
    memset(host, 'a', 64);
    snprintf(host + 64, sizeof host - 64, ".example");
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse(host, 80, C, &u, &err), -1);
    UNIT_EQ_STR(tlsm_class_name(err.cls), "url.bad_host");
    UNIT_CONTAINS(err.detail, "64 characters");
    host[1] = '.'; /* "a." + 62 a's: fine */
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse(host, 80, C, &u, &err), 0);
}

/* A very long input is quoted in part, and the detail stays terminated inside its buffer. */
static void test_long_input_detail(void)
{
    size_t n = 100000;
    char *text = malloc(n + 1);
    if (!UNIT_CHECK(text != NULL, "malloc"))
        return;
    memset(text, 'h', n);
    memcpy(text, "http://", 7);
    text[n] = '\0';
    tlsm_url u;
    tlsm_error err;
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse(text, NO_PORT, C, &u, &err), -1);
    UNIT_EQ_STR(tlsm_class_name(err.cls), "url.bad_transport");
    UNIT_CHECK(memchr(err.detail, '\0', sizeof err.detail) != NULL, "detail not terminated");
    UNIT_CONTAINS(err.detail, "...");
    free(text);
}

static void test_transport_helpers(void)
{
    static const char *const names[TLSM_TR_COUNT] = {
        "tcp", "udp", "ssl", "tls", "sslv2", "sslv3", "tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3",
    };
    static const tlsm_version pinned[TLSM_TR_COUNT] = {
        TLSM_VER_NONE, TLSM_VER_NONE, TLSM_VER_NONE, TLSM_VER_NONE, TLSM_VER_SSL2,
        TLSM_VER_SSL3, TLSM_VER_TLS1_0, TLSM_VER_TLS1_1, TLSM_VER_TLS1_2, TLSM_VER_TLS1_3,
    };
    for (int t = 0; t < TLSM_TR_COUNT; t++) {
        unit_context("transport %d", t);
        UNIT_EQ_STR(tlsm_transport_name(t), names[t]);
        UNIT_EQ_INT(tlsm_transport_is_tls(t), t != TLSM_TR_TCP && t != TLSM_TR_UDP);
        UNIT_EQ_INT(tlsm_transport_pinned_version(t), pinned[t]);
    }
    unit_context(NULL);
    UNIT_EQ_STR(tlsm_transport_name(TLSM_TR_COUNT), "unknown");
    UNIT_EQ_STR(tlsm_transport_name((tlsm_transport)-1), "unknown");
    UNIT_EQ_INT(tlsm_transport_is_tls(TLSM_TR_COUNT), 0);
    UNIT_EQ_INT(tlsm_transport_pinned_version(TLSM_TR_COUNT), TLSM_VER_NONE);
}

/* format, then parse the output again: the same address comes back (now with an explicit scheme). */
static void test_format_round_trip(void)
{
    static const struct {
        const char *text;
        long separate_port;
        tlsm_url_role role;
        const char *formatted;
    } rows[] = {
        {"tls://[::1]:465", NO_PORT, C, "tls://[::1]:465"},
        {"127.0.0.1", 80, C, "tcp://127.0.0.1:80"},
        {"fe80::1%eth0", 80, C, "tcp://[fe80::1%eth0]:80"},
        {"www.example.com", 443, C, "tcp://www.example.com:443"},
        {"TLSv1.2://Mail.Example.COM:587", NO_PORT, C, "tlsv1.2://Mail.Example.COM:587"},
        {"udp://[2001:db8::1]:00053", NO_PORT, C, "udp://[2001:db8::1]:53"},
        {"sslv3://x.example.:65535", NO_PORT, C, "sslv3://x.example.:65535"},
        {"[::]:0", NO_PORT, L, "tcp://[::]:0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tlsm_url first, again;
        tlsm_error err;
        char buf[300];
        unit_context("format \"%s\"", rows[i].text);
        tlsm_error_clear(&err);
        if (!UNIT_EQ_INT(tlsm_url_parse(rows[i].text, rows[i].separate_port, rows[i].role, &first,
                                        &err), 0))
            continue;
        tlsm_url_format(&first, buf, sizeof buf);
        UNIT_EQ_STR(buf, rows[i].formatted);
        UNIT_EQ_INT(tlsm_url_parse(buf, NO_PORT, rows[i].role, &again, &err), 0);
        UNIT_EQ_INT(again.transport, first.transport);
        UNIT_EQ_STR(again.host, first.host);
        UNIT_EQ_INT(again.host_kind, first.host_kind);
        UNIT_EQ_INT(again.port, first.port);
        UNIT_EQ_INT(again.transport_explicit, 1);
    }
    unit_context(NULL);
}

static void test_format_small_buffers(void)
{
    tlsm_url u;
    tlsm_error err;
    char buf[8];
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse("tls://[::1]:465", NO_PORT, C, &u, &err), 0);
    memset(buf, 'X', sizeof buf);
    tlsm_url_format(&u, buf, 5);
    UNIT_EQ_STR(buf, "tls:");
    UNIT_EQ_INT(buf[5], 'X'); /* nothing written past len */
    buf[0] = 'X';
    tlsm_url_format(&u, buf, 0);
    UNIT_EQ_INT(buf[0], 'X');
    tlsm_url_format(NULL, buf, sizeof buf);
    UNIT_EQ_STR(buf, "");
    tlsm_url_format(&u, NULL, 10); /* must not crash */
}

/* NULL text, NULL out and NULL err are tolerated; an earlier error in err is not overwritten. */
static void test_null_and_error_conventions(void)
{
    tlsm_url u;
    tlsm_error err;
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse(NULL, 80, C, &u, &err), -1);
    UNIT_EQ_STR(tlsm_class_name(err.cls), "url.empty_host");
    UNIT_EQ_INT(tlsm_url_parse("x.example:80", NO_PORT, C, NULL, NULL), 0);
    UNIT_EQ_INT(tlsm_url_parse("x.example", NO_PORT, C, NULL, NULL), -1);

    tlsm_error_clear(&err);
    tlsm_fail(&err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG, "earlier");
    UNIT_EQ_INT(tlsm_url_parse("http://x", NO_PORT, C, &u, &err), -1);
    UNIT_EQ_STR(err.detail, "earlier"); /* tlsm_fail keeps the first cause */

    /* an unknown role value is treated as a client: port 0 refused */
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse("x.example:0", NO_PORT, (tlsm_url_role)7, &u, &err), -1);
    UNIT_EQ_STR(tlsm_class_name(err.cls), "url.bad_port");
    /* every negative separate port means "none" */
    tlsm_error_clear(&err);
    UNIT_EQ_INT(tlsm_url_parse("x.example:80", -2147483647L, C, &u, &err), 0);
}

/* Every prefix of every row, and every row with one byte replaced by each interesting byte, must
 * parse or fail cleanly (ASan/UBSan builds check the "cleanly"); a success must format and parse
 * back to the same address. A cheap stand-in for the fuzzer, run on every build. Only problems are
 * recorded as checks, so thousands of clean inputs do not swamp the pass count. */
static int parses_cleanly(const char *text, long separate_port, tlsm_url_role role)
{
    tlsm_url u, again;
    tlsm_error err;
    tlsm_error_clear(&err);
    if (tlsm_url_parse(text, separate_port, role, &u, &err) != 0) {
        if (strncmp(tlsm_class_name(err.cls), "url.", 4) == 0 && err.stage == TLSM_STAGE_PARSE &&
            err.detail[0] != '\0')
            return 1;
        return UNIT_CHECK(0, "\"%s\": class %s stage %s detail \"%s\"", text,
                          tlsm_class_name(err.cls), tlsm_stage_name(err.stage), err.detail);
    }
    char buf[300];
    tlsm_url_format(&u, buf, sizeof buf);
    tlsm_error_clear(&err);
    if (tlsm_url_parse(buf, NO_PORT, role, &again, &err) == 0 && strcmp(u.host, again.host) == 0 &&
        u.port == again.port && u.transport == again.transport && u.host_kind == again.host_kind)
        return 1;
    return UNIT_CHECK(0, "\"%s\" formats as \"%s\", which does not parse back the same (%s)",
                      text, buf, err.detail);
}

static void test_mutations(void)
{
    static const char interesting[] = {':', '[', ']', '/', '%', '.', '0', '9', 'a', '@', ' ',
                                       '\x01', '\x7f', '\xff', '?', '#', '-', '_'};
    char text[128];
    long inputs = 0, clean = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        size_t len = strlen(cases[i].text);
        if (len >= sizeof text)
            continue;
        for (size_t cut = 0; cut <= len; cut++, inputs++) {
            memcpy(text, cases[i].text, cut);
            text[cut] = '\0';
            clean += parses_cleanly(text, cases[i].separate_port, cases[i].role);
        }
        for (size_t at = 0; at < len; at++)
            for (size_t b = 0; b < sizeof interesting; b++, inputs++) {
                memcpy(text, cases[i].text, len + 1);
                text[at] = interesting[b];
                clean += parses_cleanly(text, cases[i].separate_port, cases[i].role);
            }
    }
    UNIT_CHECK(inputs > 10000, "only %ld mutated inputs", inputs);
    UNIT_EQ_INT(clean, inputs);
}

UNIT_MAIN("url")
{
    test_table();
    test_table_covers_every_class();
    test_host_length();
    test_long_input_detail();
    test_transport_helpers();
    test_format_round_trip();
    test_format_small_buffers();
    test_null_and_error_conventions();
    test_mutations();
}
