"""Persistent `--batch` clients (the default for case tests; `harness run --isolated`, pytest
`--tlsm-isolated`, turns them off).

A client process per binary per pytest process takes one case per stdin line and answers with
one record per line (docs/result-record.md, "--batch"), so a case test pays for a connection,
not for starting a process and initialising a TLS library. What a batch line cannot tell is
handled by running the client on its own as before:

- a case with stdin text for the client;
- a record that failed at the `parse` stage: on its own the same arguments might be a usage
  error (exit 2, no record), which a batch line reports as a record;
- a client that died (its record never came): the next line starts a new one.

The exit status of a batch line is the one the client would have exited with, derived from the
record as the client does (clients/client.c, exit_code_for): 0 ok, 3 config.unsupported, else 1.
Sanitizer reports that only come at exit (leaks) are not per test here, so `make test-san` runs
isolated."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time

from .procs import STOP_GRACE_S, ClientHang, ClientRun, child_env, run_client

EXIT_CONNECTED, EXIT_CLASSIFIED, EXIT_UNSUPPORTED = 0, 1, 3
_EOF = object()


def exit_code_for(record: dict) -> int:
    if record.get("ok"):
        return EXIT_CONNECTED
    return EXIT_UNSUPPORTED if record.get("error") == "config.unsupported" else EXIT_CLASSIFIED


class BatchClient:
    """One `<client> --batch` process and the readers of its output."""

    def __init__(self, binary: str):
        self.binary = binary
        self.proc = subprocess.Popen([binary, "--batch"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=child_env(), start_new_session=True)
        self.lines: queue.Queue = queue.Queue()
        self._stderr: list[str] = []
        self._stderr_lock = threading.Lock()
        self._count = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(_EOF)

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            with self._stderr_lock:
                self._stderr.append(raw.decode("utf-8", "replace"))

    def _stderr_since(self, mark: int) -> str:
        with self._stderr_lock:
            return "".join(self._stderr[mark:])

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, argv: list[str], timeout: float) -> ClientRun:
        """One case line; ClientRun as if the client had run on its own (argv[1:] are its
        arguments). ClientHang after timeout seconds, with the process killed."""
        self._count += 1
        token = f"tlsm-batch-{self._count}"
        with self._stderr_lock:
            mark = len(self._stderr)
        try:
            self.proc.stdin.write((json.dumps({"id": token, "args": argv[1:]}) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass   # it died: the reader's EOF says so below
        deadline = time.monotonic() + timeout
        stdout, noise = [], []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise ClientHang(argv, timeout, "\n".join(stdout),
                                 self._stderr_since(mark)) from None
            if line is _EOF:
                code = self._reap()
                return ClientRun(argv, code, "\n".join(stdout), self._stderr_since(mark),
                                 [], noise)
            stdout.append(line)
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, dict) and value.get("id") == token:
                # The id is ours, not the case's: a separate run would print null there.
                record = dict(value, id=None)
                return ClientRun(argv, exit_code_for(record), "\n".join(stdout),
                                 self._stderr_since(mark), [record], noise)
            noise.append(line)

    def _reap(self) -> int:
        try:
            return self.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=STOP_GRACE_S)

    def close(self) -> None:
        """Stdin EOF ends the batch; kill after a bounded wait."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.kill()


class BatchPool:
    """The batch clients of this pytest process, one per client binary."""

    def __init__(self):
        self.clients: dict[str, BatchClient] = {}
        self.batched = 0
        self.alone = 0

    def run_client(self, argv: list[str], timeout: float,
                   stdin_text: str | None = None) -> ClientRun:
        if stdin_text is not None or len(argv) < 2:
            return self._alone(argv, timeout, stdin_text)
        client = self.clients.get(argv[0])
        if client is None or not client.alive:
            client = self.clients[argv[0]] = BatchClient(argv[0])
        run = client.run(argv, timeout)
        record = run.record
        if record is not None and not record.get("ok") and record.get("stage") == "parse":
            # Might be a usage error (exit 2, no record) when run on its own: ask it that way.
            return self._alone(argv, timeout, stdin_text)
        self.batched += 1
        return run

    def _alone(self, argv, timeout, stdin_text) -> ClientRun:
        self.alone += 1
        return run_client(argv, timeout, stdin_text)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()


# The pool of this process unless the run is isolated (harness/reports/plugin.py sets it up).
_pool: BatchPool | None = None


def activate() -> BatchPool:
    global _pool
    if _pool is None:
        _pool = BatchPool()
    return _pool


def deactivate() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


def active_pool() -> BatchPool | None:
    return _pool
