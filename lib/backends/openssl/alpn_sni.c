/* The two hello extensions a context configures: ALPN (alpn_protocols in wire format; the
 * server's choice, where no overlap is fatal) and, on a server, SNI switching to the matching
 * sni_certs entry. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "internal.h"

/* "h2,http/1.1" -> "\x02h2\x08http/1.1" (RFC 7301 wire format). */
int parse_alpn(const char *text, unsigned char **wire, size_t *wire_len, tlsm_error *e)
{
    size_t len = strlen(text);
    if (len == 0)
        return 0;
    unsigned char *out = malloc(len + 1);
    if (out == NULL)
        return tlsm_fail(e, TLSM_E_INTERNAL, TLSM_STAGE_CONFIG, "out of memory");
    size_t used = 0;
    for (const char *p = text;;) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == 0 || n > 255) {
            free(out);
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "alpn_protocols \"%s\": each protocol must be 1 to 255 bytes", text);
        }
        out[used++] = (unsigned char)n;
        memcpy(out + used, p, n);
        used += n;
        if (end == NULL)
            break;
        p = end + 1;
    }
    *wire = out;
    *wire_len = used;
    return 0;
}

static int wire_list_contains(const unsigned char *list, size_t len, const unsigned char *proto,
                              size_t proto_len)
{
    for (size_t i = 0; i < len; i += 1 + (size_t)list[i])
        if (list[i] == proto_len && i + 1 + proto_len <= len && memcmp(list + i + 1, proto, proto_len) == 0)
            return 1;
    return 0;
}

/* Server: the first protocol of OUR list that the client offered. No overlap is fatal
 * (RFC 7301 §3.2: no_application_protocol), and remembered so both sides say alpn_mismatch. */
int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                   const unsigned char *in, unsigned int in_len, void *arg)
{
    (void)arg;
    tlsm_conn *c = SSL_get_app_data(ssl);
    if (c == NULL || c->ctx->alpn == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    const unsigned char *ours = c->ctx->alpn;
    for (size_t i = 0; i < c->ctx->alpn_len; i += 1 + (size_t)ours[i]) {
        if (wire_list_contains(in, in_len, ours + i + 1, ours[i])) {
            *out = ours + i + 1;
            *out_len = ours[i];
            return SSL_TLSEXT_ERR_OK;
        }
    }
    c->alpn_mismatch = 1;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Server: remembers the name the client asked for and, when sni_certs has it, switches to that
 * entry's SSL_CTX (configured like the main one, so ALPN and verification stay the same). */
int on_servername(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    (void)arg;
    tlsm_conn *c = SSL_get_app_data(ssl);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (c == NULL || name == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    copy_string(c->sni, sizeof c->sni, name, strlen(name));
    for (int i = 0; i < c->ctx->n_sni; i++) {
        if (strcasecmp(c->ctx->sni[i].name, name) == 0) {
            if (SSL_set_SSL_CTX(ssl, c->ctx->sni[i].ssl_ctx) == NULL) {
                *alert = SSL_AD_INTERNAL_ERROR;
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}
