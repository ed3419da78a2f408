"""`python3 -m harness bench` (make bench): how fast the harness runs the default case matrix,
and how its TLS handshake rate compares with the raw rate of `openssl s_time` against
`openssl s_server` on the same machine with the same key (the session PKI's server key and
certificate: ECDSA P-256). docs/performance.md has the figures and how to read them.

The harness's handshake rate is the number of case tests whose client record shows a
negotiated TLS version, over the wall time of the whole run (start-up, collection, PKI, every
process start): what a user waits for. s_time's rate is one client doing back-to-back full
handshakes (-new) against one s_server, over the wall time of s_time."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import REPO_ROOT
from .pki import make_pki
from .procs import ToolProcess
from .reports import results

ACCEPT_WAIT_S = 10
# s_time stops starting connections after -time seconds; this bounds the rest.
S_TIME_SLACK_S = 30
# The matrix itself may fail tests; the bench still reports. A hung run is cut here.
MATRIX_TIMEOUT_S = 1800


@dataclass
class MatrixRun:
    cases: int
    handshakes: int
    wall_s: float
    exit_code: int
    failed: int


@dataclass
class RawRun:
    connections: int
    wall_s: float


def run_matrix(jobs: int, out: Path, isolated: bool = False) -> MatrixRun:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--tlsm-out", str(out.resolve()), "cases"]
    if jobs > 0:
        cmd += ["-n", str(jobs)]
    if isolated:
        cmd.append("--tlsm-isolated")
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                          timeout=MATRIX_TIMEOUT_S)
    wall = time.monotonic() - started
    doc = results.load(out / "results.json")
    cases = [e for e in doc["tests"] if e["kind"] == "case" and e["outcome"] != "skipped"]
    handshakes = sum(1 for e in cases if (e["client"] or {}).get("version"))
    failed = sum(1 for e in cases if e["outcome"] in results.FAILING)
    return MatrixRun(len(cases), handshakes, wall, proc.returncode, failed)


def parse_s_time(output: str) -> int:
    """The connection count of s_time's "N connections in T real seconds" line."""
    m = re.search(r"(\d+) connections in \d+ real seconds", output)
    if not m:
        raise RuntimeError(f"openssl s_time printed no connection count:\n{output[-500:]}")
    return int(m.group(1))


def run_raw(seconds: int) -> RawRun:
    pki = make_pki()
    server = None
    try:
        server = ToolProcess(["openssl", "s_server", "-accept", "127.0.0.1:0",
                              "-cert", str(pki.server_cert), "-key", str(pki.server_key),
                              "-naccept", "10000000"])
        m = server.wait_for(r"^ACCEPT .*:(\d+)$", ACCEPT_WAIT_S)
        if not m:
            raise RuntimeError(f"openssl s_server printed no ACCEPT line:\n{server.output}")
        started = time.monotonic()
        proc = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{m.group(1)}",
                               "-new", "-time", str(seconds)],
                              capture_output=True, text=True, timeout=seconds + S_TIME_SLACK_S)
        wall = time.monotonic() - started
        return RawRun(parse_s_time(proc.stdout), wall)
    finally:
        if server is not None:
            server.stop()
        pki.remove()


def report_lines(matrix: MatrixRun, raw: RawRun, jobs: int, isolated: bool = False) -> list[str]:
    harness_rate = matrix.handshakes / matrix.wall_s
    raw_rate = raw.connections / raw.wall_s
    return [
        f"cases:               {matrix.cases} ({matrix.failed} failed)",
        f"wall seconds:        {matrix.wall_s:.1f} (pytest -n {jobs}, cases/ only"
        f"{', a server and client process per case' if isolated else ''})",
        f"cases per second:    {matrix.cases / matrix.wall_s:.1f}",
        f"TLS handshakes:      {matrix.handshakes} in the matrix, "
        f"{harness_rate:.1f}/s",
        f"raw handshake rate:  {raw_rate:.1f}/s (openssl s_time -new, {raw.connections} "
        f"connections in {raw.wall_s:.1f} s, one client)",
        f"harness / raw:       {100 * harness_rate / raw_rate:.1f}%",
    ]


def main(jobs: int, out: Path, seconds: int, isolated: bool = False) -> int:
    print(f"tlsmatrix bench: the default matrix with {jobs} worker(s)"
          f"{' (isolated)' if isolated else ''}, reports in {out}/ …", flush=True)
    matrix = run_matrix(jobs, out, isolated)
    print(f"tlsmatrix bench: openssl s_time for {seconds} s …", flush=True)
    raw = run_raw(seconds)
    for line in report_lines(matrix, raw, jobs, isolated):
        print(line)
    return 0
