"""Ctrl-C in the middle of a real matrix run (shared servers, --batch clients, xdist workers)
leaves no process and no PKI directory behind."""

import os
import re
import select
import signal
import subprocess
import sys
import time
import uuid

import pytest

from harness import REPO_ROOT

WAIT_S = 60
PROGRESS = re.compile(rb"(^|\n)\.{3,}")   # a line of passed tests, not "bringing up nodes..."


def processes_with(mark: str) -> list[str]:
    """Command lines of the processes whose environment holds mark."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark.encode() not in f.read():
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode()
            found.append(f"{pid}: {cmdline}")
        except OSError:
            pass    # gone, or not ours to read
    return found


def read_until_progress(proc) -> bytes:
    seen, deadline = b"", time.monotonic() + WAIT_S
    while not PROGRESS.search(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"no test finished within {WAIT_S} s:\n{seen.decode()}"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
        assert chunk or ready == [], f"the run ended before it could be interrupted:\n{seen}"
        seen += chunk
    return seen


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_ctrl_c_mid_run_leaves_nothing_behind(tmp_path, jobs):
    mark = f"tlsm-interrupt-{uuid.uuid4().hex}"
    env = {**os.environ, "TLSM_RUN_MARK": mark, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-n", jobs, "cases"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        read_until_progress(proc)
        # What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert b"KeyboardInterrupt" in out, out[-2000:].decode()
    assert processes_with(mark) == []
    # The session PKIs (tempfile.mkdtemp under TMPDIR) are gone; pytest's own basetemp may stay.
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("pytest-of-")] == []
