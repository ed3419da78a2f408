#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int64_t tlsm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tlsm_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int tlsm_wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - tlsm_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0)
            return 1; /* POLLERR/POLLHUP count as ready: the next I/O call reports them */
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

int tlsm_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* ----------------------------------------------------------------- resolve */

int tlsm_resolve_map_add(tlsm_resolve_map *m, const char *spec, tlsm_error *e)
{
    const char *colon = strchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0')
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--resolve \"%s\" is not of the form host:address", spec);
    if (m->n >= TLSM_MAX_RESOLVE)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--resolve given more than %d times", TLSM_MAX_RESOLVE);
    size_t host_len = (size_t)(colon - spec);
    const char *addr = colon + 1;
    size_t addr_len = strlen(addr);
    if (addr[0] == '[' && addr_len > 2 && addr[addr_len - 1] == ']') {
        addr++;
        addr_len -= 2;
    }
    if (host_len > TLSM_HOST_MAX || addr_len >= sizeof m->entries[0].addr)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--resolve \"%s\": host or address too long", spec);
    char addr_copy[sizeof m->entries[0].addr];
    memcpy(addr_copy, addr, addr_len);
    addr_copy[addr_len] = '\0';
    unsigned char probe[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, addr_copy, probe) != 1 && inet_pton(AF_INET6, addr_copy, probe) != 1)
        return tlsm_fail(e, TLSM_E_CONFIG_BAD_OPTION, TLSM_STAGE_PARSE,
                         "--resolve \"%s\": \"%s\" is not an IPv4 or IPv6 address", spec,
                         addr_copy);
    memcpy(m->entries[m->n].host, spec, host_len);
    m->entries[m->n].host[host_len] = '\0';
    memcpy(m->entries[m->n].addr, addr_copy, addr_len + 1);
    m->n++;
    return 0;
}

static const char *resolve_override(const tlsm_resolve_map *map, const char *host)
{
    if (map == NULL)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcasecmp(map->entries[i].host, host) == 0)
            return map->entries[i].addr;
    return NULL;
}

static int is_udp(const tlsm_url *url)
{
    return url->transport == TLSM_TR_UDP;
}

static int lookup(const tlsm_url *url, const tlsm_resolve_map *map, int passive,
                  struct addrinfo **out, tlsm_error *e)
{
    const char *name = resolve_override(map, url->host);
    int numeric = name != NULL || url->host_kind != TLSM_HOST_NAME;
    if (name == NULL)
        name = url->host;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)url->port);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = is_udp(url) ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0) | (passive ? AI_PASSIVE : 0);
    int rc = getaddrinfo(name, port, &hints, out);
    if (rc != 0)
        return tlsm_fail(e, TLSM_E_RESOLVE_FAILED, TLSM_STAGE_RESOLVE, "cannot resolve \"%s\": %s",
                         url->host, gai_strerror(rc));
    return 0;
}

/* ----------------------------------------------------------------- connect */

static int connect_error_class(int err)
{
    if (err == ECONNREFUSED)
        return TLSM_E_CONNECT_REFUSED;
    if (err == ETIMEDOUT)
        return TLSM_E_CONNECT_TIMEOUT;
    return TLSM_E_CONNECT_FAILED;
}

/* One address: start a non-blocking connect and wait for it (bounded). */
static int connect_one(const struct addrinfo *ai, int64_t deadline_ms, tlsm_error *e)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return tlsm_fail(e, TLSM_E_CONNECT_FAILED, TLSM_STAGE_CONNECT, "socket: %s",
                         strerror(errno));
    if (tlsm_set_nonblocking(fd) < 0) {
        close(fd);
        return tlsm_fail(e, TLSM_E_CONNECT_FAILED, TLSM_STAGE_CONNECT, "fcntl: %s",
                         strerror(errno));
    }
    if (ai->ai_socktype == SOCK_STREAM) {
        int one = 1; /* small request/response exchanges: don't wait for Nagle */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    int err = errno;
    if (err == EINPROGRESS) {
        int ready = tlsm_wait_fd(fd, POLLOUT, deadline_ms);
        socklen_t len = sizeof err;
        if (ready == 0) {
            close(fd);
            return tlsm_fail(e, TLSM_E_CONNECT_TIMEOUT, TLSM_STAGE_CONNECT,
                             "connect did not complete before the deadline");
        }
        if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == 0)
            return fd;
    }
    close(fd);
    return tlsm_fail(e, connect_error_class(err), TLSM_STAGE_CONNECT, "connect: %s",
                     strerror(err));
}

int tlsm_connect(const tlsm_url *url, const tlsm_resolve_map *map, int64_t deadline_ms,
                 tlsm_error *e)
{
    struct addrinfo *list;
    if (lookup(url, map, 0, &list, e) < 0)
        return -1;
    int fd = -1;
    tlsm_error last;
    tlsm_error_clear(&last);
    /* Try each address in order (RFC 6724 sorting by getaddrinfo); keep the last failure. */
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        tlsm_error_clear(&last);
        fd = connect_one(ai, deadline_ms, &last);
    }
    freeaddrinfo(list);
    if (fd < 0) {
        tlsm_fail(e, last.cls, last.stage, "%s", last.detail);
        return -1;
    }
    return fd;
}

/* ------------------------------------------------------------------ listen */

int tlsm_listen(const tlsm_url *url, const tlsm_resolve_map *map, tlsm_error *e)
{
    struct addrinfo *list;
    if (lookup(url, map, 1, &list, e) < 0)
        return -1;
    const struct addrinfo *ai = list;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        freeaddrinfo(list);
        return tlsm_fail(e, TLSM_E_LISTEN_FAILED, TLSM_STAGE_CONNECT, "socket: %s",
                         strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) /* "[::1]" means IPv6 only, not a dual-stack wildcard */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    int rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(list);
    if (rc < 0 || (!is_udp(url) && listen(fd, 128) < 0)) {
        int err = errno;
        close(fd);
        return tlsm_fail(e, TLSM_E_LISTEN_FAILED, TLSM_STAGE_CONNECT, "cannot listen on %s port %u: %s",
                         url->host, (unsigned)url->port, strerror(err));
    }
    if (tlsm_set_nonblocking(fd) < 0) {
        close(fd);
        return tlsm_fail(e, TLSM_E_LISTEN_FAILED, TLSM_STAGE_CONNECT, "fcntl: %s",
                         strerror(errno));
    }
    return fd;
}

static int port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return 0;
}

int tlsm_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    return port_of(&ss);
}

int tlsm_peer_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    return port_of(&ss);
}

/* ------------------------------------------------------------- plain I/O */

static int io_error_class(int err)
{
    return err == ECONNRESET || err == EPIPE || err == ECONNREFUSED ? TLSM_E_IO_RESET
                                                                     : TLSM_E_IO_FAILED;
}

int tlsm_send_all(int fd, const void *buf, size_t len, int64_t deadline_ms, tlsm_error *e)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return tlsm_fail(e, io_error_class(errno), TLSM_STAGE_IO, "send: %s", strerror(errno));
        int ready = tlsm_wait_fd(fd, POLLOUT, deadline_ms);
        if (ready == 0)
            return tlsm_fail(e, TLSM_E_IO_TIMEOUT, TLSM_STAGE_IO, "send timed out");
        if (ready < 0)
            return tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "poll: %s", strerror(errno));
    }
    return 0;
}

long tlsm_recv_some(int fd, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e)
{
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n >= 0)
            return (long)n;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return tlsm_fail(e, io_error_class(errno), TLSM_STAGE_IO, "recv: %s", strerror(errno));
        int ready = tlsm_wait_fd(fd, POLLIN, deadline_ms);
        if (ready == 0)
            return tlsm_fail(e, TLSM_E_IO_TIMEOUT, TLSM_STAGE_IO, "nothing received before the deadline");
        if (ready < 0)
            return tlsm_fail(e, TLSM_E_IO_FAILED, TLSM_STAGE_IO, "poll: %s", strerror(errno));
    }
}

/* ------------------------------------------------------------ after an alert */

#define ALERT_LINGER_MS 300

void tlsm_linger_after_alert(int fd)
{
    shutdown(fd, SHUT_WR);
    int64_t deadline = tlsm_now_ms() + ALERT_LINGER_MS;
    unsigned char sink[4096];
    for (int i = 0; i < 256; i++) { /* bounded even against a peer that keeps sending */
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return;
        if (n < 0 && tlsm_wait_fd(fd, POLLIN, deadline) <= 0)
            return;
    }
}
