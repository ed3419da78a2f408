"""run_variant end to end with fake binaries: pairing, exit codes, crashes, stray records and the
sanitizer check (what make test-san relies on), without the C code."""

import pytest

from fakes import FakeImpl
from harness.runner import ProcessSet, run_variant

pytestmark = pytest.mark.usefixtures("quick_stops")


def run(variant, pki, **fake):
    impl = FakeImpl(**fake)
    return run_variant(variant, pki, {"openssl": impl}, ProcessSet())


def test_matching_records_pass_and_pair(variant, pki):
    out = run(variant, pki)
    assert out.problems == []
    assert out.server_record["peer_port"] == out.client_record["local_port"]


def test_sanitizer_report_fails_the_variant(variant, pki):
    out = run(variant, pki, client_extra=[
        "--stderr", "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6\n"])
    assert any(p.startswith("sanitizer:") and "heap-buffer-overflow" in p for p in out.problems)


def test_ubsan_report_fails_the_variant(variant, pki):
    out = run(variant, pki, client_extra=["--stderr", "url.c:3:1: runtime error: shift\n"])
    assert any("runtime error" in p for p in out.problems)


def test_wrong_exit_code_fails(variant, pki):
    out = run(variant, pki, client_extra=["--exit", "1"])
    assert "client: exit: expected 0, got 1" in out.problems


def test_crash_is_reported(variant, pki):
    out = run(variant, pki, client_extra=["--crash"])
    assert "client crashed: killed by SIGSEGV" in out.problems


def test_records_for_connections_nobody_made_fail(variant, pki):
    out = run(variant, pki, client_extra=["--connections", "2"])
    assert any("record(s) for connections the client did not make" in p for p in out.problems)


def test_server_that_ignores_stdin_close_fails(variant, pki):
    out = run(variant, pki, server_mode="stubborn")
    assert any("did not stop cleanly" in p and "SIGKILL" in p for p in out.problems)


def test_server_that_never_starts_is_reported(variant, pki):
    out = run(variant, pki, server_mode="fail")
    assert any(p.startswith("server did not start") and "config.cert_load" in p
               for p in out.problems)
    assert "server did not start" in out.report()
