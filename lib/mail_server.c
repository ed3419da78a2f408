/* The server side of SMTP, IMAP and POP3: one loop (bounded lines, STARTTLS, the discard rule)
 * and one small command handler per protocol. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lines.h"
#include "mail.h"

#define MAX_COMMANDS 1000 /* a bound on any conversation: a peer can't keep a slot forever */

typedef enum { NEXT, START_TLS, QUIT } verdict;

typedef struct session {
    tlsm_lines lines;
    const tlsm_mail_config *cfg;
    int tls_active;
    tlsm_error *e;
} session;

typedef struct server_dialect {
    size_t max_line;         /* command line without CRLF */
    const char *too_long;    /* reply to an overlong line */
    const char *speaks_tls;  /* reply to a TLS record where a command should be */
    void (*greet)(session *m, char *out, size_t len);
    verdict (*command)(session *m, const char *line, char *out, size_t len);
} server_dialect;

int tlsm_proto_parse(const char *name)
{
    static const char *const names[] = {"echo", "smtp", "imap", "pop3"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *tlsm_proto_name(tlsm_proto p)
{
    static const char *const names[] = {"echo", "smtp", "imap", "pop3"};
    return (unsigned)p < 4 ? names[p] : "unknown";
}

void tlsm_mail_outcome_init(tlsm_mail_outcome *o)
{
    o->offered = -1;
    o->upgraded = 0;
    o->discarded = -1;
    o->quit = 0;
}

/* "VERB rest": copies the verb (at most verb_len-1 chars) and returns the rest after spaces. */
static const char *split_word(const char *line, char *word, size_t word_len)
{
    size_t n = 0;
    while (line[n] && line[n] != ' ' && n + 1 < word_len) {
        word[n] = line[n];
        n++;
    }
    word[n] = '\0';
    const char *rest = line + n;
    while (*rest && *rest != ' ')
        rest++; /* a verb longer than the buffer: skip its tail */
    while (*rest == ' ')
        rest++;
    return rest;
}

static int offers_starttls(const session *m)
{
    return !m->tls_active && m->cfg->starttls != TLSM_STARTTLS_NONE;
}

/* ---------------------------------------------------------------- SMTP */

static void smtp_greet(session *m, char *out, size_t len)
{
    (void)m;
    snprintf(out, len, "220 tlsmatrix ESMTP ready\r\n");
}

static verdict smtp_ehlo(session *m, const char *verb, const char *arg, char *out, size_t len)
{
    if (*arg == '\0')
        snprintf(out, len, "501 5.5.4 Syntax: %s hostname\r\n", verb);
    else if (strcasecmp(verb, "HELO") == 0)
        snprintf(out, len, "250 tlsmatrix\r\n");
    else
        snprintf(out, len, "250-tlsmatrix greets %.64s\r\n%s250-PIPELINING\r\n250 8BITMIME\r\n",
                 arg, offers_starttls(m) ? "250-STARTTLS\r\n" : "");
    return NEXT;
}

static verdict smtp_starttls(session *m, char *out, size_t len)
{
    if (m->tls_active) {
        snprintf(out, len, "503 5.5.1 TLS already active\r\n");
        return NEXT;
    }
    switch (m->cfg->starttls) {
    case TLSM_STARTTLS_OFFER:
        snprintf(out, len, "220 2.0.0 Ready to start TLS\r\n");
        return START_TLS;
    case TLSM_STARTTLS_REFUSE:
        snprintf(out, len, "454 4.7.0 TLS not available due to temporary reason\r\n");
        return NEXT;
    default:
        snprintf(out, len, "502 5.5.1 STARTTLS not offered\r\n");
        return NEXT;
    }
}

static verdict smtp_command(session *m, const char *line, char *out, size_t len)
{
    char verb[16];
    const char *arg = split_word(line, verb, sizeof verb);
    if (strcasecmp(verb, "EHLO") == 0 || strcasecmp(verb, "HELO") == 0)
        return smtp_ehlo(m, verb, arg, out, len);
    if (strcasecmp(verb, "STARTTLS") == 0)
        return smtp_starttls(m, out, len);
    if (strcasecmp(verb, "NOOP") == 0 || strcasecmp(verb, "RSET") == 0) {
        snprintf(out, len, "250 2.0.0 OK\r\n");
        return NEXT;
    }
    if (strcasecmp(verb, "QUIT") == 0) {
        snprintf(out, len, "221 2.0.0 Bye\r\n");
        return QUIT;
    }
    snprintf(out, len, "500 5.5.2 Command not recognized\r\n");
    return NEXT;
}

/* ---------------------------------------------------------------- IMAP */

static void imap_capabilities(const session *m, char *out, size_t len)
{
    snprintf(out, len, "IMAP4rev2%s LOGINDISABLED", offers_starttls(m) ? " STARTTLS" : "");
}

static void imap_greet(session *m, char *out, size_t len)
{
    char caps[64];
    imap_capabilities(m, caps, sizeof caps);
    snprintf(out, len, "* OK [CAPABILITY %s] tlsmatrix ready\r\n", caps);
}

static verdict imap_starttls(session *m, const char *tag, char *out, size_t len)
{
    if (m->tls_active) {
        snprintf(out, len, "%s BAD TLS already active\r\n", tag);
        return NEXT;
    }
    switch (m->cfg->starttls) {
    case TLSM_STARTTLS_OFFER:
        snprintf(out, len, "%s OK Begin TLS negotiation now\r\n", tag);
        return START_TLS;
    case TLSM_STARTTLS_REFUSE:
        snprintf(out, len, "%s NO [UNAVAILABLE] STARTTLS unavailable\r\n", tag);
        return NEXT;
    default:
        snprintf(out, len, "%s BAD STARTTLS not offered\r\n", tag);
        return NEXT;
    }
}

static verdict imap_command(session *m, const char *line, char *out, size_t len)
{
    char tag[64], verb[16];
    const char *rest = split_word(line, tag, sizeof tag);
    split_word(rest, verb, sizeof verb);
    if (tag[0] == '\0' || verb[0] == '\0' || strcmp(tag, "*") == 0) {
        snprintf(out, len, "* BAD Missing tag or command\r\n");
        return NEXT;
    }
    if (strcasecmp(verb, "CAPABILITY") == 0) {
        char caps[64];
        imap_capabilities(m, caps, sizeof caps);
        snprintf(out, len, "* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n", caps, tag);
        return NEXT;
    }
    if (strcasecmp(verb, "STARTTLS") == 0)
        return imap_starttls(m, tag, out, len);
    if (strcasecmp(verb, "NOOP") == 0) {
        snprintf(out, len, "%s OK NOOP completed\r\n", tag);
        return NEXT;
    }
    if (strcasecmp(verb, "LOGOUT") == 0) {
        snprintf(out, len, "* BYE tlsmatrix logging out\r\n%s OK LOGOUT completed\r\n", tag);
        return QUIT;
    }
    snprintf(out, len, "%s BAD Command not recognized\r\n", tag);
    return NEXT;
}

/* ---------------------------------------------------------------- POP3 */

static void pop3_greet(session *m, char *out, size_t len)
{
    (void)m;
    snprintf(out, len, "+OK tlsmatrix POP3 ready\r\n");
}

static verdict pop3_stls(session *m, char *out, size_t len)
{
    if (m->tls_active) {
        snprintf(out, len, "-ERR TLS already active\r\n");
        return NEXT;
    }
    switch (m->cfg->starttls) {
    case TLSM_STARTTLS_OFFER:
        snprintf(out, len, "+OK Begin TLS negotiation\r\n");
        return START_TLS;
    case TLSM_STARTTLS_REFUSE:
        snprintf(out, len, "-ERR [SYS/TEMP] TLS unavailable\r\n");
        return NEXT;
    default:
        snprintf(out, len, "-ERR STLS not offered\r\n");
        return NEXT;
    }
}

static verdict pop3_command(session *m, const char *line, char *out, size_t len)
{
    char verb[16];
    split_word(line, verb, sizeof verb);
    if (strcasecmp(verb, "CAPA") == 0) {
        snprintf(out, len, "+OK Capability list follows\r\nUSER\r\n%s.\r\n",
                 offers_starttls(m) ? "STLS\r\n" : "");
        return NEXT;
    }
    if (strcasecmp(verb, "STLS") == 0)
        return pop3_stls(m, out, len);
    if (strcasecmp(verb, "QUIT") == 0) {
        snprintf(out, len, "+OK Bye\r\n");
        return QUIT;
    }
    /* RFC 1939: NOOP and the mail commands belong to the TRANSACTION state, never reached here. */
    snprintf(out, len, "-ERR Command not recognized in this state\r\n");
    return NEXT;
}

/* ---------------------------------------------------------------- the loop */

static const server_dialect dialects[] = {
    [TLSM_PROTO_SMTP] = {510, "500 5.5.2 Line too long\r\n", "500 5.5.2 TLS where text expected\r\n",
                         smtp_greet, smtp_command},
    [TLSM_PROTO_IMAP] = {8190, "* BAD Line too long\r\n", "* BAD TLS where text expected\r\n",
                         imap_greet, imap_command},
    [TLSM_PROTO_POP3] = {253, "-ERR Line too long\r\n", "-ERR TLS where text expected\r\n",
                         pop3_greet, pop3_command},
};

/* RFC 3207 §4.2: forget everything said before TLS, including commands already read ahead. */
static int start_tls(session *m, tlsm_mail_outcome *out)
{
    out->discarded = (long)tlsm_lines_discard(&m->lines);
    if (m->cfg->upgrade(m->cfg->upgrade_arg, m->lines.stream, m->e) < 0)
        return -1;
    m->tls_active = 1;
    out->upgraded = 1;
    return 0;
}

/* What a failed read means for the record: EOF before QUIT is the peer's choice (not an error);
 * TLS where text was expected is; an I/O failure already set e. */
static int end_of_input(session *m, long rc, const server_dialect *d)
{
    if (rc == TLSM_LINE_TLS) {
        tlsm_error ignored; /* the peer may be gone already; the class below is what matters */
        tlsm_error_clear(&ignored);
        tlsm_lines_write(&m->lines, d->speaks_tls, &ignored);
        return tlsm_fail(m->e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_STARTTLS,
                         "the client sent a TLS handshake where a plaintext command was expected "
                         "(implicit TLS against a STARTTLS port?)");
    }
    return rc == TLSM_LINE_EOF ? 0 : -1;
}

int tlsm_mail_serve(tlsm_stream *s, const tlsm_mail_config *cfg, tlsm_mail_outcome *out,
                    tlsm_error *e)
{
    const server_dialect *d = &dialects[cfg->proto];
    session m = {.cfg = cfg, .tls_active = s->tls != NULL, .e = e};
    char line[8192], reply[1024];
    tlsm_lines_init(&m.lines, s, d->max_line);
    d->greet(&m, reply, sizeof reply);
    if (tlsm_lines_write(&m.lines, reply, e) < 0)
        return -1;
    for (int i = 0; i < MAX_COMMANDS; i++) {
        long rc = tlsm_lines_read(&m.lines, line, sizeof line, e);
        if (rc == TLSM_LINE_TOO_LONG) {
            if (tlsm_lines_write(&m.lines, d->too_long, e) < 0)
                return -1;
            continue;
        }
        if (rc < 0)
            return end_of_input(&m, rc, d);
        verdict v = d->command(&m, line, reply, sizeof reply);
        if (tlsm_lines_write(&m.lines, reply, e) < 0)
            return -1;
        if (v == QUIT) {
            out->quit = 1;
            return 0;
        }
        if (v == START_TLS && start_tls(&m, out) < 0)
            return -1;
    }
    return tlsm_fail(e, TLSM_E_STARTTLS_PROTOCOL, TLSM_STAGE_IO,
                     "more than %d commands in one conversation", MAX_COMMANDS);
}
