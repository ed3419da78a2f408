#include "alerts.h"

#include <stdio.h>

static const struct {
    int code;
    const char *name;
} alert_names[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {21, "decryption_failed"},
    {22, "record_overflow"},
    {30, "decompression_failure"},
    {40, "handshake_failure"},
    {41, "no_certificate"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {60, "export_restriction"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {100, "no_renegotiation"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {111, "certificate_unobtainable"},
    {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"},
    {114, "bad_certificate_hash_value"},
    {115, "unknown_psk_identity"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
};

const char *tlsm_alert_name(int description, char *buf, unsigned long len)
{
    for (size_t i = 0; i < sizeof alert_names / sizeof alert_names[0]; i++)
        if (alert_names[i].code == description)
            return alert_names[i].name;
    snprintf(buf, len, "alert(%d)", description);
    return buf;
}

tlsm_class tlsm_alert_class(int description)
{
    switch (description) {
    case 42: /* bad_certificate */
    case 43: /* unsupported_certificate */
    case 44: /* certificate_revoked */
    case 45: /* certificate_expired */
    case 46: /* certificate_unknown */
    case 48: /* unknown_ca */
        return TLSM_E_TLS_CERT_REJECTED_BY_PEER;
    case 70: return TLSM_E_TLS_PROTOCOL_VERSION;
    case 116: return TLSM_E_TLS_CERT_REQUIRED;
    case 120: return TLSM_E_TLS_ALPN_MISMATCH;
    case 40: return TLSM_E_TLS_HANDSHAKE_FAILURE;
    default: return TLSM_E_TLS_ALERT;
    }
}
