#include "version.h"

#include <string.h>
#include <strings.h>

static const char *const version_names[TLSM_VER_COUNT] = {
    NULL, "SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3",
};

const char *tlsm_version_name(tlsm_version v)
{
    if ((unsigned)v >= TLSM_VER_COUNT)
        return NULL;
    return version_names[v];
}

/* Spellings people write: "TLSv1.2" (OpenSSL), "TLS1.2" (GnuTLS), "tls1.2", "1.2", "SSLv3", "ssl3". */
int tlsm_version_parse(const char *text)
{
    static const struct { const char *number; tlsm_version v; } tls[] = {
        {"1.0", TLSM_VER_TLS1_0}, {"1", TLSM_VER_TLS1_0}, {"1.1", TLSM_VER_TLS1_1},
        {"1.2", TLSM_VER_TLS1_2}, {"1.3", TLSM_VER_TLS1_3},
    };
    if (text == NULL)
        return -1;
    const char *rest = text;
    int is_ssl = 0;
    if (strncasecmp(rest, "tls", 3) == 0) {
        rest += 3;
    } else if (strncasecmp(rest, "ssl", 3) == 0) {
        rest += 3;
        is_ssl = 1;
    }
    if (rest != text && (*rest == 'v' || *rest == 'V'))
        rest++;
    if (is_ssl) {
        if (strcmp(rest, "2") == 0)
            return TLSM_VER_SSL2;
        if (strcmp(rest, "3") == 0)
            return TLSM_VER_SSL3;
        return -1;
    }
    for (size_t i = 0; i < sizeof tls / sizeof tls[0]; i++)
        if (strcmp(rest, tls[i].number) == 0 && (rest != text || strchr(rest, '.') != NULL))
            return (int)tls[i].v;
    return -1;
}
