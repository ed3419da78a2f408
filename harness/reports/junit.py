"""Merging JUnit XML files: each file's <testsuite> elements under one <testsuites>, with the
totals added up (what CI test viewers read)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

COUNTS = ("tests", "failures", "errors", "skipped")


def merge(paths: list[Path], out: Path) -> None:
    root = ET.Element("testsuites", name="tlsmatrix")
    totals = dict.fromkeys(COUNTS, 0)
    seconds = 0.0
    for path in paths:
        doc = ET.parse(path).getroot()
        suites = [doc] if doc.tag == "testsuite" else list(doc.iter("testsuite"))
        for suite in suites:
            for key in COUNTS:
                totals[key] += int(suite.get(key, "0"))
            seconds += float(suite.get("time", "0") or 0)
            root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
