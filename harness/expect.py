"""Comparing a side's expectation (from a case, placeholders filled in) with its record.

Each function returns a list of mismatch lines, empty when everything holds. An unexpected pass
is a mismatch like any other: expecting error = "url.bad_port" and getting ok = true fails.
"""

from __future__ import annotations

from . import transcripts
from .cases import NULL, RECORD_EXPECT_KEYS


def _value(expected):
    return None if expected == NULL else expected


def expected_ok(exp: dict) -> bool:
    if "ok" in exp:
        return exp["ok"]
    return exp.get("error") in (None, NULL)


def expected_exit(exp: dict) -> int:
    """The client's exit status: as written, else 0 for ok and 1 for a classified failure."""
    if "exit" in exp:
        return exp["exit"]
    return 0 if expected_ok(exp) else 1


def check_side(side: str, exp: dict, record: dict | None) -> list[str]:
    if exp.get("record") is False:
        if record is not None:
            return [f"{side}: expected no record for this connection, got one "
                    f"(ok={record.get('ok')}, error={record.get('error')!r})"]
        return []
    if record is None:
        return [f"{side}: no record"]

    problems = []
    ok = expected_ok(exp)
    if record.get("ok") is not ok:
        got = "ok" if record.get("ok") else f"error {record.get('error')!r} at stage " \
                                              f"{record.get('stage')!r}: {record.get('detail')}"
        want = "ok" if ok else f"error {exp.get('error')!r}"
        problems.append(f"{side}: expected {want}, got {got}")
    for key in sorted(RECORD_EXPECT_KEYS - {"ok"}):
        if key not in exp:
            continue
        if key == "error" and problems:
            continue    # already said in the ok/error line above
        want, got = _value(exp[key]), record.get(key)
        if got != want:
            problems.append(f"{side}: {key}: expected {want!r}, got {got!r}")
    if "starttls" in exp:
        problems += _check_starttls(side, exp["starttls"], record.get("starttls"))
    if "detail_contains" in exp:
        detail = record.get("detail") or ""
        if exp["detail_contains"].lower() not in detail.lower():
            problems.append(f"{side}: detail {detail!r} does not contain "
                            f"{exp['detail_contains']!r}")
    if "transcript" in exp:
        want = transcripts.expected(exp["transcript"])
        got = transcripts.normalise(record.get("transcript"), record.get("version"))
        if got != want:
            name = exp["transcript"] if isinstance(exp["transcript"], str) else "as written"
            problems.append(f"{side}: transcript ({name}):\n"
                            f"    expected {transcripts.format_pairs(want)}\n"
                            f"    got      {transcripts.format_pairs(got)}")
    return problems


def _check_starttls(side: str, want, got) -> list[str]:
    """The record's starttls object: "null" means none (no STARTTLS dialog ran); a table is
    compared key by key, only the keys it names."""
    if want == NULL:
        return [] if got is None else [f"{side}: starttls: expected null, got {got!r}"]
    if not isinstance(got, dict):
        return [f"{side}: starttls: expected {want!r}, got {got!r}"]
    return [f"{side}: starttls.{key}: expected {_value(value)!r}, got {got.get(key)!r}"
            for key, value in sorted(want.items()) if got.get(key) != _value(value)]


def check_agreement(client: dict, server: dict) -> list[str]:
    """Both ends of one TLS connection must tell the same story: same version, same cipher,
    same handshake (after normalisation). Checked whenever both records are ok and the client
    negotiated a version; see docs/harness.md."""
    if not (client.get("ok") and server.get("ok") and client.get("version")):
        return []
    problems = []
    for key in ("version", "cipher"):
        if client.get(key) != server.get(key):
            problems.append(f"client and server disagree on {key}: "
                            f"{client.get(key)!r} vs {server.get(key)!r}")
    c = transcripts.normalise(client.get("transcript"), client.get("version"))
    s = transcripts.normalise(server.get("transcript"), server.get("version"))
    if c != s:
        problems.append("client and server transcripts differ:\n"
                        f"    client {transcripts.format_pairs(c)}\n"
                        f"    server {transcripts.format_pairs(s)}")
    return problems
