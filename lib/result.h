/* The JSON result record (DESIGN §6, docs/result-record.md): one object per line, per connection
 * and side. Keys are stable; a value that does not apply is null, never omitted. */
#ifndef TLSM_RESULT_H
#define TLSM_RESULT_H

#include <stdio.h>

#include "backend.h"
#include "errors.h"
#include "mail.h"
#include "transcript.h"

typedef struct tlsm_record {
    const char *side;        /* "client" / "server" */
    char impl[64];           /* "reference-openssl" */
    const char *lib_version;
    char url[512];           /* normalised URL, or the raw text when it did not parse */
    const char *transport;   /* NULL when the URL did not parse */
    char id[128];            /* --batch case id, empty otherwise */
    tlsm_error err;          /* ok when err.cls == TLSM_OK */
    int tls;                 /* TLS was asked for: version/cipher/transcript apply */
    tlsm_session_info session;
    tlsm_transcript transcript;
    int close_notify;        /* -1 n/a, 0 the connection ended without the peer's, 1 received */
    tlsm_proto proto;
    int starttls;            /* a STARTTLS dialog was asked for: the "starttls" object applies */
    tlsm_mail_outcome mail;
    int local_port, peer_port;
    double ms;
} tlsm_record;

void tlsm_record_init(tlsm_record *r, const char *side, const char *impl, const char *lib_version);
void tlsm_record_clear(tlsm_record *r); /* frees what the session info holds */
/* Writes one line and flushes; safe to call from several threads (one lock). */
void tlsm_record_write(const tlsm_record *r, FILE *out);

#endif
