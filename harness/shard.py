"""Sharding a run: `--shard i/n` keeps the tests whose position in the nodeid-sorted list is
i-1 modulo n. By index rather than by hash so that shards differ in size by at most one;
sorting by nodeid makes it the same in every process (each xdist worker collects on its own)
and independent of the collection order. It applies after -k/-m deselection, so a selection's
shards are even too."""

from __future__ import annotations

import re


class ShardSpecError(ValueError):
    pass


def parse(spec: str) -> tuple[int, int]:
    """"2/5" -> (2, 5); 1 <= i <= n."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec or "")
    if not m:
        raise ShardSpecError(f"shard {spec!r}: expected i/n, e.g. 1/4")
    index, total = int(m.group(1)), int(m.group(2))
    if total < 1 or not 1 <= index <= total:
        raise ShardSpecError(f"shard {spec!r}: need 1 <= i <= n")
    return index, total


def select(nodeids: list[str], index: int, total: int) -> set[str]:
    """The nodeids of shard index/total (1-based)."""
    ordered = sorted(set(nodeids))
    return {nodeid for pos, nodeid in enumerate(ordered) if pos % total == index - 1}
