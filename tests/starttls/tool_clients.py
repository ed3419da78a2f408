"""`openssl s_client` and `gnutls-cli` as mail clients (their -starttls / --starttls-proto
modes, or implicit TLS without), driven line by line: wait for the handshake, prove the session
with one command, end it. Every wait is bounded (TOOL_WAIT_S)."""

from harness.tools import TOOL_WAIT_S, ToolError, bracketed

# Implicit TLS: the greeting comes inside TLS, after the handshake.
GREETING = {"smtp": r"^\s*220 ", "imap": r"^\s*\* OK", "pop3": r"^\s*\+OK"}
# One exchange inside the upgraded session, with a reply no pre-TLS line can be mistaken for.
# Patterns allow leading blanks and a trailing CR: the tools print the server's lines as they
# come (CRLF included), and s_client's own messages on the merged stderr can share a line.
PROOF = {"smtp": ("NOOP", r"^\s*250 2\.0\.0 OK\r?$"),
         "imap": ("P1 NOOP", r"^\s*P1 OK"),
         "pop3": ("CAPA", r"^\s*\+OK Capability list follows")}
END = {"smtp": ("QUIT", r"^\s*221 "), "imap": ("Q1 LOGOUT", r"^\s*Q1 OK"),
       "pop3": ("QUIT", r"^\s*\+OK Bye")}


class OpenSSLMailClient:
    name = "openssl s_client"
    handshake_done = r"^New, (TLSv1\.\d), Cipher is"

    def argv(self, pki, addr, port, proto, starttls):
        # -nocommands: a line starting with Q or R would otherwise quit or renegotiate (QUIT!).
        # -crlf: mail protocols end lines with CRLF. No -quiet: it implies -ign_eof.
        argv = ["openssl", "s_client", "-connect", f"{bracketed(addr)}:{port}",
                "-CAfile", str(pki.ca_cert), "-verify_return_error", "-verify_ip", addr,
                "-crlf", "-nocommands"]
        return argv + (["-starttls", proto] if starttls else [])

    @staticmethod
    def version(match):
        return match.group(1)


class GnuTLSMailClient:
    name = "gnutls-cli"
    handshake_done = r"^- Description: \(TLS(\d\.\d)"

    def argv(self, pki, addr, port, proto, starttls):
        argv = ["gnutls-cli", "--x509cafile", str(pki.ca_cert), "-p", str(port), "--crlf"]
        return argv + ([f"--starttls-proto={proto}"] if starttls else []) + [addr]

    @staticmethod
    def version(match):
        return f"TLSv{match.group(1)}"


MAIL_CLIENTS = {"s_client": OpenSSLMailClient(), "gnutls-cli": GnuTLSMailClient()}


def wait_after(tool, pattern, start, timeout=TOOL_WAIT_S):
    """The first line from index `start` on that matches, and its index (a line from before
    the handshake must not answer for one after it); ToolError when none comes in time."""
    found = tool.wait_for_line(pattern, timeout, start)
    if found is None:
        raise ToolError(f"no line matching {pattern!r} within {timeout:g} s", tool)
    return found


def mail_session(tool, client, proto, starttls):
    """Handshake (after the tool's own STARTTLS dialog, if any), one proof exchange, the end of
    the session; returns the negotiated version as the tool reports it."""
    m, i = wait_after(tool, client.handshake_done, 0)
    if not starttls:
        _, i = wait_after(tool, GREETING[proto], i)
    command, reply = PROOF[proto]
    tool.send(command + "\n")
    _, i = wait_after(tool, reply, i + 1)
    command, reply = END[proto]
    tool.send(command + "\n")
    wait_after(tool, reply, i + 1)
    if tool.wait(TOOL_WAIT_S) is None:      # the server closes after the goodbye
        raise ToolError(f"{client.name} still running {TOOL_WAIT_S:g} s after the server's "
                        "goodbye", tool)
    return client.version(m)
