"""Named handshake transcripts and the normalisation applied before comparing.

A transcript is a list of (sender, message) pairs; the sender is absolute ("client"/"server"), so
the client's and the server's records of one connection must agree after normalisation.
"""

from __future__ import annotations

C, S = "client", "server"

# RFC 5246 §7.3, full handshake with an ephemeral key exchange, no client certificate: the seed
# order. TLS 1.0 and 1.1 (RFC 2246, RFC 4346 §7.3) have the same order.
_TLS12_FULL = (
    (C, "ClientHello"), (S, "ServerHello"), (S, "Certificate"), (S, "ServerKeyExchange"),
    (S, "ServerHelloDone"), (C, "ClientKeyExchange"), (C, "ChangeCipherSpec"), (C, "Finished"),
    (S, "ChangeCipherSpec"), (S, "Finished"),
)
# RFC 8446 §2, full (1-RTT) handshake, certificate authentication, no client certificate.
_TLS13_FULL = (
    (C, "ClientHello"), (S, "ServerHello"), (S, "EncryptedExtensions"), (S, "Certificate"),
    (S, "CertificateVerify"), (S, "Finished"), (C, "Finished"),
)
# RFC 5246 §7.3 with a client certificate: the server asks (CertificateRequest), the client answers
# with its Certificate and proves its key with CertificateVerify after the key exchange.
_TLS12_CLIENT_AUTH = (
    (C, "ClientHello"), (S, "ServerHello"), (S, "Certificate"), (S, "ServerKeyExchange"),
    (S, "CertificateRequest"), (S, "ServerHelloDone"), (C, "Certificate"),
    (C, "ClientKeyExchange"), (C, "CertificateVerify"), (C, "ChangeCipherSpec"), (C, "Finished"),
    (S, "ChangeCipherSpec"), (S, "Finished"),
)
# RFC 8446 §2 and §4.3.2 with a client certificate: CertificateRequest after EncryptedExtensions,
# the client's Certificate and CertificateVerify before its Finished.
_TLS13_CLIENT_AUTH = (
    (C, "ClientHello"), (S, "ServerHello"), (S, "EncryptedExtensions"), (S, "CertificateRequest"),
    (S, "Certificate"), (S, "CertificateVerify"), (S, "Finished"), (C, "Certificate"),
    (C, "CertificateVerify"), (C, "Finished"),
)
NAMED: dict[str, tuple[tuple[str, str], ...]] = {
    "tls1.0-full": _TLS12_FULL,
    "tls1.1-full": _TLS12_FULL,
    "tls1.2-full": _TLS12_FULL,
    "tls1.3-full": _TLS13_FULL,
    "tls1.2-client-auth": _TLS12_CLIENT_AUTH,
    "tls1.3-client-auth": _TLS13_CLIENT_AUTH,
}

# TLS 1.3 messages that may follow the handshake at any time (RFC 8446 §4.6). How many tickets a
# server sends is its own policy (OpenSSL sends two, GnuTLS one) and whether a side has read
# them when it writes its record depends on timing, so they are not part of the handshake order.
_TLS13_POST_HANDSHAKE = {"NewSessionTicket", "KeyUpdate"}


def normalise(transcript: list[dict] | None, version: str | None) -> list[tuple[str, str]]:
    """The transcript as (sender, message) pairs, ready to compare with a NAMED one.

    TLS 1.3 only:
    - ChangeCipherSpec records are dropped. In 1.3 they exist solely for middlebox compatibility
      (RFC 8446 Appendix D.4): they are not handshake messages, either side may send one or not,
      and the libraries differ on sending and on reporting them.
    - post-handshake messages are dropped (see _TLS13_POST_HANDSHAKE).
    TLS 1.2 and below are compared as recorded: there, ChangeCipherSpec is part of the order.
    """
    pairs = [(m["from"], m["msg"]) for m in transcript or []]
    if version == "TLSv1.3":
        pairs = [(f, m) for f, m in pairs
                 if m != "ChangeCipherSpec" and m not in _TLS13_POST_HANDSHAKE]
    return pairs


def parse_literal(items: list[str]) -> list[tuple[str, str]]:
    """A transcript written in a case: ["client:ClientHello", "server:ServerHello", …]."""
    out = []
    for item in items:
        sender, sep, msg = item.partition(":")
        if not sep or sender not in (C, S) or not msg:
            raise ValueError(f"transcript entry {item!r} is not 'client:Message' or "
                             "'server:Message'")
        out.append((sender, msg))
    return out


def expected(spec: str | list[str]) -> list[tuple[str, str]]:
    if isinstance(spec, str):
        if spec not in NAMED:
            raise ValueError(f"unknown transcript {spec!r} (known: {', '.join(sorted(NAMED))})")
        return list(NAMED[spec])
    return parse_literal(spec)


def format_pairs(pairs) -> str:
    return ", ".join(f"{f}:{m}" for f, m in pairs) or "(empty)"
