"""`openssl s_client -starttls smtp|imap|pop3` and `gnutls-cli --starttls-proto=…` against both
reference servers offering STARTTLS, and the same tools without STARTTLS against the servers in
implicit-TLS mode; 127.0.0.1 and ::1. Each tool runs its own STARTTLS dialog (or none),
verifies the server against the session CA, proves the session with one command inside TLS and
ends it; the server's record must say the same."""

import pytest

from harness.records import record_problems
from harness.tools import bracketed
from starttls_params import LIBS, PROTOS
from tool_clients import MAIL_CLIENTS, mail_session

pytestmark = pytest.mark.interop

# What the server records about the end of the session, per tool: after the goodbye the server
# sends close_notify; s_client answers with its own, gnutls-cli exits without one (RFC 8446
# §6.1 says it must send one), which the server reports as a truncation at the close.
CLOSE = {"s_client": {"ok": True, "error": None, "stage": "none", "close_notify": True},
         "gnutls-cli": {"ok": False, "error": "io.truncated", "stage": "close",
                        "close_notify": False}}


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("mode", ["starttls", "implicit"])
@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("server", LIBS)
@pytest.mark.parametrize("tool", list(MAIL_CLIENTS))
def test_tool_mail_client_through_reference_server(tool, server, proto, mode, addr, impls, pki,
                                                   procs):
    starttls = mode == "starttls"
    srv = procs.start_server(impls[server].server_argv(
        f"{'tcp' if starttls else 'tls'}://{bracketed(addr)}:0", proto=proto,
        starttls="offer" if starttls else None,
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    client = MAIL_CLIENTS[tool]
    run = procs.start_tool(client.argv(pki, addr, srv.port, proto, starttls))
    version = mail_session(run, client, proto, starttls)
    assert version == "TLSv1.3", run.output[-2000:]

    record = srv.wait_for_record(lambda r: True, timeout=5)
    srv.stop()
    assert srv.stopped_cleanly, (srv.returncode, srv.stop_steps, srv.stderr)
    assert record is not None and record_problems(record, "server") == []
    assert (record["proto"], record["version"]) == (proto, "TLSv1.3"), record
    want_starttls = {"offered": None, "upgraded": True, "discarded": 0} if starttls else None
    assert record["starttls"] == want_starttls, record
    got_close = {key: record[key] for key in CLOSE[tool]}
    assert got_close == CLOSE[tool], record["detail"]
