"""Writing a report directory from a results document: results.json, summary.md, report.html
(junit.xml is pytest's own, or harness/reports/junit.py's merge)."""

from __future__ import annotations

import json
from pathlib import Path

from . import html, summary

RESULTS = "results.json"
SUMMARY = "summary.md"
REPORT = "report.html"
JUNIT = "junit.xml"


def write_reports(out_dir: Path, doc: dict) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((RESULTS, json.dumps(doc, indent=1, sort_keys=False) + "\n"),
                       (SUMMARY, summary.render(doc)),
                       (REPORT, html.render(doc))):
        path = out_dir / name
        # Written whole then renamed: a reader never sees half a report.
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
