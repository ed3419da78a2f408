"""Check (c), STARTTLS stripping: does a client that requires TLS go on in plaintext when a man
in the middle removes STARTTLS from the capabilities, or answers it with a refusal? (RFC 3207
§6: deleting "250 STARTTLS" is the obvious attack, and RFC 3207 §4 leaves a 454 to the client's
policy; RFC 8314 §5.2: a client configured to require confidentiality refuses.)

The scripted server is what such a man in the middle looks like from the client: a plaintext
server whose greeting and capability replies never list STARTTLS (nor, for IMAP,
LOGINDISABLED, which would warn a client off LOGIN), that answers STARTTLS as a server without it
would, and answers every other command positively so that a client that goes on keeps going.
With `refusal` it lists STARTTLS instead and answers it with that refusal (SMTP 454, IMAP NO or
BAD, POP3 -ERR): the same attack, one step later.

Conforming: after the capabilities the client only tries STARTTLS anyway or ends the session
(QUIT / LOGOUT, or a close). Anything else -- a second capability request, AUTH, LOGIN, USER,
MAIL -- is the dialog going on in plaintext. A client run with an opportunistic policy is
expected to be flagged: that policy is exactly what stripping exploits (docs/starttls.md)."""

from __future__ import annotations

from ..impls import Implementation
from ..pki import Pki
from ..tools import bracketed
from .scripted_server import MAX_COMMANDS, STEP_S, ScriptedServer, run_against
from .verdict import Verdict, conforming, vulnerable
from .wire import LineConn

CHECK = "starttls-stripping"


class StrippingServer(ScriptedServer):
    check = CHECK

    def __init__(self, *args, refusal: str | None = None, **kw):
        self.refusal = refusal      # set before the base class starts the script's thread
        super().__init__(*args, **kw)

    def session(self, conn: LineConn) -> Verdict:
        d, offer = self.d, self.refusal is not None
        how = "was refused" if offer else "was not offered"
        conn.send(d.greeting(offer=offer))
        went_on, asked_caps, ended = [], 0, "closed the connection"
        for _ in range(MAX_COMMANDS):
            line = conn.read_line(STEP_S)
            if line is None:
                break
            cmd = d.parse(line)
            if cmd.kind == "quit":
                conn.send(d.bye(cmd))
                ended = f"ended the session ({line!r})"
                break
            if cmd.kind == "starttls":
                if offer:
                    conn.send(d.refuse(cmd, self.refusal))
                else:
                    conn.note(f"the client tried {d.starttls_verb} although it was not offered")
                    conn.send(d.not_offered(cmd))
                continue
            if cmd.kind == "caps":
                asked_caps += 1
                if asked_caps > 1:       # the decision was due after the first answer
                    went_on.append(line)
                conn.send(d.caps_reply(cmd, offer=offer))
                continue
            went_on.append(line)
            conn.send(d.generic_reply(cmd))
        if went_on:
            return vulnerable(CHECK, self.proto, self.log,
                              f"STARTTLS stripping: went on in plaintext when "
                              f"{d.starttls_verb} {how} (sent {', '.join(map(repr, went_on))})")
        return conforming(CHECK, self.proto, self.log, f"{ended} when {d.starttls_verb} {how}")


def check_client(impl: Implementation, procs, pki: Pki, proto: str, host: str = "127.0.0.1",
                 policy: str = "required", refusal: str | None = None) -> Verdict:
    """Runs impl's client with the given STARTTLS policy against the stripping server; with
    refusal (e.g. "{tag} BAD not now"), against one that offers STARTTLS and refuses it so."""
    server = StrippingServer.for_pki(proto, pki, host, refusal=refusal)
    argv = impl.client_argv(f"tcp://{bracketed(host)}:{server.port}", proto=proto,
                            starttls=policy, options={"cafile": str(pki.ca_cert)})
    return run_against(server, impl.name, procs, argv)
