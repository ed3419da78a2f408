"""`python3 -m harness bench` (make bench): how fast the harness runs the default case matrix,
and how its TLS handshake rate compares with the raw rate of `openssl s_time` against
`openssl s_server` on the same machine with the same key (the session PKI's server key and
certificate: ECDSA P-256). docs/performance.md has the figures and how to read them.

Two harness rates are compared with s_time's (one client doing back-to-back full handshakes,
-new, against one s_server, over the wall time of s_time):

- the matrix rate: case tests whose client record shows a negotiated TLS version, over the
  wall time of the whole pytest run (start-up, collection, PKI, every check, the reports):
  what a user waits for;
- the engine rate: one reference case (ENGINE_CASE: TLS 1.3 echo with certificate
  verification and close_notify both ways) run back to back through the path every case
  test takes, a --batch client line against a shared server, with the command lines the
  runner builds, per pairing, without pytest. Every connection must succeed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import REPO_ROOT
from .cases import expand, load_file
from .impls import IMPLEMENTATIONS
from .pki import Pki, make_pki
from .procs import ServerProcess, ToolProcess, parse_json_lines
from .reports import results
from .runner import client_command, placeholder_values, server_command

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


@dataclass
class EngineRun:
    pairing: str
    connections: int
    wall_s: float


# The reference case for the engine rate, and the axis values it runs at.
ENGINE_CASE = ("tls_echo.toml", "echo.tls.default")
ENGINE_AXES = {"host": "127.0.0.1", "version": "tls1.3"}
ENGINE_CONNECTIONS = 400


def run_matrix(jobs: str, out: Path, isolated: bool = False) -> MatrixRun:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--tlsm-out", str(out.resolve()), "cases"]
    if jobs != "0":
        cmd += ["-n", jobs]
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


def engine_variants() -> list:
    """ENGINE_CASE's variants at ENGINE_AXES, one per pairing (the first value of any other
    axis it has, e.g. the reference key type)."""
    path, case_id = ENGINE_CASE
    [case] = [c for c in load_file(REPO_ROOT / "cases" / path) if c.id == case_id]
    firsts = {axis: values[0] for axis, values in case.axes.items()
              if axis not in ("client", "server") and axis not in ENGINE_AXES}
    wanted = {**firsts, **{a: v for a, v in ENGINE_AXES.items() if a in case.axes}}
    return [v for v in expand(case)
            if all(v.axes.get(axis) == value for axis, value in wanted.items())]


def run_engine_pairing(variant, pki: Pki, connections: int) -> EngineRun:
    values = placeholder_values(variant, pki)
    server = ServerProcess.start(server_command(variant, values, IMPLEMENTATIONS)[0])
    try:
        values["port"] = str(server.port)
        argv, timeout_ms = client_command(variant, values, IMPLEMENTATIONS)
        line = json.dumps({"id": variant.test_id, "args": argv[1:]}) + "\n"
        started = time.monotonic()
        proc = subprocess.run([argv[0], "--batch"], input=line * connections,
                              capture_output=True, text=True,
                              timeout=connections * timeout_ms / 1000)
        wall = time.monotonic() - started
    finally:
        server.stop()
    records, noise = parse_json_lines(proc.stdout)
    ok = sum(1 for r in records if r.get("ok") and r.get("version"))
    if ok != connections or noise:
        raise RuntimeError(f"engine run {variant.test_id}: {ok} of {connections} connections "
                           f"succeeded; stderr: {proc.stderr[-500:]}")
    return EngineRun(f"{variant.axes['client']}>{variant.axes['server']}", connections, wall)


def run_engine(connections: int) -> list[EngineRun]:
    pki = make_pki()
    try:
        return [run_engine_pairing(v, pki, connections) for v in engine_variants()]
    finally:
        pki.remove()


def _workers(jobs: str) -> str:
    return f"auto: {os.cpu_count()} CPUs" if jobs == "auto" else jobs


def report_lines(matrix: MatrixRun, raw: RawRun, jobs: str, isolated: bool = False,
                 engine: list[EngineRun] = ()) -> list[str]:
    harness_rate = matrix.handshakes / matrix.wall_s
    raw_rate = raw.connections / raw.wall_s
    lines = [
        f"cases:               {matrix.cases} ({matrix.failed} failed)",
        f"wall seconds:        {matrix.wall_s:.1f} (pytest -n {_workers(jobs)}, cases/ only"
        f"{', a server and client process per case' if isolated else ''})",
        f"cases per second:    {matrix.cases / matrix.wall_s:.1f}",
        f"TLS handshakes:      {matrix.handshakes} in the matrix, "
        f"{harness_rate:.1f}/s",
        f"raw handshake rate:  {raw_rate:.1f}/s (openssl s_time -new, {raw.connections} "
        f"connections in {raw.wall_s:.1f} s, one client)",
        f"matrix / raw:        {100 * harness_rate / raw_rate:.1f}% (the whole pytest run)",
    ]
    if engine:
        case_file, case_id = ENGINE_CASE
        lines.append(f"engine / raw:        per pairing, {case_id} ({case_file}) at TLS 1.3, "
                     f"{engine[0].connections} connections each through one --batch client "
                     f"and one shared server:")
        for run in engine:
            rate = run.connections / run.wall_s
            lines.append(f"  {run.pairing:<18} {rate:7.1f}/s  {100 * rate / raw_rate:5.1f}%")
    return lines


def main(jobs: str, out: Path, seconds: int, isolated: bool = False) -> int:
    print(f"tlsmatrix bench: the default matrix with {_workers(jobs)} worker(s)"
          f"{' (isolated)' if isolated else ''}, reports in {out}/ …", flush=True)
    matrix = run_matrix(jobs, out, isolated)
    print(f"tlsmatrix bench: openssl s_time for {seconds} s …", flush=True)
    raw = run_raw(seconds)
    print(f"tlsmatrix bench: the reference engine, {ENGINE_CONNECTIONS} connections per "
          f"pairing …", flush=True)
    engine = run_engine(ENGINE_CONNECTIONS)
    for line in report_lines(matrix, raw, jobs, isolated, engine):
        print(line)
    return 0
