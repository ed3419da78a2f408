"""Implementation command lines, binary lookup, the error catalogue and `python3 -m harness`."""

import subprocess
import sys

import pytest

from harness import REPO_ROOT, impls
from harness.errors import error_classes, stages
from harness.impls import IMPLEMENTATIONS, MissingBinary


def test_both_reference_implementations_share_one_face():
    assert list(IMPLEMENTATIONS) == ["openssl", "gnutls"]
    for impl in IMPLEMENTATIONS.values():
        assert impl.name == f"reference-{impl.axis}"
        assert {"tls1.2", "tls1.3"} <= impl.versions


def test_client_argv(monkeypatch, tmp_path):
    monkeypatch.setenv("TLSM_BIN", str(tmp_path))
    exe = tmp_path / "tlsm-client-gnutls"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    argv = IMPLEMENTATIONS["gnutls"].client_argv(
        "tls://[::1]", port=443, options={"verify_peer": False, "verify_depth": 3},
        send="hi", resolve=["a.test:::1"], timeout_ms=900, parse_only=True, close_notify=False)
    assert argv == [str(exe), "tls://[::1]", "--port", "443", "-o", "verify_peer=false",
                    "-o", "verify_depth=3", "--send", "hi", "--resolve", "a.test:::1",
                    "--timeout", "900", "--parse-only", "--no-close-notify"]


def test_server_argv(monkeypatch, tmp_path):
    monkeypatch.setenv("TLSM_BIN", str(tmp_path))
    exe = tmp_path / "tlsm-server-openssl"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    argv = IMPLEMENTATIONS["openssl"].server_argv("tls://127.0.0.1:0",
                                                  options={"local_cert": "c.pem"})
    assert argv == [str(exe), "--listen", "tls://127.0.0.1:0", "-o", "local_cert=c.pem",
                    "--proto", "echo", "--timeout", str(impls.DEFAULT_TIMEOUT_MS)]
    argv = IMPLEMENTATIONS["openssl"].server_argv(
        "tls://a.test:0", resolve=["a.test:127.0.0.1", "b.test:::1"])
    assert argv[1:7] == ["--listen", "tls://a.test:0", "--resolve", "a.test:127.0.0.1",
                         "--resolve", "b.test:::1"]


def test_bin_dir_follows_tlsm_bin(monkeypatch):
    monkeypatch.delenv("TLSM_BIN", raising=False)
    assert impls.bin_dir() == REPO_ROOT / "bin"
    monkeypatch.setenv("TLSM_BIN", "bin-san")
    assert impls.bin_dir() == REPO_ROOT / "bin-san"
    monkeypatch.setenv("TLSM_BIN", "/opt/x")
    assert str(impls.bin_dir()) == "/opt/x"


def test_missing_binary_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("TLSM_BIN", str(tmp_path))
    with pytest.raises(MissingBinary, match="run `make`"):
        IMPLEMENTATIONS["openssl"].client_argv("tcp://127.0.0.1:1")


def test_error_catalogue_comes_from_errors_h():
    assert {"url.bad_port", "transport.unavailable", "tls.cert_untrusted", "io.mismatch"} <= \
        error_classes()
    assert "ok" not in error_classes()
    assert {"parse", "config", "handshake", "close"} <= stages()


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "harness", "--help"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "run" in out.stdout
    out = subprocess.run([sys.executable, "-m", "harness", "run", "--help"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--jobs" in out.stdout


def test_cli_refuses_unknown_commands():
    out = subprocess.run([sys.executable, "-m", "harness", "frobnicate"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "invalid choice" in out.stderr
