"""A listen URL that names its host (docs/server.md, "Listen address"): --resolve maps the name to
an address without the system resolver, as the client's --resolve does, and READY keeps the name.
This is what the matrix's host form server.test stands on. Only loopback addresses are used, and
the only name handed to the system resolver is under the reserved .invalid TLD (RFC 6761 §6.4),
which never resolves."""

import pytest

from harness.procs import ServerStartError

# New argument parsing and a new path through tlsm_listen: the sanitizers run these too.
pytestmark = pytest.mark.sanitizer_sample

LIBS = ["openssl", "gnutls"]
OTHER = {"openssl": "gnutls", "gnutls": "openssl"}


@pytest.mark.parametrize("addr", ["127.0.0.1", "[::1]"], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("lib", LIBS)
def test_a_name_listens_on_the_address_resolve_gives_it(lib, addr, procs, impls, pki):
    entry = f"server.test:{addr}"
    server = procs.start_server(impls[lib].server_argv(
        "tls://server.test:0", options={"local_cert": pki.server_cert, "local_pk": pki.server_key},
        resolve=[entry]))
    # READY names the host as given, with the port the kernel picked.
    assert (server.ready.transport, server.ready.host) == ("tls", "server.test")
    # The other library's client reaches it by the same name through its own --resolve, verifies
    # the name and sends it. tests/unit/test_net.c checks the bound address itself.
    run = procs.run_client(impls[OTHER[lib]].client_argv(
        f"tls://server.test:{server.port}", options={"cafile": pki.ca_cert}, send="by name",
        resolve=[entry]))
    assert run.returncode == 0 and run.record["ok"], run.stdout + run.stderr
    server.stop()
    [rec] = server.records
    assert rec["ok"] is True and rec["peer_port"] == run.record["local_port"]
    assert rec["sni"] == "server.test" and rec["url"] == f"tls://server.test:{server.port}"


@pytest.mark.parametrize("resolve", [[], ["other.test:127.0.0.1"]], ids=["no-map", "other-name"])
@pytest.mark.parametrize("lib", LIBS)
def test_a_name_without_an_entry_is_resolve_failed(lib, resolve, procs, impls):
    # Not in the map, so the system is asked, and .invalid never resolves: a classified startup
    # failure (exit 1, one record), not READY.
    argv = impls[lib].server_argv("tcp://listen.invalid:0", resolve=resolve)
    with pytest.raises(ServerStartError) as info:
        procs.start_server(argv)
    assert info.value.returncode == 1
    rec = info.value.record
    assert rec is not None and rec["ok"] is False, info.value.stderr
    assert (rec["error"], rec["stage"]) == ("resolve.failed", "resolve")
    assert "listen.invalid" in rec["detail"]
