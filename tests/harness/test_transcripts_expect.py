"""Transcript normalisation and the comparison of expectations with records."""

from harness import transcripts
from harness.expect import check_agreement, check_side, expected_exit
from records_data import client, server


def test_tls13_drops_middlebox_ccs_and_post_handshake_messages():
    got = transcripts.normalise(client()["transcript"], "TLSv1.3")
    assert got == list(transcripts.NAMED["tls1.3-full"])


def test_tls12_keeps_change_cipher_spec():
    t12 = [{"from": f, "msg": m} for f, m in transcripts.NAMED["tls1.2-full"]]
    assert transcripts.normalise(t12, "TLSv1.2") == list(transcripts.NAMED["tls1.2-full"])
    without_ccs = [m for m in t12 if m["msg"] != "ChangeCipherSpec"]
    assert transcripts.normalise(without_ccs, "TLSv1.2") != list(transcripts.NAMED["tls1.2-full"])


def test_seed_order_for_tls12():
    assert [m for _, m in transcripts.NAMED["tls1.2-full"]] == [
        "ClientHello", "ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone",
        "ClientKeyExchange", "ChangeCipherSpec", "Finished", "ChangeCipherSpec", "Finished"]


def test_matching_expectation_passes():
    exp = {"ok": True, "version": "TLSv1.3", "transcript": "tls1.3-full", "close_notify": True,
           "peer_sans": ["DNS:localhost", "IP:127.0.0.1", "IP:::1", "DNS:server.test"]}
    assert check_side("client", exp, client()) == []


def test_unexpected_pass_fails_like_unexpected_failure():
    [problem] = check_side("client", {"error": "url.bad_port"}, client())
    assert "expected error 'url.bad_port', got ok" in problem
    [problem] = check_side("client", {"ok": True}, client(ok=False, error="io.reset",
                                                          stage="io", detail="ECONNRESET"))
    assert "expected ok, got error 'io.reset' at stage 'io': ECONNRESET" in problem


def test_wrong_class_is_reported():
    problems = check_side("client", {"error": "url.bad_port"},
                          client(ok=False, error="url.bad_ipv6", stage="parse"))
    assert problems == ["client: error: expected 'url.bad_port', got 'url.bad_ipv6'"]


def test_null_expectation():
    assert check_side("server", {"ok": True, "close_notify": "null"},
                      server(close_notify=None)) == []
    assert check_side("server", {"ok": True, "close_notify": "null"},
                      server(close_notify=False)) == [
        "server: close_notify: expected None, got False"]


def test_transcript_mismatch_shows_both_orders():
    [problem] = check_side("client", {"ok": True, "transcript": "tls1.2-full"}, client())
    assert "expected client:ClientHello, server:ServerHello, server:Certificate" in problem
    assert "got      client:ClientHello, server:ServerHello, server:EncryptedExtensions" in problem


def test_absent_and_unexpected_server_records():
    assert check_side("server", {"ok": True}, None) == ["server: no record"]
    assert check_side("server", {"record": False}, None) == []
    assert "expected no record" in check_side("server", {"record": False}, server())[0]


def test_detail_contains_is_case_insensitive():
    rec = client(ok=False, error="tls.alert", stage="handshake", detail="peer sent Unknown_CA")
    assert check_side("client", {"error": "tls.alert", "detail_contains": "unknown_ca"}, rec) == []
    assert check_side("client", {"error": "tls.alert", "detail_contains": "bad_mac"}, rec)


def test_default_exit_codes():
    assert expected_exit({"ok": True}) == 0
    assert expected_exit({"error": "url.bad_port"}) == 1
    assert expected_exit({"error": "url.bad_port", "exit": 2}) == 2


def test_both_ends_must_agree():
    assert check_agreement(client(), server()) == []
    problems = check_agreement(client(), server(cipher="TLS_AES_128_GCM_SHA256",
                                                transcript=[]))
    assert any("disagree on cipher" in p for p in problems)
    assert any("transcripts differ" in p for p in problems)
    # Nothing to compare when a side failed.
    assert check_agreement(client(), server(ok=False, error="io.reset")) == []
