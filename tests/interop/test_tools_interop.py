"""Interop with the libraries' own tools, both directions, TLS 1.2 and 1.3, 127.0.0.1 and ::1:

- each reference client completes a handshake and an echo against `openssl s_server` (in its
  reversing mode, fed a palindrome) and `gnutls-serv --echo`;
- `openssl s_client` and `gnutls-cli` complete a handshake and an echo through each reference
  server, and close with close_notify, which the server must record.
"""

import pytest

from harness import transcripts
from harness.impls import VERSION_RECORD_NAMES, VERSION_TRANSPORTS
from harness.records import record_problems
from harness.tools import ECHO_TEXT, TOOL_CLIENTS, TOOL_SERVERS, bracketed

pytestmark = pytest.mark.interop

VERSIONS = ["tls1.2", "tls1.3"]
ADDRS = pytest.mark.parametrize("addr", ["127.0.0.1", "::1"], ids=["ipv4", "ipv6"])


@pytest.mark.parametrize("version", VERSIONS)
@ADDRS
@pytest.mark.parametrize("tool", ["openssl", "gnutls"], ids=["s_server", "gnutls-serv"])
@pytest.mark.parametrize("client", ["openssl", "gnutls"])
def test_reference_client_against_tool_server(client, tool, addr, version, pki, impls, procs):
    _, port = TOOL_SERVERS[tool].start(procs, pki, addr, version)
    # The tool pins the version; the client offers whatever tls:// allows and must land on it.
    run = procs.run_client(impls[client].client_argv(
        f"tls://{bracketed(addr)}:{port}", options={"cafile": pki.ca_cert}, send=ECHO_TEXT))
    rec = run.record
    assert rec is not None, f"exit {run.returncode}, stdout {run.stdout!r}, stderr {run.stderr!r}"
    assert record_problems(rec, "client") == []
    assert (rec["ok"], rec["error"], run.returncode) == (True, None, 0), rec["detail"]
    assert rec["version"] == VERSION_RECORD_NAMES[version]
    handshake = transcripts.normalise(rec["transcript"], rec["version"])
    assert handshake[0] == ("client", "ClientHello") and ("server", "Finished") in handshake
    assert rec["peer_sans"] and f"IP:{addr}" in rec["peer_sans"]


@pytest.mark.parametrize("version", VERSIONS)
@ADDRS
@pytest.mark.parametrize("server", ["openssl", "gnutls"])
@pytest.mark.parametrize("tool", ["openssl", "gnutls"], ids=["s_client", "gnutls-cli"])
def test_tool_client_echo_through_reference_server(tool, server, addr, version, pki, impls,
                                                   procs):
    srv = procs.start_server(impls[server].server_argv(
        f"{VERSION_TRANSPORTS[version]}://{bracketed(addr)}:0",
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    peer = TOOL_CLIENTS[tool]
    text = f"hello from {peer.name} over {version}"
    out = peer.echo(procs, pki, addr, srv.port, text)
    assert out.returncode == 0, out.output[-2000:]
    assert peer.negotiated_version(out) == VERSION_RECORD_NAMES[version]

    rec = srv.wait_for_record(lambda r: True, timeout=5)
    srv.stop()
    assert srv.stopped_cleanly, (srv.returncode, srv.stop_steps, srv.stderr)
    assert len(srv.records) == 1, srv.records
    assert record_problems(rec, "server") == []
    assert (rec["ok"], rec["error"]) == (True, None), rec["detail"]
    assert rec["version"] == VERSION_RECORD_NAMES[version]
    assert rec["close_notify"] is True, "the tool closed with close_notify; the server must say so"
    assert rec["transcript"] and transcripts.normalise(rec["transcript"], rec["version"]) == \
        list(transcripts.NAMED[f"{version}-full"])
