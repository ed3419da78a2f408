/* The reference server (DESIGN §6, docs/server.md):
 *   tlsm-server-<lib> --listen URL [--proto echo|smtp|imap|pop3] [--starttls | --starttls-refuse]
 *                     [-o name=value …] [--resolve host:addr …] [--timeout MS] [--max-conns N]
 *                     [--no-close-notify] [--no-stdin]
 * Binds, prints "READY <transport>://<host>:<port>", then writes one JSON record per connection
 * (per datagram for udp) until SIGTERM/SIGINT or until stdin is closed.
 *
 * Concurrency: one detached thread per TCP/TLS connection sharing one backend context, at most
 * --max-conns at once (the accept loop waits for a free slot). Every wait of a connection is
 * bounded by its deadline (--timeout from accept), so stopping waits at most that long. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "mail.h"
#include "net.h"
#include "options.h"
#include "proto.h"
#include "result.h"
#include "stream.h"
#include "url.h"

extern const tlsm_backend *const tlsm_selected_backend;

enum { EXIT_OK = 0, EXIT_CLASSIFIED = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3 };

typedef struct server {
    tlsm_url url;
    char url_text[512];
    tlsm_options opts;
    tlsm_resolve_map resolve; /* --resolve: a listen host name is looked up here first */
    tlsm_ctx *ctx; /* NULL for tcp/udp */
    long long timeout_ms;
    long long max_conns;
    int no_close_notify;
    int watch_stdin;
    tlsm_proto proto;
    tlsm_starttls_policy starttls; /* NONE: implicit TLS (tls:// URLs) or plain */
    char impl[64];
    int listen_fd;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    long active;
} server;

static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(stop_pipe[1], "x", 1) < 0) { /* nothing to do: the pipe is full, a stop is pending */
    }
    errno = saved;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tlsm-server-%s --listen URL [--proto echo|smtp|imap|pop3]\n"
            "                     [--starttls | --starttls-refuse] [-o name=value]...\n"
            "                     [--resolve host:addr]... [--timeout MS] [--max-conns N]\n"
            "                     [--no-close-notify] [--no-stdin]\n"
            "URL: [transport://]host[:port], port 0 = any free port; default tcp://127.0.0.1:0\n"
            "--resolve host:addr maps a listen host name to addr without the system resolver\n"
            "(as the client's --resolve does); READY still names the host as given.\n"
            "Prints READY <transport>://<host>:<port>, then one JSON record per connection.\n"
            "Stops on SIGTERM/SIGINT or when stdin is closed (unless --no-stdin).\n"
            "A mail protocol on tls:// is implicit TLS; --starttls starts in plaintext and offers\n"
            "the upgrade (the URL's transport gives the TLS policy, tcp:// any version);\n"
            "--starttls-refuse offers it and then refuses (SMTP 454, IMAP NO, POP3 -ERR).\n"
            "Context options (-o):\n",
            tlsm_selected_backend->name);
    tlsm_options_print_help(TLSM_SERVER, f);
}

/* ------------------------------------------------------------ arguments */

#define USAGE_ERROR(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), EXIT_USAGE)

/* 0, EXIT_USAGE (unreadable command line), or EXIT_CLASSIFIED with e set (bad option value). */
static int parse_args(int argc, char **argv, server *sv, const char **listen, tlsm_error *e)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = strcmp(a, "-o") == 0 || strcmp(a, "--listen") == 0 ||
                          strcmp(a, "--proto") == 0 || strcmp(a, "--timeout") == 0 ||
                          strcmp(a, "--max-conns") == 0 || strcmp(a, "--resolve") == 0;
        if (takes_value && value == NULL)
            return USAGE_ERROR("%s needs a value", a);
        if (strcmp(a, "-o") == 0) {
            if (tlsm_options_set(&sv->opts, TLSM_SERVER, value, e) < 0)
                return EXIT_CLASSIFIED;
        } else if (strcmp(a, "--listen") == 0) {
            *listen = value;
        } else if (strcmp(a, "--resolve") == 0) {
            /* The client's parser and map: a bad value is config.bad_option, as there. */
            if (tlsm_resolve_map_add(&sv->resolve, value, e) < 0)
                return EXIT_CLASSIFIED;
        } else if (strcmp(a, "--proto") == 0) {
            int proto = tlsm_proto_parse(value);
            if (proto < 0)
                return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                                 "--proto \"%s\" is not one of echo, smtp, imap, pop3", value),
                       EXIT_CLASSIFIED;
            sv->proto = (tlsm_proto)proto;
        } else if (strcmp(a, "--starttls") == 0) {
            sv->starttls = TLSM_STARTTLS_OFFER;
        } else if (strcmp(a, "--starttls-refuse") == 0) {
            sv->starttls = TLSM_STARTTLS_REFUSE;
        } else if (strcmp(a, "--timeout") == 0) {
            if (tlsm_parse_integer(value, 1, 3600000, &sv->timeout_ms) < 0)
                return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                                 "--timeout \"%s\" is not a number of milliseconds (1-3600000)",
                                 value),
                       EXIT_CLASSIFIED;
        } else if (strcmp(a, "--max-conns") == 0) {
            if (tlsm_parse_integer(value, 1, 4096, &sv->max_conns) < 0)
                return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                                 "--max-conns \"%s\" is not a number from 1 to 4096", value),
                       EXIT_CLASSIFIED;
        } else if (strcmp(a, "--no-close-notify") == 0) {
            sv->no_close_notify = 1;
        } else if (strcmp(a, "--no-stdin") == 0) {
            sv->watch_stdin = 0;
        } else {
            return USAGE_ERROR("unknown argument \"%s\"", a);
        }
        if (takes_value)
            i++;
    }
    if (sv->starttls != TLSM_STARTTLS_NONE && sv->proto == TLSM_PROTO_ECHO)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--starttls needs --proto smtp, imap or pop3"),
               EXIT_CLASSIFIED;
    return 0;
}

/* ------------------------------------------------------------ one connection */

typedef struct connection {
    server *sv;
    int fd;
} connection;

static int start_tls(void *arg, tlsm_stream *s, tlsm_error *e)
{
    const server *sv = arg;
    const tlsm_backend *be = tlsm_selected_backend;
    s->tls = be->conn_new(sv->ctx, s->fd, NULL, NULL, e);
    if (s->tls == NULL)
        return -1;
    return be->handshake(s->tls, s->deadline_ms, e);
}

static int converse(server *sv, tlsm_stream *s, tlsm_record *r)
{
    if (sv->proto == TLSM_PROTO_ECHO)
        return tlsm_echo_serve(s, &r->err);
    tlsm_mail_config cfg = {sv->proto, sv->starttls, start_tls, sv};
    return tlsm_mail_serve(s, &cfg, &r->mail, &r->err);
}

/* Ends the connection: our close_notify (or FIN), and on TLS the peer's close_notify noted. */
static void finish(server *sv, tlsm_stream *s, tlsm_record *r, int converse_rc)
{
    if (converse_rc < 0) {
        if (r->err.cls == TLSM_E_IO_TRUNCATED && r->err.stage != TLSM_STAGE_HANDSHAKE)
            r->close_notify = 0;
        return;
    }
    int peer_ended_first = s->peer_closed;
    if (tlsm_stream_finish(s, sv->no_close_notify, &r->err) < 0) {
        r->err.stage = TLSM_STAGE_CLOSE;
        return;
    }
    if (s->tls == NULL)
        return;
    if (peer_ended_first) {
        r->close_notify = 1; /* read() returned 0: that was the peer's close_notify */
        return;
    }
    tlsm_error wait_err;
    tlsm_error_clear(&wait_err);
    r->close_notify = tlsm_stream_await_peer_end(s, &wait_err);
    if (!r->close_notify)
        tlsm_fail(&r->err, wait_err.cls, TLSM_STAGE_CLOSE,
                  "waiting for the client's close_notify: %s", wait_err.detail);
}

static void serve_stream(server *sv, int fd, tlsm_record *r)
{
    const tlsm_backend *be = tlsm_selected_backend;
    tlsm_stream s;
    tlsm_stream_init(&s, fd, be, tlsm_now_ms() + sv->timeout_ms);
    int rc = 0;
    if (sv->ctx && sv->starttls == TLSM_STARTTLS_NONE)
        rc = start_tls(sv, &s, &r->err);
    if (rc == 0)
        rc = converse(sv, &s, r);
    finish(sv, &s, r, rc);
    if (s.tls) {
        be->describe(s.tls, &r->session);
        r->transcript = *be->transcript(s.tls);
        be->conn_free(s.tls);
    }
}

static void connection_done(server *sv)
{
    pthread_mutex_lock(&sv->lock);
    sv->active--;
    pthread_cond_broadcast(&sv->changed);
    pthread_mutex_unlock(&sv->lock);
}

static void *connection_main(void *arg)
{
    connection *c = arg;
    server *sv = c->sv;
    const tlsm_backend *be = tlsm_selected_backend;
    int64_t start = tlsm_now_us();
    tlsm_record r;
    tlsm_record_init(&r, "server", sv->impl, be->lib_version());
    snprintf(r.url, sizeof r.url, "%s", sv->url_text);
    r.transport = tlsm_transport_name(sv->url.transport);
    r.tls = sv->ctx != NULL;
    r.proto = sv->proto;
    r.starttls = sv->starttls != TLSM_STARTTLS_NONE;
    r.local_port = tlsm_local_port(c->fd);
    r.peer_port = tlsm_peer_port(c->fd);
    serve_stream(sv, c->fd, &r);
    close(c->fd);
    r.ms = (double)(tlsm_now_us() - start) / 1000.0;
    tlsm_record_write(&r, stdout);
    tlsm_record_clear(&r);
    free(c);
    connection_done(sv);
    return NULL;
}

/* Waits for a free slot so that at most max_conns connections run at once. */
static void reserve_slot(server *sv)
{
    pthread_mutex_lock(&sv->lock);
    while (sv->active >= sv->max_conns)
        pthread_cond_wait(&sv->changed, &sv->lock);
    sv->active++;
    pthread_mutex_unlock(&sv->lock);
}

static void start_connection(server *sv, int fd)
{
    connection *c = malloc(sizeof *c);
    pthread_t tid;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    reserve_slot(sv);
    if (c == NULL || tlsm_set_nonblocking(fd) < 0) {
        free(c);
        close(fd);
        connection_done(sv);
    } else {
        c->sv = sv;
        c->fd = fd;
        if (pthread_create(&tid, &attr, connection_main, c) != 0) {
            free(c);
            close(fd);
            connection_done(sv);
        }
    }
    pthread_attr_destroy(&attr);
}

static void accept_ready(server *sv)
{
    /* Drain the backlog: several clients may be waiting. Bounded by the backlog size. */
    for (int i = 0; i < 128; i++) {
        int fd = accept(sv->listen_fd, NULL, NULL);
        if (fd < 0)
            return; /* EAGAIN (drained) or a transient error: poll again */
        /* Replies are small writes after reads: without this, Nagle holds each one for the
         * peer's delayed ACK (~40 ms per TLS 1.3 echo). Not on UDP sockets: never accepted. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        start_connection(sv, fd);
    }
}

/* UDP: each datagram is echoed at once and gets its own record. */
static void datagram_ready(server *sv)
{
    const tlsm_backend *be = tlsm_selected_backend;
    char buf[65536];
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    ssize_t n = recvfrom(sv->listen_fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &peer_len);
    if (n < 0)
        return;
    tlsm_record r;
    tlsm_record_init(&r, "server", sv->impl, be->lib_version());
    snprintf(r.url, sizeof r.url, "%s", sv->url_text);
    r.transport = "udp";
    r.local_port = sv->url.port;
    r.peer_port = peer.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&peer)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&peer)->sin_port);
    if (sendto(sv->listen_fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len) != n)
        tlsm_fail(&r.err, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "sendto: %s", strerror(errno));
    tlsm_record_write(&r, stdout);
}

/* ------------------------------------------------------------ lifecycle */

static int stdin_closed(void)
{
    char buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

static void serve_until_stopped(server *sv)
{
    int is_udp = sv->url.transport == TLSM_TR_UDP;
    for (;;) {
        struct pollfd p[3] = {
            {.fd = sv->listen_fd, .events = POLLIN},
            {.fd = stop_pipe[0], .events = POLLIN},
            {.fd = sv->watch_stdin ? STDIN_FILENO : -1, .events = POLLIN},
        };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[1].revents)
            return;
        if (p[2].revents && stdin_closed())
            return;
        if (p[0].revents & POLLIN) {
            if (is_udp)
                datagram_ready(sv);
            else
                accept_ready(sv);
        }
    }
}

/* Connections still running get until their own deadline (plus a second) to finish. */
static int drain_connections(server *sv)
{
    int64_t give_up = tlsm_now_ms() + sv->timeout_ms + 1000;
    pthread_mutex_lock(&sv->lock);
    while (sv->active > 0 && tlsm_now_ms() < give_up) {
        pthread_mutex_unlock(&sv->lock);
        struct pollfd none = {.fd = -1};
        poll(&none, 0, 20);
        pthread_mutex_lock(&sv->lock);
    }
    long left = sv->active;
    pthread_mutex_unlock(&sv->lock);
    return left == 0;
}

static int fail_startup(server *sv, const tlsm_error *e)
{
    const tlsm_backend *be = tlsm_selected_backend;
    tlsm_record r;
    tlsm_record_init(&r, "server", sv->impl, be->lib_version());
    snprintf(r.url, sizeof r.url, "%s", sv->url_text);
    r.err = *e;
    tlsm_record_write(&r, stdout);
    return e->cls == TLSM_E_CONFIG_UNSUPPORTED ? EXIT_UNSUPPORTED : EXIT_CLASSIFIED;
}

static int install_stop_handlers(void)
{
    if (pipe(stop_pipe) < 0)
        return -1;
    tlsm_set_nonblocking(stop_pipe[1]);
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Parses the listen URL, creates the context and binds. 0 or -1 with e set. */
static int set_up(server *sv, const char *listen_text, tlsm_error *e)
{
    const tlsm_backend *be = tlsm_selected_backend;
    snprintf(sv->url_text, sizeof sv->url_text, "%s", listen_text);
    if (tlsm_url_parse(listen_text, -1, TLSM_URL_LISTEN, &sv->url, e) < 0)
        return -1;
    if (sv->url.transport == TLSM_TR_UDP && sv->proto != TLSM_PROTO_ECHO)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--proto %s runs over a stream, not udp://", tlsm_proto_name(sv->proto));
    if (tlsm_transport_is_tls(sv->url.transport) || sv->starttls != TLSM_STARTTLS_NONE) {
        if (sv->opts.local_cert == NULL && sv->opts.sni_certs == NULL)
            return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_CONFIG,
                             "a TLS server needs a certificate: -o local_cert=FILE (and local_pk "
                             "unless the file holds the key)");
        sv->ctx = be->ctx_new(TLSM_SERVER, &sv->opts,
                              tlsm_transport_pinned_version(sv->url.transport), e);
        if (sv->ctx == NULL)
            return -1;
    }
    sv->listen_fd = tlsm_listen(&sv->url, &sv->resolve, e);
    if (sv->listen_fd < 0)
        return -1;
    sv->url.port = (uint16_t)tlsm_local_port(sv->listen_fd);
    tlsm_url_format(&sv->url, sv->url_text, sizeof sv->url_text);
    return 0;
}

static void server_init(server *sv)
{
    memset(sv, 0, sizeof *sv);
    tlsm_options_init(&sv->opts);
    sv->timeout_ms = 10000;
    sv->max_conns = 64;
    sv->watch_stdin = 1;
    sv->listen_fd = -1;
    pthread_mutex_init(&sv->lock, NULL);
    pthread_cond_init(&sv->changed, NULL);
    snprintf(sv->impl, sizeof sv->impl, "reference-%s", tlsm_selected_backend->name);
}

static int run(server *sv, int argc, char **argv)
{
    const tlsm_backend *be = tlsm_selected_backend;
    const char *listen_text = "tcp://127.0.0.1:0";
    tlsm_error e;
    tlsm_error_clear(&e);
    int rc = parse_args(argc, argv, sv, &listen_text, &e);
    if (rc == EXIT_USAGE) {
        usage(stderr);
        return rc;
    }
    if (rc != 0 || set_up(sv, listen_text, &e) < 0)
        return fail_startup(sv, &e);
    printf("READY %s\n", sv->url_text);
    fflush(stdout);
    serve_until_stopped(sv);
    /* Clients that connected before the stop are in the kernel's backlog: serve them rather
     * than let closing the listener reset them. */
    if (sv->url.transport != TLSM_TR_UDP)
        accept_ready(sv);
    close(sv->listen_fd);
    if (!drain_connections(sv)) {
        fprintf(stderr, "tlsm-server-%s: connections still running at exit\n", be->name);
        fflush(stdout);
        _exit(EXIT_CLASSIFIED); /* they still use the context: don't free it under them */
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    const tlsm_backend *be = tlsm_selected_backend;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return EXIT_OK;
    }
    if (argc == 2 && strcmp(argv[1], "--caps") == 0) {
        tlsm_backend_print_caps(be, stdout);
        return EXIT_OK;
    }
    tlsm_error e;
    tlsm_error_clear(&e);
    if (install_stop_handlers() < 0 || be->global_init(&e) < 0) {
        fprintf(stderr, "tlsm-server-%s: cannot start: %s\n", be->name, e.detail);
        return EXIT_CLASSIFIED;
    }
    server sv;
    server_init(&sv);
    int rc = run(&sv, argc, argv);
    if (sv.ctx)
        be->ctx_free(sv.ctx);
    tlsm_options_free(&sv.opts);
    pthread_mutex_destroy(&sv.lock);
    pthread_cond_destroy(&sv.changed);
    be->global_cleanup();
    return rc;
}
