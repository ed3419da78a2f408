"""SMTP, IMAP and POP3 as the scripted peers speak them: just enough of each protocol to reach
STARTTLS, to read replies as complete units (so that one extra reply can be counted), and to
play a server that a client will go on talking to.

Client side (probing a server): greeting, capability request, STARTTLS, the injected command,
the marker command, quit. Server side (playing a server for a client): greeting, replies, the
text injected after the STARTTLS go-ahead."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from .wire import LineConn, WireError

MAX_REPLY_LINES = 100


@dataclass
class Reply:
    lines: list[str]
    positive: bool
    tag: str | None = None     # IMAP: the tag of the completion line

    def __str__(self) -> str:
        return " | ".join(self.lines)


@dataclass
class Command:
    kind: str       # "caps", "starttls", "quit" or "other"
    text: str       # the line as received
    verb: str       # upper case
    tag: str = ""   # IMAP


class Dialect:
    name = ""
    starttls_verb = "STARTTLS"
    # As a client.
    capability_command = b""
    starttls_command = b""
    injected_command = b""    # pipelined after STARTTLS in the same segment
    injected_name = ""        # how verdicts name it
    marker_command = b""      # our own first command inside TLS
    quit_command = b""
    # As a server: capabilities besides STARTTLS.
    capabilities: tuple[str, ...] = ()

    # -- client side
    def read_greeting(self, conn: LineConn, timeout: float) -> Reply | None:
        return self.read_reply(conn, timeout, time.monotonic() + timeout)

    def read_reply(self, conn: LineConn, first_timeout: float, deadline: float,
                   multiline: bool = True) -> Reply | None:
        """One complete reply: the first line within first_timeout (WireTimeout otherwise),
        the rest by deadline. None when the peer closed before a first line."""
        raise NotImplementedError

    def offers_starttls(self, reply: Reply) -> bool:
        raise NotImplementedError

    # -- server side
    def greeting(self, offer: bool) -> bytes:
        raise NotImplementedError

    def parse(self, line: str) -> Command:
        raise NotImplementedError

    def caps_reply(self, cmd: Command, offer: bool) -> bytes:
        raise NotImplementedError

    def go_ahead(self, cmd: Command) -> bytes:
        raise NotImplementedError

    def not_offered(self, cmd: Command) -> bytes:
        """What a server without STARTTLS (or a man in the middle that hides it) answers."""
        raise NotImplementedError

    refusal = ""   # a refusal of an offered upgrade; {tag} is the command's tag (IMAP)

    def refuse(self, cmd: Command, refusal: str | None = None) -> bytes:
        return ((refusal or self.refusal).format(tag=cmd.tag) + "\r\n").encode()

    def bye(self, cmd: Command) -> bytes:
        raise NotImplementedError

    def generic_reply(self, cmd: Command) -> bytes:
        """A positive answer to anything else, so that a client that goes on keeps going."""
        raise NotImplementedError

    def injection(self, tags_seen: list[str]) -> bytes:
        """A complete fake reply, sent in plaintext right after the STARTTLS go-ahead."""
        raise NotImplementedError


def _next_line(conn: LineConn, timeout: float) -> str | None:
    return conn.read_line(max(timeout, 0.001))


def _reply_lines(conn: LineConn, first_timeout: float, deadline: float, what: str):
    """The lines of one reply: the first within first_timeout, the rest by the deadline. Yields
    nothing when the peer closed before the reply began; WireError when it closed inside one or
    the reply ran past MAX_REPLY_LINES."""
    for n in range(MAX_REPLY_LINES):
        line = _next_line(conn, first_timeout if n == 0 else deadline - time.monotonic())
        if line is None:
            if n:
                raise WireError("the server closed the connection inside a reply")
            return
        yield line
    raise WireError(f"{what} of more than {MAX_REPLY_LINES} lines")


class Smtp(Dialect):
    name = "smtp"
    capability_command = b"EHLO attack-check.tlsmatrix.test\r\n"
    starttls_command = b"STARTTLS\r\n"
    injected_command = b"NOOP\r\n"
    injected_name = "NOOP"
    # RFC 3207 §4.2: the client SHOULD say EHLO again first thing inside TLS.
    marker_command = capability_command
    quit_command = b"QUIT\r\n"
    capabilities = ("PIPELINING", "8BITMIME", "AUTH PLAIN LOGIN")
    _LINE = re.compile(r"^(\d{3})([ -]|$)(.*)$")

    def read_reply(self, conn, first_timeout, deadline, multiline=True):
        lines = []
        for line in _reply_lines(conn, first_timeout, deadline, "an SMTP reply"):
            m = self._LINE.match(line)
            if not m:
                raise WireError(f"not an SMTP reply line: {line!r}")
            lines.append(line)
            if m.group(2) != "-":
                return Reply(lines, line[0] in "23")
        return None

    def offers_starttls(self, reply):
        return any(line[4:].split()[:1] == ["STARTTLS"] for line in reply.lines[1:])

    def greeting(self, offer):
        return b"220 scripted.tlsmatrix.test ESMTP (tlsmatrix attack check)\r\n"

    def parse(self, line):
        verb = line.split(" ", 1)[0].upper()
        kind = {"EHLO": "caps", "HELO": "caps", "STARTTLS": "starttls", "QUIT": "quit"}
        return Command(kind.get(verb, "other"), line, verb)

    def caps_reply(self, cmd, offer):
        if cmd.verb == "HELO":
            return b"250 scripted.tlsmatrix.test\r\n"
        caps = [*(["STARTTLS"] if offer else []), *self.capabilities]
        lines = ["scripted.tlsmatrix.test", *caps]
        return "".join(f"250{'-' if i < len(lines) - 1 else ' '}{text}\r\n"
                       for i, text in enumerate(lines)).encode()

    def go_ahead(self, cmd):
        return b"220 2.0.0 Ready to start TLS\r\n"

    def not_offered(self, cmd):
        return b"502 5.5.1 Command not implemented\r\n"

    refusal = "454 4.7.0 TLS not available due to temporary reason"   # RFC 3207 §4

    def bye(self, cmd):
        return b"221 2.0.0 Bye\r\n"

    def generic_reply(self, cmd):
        if cmd.verb == "DATA":   # no message body: keep the dialog line by line
            return b"554 5.5.1 No valid recipients\r\n"
        if cmd.verb == "AUTH":
            return b"235 2.7.0 Authentication successful\r\n"
        return b"250 2.0.0 OK\r\n"

    def injection(self, tags_seen):
        return (b"250-injected.tlsmatrix.test (this reply was sent in plaintext before TLS)\r\n"
                b"250 AUTH PLAIN\r\n")


class Imap(Dialect):
    name = "imap"
    capability_command = b"C1 CAPABILITY\r\n"
    starttls_command = b"S1 STARTTLS\r\n"
    injected_command = b"INJECTED NOOP\r\n"
    injected_name = "NOOP (tag INJECTED)"
    # RFC 9051 §6.2.1: the client must forget what it learnt before TLS and SHOULD ask again;
    # NOOP is our own marker, answered under a tag that cannot be confused with the injected one.
    marker_command = b"M1 NOOP\r\n"
    quit_command = b"L1 LOGOUT\r\n"
    # No LOGINDISABLED: a server (or a man in the middle) that lures a client into LOGIN.
    capabilities = ("IMAP4rev2", "IMAP4rev1", "AUTH=PLAIN")

    def read_reply(self, conn, first_timeout, deadline, multiline=True):
        lines = []
        for line in _reply_lines(conn, first_timeout, deadline, "an IMAP response"):
            lines.append(line)
            if line.startswith(("* ", "+ ")):    # untagged data: the tagged line ends it
                continue
            tag, _, rest = line.partition(" ")
            return Reply(lines, rest.upper().startswith("OK"), tag)
        return None

    def read_greeting(self, conn, timeout):
        """The greeting is one untagged line: * OK, * PREAUTH or * BYE (RFC 9051 §7.1)."""
        line = _next_line(conn, timeout)
        if line is None:
            return None
        return Reply([line], line.upper().startswith(("* OK", "* PREAUTH")))

    def offers_starttls(self, reply):
        words = " ".join(reply.lines).upper().replace("[", " ").replace("]", " ").split()
        return "STARTTLS" in words

    def _caps(self, offer):
        return " ".join([*self.capabilities, *(["STARTTLS"] if offer else [])])

    def greeting(self, offer):
        return f"* OK [CAPABILITY {self._caps(offer)}] scripted IMAP server " \
               "(tlsmatrix attack check)\r\n".encode()

    def parse(self, line):
        tag, _, rest = line.partition(" ")
        verb = rest.split(" ", 1)[0].upper()
        kind = {"CAPABILITY": "caps", "STARTTLS": "starttls", "LOGOUT": "quit"}
        return Command(kind.get(verb, "other"), line, verb, tag)

    def caps_reply(self, cmd, offer):
        return f"* CAPABILITY {self._caps(offer)}\r\n{cmd.tag} OK CAPABILITY completed\r\n" \
            .encode()

    def go_ahead(self, cmd):
        return f"{cmd.tag} OK Begin TLS negotiation now\r\n".encode()

    def not_offered(self, cmd):
        return f"{cmd.tag} BAD STARTTLS not supported\r\n".encode()

    refusal = "{tag} NO [UNAVAILABLE] STARTTLS unavailable"   # RFC 9051 §6.2.1, RFC 5530

    def bye(self, cmd):
        return f"* BYE logging out\r\n{cmd.tag} OK LOGOUT completed\r\n".encode()

    def generic_reply(self, cmd):
        return f"{cmd.tag} OK {cmd.verb or 'command'} completed\r\n".encode()

    def injection(self, tags_seen):
        # The tag a client will use for its first command inside TLS is unknown; a vulnerable
        # client completes its command with whichever of these carries its tag: the ones it
        # used (some reuse a tag) and the next of each (C1 -> C2, a001 -> a002).
        lines = ["* CAPABILITY IMAP4rev2 AUTH=PLAIN X-INJECTED-BEFORE-TLS"]
        lines += [f"{tag} OK injected: this line was sent in plaintext before TLS"
                  for tag in predicted_tags(tags_seen)]
        return "".join(f"{line}\r\n" for line in lines).encode()


def predicted_tags(tags_seen: list[str]) -> list[str]:
    """The tags a client has used and the next of each, in order, without repeats."""
    out: list[str] = []
    for tag in tags_seen:
        m = re.match(r"^(.*?)(\d+)$", tag)
        following = f"{m.group(1)}{int(m.group(2)) + 1:0{len(m.group(2))}d}" if m else None
        for t in (tag, following):
            if t and t not in out:
                out.append(t)
    return out


class Pop3(Dialect):
    name = "pop3"
    starttls_verb = "STLS"
    capability_command = b"CAPA\r\n"
    starttls_command = b"STLS\r\n"
    # Injected and marker are both CAPA: every +OK reply is then multi-line, so replies can be
    # counted without knowing which command a server answered (POP3 replies carry no tag).
    injected_command = b"CAPA\r\n"
    injected_name = "CAPA"
    marker_command = b"CAPA\r\n"
    quit_command = b"QUIT\r\n"
    capabilities = ("USER", "SASL PLAIN")

    def read_reply(self, conn, first_timeout, deadline, multiline=True):
        line = _next_line(conn, first_timeout)
        if line is None:
            return None
        lines = [line]
        if line.startswith("-ERR"):
            return Reply(lines, False)
        if not line.startswith("+OK"):
            raise WireError(f"not a POP3 reply: {line!r}")
        if not multiline:
            return Reply(lines, True)
        for _ in range(MAX_REPLY_LINES):
            line = _next_line(conn, deadline - time.monotonic())
            if line is None:
                raise WireError("the server closed the connection inside a multi-line reply")
            lines.append(line)
            if line == ".":
                return Reply(lines, True)
        raise WireError(f"a POP3 reply of more than {MAX_REPLY_LINES} lines")

    def read_greeting(self, conn, timeout):
        return self.read_reply(conn, timeout, time.monotonic() + timeout, multiline=False)

    def offers_starttls(self, reply):
        return any(line.split()[:1] == ["STLS"] for line in reply.lines[1:])

    def greeting(self, offer):
        return b"+OK scripted POP3 server (tlsmatrix attack check)\r\n"

    def parse(self, line):
        verb = line.split(" ", 1)[0].upper()
        kind = {"CAPA": "caps", "STLS": "starttls", "QUIT": "quit"}
        return Command(kind.get(verb, "other"), line, verb)

    def caps_reply(self, cmd, offer):
        caps = [*self.capabilities, *(["STLS"] if offer else [])]
        return ("+OK Capability list follows\r\n" + "".join(f"{c}\r\n" for c in caps) +
                ".\r\n").encode()

    def go_ahead(self, cmd):
        return b"+OK Begin TLS negotiation\r\n"

    def not_offered(self, cmd):
        return b"-ERR Command not recognized\r\n"

    refusal = "-ERR [SYS/TEMP] TLS unavailable"   # RFC 2595 §4, RFC 3206

    def bye(self, cmd):
        return b"+OK Bye\r\n"

    def generic_reply(self, cmd):
        return b"+OK\r\n"

    def injection(self, tags_seen):
        return (b"+OK injected capability list (sent in plaintext before TLS)\r\n"
                b"USER\r\nSASL PLAIN\r\n.\r\n")


DIALECTS: dict[str, Dialect] = {d.name: d for d in (Smtp(), Imap(), Pop3())}

__all__ = ["Command", "DIALECTS", "Dialect", "Reply", "predicted_tags"]
