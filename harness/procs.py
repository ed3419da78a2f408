"""Child processes: reference servers (long-lived, READY line, one record per connection),
clients (run to completion, one record) and third-party tools (openssl s_server, gnutls-cli …).

Rules every helper here keeps:
- every wait is bounded; a child that overstays is killed and the caller gets an error saying so;
- every child runs in its own process group (start_new_session) so that killing it also kills
  anything it forked;
- every child is registered until reaped; `kill_all()` runs at interpreter exit (atexit) and at
  the end of the pytest session, so a Ctrl-C or a failing test leaves nothing behind;
- a reference server's stdin is a pipe only we hold: the server stops when it closes, so even a
  SIGKILLed pytest takes its servers with it;
- stderr of every child is kept, for the failure report and for the sanitizer check.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

# Sanitized builds (make test-san) report through stderr; these lines mean the run is broken even
# when the exit status looks fine. abort_on_error=0 keeps the report readable; leaks are checked.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
_SANITIZER_MARKERS = re.compile(r"ERROR: AddressSanitizer|runtime error:|LeakSanitizer")

READY_TIMEOUT_S = 10.0     # generous: sanitized binaries start slowly on a loaded 2-core box
STOP_GRACE_S = 3.0         # after closing stdin, then again after SIGTERM, before SIGKILL
CLIENT_SLACK_S = 10.0      # on top of the client's own --timeout before we call it a hang


class ProcessError(RuntimeError):
    """A child broke the process contract (no READY, hang, garbage output, crash)."""


class ServerStartError(ProcessError):
    def __init__(self, message: str, record: dict | None, stderr: str, returncode: int | None):
        super().__init__(message)
        self.record = record
        self.stderr = stderr
        self.returncode = returncode


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SANITIZER_ENV)
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def sanitizer_reports(stderr: str) -> list[str]:
    """The stderr lines that show a sanitizer finding (empty when clean)."""
    return [line for line in stderr.splitlines() if _SANITIZER_MARKERS.search(line)]


# ---- the registry of live children ------------------------------------------------------------

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


def _register(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live.add(proc)


def _unregister(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live.discard(proc)


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def live_pids() -> list[int]:
    with _live_lock:
        return [p.pid for p in _live if p.poll() is None]


def kill_all() -> list[int]:
    """SIGKILLs every registered child still running and reaps it; returns their pids."""
    with _live_lock:
        procs = list(_live)
        _live.clear()
    killed = []
    for proc in procs:
        if proc.poll() is None:
            killed.append(proc.pid)
            _kill_group(proc, signal.SIGKILL)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    return killed


atexit.register(kill_all)


def _spawn(argv: list[str], env: dict[str, str] | None, stdin) -> subprocess.Popen:
    proc = subprocess.Popen(
        argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=child_env(env), start_new_session=True,
    )
    _register(proc)
    return proc


def _stop(proc: subprocess.Popen, stdin_grace: float | None) -> tuple[int, list[str]]:
    """Stops proc politely, then firmly: closes its stdin and waits stdin_grace seconds (None:
    STOP_GRACE_S), then SIGTERM, then SIGKILL, each followed by a bounded wait.
    Returns (returncode, the signals that were needed)."""
    steps = []
    if proc.stdin and not proc.stdin.closed:
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=STOP_GRACE_S if stdin_grace is None else stdin_grace)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        steps.append(signal.Signals(sig).name)
        _kill_group(proc, sig)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:  # unkillable (D state): nothing more we can do but say so
        steps.append("still running")
    _unregister(proc)
    return proc.returncode, steps


def _close_pipes(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


OUTPUT_TAIL = 2000   # characters of a child's stderr or output quoted in a failure report


def output_tail(text: str) -> str:
    """The end of a child's output, stripped, for a failure report."""
    text = text.strip()
    return text if len(text) <= OUTPUT_TAIL else "…" + text[-OUTPUT_TAIL:]


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit {returncode}"


# ---- reference server -------------------------------------------------------------------------

_READY = re.compile(r"^READY (?P<transport>[a-z0-9.]+)://"
                    r"(?P<host>\[[^\]]+\]|[^:\s]+):(?P<port>\d+)$")


@dataclass
class ReadyLine:
    transport: str
    host: str   # as printed: IPv6 in brackets
    port: int

    @property
    def url(self) -> str:
        return f"{self.transport}://{self.host}:{self.port}"


def parse_ready(line: str) -> ReadyLine | None:
    m = _READY.match(line.strip())
    if not m:
        return None
    port = int(m["port"])
    if not 0 < port < 65536:
        return None
    return ReadyLine(m["transport"], m["host"], port)


@dataclass(frozen=True)
class OutputMarks:
    """How many records, noise lines and stderr chunks a server had written at some moment."""
    records: int = 0
    noise: int = 0
    stderr: int = 0


class ServerProcess:
    """A running reference server. Start with ServerProcess.start(argv); stop with stop().

    A reader thread parses stdout: the READY line first, then one JSON record per line. Lines that
    are neither are kept in `noise` (a contract violation the caller reports)."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None):
        self.argv = argv
        self.proc = _spawn(argv, env, subprocess.PIPE)
        self.ready: ReadyLine | None = None
        self.records: list[dict] = []
        self.noise: list[str] = []
        self.returncode: int | None = None
        self.stop_steps: list[str] = []
        self._stderr: list[str] = []
        self._cond = threading.Condition()
        self._stdout_done = False
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self._threads:
            t.start()

    @classmethod
    def start(cls, argv: list[str], env: dict[str, str] | None = None,
              ready_timeout: float = READY_TIMEOUT_S) -> "ServerProcess":
        server = cls(argv, env)
        try:
            server.wait_ready(ready_timeout)
        except BaseException:
            server.stop()
            raise
        return server

    # -- reading
    def _read_stdout(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                if self.ready is None and not self.records:
                    ready = parse_ready(line)
                    if ready is not None:
                        self.ready = ready
                        self._cond.notify_all()
                        continue
                record = as_record(line)
                if record is not None:
                    self.records.append(record)
                else:
                    self.noise.append(line)
                self._cond.notify_all()
        with self._cond:
            self._stdout_done = True
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            with self._cond:
                self._stderr.append(raw.decode("utf-8", "replace"))

    @property
    def stderr(self) -> str:
        with self._cond:
            return "".join(self._stderr)

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Returns once READY was printed; ServerStartError when the server ended first (with
        its startup-failure record, if it wrote one) or stayed silent past timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.ready is None and not self._stdout_done:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self.ready is not None:
                return
            ended = self._stdout_done
        if ended:
            try:
                self.proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                pass    # closed stdout but still running: the caller's stop() deals with it
            for t in self._threads:
                t.join(STOP_GRACE_S)
            record = self.records[0] if self.records else None
            raise ServerStartError(
                f"server ended before READY ({describe_exit(self.proc.returncode)})",
                record, self.stderr, self.proc.returncode)
        raise ServerStartError(f"no READY line within {timeout:g} s", None, self.stderr, None)

    @property
    def port(self) -> int:
        assert self.ready is not None
        return self.ready.port

    @property
    def pid(self) -> int:
        return self.proc.pid

    def marks(self) -> "OutputMarks":
        """Where the output stands now: what comes after belongs to whoever took the marks."""
        with self._cond:
            return OutputMarks(len(self.records), len(self.noise), len(self._stderr))

    def output_since(self, marks: "OutputMarks") -> tuple[list[dict], list[str], str]:
        """The records, noise lines and stderr text written since marks were taken."""
        with self._cond:
            return (self.records[marks.records:], self.noise[marks.noise:],
                    "".join(self._stderr[marks.stderr:]))

    def wait_for_record(self, predicate, timeout: float, start: int = 0) -> dict | None:
        """The first record from index start on for which predicate(record) holds, waiting up
        to timeout seconds (None when none came: the server ended or the time ran out)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for rec in self.records[start:]:
                    if predicate(rec):
                        return rec
                left = deadline - time.monotonic()
                if left <= 0 or self._stdout_done:
                    return None
                self._cond.wait(left)

    def stop(self) -> int | None:
        """Closes stdin (the polite stop), then SIGTERM, then SIGKILL, each after a bound.
        Afterwards every record the server wrote is in `records`. Idempotent."""
        if not self._stopped:
            self._stopped = True
            if self.proc.poll() is None:
                self.returncode, self.stop_steps = _stop(self.proc, stdin_grace=None)
            else:
                self.returncode = self.proc.returncode
                _unregister(self.proc)
            for t in self._threads:
                t.join(STOP_GRACE_S)
            _close_pipes(self.proc)
        return self.returncode

    @property
    def stopped_cleanly(self) -> bool:
        """Exited 0 on its own after stdin closed, without needing a signal."""
        return self.returncode == 0 and not self.stop_steps

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- client -----------------------------------------------------------------------------------

@dataclass
class ClientRun:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    records: list[dict] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)   # stdout lines that are not JSON objects

    @property
    def record(self) -> dict | None:
        return self.records[0] if len(self.records) == 1 else None


class ClientHang(ProcessError):
    def __init__(self, argv: list[str], timeout: float, stdout: str, stderr: str):
        super().__init__(f"client still running after {timeout:g} s: killed")
        self.argv, self.stdout, self.stderr = argv, stdout, stderr


def as_record(line: str) -> dict | None:
    """The JSON object a line holds, or None when it is anything else (noise)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_json_lines(text: str) -> tuple[list[dict], list[str]]:
    records, noise = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        record = as_record(line)
        if record is not None:
            records.append(record)
        else:
            noise.append(line)
    return records, noise


def run_client(argv: list[str], timeout: float, stdin_text: str | None = None,
               env: dict[str, str] | None = None) -> ClientRun:
    """Runs a client to completion, bounded by timeout seconds (ClientHang after that)."""
    proc = _spawn(argv, env, subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL)
    try:
        out, err = proc.communicate(
            input=stdin_text.encode() if stdin_text is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, signal.SIGKILL)
        out, err = proc.communicate(timeout=STOP_GRACE_S)
        _unregister(proc)
        raise ClientHang(argv, timeout, out.decode("utf-8", "replace"),
                         err.decode("utf-8", "replace")) from None
    finally:
        if proc.poll() is not None:
            _unregister(proc)
    stdout = out.decode("utf-8", "replace")
    records, noise = parse_json_lines(stdout)
    return ClientRun(argv, proc.returncode, stdout, err.decode("utf-8", "replace"), records, noise)


# ---- third-party tools (openssl s_server/s_client, gnutls-serv/gnutls-cli) ---------------------

class ToolProcess:
    """A third-party CLI driven line by line: wait for a line matching a pattern, feed stdin,
    stop. Output of stdout and stderr is merged into `lines` in arrival order."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None):
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=child_env(env), start_new_session=True)
        _register(self.proc)
        self.lines: list[str] = []
        self.returncode: int | None = None
        self._cond = threading.Condition()
        self._done = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._done = True
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match | None:
        """The first output line matching pattern (re.search), waiting up to timeout seconds."""
        found = self.wait_for_line(pattern, timeout)
        return found[0] if found else None

    def wait_for_line(self, pattern: str, timeout: float,
                      start: int = 0) -> tuple[re.Match, int] | None:
        """The first line from index `start` on that matches, with its index; None when none
        comes within timeout seconds or the output ends without one. The end is the reader's
        EOF, not the process's exit: an exited tool's last lines may still be in the pipe.
        NUL bytes around a line are ignored (s_client -starttls pop3 ends a line with one)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = start
            while True:
                for i in range(seen, len(self.lines)):
                    m = rx.search(self.lines[i].strip("\x00"))
                    if m:
                        return m, i
                seen = max(seen, len(self.lines))
                left = deadline - time.monotonic()
                if left <= 0 or self._done:
                    return None
                self._cond.wait(left)

    def send(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait(self, timeout: float) -> int | None:
        """Waits for the tool to exit on its own; None if it is still running after timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._thread.join(STOP_GRACE_S)
        _unregister(self.proc)
        _close_pipes(self.proc)
        return self.returncode

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            # The tools do not stop when their stdin closes (they are not ours): a short grace
            # for the ones that are finishing anyway, then SIGTERM.
            self.returncode, _ = _stop(self.proc, stdin_grace=0.2)
        else:
            self.returncode = self.proc.returncode
            _unregister(self.proc)
        self._thread.join(STOP_GRACE_S)
        _close_pipes(self.proc)
        return self.returncode

    def __enter__(self) -> "ToolProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
