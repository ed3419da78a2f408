"""A scripted server for the checks that judge a client: it listens on a loopback port (port 0,
so nothing races for it), takes one connection in a thread, plays its script and leaves a
Verdict. Every wait is bounded; finish() joins the thread with a bound too."""

from __future__ import annotations

import socket
import ssl
import threading
import time

from ..pki import Pki
from ..procs import ClientHang
from .dialects import DIALECTS, Dialect
from .verdict import Verdict, inconclusive
from .wire import LineConn, WireError, WireTimeout, loopback_family

ACCEPT_S = 15.0      # the client under test must connect within this
STEP_S = 5.0         # each step of the script: a command, the handshake
FINISH_S = 10.0      # after the client exited, the script must be done within this
MAX_COMMANDS = 50    # a client that never ends cannot keep the script going


class ScriptedServer:
    check = ""

    def __init__(self, proto: str, cert: str, key: str, host: str = "127.0.0.1",
                 accept_s: float = ACCEPT_S):
        self.proto = proto
        self.accept_s = accept_s
        self.d: Dialect = DIALECTS[proto]
        self.log: list[str] = []
        self.verdict: Verdict | None = None
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self._stop = threading.Event()
        self._listener = socket.socket(loopback_family(host), socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"{self.check}-{proto}")
        self._thread.start()

    @classmethod
    def for_pki(cls, proto: str, pki: Pki, host: str = "127.0.0.1",
                **kw) -> "ScriptedServer":
        return cls(proto, str(pki.server_cert), str(pki.server_key), host, **kw)

    # -- the script
    def session(self, conn: LineConn) -> Verdict:
        raise NotImplementedError

    def inconclusive(self, why: str) -> Verdict:
        return inconclusive(self.check, self.proto, self.log, why)

    def _accept(self) -> socket.socket | None:
        # Short accept timeouts in a loop, so finish() can stop a server nobody connected to.
        self._listener.settimeout(0.05)
        deadline = time.monotonic() + self.accept_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                sock, _ = self._listener.accept()
                return sock
            except (socket.timeout, TimeoutError):
                continue
        return None

    def _run(self) -> None:
        try:
            sock = self._accept()
        finally:
            self._listener.close()
        if sock is None:
            self.verdict = self.inconclusive("the client never connected")
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = LineConn(sock, "server", self.log)
        try:
            self.verdict = self.session(conn)
        except WireTimeout:
            self.verdict = self.inconclusive(f"the client sent nothing for {STEP_S:g} s")
        except WireError as exc:
            self.verdict = self.inconclusive(str(exc))
        finally:
            conn.close()

    def finish(self, timeout: float = FINISH_S, stop_listening: bool = True) -> Verdict:
        """The verdict, once the script is done. Call it after the client has exited (then a
        client that never connected ends the wait at once), or with stop_listening=False to
        wait for a client started elsewhere."""
        if stop_listening:
            self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive() or self.verdict is None:
            return self.inconclusive(f"the scripted server was still busy {timeout:g} s after "
                                     "the client ended")
        return self.verdict

    def serve_rest(self, conn: LineConn, offer: bool) -> list[str]:
        """Answers whatever the client says until it quits or closes (bounded); returns the
        commands, for the evidence."""
        seen = []
        for _ in range(MAX_COMMANDS):
            line = conn.read_line(STEP_S)
            if line is None:
                return seen
            seen.append(line)
            cmd = self.d.parse(line)
            if cmd.kind == "quit":
                conn.send(self.d.bye(cmd))
                return seen
            if cmd.kind == "caps":
                conn.send(self.d.caps_reply(cmd, offer=offer))
            elif cmd.kind == "starttls":
                conn.send(self.d.not_offered(cmd))
            else:
                conn.send(self.d.generic_reply(cmd))
        return seen


def run_against(server: ScriptedServer, name: str, procs, argv: list[str]) -> Verdict:
    """Runs one client command line against a scripted server; the verdict names `name`."""
    try:
        run = procs.run_client(argv)
    except ClientHang as hang:
        run, ended = None, f"-- the client hung: {hang}"
    else:
        ended = f"-- the client exited with status {run.returncode}"
        if run.returncode not in (0, 1) and run.stderr.strip():
            ended += f"; stderr: {run.stderr.strip()[-500:]}"
    verdict = server.finish()
    verdict.evidence.append(ended)
    verdict.impl = name
    verdict.records = run.records if run else []
    return verdict
