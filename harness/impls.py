"""Implementations under test: one class each, all with the same face (like s2n-tls's
integrationv2 providers), so that matrix code never asks "which library is this?".

An implementation knows its binaries, declares what it can do (with the reason when it cannot),
and turns the harness's common options into its own command lines. Today there are the two
reference implementations built by `make`; adapters for external implementations come later and
subclass Implementation the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import REPO_ROOT

# Protocol-version axis values and how each is spelled in records and URLs.
VERSION_RECORD_NAMES = {"tls1.0": "TLSv1.0", "tls1.1": "TLSv1.1", "tls1.2": "TLSv1.2",
                        "tls1.3": "TLSv1.3"}
VERSION_TRANSPORTS = {"tls1.0": "tlsv1.0", "tls1.1": "tlsv1.1", "tls1.2": "tlsv1.2",
                      "tls1.3": "tlsv1.3"}

DEFAULT_TIMEOUT_MS = 5000   # passed to every binary as --timeout: its own bound on each wait

# STARTTLS policies (docs/starttls.md). None means no upgrade: implicit TLS on a TLS transport,
# plaintext on tcp:// (a server then does not offer STARTTLS).
SERVER_STARTTLS = ("offer", "refuse")          # offer and accept / offer, then refuse
CLIENT_STARTTLS = ("required", "opportunistic")  # refuse plaintext / go on in plaintext


class MissingBinary(RuntimeError):
    pass


def bin_dir() -> Path:
    """$TLSM_BIN (relative paths are taken from the repository root), else <repo>/bin."""
    value = os.environ.get("TLSM_BIN")
    if not value:
        return REPO_ROOT / "bin"
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def _option_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Implementation:
    """The common face. Subclasses set the class attributes and may override the argv builders."""

    name: str = ""          # what its records say in "impl", e.g. "reference-openssl"
    axis: str = ""          # its value on the client/server axes and in test ids, e.g. "openssl"
    # Version axis values it can negotiate, and why it cannot negotiate the others.
    versions: frozenset[str] = frozenset()
    versions_reason: str = ""

    # -- capabilities
    def unsupported_version(self, version: str) -> str | None:
        """None when this implementation can run the version, else the stated reason."""
        if version in self.versions:
            return None
        return f"{self.name} does not negotiate {VERSION_RECORD_NAMES.get(version, version)}: " \
               f"{self.versions_reason}"

    # -- command lines
    def client_argv(self, url: str, *, port=None, options: dict | None = None,
                    send: str | None = None, resolve=(), timeout_ms: int = DEFAULT_TIMEOUT_MS,
                    parse_only: bool = False, close_notify: bool = True,
                    proto: str | None = None, starttls: str | None = None,
                    extra=()) -> list[str]:
        """proto: "echo" (None: the implementation's default), "smtp", "imap", "pop3";
        starttls: None or one of CLIENT_STARTTLS."""
        raise NotImplementedError

    def server_argv(self, listen: str, *, options: dict | None = None, proto: str = "echo",
                    timeout_ms: int = DEFAULT_TIMEOUT_MS, starttls: str | None = None,
                    resolve=(), extra=()) -> list[str]:
        """starttls: None or one of SERVER_STARTTLS (a mail proto on a tcp:// listen URL);
        resolve: "host:addr" entries, so that a listen URL may name a host (as for the client)."""
        raise NotImplementedError


class ReferenceBinaries(Implementation):
    """The reference client and server of one library: bin/tlsm-{client,server}-<lib>."""

    lib: str = ""

    @property
    def client_path(self) -> Path:
        return self._binary(f"tlsm-client-{self.lib}")

    @property
    def server_path(self) -> Path:
        return self._binary(f"tlsm-server-{self.lib}")

    @staticmethod
    def _binary(name: str) -> Path:
        path = bin_dir() / name
        if not os.access(path, os.X_OK):
            raise MissingBinary(f"{path} is missing or not executable: run `make` "
                                f"(or point TLSM_BIN at the directory holding {name})")
        return path

    def client_argv(self, url, *, port=None, options=None, send=None, resolve=(),
                    timeout_ms=DEFAULT_TIMEOUT_MS, parse_only=False, close_notify=True,
                    proto=None, starttls=None, extra=()):
        argv = [str(self.client_path), url]
        if port is not None:
            argv += ["--port", str(port)]
        for name, value in (options or {}).items():
            argv += ["-o", f"{name}={_option_value(value)}"]
        if send is not None:
            argv += ["--send", send]
        for entry in resolve:
            argv += ["--resolve", entry]
        if timeout_ms is not None:
            argv += ["--timeout", str(timeout_ms)]
        if parse_only:
            argv.append("--parse-only")
        if not close_notify:
            argv.append("--no-close-notify")
        if proto is not None:
            argv += ["--proto", proto]
        if starttls is not None:
            argv.append(_CLIENT_STARTTLS_FLAGS[starttls])
        return argv + list(extra)

    def server_argv(self, listen, *, options=None, proto="echo",
                    timeout_ms=DEFAULT_TIMEOUT_MS, starttls=None, resolve=(), extra=()):
        argv = [str(self.server_path), "--listen", listen]
        for name, value in (options or {}).items():
            argv += ["-o", f"{name}={_option_value(value)}"]
        for entry in resolve:
            argv += ["--resolve", entry]
        if proto is not None:
            argv += ["--proto", proto]
        if timeout_ms is not None:
            argv += ["--timeout", str(timeout_ms)]
        if starttls is not None:
            argv.append(_SERVER_STARTTLS_FLAGS[starttls])
        return argv + list(extra)


_CLIENT_STARTTLS_FLAGS = {"required": "--starttls", "opportunistic": "--starttls-opportunistic"}
_SERVER_STARTTLS_FLAGS = {"offer": "--starttls", "refuse": "--starttls-refuse"}


class ReferenceOpenSSL(ReferenceBinaries):
    name = "reference-openssl"
    axis = "openssl"
    lib = "openssl"
    # OpenSSL 3.0 builds TLS 1.0/1.1 but refuses them unless security_level=0 (Debian's default
    # is 2): cases/versions.toml says so with rules. SSL 3.0 is not a version-axis value.
    versions = frozenset({"tls1.0", "tls1.1", "tls1.2", "tls1.3"})
    versions_reason = ""


class ReferenceGnuTLS(ReferenceBinaries):
    name = "reference-gnutls"
    axis = "gnutls"
    lib = "gnutls"
    # GnuTLS's NORMAL priority enables TLS 1.0/1.1; security_level >= 1 removes them (OpenSSL's
    # rule, docs/backend-gnutls.md).
    versions = frozenset({"tls1.0", "tls1.1", "tls1.2", "tls1.3"})
    versions_reason = ""


# Axis value -> implementation. The order is the order of the matrix (and of test ids).
IMPLEMENTATIONS: dict[str, Implementation] = {
    impl.axis: impl for impl in (ReferenceOpenSSL(), ReferenceGnuTLS())
}
