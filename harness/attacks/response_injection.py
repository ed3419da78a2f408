"""Check (b), response injection: does a client read, as a reply inside TLS, plaintext that a
man in the middle appended to the server's STARTTLS go-ahead? (RFC 3207 §4.2: the client MUST
discard what it learnt before TLS; Mutt CVE-2020-14954 did not.)

The scripted server offers STARTTLS and sends its go-ahead and a complete fake reply in one
segment. It then completes the handshake, reads the client's first command inside TLS and
*holds* its real reply for HOLD_S. A conforming client has dropped the fake reply with the rest
of the plaintext, so it waits: nothing arrives during the hold. A client that kept it has a
complete "reply" in its buffer at once and acts on it: it sends its next command, or closes the
connection (when the fake reply did not fit), before the server has answered. That reaction is
the verdict; what the client does after the real reply only goes into the evidence.

The fake reply is shaped for each protocol: a full EHLO reply (SMTP), a full CAPA reply (POP3),
and for IMAP a CAPABILITY line plus a tagged OK for each tag the client is likely to use next
(those it used and the next of each: C1 -> C2, a001 -> a002; dialects.predicted_tags).

Limits: an IMAP client may pipeline commands (RFC 9051 §5.5); one that sends a second command
without waiting for the first is reported as vulnerable, with the wire as evidence to judge."""

from __future__ import annotations

from ..impls import Implementation
from ..pki import Pki
from ..tools import bracketed
from .scripted_server import MAX_COMMANDS, STEP_S, ScriptedServer, run_against
from .verdict import Verdict, conforming, vulnerable
from .wire import LineConn, WireError, WireTimeout, show

CHECK = "response-injection"
HOLD_S = 0.3   # a client that kept the fake reply acts on it within milliseconds


class InjectingServer(ScriptedServer):
    check = CHECK

    def session(self, conn: LineConn) -> Verdict:
        d, tags = self.d, []
        conn.send(d.greeting(offer=True))
        for _ in range(MAX_COMMANDS):
            line = conn.read_line(STEP_S)
            if line is None:
                return self.inconclusive(f"the client closed the connection before "
                                         f"{d.starttls_verb}, which was offered")
            cmd = d.parse(line)
            if cmd.tag:
                tags.append(cmd.tag)
            if cmd.kind == "starttls":
                break
            if cmd.kind == "quit":
                conn.send(d.bye(cmd))
                return self.inconclusive(f"the client ended the session without "
                                         f"{d.starttls_verb}, which was offered")
            conn.send(d.caps_reply(cmd, offer=True) if cmd.kind == "caps"
                      else d.generic_reply(cmd))
        else:
            return self.inconclusive(f"the client never sent {d.starttls_verb}")

        conn.send(d.go_ahead(cmd) + d.injection(tags),
                  note="the go-ahead and an injected reply in one segment")
        try:
            pipelined = conn.start_tls(self.ctx, server_side=True, timeout=STEP_S)
        except WireError as exc:
            # A client whose TLS layer reads the injected text as the start of the handshake
            # fails here: it was not fooled, but it did not discard the plaintext either.
            return self.inconclusive(f"{exc} (a client that hands the injected plaintext to "
                                     "its TLS layer fails this way)")
        if pipelined:
            conn.note(f"the client pipelined {len(pipelined)} bytes after "
                      f"{d.starttls_verb}: {show(pipelined)} (dropped)")

        first = conn.read_line(STEP_S)
        if first is None:
            return self.inconclusive("the client sent no command inside TLS")
        conn.note(f"holding the reply to {first!r} for {HOLD_S:g} s")
        did = self._reaction_during_hold(conn)
        if did is not None:
            return vulnerable(CHECK, self.proto, self.log,
                              f"response injection: the client {did} before the server "
                              f"answered its first command inside TLS ({first!r}): it took "
                              "the plaintext sent with the go-ahead as the reply")

        cmd = d.parse(first)
        conn.send(d.bye(cmd) if cmd.kind == "quit" else
                  d.caps_reply(cmd, offer=False) if cmd.kind == "caps" else
                  d.generic_reply(cmd))
        if cmd.kind != "quit":
            self.serve_rest(conn, offer=False)
        return conforming(CHECK, self.proto, self.log,
                          f"waited {HOLD_S:g} s for the real reply to its first command "
                          "inside TLS; the injected plaintext was not used")

    @staticmethod
    def _reaction_during_hold(conn: LineConn) -> str | None:
        """What the client did while the reply to its first command was held; None when it
        waited, as a client that dropped the plaintext must."""
        try:
            line = conn.read_line(HOLD_S)
        except WireTimeout:
            return f"sent {show(bytes(conn.buf))!r}" if conn.buf else None
        return "closed the connection" if line is None else f"sent {line!r}"


def check_client(impl: Implementation, procs, pki: Pki, proto: str,
                 host: str = "127.0.0.1") -> Verdict:
    """Runs impl's client (STARTTLS required, trusting the session CA) against the injecting
    server and returns the verdict, with the client's own record attached."""
    server = InjectingServer.for_pki(proto, pki, host)
    argv = impl.client_argv(f"tcp://{bracketed(host)}:{server.port}", proto=proto,
                            starttls="required", options={"cafile": str(pki.ca_cert)})
    return run_against(server, impl.name, procs, argv)

