/* Names in certificates: whether a certificate is valid for a host (DNS and IP SANs, the CN),
 * and its subject DN printed character for character as the OpenSSL backend prints it, so that
 * records agree across libraries. Used by verify.c and describe(). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

/* ------------------------------------------------------------------------------------------ */
/* Names: DNS/IP matching (RFC 6125 as DESIGN §4 words it)                                    */

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
int name_matches(gnutls_x509_crt_t crt, const char *host)
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
/* Distinguished names in OpenSSL's RFC 2253 form (XN_FLAG_RFC2253)                           */

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
void format_subject(gnutls_x509_crt_t crt, char *out, size_t len)
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
