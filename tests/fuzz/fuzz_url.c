/* libFuzzer target: the URL grammar must never crash, and what it accepts must survive a
 * format/parse round trip unchanged. Byte 0 picks the role and whether a separate port is given
 * (bytes 1-2); the rest is the URL text. */
#include <stdlib.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_round_trip(const tlsm_url *u, tlsm_url_role role)
{
    char text[600];
    tlsm_url_format(u, text, sizeof text);
    tlsm_url again;
    tlsm_error e;
    tlsm_error_clear(&e);
    if (tlsm_url_parse(text, -1, role, &again, &e) != 0 || again.port != u->port ||
        again.transport != u->transport || strcmp(again.host, u->host) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 3)
        return 0;
    tlsm_url_role role = (data[0] & 1) ? TLSM_URL_LISTEN : TLSM_URL_CONNECT;
    long separate_port = (data[0] & 2) ? (long)(data[1] << 8 | data[2]) : -1;
    char *text = malloc(size - 2);
    if (text == NULL)
        return 0;
    memcpy(text, data + 3, size - 3);
    text[size - 3] = '\0';
    tlsm_url u;
    tlsm_error e;
    tlsm_error_clear(&e);
    if (tlsm_url_parse(text, separate_port, role, &u, &e) == 0) {
        if (u.host[0] == '\0' || strlen(u.host) > TLSM_HOST_MAX || e.cls != TLSM_OK)
            abort();
        check_round_trip(&u, role);
    } else if (e.cls == TLSM_OK || e.detail[0] == '\0') {
        abort(); /* every failure is classified and explained */
    }
    free(text);
    return 0;
}
