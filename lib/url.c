/* Transport URL parser (DESIGN §3; the grammar, its decisions and every error: docs/url-grammar.md).
 *
 *   [transport "://"] host [":" port]      or host with the port given separately.
 *
 * The parser never copies input before it has measured it: it works on (offset, length) spans of
 * the caller's string, so any input, however long or strange, costs no more than a few scans and
 * cannot overflow a buffer. Errors are reported in textual order (transport, host, port, trailing
 * text) and only then the port-presence checks (missing, duplicate), so the first thing wrong on
 * the line is the thing named. */
#include "url.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hex.h"

/* Longest textual IPv6 address (an IPv4-mapped one): "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
#define IPV6_TEXT_MAX 45
#define IPV4_TEXT_MAX 15
#define LABEL_MAX 63
#define PORT_MAX 65535UL

/* Room for quoted excerpts in a detail (TLSM_DETAIL_MAX is 512): the whole input, plus one part. */
#define QUOTED_INPUT_MAX 176
#define QUOTED_PART_MAX 96

#define PARSE_FAIL(p, cls, ...) tlsm_fail((p)->err, (cls), TLSM_STAGE_PARSE, __VA_ARGS__)

static const char *const transport_names[TLSM_TR_COUNT] = {
    [TLSM_TR_TCP] = "tcp",         [TLSM_TR_UDP] = "udp",         [TLSM_TR_SSL] = "ssl",
    [TLSM_TR_TLS] = "tls",         [TLSM_TR_SSLV2] = "sslv2",     [TLSM_TR_SSLV3] = "sslv3",
    [TLSM_TR_TLSV1_0] = "tlsv1.0", [TLSM_TR_TLSV1_1] = "tlsv1.1", [TLSM_TR_TLSV1_2] = "tlsv1.2",
    [TLSM_TR_TLSV1_3] = "tlsv1.3",
};

/* ------------------------------------------------------------ transports */

const char *tlsm_transport_name(tlsm_transport t)
{
    if ((unsigned)t >= TLSM_TR_COUNT)
        return "unknown"; /* never NULL: callers print it with %s */
    return transport_names[t];
}

int tlsm_transport_is_tls(tlsm_transport t)
{
    return (unsigned)t < TLSM_TR_COUNT && t != TLSM_TR_TCP && t != TLSM_TR_UDP;
}

tlsm_version tlsm_transport_pinned_version(tlsm_transport t)
{
    switch (t) {
    case TLSM_TR_SSLV2: return TLSM_VER_SSL2;
    case TLSM_TR_SSLV3: return TLSM_VER_SSL3;
    case TLSM_TR_TLSV1_0: return TLSM_VER_TLS1_0;
    case TLSM_TR_TLSV1_1: return TLSM_VER_TLS1_1;
    case TLSM_TR_TLSV1_2: return TLSM_VER_TLS1_2;
    case TLSM_TR_TLSV1_3: return TLSM_VER_TLS1_3;
    default: return TLSM_VER_NONE;
    }
}

/* Case-insensitive (RFC 3986 §3.1: schemes are); -1 when the name is not a transport. */
static int transport_lookup(const char *name, size_t len)
{
    for (int t = 0; t < TLSM_TR_COUNT; t++)
        if (strlen(transport_names[t]) == len && strncasecmp(transport_names[t], name, len) == 0)
            return t;
    return -1;
}

/* "tcp, udp, …" built from the table, so the message can never drift from what is accepted. */
static void known_transports(char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int t = 0; t < TLSM_TR_COUNT && used < cap; t++) {
        int n = snprintf(buf + used, cap - used, "%s%s", t ? ", " : "", transport_names[t]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ----------------------------------------------------------- formatting */

void tlsm_url_format(const tlsm_url *u, char *buf, unsigned long len)
{
    if (buf == NULL || len == 0)
        return;
    if (u == NULL) {
        buf[0] = '\0';
        return;
    }
    /* strnlen: a hand-built struct might lack the terminator; never read past the array. */
    int host_len = (int)strnlen(u->host, sizeof u->host);
    int bracket = u->host_kind == TLSM_HOST_IPV6;
    snprintf(buf, len, "%s://%s%.*s%s:%u", tlsm_transport_name(u->transport), bracket ? "[" : "",
             host_len, u->host, bracket ? "]" : "", (unsigned)u->port);
}

/* ---------------------------------------------------------- the parser */

/* A piece of the input, by position, so that messages can say where it is. */
typedef struct span {
    size_t off, len;
} span;

typedef struct parser {
    const char *in;
    size_t in_len;
    long separate_port; /* < 0: none */
    tlsm_url_role role;
    tlsm_error *err;
    char quoted_in[QUOTED_INPUT_MAX]; /* the whole input, quoted and escaped, for every message */
} parser;

/* The host[:port] part, split but not yet validated. */
typedef struct pieces {
    span host;     /* without brackets */
    int bracketed;
    size_t colons; /* in an unbracketed host: 2 or more means an IPv6 literal */
    int has_port;  /* a ':' announced a port in the URL (its text may still be empty) */
    span port;
    span junk;     /* text after the address; reported after the host and port are checked */
} pieces;

/* Writes s[0..n) as a C-style quoted string, escaping '"', '\\' and bytes outside printable ASCII,
 * so that a message shows exactly what was given. Too long: ends in `"...`. cap must be >= 8. */
static void quote(const char *s, size_t n, char *out, size_t cap)
{
    size_t used = 0, i;
    out[used++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char piece[5];
        if (c == '"' || c == '\\')
            snprintf(piece, sizeof piece, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            snprintf(piece, sizeof piece, "\\x%02x", c);
        else
            snprintf(piece, sizeof piece, "%c", c);
        size_t piece_len = strlen(piece);
        if (used + piece_len + 5 > cap) /* keep room for '"', "..." and the terminator */
            break;
        memcpy(out + used, piece, piece_len);
        used += piece_len;
    }
    out[used++] = '"';
    if (i < n) {
        memcpy(out + used, "...", 3);
        used += 3;
    }
    out[used] = '\0';
}

static void quote_span(const parser *p, span s, char *out, size_t cap)
{
    quote(p->in + s.off, s.len, out, cap);
}

static span span_between(size_t from, size_t to)
{
    span s = {from, to - from};
    return s;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 3986 §3.2: an authority ends at the first '/', '?' or '#'. */
static int ends_authority(char c)
{
    return c == '/' || c == '?' || c == '#';
}

static size_t authority_end(const parser *p, size_t from)
{
    while (from < p->in_len && !ends_authority(p->in[from]))
        from++;
    return from;
}

static size_t find_char(const parser *p, span s, char c)
{
    const char *hit = memchr(p->in + s.off, c, s.len);
    return hit ? (size_t)(hit - p->in) : s.off + s.len;
}

static size_t count_char(const parser *p, span s, char c)
{
    size_t n = 0;
    for (size_t i = s.off; i < s.off + s.len; i++)
        n += p->in[i] == c;
    return n;
}

/* Whitespace, control characters and non-ASCII bytes are never part of a valid address, and
 * trimming them silently would hide the caller's bug: reject them wherever they are. */
static int reject_odd_bytes(parser *p)
{
    for (size_t i = 0; i < p->in_len; i++) {
        unsigned char c = (unsigned char)p->in[i];
        if (c > 0x20 && c < 0x7f)
            continue;
        return PARSE_FAIL(p, TLSM_E_URL_BAD_HOST,
                          "byte 0x%02x (%s) at offset %zu in %s: addresses are printable ASCII "
                          "without spaces, and nothing is trimmed",
                          c, c == ' ' ? "space" : (c < 0x20 || c == 0x7f) ? "control" : "non-ASCII",
                          i, p->quoted_in);
    }
    return 0;
}

/* "transport://": recognised only when the input's first '/' belongs to a "://", so that a "://"
 * inside trailing text is reported as junk rather than as a strange transport.
 * Sets *rest to where host[:port] begins. */
static int parse_transport(parser *p, tlsm_url *u, size_t *rest)
{
    const char *slash = memchr(p->in, '/', p->in_len);
    size_t at = slash ? (size_t)(slash - p->in) : p->in_len;
    u->transport = TLSM_TR_TCP;
    u->transport_explicit = 0;
    *rest = 0;
    if (at == 0 || at >= p->in_len || p->in[at - 1] != ':' || at + 1 >= p->in_len ||
        p->in[at + 1] != '/')
        return 0;
    size_t name_len = at - 1;
    int t = transport_lookup(p->in, name_len);
    if (t < 0) {
        char name[QUOTED_PART_MAX], known[128];
        quote(p->in, name_len, name, sizeof name);
        known_transports(known, sizeof known);
        return PARSE_FAIL(p, TLSM_E_URL_BAD_TRANSPORT, "unknown transport %s in %s (known: %s)",
                          name, p->quoted_in, known);
    }
    u->transport = (tlsm_transport)t;
    u->transport_explicit = 1;
    *rest = at + 2;
    return 0;
}

/* "tls:/x" or "tls:host:443": a transport name written without "//". Without "://" the text is
 * host[:port], and such a host cannot be valid; say what was probably meant. "tls:443" stays
 * what it says: the host "tls", port 443. */
static int reject_transport_without_slashes(parser *p)
{
    const char *colon = memchr(p->in, ':', p->in_len);
    if (colon == NULL)
        return 0;
    size_t name_len = (size_t)(colon - p->in), after = name_len + 1;
    if (transport_lookup(p->in, name_len) < 0)
        return 0;
    int slash_next = after < p->in_len && p->in[after] == '/';
    int second_colon = memchr(p->in + after, ':', p->in_len - after) != NULL;
    if (!slash_next && !second_colon)
        return 0;
    size_t meant = after; /* what follows the slashes the writer meant to type */
    while (meant < p->in_len && p->in[meant] == '/')
        meant++;
    size_t meant_len = p->in_len - meant > 120 ? 120 : p->in_len - meant;
    return PARSE_FAIL(p, TLSM_E_URL_BAD_HOST,
                      "%s is not host[:port]: it starts with the transport \"%.*s:\" but without "
                      "\"//\" (write \"%.*s://%.*s\")",
                      p->quoted_in, (int)name_len, p->in, (int)name_len, p->in, (int)meant_len,
                      p->in + meant);
}

/* "[" v6 "]" [":" port] [junk] */
static int split_bracketed(parser *p, size_t start, pieces *pc)
{
    span rest = span_between(start, p->in_len);
    size_t close = find_char(p, rest, ']');
    if (close >= p->in_len)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_BRACKET, "\"[\" at offset %zu has no closing \"]\" in %s",
                          start, p->quoted_in);
    pc->bracketed = 1;
    pc->host = span_between(start + 1, close);
    size_t inner_open = find_char(p, pc->host, '[');
    if (inner_open < close)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_BRACKET, "second \"[\" at offset %zu in %s",
                          inner_open, p->quoted_in);
    size_t after = close + 1;
    if (after < p->in_len && p->in[after] == ':') {
        size_t end = authority_end(p, after + 1);
        pc->has_port = 1;
        pc->port = span_between(after + 1, end);
        after = end;
    }
    pc->junk = span_between(after, p->in_len);
    return 0;
}

/* host [":" port] [junk], no brackets anywhere in the authority. */
static int split_plain(parser *p, size_t start, pieces *pc)
{
    size_t end = authority_end(p, start);
    span authority = span_between(start, end);
    for (size_t i = start; i < end; i++)
        if (p->in[i] == '[' || p->in[i] == ']')
            return PARSE_FAIL(p, TLSM_E_URL_BAD_BRACKET,
                              "%s at offset %zu in %s: brackets must enclose the whole host, "
                              "as in [::1]:443",
                              p->in[i] == '[' ? "\"[\" not at the start of the host"
                                              : "\"]\" without an opening \"[\"",
                              i, p->quoted_in);
    pc->colons = count_char(p, authority, ':');
    pc->junk = span_between(end, p->in_len);
    if (pc->colons == 1) {
        size_t colon = find_char(p, authority, ':');
        pc->host = span_between(start, colon);
        pc->has_port = 1;
        pc->port = span_between(colon + 1, end);
    } else {
        pc->host = authority; /* no colon, or an unbracketed IPv6 literal */
    }
    return 0;
}

static const char not_ipv6[] = "not a valid IPv6 address";

/* Checks an IPv6 literal with an optional "%zone" (kept as written; RFC 6874's "%25" is not
 * decoded). why_invalid gets a short reason on failure. */
static int ipv6_valid(const parser *p, span host, const char **why_invalid)
{
    size_t percent = find_char(p, host, '%');
    size_t addr_len = percent - host.off;
    if (percent < host.off + host.len) {
        span zone = span_between(percent + 1, host.off + host.len);
        if (zone.len == 0) {
            *why_invalid = "empty zone after \"%\"";
            return 0;
        }
        for (size_t i = zone.off; i < zone.off + zone.len; i++) {
            char c = p->in[i];
            if (!is_alnum(c) && c != '-' && c != '.' && c != '_' && c != '~') {
                *why_invalid = "the zone may hold only letters, digits, '-', '.', '_' and '~'";
                return 0;
            }
        }
    }
    char addr[IPV6_TEXT_MAX + 1];
    struct in6_addr bin;
    if (addr_len == 0 || addr_len > IPV6_TEXT_MAX) {
        *why_invalid = not_ipv6;
        return 0;
    }
    memcpy(addr, p->in + host.off, addr_len);
    addr[addr_len] = '\0';
    if (inet_pton(AF_INET6, addr, &bin) != 1) {
        *why_invalid = not_ipv6;
        return 0;
    }
    return 1;
}

/* For the "must be in brackets" message: "fe80::1:80" (or "fe80::1%eth0:80") was most likely meant
 * as [fe80::1]:80. Returns 1 and writes that reading when there is one, else writes [host]:PORT. */
static int suggest_brackets(const parser *p, span host, char *buf, size_t cap)
{
    const char *why;
    size_t last_colon = host.off + host.len;
    while (last_colon > host.off && p->in[last_colon - 1] != ':')
        last_colon--;
    span head = span_between(host.off, last_colon > host.off ? last_colon - 1 : host.off);
    span tail = span_between(last_colon, host.off + host.len);
    int tail_is_port = tail.len > 0 && tail.len <= 5;
    for (size_t i = tail.off; i < tail.off + tail.len; i++)
        tail_is_port &= is_digit(p->in[i]);
    if (tail_is_port && ipv6_valid(p, head, &why)) {
        snprintf(buf, cap, "[%.*s]:%.*s", (int)head.len, p->in + head.off, (int)tail.len,
                 p->in + tail.off);
        return 1;
    }
    snprintf(buf, cap, "[%.*s]:PORT", (int)(host.len > 64 ? 64 : host.len), p->in + host.off);
    return 0;
}

/* Brackets or two or more colons make the host an IPv6 literal. Unbracketed, it is valid only
 * with a separate port: "fe80::1:80" cannot say where the address ends. */
static int check_ipv6(parser *p, const pieces *pc)
{
    const char *why = NULL;
    char host_q[QUOTED_PART_MAX], hint[96];
    int valid = ipv6_valid(p, pc->host, &why);
    quote_span(p, pc->host, host_q, sizeof host_q);
    if (!valid && pc->bracketed)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_IPV6, "brackets hold %s: %s%s in %s", host_q, why,
                          why == not_ipv6 ? " (brackets are for IPv6 literals only)" : "",
                          p->quoted_in);
    int port_in_url = !pc->bracketed && p->separate_port < 0 &&
                      suggest_brackets(p, pc->host, hint, sizeof hint);
    if (!valid && !port_in_url)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_IPV6,
                          "host %s has %zu colons, so it must be an IPv6 literal: %s, in %s",
                          host_q, pc->colons, why, p->quoted_in);
    if (!pc->bracketed && p->separate_port < 0)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_IPV6,
                          "IPv6 literal must be in brackets when the port is in the URL: write "
                          "%s, or give the port separately (in %s)",
                          hint, p->quoted_in);
    return 0;
}

/* WHATWG URL's rule, which resolvers follow too (inet_aton reads "123" as 0.0.0.123): a host whose
 * last label is a number is an IPv4 address, and then it must be a proper dotted quad. */
static int ends_in_number(const parser *p, span host)
{
    size_t end = host.off + host.len;
    if (end > host.off && p->in[end - 1] == '.')
        end--; /* one trailing dot does not change what the name is */
    size_t start = end;
    while (start > host.off && p->in[start - 1] != '.')
        start--;
    if (start == end)
        return 0;
    size_t i = start;
    if (end - start >= 2 && p->in[i] == '0' && (p->in[i + 1] == 'x' || p->in[i + 1] == 'X')) {
        for (i += 2; i < end && tlsm_hex_value(p->in[i]) >= 0; i++)
            ;
        return i == end;
    }
    while (i < end && is_digit(p->in[i]))
        i++;
    return i == end;
}

static int check_ipv4(parser *p, span host)
{
    char addr[IPV4_TEXT_MAX + 1];
    struct in_addr bin;
    if (host.len <= IPV4_TEXT_MAX) {
        memcpy(addr, p->in + host.off, host.len);
        addr[host.len] = '\0';
        if (inet_pton(AF_INET, addr, &bin) == 1)
            return 0;
    }
    char host_q[QUOTED_PART_MAX];
    quote_span(p, host, host_q, sizeof host_q);
    return PARSE_FAIL(p, TLSM_E_URL_BAD_HOST,
                      "host %s ends in a number, so it must be a dotted-quad IPv4 address "
                      "(four decimal parts 0-255), and it is not, in %s",
                      host_q, p->quoted_in);
}

static int is_name_char(char c)
{
    return is_alnum(c) || c == '-' || c == '_';
}

/* Letters, digits, '-', '_' in dot-separated labels of 1-63 characters; one trailing dot allowed. */
static int check_hostname(parser *p, span host)
{
    size_t label_start = host.off, end = host.off + host.len;
    for (size_t i = host.off; i <= end; i++) {
        int at_end = i == end;
        if (!at_end && is_name_char(p->in[i]))
            continue;
        if (!at_end && p->in[i] != '.')
            return PARSE_FAIL(p, TLSM_E_URL_BAD_HOST,
                              "'%c' at offset %zu is not allowed in a host name (letters, digits, "
                              "'-', '_', '.') in %s",
                              p->in[i], i, p->quoted_in);
        size_t label_len = i - label_start;
        int trailing_dot = at_end && i > host.off && p->in[i - 1] == '.' && host.len > 1;
        if (label_len == 0 && !trailing_dot)
            return PARSE_FAIL(p, TLSM_E_URL_BAD_HOST,
                              "empty label at offset %zu in host name (leading dot, \"..\" or a "
                              "lone \".\") in %s",
                              i, p->quoted_in);
        if (label_len > LABEL_MAX)
            return PARSE_FAIL(p, TLSM_E_URL_BAD_HOST,
                              "label at offset %zu is %zu characters long (at most %d) in %s",
                              label_start, label_len, LABEL_MAX, p->quoted_in);
        label_start = i + 1;
    }
    return 0;
}

static int check_host(parser *p, const pieces *pc, tlsm_url *u)
{
    if (pc->host.len == 0)
        return PARSE_FAIL(p, TLSM_E_URL_EMPTY_HOST, "empty host%s in %s",
                          pc->bracketed ? " between \"[\" and \"]\"" : "", p->quoted_in);
    if (pc->host.len > TLSM_HOST_MAX)
        return PARSE_FAIL(p, TLSM_E_URL_HOST_TOO_LONG,
                          "host at offset %zu is %zu characters long, more than %d, in %s",
                          pc->host.off, pc->host.len, TLSM_HOST_MAX, p->quoted_in);
    int rc;
    if (pc->bracketed || pc->colons >= 2) {
        u->host_kind = TLSM_HOST_IPV6;
        rc = check_ipv6(p, pc);
    } else if (ends_in_number(p, pc->host)) {
        u->host_kind = TLSM_HOST_IPV4;
        rc = check_ipv4(p, pc->host);
    } else {
        u->host_kind = TLSM_HOST_NAME;
        rc = check_hostname(p, pc->host);
    }
    if (rc == 0) {
        memcpy(u->host, p->in + pc->host.off, pc->host.len); /* len <= TLSM_HOST_MAX: fits */
        u->host[pc->host.len] = '\0';
    }
    return rc;
}

/* Digits only, no sign, no spaces; leading zeros are plain decimal (RFC 3986: port = *DIGIT). */
static int parse_url_port(parser *p, span port, unsigned long *value)
{
    char port_q[QUOTED_PART_MAX];
    quote_span(p, port, port_q, sizeof port_q);
    if (port.len == 0)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_PORT, "empty port after \":\" in %s", p->quoted_in);
    unsigned long v = 0;
    for (size_t i = port.off; i < port.off + port.len; i++) {
        if (!is_digit(p->in[i]))
            return PARSE_FAIL(p, TLSM_E_URL_BAD_PORT,
                              "port %s is not a decimal number (digits only, no sign) in %s",
                              port_q, p->quoted_in);
        if (v <= PORT_MAX) /* saturate: any longer number is out of range anyway */
            v = v * 10 + (unsigned long)(p->in[i] - '0');
    }
    if (v > PORT_MAX)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_PORT, "port %s is out of range 1-65535 in %s",
                          port_q, p->quoted_in);
    if (v == 0 && p->role != TLSM_URL_LISTEN)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_PORT,
                          "port %s: 0 (any free port) is only valid for a listen address, a "
                          "client needs 1-65535, in %s",
                          port_q, p->quoted_in);
    *value = v;
    return 0;
}

static int check_separate_port(parser *p, unsigned long *value)
{
    long v = p->separate_port;
    if (v > (long)PORT_MAX)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_PORT,
                          "separate port %ld is out of range 1-65535 (for %s)", v, p->quoted_in);
    if (v == 0 && p->role != TLSM_URL_LISTEN)
        return PARSE_FAIL(p, TLSM_E_URL_BAD_PORT,
                          "separate port 0 (any free port) is only valid for a listen address, a "
                          "client needs 1-65535 (for %s)",
                          p->quoted_in);
    *value = (unsigned long)v;
    return 0;
}

static int check_junk(parser *p, const pieces *pc)
{
    if (pc->junk.len == 0)
        return 0;
    char junk_q[QUOTED_PART_MAX];
    quote_span(p, pc->junk, junk_q, sizeof junk_q);
    char first = p->in[pc->junk.off];
    if (first == '[' || first == ']')
        return PARSE_FAIL(p, TLSM_E_URL_BAD_BRACKET, "stray \"%c\" at offset %zu in %s", first,
                          pc->junk.off, p->quoted_in);
    return PARSE_FAIL(p, TLSM_E_URL_TRAILING_JUNK,
                      "unexpected %s at offset %zu after the %s in %s (only "
                      "[transport://]host[:port], no path, query or fragment)",
                      junk_q, pc->junk.off,
                      pc->has_port ? "port" : pc->bracketed ? "\"]\"" : "host", p->quoted_in);
}

/* After the text is known to be well formed: exactly one port, from the URL or given separately. */
static int settle_port(parser *p, const pieces *pc, unsigned long url_port, tlsm_url *u)
{
    int has_separate = p->separate_port >= 0;
    unsigned long port = url_port;
    if (pc->has_port && has_separate) {
        char port_q[QUOTED_PART_MAX];
        quote_span(p, pc->port, port_q, sizeof port_q);
        return PARSE_FAIL(p, TLSM_E_URL_DUPLICATE_PORT,
                          "port given twice: %s in %s and %ld separately (give one)", port_q,
                          p->quoted_in, p->separate_port);
    }
    if (!pc->has_port && !has_separate)
        return PARSE_FAIL(p, TLSM_E_URL_MISSING_PORT,
                          "no port in %s and none given separately (write host:port, or "
                          "[v6]:port)",
                          p->quoted_in);
    if (has_separate && check_separate_port(p, &port) < 0)
        return -1;
    u->port = (uint16_t)port;
    return 0;
}

static int parse(parser *p, tlsm_url *u)
{
    size_t rest;
    pieces pc;
    unsigned long url_port = 0;
    memset(&pc, 0, sizeof pc);
    if (reject_odd_bytes(p) < 0 || parse_transport(p, u, &rest) < 0)
        return -1;
    if (!u->transport_explicit && reject_transport_without_slashes(p) < 0)
        return -1;
    if (rest < p->in_len && p->in[rest] == '[') {
        if (split_bracketed(p, rest, &pc) < 0)
            return -1;
    } else if (split_plain(p, rest, &pc) < 0) {
        return -1;
    }
    if (check_host(p, &pc, u) < 0)
        return -1;
    if (pc.has_port && parse_url_port(p, pc.port, &url_port) < 0)
        return -1;
    if (check_junk(p, &pc) < 0)
        return -1;
    return settle_port(p, &pc, url_port, u);
}

int tlsm_url_parse(const char *text, long separate_port, tlsm_url_role role, tlsm_url *out,
                   tlsm_error *err)
{
    parser p;
    tlsm_url result;
    memset(&result, 0, sizeof result);
    if (out != NULL)
        memset(out, 0, sizeof *out); /* a caller that ignores the result sees no stale address */
    if (text == NULL)
        text = ""; /* reported as an empty host */
    p.in = text;
    p.in_len = strlen(text);
    p.separate_port = separate_port < 0 ? -1 : separate_port;
    p.role = role;
    p.err = err;
    quote(text, p.in_len, p.quoted_in, sizeof p.quoted_in);
    if (parse(&p, &result) < 0)
        return -1;
    if (out != NULL)
        *out = result;
    return 0;
}
