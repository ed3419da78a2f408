/* Error classes: one name per class, lookups both ways, first failure wins. */
#include <string.h>

#include "alerts.h"
#include "errors.h"
#include "unit.h"

static void test_names_are_unique_and_dotted(void)
{
    for (int i = 0; i < TLSM_CLASS_COUNT; i++) {
        const char *name = tlsm_class_name((tlsm_class)i);
        unit_context("%s", name);
        UNIT_EQ_INT(tlsm_class_from_name(name), i);
        if (i != TLSM_OK && i != TLSM_E_INTERNAL)
            UNIT_CHECK(strchr(name, '.') != NULL, "class %s has a dotted name", name);
    }
    unit_context(NULL);
    UNIT_EQ_INT(tlsm_class_from_name("tls.no_such_class"), -1);
    UNIT_EQ_STR(tlsm_class_name((tlsm_class)TLSM_CLASS_COUNT), "internal");
    UNIT_EQ_STR(tlsm_stage_name(TLSM_STAGE_VERIFY), "verify");
}

static void test_first_failure_wins(void)
{
    tlsm_error e;
    tlsm_error_clear(&e);
    UNIT_EQ_INT(tlsm_fail(&e, TLSM_E_TLS_CERT_EXPIRED, TLSM_STAGE_VERIFY, "leaf %s", "expired"), -1);
    tlsm_fail(&e, TLSM_E_IO_RESET, TLSM_STAGE_IO, "later");
    UNIT_EQ_INT(e.cls, TLSM_E_TLS_CERT_EXPIRED);
    UNIT_EQ_STR(e.detail, "leaf expired");
    tlsm_error_append(&e, "depth %d", 0);
    UNIT_EQ_STR(e.detail, "leaf expired; depth 0");
    tlsm_fail_replace(&e, TLSM_E_IO_RESET, TLSM_STAGE_IO, "replaced");
    UNIT_EQ_INT(e.cls, TLSM_E_IO_RESET);
}

static void test_append_truncates_safely(void)
{
    tlsm_error e;
    tlsm_error_clear(&e);
    for (int i = 0; i < 100; i++)
        tlsm_error_append(&e, "0123456789");
    UNIT_CHECK(strlen(e.detail) < TLSM_DETAIL_MAX, "detail stays inside its buffer");
}

static void test_alerts_map_to_classes(void)
{
    char buf[32];
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(48)), "tls.cert_rejected_by_peer");
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(42)), "tls.cert_rejected_by_peer");
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(70)), "tls.protocol_version");
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(116)), "tls.cert_required");
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(120)), "tls.alpn_mismatch");
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(40)), "tls.handshake_failure");
    UNIT_EQ_STR(tlsm_class_name(tlsm_alert_class(80)), "tls.alert");
    UNIT_EQ_STR(tlsm_alert_name(48, buf, sizeof buf), "unknown_ca");
    UNIT_EQ_STR(tlsm_alert_name(250, buf, sizeof buf), "alert(250)");
}

UNIT_MAIN("errors")
{
    test_names_are_unique_and_dotted();
    test_first_failure_wins();
    test_append_truncates_safely();
    test_alerts_map_to_classes();
}
