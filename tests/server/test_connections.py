"""The reference server with many connections (docs/server.md): at once, in sequence, with fewer
slots than clients, and stopped while a connection is still open. Each client record must pair
with exactly one server record, and every connection must have completed."""

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

# Threads and many connections are where the sanitizers earn their keep: all of these run there.
pytestmark = pytest.mark.sanitizer_sample

LIBS = ["openssl", "gnutls"]
CLIENTS_AT_ONCE = 24
CLIENTS_IN_SEQUENCE = 30


def start_tls_server(procs, impls, pki, lib, extra=()):
    server = procs.start_server(impls[lib].server_argv(
        "tls://127.0.0.1:0",
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key},
        extra=list(extra)))
    return server


def client_argv(impls, pki, lib, port, text):
    return impls[lib].client_argv(f"tls://127.0.0.1:{port}", options={"cafile": pki.ca_cert},
                                  send=text)


def assert_paired(server, client_records):
    """Each client's local port names exactly one server record, and both sides completed."""
    server.stop()
    by_peer = {}
    for rec in server.records:
        by_peer.setdefault(rec["peer_port"], []).append(rec)
    for rec in client_records:
        assert rec["ok"], rec["detail"]
        matches = by_peer.get(rec["local_port"], [])
        assert len(matches) == 1, f"client port {rec['local_port']}: {len(matches)} server records"
        assert matches[0]["ok"] and matches[0]["close_notify"] is True, matches[0]["detail"]
    assert len(server.records) == len(client_records)


@pytest.mark.parametrize("lib", LIBS)
def test_many_connections_at_once(lib, procs, impls, pki):
    server = start_tls_server(procs, impls, pki, lib)
    argvs = [client_argv(impls, pki, lib, server.port, f"hello {i}") for i in range(CLIENTS_AT_ONCE)]
    with ThreadPoolExecutor(max_workers=CLIENTS_AT_ONCE) as pool:
        runs = list(pool.map(procs.run_client, argvs))
    assert [r.returncode for r in runs] == [0] * CLIENTS_AT_ONCE
    assert_paired(server, [r.record for r in runs])


@pytest.mark.parametrize("lib", LIBS)
def test_many_connections_in_sequence_through_one_batch_client(lib, procs, impls, pki):
    server = start_tls_server(procs, impls, pki, lib)
    lines = []
    for i in range(CLIENTS_IN_SEQUENCE):
        args = client_argv(impls, pki, lib, server.port, f"line {i}")[1:]  # without the program
        lines.append(json.dumps({"id": f"seq-{i}", "args": args}))
    run = procs.run_client([str(impls[lib].client_path), "--batch"],
                           stdin_text="\n".join(lines) + "\n")
    assert run.returncode == 0
    assert [r["id"] for r in run.records] == [f"seq-{i}" for i in range(CLIENTS_IN_SEQUENCE)]
    assert_paired(server, run.records)


@pytest.mark.parametrize("lib", LIBS)
def test_fewer_slots_than_clients_still_serves_everyone(lib, procs, impls, pki):
    # Two slots, eight clients at once: the rest wait in the backlog, none is refused.
    server = start_tls_server(procs, impls, pki, lib, extra=["--max-conns", "2"])
    argvs = [client_argv(impls, pki, lib, server.port, f"slot {i}") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = list(pool.map(procs.run_client, argvs))
    assert [r.returncode for r in runs] == [0] * 8
    assert_paired(server, [r.record for r in runs])


@pytest.mark.parametrize("lib", LIBS)
def test_stop_waits_for_an_open_connection_and_records_it(lib, procs, impls, pki):
    # A plain TCP peer connects and says nothing; the server is told to stop meanwhile. It must
    # keep serving that connection until it ends, write its record, and exit 0.
    server = procs.start_server(impls[lib].server_argv("tcp://127.0.0.1:0", timeout_ms=5000))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        local_port = sock.getsockname()[1]
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        time.sleep(0.3)  # the stop is under way while the connection is open
        sock.sendall(b"still here")
        assert sock.recv(64) == b"still here"
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(64) == b""
    stopper.join(10)
    assert server.returncode == 0
    assert [r["peer_port"] for r in server.records] == [local_port]
    assert server.records[0]["ok"] is True
