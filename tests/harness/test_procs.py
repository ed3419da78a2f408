"""Process lifecycle: READY wait, startup failures, bounded stops, nothing left behind."""

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from harness import procs
from harness.procs import ClientHang, ServerProcess, ServerStartError, parse_ready, run_client

FAKE = [sys.executable, str(Path(__file__).with_name("fake_server.py"))]


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch):
    # A registry of our own: these tests look at and kill "every registered process", which
    # must not include servers that other tests on this xdist worker share for the session.
    monkeypatch.setattr(procs, "_live", set())
    # The real grace period is generous for slow sanitized builds; fakes need less.
    monkeypatch.setattr(procs, "STOP_GRACE_S", 0.5)
    yield
    # Each test must clean up after itself; whatever it left is killed so the next one starts
    # clean, and the test fails.
    leftovers = procs.kill_all()
    assert not leftovers, f"test left processes running: {leftovers}"


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group: a reaped-late zombie is not a leak."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_ready_line_parsing():
    assert parse_ready("READY tls://[::1]:40123").url == "tls://[::1]:40123"
    assert parse_ready("READY udp://127.0.0.1:5").port == 5
    for bad in ("READY tls://[::1]", "READY tls://[::1]:0", "READY tls://h:70000", "ready x",
                "READY tls://::1:80"):
        assert parse_ready(bad) is None, bad


def test_server_ready_records_and_clean_stop():
    with ServerProcess.start(FAKE + ["ready"]) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            local_port = s.getsockname()[1]
        rec = server.wait_for_record(lambda r: r["peer_port"] == local_port, timeout=5)
        assert rec is not None and rec["side"] == "server"
    assert server.stopped_cleanly, (server.returncode, server.stop_steps)
    assert _gone(server.pid)
    assert server.pid not in procs.live_pids()


def test_server_that_never_says_ready_is_killed_within_the_bound():
    started = time.monotonic()
    with pytest.raises(ServerStartError, match="no READY line within 1 s"):
        ServerProcess.start(FAKE + ["silent"], ready_timeout=1.0)
    assert time.monotonic() - started < 1.0 + 2 * procs.STOP_GRACE_S + 2
    assert not procs.live_pids()


def test_startup_failure_record_is_kept():
    with pytest.raises(ServerStartError) as info:
        ServerProcess.start(FAKE + ["fail"])
    assert info.value.returncode == 1
    assert info.value.record["error"] == "config.cert_load"


def test_stubborn_server_is_escalated_to_sigkill():
    with ServerProcess.start(FAKE + ["stubborn"]) as server:
        pass
    assert server.stop_steps == ["SIGTERM", "SIGKILL"]
    assert not server.stopped_cleanly
    assert _gone(server.pid)


def test_the_whole_process_group_dies():
    with ServerProcess.start(FAKE + ["forking"]) as server:
        pgid = os.getpgid(server.pid)
        assert pgid == server.pid      # its own group, so killing it cannot hit pytest
        assert len(_group_members(pgid)) == 2
    deadline = time.monotonic() + 5
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_members(pgid) == []   # the grandchild went with it


def test_non_record_output_is_reported_as_noise():
    with ServerProcess.start(FAKE + ["noisy"]) as server:
        pass
    assert server.noise == ["this is not a record"]
    assert server.stopped_cleanly


def test_hanging_client_is_killed_and_reported():
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    started = time.monotonic()
    with pytest.raises(ClientHang):
        run_client(argv, timeout=0.5)
    assert time.monotonic() - started < 5
    assert not procs.live_pids()


def test_client_output_is_split_into_records_and_noise():
    run = run_client([sys.executable, "-c", "print('{\"a\": 1}'); print('junk')"], timeout=10)
    assert run.records == [{"a": 1}] and run.noise == ["junk"] and run.returncode == 0


def test_kill_all_reaps_everything_registered():
    server = ServerProcess(FAKE + ["stubborn"])
    server.wait_ready()
    assert server.pid in procs.live_pids()
    assert server.pid in procs.kill_all()
    assert _gone(server.pid)
    server.stop()  # idempotent after kill_all


def test_children_get_sanitizer_settings():
    show = "import os; print(os.environ['ASAN_OPTIONS'], os.environ['UBSAN_OPTIONS'])"
    run = run_client([sys.executable, "-c", show], timeout=10)
    assert "detect_leaks=1" in run.stdout and "abort_on_error=0" in run.stdout
    assert "halt_on_error=1" in run.stdout and "print_stacktrace=1" in run.stdout


@pytest.mark.parametrize("line", [
    "==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x602",
    "lib/url.c:42:7: runtime error: signed integer overflow",
    "==9==ERROR: LeakSanitizer: detected memory leaks",
])
def test_sanitizer_reports_are_recognised(line):
    assert procs.sanitizer_reports("normal line\n" + line + "\nmore\n") == [line]


def test_clean_stderr_has_no_sanitizer_reports():
    assert procs.sanitizer_reports("tlsm-client: connect: refused\n") == []


def test_tool_output_after_the_tool_exits_is_still_waited_for():
    # The tool exits at once; a child it left holds the pipe and writes later. "Exited" is not
    # "no more output": the wait must last until the pipe's end (this once lost the last reply
    # of fast mail dialogs).
    tool = procs.ToolProcess(["sh", "-c", "echo early; (sleep 0.3; echo late) & exit 0"])
    try:
        assert tool.wait_for_line(r"^early$", 5) is not None
        tool.proc.wait(timeout=5)
        found = tool.wait_for_line(r"^late$", 5, start=1)
        assert found is not None and found[1] == 1, tool.lines
        assert tool.wait_for_line(r"^never$", 5) is None   # the pipe's end, not the timeout
    finally:
        tool.stop()


def test_tool_line_search_starts_at_the_given_index():
    tool = procs.ToolProcess(["sh", "-c", "echo x; echo x"])
    try:
        assert tool.wait_for_line(r"^x$", 5)[1] == 0
        assert tool.wait_for_line(r"^x$", 5, start=1)[1] == 1
        assert tool.wait_for_line(r"^x$", 5, start=2) is None
    finally:
        tool.stop()
