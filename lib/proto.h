/* Application protocols spoken over a tlsm_stream. For now: echo (SMTP, IMAP and POP3 with
 * STARTTLS come with issue 5). */
#ifndef TLSM_PROTO_H
#define TLSM_PROTO_H

#include <stddef.h>

#include "errors.h"
#include "stream.h"

/* Client: sends text, reads the same number of bytes back, compares (io.mismatch). */
int tlsm_echo_client(tlsm_stream *s, const char *text, size_t len, tlsm_error *e);
/* Client over UDP: one datagram out, one back within the deadline, compared. */
int tlsm_echo_datagram(tlsm_stream *s, const char *text, size_t len, tlsm_error *e);
/* Server: echoes until the peer ends its direction. 0 on a clean end, -1 with e set. */
int tlsm_echo_serve(tlsm_stream *s, tlsm_error *e);

#endif
