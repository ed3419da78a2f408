"""The libraries' own command-line tools as interop peers: openssl s_server / s_client and
gnutls-serv / gnutls-cli. One class per tool role, the same face within a role, so interop
tests read the same for both libraries.

Servers: start(procs, pki, addr, version) -> (ToolProcess, port), ready to accept one
connection and to echo ECHO_TEXT.
Clients: echo(procs, pki, addr, port, text) -> ToolProcess after one echo and a clean close.
Every wait is bounded; the ProcessSet stops whatever is still running at the end of the test.
"""

from __future__ import annotations

import errno
import re
import socket

from .pki import Pki
from .procs import ToolProcess

TOOL_WAIT_S = 10.0
PORT_ATTEMPTS = 5


class ToolError(RuntimeError):
    def __init__(self, message: str, tool: ToolProcess | None = None):
        if tool is not None:
            message += f"\n--- {' '.join(tool.argv)}\n{tool.output[-3000:]}"
        super().__init__(message)


def tied_to_stdin(argv: list[str]) -> list[str]:
    """argv run under a small sh watchdog that kills it when our stdin pipe closes, so a tool
    server ends with the harness even if pytest is SIGKILLed (the reference servers do this by
    themselves; s_server and gnutls-serv do not watch stdin). The tool's own stdin is /dev/null."""
    script = '"$@" </dev/null & tool=$!; cat >/dev/null; kill "$tool" 2>/dev/null; wait "$tool"'
    return ["sh", "-c", script, "sh", *argv]


def bracketed(addr: str) -> str:
    return f"[{addr}]" if ":" in addr else addr


def free_port() -> int:
    """A port free on both 127.0.0.1 and ::1 right now, for tools that cannot bind port 0 and
    tell us what they got. Taken from a dual-stack [::]:0 socket, so it is free in both
    families; the caller retries when the tool loses the race for it."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 0))
        return s.getsockname()[1]


# ---- servers ------------------------------------------------------------------------------------

# What the reference clients send to a tool server: line-based (gnutls-serv --echo answers per
# line) and a palindrome (s_server -rev answers each line reversed).
ECHO_TEXT = "racecar\n"


class OpenSSLServer:
    name = "openssl s_server"
    _VERSION_FLAGS = {"tls1.2": "-tls1_2", "tls1.3": "-tls1_3"}

    def start(self, procs, pki: Pki, addr: str, version: str) -> tuple[ToolProcess, int]:
        # s_server binds port 0 and prints the port it got: "ACCEPT [::1]:40123".
        # -naccept 1: it exits after one connection, so it cannot outlive the test by much.
        argv = ["openssl", "s_server", "-accept", f"{bracketed(addr)}:0",
                "-cert", str(pki.server_cert), "-key", str(pki.server_key),
                # -cert reads only the leaf of the full-chain file; the chain comes separately.
                "-cert_chain", str(pki["intermediate_cert"]),
                self._VERSION_FLAGS[version], "-naccept", "1",
                # -rev: answer each line reversed. Its interactive mode would read stdin, which is
                # /dev/null under the watchdog, and end the connection on that EOF; -rev does not
                # read stdin, and a palindrome (ECHO_TEXT) makes it an echo server.
                "-rev"]
        tool = procs.start_tool(tied_to_stdin(argv))
        m = tool.wait_for(r"^ACCEPT .*:(\d+)$", TOOL_WAIT_S)
        if not m:
            raise ToolError(f"{self.name} printed no ACCEPT line within {TOOL_WAIT_S:g} s", tool)
        return tool, int(m.group(1))


class GnuTLSServer:
    name = "gnutls-serv"
    _PRIORITIES = {"tls1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2",
                   "tls1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}

    def start(self, procs, pki: Pki, addr: str, version: str) -> tuple[ToolProcess, int]:
        # gnutls-serv has no bind address (it listens on 0.0.0.0 and ::) and would not tell us
        # what port 0 became, so we pick a free port and retry if another process took it.
        for _ in range(PORT_ATTEMPTS):
            port = free_port()
            # --disable-client-cert: by default gnutls-serv asks for a client certificate,
            # which would add CertificateRequest to the handshake of every test.
            argv = ["gnutls-serv", "--echo", "--disable-client-cert", "-p", str(port),
                    "--x509certfile", str(pki.server_cert), "--x509keyfile", str(pki.server_key),
                    "--priority", self._PRIORITIES[version]]
            tool = procs.start_tool(tied_to_stdin(argv))
            family = "IPv6" if ":" in addr else "IPv4"
            m = tool.wait_for(rf"listening on {family} .*\.\.\.done|bind\(\) failed|Error",
                              TOOL_WAIT_S)
            if m and m.group(0).endswith("done"):
                return tool, port
            tool.stop()
            if m is None:
                raise ToolError(f"{self.name} did not say it was listening within "
                                f"{TOOL_WAIT_S:g} s", tool)
            if "bind() failed" not in m.group(0):
                raise ToolError(f"{self.name} failed to start", tool)
        raise ToolError(f"{self.name}: no free port after {PORT_ATTEMPTS} attempts "
                        f"(errno {errno.EADDRINUSE})")


# ---- clients ------------------------------------------------------------------------------------

class ToolClient:
    """A library's own client tool: how to start it and which line says the handshake is done.
    The echo itself is the same for every tool."""

    name = ""
    handshake_done = ""

    def argv(self, pki: Pki, addr: str, port: int) -> list[str]:
        raise NotImplementedError

    def echo(self, procs, pki: Pki, addr: str, port: int, text: str) -> ToolProcess:
        tool = procs.start_tool(self.argv(pki, addr, port))
        if not tool.wait_for(self.handshake_done, TOOL_WAIT_S):
            raise ToolError(f"{self.name}: no completed handshake within {TOOL_WAIT_S:g} s",
                            tool)
        _echo_and_close(self.name, tool, text)
        return tool


class OpenSSLClient(ToolClient):
    name = "openssl s_client"
    # "New, TLSv1.3, Cipher is …" ends the handshake report (the SSL-Session block after it
    # waits for a session ticket in TLS 1.3, which a server need not send).
    handshake_done = r"^New, \S+, Cipher is"

    def argv(self, pki: Pki, addr: str, port: int) -> list[str]:
        # No -quiet: it implies -ign_eof, and we want s_client to send close_notify and exit
        # when its stdin closes. -verify_return_error makes a bad certificate fatal.
        return ["openssl", "s_client", "-connect", f"{bracketed(addr)}:{port}",
                "-CAfile", str(pki.ca_cert), "-verify_return_error", "-verify_ip", addr]

    @staticmethod
    def negotiated_version(tool: ToolProcess) -> str | None:
        m = re.search(r"^New, (\S+), Cipher is", tool.output, re.M)
        return m.group(1) if m else None


class GnuTLSClient(ToolClient):
    name = "gnutls-cli"
    handshake_done = r"^- Simple Client Mode"

    def argv(self, pki: Pki, addr: str, port: int) -> list[str]:
        # gnutls-cli verifies the certificate against the host it connects to (an IP address
        # matches the certificate's IP SANs) and on stdin EOF sends close_notify and exits.
        return ["gnutls-cli", "--x509cafile", str(pki.ca_cert), "-p", str(port), addr]

    @staticmethod
    def negotiated_version(tool: ToolProcess) -> str | None:
        # "- Description: (TLS1.3-X.509)-(ECDHE-…" ; GnuTLS spells versions "TLS1.3".
        m = re.search(r"^- Description: \(TLS(\d\.\d)", tool.output, re.M)
        return f"TLSv{m.group(1)}" if m else None


def _echo_and_close(name: str, tool: ToolProcess, text: str) -> None:
    tool.send(text + "\n")
    if not tool.wait_for("^" + re.escape(text) + "$", TOOL_WAIT_S):
        raise ToolError(f"{name}: the echo of {text!r} did not come back within "
                        f"{TOOL_WAIT_S:g} s", tool)
    tool.close_stdin()
    if tool.wait(TOOL_WAIT_S) is None:
        raise ToolError(f"{name}: still running {TOOL_WAIT_S:g} s after its stdin closed", tool)


TOOL_SERVERS = {"openssl": OpenSSLServer(), "gnutls": GnuTLSServer()}
TOOL_CLIENTS = {"openssl": OpenSSLClient(), "gnutls": GnuTLSClient()}
