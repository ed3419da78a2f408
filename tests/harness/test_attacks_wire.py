"""The attack checks' building blocks without any implementation: reply framing per protocol
(the checks count replies, so a framing mistake would invent or hide an injection), IMAP tag
prediction, and the bounded line reader (harness/attacks/dialects.py, wire.py)."""

import socket
import time

import pytest

from harness.attacks.dialects import DIALECTS, predicted_tags
from harness.attacks.wire import LineConn, WireError, WireTimeout, show


@pytest.fixture
def pair():
    """(LineConn as the client, the raw server-side socket), over a socketpair."""
    a, b = socket.socketpair()
    log = []
    yield LineConn(a, "client", log), b
    a.close()
    b.close()


def _replies(conn, proto, count):
    d = DIALECTS[proto]
    return [d.read_reply(conn, 1.0, time.monotonic() + 1.0) for _ in range(count)]


def test_smtp_replies_end_at_the_line_without_a_dash(pair):
    conn, peer = pair
    peer.sendall(b"250-a\r\n250-STARTTLS\r\n250 b\r\n250 2.0.0 OK\r\n")
    first, second = _replies(conn, "smtp", 2)
    assert first.lines == ["250-a", "250-STARTTLS", "250 b"] and first.positive
    assert DIALECTS["smtp"].offers_starttls(first)
    assert second.lines == ["250 2.0.0 OK"]


def test_imap_replies_end_at_a_tagged_line_and_keep_its_tag(pair):
    conn, peer = pair
    peer.sendall(b"* CAPABILITY IMAP4rev2 STARTTLS\r\nC1 OK done\r\nINJECTED OK NOOP\r\n")
    first, second = _replies(conn, "imap", 2)
    assert (first.tag, first.positive, len(first.lines)) == ("C1", True, 2)
    assert DIALECTS["imap"].offers_starttls(first)
    assert second.tag == "INJECTED"


def test_pop3_multiline_replies_end_at_the_dot_and_errors_are_one_line(pair):
    conn, peer = pair
    peer.sendall(b"+OK caps\r\nUSER\r\nSTLS\r\n.\r\n-ERR no\r\n")
    first, second = _replies(conn, "pop3", 2)
    assert first.lines == ["+OK caps", "USER", "STLS", "."]
    assert DIALECTS["pop3"].offers_starttls(first)
    assert (second.lines, second.positive) == (["-ERR no"], False)


def test_a_line_that_is_no_reply_is_an_error_not_a_count(pair):
    conn, peer = pair
    peer.sendall(b"hello\r\n")
    with pytest.raises(WireError, match="not an SMTP reply line"):
        _replies(conn, "smtp", 1)


@pytest.mark.parametrize("seen, predicted", [
    (["C1", "S1"], ["C1", "C2", "S1", "S2"]),       # the reference client reuses C1
    (["a001", "a002"], ["a001", "a002", "a003"]),   # a counting client, width kept
    (["tag"], ["tag"]),                             # nothing to count up
])
def test_imap_tag_prediction(seen, predicted):
    assert predicted_tags(seen) == predicted


def test_imap_injection_carries_every_predicted_tag():
    text = DIALECTS["imap"].injection(["a1", "a2"]).decode()
    assert [line.split()[0] for line in text.splitlines()] == ["*", "a1", "a2", "a3"]


def test_a_timeout_keeps_the_partial_line(pair):
    conn, peer = pair
    peer.sendall(b"250 part")
    with pytest.raises(WireTimeout):
        conn.read_line(0.05)
    peer.sendall(b"ial\r\n")
    assert conn.read_line(1.0) == "250 partial"


def test_tls_where_text_is_expected_is_named(pair):
    conn, peer = pair
    peer.sendall(b"\x16\x03\x01\x00\xa5\x01")
    with pytest.raises(WireError, match="TLS handshake record where a line of text"):
        conn.read_line(1.0)


def test_a_close_is_none_and_is_logged(pair):
    conn, peer = pair
    peer.sendall(b"221 bye\r\n")
    peer.close()
    assert conn.read_line(1.0) == "221 bye"
    assert conn.read_line(1.0) is None
    assert conn.log[-1] == "-- server closed the connection"


def test_evidence_shows_line_ends_and_shortens_big_data():
    assert show(b"STARTTLS\r\nNOOP\r\n") == "STARTTLS⏎NOOP⏎"
    long = show(b"x" * 70000)
    assert long.endswith("(70000 bytes)") and len(long) < 500
