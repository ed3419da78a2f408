/* peer_fingerprint parsing: PHP's forms, colons, case, and every way to get it wrong. */
#include "fingerprint.h"
#include "unit.h"

static const char *md5_hex = "0123456789abcdef0123456789ABCDEF";
static const char *sha256_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void check_ok(const char *text, const char *algo, unsigned len)
{
    tlsm_fingerprint fp;
    tlsm_error e;
    tlsm_error_clear(&e);
    unit_context("%s", text);
    UNIT_EQ_INT(tlsm_fingerprint_parse(text, &fp, &e), 0);
    UNIT_EQ_STR(fp.algo, algo);
    UNIT_EQ_INT(fp.len, len);
    unit_context(NULL);
}

static void check_bad(const char *text, const char *why)
{
    tlsm_fingerprint fp;
    tlsm_error e;
    tlsm_error_clear(&e);
    unit_context("%s", text);
    UNIT_EQ_INT(tlsm_fingerprint_parse(text, &fp, &e), -1);
    UNIT_EQ_STR(tlsm_class_name(e.cls), "config.bad_option");
    UNIT_EQ_STR(tlsm_stage_name(e.stage), "config");
    UNIT_CONTAINS(e.detail, why);
    unit_context(NULL);
}

static void test_accepted_forms(void)
{
    char buf[256];
    check_ok(md5_hex, "md5", 16);
    check_ok("0123456789abcdef0123456789abcdef01234567", "sha1", 20);
    check_ok(sha256_hex, "sha256", 32);
    snprintf(buf, sizeof buf, "SHA256:%s", sha256_hex);
    check_ok(buf, "sha256", 32);
    check_ok("01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef", "md5", 16);
    snprintf(buf, sizeof buf, "sha512:%s%s", sha256_hex, sha256_hex);
    check_ok(buf, "sha512", 64);
    snprintf(buf, sizeof buf, "md5:%s", md5_hex);
    check_ok(buf, "md5", 16);
}

static void test_rejected_forms(void)
{
    char buf[256];
    check_bad("zz", "not a hex digest");
    check_bad("", "not a hex digest");
    check_bad("abc", "not a hex digest");                  /* odd number of digits */
    check_bad("0123456789abcdef0123456789abcdefff", "length names no digest");
    snprintf(buf, sizeof buf, "whirlpool:%s", sha256_hex);
    check_bad(buf, "unknown digest name");
    snprintf(buf, sizeof buf, "sha1:%s", sha256_hex);
    check_bad(buf, "wrong length");
    snprintf(buf, sizeof buf, "sha256:%s%s%s", sha256_hex, sha256_hex, sha256_hex);
    check_bad(buf, "not a hex digest");                    /* longer than any digest */
    check_bad("sha256:", "not a hex digest");
}

UNIT_MAIN("fingerprint")
{
    test_accepted_forms();
    test_rejected_forms();
}
