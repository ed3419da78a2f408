"""summary.md: the counts, a table per group, and every failure with its id and classes."""

from __future__ import annotations

from .results import FAILING, OUTCOMES, counts, groups

COLUMNS = ("passed", "failed", "error", "xfailed", "xpassed", "skipped")


REASON_LIMIT = 300


def _cell(text, limit: int | None = None) -> str:
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return text.replace("|", "\\|").replace("\n", " ")


def failure_line(entry: dict) -> str:
    """"client tls.cert_expired / server io.truncated (expected client tls.unknown_ca)"."""
    seen = ", ".join(f"{side} {cls}" for side, cls in entry["classes"].items() if cls)
    wanted = ", ".join(f"{side} {cls}" for side, cls in (entry.get("expected") or {}).items()
                       if cls)
    parts = [seen or "no error class"]
    if wanted:
        parts.append(f"expected {wanted}")
    return "; ".join(parts)


def render(doc: dict) -> str:
    entries = doc["tests"]
    total = counts(entries)
    run = doc.get("run", {})
    lines = ["# tlsmatrix results", ""]
    if run.get("shards"):
        lines.append(f"Merged from shards: {', '.join(run['shards'])}.")
    elif run.get("shard"):
        lines.append(f"Shard {run['shard']} of the run.")
    if run.get("duration_s") is not None:
        lines.append(f"Wall time: {run['duration_s']:.1f} s.")
    lines += ["", "| " + " | ".join(("tests",) + COLUMNS) + " |",
              "|" + "---:|" * (len(COLUMNS) + 1),
              "| " + " | ".join(str(total[c]) for c in ("total",) + COLUMNS) + " |", ""]
    lines += ["## By group", "", "| group | tests | " + " | ".join(COLUMNS) + " |",
              "|---|" + "---:|" * (len(COLUMNS) + 1)]
    for group, members in groups(entries).items():
        c = counts(members)
        lines.append(f"| {_cell(group)} | {c['total']} | "
                     + " | ".join(str(c[col]) for col in COLUMNS) + " |")
    broken = run.get("collection_errors") or []
    if broken:
        lines += ["", f"## Collection errors ({len(broken)})", "",
                  "These files could not be read, so none of their tests ran.", ""]
        lines += [f"- `{_cell(err['nodeid'])}`: {_cell(err['error'], REASON_LIMIT)}"
                  for err in broken]
    problems = run.get("session_problems") or []
    if problems:
        lines += ["", f"## Shared servers: problems at the end of the run ({len(problems)})", "",
                  "Found when the shared servers stopped; no one case's.", ""]
        lines += [f"- {_cell(p, REASON_LIMIT)}" for p in problems]
    failures = [e for e in entries if e["outcome"] in FAILING]
    lines += ["", f"## Failures ({len(failures)})", ""]
    if not failures:
        lines.append("None.")
    else:
        lines += ["| outcome | test | classes | reason |", "|---|---|---|---|"]
        for e in failures:
            lines.append(f"| {e['outcome']} | `{_cell(e['nodeid'])}` | {_cell(failure_line(e))}"
                         f" | {_cell(e['reason'] or '', REASON_LIMIT)} |")
    lines.append("")
    return "\n".join(lines)


assert set(COLUMNS) <= set(OUTCOMES)
