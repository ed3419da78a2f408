"""What "refused properly" means for bad input (issue 2's acceptance): exit 1 with exactly one
JSON record naming a class, or exit 2 with usage text on stderr and no record. Never exit 0
(silent success), never a signal (crash), never a hang (the caller's bound turns that into
ClientHang)."""

from harness.procs import describe_exit
from harness.records import record_problems


def refusal_problems(returncode: int, records: list, noise: list, stderr: str, side: str,
                     classes: set[str] | None, usage_ok: bool = True) -> list[str]:
    """classes: the error classes acceptable for exit 1 (None: any class of the catalogue)."""
    if returncode < 0:
        return [f"crashed: {describe_exit(returncode)}; stderr: {stderr[-1500:]}"]
    if returncode == 0:
        return [f"silent success: exit 0 with {records!r}"]
    if returncode == 2 and usage_ok:
        problems = []
        if records:
            problems.append(f"usage error (exit 2) also printed records: {records!r}")
        if not stderr.strip():
            problems.append("usage error (exit 2) printed no usage text on stderr")
        return problems
    if returncode != 1:
        return [f"exit {returncode}: expected 1 (classified failure)"
                + (" or 2 (usage)" if usage_ok else "")]
    if noise:
        return [f"stdout lines that are not records: {noise!r}"]
    if len(records) != 1:
        return [f"exit 1 must come with exactly one record, got {len(records)}"]
    rec = records[0]
    problems = [f"record: {p}" for p in record_problems(rec, side)]
    if rec.get("ok") is not False:
        problems.append("exit 1 but the record says ok")
    if classes is not None and rec.get("error") not in classes:
        problems.append(f"error {rec.get('error')!r} (detail {rec.get('detail')!r}), "
                        f"expected one of {sorted(classes)}")
    return problems
