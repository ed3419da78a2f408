/* Transport URL grammar (DESIGN §3, docs/url-grammar.md):
 *   [transport "://"] host [":" port]      or host and port given separately (fsockopen style). */
#ifndef TLSM_URL_H
#define TLSM_URL_H

#include <stdint.h>

#include "errors.h"
#include "version.h"

/* RFC 1035's limit on a name's textual length. */
#define TLSM_HOST_MAX 253

typedef enum tlsm_transport {
    TLSM_TR_TCP,
    TLSM_TR_UDP,
    TLSM_TR_SSL,
    TLSM_TR_TLS,
    TLSM_TR_SSLV2,
    TLSM_TR_SSLV3,
    TLSM_TR_TLSV1_0,
    TLSM_TR_TLSV1_1,
    TLSM_TR_TLSV1_2,
    TLSM_TR_TLSV1_3,
    TLSM_TR_COUNT
} tlsm_transport;

typedef enum tlsm_host_kind { TLSM_HOST_NAME, TLSM_HOST_IPV4, TLSM_HOST_IPV6 } tlsm_host_kind;

/* Who the address is for: a client needs a real port, a listener may ask for port 0 (any). */
typedef enum tlsm_url_role { TLSM_URL_CONNECT, TLSM_URL_LISTEN } tlsm_url_role;

typedef struct tlsm_url {
    tlsm_transport transport;
    int transport_explicit;         /* 1 when "scheme://" was written */
    char host[TLSM_HOST_MAX + 1];   /* without brackets; IPv6 zone kept as "%zone" */
    tlsm_host_kind host_kind;
    uint16_t port;
} tlsm_url;

/* Parses text; separate_port < 0 means "no separate port" (the URL must carry it).
 * On failure returns -1 and fills err with a url.* class (stage parse) naming the bad part. */
int tlsm_url_parse(const char *text, long separate_port, tlsm_url_role role, tlsm_url *out,
                   tlsm_error *err);

const char *tlsm_transport_name(tlsm_transport t);
int tlsm_transport_is_tls(tlsm_transport t);
/* The single version a tlsvX.Y:// / sslvN:// transport pins; TLSM_VER_NONE for tcp, udp, ssl, tls. */
tlsm_version tlsm_transport_pinned_version(tlsm_transport t);

/* Writes "transport://host:port" with brackets around IPv6 hosts. */
void tlsm_url_format(const tlsm_url *u, char *buf, unsigned long len);

#endif
