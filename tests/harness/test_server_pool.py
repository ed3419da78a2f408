"""Shared servers (harness/server_pool.py) with fake binaries: one server per distinct command
line serves many cases, each case sees only its own records, a server that dies fails the later
cases that need it, and what only a stop can show comes back as session problems."""

import sys

import pytest

from harness import runner
from harness.runner import ProcessSet, run_variant
from harness.server_pool import ServerPool
from fakes import FakeImpl


@pytest.fixture
def pool():
    pool = ServerPool()
    yield pool
    pool.close()


pytestmark = pytest.mark.usefixtures("quick_stops")


def run(variant, pki, pool, **fake):
    return run_variant(variant, pki, {"openssl": FakeImpl(**fake)}, ProcessSet(pool=pool))


def test_one_server_serves_every_case_with_the_same_command_line(variant, pki, pool):
    first, second = run(variant, pki, pool), run(variant, pki, pool)
    assert first.problems == [] and second.problems == []
    assert pool.started == 1
    assert first.procs.shared[0].server is second.procs.shared[0].server
    # Each case sees the record of its own connection and nothing of the other's.
    assert [r["peer_port"] for r in second.server_records] == \
        [second.client_record["local_port"]]
    assert first.server_record["peer_port"] != second.server_record["peer_port"]
    assert "shared: started by " + variant.test_id in second.report()


def test_a_stray_connection_on_a_shared_server_fails_the_case(variant, pki, pool):
    out = run(variant, pki, pool, client_extra=["--connections", "2"])
    assert any("did not make" in p and "the server is shared" in p for p in out.problems)


def test_a_dead_shared_server_fails_every_later_case_that_needs_it(variant, pki, pool):
    first = run(variant, pki, pool, server_mode="dies")
    # It dies just after writing the first record: let it finish dying before the next case.
    first.procs.shared[0].server.proc.wait(timeout=5)
    for _ in range(2):
        out = run(variant, pki, pool, server_mode="dies")
        [problem] = out.problems
        assert "the shared server for this configuration has exited (exit 3)" in problem
        assert f"started by {variant.test_id}" in problem
        assert "fake: dying after one connection" in problem
        assert out.client_record is None     # the client never ran
    assert pool.started == 1                 # and nobody restarted it


def test_different_command_lines_get_different_servers(variant, pki, pool):
    run(variant, pki, pool)
    run(variant, pki, pool, server_mode="leaky")
    assert pool.started == 2


def test_what_only_a_stop_shows_comes_back_from_close(variant, pki):
    pool = ServerPool()
    run(variant, pki, pool, server_mode="stubborn")
    run(variant, pki, pool, server_mode="leaky")
    problems = pool.close()
    assert any("did not stop cleanly" in p and "SIGKILL" in p for p in problems)
    assert any("sanitizer" in p and "LeakSanitizer" in p for p in problems)
    assert pool.started == 0 and pool.close() == []


def test_a_server_that_does_not_start_is_not_kept(variant, pki, pool):
    for _ in range(2):
        out = run(variant, pki, pool, server_mode="fail")
        assert any(p.startswith("server did not start") for p in out.problems)
    assert pool.started == 0


def test_udp_servers_are_never_shared():
    # A UDP server writes its records when it stops: only a server of the case's own can.
    assert runner._shareable("tcp://127.0.0.1:0") and runner._shareable("tls://[::1]:0")
    assert not runner._shareable("udp://127.0.0.1:0")


def test_a_shared_server_is_left_running_by_the_case(variant, pki, pool):
    out = run(variant, pki, pool)
    assert out.procs.shared[0].server.proc.poll() is None
    assert sys.executable in out.procs.shared[0].server.argv
