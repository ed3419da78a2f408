/* The --resolve map (tlsm_resolve_map_add) and listening on a name through it (tlsm_listen):
 * what the server's --resolve and the matrix's name host form rely on; and the linger after a
 * fatal alert that both backends use (tlsm_linger_after_alert). Loopback only; the one
 * name looked up by the system is under the reserved .invalid TLD (RFC 6761 §6.4). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "unit.h"

static void test_map_entries(void)
{
    static const struct {
        const char *spec, *host, *addr;
    } good[] = {
        {"server.test:127.0.0.1", "server.test", "127.0.0.1"},
        {"v6.test:::1", "v6.test", "::1"},     /* the first colon ends the name */
        {"v6.test:[::1]", "v6.test", "::1"},   /* brackets are taken off */
        {"Mixed.Case:10.0.0.1", "Mixed.Case", "10.0.0.1"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        unit_context("%s", good[i].spec);
        tlsm_resolve_map m = {0};
        tlsm_error e;
        tlsm_error_clear(&e);
        if (UNIT_EQ_INT(tlsm_resolve_map_add(&m, good[i].spec, &e), 0) && UNIT_EQ_INT(m.n, 1)) {
            UNIT_EQ_STR(m.entries[0].host, good[i].host);
            UNIT_EQ_STR(m.entries[0].addr, good[i].addr);
        }
    }
    static const char *const bad[] = {"nocolon", ":127.0.0.1", "name:", "name:not-an-address",
                                      "name:127.0.0.256", "name:[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unit_context("%s", bad[i]);
        tlsm_resolve_map m = {0};
        tlsm_error e;
        tlsm_error_clear(&e);
        UNIT_EQ_INT(tlsm_resolve_map_add(&m, bad[i], &e), -1);
        UNIT_EQ_STR(tlsm_class_name(e.cls), "config.bad_option");
        UNIT_EQ_INT(m.n, 0);
    }
    unit_context(NULL);
}

static void test_map_is_bounded(void)
{
    tlsm_resolve_map m = {0};
    tlsm_error e;
    tlsm_error_clear(&e);
    for (int i = 0; i < TLSM_MAX_RESOLVE; i++)
        UNIT_EQ_INT(tlsm_resolve_map_add(&m, "a.test:127.0.0.1", &e), 0);
    UNIT_EQ_INT(tlsm_resolve_map_add(&m, "a.test:127.0.0.1", &e), -1);
    UNIT_EQ_STR(tlsm_class_name(e.cls), "config.bad_option");
    UNIT_EQ_INT(m.n, TLSM_MAX_RESOLVE);
}

/* Listens on url_text through the map; returns the fd (or -1) and the bound address as text. */
static int listen_on(const char *url_text, const tlsm_resolve_map *map, char *addr, size_t len,
                     tlsm_error *e)
{
    tlsm_url u;
    tlsm_error_clear(e);
    addr[0] = '\0';
    if (tlsm_url_parse(url_text, -1, TLSM_URL_LISTEN, &u, e) < 0)
        return -1;
    int fd = tlsm_listen(&u, map, e);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &ss_len) == 0) {
        const void *a = &((struct sockaddr_in *)&ss)->sin_addr;
        if (ss.ss_family == AF_INET6)
            a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        inet_ntop(ss.ss_family, a, addr, (socklen_t)len);
    }
    return fd;
}

static void test_listen_on_a_name_through_the_map(void)
{
    tlsm_resolve_map m = {0};
    tlsm_error e;
    tlsm_error_clear(&e);
    tlsm_resolve_map_add(&m, "server.test:127.0.0.1", &e);
    tlsm_resolve_map_add(&m, "v6.test:[::1]", &e);
    char addr[INET6_ADDRSTRLEN];

    /* The map is consulted case-insensitively, like the client's (DNS names, RFC 4343). */
    static const struct {
        const char *url, *addr;
    } cases[] = {{"tcp://server.test:0", "127.0.0.1"},
                 {"tls://SERVER.test:0", "127.0.0.1"},
                 {"udp://server.test:0", "127.0.0.1"},
                 {"tcp://v6.test:0", "::1"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unit_context("%s", cases[i].url);
        int fd = listen_on(cases[i].url, &m, addr, sizeof addr, &e);
        if (UNIT_CHECK(fd >= 0, "did not listen: %s", e.detail)) {
            UNIT_EQ_STR(addr, cases[i].addr);
            UNIT_CHECK(tlsm_local_port(fd) > 0, "port 0 was not replaced by a free port");
            close(fd);
        }
    }
    unit_context(NULL);
}

static void test_a_name_outside_the_map_goes_to_the_system(void)
{
    tlsm_resolve_map m = {0};
    tlsm_error e;
    tlsm_error_clear(&e);
    tlsm_resolve_map_add(&m, "server.test:127.0.0.1", &e);
    char addr[INET6_ADDRSTRLEN];
    /* .invalid never resolves (RFC 6761 §6.4): with the map, and without one (NULL). */
    const tlsm_resolve_map *maps[] = {&m, NULL};
    for (size_t i = 0; i < 2; i++) {
        unit_context("map %s", maps[i] ? "given" : "NULL");
        int fd = listen_on("tcp://nothing.invalid:0", maps[i], addr, sizeof addr, &e);
        UNIT_EQ_INT(fd, -1);
        UNIT_EQ_STR(tlsm_class_name(e.cls), "resolve.failed");
        UNIT_EQ_STR(tlsm_stage_name(e.stage), "resolve");
        UNIT_CONTAINS(e.detail, "nothing.invalid");
        if (fd >= 0)
            close(fd);
    }
    /* No map at all: an IP literal listens as it always did. */
    unit_context("127.0.0.1, no map");
    int fd = listen_on("tcp://127.0.0.1:0", NULL, addr, sizeof addr, &e);
    if (UNIT_CHECK(fd >= 0, "did not listen: %s", e.detail)) {
        UNIT_EQ_STR(addr, "127.0.0.1");
        close(fd);
    }
    unit_context(NULL);
}

/* A connected loopback pair: *client from tlsm_connect, the return value from accept. */
static int connected_pair(int *client)
{
    char addr[INET6_ADDRSTRLEN];
    tlsm_error e;
    int lfd = listen_on("tcp://127.0.0.1:0", NULL, addr, sizeof addr, &e);
    *client = -1;
    if (!UNIT_CHECK(lfd >= 0, "did not listen: %s", e.detail))
        return -1;
    tlsm_url u;
    tlsm_url_parse("tcp://127.0.0.1", tlsm_local_port(lfd), TLSM_URL_CONNECT, &u, &e);
    *client = tlsm_connect(&u, NULL, tlsm_now_ms() + 2000, &e);
    int server = *client >= 0 ? accept(lfd, NULL, NULL) : -1;
    close(lfd);
    UNIT_CHECK(server >= 0, "no connection: %s", e.detail);
    return server;
}

/* recv after waiting at most 2 s for something to read (a FIN counts): -2 when nothing came. */
static int recv_within(int fd, char *buf, size_t len)
{
    if (tlsm_wait_fd(fd, POLLIN, tlsm_now_ms() + 2000) <= 0)
        return -2;
    return (int)recv(fd, buf, len, MSG_DONTWAIT);
}

static void test_linger_reads_what_the_peer_still_sends_and_sends_fin(void)
{
    int client, server = connected_pair(&client);
    if (server < 0) {
        if (client >= 0)
            close(client);
        return;
    }
    /* The peer still sends (a TLS 1.3 server's tickets, say), then closes its side. */
    UNIT_EQ_INT((int)send(client, "unread", 6, 0), 6);
    shutdown(client, SHUT_WR);
    tlsm_linger_after_alert(server);
    /* Nothing unread was left behind, so our close is a FIN, and our FIN came first. */
    char buf[8];
    UNIT_EQ_INT((int)recv(server, buf, sizeof buf, MSG_DONTWAIT), 0);
    UNIT_EQ_INT(recv_within(client, buf, sizeof buf), 0);
    close(server);
    close(client);
}

static void test_linger_is_bounded_when_the_peer_stays(void)
{
    int client, server = connected_pair(&client);
    if (server < 0) {
        if (client >= 0)
            close(client);
        return;
    }
    /* The peer neither sends nor closes: the linger must still end (after its 300 ms). */
    tlsm_linger_after_alert(server);
    char buf[8];
    UNIT_EQ_INT(recv_within(client, buf, sizeof buf), 0); /* it half-closed all the same */
    close(server);
    close(client);
}

UNIT_MAIN("net")
{
    test_map_entries();
    test_map_is_bounded();
    test_listen_on_a_name_through_the_map();
    test_a_name_outside_the_map_goes_to_the_system();
    test_linger_reads_what_the_peer_still_sends_and_sends_fin();
    test_linger_is_bounded_when_the_peer_stays();
}
