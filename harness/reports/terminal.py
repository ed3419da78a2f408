"""The table pytest prints at the end of a run: one row per group, coloured by its worst outcome
(pytest's terminal writer colours only on a TTY, so a log file gets plain text)."""

from __future__ import annotations

from .results import counts, groups
from .summary import COLUMNS, failure_line

REASON_WIDTH = 160


def rows(entries: list[dict]) -> list[tuple[str, dict]]:
    """(formatted line, markup) per group, then the total; markup is for TerminalWriter."""
    width = max([len(g) for g in groups(entries)] + [len("total")])
    header = f"{'group':<{width}} {'tests':>6} " + " ".join(f"{c:>7}" for c in COLUMNS)
    out = [(header, {"bold": True})]
    for group, members in [*groups(entries).items(), ("total", entries)]:
        c = counts(members)
        line = f"{group:<{width}} {c['total']:>6} " + " ".join(f"{c[col]:>7}" for col in COLUMNS)
        if c["failed"] or c["error"] or c["xpassed"]:
            markup = {"red": True}
        elif c["xfailed"] or c["skipped"]:
            markup = {"yellow": True}
        else:
            markup = {"green": True}
        if group == "total":
            markup["bold"] = True
        out.append((line, markup))
    return out


def write(terminalreporter, entries: list[dict], out_dir, collection_errors=()) -> None:
    tr = terminalreporter
    tr.write_sep("=", "tlsmatrix summary")
    for line, markup in rows(entries):
        tr.write_line(line, **markup)
    for err in collection_errors:
        tr.write_line(f"  collection error: {err['nodeid']}: none of its tests ran", red=True)
    failing = [e for e in entries if e["outcome"] in ("failed", "error", "xpassed")]
    for e in failing[:20]:
        # A case's failure is told by its error classes; another test's by its first line.
        why = failure_line(e) if e["kind"] == "case" else (e["reason"] or "")[:REASON_WIDTH]
        tr.write_line(f"  {e['outcome']}: {e['nodeid']}: {why}", red=True)
    if len(failing) > 20:
        tr.write_line(f"  … and {len(failing) - 20} more (summary.md lists them all)", red=True)
    if out_dir is not None:
        tr.write_line(f"tlsmatrix: reports in {out_dir}/ (results.json, summary.md, "
                      f"report.html{', junit.xml' if (out_dir / 'junit.xml').exists() else ''})")
