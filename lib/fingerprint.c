#include "fingerprint.h"

#include <string.h>
#include <strings.h>

#include "hex.h"

/* The digests both libraries compute, with their sizes; the first three are also the ones a bare
 * hex string can name by its length, as in PHP. */
static const struct {
    const char *name;
    unsigned len;
} digests[] = {
    {"md5", 16}, {"sha1", 20}, {"sha256", 32}, {"sha224", 28}, {"sha384", 48}, {"sha512", 64},
};
#define N_DIGESTS (sizeof digests / sizeof digests[0])

static int bad(tlsm_error *e, const char *text, const char *why)
{
    return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG, "peer_fingerprint \"%.100s\": %s",
                     text, why);
}

enum { NO_NAME = -1, UNKNOWN_NAME = -2 };

/* Text before the first colon that is not one hex byte ("ab:cd:…") names a digest. Returns its
 * index and sets *hex past the colon, or NO_NAME / UNKNOWN_NAME. */
static int named_digest(const char *text, const char **hex)
{
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : 0;
    if (colon == NULL ||
        (n == 2 && tlsm_hex_value(text[0]) >= 0 && tlsm_hex_value(text[1]) >= 0))
        return NO_NAME;
    for (size_t i = 0; i < N_DIGESTS; i++) {
        if (strlen(digests[i].name) == n && strncasecmp(text, digests[i].name, n) == 0) {
            *hex = colon + 1;
            return (int)i;
        }
    }
    return UNKNOWN_NAME;
}

static int read_hex(const char *hex, tlsm_fingerprint *out)
{
    out->len = 0;
    for (const char *p = hex; *p != '\0';) {
        if (*p == ':') {
            p++;
            continue;
        }
        int hi = tlsm_hex_value(p[0]), lo = hi < 0 ? -1 : tlsm_hex_value(p[1]);
        if (lo < 0 || out->len >= TLSM_FINGERPRINT_MAX)
            return -1;
        out->digest[out->len++] = (unsigned char)(hi << 4 | lo);
        p += 2;
    }
    return out->len > 0 ? 0 : -1;
}

int tlsm_fingerprint_parse(const char *text, tlsm_fingerprint *out, tlsm_error *e)
{
    memset(out, 0, sizeof *out);
    const char *hex = text;
    int which = named_digest(text, &hex);
    if (which == UNKNOWN_NAME)
        return bad(e, text, "unknown digest name (md5, sha1, sha224, sha256, sha384, sha512)");
    if (read_hex(hex, out) < 0)
        return bad(e, text, "not a hex digest");
    if (which < 0) {
        for (size_t i = 0; i < 3 && which < 0; i++)
            if (digests[i].len == out->len)
                which = (int)i;
        if (which < 0)
            return bad(e, text, "its length names no digest (32 hex digits md5, 40 sha1, 64 sha256; "
                                "or write algo:hex)");
    }
    if (digests[which].len != out->len)
        return bad(e, text, "the digest has the wrong length for its algorithm");
    memcpy(out->algo, digests[which].name, strlen(digests[which].name) + 1);
    return 0;
}
