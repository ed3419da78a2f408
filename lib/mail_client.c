/* The client side of SMTP, IMAP and POP3: greeting, capabilities, STARTTLS by policy,
 * capabilities again over TLS (proof that the upgraded session works), quit. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lines.h"
#include "mail.h"

#define MAX_REPLY_LINES 64
#define CLIENT_MAX_LINE 8190

typedef struct dialog {
    tlsm_lines lines;
    const tlsm_mail_config *cfg;
    tlsm_error *e;
    char text[4096]; /* the last reply's lines, '\n'-joined: capabilities are read from it */
    char first[256]; /* the last reply's first line, quoted in details */
} dialog;

/* A reply is positive (the server said yes), negative (it said no), or the dialog broke (-1). */
enum { NEGATIVE = 0, POSITIVE = 1 };

static void append_text(dialog *d, const char *line)
{
    size_t used = strlen(d->text);
    snprintf(d->text + used, sizeof d->text - used, "%s\n", line);
}

static int read_line(dialog *d, char *line, size_t len)
{
    long rc = tlsm_lines_read(&d->lines, line, len, d->e);
    if (rc >= 0)
        return 0;
    if (rc == TLSM_LINE_TLS)
        return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "the server sent a TLS record where a text reply was expected");
    if (rc == TLSM_LINE_TOO_LONG)
        return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "a reply line longer than %d bytes", CLIENT_MAX_LINE);
    if (rc == TLSM_LINE_EOF)
        return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "the server closed the connection in the middle of the dialog");
    return -1;
}

static void start_reply(dialog *d)
{
    d->text[0] = '\0';
    d->first[0] = '\0';
}

static void note_first(dialog *d, const char *line)
{
    if (d->first[0] == '\0')
        snprintf(d->first, sizeof d->first, "%.200s", line);
}

static int malformed(dialog *d, const char *line)
{
    return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                     "malformed %s reply \"%.200s\"", tlsm_proto_name(d->cfg->proto), line);
}

/* SMTP (RFC 5321 §4.2): "ddd-text" continues, "ddd text" ends; 2yz and 3yz are positive. */
static int smtp_reply(dialog *d, int *code)
{
    char line[CLIENT_MAX_LINE + 2];
    start_reply(d);
    for (int i = 0; i < MAX_REPLY_LINES; i++) {
        if (read_line(d, line, sizeof line) < 0)
            return -1;
        note_first(d, line);
        if (strlen(line) < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
            line[2] < '0' || line[2] > '9' || (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
            return malformed(d, line);
        append_text(d, line[3] ? line + 4 : "");
        if (line[3] != '-') {
            *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
            return line[0] == '2' || line[0] == '3' ? POSITIVE : NEGATIVE;
        }
    }
    return malformed(d, "(more than 64 lines)");
}

/* IMAP: untagged "* …" lines, then "<tag> OK|NO|BAD …". */
static int imap_reply(dialog *d, const char *tag)
{
    char line[CLIENT_MAX_LINE + 2];
    size_t tag_len = strlen(tag);
    start_reply(d);
    for (int i = 0; i < MAX_REPLY_LINES; i++) {
        if (read_line(d, line, sizeof line) < 0)
            return -1;
        note_first(d, line);
        if (strncmp(line, "* ", 2) == 0) {
            append_text(d, line + 2);
            continue;
        }
        if (strncmp(line, tag, tag_len) != 0 || line[tag_len] != ' ')
            return malformed(d, line);
        snprintf(d->first, sizeof d->first, "%.200s", line);
        return strncasecmp(line + tag_len + 1, "OK", 2) == 0 ? POSITIVE : NEGATIVE;
    }
    return malformed(d, "(more than 64 lines)");
}

/* POP3: "+OK …" / "-ERR …"; a multi-line reply ends with "." alone (RFC 1939 §3). */
static int pop3_reply(dialog *d, int multiline)
{
    char line[CLIENT_MAX_LINE + 2];
    start_reply(d);
    if (read_line(d, line, sizeof line) < 0)
        return -1;
    note_first(d, line);
    if (strncmp(line, "-ERR", 4) == 0)
        return NEGATIVE;
    if (strncmp(line, "+OK", 3) != 0)
        return malformed(d, line);
    for (int i = 0; multiline && i < MAX_REPLY_LINES; i++) {
        if (read_line(d, line, sizeof line) < 0)
            return -1;
        if (strcmp(line, ".") == 0)
            return POSITIVE;
        append_text(d, line[0] == '.' ? line + 1 : line);
    }
    return multiline ? malformed(d, "(more than 64 lines)") : POSITIVE;
}

static int send_command(dialog *d, const char *command)
{
    return tlsm_lines_write(&d->lines, command, d->e);
}

/* One exchange: send (unless NULL) and read the reply in this protocol's shape. */
static int exchange(dialog *d, const char *command, const char *imap_tag, int pop3_multiline,
                    int smtp_expected)
{
    int code = 0, rc;
    if (command && send_command(d, command) < 0)
        return -1;
    switch (d->cfg->proto) {
    case TLSM_PROTO_SMTP:
        rc = smtp_reply(d, &code);
        return rc == POSITIVE && smtp_expected && code != smtp_expected ? NEGATIVE : rc;
    case TLSM_PROTO_IMAP:
        return imap_reply(d, imap_tag);
    default:
        return pop3_reply(d, pop3_multiline);
    }
}

static int greeting(dialog *d)
{
    int rc;
    if (d->cfg->proto == TLSM_PROTO_IMAP) {
        char line[CLIENT_MAX_LINE + 2];
        start_reply(d);
        if (read_line(d, line, sizeof line) < 0)
            return -1;
        note_first(d, line);
        rc = strncmp(line, "* OK", 4) == 0 || strncmp(line, "* PREAUTH", 9) == 0 ? POSITIVE
                                                                                  : NEGATIVE;
    } else {
        rc = exchange(d, NULL, NULL, 0, 220);
    }
    if (rc == NEGATIVE)
        return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "the server's greeting is not a welcome: \"%s\"", d->first);
    return rc;
}

/* Is `word` one of the capability lines/tokens of the last reply? (case-insensitive) */
static int has_capability(const dialog *d, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = d->text; *p; p++) {
        int at_start = p == d->text || p[-1] == '\n' || p[-1] == ' ';
        if (at_start && strncasecmp(p, word, n) == 0 && (p[n] == '\n' || p[n] == ' ' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

static int capabilities(dialog *d, int *starttls_offered)
{
    static const char *const commands[] = {
        [TLSM_PROTO_SMTP] = "EHLO client.tlsmatrix.test\r\n",
        [TLSM_PROTO_IMAP] = "C1 CAPABILITY\r\n",
        [TLSM_PROTO_POP3] = "CAPA\r\n",
    };
    int rc = exchange(d, commands[d->cfg->proto], "C1", 1, 250);
    if (rc == NEGATIVE)
        return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "the server refused the capability request: \"%s\"", d->first);
    if (rc == POSITIVE)
        *starttls_offered = has_capability(d, d->cfg->proto == TLSM_PROTO_POP3 ? "STLS" : "STARTTLS");
    return rc;
}

/* Returns POSITIVE (go ahead), NEGATIVE (refused) or -1. */
static int request_starttls(dialog *d)
{
    static const char *const commands[] = {
        [TLSM_PROTO_SMTP] = "STARTTLS\r\n",
        [TLSM_PROTO_IMAP] = "S1 STARTTLS\r\n",
        [TLSM_PROTO_POP3] = "STLS\r\n",
    };
    return exchange(d, commands[d->cfg->proto], "S1", 0, 220);
}

static int quit(dialog *d)
{
    static const char *const commands[] = {
        [TLSM_PROTO_SMTP] = "QUIT\r\n",
        [TLSM_PROTO_IMAP] = "L1 LOGOUT\r\n",
        [TLSM_PROTO_POP3] = "QUIT\r\n",
    };
    int rc = exchange(d, commands[d->cfg->proto], "L1", 0, 221);
    if (rc == NEGATIVE)
        return tlsm_fail(d->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "the server refused to end the session: \"%s\"", d->first);
    return rc;
}

/* A polite goodbye after a failure was recorded: its own errors don't count (tlsm_fail keeps
 * the first failure anyway, and the reply text it reads is not the verdict's). */
static void quit_quietly(dialog *d)
{
    tlsm_error ignored, *kept = d->e;
    tlsm_error_clear(&ignored);
    d->e = &ignored;
    quit(d);
    d->e = kept;
}

/* STARTTLS by policy. Returns 1 upgraded, 0 stayed in plaintext (opportunistic), -1 failed. */
static int upgrade(dialog *d, tlsm_mail_outcome *out)
{
    int offered = 0;
    if (capabilities(d, &offered) < 0)
        return -1;
    out->offered = offered;
    int opportunistic = d->cfg->starttls == TLSM_STARTTLS_OPPORTUNISTIC;
    if (!offered) {
        if (opportunistic)
            return 0;
        tlsm_fail(d->e, TLSM_E_STARTTLS_NOT_OFFERED, TLSM_STAGE_STARTTLS,
                  "the server does not offer %s; refusing to go on in plaintext",
                  d->cfg->proto == TLSM_PROTO_POP3 ? "STLS" : "STARTTLS");
        quit_quietly(d);
        return -1;
    }
    int rc = request_starttls(d);
    if (rc < 0)
        return -1;
    if (rc == NEGATIVE) {
        if (opportunistic)
            return 0;
        /* The verdict quotes the refusal, so it is recorded before the goodbye replaces it. */
        tlsm_fail(d->e, TLSM_E_STARTTLS_REFUSED, TLSM_STAGE_STARTTLS,
                  "the server refused STARTTLS: \"%s\"", d->first);
        quit_quietly(d);
        return -1;
    }
    /* Anything that came with the go-ahead was sent in plaintext before TLS: a response
     * injection attempt. It must never be read as a reply inside TLS. */
    out->discarded = (long)tlsm_lines_discard(&d->lines);
    if (d->cfg->upgrade(d->cfg->upgrade_arg, d->lines.stream, d->e) < 0)
        return -1;
    out->upgraded = 1;
    return 1;
}

int tlsm_mail_client(tlsm_stream *s, const tlsm_mail_config *cfg, tlsm_mail_outcome *out,
                     tlsm_error *e)
{
    dialog d = {.cfg = cfg, .e = e};
    tlsm_lines_init(&d.lines, s, CLIENT_MAX_LINE);
    if (greeting(&d) < 0) {
        if (e->cls == TLSM_E_IO_TIMEOUT)
            tlsm_fail_replace(e, TLSM_E_IO_TIMEOUT, TLSM_STAGE_STARTTLS,
                              "no greeting from the server before the deadline (an implicit-TLS "
                              "port spoken to in plaintext waits for a ClientHello)");
        return -1;
    }
    if (s->tls == NULL && cfg->starttls != TLSM_STARTTLS_NONE && upgrade(&d, out) < 0)
        return -1;
    int ignored_offer;
    if (capabilities(&d, &ignored_offer) < 0 || quit(&d) < 0)
        return -1;
    out->quit = 1;
    return 0;
}
