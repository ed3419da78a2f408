/* The JSON writer (records) and the --batch case-line reader. */
#include <stdlib.h>

#include "json.h"
#include "unit.h"

static void test_writer_escapes(void)
{
    tlsm_jw w;
    tlsm_jw_init(&w);
    tlsm_jw_begin_object(&w);
    tlsm_jw_key(&w, "s");
    tlsm_jw_string(&w, "a\"b\\c\n\x01\x7f");
    tlsm_jw_key(&w, "n");
    tlsm_jw_null(&w);
    tlsm_jw_key(&w, "list");
    tlsm_jw_begin_array(&w);
    tlsm_jw_int(&w, -5);
    tlsm_jw_bool(&w, 1);
    tlsm_jw_string(&w, NULL);
    tlsm_jw_end_array(&w);
    tlsm_jw_key(&w, "ms");
    tlsm_jw_double(&w, 1.5);
    tlsm_jw_end_object(&w);
    UNIT_EQ_STR(w.buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\\u007f\",\"n\":null,"
                       "\"list\":[-5,true,null],\"ms\":1.500}");
    tlsm_jw_free(&w);
}

static void test_writer_grows(void)
{
    tlsm_jw w;
    tlsm_jw_init(&w);
    tlsm_jw_begin_array(&w);
    for (int i = 0; i < 5000; i++)
        tlsm_jw_string(&w, "0123456789");
    tlsm_jw_end_array(&w);
    UNIT_EQ_INT(w.len, 2 + 5000 * 12 + 4999); /* brackets, quoted strings, commas */
    tlsm_jw_free(&w);
}

static void test_reader_accepts_case_lines(void)
{
    tlsm_case_line c;
    char err[128];
    UNIT_EQ_INT(tlsm_case_line_parse(" {\"id\": \"t1\", \"args\": [\"tls://[::1]:1\", \"-o\", "
                                     "\"cafile=a\\u00e9\\/b\"], \"extra\": 3, \"flag\": true} ",
                                     &c, err, sizeof err),
                0);
    UNIT_EQ_STR(c.id, "t1");
    UNIT_EQ_INT(c.n_args, 3);
    UNIT_EQ_STR(c.args[0], "tls://[::1]:1");
    UNIT_EQ_STR(c.args[2], "cafile=a\xc3\xa9/b");
    UNIT_CHECK(c.args[3] == NULL, "args are NULL-terminated");
    tlsm_case_line_free(&c);

    UNIT_EQ_INT(tlsm_case_line_parse("{\"args\":[\"x\\ud83d\\ude00\"]}", &c, err, sizeof err), 0);
    UNIT_EQ_STR(c.args[0], "x\xf0\x9f\x98\x80");
    UNIT_CHECK(c.id == NULL, "id is optional");
    tlsm_case_line_free(&c);
}

static void check_bad_line(const char *line, const char *why)
{
    tlsm_case_line c;
    char err[128];
    unit_context("%s", line);
    UNIT_EQ_INT(tlsm_case_line_parse(line, &c, err, sizeof err), -1);
    UNIT_CONTAINS(err, why);
    tlsm_case_line_free(&c);
    unit_context(NULL);
}

static void test_reader_rejects_bad_lines(void)
{
    check_bad_line("", "JSON object");
    check_bad_line("[1]", "JSON object");
    check_bad_line("{}", "no \"args\"");
    check_bad_line("{\"args\": []}", "no \"args\"");
    check_bad_line("{\"args\": \"x\"}", "must be an array");
    check_bad_line("{\"args\": [1]}", "array of strings");
    check_bad_line("{\"args\": [\"a\",]}", "array of strings");
    check_bad_line("{\"args\": [\"a\"]", "expected ','");
    check_bad_line("{\"args\": [\"a\"]} x", "trailing");
    check_bad_line("{\"args\": [\"a\"], \"o\": {\"k\": 1}}", "nested");
    check_bad_line("{\"args\": [\"unterminated]}", "unterminated");
    check_bad_line("{\"args\": [\"\\q\"]}", "unknown escape");
    check_bad_line("{\"args\": [\"\\u12\"]}", "\\u escape");
    check_bad_line("{\"args\": [\"\\ud800\"]}", "surrogate");
    check_bad_line("{\"args\": [\"\\u0000\"]}", "NUL");
    check_bad_line("{\"args\": [\"tab\there\"]}", "control character");
    check_bad_line("{\"id\": 5, \"args\": [\"a\"]}", "\"id\" must be a string");
    check_bad_line("{\"args\" [\"a\"]}", "expected ':'");
}

static void test_reader_caps_args(void)
{
    char line[128 * 6 + 64];
    size_t n = (size_t)snprintf(line, sizeof line, "{\"args\": [");
    for (int i = 0; i < TLSM_JSON_MAX_ARGS + 1; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s\"a\"", i ? "," : "");
    snprintf(line + n, sizeof line - n, "]}");
    check_bad_line(line, "too many");
}

UNIT_MAIN("json")
{
    test_writer_escapes();
    test_writer_grows();
    test_reader_accepts_case_lines();
    test_reader_rejects_bad_lines();
    test_reader_caps_args();
}
