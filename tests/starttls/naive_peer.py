"""A naive SMTP / IMAP / POP3 client and server in Python, with the classic STARTTLS mistakes
available one at a time, to prove that each attack check flags the mistake it is about (and
only that one). It speaks the reference programs' command-line contract (docs/result-record.md),
so the checks drive it through the same face as the reference binaries:

  naive_peer.py server --listen tcp://HOST:0 --proto P [--starttls] -o local_cert=F -o local_pk=F
                       [--timeout MS] [--flaw keep-buffer]
  naive_peer.py client tcp://HOST:PORT --proto P [--starttls | --starttls-opportunistic]
                       -o cafile=F [--timeout MS] [--flaw keep-buffer]
                       [--flaw ignore-missing-starttls]

Flaws:
  keep-buffer               what was read ahead in plaintext stays in the line buffer after
                            the upgrade (the server answers pipelined commands inside TLS, as in
                            CVE-2011-0411; the client reads an injected reply inside TLS, as in
                            CVE-2020-14954)
  ignore-missing-starttls   a client that was told to require STARTTLS goes on in plaintext when
                            it is not offered

Without flaws it is a small conforming implementation: the checks must call it conforming.
Deliberately independent of harness/attacks, so that the checks cannot share its mistakes."""

import argparse
import json
import re
import socket
import ssl
import sys
import threading

TAGGED = {"imap"}


def parse_url(url):
    m = re.match(r"^tcp://(\[[^\]]+\]|[^:]+):(\d+)$", url)
    if not m:
        sys.exit(f"naive_peer: bad URL {url!r}")
    host = m.group(1).strip("[]")
    return host, int(m.group(2))


class Lines:
    """Buffered line reader over a socket; the flaw is whether upgrade() forgets the buffer."""

    def __init__(self, sock, keep_buffer, timeout):
        self.sock, self.keep_buffer, self.buf = sock, keep_buffer, b""
        self.sock.settimeout(timeout)

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("latin-1")

    def send(self, text):
        self.sock.sendall(text.encode("latin-1"))

    def upgrade(self, ctx, server_side, hostname=None):
        discarded = 0 if self.keep_buffer else len(self.buf)
        if not self.keep_buffer:
            self.buf = b""
        self.sock = ctx.wrap_socket(self.sock, server_side=server_side, server_hostname=hostname)
        return discarded


def record(side, proto, ok=True, error=None, detail=None, tls=None, starttls=None,
           ports=(None, None)):
    rec = {"side": side, "impl": "naive-python", "lib_version": ssl.OPENSSL_VERSION, "id": None,
           "url": None, "transport": "tcp", "ok": ok, "stage": "none" if ok else "starttls",
           "error": error, "detail": detail, "version": tls.version() if tls else None,
           "cipher": None, "peer_subject": None, "peer_sans": None, "alpn": None, "sni": None,
           "transcript": None, "close_notify": None, "local_port": ports[0],
           "peer_port": ports[1], "ms": 0, "proto": proto, "starttls": starttls}
    return json.dumps(rec)


# ---- server --------------------------------------------------------------------------------------

def serve_one(conn, args, ctx, out_lock):
    proto, offer = args.proto, args.starttls
    lines = Lines(conn, "keep-buffer" in args.flaw, args.timeout / 1000)
    ports = (conn.getsockname()[1], conn.getpeername()[1])
    tls, state = False, {"offered": None, "upgraded": False, "discarded": None}

    def caps():
        if proto == "smtp":
            return ["250-naive", *(["250-STARTTLS"] if offer and not tls else []), "250 8BITMIME"]
        if proto == "imap":
            return [f"* CAPABILITY IMAP4rev2{' STARTTLS' if offer and not tls else ''}"]
        return ["+OK caps", "USER", *(["STLS"] if offer and not tls else []), "."]

    greet = {"smtp": "220 naive ESMTP", "imap": "* OK naive IMAP", "pop3": "+OK naive POP3"}
    try:
        lines.send(greet[proto] + "\r\n")
        while True:
            line = lines.readline()
            if line is None:
                break
            tag, verb = ("", line.split(" ")[0].upper())
            if proto in TAGGED:
                tag, _, rest = line.partition(" ")
                verb = rest.split(" ")[0].upper()
            ok = f"{tag} OK done" if tag else ("+OK" if proto == "pop3" else "250 OK")
            if verb in ("EHLO", "CAPABILITY", "CAPA"):
                out = caps() + ([f"{tag} OK CAPABILITY done"] if tag else [])
            elif verb in ("STARTTLS", "STLS") and offer and not tls:
                lines.send((f"{tag} OK begin" if tag else ("+OK begin" if proto == "pop3"
                                                           else "220 go ahead")) + "\r\n")
                state["discarded"] = lines.upgrade(ctx, server_side=True)
                tls, state["upgraded"] = True, True
                continue
            elif verb in ("STARTTLS", "STLS"):     # not offered, or TLS already active
                out = [f"{tag} BAD no" if tag else ("-ERR no" if proto == "pop3" else "502 no")]
            elif verb in ("QUIT", "LOGOUT"):
                lines.send((f"{tag} OK bye" if tag else ("+OK bye" if proto == "pop3"
                                                         else "221 bye")) + "\r\n")
                break
            else:
                out = [ok]
            lines.send("".join(f"{x}\r\n" for x in out))
        result = record("server", proto, tls=lines.sock if tls else None,
                        starttls=state if offer else None, ports=ports)
    except (OSError, ssl.SSLError) as exc:
        result = record("server", proto, ok=False, error="io.failed", detail=str(exc),
                        starttls=state if offer else None, ports=ports)
    finally:
        conn.close()
    with out_lock:
        print(result, flush=True)


def server(args):
    host, port = parse_url(args.listen)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.o["local_cert"], args.o["local_pk"])
    lsock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    lsock.bind((host, port))
    lsock.listen()
    shown = f"[{host}]" if ":" in host else host
    print(f"READY tcp://{shown}:{lsock.getsockname()[1]}", flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    out_lock, workers = threading.Lock(), []
    lsock.settimeout(0.05)
    while not stop.is_set():
        try:
            conn, _ = lsock.accept()
        except (socket.timeout, TimeoutError):
            continue
        t = threading.Thread(target=serve_one, args=(conn, args, ctx, out_lock), daemon=True)
        t.start()
        workers.append(t)
    for t in workers:
        t.join(args.timeout / 1000)
    return 0


# ---- client --------------------------------------------------------------------------------------

class Dialog:
    def __init__(self, lines, proto):
        self.lines, self.proto, self.n = lines, proto, 0

    def command(self, text):
        """Sends a command (IMAP: with the next tag a1, a2, …) and returns its reply lines."""
        tag = ""
        if self.proto in TAGGED:
            self.n += 1
            tag = f"a{self.n}"
            text = f"{tag} {text}"
        self.lines.send(text + "\r\n")
        return self.reply(tag, multiline=text.upper() == "CAPA")

    def reply(self, tag="", multiline=False):
        out = []
        while True:
            line = self.lines.readline()
            if line is None:
                raise OSError("the server closed the connection")
            out.append(line)
            if self.proto == "smtp" and (len(line) < 4 or line[3] != "-"):
                return out
            if self.proto == "imap" and not line.startswith("*") and line.startswith(tag + " "):
                return out      # lines tagged for someone else are skipped, like untagged ones
            if self.proto == "pop3" and (not multiline or line == "." or line.startswith("-ERR")):
                return out


def client(args):
    host, port = parse_url(args.url)
    proto = args.proto
    policy = "required" if args.starttls else "opportunistic" if args.starttls_opportunistic \
        else None
    state = {"offered": None, "upgraded": False, "discarded": None} if policy else None
    sock = socket.create_connection((host, port), timeout=args.timeout / 1000)
    ports = sock.getsockname()[1], port
    lines = Lines(sock, "keep-buffer" in args.flaw, args.timeout / 1000)
    d = Dialog(lines, proto)
    caps_cmd = {"smtp": "EHLO naive.test", "imap": "CAPABILITY", "pop3": "CAPA"}[proto]
    tls = None
    try:
        lines.readline()                                   # the greeting: one line here
        caps = d.command(caps_cmd)
        if policy:
            word = "STLS" if proto == "pop3" else "STARTTLS"
            state["offered"] = any(re.search(rf"(^|[ -]){word}( |$)", line.upper())
                                   for line in (caps if proto == "imap" else caps[1:]))
            if state["offered"]:
                go = d.command(word)
                if not re.match(r"^(220|\+OK|a\d+ OK)", go[-1]):
                    raise OSError(f"STARTTLS refused: {go[-1]}")
                ctx = ssl.create_default_context(cafile=args.o.get("cafile"))
                state["discarded"] = lines.upgrade(ctx, server_side=False, hostname=host)
                tls, state["upgraded"] = lines.sock, True
            elif policy == "required" and "ignore-missing-starttls" not in args.flaw:
                d.command("LOGOUT" if proto == "imap" else "QUIT")
                print(record("client", proto, ok=False, error="starttls.not_offered",
                             detail="STARTTLS not offered", starttls=state, ports=ports))
                return 1
        d.command(caps_cmd)                                            # again, maybe inside TLS
        d.command("LOGOUT" if proto == "imap" else "QUIT")
    except (OSError, ssl.SSLError) as exc:
        print(record("client", proto, ok=False, error="io.failed", detail=str(exc),
                     starttls=state, ports=ports))
        return 1
    finally:
        try:
            lines.sock.close()
        except OSError:
            pass
    print(record("client", proto, tls=tls, starttls=state, ports=ports))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("url", nargs="?")
    p.add_argument("--listen")
    p.add_argument("--proto", required=True, choices=["smtp", "imap", "pop3"])
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--starttls-opportunistic", action="store_true")
    p.add_argument("-o", action="append", default=[])
    p.add_argument("--timeout", type=int, default=5000)
    p.add_argument("--flaw", action="append", default=[],
                   choices=["keep-buffer", "ignore-missing-starttls"])
    args = p.parse_args()
    args.o = dict(item.split("=", 1) for item in args.o)
    return server(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    sys.exit(main())
