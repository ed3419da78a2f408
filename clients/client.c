/* The reference client (DESIGN §6): tlsm-client-<lib> URL [--port N] [-o name=value …] [--send TEXT]
 * [--resolve host:addr …] [--timeout MS] [--parse-only] [--no-close-notify]
 * [--proto echo|smtp|imap|pop3] [--starttls | --starttls-opportunistic]
 * or --batch: one JSON case per stdin line, one record per stdout line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "json.h"
#include "mail.h"
#include "net.h"
#include "options.h"
#include "proto.h"
#include "result.h"
#include "stream.h"
#include "url.h"

extern const tlsm_backend *const tlsm_selected_backend;

enum { EXIT_CONNECTED = 0, EXIT_CLASSIFIED = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3 };
#define DEFAULT_TIMEOUT_MS 10000
#define MAX_CASE_LINE (1 << 20)

typedef struct client_case {
    const char *url_text;
    long long port; /* -1: none given */
    tlsm_options opts;
    tlsm_resolve_map resolve;
    const char *send;
    long long timeout_ms;
    int parse_only;
    int no_close_notify;
    tlsm_proto proto;
    tlsm_starttls_policy starttls; /* NONE: TLS from the first byte (or plain) */
} client_case;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tlsm-client-%s URL [--port N] [-o name=value]... [--send TEXT]\n"
            "                     [--resolve host:addr]... [--timeout MS] [--parse-only]\n"
            "                     [--no-close-notify] [--proto echo|smtp|imap|pop3]\n"
            "                     [--starttls | --starttls-opportunistic]\n"
            "       tlsm-client-%s --caps    (what this build can do, one JSON line)\n"
            "       tlsm-client-%s --batch   (one JSON case per stdin line:\n"
            "                     {\"id\": \"...\", \"args\": [\"URL\", \"-o\", \"name=value\", ...]})\n"
            "URL: [transport://]host[:port]; transports tcp udp ssl tls sslv2 sslv3 tlsv1.0-tlsv1.3\n"
            "Prints one JSON result record. Exit: 0 connected as asked, 1 classified failure,\n"
            "2 usage, 3 unsupported by this implementation.\n"
            "--starttls: connect in plaintext, upgrade with the protocol's STARTTLS (the URL's\n"
            "transport gives the TLS policy; tcp:// means any version) and refuse to go on when\n"
            "it is not offered; --starttls-opportunistic goes on in plaintext instead.\n"
            "Context options (-o):\n",
            tlsm_selected_backend->name, tlsm_selected_backend->name, tlsm_selected_backend->name);
    tlsm_options_print_help(TLSM_CLIENT, f);
}

/* ------------------------------------------------------------ arguments */

/* What parse_args found: a command line that can't be read at all is a usage error (exit 2);
 * a readable one with a bad value is a classified failure with a record (exit 1). */
enum { ARGS_OK = 0, ARGS_BAD_VALUE = -1, ARGS_USAGE = -2 };

#define USAGE_ERROR(e, ...) \
    (tlsm_fail((e), TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE, __VA_ARGS__), ARGS_USAGE)

/* Fills c from argv; a problem is reported in e (stage parse) naming the offending argument. */
static int parse_args(int argc, char **argv, client_case *c, tlsm_error *e)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = strcmp(a, "-o") == 0 || strcmp(a, "--port") == 0 ||
                          strcmp(a, "--send") == 0 || strcmp(a, "--resolve") == 0 ||
                          strcmp(a, "--timeout") == 0 || strcmp(a, "--proto") == 0;
        if (takes_value && value == NULL)
            return USAGE_ERROR(e, "%s needs a value", a);
        if (strcmp(a, "-o") == 0) {
            if (tlsm_options_set(&c->opts, TLSM_CLIENT, value, e) < 0)
                return ARGS_BAD_VALUE;
        } else if (strcmp(a, "--port") == 0) {
            if (tlsm_parse_integer(value, 0, 1LL << 30, &c->port) < 0)
                return tlsm_fail(e, TLSM_E_URL_BAD_PORT, TLSM_STAGE_PARSE,
                                 "--port \"%s\" is not a decimal port number", value);
        } else if (strcmp(a, "--send") == 0) {
            c->send = value;
        } else if (strcmp(a, "--resolve") == 0) {
            if (tlsm_resolve_map_add(&c->resolve, value, e) < 0)
                return ARGS_BAD_VALUE;
        } else if (strcmp(a, "--timeout") == 0) {
            if (tlsm_parse_integer(value, 1, 3600000, &c->timeout_ms) < 0)
                return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                                 "--timeout \"%s\" is not a number of milliseconds (1-3600000)",
                                 value);
        } else if (strcmp(a, "--proto") == 0) {
            int proto = tlsm_proto_parse(value);
            if (proto < 0)
                return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                                 "--proto \"%s\" is not one of echo, smtp, imap, pop3", value);
            c->proto = (tlsm_proto)proto;
        } else if (strcmp(a, "--starttls") == 0) {
            c->starttls = TLSM_STARTTLS_OFFER;
        } else if (strcmp(a, "--starttls-opportunistic") == 0) {
            c->starttls = TLSM_STARTTLS_OPPORTUNISTIC;
        } else if (strcmp(a, "--parse-only") == 0) {
            c->parse_only = 1;
        } else if (strcmp(a, "--no-close-notify") == 0) {
            c->no_close_notify = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return USAGE_ERROR(e, "unknown argument \"%s\"", a);
        } else if (c->url_text == NULL) {
            c->url_text = a;
        } else {
            return USAGE_ERROR(e, "a second URL \"%s\" (the first was \"%s\")", a, c->url_text);
        }
        if (takes_value)
            i++;
    }
    if (c->url_text == NULL)
        return USAGE_ERROR(e, "no URL given");
    if (c->starttls != TLSM_STARTTLS_NONE && c->proto == TLSM_PROTO_ECHO)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--starttls needs --proto smtp, imap or pop3");
    return ARGS_OK;
}

/* ------------------------------------------------------------ connection */

/* The name checked against the certificate: peer_name, else the URL host (PHP's rule). */
static const char *verify_name(const client_case *c, const tlsm_url *u)
{
    if (!tlsm_options_verify_peer_name(&c->opts, TLSM_CLIENT))
        return NULL;
    return c->opts.peer_name ? c->opts.peer_name : u->host;
}

/* RFC 6066 §3: server_name carries host names only, never an IP literal. */
static const char *sni_name(const client_case *c, const tlsm_url *u)
{
    if (!c->opts.sni_enabled)
        return NULL;
    if (c->opts.peer_name)
        return c->opts.peer_name;
    return u->host_kind == TLSM_HOST_NAME ? u->host : NULL;
}

static int tls_start(tlsm_stream *s, tlsm_ctx *ctx, const client_case *c, const tlsm_url *u,
                     tlsm_error *e)
{
    const tlsm_backend *be = tlsm_selected_backend;
    s->tls = be->conn_new(ctx, s->fd, verify_name(c, u), sni_name(c, u), e);
    if (s->tls == NULL)
        return -1;
    return be->handshake(s->tls, s->deadline_ms, e);
}

/* What the STARTTLS upgrade needs to start TLS the same way as implicit TLS does. */
typedef struct upgrade_arg {
    tlsm_ctx *ctx;
    const client_case *c;
    const tlsm_url *u;
} upgrade_arg;

static int upgrade_to_tls(void *arg, tlsm_stream *s, tlsm_error *e)
{
    const upgrade_arg *a = arg;
    return tls_start(s, a->ctx, a->c, a->u, e);
}

/* The application exchange: echo (--send), or a mail dialog with or without STARTTLS. */
static int converse(tlsm_stream *s, const client_case *c, const tlsm_url *u, tlsm_ctx *ctx,
                    tlsm_record *r)
{
    if (c->proto != TLSM_PROTO_ECHO) {
        upgrade_arg arg = {ctx, c, u};
        tlsm_mail_config cfg = {c->proto, c->starttls, upgrade_to_tls, &arg};
        return tlsm_mail_client(s, &cfg, &r->mail, &r->err);
    }
    if (c->send == NULL)
        return 0;
    if (u->transport == TLSM_TR_UDP)
        return tlsm_echo_datagram(s, c->send, strlen(c->send), &r->err);
    return tlsm_echo_client(s, c->send, strlen(c->send), &r->err);
}

/* Ends the connection the way a careful client does: close_notify, then wait for the peer's. */
static void finish(tlsm_stream *s, const client_case *c, tlsm_record *r)
{
    tlsm_error *e = &r->err;
    if (s->tls == NULL) {
        if (r->transport && strcmp(r->transport, "udp") != 0 && e->cls == TLSM_OK)
            tlsm_stream_finish(s, 0, e);
        return;
    }
    if (e->cls != TLSM_OK)
        return;
    if (tlsm_stream_finish(s, c->no_close_notify, e) < 0 || c->no_close_notify)
        return;
    tlsm_error wait_err;
    tlsm_error_clear(&wait_err);
    r->close_notify = tlsm_stream_await_peer_end(s, &wait_err);
    if (!r->close_notify)
        tlsm_fail(e, wait_err.cls, TLSM_STAGE_CLOSE, "waiting for the server's close_notify: %s",
                  wait_err.detail);
}

static void describe(tlsm_stream *s, tlsm_record *r)
{
    const tlsm_backend *be = tlsm_selected_backend;
    if (s->tls == NULL)
        return;
    be->describe(s->tls, &r->session);
    r->transcript = *be->transcript(s->tls);
}

static void run_connection(const client_case *c, const tlsm_url *u, tlsm_ctx *ctx, tlsm_record *r)
{
    const tlsm_backend *be = tlsm_selected_backend;
    int64_t deadline = tlsm_now_ms() + c->timeout_ms;
    int fd = tlsm_connect(u, &c->resolve, deadline, &r->err);
    if (fd < 0)
        return;
    r->local_port = tlsm_local_port(fd);
    r->peer_port = tlsm_peer_port(fd);
    tlsm_stream s;
    tlsm_stream_init(&s, fd, be, deadline);
    int ok = 1;
    if (ctx != NULL && c->starttls == TLSM_STARTTLS_NONE)
        ok = tls_start(&s, ctx, c, u, &r->err) == 0;
    if (ok)
        converse(&s, c, u, ctx, r);
    finish(&s, c, r);
    describe(&s, r);
    if (s.tls)
        be->conn_free(s.tls);
    close(fd);
}

static void run_case(const client_case *c, tlsm_record *r)
{
    const tlsm_backend *be = tlsm_selected_backend;
    tlsm_url u;
    snprintf(r->url, sizeof r->url, "%s", c->url_text);
    if (tlsm_url_parse(c->url_text, c->port, TLSM_URL_CONNECT, &u, &r->err) < 0)
        return;
    tlsm_url_format(&u, r->url, sizeof r->url);
    r->transport = tlsm_transport_name(u.transport);
    r->proto = c->proto;
    r->starttls = c->starttls != TLSM_STARTTLS_NONE;
    /* With STARTTLS, tcp:// upgrades to any version; tls/tlsvX.Y:// give the policy. */
    r->tls = tlsm_transport_is_tls(u.transport) || r->starttls;
    if (u.transport == TLSM_TR_UDP && c->proto != TLSM_PROTO_ECHO) {
        tlsm_fail(&r->err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                  "--proto %s runs over a stream, not udp://", tlsm_proto_name(c->proto));
        return;
    }
    tlsm_ctx *ctx = NULL;
    if (r->tls) {
        ctx = be->ctx_new(TLSM_CLIENT, &c->opts, tlsm_transport_pinned_version(u.transport),
                          &r->err);
        if (ctx == NULL)
            return;
    }
    if (!c->parse_only)
        run_connection(c, &u, ctx, r);
    if (ctx)
        be->ctx_free(ctx);
}

static int exit_code_for(const tlsm_record *r)
{
    if (r->err.cls == TLSM_OK)
        return EXIT_CONNECTED;
    return r->err.cls == TLSM_E_CONFIG_UNSUPPORTED ? EXIT_UNSUPPORTED : EXIT_CLASSIFIED;
}

static void case_init(client_case *c)
{
    memset(c, 0, sizeof *c);
    c->port = -1;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    tlsm_options_init(&c->opts);
}

static char impl_name[64];

/* Runs one case given as argv and writes its record; returns the exit code it stands for. */
static int run_args(int argc, char **argv, const char *id, int usage_is_fatal)
{
    const tlsm_backend *be = tlsm_selected_backend;
    client_case c;
    case_init(&c);
    tlsm_record r;
    tlsm_record_init(&r, "client", impl_name, be->lib_version());
    if (id)
        snprintf(r.id, sizeof r.id, "%s", id);
    int64_t start = tlsm_now_us();
    int args = parse_args(argc, argv, &c, &r.err);
    int parsed = args == ARGS_OK;
    if (args == ARGS_USAGE && usage_is_fatal) {
        fprintf(stderr, "tlsm-client-%s: %s\n", be->name, r.err.detail);
        usage(stderr);
        tlsm_options_free(&c.opts);
        return EXIT_USAGE;
    }
    if (parsed)
        run_case(&c, &r);
    else if (c.url_text)
        snprintf(r.url, sizeof r.url, "%s", c.url_text);
    r.ms = (double)(tlsm_now_us() - start) / 1000.0;
    tlsm_record_write(&r, stdout);
    int code = exit_code_for(&r);
    tlsm_record_clear(&r);
    tlsm_options_free(&c.opts);
    return code;
}

/* A line that is not a case still gets a record, with its id when it had a readable one, so
 * the harness can tell which case it was. */
static void batch_bad_line(const char *id, const char *why)
{
    const tlsm_backend *be = tlsm_selected_backend;
    tlsm_record r;
    tlsm_record_init(&r, "client", impl_name, be->lib_version());
    if (id)
        snprintf(r.id, sizeof r.id, "%s", id);
    tlsm_fail(&r.err, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE, "bad --batch line: %s", why);
    tlsm_record_write(&r, stdout);
}

/* One case per line until EOF; a bad line yields a record, never the end of the batch. */
static int run_batch(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (len > MAX_CASE_LINE) {
            batch_bad_line(NULL, "longer than 1 MiB");
            continue;
        }
        tlsm_case_line cl;
        char why[256];
        if (tlsm_case_line_parse(line, &cl, why, sizeof why) < 0)
            batch_bad_line(cl.id, why);
        else
            run_args(cl.n_args, cl.args, cl.id, 0);
        tlsm_case_line_free(&cl);
    }
    free(line);
    return EXIT_CONNECTED;
}

int main(int argc, char **argv)
{
    const tlsm_backend *be = tlsm_selected_backend;
    snprintf(impl_name, sizeof impl_name, "reference-%s", be->name);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return EXIT_CONNECTED;
    }
    if (argc == 2 && strcmp(argv[1], "--caps") == 0) {
        tlsm_backend_print_caps(be, stdout);
        return EXIT_CONNECTED;
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer that resets must give io.reset, not kill the client */
    tlsm_error init_err;
    tlsm_error_clear(&init_err);
    if (be->global_init(&init_err) < 0) {
        fprintf(stderr, "tlsm-client-%s: %s\n", be->name, init_err.detail);
        return EXIT_CLASSIFIED;
    }
    int code = argc == 2 && strcmp(argv[1], "--batch") == 0 ? run_batch()
                                                            : run_args(argc - 1, argv + 1, NULL, 1);
    be->global_cleanup();
    return code;
}
