"""`python3 -m harness merge DIR… --out DIR`: one set of reports from the report directories of
several shards (harness/shard.py). A test in two shards is an error: shards never overlap, so
it means two runs got mixed up."""

from __future__ import annotations

import sys
from pathlib import Path

from .reports import junit, results
from .reports.write import JUNIT, RESULTS, write_reports


class MergeError(Exception):
    pass


def merge_documents(docs: list[tuple[str, dict]]) -> dict:
    """[(label, results document)] -> one results document."""
    seen: dict[str, str] = {}
    entries = []
    for label, doc in docs:
        for entry in doc["tests"]:
            if entry["nodeid"] in seen:
                raise MergeError(f"{entry['nodeid']} is in both {seen[entry['nodeid']]} and "
                                 f"{label}: the shards overlap")
            seen[entry["nodeid"]] = label
            entries.append(entry)
    shards = [doc["run"].get("shard") or label for label, doc in docs]
    durations = {label: doc["run"].get("duration_s") for label, doc in docs}
    axis_order: dict = {}
    lib_versions: dict[str, str] = {}
    for _, doc in docs:
        lib_versions.update(doc["run"].get("lib_versions") or {})
        axis_order = axis_order or doc["run"].get("axis_order") or {}
    collection_errors = [err for _, doc in docs for err in doc["run"].get("collection_errors", [])]
    session_problems = [p for _, doc in docs for p in doc["run"].get("session_problems", [])]
    run = {"shards": shards, "shard": None, "collection_errors": collection_errors,
           "session_problems": session_problems,
           # Shards usually run side by side, so the merged wall time is the slowest shard's.
           "duration_s": max((d for d in durations.values() if d is not None), default=None),
           "shard_durations_s": durations, "lib_versions": dict(sorted(lib_versions.items())),
           "axis_order": axis_order}
    return results.document(entries, run)


def merge_dirs(dirs: list[Path], out: Path) -> dict:
    docs = []
    for d in dirs:
        path = Path(d) / RESULTS
        if not path.is_file():
            raise MergeError(f"{path}: no such file (is {d} a `harness run --out` directory?)")
        try:
            docs.append((str(d), results.load(path)))
        except ValueError as exc:
            raise MergeError(str(exc)) from None
    doc = merge_documents(docs)
    write_reports(out, doc)
    junits = [Path(d) / JUNIT for d in dirs if (Path(d) / JUNIT).is_file()]
    if junits:
        junit.merge(junits, Path(out) / JUNIT)
    return doc


def main(dirs: list[str], out: str) -> int:
    try:
        doc = merge_dirs([Path(d) for d in dirs], Path(out))
    except MergeError as exc:
        print(f"python3 -m harness merge: {exc}", file=sys.stderr)
        return 2
    c = doc["counts"]
    print(f"tlsmatrix: merged {len(dirs)} report(s): {c['total']} tests, {c['passed']} passed, "
          f"{c['failed']} failed, {c['error']} errors; reports in {Path(out).resolve()}/")
    broken = doc["run"]["collection_errors"]
    if broken:
        print(f"tlsmatrix: {len(broken)} collection error(s) in the shards", file=sys.stderr)
    problems = doc["run"]["session_problems"]
    if problems:
        print(f"tlsmatrix: {len(problems)} shared-server problem(s) in the shards",
              file=sys.stderr)
    return 1 if c["failed"] or c["error"] or c["xpassed"] or broken or problems else 0
