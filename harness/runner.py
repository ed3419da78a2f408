"""Running things for one test: the ProcessSet that owns a test's processes, and run_variant,
which runs one expanded case (server, client, pairing, checks) and says what went wrong."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from . import expect, records
from .axes import axis_placeholders, substitute
from .cases import Variant
from .impls import DEFAULT_TIMEOUT_MS, Implementation
from .pki import Pki
from .procs import (CLIENT_SLACK_S, ClientHang, ClientRun, ServerProcess, ServerStartError,
                    ToolProcess, describe_exit, output_tail, run_client, sanitizer_reports)
from .server_pool import ServerLease, SharedServerDied

# How long to wait for the server's record of a TCP connection after the client has exited
# (the server writes it when it has seen the connection end).
SERVER_RECORD_WAIT_S = 5.0


class ProcessSet:
    """Every process one test starts. close() stops what still runs; findings() lists sanitizer
    reports from any of them (make test-san fails a test on those)."""

    def __init__(self, batch=None, pool=None):
        self.servers: list[ServerProcess] = []
        self.shared: list[ServerLease] = []
        self.clients: list[ClientRun | ClientHang] = []
        self.tools: list[ToolProcess] = []
        # A harness.batch.BatchPool runs clients as --batch lines and a
        # harness.server_pool.ServerPool shares servers between cases (both unless
        # `--tlsm-isolated`); tests/ use neither.
        self.batch = batch
        self.pool = pool

    def start_server(self, argv: list[str], ready_timeout: float | None = None) -> ServerProcess:
        server = ServerProcess(argv)
        self.servers.append(server)
        try:
            if ready_timeout is None:
                server.wait_ready()
            else:
                server.wait_ready(ready_timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def lease_server(self, argv: list[str], test_id: str, shareable: bool) -> ServerLease:
        """A shared server from the pool when there is one and the case allows it, else a
        server of this test's own. ServerStartError, SharedServerDied as they come."""
        if self.pool is None or not shareable:
            return ServerLease(self.start_server(argv))
        lease = self.pool.lease(argv, test_id)
        self.shared.append(lease)
        return lease

    def run_client(self, argv: list[str], timeout: float | None = None,
                   stdin_text: str | None = None) -> ClientRun:
        if timeout is None:
            timeout = DEFAULT_TIMEOUT_MS / 1000 + CLIENT_SLACK_S
        try:
            run = (self.batch.run_client if self.batch is not None else run_client)(
                argv, timeout, stdin_text)
        except ClientHang as hang:
            self.clients.append(hang)
            raise
        self.clients.append(run)
        return run

    def start_tool(self, argv: list[str]) -> ToolProcess:
        tool = ToolProcess(argv)
        self.tools.append(tool)
        return tool

    def close(self) -> None:
        for proc in (*self.servers, *self.tools):
            proc.stop()

    def findings(self) -> list[str]:
        out = []
        stderrs = [(p.argv, p.stderr) for p in (*self.servers, *self.clients)]
        stderrs += [(lease.server.argv, lease.output()[2]) for lease in self.shared]
        for argv, stderr in stderrs:
            for line in sanitizer_reports(stderr):
                out.append(f"{shlex.quote(argv[0])}: {line.strip()}")
        return out

    def describe(self) -> str:
        """Every command with its exit and stderr, for a failure report."""
        parts = []
        for server in self.servers:
            parts.append(f"server: {shlex.join(server.argv)}\n"
                         f"  ready: {server.ready.url if server.ready else '(none)'}; "
                         f"stopped: {describe_exit(server.returncode)}"
                         f"{' after ' + ', '.join(server.stop_steps) if server.stop_steps else ''}")
            if server.stderr.strip():
                parts.append("  stderr: " + output_tail(server.stderr))
        for lease in self.shared:
            server, stderr = lease.server, lease.output()[2]
            parts.append(f"server (shared: started by {lease.shared_by}; this is its use "
                         f"#{lease.use}): {shlex.join(server.argv)}\n"
                         f"  ready: {server.ready.url if server.ready else '(none)'}; "
                         f"now: {describe_exit(server.proc.poll())}")
            if stderr.strip():
                parts.append("  stderr during this case: " + output_tail(stderr))
        for run in self.clients:
            status = "hung" if isinstance(run, ClientHang) else describe_exit(run.returncode)
            parts.append(f"client: {shlex.join(run.argv)}\n  {status}")
            if run.stderr.strip():
                parts.append("  stderr: " + output_tail(run.stderr))
        for tool in self.tools:
            parts.append(f"tool: {shlex.join(tool.argv)}\n  {describe_exit(tool.returncode)}\n"
                         f"  output: {output_tail(tool.output)}")
        return "\n".join(parts)


@dataclass
class Outcome:
    variant: Variant
    procs: ProcessSet
    client_record: dict | None = None
    server_record: dict | None = None
    server_records: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The expectations with every placeholder filled in (set once the server's port is known).
    expect: dict[str, dict] = field(default_factory=dict)

    def report(self) -> str:
        lines = [f"{self.variant.case.path.name}: {self.variant.test_id}",
                 f"about: {self.variant.case.about}", f"spec: {self.variant.case.spec}"]
        for reason in self.variant.override_reasons:
            lines.append(f"override applied: {reason}")
        if self.problems:
            lines.append("\nwhat did not match:")
            lines += [f"  - {p}" for p in self.problems]
        lines.append("\nexpected:")
        for side, exp in (self.expect or self.variant.expect).items():
            lines.append(f"  {side}: {json.dumps(exp, sort_keys=True)}")
        lines.append("\nrecords:")
        lines.append(f"  client: {json.dumps(self.client_record, sort_keys=True)}")
        if self.variant.server is not None:
            lines.append(f"  server (paired): {json.dumps(self.server_record, sort_keys=True)}")
            others = [r for r in self.server_records if r is not self.server_record]
            for r in others:
                lines.append(f"  server (unpaired): {json.dumps(r, sort_keys=True)}")
        lines.append("\nprocesses:")
        lines.append(self.procs.describe())
        return "\n".join(lines)


def run_variant(variant: Variant, pki: Pki, impls: dict[str, Implementation],
                procs: ProcessSet) -> Outcome:
    out = Outcome(variant, procs)
    values = placeholder_values(variant, pki)
    lease = None
    try:
        if variant.server is not None:
            argv, listen = server_command(variant, values, impls)
            try:
                lease = procs.lease_server(argv, variant.test_id, _shareable(listen))
            except ServerStartError as exc:
                out.problems.append(f"server did not start: {exc}; record: "
                                    f"{json.dumps(exc.record)}")
                return out
            except SharedServerDied as exc:
                out.problems.append(str(exc))
                return out
            values["port"] = str(lease.server.port)
        out.expect = substitute(variant.expect, values, final=True)
        _run_client(variant, values, impls, procs, out)
        if lease is not None:
            _collect_server(lease, out)
    finally:
        procs.close()
        out.problems += [f"sanitizer: {f}" for f in procs.findings()]
    return out


def placeholder_values(variant: Variant, pki: Pki) -> dict[str, str]:
    """Every placeholder value a variant's tables can use before its server is up."""
    return {**pki.placeholders(), **axis_placeholders(variant.axes)}


def server_command(variant: Variant, values: dict, impls) -> tuple[list[str], str]:
    """The server's command line for a variant (placeholders filled from values), and the
    URL it listens on."""
    spec = substitute(variant.server, values, final=True)
    argv = impls[variant.axes["server"]].server_argv(
        spec["listen"], options=spec["options"], proto=spec["proto"],
        starttls=spec.get("starttls"), resolve=spec["resolve"])
    return argv, spec["listen"]


def client_command(variant: Variant, values: dict, impls) -> tuple[list[str], int]:
    """The client's command line for a variant (values must hold the server's port by now),
    and its own timeout in milliseconds."""
    spec = substitute(variant.client, values, final=True)
    timeout_ms = spec.get("timeout_ms", DEFAULT_TIMEOUT_MS)
    argv = impls[variant.axes["client"]].client_argv(
        spec["url"], port=spec.get("port"), options=spec["options"], send=spec.get("send"),
        resolve=spec["resolve"], timeout_ms=timeout_ms, parse_only=spec["parse_only"],
        close_notify=spec["close_notify"], proto=spec.get("proto"),
        starttls=spec.get("starttls"))
    return argv, timeout_ms


def _run_client(variant: Variant, values: dict, impls, procs: ProcessSet, out: Outcome) -> None:
    argv, timeout_ms = client_command(variant, values, impls)
    exp = out.expect["client"]
    try:
        run = procs.run_client(argv, timeout=timeout_ms / 1000 + CLIENT_SLACK_S)
    except ClientHang as hang:
        out.problems.append(f"client: {hang}")
        return
    if run.returncode < 0:
        out.problems.append(f"client crashed: {describe_exit(run.returncode)}")
    want_exit = expect.expected_exit(exp)
    if run.returncode != want_exit:
        out.problems.append(f"client: exit: expected {want_exit}, got {run.returncode}")
    if want_exit == 2:
        # Usage errors print usage text on stderr and no record.
        if run.records:
            out.problems.append("client: a usage error (exit 2) printed a record")
        if not run.stderr.strip():
            out.problems.append("client: a usage error (exit 2) printed no usage text on stderr")
        return
    if run.noise:
        out.problems.append(f"client: stdout lines that are not JSON records: {run.noise!r}")
    if len(run.records) != 1:
        out.problems.append(f"client: expected exactly one record, got {len(run.records)}")
    out.client_record = run.records[0] if run.records else None
    if out.client_record is not None:
        out.problems += [f"client record: {p}"
                         for p in records.record_problems(out.client_record, "client")]
    out.problems += expect.check_side("client", exp, out.client_record)


def _shareable(listen: str) -> bool:
    """UDP has no end of connection: a UDP server writes its records when it stops, so each
    case needs its own. Every TCP-based server can be shared."""
    return not listen.startswith("udp://")


def _collect_server(lease: ServerLease, out: Outcome) -> None:
    server = lease.server
    client = out.client_record or {}
    port = client.get("local_port")
    # A TCP server writes a connection's record when the connection ends; give it a bounded
    # moment. UDP has no end of connection: the record per peer comes when the server stops.
    if port and client.get("transport") != "udp":
        server.wait_for_record(lambda r: r.get("peer_port") == port, SERVER_RECORD_WAIT_S,
                               start=lease.marks.records)
    if lease.shared:
        if server.proc.poll() is not None:
            out.problems.append(f"the shared server exited during this case "
                                f"({describe_exit(server.proc.returncode)}); the later cases "
                                f"that need it will fail")
    else:
        server.stop()
        if not server.stopped_cleanly:
            how = f" after {', '.join(server.stop_steps)}" if server.stop_steps else ""
            out.problems.append(f"server did not stop cleanly when its stdin closed: "
                                f"{describe_exit(server.returncode)}{how}")
    out.server_records, noise, _ = lease.output()
    if noise:
        out.problems.append(f"server: stdout lines that are not JSON records: {noise!r}")
    for i, rec in enumerate(out.server_records):
        out.problems += [f"server record #{i + 1}: {p}"
                         for p in records.record_problems(rec, "server")]
    try:
        out.server_record = records.pair(client, out.server_records) if client else None
    except records.PairingError as exc:
        out.problems.append(f"pairing: {exc}")
        return
    out.problems += expect.check_side("server", out.expect["server"], out.server_record)
    stray = records.unpaired(out.server_records, [out.server_record] if out.server_record else [])
    if stray:
        late = (" (the server is shared: a record of an earlier case that came too late for it "
                "shows here too)" if lease.shared else "")
        out.problems.append(f"server wrote {len(stray)} record(s) for connections the client "
                            f"did not make (peer_port {[r.get('peer_port') for r in stray]})"
                            f"{late}")
    if out.client_record and out.server_record:
        out.problems += expect.check_agreement(out.client_record, out.server_record)
