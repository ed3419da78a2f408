"""make bench's arithmetic and its reading of openssl s_time (the runs themselves are too slow
for make test; docs/performance.md has real figures)."""

import pytest

from harness.bench import (EngineRun, MatrixRun, RawRun, engine_variants, parse_s_time,
                           report_lines, run_engine_pairing)

S_TIME_OUTPUT = """Collecting connection statistics for 3 seconds
*****************************

1868 connections in 1.01s; 1849.50 connections/user sec, bytes read 0
1868 connections in 4 real seconds, 0 bytes read per connection
"""


def test_s_time_count_is_the_real_seconds_line():
    assert parse_s_time(S_TIME_OUTPUT) == 1868


def test_s_time_without_a_count_is_an_error():
    with pytest.raises(RuntimeError, match="no connection count"):
        parse_s_time("ERROR\nconnect: Connection refused\n")


def test_report_lines():
    lines = report_lines(MatrixRun(cases=2000, handshakes=1500, wall_s=50.0, exit_code=0,
                                   failed=3),
                         RawRun(connections=3000, wall_s=5.0), jobs="2")
    text = "\n".join(lines)
    assert "cases:               2000 (3 failed)" in text
    assert "cases per second:    40.0" in text
    assert "30.0/s" in text and "600.0/s" in text
    assert "matrix / raw:        5.0%" in text
    assert "engine" not in text


def test_report_lines_with_the_engine():
    lines = report_lines(MatrixRun(2000, 1500, 50.0, 0, 0), RawRun(3000, 5.0), jobs="2",
                         engine=[EngineRun("openssl>gnutls", 400, 1.0)])
    assert lines[-1].split() == ["openssl>gnutls", "400.0/s", "66.7%"]


def test_the_engine_runs_the_reference_case_once_per_pairing():
    variants = engine_variants()
    assert sorted((v.axes["client"], v.axes["server"]) for v in variants) == [
        ("gnutls", "gnutls"), ("gnutls", "openssl"), ("openssl", "gnutls"),
        ("openssl", "openssl")]
    assert {v.expect["client"]["version"] for v in variants} == {"TLSv1.3"}
    assert {v.axes["host"] for v in variants} == {"127.0.0.1"}
    assert all(v.expect["client"]["ok"] is True for v in variants)


def test_an_engine_pairing_really_connects(pki):
    run = run_engine_pairing(engine_variants()[0], pki, 3)
    assert (run.connections, run.pairing) == (3, "openssl>openssl")
    assert run.wall_s > 0
