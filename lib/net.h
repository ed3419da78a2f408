/* Sockets, name resolution (with --resolve overrides) and bounded waits. */
#ifndef TLSM_NET_H
#define TLSM_NET_H

#include <stdint.h>
#include <sys/socket.h>

#include "errors.h"
#include "url.h"

#define TLSM_MAX_RESOLVE 16

/* --resolve host:addr pairs: the name is looked up here before (instead of) the system. */
typedef struct tlsm_resolve_map {
    struct {
        char host[TLSM_HOST_MAX + 1];
        char addr[64];
    } entries[TLSM_MAX_RESOLVE];
    int n;
} tlsm_resolve_map;

/* Adds "host:addr" (addr may be an IPv6 literal, bracketed or not). config.bad_option on error. */
int tlsm_resolve_map_add(tlsm_resolve_map *m, const char *spec, tlsm_error *e);

int64_t tlsm_now_ms(void); /* monotonic clock */
int64_t tlsm_now_us(void); /* the same clock in microseconds, for durations in records */

/* Waits until fd is ready for events (POLLIN/POLLOUT) or the deadline passes.
 * Returns 1 ready, 0 timed out, -1 poll failed (errno set). EINTR is retried. */
int tlsm_wait_fd(int fd, short events, int64_t deadline_ms);

/* Resolves and connects (TCP or UDP by url->transport), non-blocking, bounded by deadline.
 * Returns the fd or -1 with resolve.failed / connect.refused / connect.timeout / connect.failed. */
int tlsm_connect(const tlsm_url *url, const tlsm_resolve_map *map, int64_t deadline_ms,
                 tlsm_error *e);

/* Binds and (for TCP) listens; loopback unless the URL names another address. A host name is
 * looked up in map first, as tlsm_connect does (map may be NULL), so a server can listen on a
 * name without the system resolver. Returns the fd or -1 with listen.failed / resolve.failed. */
int tlsm_listen(const tlsm_url *url, const tlsm_resolve_map *map, tlsm_error *e);

/* After sending a fatal alert: half-close, then read and discard what the peer still sends
 * until it closes, for at most 300 ms. Closing with unread input makes the kernel send RST
 * instead of FIN, and an RST can destroy the alert in the peer's receive queue before the peer
 * reads it: the peer would report io.truncated or io.reset instead of the alert's class. Our
 * FIN goes first, so a peer doing the same after its own alert does not wait for us. */
void tlsm_linger_after_alert(int fd);

/* Local / peer port of a socket, 0 when unknown. */
int tlsm_local_port(int fd);
int tlsm_peer_port(int fd);

int tlsm_set_nonblocking(int fd);

/* Writes all of buf to a plain socket, bounded by deadline. 0 or -1 with io.* set. */
int tlsm_send_all(int fd, const void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);
/* Reads what is there (up to len), waiting until the deadline. >0, 0 on EOF, -1 with io.*. */
long tlsm_recv_some(int fd, void *buf, size_t len, int64_t deadline_ms, tlsm_error *e);

#endif
