"""Record shape checks and pairing a client record with its server record."""

import pytest

from harness.records import PairingError, pair, record_problems, unpaired
from records_data import client, server


def test_a_contract_record_has_no_problems():
    assert record_problems(client(), "client") == []
    assert record_problems(server(), "server") == []


@pytest.mark.parametrize("change,words", [
    ({"ok": "true"}, "'ok' is 'true', expected bool"),
    ({"local_port": True}, "'local_port' is True, expected int/null"),
    ({"peer_sans": "DNS:localhost"}, "'peer_sans' is 'DNS:localhost'"),
    ({"error": "url.bad_prot", "ok": False}, "'url.bad_prot' is not a class in lib/errors.h"),
    ({"stage": "handshaking"}, "stage 'handshaking' is not a stage"),
    ({"ok": False}, "ok is false but error is null"),
    ({"error": "io.reset"}, "ok is true but error is 'io.reset'"),
    ({"version": "TLS1.3"}, "version 'TLS1.3' is not one of"),
    ({"transcript": [{"from": "me", "msg": "ClientHello"}]}, "transcript[0]"),
    ({"side": "server"}, "side is 'server', expected 'client'"),
    ({"surprise": 1}, "unknown key 'surprise'"),
])
def test_contract_violations_are_named(change, words):
    problems = record_problems(client(**change), "client")
    assert any(words in p for p in problems), problems


def test_missing_key_is_named():
    rec = client()
    del rec["close_notify"]
    assert record_problems(rec) == ["missing key 'close_notify'"]


def test_batch_and_capture_keys_are_allowed():
    assert record_problems(client(id="case-7", peer_cert="-----BEGIN CERTIFICATE-----")) == []


def test_pairing_uses_the_clients_local_port():
    mine, other = server(peer_port=51000), server(peer_port=51001)
    assert pair(client(local_port=51000), [other, mine]) is mine
    assert unpaired([other, mine], [mine]) == [other]


def test_no_pair_without_a_connection():
    assert pair(client(local_port=None, ok=False, error="url.bad_port"), [server()]) is None
    assert pair(client(local_port=0), [server(peer_port=0)]) is None
    assert pair(client(local_port=51002), [server()]) is None


def test_two_candidates_are_an_error_not_a_guess():
    with pytest.raises(PairingError, match="2 server records have peer_port 51000"):
        pair(client(), [server(), server()])
