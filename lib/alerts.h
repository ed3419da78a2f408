/* TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2) and the class a received alert maps to.
 * Shared by every backend so that "what the peer told us" is classified one way. */
#ifndef TLSM_ALERTS_H
#define TLSM_ALERTS_H

#include "errors.h"

/* "unknown_ca", … ; "alert(N)" for an unnamed value (written into buf). */
const char *tlsm_alert_name(int description, char *buf, unsigned long len);

/* The class for a fatal alert received from the peer: certificate complaints become
 * tls.cert_rejected_by_peer, protocol_version tls.protocol_version, certificate_required
 * tls.cert_required, no_application_protocol tls.alpn_mismatch, handshake_failure
 * tls.handshake_failure, anything else tls.alert (the alert's name goes into the detail). */
tlsm_class tlsm_alert_class(int description);

#endif
