/* SMTP (RFC 5321, STARTTLS RFC 3207), IMAP (RFC 9051) and POP3 (RFC 1939, STLS RFC 2595), each
 * with implicit TLS (RFC 8314) or plaintext upgraded by STARTTLS. The reference server and client
 * dialogs; the attack checks in the harness judge other implementations against the same rules:
 *  - after STARTTLS, plaintext read ahead is discarded (command injection, RFC 3207 §4.2);
 *  - a client discards plaintext that came with the STARTTLS reply (response injection);
 *  - a client that requires TLS refuses to go on when STARTTLS is not offered (stripping). */
#ifndef TLSM_MAIL_H
#define TLSM_MAIL_H

#include "errors.h"
#include "stream.h"

typedef enum tlsm_proto { TLSM_PROTO_ECHO, TLSM_PROTO_SMTP, TLSM_PROTO_IMAP, TLSM_PROTO_POP3 } tlsm_proto;

/* "echo", "smtp", "imap", "pop3"; -1 when unknown. */
int tlsm_proto_parse(const char *name);
const char *tlsm_proto_name(tlsm_proto p);

/* Starts TLS on the stream (conn_new + handshake), called by the dialog at the upgrade point. */
typedef int (*tlsm_upgrade_fn)(void *arg, tlsm_stream *s, tlsm_error *e);

typedef enum tlsm_starttls_policy {
    TLSM_STARTTLS_NONE,     /* server: don't offer; client: implicit TLS or plain, no upgrade */
    TLSM_STARTTLS_OFFER,    /* server: offer and accept. client: require it (refuse stripping) */
    TLSM_STARTTLS_REFUSE,   /* server: offer, then refuse (SMTP 454, IMAP NO, POP3 -ERR) */
    TLSM_STARTTLS_OPPORTUNISTIC, /* client: upgrade when offered, go on in plaintext otherwise */
} tlsm_starttls_policy;

typedef struct tlsm_mail_config {
    tlsm_proto proto;
    tlsm_starttls_policy starttls;
    tlsm_upgrade_fn upgrade;
    void *upgrade_arg;
} tlsm_mail_config;

typedef struct tlsm_mail_outcome {
    int offered;     /* client: the server offered STARTTLS (-1 not asked) */
    int upgraded;    /* STARTTLS completed with a handshake */
    long discarded;  /* plaintext bytes dropped at the upgrade (-1: no upgrade) */
    int quit;        /* the dialog ended with QUIT / LOGOUT */
} tlsm_mail_outcome;

void tlsm_mail_outcome_init(tlsm_mail_outcome *o);

/* Server: greeting, commands, STARTTLS, until QUIT/LOGOUT or the peer's end. 0 or -1 (e set). */
int tlsm_mail_serve(tlsm_stream *s, const tlsm_mail_config *cfg, tlsm_mail_outcome *out,
                    tlsm_error *e);
/* Client: greeting, capabilities, STARTTLS per policy, capabilities again over TLS, quit. */
int tlsm_mail_client(tlsm_stream *s, const tlsm_mail_config *cfg, tlsm_mail_outcome *out,
                     tlsm_error *e);

#endif
