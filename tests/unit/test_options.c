/* Context options: PHP 8 defaults, value parsing, side applicability, aliases. */
#include "options.h"
#include "unit.h"

static void test_defaults_follow_php(void)
{
    tlsm_options o;
    tlsm_options_init(&o);
    UNIT_EQ_INT(tlsm_options_verify_peer(&o, TLSM_CLIENT), 1);
    UNIT_EQ_INT(tlsm_options_verify_peer(&o, TLSM_SERVER), 0);
    UNIT_EQ_INT(tlsm_options_verify_peer_name(&o, TLSM_CLIENT), 1);
    UNIT_EQ_INT(tlsm_options_verify_peer_name(&o, TLSM_SERVER), 0);
    UNIT_EQ_INT(o.allow_self_signed, 0);
    UNIT_EQ_INT(o.verify_depth, 9);
    UNIT_EQ_INT(o.sni_enabled, 1);
    UNIT_EQ_INT(o.security_level, -1);
    UNIT_CHECK(o.cafile == NULL && o.peer_name == NULL, "string options start unset");
    tlsm_options_free(&o);
}

static int set(tlsm_options *o, tlsm_side side, const char *assignment, tlsm_error *e)
{
    tlsm_error_clear(e);
    return tlsm_options_set(o, side, assignment, e);
}

static void test_values_are_parsed(void)
{
    tlsm_options o;
    tlsm_error e;
    tlsm_options_init(&o);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "verify_peer=false", &e), 0);
    UNIT_EQ_INT(tlsm_options_verify_peer(&o, TLSM_CLIENT), 0);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "verify_peer_name=No", &e), 0);
    UNIT_EQ_INT(tlsm_options_verify_peer_name(&o, TLSM_CLIENT), 0);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "verify_depth=3", &e), 0);
    UNIT_EQ_INT(o.verify_depth, 3);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "cafile=/tmp/ca.pem", &e), 0);
    UNIT_EQ_STR(o.cafile, "/tmp/ca.pem");
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "cafile=/tmp/other.pem", &e), 0); /* last one wins */
    UNIT_EQ_STR(o.cafile, "/tmp/other.pem");
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "min_proto_version=TLSv1.2", &e), 0);
    UNIT_EQ_INT(o.min_version, TLSM_VER_TLS1_2);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "max_proto_version=tls1.3", &e), 0);
    UNIT_EQ_INT(o.max_version, TLSM_VER_TLS1_3);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "verify_time=1700000000", &e), 0);
    UNIT_EQ_INT(o.verify_time, 1700000000LL);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "alpn_protocols=h2,http/1.1", &e), 0);
    UNIT_EQ_STR(o.alpn_protocols, "h2,http/1.1");
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "peer_fingerprint=sha256:ab=cd", &e), 0); /* '=' in value */
    UNIT_EQ_STR(o.peer_fingerprint, "sha256:ab=cd");
    tlsm_options_free(&o);
}

static void test_cn_match_is_an_alias_of_peer_name(void)
{
    tlsm_options o;
    tlsm_error e;
    tlsm_options_init(&o);
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "CN_match=legacy.test", &e), 0);
    UNIT_EQ_STR(o.peer_name, "legacy.test");
    UNIT_EQ_INT(set(&o, TLSM_CLIENT, "peer_name=server.test", &e), 0);
    UNIT_EQ_STR(o.peer_name, "server.test");
    tlsm_options_free(&o); /* the alias shares one field: freed once, ASan would see twice */
}

/* Every bad input: config.bad_option at stage parse, with the option named in the detail. */
static void check_rejected(tlsm_side side, const char *assignment, const char *named)
{
    tlsm_options o;
    tlsm_error e;
    tlsm_options_init(&o);
    unit_context("%s", assignment);
    UNIT_EQ_INT(set(&o, side, assignment, &e), -1);
    UNIT_EQ_STR(tlsm_class_name(e.cls), "config.bad_option");
    UNIT_EQ_STR(tlsm_stage_name(e.stage), "parse");
    UNIT_CONTAINS(e.detail, named);
    unit_context(NULL);
    tlsm_options_free(&o);
}

static void test_bad_values_are_rejected(void)
{
    check_rejected(TLSM_CLIENT, "verify_peer=maybe", "verify_peer");
    check_rejected(TLSM_CLIENT, "verify_peer=", "verify_peer");
    check_rejected(TLSM_CLIENT, "verify_depth=-1", "verify_depth");
    check_rejected(TLSM_CLIENT, "verify_depth=9x", "verify_depth");
    check_rejected(TLSM_CLIENT, "verify_depth=+3", "verify_depth");
    check_rejected(TLSM_CLIENT, "verify_depth=99999999999999999999", "verify_depth");
    check_rejected(TLSM_CLIENT, "security_level=6", "security_level");
    check_rejected(TLSM_CLIENT, "min_proto_version=TLSv1.4", "min_proto_version");
    check_rejected(TLSM_CLIENT, "max_proto_version=", "max_proto_version");
    check_rejected(TLSM_CLIENT, "verify_time=yesterday", "verify_time");
    check_rejected(TLSM_CLIENT, "cafile=", "cafile");
    check_rejected(TLSM_CLIENT, "no_such_option=1", "no_such_option");
    check_rejected(TLSM_CLIENT, "Verify_Peer=true", "Verify_Peer"); /* names are case-sensitive, as in PHP */
    check_rejected(TLSM_CLIENT, "verify_peer", "verify_peer");
    check_rejected(TLSM_CLIENT, "=true", "=true");
    check_rejected(TLSM_SERVER, "peer_name=x", "peer_name");
    check_rejected(TLSM_SERVER, "SNI_enabled=false", "SNI_enabled");
    check_rejected(TLSM_CLIENT, "SNI_server_certs=a=b", "SNI_server_certs");
}

UNIT_MAIN("options")
{
    test_defaults_follow_php();
    test_values_are_parsed();
    test_cn_match_is_an_alias_of_peer_name();
    test_bad_values_are_rejected();
}
