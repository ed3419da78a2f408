"""Bounded lines in the reference servers, over the network, in plaintext and inside TLS after
STARTTLS: a command line of exactly the protocol's limit is served, one byte more gets the
protocol's error, and so does a 64 KiB line (more than the server's whole line buffer); after
each error the dialog is still in step (the next command gets its own reply). Limits: SMTP 512
octets with CRLF (RFC 5321 §4.5.3.1.4), POP3 255 (RFC 2449 §4), IMAP 8192 (RFC 7162 §4)."""

import ssl
import time

import pytest

from harness.attacks.dialects import DIALECTS
from harness.attacks.wire import LineConn, connect
from starttls_params import LIBS, PROTOS

STEP_S = 5.0
LIMIT = {"smtp": 510, "imap": 8190, "pop3": 253}          # without the CRLF
TOO_LONG = {"smtp": "500 5.5.2 Line too long", "imap": "* BAD Line too long",
            "pop3": "-ERR Line too long"}
# A harmless command, padded with an argument to the length wanted, and its normal reply.
COMMAND = {"smtp": "NOOP ", "imap": "t1 NOOP ", "pop3": "CAPA "}
REPLY = {"smtp": "250 2.0.0 OK", "imap": "t1 OK NOOP completed",
         "pop3": "+OK Capability list follows"}


def _line(proto: str, length: int) -> bytes:
    prefix = COMMAND[proto]
    return (prefix + "x" * (length - len(prefix)) + "\r\n").encode()


def _served(conn: LineConn, proto: str) -> str:
    reply = DIALECTS[proto].read_reply(conn, STEP_S, time.monotonic() + STEP_S)
    assert reply is not None, "the server closed the connection"
    return reply.lines[0]


@pytest.mark.sanitizer_sample
@pytest.mark.parametrize("where", ["plaintext", "tls"])
@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("lib", LIBS)
def test_overlong_line_gets_the_protocol_error_and_the_dialog_stays_in_step(lib, proto, where,
                                                                           impls, pki, procs):
    d = DIALECTS[proto]
    server = procs.start_server(impls[lib].server_argv(
        "tcp://127.0.0.1:0", proto=proto, starttls="offer",
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    log: list[str] = []
    conn = LineConn(connect("127.0.0.1", server.port, STEP_S), "client", log)
    try:
        assert d.read_greeting(conn, STEP_S).positive
        if where == "tls":
            conn.send(d.capability_command)
            d.read_reply(conn, STEP_S, time.monotonic() + STEP_S)
            conn.send(d.starttls_command)
            assert d.read_reply(conn, STEP_S, time.monotonic() + STEP_S, False).positive
            ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
            conn.start_tls(ctx, server_side=False, timeout=STEP_S,
                           server_hostname="127.0.0.1")
        limit = LIMIT[proto]
        for length, want in [(limit, REPLY[proto]), (limit + 1, TOO_LONG[proto]),
                             (limit, REPLY[proto]), (65536, TOO_LONG[proto]),
                             (limit, REPLY[proto])]:
            conn.send(_line(proto, length))
            got = conn.read_line(STEP_S) if want == TOO_LONG[proto] else _served(conn, proto)
            assert got == want, f"a {length}-byte line:\n" + "\n".join(log)
        conn.send(d.quit_command)
        assert conn.read_line(STEP_S) is not None
    finally:
        conn.close()
    record = server.wait_for_record(lambda r: True, timeout=5)
    assert record is not None and record["ok"] is True, record
    assert record["starttls"]["upgraded"] is (where == "tls")
