/* The mail dialogs over a socketpair, with a fake upgrade that stays in plaintext: what the
 * server answers, line limits, and the STARTTLS discard rule (RFC 3207 §4.2). */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lines.h"
#include "mail.h"
#include "net.h"
#include "unit.h"

typedef struct served {
    int fd;
    tlsm_mail_config cfg;
    tlsm_mail_outcome outcome;
    tlsm_error err;
    int rc;
    int upgrades;
} served;

/* Pretends to start TLS: the dialog goes on in plaintext, which lets the test see whether a
 * command read ahead before STARTTLS is answered afterwards. */
static int fake_upgrade(void *arg, tlsm_stream *s, tlsm_error *e)
{
    (void)s;
    (void)e;
    ((served *)arg)->upgrades++;
    return 0;
}

static void *serve(void *arg)
{
    served *sv = arg;
    tlsm_stream s;
    tlsm_stream_init(&s, sv->fd, NULL, tlsm_now_ms() + 5000);
    tlsm_error_clear(&sv->err);
    tlsm_mail_outcome_init(&sv->outcome);
    sv->rc = tlsm_mail_serve(&s, &sv->cfg, &sv->outcome, &sv->err);
    shutdown(sv->fd, SHUT_WR);
    return NULL;
}

/* Sends `script` in one write, then returns everything the server said until it closed. */
static void converse(tlsm_proto proto, tlsm_starttls_policy policy, const char *script,
                     char *transcript, size_t len, served *sv)
{
    int pair[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    tlsm_set_nonblocking(pair[0]);
    memset(sv, 0, sizeof *sv);
    sv->fd = pair[0];
    sv->cfg = (tlsm_mail_config){proto, policy, fake_upgrade, sv};
    pthread_t t;
    pthread_create(&t, NULL, serve, sv);
    if (write(pair[1], script, strlen(script)) < 0)
        transcript[0] = '\0';
    shutdown(pair[1], SHUT_WR); /* the script is all the client says */
    size_t used = 0;
    ssize_t n;
    while (used + 1 < len && (n = read(pair[1], transcript + used, len - 1 - used)) > 0)
        used += (size_t)n;
    transcript[used] = '\0';
    pthread_join(t, NULL);
    close(pair[0]);
    close(pair[1]);
}

static void test_smtp_offers_and_discards_pipelined_commands(void)
{
    char out[4096];
    served sv;
    converse(TLSM_PROTO_SMTP, TLSM_STARTTLS_OFFER, "EHLO a\r\nSTARTTLS\r\nNOOP\r\nQUIT\r\n", out,
             sizeof out, &sv);
    UNIT_CONTAINS(out, "220 tlsmatrix ESMTP ready\r\n");
    UNIT_CONTAINS(out, "250-STARTTLS\r\n");
    UNIT_CONTAINS(out, "220 2.0.0 Ready to start TLS\r\n");
    /* NOOP and QUIT came in the same segment as STARTTLS: they must be thrown away, never
     * answered "inside TLS" (the 2011 command-injection bug). */
    UNIT_CHECK(strstr(out, "250 2.0.0 OK") == NULL, "pipelined NOOP was answered: %s", out);
    UNIT_EQ_INT(sv.outcome.discarded, (long)strlen("NOOP\r\nQUIT\r\n"));
    UNIT_EQ_INT(sv.upgrades, 1);
    UNIT_EQ_INT(sv.rc, 0);
}

static void test_smtp_after_upgrade_no_longer_offers(void)
{
    char out[4096];
    served sv;
    converse(TLSM_PROTO_SMTP, TLSM_STARTTLS_OFFER, "STARTTLS\r\n", out, sizeof out, &sv);
    /* A second exchange in its own segment, after the (fake) upgrade. */
    UNIT_EQ_INT(sv.outcome.upgraded, 1);
    UNIT_EQ_INT(sv.outcome.discarded, 0);
}

static void test_refusals(void)
{
    char out[4096];
    served sv;
    converse(TLSM_PROTO_SMTP, TLSM_STARTTLS_REFUSE, "STARTTLS\r\nQUIT\r\n", out, sizeof out, &sv);
    UNIT_CONTAINS(out, "454 4.7.0");
    UNIT_EQ_INT(sv.upgrades, 0);
    converse(TLSM_PROTO_IMAP, TLSM_STARTTLS_REFUSE, "a STARTTLS\r\nb LOGOUT\r\n", out, sizeof out, &sv);
    UNIT_CONTAINS(out, "a NO [UNAVAILABLE]");
    UNIT_CONTAINS(out, "b OK LOGOUT completed");
    converse(TLSM_PROTO_POP3, TLSM_STARTTLS_REFUSE, "STLS\r\nQUIT\r\n", out, sizeof out, &sv);
    UNIT_CONTAINS(out, "-ERR [SYS/TEMP]");
    converse(TLSM_PROTO_SMTP, TLSM_STARTTLS_NONE, "EHLO a\r\nSTARTTLS\r\nQUIT\r\n", out, sizeof out, &sv);
    UNIT_CHECK(strstr(out, "STARTTLS\r\n") == NULL, "STARTTLS advertised when not offered");
    UNIT_CONTAINS(out, "502 5.5.1");
    UNIT_EQ_INT(sv.upgrades, 0);
}

static void test_imap_and_pop3_capabilities(void)
{
    char out[4096];
    served sv;
    converse(TLSM_PROTO_IMAP, TLSM_STARTTLS_OFFER, "c1 CAPABILITY\r\nc2 LOGOUT\r\n", out, sizeof out, &sv);
    UNIT_CONTAINS(out, "* OK [CAPABILITY IMAP4rev2 STARTTLS LOGINDISABLED]");
    UNIT_CONTAINS(out, "c1 OK CAPABILITY completed");
    UNIT_CONTAINS(out, "* BYE");
    UNIT_EQ_INT(sv.outcome.quit, 1);
    converse(TLSM_PROTO_POP3, TLSM_STARTTLS_OFFER, "CAPA\r\nQUIT\r\n", out, sizeof out, &sv);
    UNIT_CONTAINS(out, "+OK Capability list follows\r\nUSER\r\nSTLS\r\n.\r\n");
    UNIT_CONTAINS(out, "+OK Bye");
}

static void test_overlong_lines_keep_the_dialog_in_step(void)
{
    char script[2048], out[4096];
    served sv;
    memset(script, 'x', 600);
    strcpy(script + 600, "\r\nNOOP\r\nQUIT\r\n");
    converse(TLSM_PROTO_SMTP, TLSM_STARTTLS_NONE, script, out, sizeof out, &sv);
    UNIT_CONTAINS(out, "500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n221");
    memset(script, 'y', 300);
    strcpy(script + 300, "\r\nQUIT\r\n");
    converse(TLSM_PROTO_POP3, TLSM_STARTTLS_NONE, script, out, sizeof out, &sv);
    UNIT_CONTAINS(out, "-ERR Line too long\r\n+OK Bye");
}

static void test_tls_where_text_is_expected(void)
{
    char out[4096];
    served sv;
    converse(TLSM_PROTO_SMTP, TLSM_STARTTLS_OFFER, "\x16\x03\x01\x02\x00\x01", out, sizeof out, &sv);
    UNIT_EQ_INT(sv.rc, -1);
    UNIT_EQ_STR(tlsm_class_name(sv.err.cls), "starttls.protocol");
}

UNIT_MAIN("mail")
{
    test_smtp_offers_and_discards_pipelined_commands();
    test_smtp_after_upgrade_no_longer_offers();
    test_refusals();
    test_imap_and_pop3_capabilities();
    test_overlong_lines_keep_the_dialog_in_step();
    test_tls_where_text_is_expected();
}
