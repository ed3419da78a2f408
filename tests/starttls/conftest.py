"""The implementations the STARTTLS tests judge: the reference binaries (harness/impls.py) and
the naive Python peer (naive_peer.py), whose flaws are switched on one at a time."""

import sys
from pathlib import Path

import pytest

from harness.impls import DEFAULT_TIMEOUT_MS, Implementation

HERE = Path(__file__).parent
PROTOS = ["smtp", "imap", "pop3"]


class NaivePeer(Implementation):
    """tests/starttls/naive_peer.py through the common face, with the given flaws."""

    def __init__(self, *flaws: str):
        self.flaws = flaws
        self.name = "naive-python" + "".join(f"+{f}" for f in flaws)

    def _base(self, role):
        return [sys.executable, str(HERE / "naive_peer.py"), role]

    def _flaws(self):
        return [arg for flaw in self.flaws for arg in ("--flaw", flaw)]

    def client_argv(self, url, *, options=None, proto=None, starttls=None,
                    timeout_ms=DEFAULT_TIMEOUT_MS, **_):
        argv = self._base("client") + [url, "--proto", proto, "--timeout", str(timeout_ms)]
        argv += {"required": ["--starttls"], "opportunistic": ["--starttls-opportunistic"],
                 None: []}[starttls]
        for name, value in (options or {}).items():
            argv += ["-o", f"{name}={value}"]
        return argv + self._flaws()

    def server_argv(self, listen, *, options=None, proto="echo", starttls=None,
                    timeout_ms=DEFAULT_TIMEOUT_MS, **_):
        argv = self._base("server") + ["--listen", listen, "--proto", proto,
                                       "--timeout", str(timeout_ms)]
        if starttls == "offer":
            argv.append("--starttls")
        for name, value in (options or {}).items():
            argv += ["-o", f"{name}={value}"]
        return argv + self._flaws()


@pytest.fixture(scope="session")
def naive():
    """NaivePeer factory: naive() is conforming, naive("keep-buffer") is not."""
    return NaivePeer
