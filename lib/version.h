/* Protocol versions, named the same way for every library. */
#ifndef TLSM_VERSION_H
#define TLSM_VERSION_H

typedef enum tlsm_version {
    TLSM_VER_NONE = 0, /* not pinned / not negotiated / library default */
    TLSM_VER_SSL2,
    TLSM_VER_SSL3,
    TLSM_VER_TLS1_0,
    TLSM_VER_TLS1_1,
    TLSM_VER_TLS1_2,
    TLSM_VER_TLS1_3,
    TLSM_VER_COUNT
} tlsm_version;

/* "SSLv2", "SSLv3", "TLSv1.0" … "TLSv1.3"; NULL for TLSM_VER_NONE. */
const char *tlsm_version_name(tlsm_version v);
/* Accepts "TLSv1.2", "tlsv1.2", "tls1.2", "1.2", "SSLv3", "ssl3"; returns -1 when unknown. */
int tlsm_version_parse(const char *text);

#endif
