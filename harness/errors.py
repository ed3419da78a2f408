"""The canonical error classes and stages, read from lib/errors.h (its X-macro lists), so that
the C core stays the single source of truth and a case naming a class that does not exist fails
at collection time instead of at run time."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from . import REPO_ROOT

ERRORS_H = REPO_ROOT / "lib" / "errors.h"

_ENTRY = re.compile(r'X\(\s*(TLSM_[A-Z0-9_]+)\s*,\s*"([a-z0-9_.]+)"\s*\)')


def _macro_body(text: str, macro: str) -> str:
    start = text.index(f"#define {macro}(X)")
    # The list ends at the first line that does not continue with a backslash.
    body = []
    for line in text[start:].splitlines():
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    return "\n".join(body)


def _names(macro: str, path: Path) -> tuple[str, ...]:
    text = path.read_text()
    return tuple(name for _, name in _ENTRY.findall(_macro_body(text, macro)))


@functools.lru_cache(maxsize=None)
def error_classes(path: Path = ERRORS_H) -> frozenset[str]:
    """Every class a record's "error" may hold (without "ok", which is not an error)."""
    return frozenset(n for n in _names("TLSM_ERROR_CLASSES", path) if n != "ok")


@functools.lru_cache(maxsize=None)
def stages(path: Path = ERRORS_H) -> frozenset[str]:
    return frozenset(_names("TLSM_STAGES", path))
