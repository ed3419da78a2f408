"""Result entries: one per test, built from its pytest reports (setup, call, teardown), and the
results.json document that holds them (docs/reports.md lists every key).

Everything here works on plain data (strings, dicts), because under pytest-xdist the reports
reach the controller serialized: what a worker knows must travel in `user_properties`."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA = "tlsmatrix-results/1"
# The user_properties names: META is added at collection (harness/reports/plugin.py), RECORDS by
# CaseItem.runtest (harness/plugin.py).
META = "tlsmatrix"
RECORDS = "records"
# A failure's text is kept in full in junit.xml; results.json keeps enough to read the cause.
LONGREPR_LIMIT = 4000
# Outcomes, worst first: a cell or a group takes the worst of its tests.
OUTCOMES = ("error", "failed", "xpassed", "xfailed", "skipped", "passed")
FAILING = {"error", "failed", "xpassed"}


def _properties(report) -> dict[str, str]:
    # Under xdist, tuples come back as two-item lists; both unpack the same.
    return {name: value for name, value in report.user_properties}


class EntryBuilder:
    """Collects one test's phase reports; entry() says what happened to the test."""

    def __init__(self, nodeid: str):
        self.nodeid = nodeid
        self.meta: dict = {}
        self.records: dict | None = None
        self.phases: dict[str, object] = {}
        self.duration = 0.0

    def add(self, report) -> None:
        self.phases[report.when] = report
        self.duration += getattr(report, "duration", 0.0) or 0.0
        props = _properties(report)
        if META in props:
            self.meta = json.loads(props[META])
        if RECORDS in props:
            self.records = json.loads(props[RECORDS])

    def outcome(self) -> tuple[str, str | None, str | None]:
        """(outcome, reason, longrepr text)."""
        setup, call, teardown = (self.phases.get(w) for w in ("setup", "call", "teardown"))
        for phase in (setup, call):
            if phase is None:
                continue
            wasxfail = getattr(phase, "wasxfail", None)
            if phase.failed:
                kind = "failed" if phase is call else "error"
                return kind, _failure_reason(phase), _longrepr(phase)
            if phase.skipped:
                if wasxfail is not None:
                    return "xfailed", wasxfail or "expected to fail", None
                return "skipped", _skip_reason(phase), None
            if phase is call and wasxfail is not None:
                return "xpassed", wasxfail or "expected to fail but passed", None
        if teardown is not None and teardown.failed:
            return "error", "teardown: " + (_failure_reason(teardown) or ""), _longrepr(teardown)
        if call is None:
            return "error", "the test did not run to its end", None
        return "passed", None, None

    def entry(self) -> dict:
        outcome, reason, longrepr = self.outcome()
        meta = self.meta or fallback_meta(self.nodeid)
        client = (self.records or {}).get("client")
        servers = (self.records or {}).get("server") or []
        server = pair_server(client, servers)
        return {
            "id": meta.get("id", self.nodeid),
            "nodeid": self.nodeid,
            "kind": meta.get("kind", "test"),
            "case": meta.get("case"),
            "group": meta.get("group"),
            "axes": meta.get("axes", {}),
            "expected": meta.get("expected", {}),
            "outcome": outcome,
            "reason": reason,
            "classes": {"client": (client or {}).get("error"),
                        "server": (server or {}).get("error")},
            "duration_s": round(self.duration, 4),
            "client": client,
            "server": server,
            "server_records": servers,
            "longrepr": longrepr,
        }


def fallback_meta(nodeid: str) -> dict:
    """For a test whose collection did not go through our hook (it should not happen)."""
    path = nodeid.split("::", 1)[0]
    return {"id": nodeid.split("::", 1)[-1], "kind": "test", "case": None,
            "group": str(Path(path).parent), "axes": {}}


def pair_server(client: dict | None, servers: list[dict]) -> dict | None:
    """The server record of the client's connection (its peer_port is the client's
    local_port, as in harness/records.py); None rather than a guess."""
    port = (client or {}).get("local_port")
    if port is None:
        return None
    matches = [r for r in servers if r.get("peer_port") == port]
    return matches[0] if len(matches) == 1 else None


def _longrepr(report) -> str | None:
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    if len(text) > LONGREPR_LIMIT:
        text = text[:LONGREPR_LIMIT] + "\n…(truncated; junit.xml has it all)"
    return text or None


def _failure_reason(report) -> str | None:
    """One line or a few: a case's mismatches ("what did not match"), else the exception line."""
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    lines = text.splitlines()
    if "what did not match:" in lines:
        start = lines.index("what did not match:") + 1
        mismatches = []
        for line in lines[start:]:
            if not line.startswith("  - "):
                break
            mismatches.append(line[4:])
        if mismatches:
            return "; ".join(mismatches)
    errors = [line[2:].strip() for line in lines if line.startswith("E ")]
    if errors:
        return errors[0]
    nonblank = [line.strip() for line in lines if line.strip()]
    return nonblank[-1] if nonblank else None


def _skip_reason(report) -> str | None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return str(longrepr) if longrepr else None


def status(entry: dict) -> str:
    """The colour of a test in the matrix: pass, expected-error (passed, and a record shows the
    error the case expects), xfail, skip or fail."""
    outcome = entry["outcome"]
    if outcome in FAILING:
        return "fail"
    if outcome == "xfailed":
        return "xfail"
    if outcome == "skipped":
        return "skip"
    if any(entry["classes"].values()):
        return "expected-error"
    return "pass"


def counts(entries: list[dict]) -> dict[str, int]:
    out = {name: 0 for name in OUTCOMES}
    for e in entries:
        out[e["outcome"]] = out.get(e["outcome"], 0) + 1
    out["total"] = len(entries)
    return out


def ordered(entries: list[dict]) -> list[dict]:
    """Cases first, then tests/, by group and nodeid: the same order however the tests were
    spread over workers or shards."""
    return sorted(entries, key=lambda e: (e["kind"] != "case", e["group"] or "", e["nodeid"]))


def document(entries: list[dict], run: dict) -> dict:
    entries = ordered(entries)
    return {"schema": SCHEMA, "run": run, "counts": counts(entries), "tests": entries}


def load(path: Path) -> dict:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a tlsmatrix results file (schema {doc.get('schema')!r}, "
                         f"expected {SCHEMA!r})")
    return doc


def groups(entries: list[dict]) -> dict[str, list[dict]]:
    """Entries by group, groups in first-seen order."""
    out: dict[str, list[dict]] = {}
    for e in entries:
        out.setdefault(e["group"] or "(none)", []).append(e)
    return out
