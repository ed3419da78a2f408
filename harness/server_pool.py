"""Reference servers shared by case tests: one per distinct command line in each pytest
process, started by the first case that needs it and reused by every later one (the default;
`--tlsm-isolated` gives each case its own server, as `make test-san` does).

A case asks for a server by its command line and gets a ServerLease. What a test checks about
its server stays per test: the records, noise and stderr written since its lease began (marks),
the pairing of its client's connection, and that the server is still running when it ends. Two
things can only be checked when a shared server stops, at the end of the session: that it
stopped cleanly when its stdin closed, and what it printed on the way out (leak reports come
at exit). Those come back from close() as session problems, which fail the run
(harness/reports/plugin.py).

A shared server that has died stays dead: every later case that needs it fails, saying which
server it was, when it was last seen alive and how it ended. The run goes on."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from .procs import OutputMarks, ServerProcess, describe_exit, output_tail, sanitizer_reports


class SharedServerDied(RuntimeError):
    """The shared server a case needs exited during an earlier case."""


@dataclass
class ServerLease:
    """A test's use of a server. shared_by is None when the server is the test's own (stopped
    when the test ends); else the id of the test that started the shared server."""
    server: ServerProcess
    marks: OutputMarks = field(default_factory=OutputMarks)
    shared_by: str | None = None
    use: int = 1

    @property
    def shared(self) -> bool:
        return self.shared_by is not None

    def output(self) -> tuple[list[dict], list[str], str]:
        """This test's part of the server's records, noise and stderr."""
        return self.server.output_since(self.marks)


@dataclass
class _Shared:
    server: ServerProcess
    started_by: str
    last_used_by: str
    uses: int = 1


class ServerPool:
    def __init__(self):
        self._servers: dict[tuple[str, ...], _Shared] = {}

    def lease(self, argv: list[str], test_id: str) -> ServerLease:
        """The running server for argv, started now if this is the first case that needs it.
        ServerStartError when it does not start (nothing is kept: the next case tries again);
        SharedServerDied when it was started and has exited since."""
        key = tuple(argv)
        shared = self._servers.get(key)
        if shared is None:
            server = ServerProcess.start(argv)
            shared = self._servers[key] = _Shared(server, test_id, test_id, 0)
        elif shared.server.proc.poll() is not None:
            raise SharedServerDied(self._death_notice(shared))
        shared.uses += 1
        shared.last_used_by = test_id
        return ServerLease(shared.server, shared.server.marks(), shared.started_by, shared.uses)

    @staticmethod
    def _death_notice(shared: _Shared) -> str:
        server = shared.server
        tail = output_tail(server.stderr)
        return (f"the shared server for this configuration has exited "
                f"({describe_exit(server.proc.returncode)}); it was started by "
                f"{shared.started_by}, last used by {shared.last_used_by} ({shared.uses} "
                f"case(s)), and every later case that needs it fails like this one\n"
                f"  server: {shlex.join(server.argv)}"
                + (f"\n  stderr: {tail}" if tail else ""))

    def close(self) -> list[str]:
        """Stops every shared server; the problems only a stop can show, one line each."""
        problems = []
        for shared in self._servers.values():
            server = shared.server
            before_stop = server.marks()
            was_running = server.proc.poll() is None
            server.stop()
            name = f"shared server {shlex.join(server.argv)} (started by {shared.started_by})"
            if was_running and not server.stopped_cleanly:
                how = f" after {', '.join(server.stop_steps)}" if server.stop_steps else ""
                problems.append(f"{name} did not stop cleanly when its stdin closed: "
                                f"{describe_exit(server.returncode)}{how}")
            records, noise, stderr = server.output_since(before_stop)
            if records:
                problems.append(f"{name} wrote {len(records)} record(s) after its last case")
            if noise:
                problems.append(f"{name}: stdout lines that are not JSON records: {noise!r}")
            problems += [f"{name}: sanitizer: {line.strip()}"
                         for line in sanitizer_reports(stderr)]
        self._servers.clear()
        return problems

    @property
    def started(self) -> int:
        return len(self._servers)


# The pool of this process while sharing is on (harness/reports/plugin.py turns it on).
_pool: ServerPool | None = None


def activate() -> ServerPool:
    global _pool
    if _pool is None:
        _pool = ServerPool()
    return _pool


def deactivate() -> list[str]:
    """Stops the shared servers; returns close()'s problems."""
    global _pool
    if _pool is None:
        return []
    pool, _pool = _pool, None
    return pool.close()


def active_pool() -> ServerPool | None:
    return _pool
