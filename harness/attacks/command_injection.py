"""Check (a), command injection: does a server answer, inside TLS, a command that a client
pipelined after STARTTLS in plaintext? (RFC 3207 §4.2: the server MUST discard what it knew
before TLS; Postfix CVE-2011-0411 did not, and with it an attacker in the middle could inject
commands into the protected session.)

The scripted client connects, asks for the capabilities, then sends STARTTLS and one more command
in a single segment, so that a server reading ahead has both in its buffer when it answers the
first. It completes the handshake and sends its own marker command. A conforming server answers
exactly one command inside TLS: the marker. Two replies (or, in IMAP, any reply tagged INJECTED)
mean the pipelined plaintext command was executed inside the protected session."""

from __future__ import annotations

import ssl
import time

from ..impls import Implementation
from ..pki import Pki
from ..tools import bracketed
from .dialects import DIALECTS
from .verdict import Verdict, conforming, inconclusive, vulnerable
from .wire import LineConn, WireError, WireTimeout, connect, show

CHECK = "command-injection"
STEP_S = 5.0        # bound on each step of the dialog (a reply, the handshake)
QUIET_S = 0.2       # after the marker's reply: how long any further reply may take to show up
RECORD_WAIT_S = 5.0  # the server's own record of the connection (supporting evidence only)


def probe(host: str, port: int, proto: str, *, cafile: str | None = None,
          server_name: str | None = None) -> Verdict:
    """Runs the scenario against a server that is already listening (plaintext, STARTTLS
    offered). cafile: verify the server with it; None: accept any certificate (an external
    server's trust does not matter to this check)."""
    d = DIALECTS[proto]
    log: list[str] = []
    try:
        sock = connect(host, port, STEP_S)
    except WireError as exc:
        return inconclusive(CHECK, proto, log, str(exc))
    local_port = sock.getsockname()[1]
    conn = LineConn(sock, "client", log)
    try:
        verdict = _dialog(conn, d, proto, log, _client_context(cafile), server_name or host)
    except WireTimeout as exc:
        verdict = inconclusive(CHECK, proto, log, f"the server did not answer in time ({exc})")
    except WireError as exc:
        verdict = inconclusive(CHECK, proto, log, str(exc))
    finally:
        conn.close()
    verdict.local_port = local_port
    return verdict


def _client_context(cafile: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _dialog(conn: LineConn, d, proto: str, log: list[str], ctx, server_name: str) -> Verdict:
    def reply(what: str, multiline: bool = True):
        r = d.read_reply(conn, STEP_S, time.monotonic() + STEP_S, multiline)
        if r is None:
            raise WireError(f"the server closed the connection instead of answering {what}")
        return r

    greeting = d.read_greeting(conn, STEP_S)
    if greeting is None or not greeting.positive:
        return inconclusive(CHECK, proto, log, f"no welcome from the server: {greeting}")
    conn.send(d.capability_command)
    caps = reply("the capability request")
    if not d.offers_starttls(caps):
        return inconclusive(CHECK, proto, log, f"the server does not offer {d.starttls_verb}: "
                            "there is no upgrade to inject into")

    conn.send(d.starttls_command + d.injected_command,
              note=f"{d.starttls_verb} and {d.injected_name} in one segment")
    go_ahead = reply(d.starttls_verb, multiline=False)
    if not go_ahead.positive:
        # Refusing the upgrade (some servers refuse a pipelined STARTTLS) injects nothing.
        return conforming(CHECK, proto, log, f"refused {d.starttls_verb} when a command was "
                          f"pipelined after it ({go_ahead})")
    early = conn.start_tls(ctx, server_side=False, timeout=STEP_S,
                           server_hostname=server_name)
    if early:
        conn.note(f"the server sent {len(early)} bytes after its go-ahead, before TLS: "
                  f"{show(early)} (it answered the pipelined command in plaintext)")

    conn.send(d.marker_command, note="our marker: the only command sent inside TLS")
    replies = []
    deadline = time.monotonic() + STEP_S
    while True:
        # The first reply may take STEP_S; after one, any further reply must come within
        # QUIET_S (a server that executes the pipelined command does so at once).
        first = STEP_S if not replies else QUIET_S
        try:
            r = d.read_reply(conn, min(first, max(deadline - time.monotonic(), 0.001)),
                             time.monotonic() + STEP_S)
        except WireTimeout:
            break
        if r is None:
            break
        replies.append(r)

    injected = [r for r in replies if r.tag == "INJECTED"] if proto == "imap" else replies[:-1]
    if not replies:
        return inconclusive(CHECK, proto, log, "no reply inside TLS to our marker command")
    _quit(conn, d)
    if injected:
        return vulnerable(CHECK, proto, log,
                          f"command injection: answered a pipelined {d.injected_name} inside "
                          f"TLS ({len(replies)} replies to 1 command: {injected[0]})")
    return conforming(CHECK, proto, log, f"the pipelined {d.injected_name} was not answered "
                      "inside TLS; only our marker was")


def _quit(conn: LineConn, d) -> None:
    """A polite end; what the server says to it does not matter to the verdict."""
    try:
        conn.send(d.quit_command)
        d.read_reply(conn, QUIET_S * 3, time.monotonic() + STEP_S, multiline=False)
    except WireError:
        pass


def check_server(impl: Implementation, procs, pki: Pki, proto: str,
                 host: str = "127.0.0.1") -> Verdict:
    """Starts impl's server in plaintext with STARTTLS offered, runs the probe, and attaches
    the server's own record of the connection when it writes one."""
    server = procs.start_server(impl.server_argv(
        f"tcp://{bracketed(host)}:0", proto=proto, starttls="offer",
        options={"local_cert": str(pki.server_cert), "local_pk": str(pki.server_key)}))
    verdict = probe(host, server.port, proto, cafile=str(pki.ca_cert))
    verdict.impl = impl.name
    if verdict.local_port is not None:
        record = server.wait_for_record(lambda r: r.get("peer_port") == verdict.local_port,
                                        RECORD_WAIT_S)
        verdict.records = [record] if record else []
    return verdict
