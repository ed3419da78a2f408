"""report.html: one self-contained page (inline CSS, no script, nothing fetched) with, per case
group and protocol version, the client library × server library matrix. A cell is coloured by
its worst test (fail, expected failure, expected error, pass), names the error classes it saw,
and expands (<details>) to every test with the libraries' own detail."""

from __future__ import annotations

from html import escape

from .results import FAILING, counts, groups, status
from .summary import COLUMNS, failure_line

# Worst first: the colour of a cell of several tests.
STATUS_ORDER = ("fail", "xfail", "expected-error", "pass", "skip")
STATUS_LABEL = {"fail": "fail", "xfail": "expected failure (xfail)",
                "expected-error": "expected error (the case wants this class)",
                "pass": "pass", "skip": "skipped"}
NO_VERSION = "version not pinned"
NO_SERVER = "no server"
FAILURES_OPEN = 10

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}
h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:1em 0 .3em;color:#444}
table{border-collapse:collapse;margin:.3em 0 1em}
th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f2f2f2} td.n{text-align:right}
.matrix td{min-width:11em;max-width:32em}
.pass{background:#d9f2d9} .expected-error{background:#dbe8fb} .xfail{background:#fdf0c8}
.fail{background:#f8d0d0} .skip{background:#eee;color:#666}
code{font:12px ui-monospace,monospace;background:rgba(0,0,0,.05);padding:0 .2em}
.classes{display:block;margin:.2em 0} .fail-classes{font-weight:700;color:#900}
details summary{cursor:pointer;color:#235}
details ul{margin:.3em 0;padding-left:1.2em;font-size:12px} details li{margin:.25em 0}
.detail{color:#333;white-space:pre-wrap;word-break:break-word}
a.fail,a.pass,a.xfail,a.skip,a.expected-error{padding:0 .3em;color:#123}
.legend span{display:inline-block;padding:.1em .6em;margin-right:.4em;border:1px solid #bbb}
"""


def _worst(statuses) -> str:
    present = set(statuses)
    for s in STATUS_ORDER:
        if s in present:
            return s
    return "skip"


def _record_line(side: str, record: dict | None) -> str:
    if not record:
        return ""
    if record.get("ok"):
        what = "ok " + escape(f"{record.get('version') or ''} {record.get('cipher') or ''}")
    else:
        what = (f"<code>{escape(str(record.get('error')))}</code> at "
                f"{escape(str(record.get('stage')))}: "
                f"<span class=detail>{escape(str(record.get('detail') or ''))}</span>")
    lib = escape(str(record.get("lib_version") or record.get("impl") or ""))
    return f"<br>{side} ({lib}): {what}"


def _test_item(e: dict) -> str:
    st = status(e)
    text = (f"<li class={st}><code>{escape(e['id'])}</code> — {escape(e['outcome'])}")
    if e["outcome"] in FAILING:
        text += f" — {escape(failure_line(e))}"
    if e.get("reason"):
        text += f"<br><span class=detail>{escape(e['reason'])}</span>"
    text += _record_line("client", e.get("client")) + _record_line("server", e.get("server"))
    return text + "</li>"


def _classes(tests: list[dict]) -> list[str]:
    return sorted({f"{side}: {cls}" for e in tests for side, cls in e["classes"].items() if cls})


def _cell(tests: list[dict]) -> str:
    if not tests:
        return "<td class=skip>—</td>"
    statuses = [status(e) for e in tests]
    worst = _worst(statuses)
    tally = ", ".join(f"{statuses.count(s)} {s}" for s in STATUS_ORDER if s in statuses)
    body = f"<td class={worst} title='{escape(STATUS_LABEL[worst])}'>{escape(tally)}"
    # The classes the failing tests saw come first, marked; then those the cell expects.
    for kind, mark in (("fail", "✗ "), ("xfail", "xfail "), ("expected-error", "")):
        classes = _classes([e for e in tests if status(e) == kind])
        if kind == "fail" and tests and not classes and "fail" in statuses:
            classes = ["no record"]
        if classes:
            body += f"<span class='classes {kind}-classes'>" + "<br>".join(
                f"{mark}<code>{escape(c)}</code>" for c in classes) + "</span>"
    body += (f"<details><summary>{len(tests)} test{'s' if len(tests) != 1 else ''}</summary><ul>"
             + "".join(_test_item(e) for e in tests) + "</ul></details></td>")
    return body


def _ordered(values, axis: str, axis_order: dict) -> list[str]:
    """The axis values present, in the matrix order the run recorded (harness/axes.py), others
    after them in the order they come."""
    present = set(values)
    seen = [v for v in axis_order.get(axis, ()) if v in present]
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _matrices(entries: list[dict], axis_order: dict) -> str:
    """Per version, client × server tables for the entries that have a client axis."""
    by_version: dict[str, list[dict]] = {}
    for e in entries:
        by_version.setdefault(e["axes"].get("version", NO_VERSION), []).append(e)
    parts = []
    for version in _ordered(list(by_version), "version", axis_order):
        members = by_version[version]
        clients = _ordered([e["axes"]["client"] for e in members], "client", axis_order)
        servers = _ordered([e["axes"].get("server", NO_SERVER) for e in members], "server",
                           axis_order)
        parts.append(f"<h3>{escape(version)}</h3><table class=matrix>"
                     "<tr><th>client ↓ server →</th>"
                     + "".join(f"<th>{escape(s)}</th>" for s in servers) + "</tr>")
        for c in clients:
            parts.append(f"<tr><th>{escape(c)}</th>")
            for s in servers:
                cell = [e for e in members if e["axes"]["client"] == c
                        and e["axes"].get("server", NO_SERVER) == s]
                parts.append(_cell(cell))
            parts.append("</tr>")
        parts.append("</table>")
    return "".join(parts)


def _others(entries: list[dict]) -> str:
    """Tests without a client axis: a line with the tally, and the ones that did not pass."""
    statuses = [status(e) for e in entries]
    tally = ", ".join(f"{statuses.count(s)} {s}" for s in STATUS_ORDER if s in statuses)
    notable = [e for e in entries if status(e) not in ("pass", "expected-error")]
    out = f"<p class={_worst(statuses)}>{escape(tally)}</p>"
    if notable:
        out += "<ul>" + "".join(_test_item(e) for e in notable) + "</ul>"
    return out


def _group_counts(members: list[dict]) -> str:
    c = counts(members)
    return ", ".join(f"{c[col]} {col}" for col in COLUMNS if c[col])


def render(doc: dict) -> str:
    entries = doc["tests"]
    run = doc.get("run", {})
    total = counts(entries)
    out = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
           "<meta name=viewport content='width=device-width,initial-scale=1'>",
           "<title>tlsmatrix report</title><style>", CSS, "</style></head><body>",
           "<h1>tlsmatrix report</h1>"]
    facts = [f"{total['total']} tests: " + ", ".join(f"{total[c]} {c}" for c in COLUMNS)]
    if run.get("duration_s") is not None:
        facts.append(f"wall time {run['duration_s']:.1f} s")
    if run.get("shards"):
        facts.append("merged from shards " + ", ".join(run["shards"]))
    elif run.get("shard"):
        facts.append(f"shard {run['shard']}")
    out.append("<p>" + escape("; ".join(facts)) + "</p>")
    out.append("<p class=legend>" + "".join(
        f"<span class={s}>{escape(STATUS_LABEL[s])}</span>" for s in STATUS_ORDER) + "</p>")
    by_group = groups(entries)
    out.append("<p>Groups: " + " · ".join(
        f"<a href='#{escape(g)}' class={_worst(status(e) for e in m)}>{escape(g)}</a>"
        for g, m in by_group.items()) + "</p>")
    broken = run.get("collection_errors") or []
    if broken:
        out.append(f"<h2>Collection errors ({len(broken)})</h2><p class=fail>These files could "
                   "not be read, so none of their tests ran.</p><ul>" + "".join(
                       f"<li class=fail><code>{escape(err['nodeid'])}</code><br><span "
                       f"class=detail>{escape(err['error'])}</span></li>" for err in broken)
                   + "</ul>")
    problems = run.get("session_problems") or []
    if problems:
        out.append(f"<h2>Shared servers: problems at the end of the run ({len(problems)})</h2>"
                   "<p class=fail>Found when the shared servers stopped; no one case's.</p><ul>"
                   + "".join(f"<li class=fail><span class=detail>{escape(p)}</span></li>"
                             for p in problems) + "</ul>")
    failures = [e for e in entries if e["outcome"] in FAILING]
    if failures:
        # Long lists stay folded so the matrices are one scroll away.
        opened = " open" if len(failures) <= FAILURES_OPEN else ""
        out.append(f"<h2>Failures ({len(failures)})</h2><details{opened}><summary>every "
                   f"failing test with what did not match</summary><ul>"
                   + "".join(_test_item(e) for e in failures) + "</ul></details>")
    for group, members in by_group.items():
        out.append(f"<h2 id='{escape(group)}'>{escape(group)}</h2>"
                   f"<p>{escape(_group_counts(members))}</p>")
        with_client = [e for e in members if "client" in e["axes"]]
        rest = [e for e in members if "client" not in e["axes"]]
        if with_client:
            out.append(_matrices(with_client, run.get("axis_order") or {}))
        if rest:
            out.append(_others(rest))
    out.append("</body></html>\n")
    return "".join(out)
