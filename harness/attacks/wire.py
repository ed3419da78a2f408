"""Bounded line I/O over one TCP connection that can be upgraded to TLS in place, for the
scripted peers. Every read has a deadline; every byte sent and every line received goes into the
evidence log, marked with the side that sent it and whether it travelled inside TLS.

Unlike a conforming implementation, a LineConn does *not* silently drop what it has read ahead
when TLS starts: start_tls() hands it back, because the checks need to see it."""

from __future__ import annotations

import socket
import ssl
import time

MAX_LINE = 16384        # a peer that never sends a line end must not grow our buffer forever
CLOSE_S = 1.0           # bound on the polite TLS close (close_notify both ways)
_TLS_HANDSHAKE = (0x16, 0x03)   # a TLS handshake record header where text should be


class WireError(Exception):
    """The connection did something the scenario cannot go on from (reset, TLS failure, …)."""


class WireTimeout(WireError):
    """No complete line before the deadline. Partial data stays buffered."""


SHOW_MAX = 400   # longer data is shortened in the evidence (an overlong-line test sends 64 KiB)


def show(data: bytes | str) -> str:
    """Bytes as a readable one-line string: CRLF shown as ⏎, other controls escaped."""
    if isinstance(data, bytes):
        data = data.decode("latin-1")
    size = len(data)
    if size > SHOW_MAX:
        data = data[:SHOW_MAX // 2] + "…" + data[-40:]
    out = data.replace("\r\n", "⏎")
    out = "".join(c if c in "⏎…" or 32 <= ord(c) < 127 else f"\\x{ord(c):02x}" for c in out)
    return out + (f" ({size} bytes)" if size > SHOW_MAX else "")


def loopback_family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class LineConn:
    def __init__(self, sock: socket.socket, me: str, log: list[str]):
        self.sock = sock
        self.me, self.peer = me, ("server" if me == "client" else "client")
        self.log = log
        self.buf = bytearray()
        self.tls = False

    # -- the log
    def _mark(self, who: str) -> str:
        return f"{who}{' [TLS]' if self.tls else ''}:"

    def note(self, text: str) -> None:
        self.log.append(f"-- {text}")

    # -- writing
    def send(self, data: bytes, note: str | None = None) -> None:
        """One send call: on loopback a small write arrives as one segment, which is the point
        of the pipelining and injection scenarios."""
        self.log.append(f"{self._mark(self.me)} {show(data)}" + (f"  ({note})" if note else ""))
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError) as exc:
            raise WireError(f"sending failed: {exc}") from exc

    # -- reading
    def _fill(self, deadline: float) -> bool:
        """Reads what is available into the buffer; False at EOF. WireTimeout past deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireTimeout("no data before the deadline")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(4096)
        except (socket.timeout, TimeoutError):
            raise WireTimeout("no data before the deadline") from None
        except ssl.SSLError as exc:
            raise WireError(f"TLS error while reading: {exc}") from exc
        except OSError as exc:   # reset: the peer is gone, which the scenario treats as an end
            self.note(f"{self.peer} reset the connection ({exc.strerror or exc})")
            return False
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_line(self, timeout: float) -> str | None:
        """The next line without its line end, or None when the peer closed the connection.
        A line that starts like a TLS record while we speak plaintext is a WireError."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if not self.tls and len(self.buf) >= 2 and tuple(self.buf[:2]) == _TLS_HANDSHAKE:
                raise WireError(f"the {self.peer} sent a TLS handshake record where a line of "
                                "text was expected (it speaks implicit TLS?)")
            if len(self.buf) > MAX_LINE:
                raise WireError(f"the {self.peer} sent more than {MAX_LINE} bytes without a "
                                "line end")
            if not self._fill(deadline):
                if self.buf:
                    self.log.append(f"{self._mark(self.peer)} {show(bytes(self.buf))}  "
                                    "(no line end before the connection closed)")
                    self.buf.clear()
                self.note(f"{self.peer} closed the connection")
                return None
        line, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        text = line.rstrip(b"\r").decode("latin-1")
        self.log.append(f"{self._mark(self.peer)} {show(text)}")
        return text

    def take_buffer(self) -> bytes:
        """What has been read ahead and not returned as a line (and forgets it)."""
        data, self.buf = bytes(self.buf), bytearray()
        return data

    # -- TLS
    def start_tls(self, ctx: ssl.SSLContext, *, server_side: bool, timeout: float,
                  server_hostname: str | None = None) -> bytes:
        """Handshake on the same connection. Returns the bytes that were read ahead in
        plaintext before it (the caller decides what they mean); WireError when it fails."""
        leftover = self.take_buffer()
        self.sock.settimeout(timeout)
        try:
            tls = ctx.wrap_socket(self.sock, server_side=server_side,
                                  server_hostname=server_hostname,
                                  do_handshake_on_connect=False)
            self.sock = tls
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            raise WireError(f"the TLS handshake failed: {exc}") from exc
        self.tls = True
        self.note(f"TLS handshake complete: {tls.version()}, {tls.cipher()[0]}")
        return leftover

    def close(self) -> None:
        """Polite and bounded: close_notify inside TLS, then close."""
        if self.tls:
            try:
                self.sock.settimeout(CLOSE_S)
                self.sock = self.sock.unwrap()
            except (ssl.SSLError, OSError, ValueError):
                pass
        try:
            self.sock.close()
        except OSError:
            pass


def connect(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.socket(loopback_family(host), socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
    except OSError as exc:
        sock.close()
        raise WireError(f"cannot connect to {host} port {port}: {exc}") from exc
    # Our writes are single small segments by construction; no Nagle delay between them.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
