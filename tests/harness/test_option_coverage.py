"""Every context option in docs/options.md is exercised by at least one case, on each side the
table says it applies to. A new option without a case, or a case file that loses the only use of
one, fails here with the option and side named."""

import functools
import re

import pytest

from harness import REPO_ROOT
from harness.cases import REPO_CASES, load_dir

SIDES = {"both": ("client", "server"), "client": ("client",), "server": ("server",)}


def documented_options() -> list[tuple[str, str]]:
    """(option, side) for every row of the options table."""
    rows = []
    for line in (REPO_ROOT / "docs" / "options.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[1] not in SIDES:
            continue
        for name in re.findall(r"`([A-Za-z_]+)`", cells[0]):
            rows += [(name, side) for side in SIDES[cells[1]]]
    return rows


@functools.lru_cache(maxsize=None)
def used_options() -> frozenset[tuple[str, str]]:
    used = set()
    for case in load_dir(REPO_CASES):
        used |= {(name, "client") for name in case.client["options"]}
        if case.server is not None:
            used |= {(name, "server") for name in case.server["options"]}
    return frozenset(used)


def test_the_table_is_read():
    rows = documented_options()
    assert ("verify_peer", "server") in rows and ("peer_fingerprint", "client") in rows
    assert ("max_proto_version", "server") in rows
    assert ("SNI_server_certs", "client") not in rows
    assert len(rows) > 30


@pytest.mark.parametrize("option, side", documented_options(),
                         ids=[f"{side}-{name}" for name, side in documented_options()])
def test_option_has_a_case(option, side):
    assert (option, side) in used_options(), f"no case in cases/ sets {option} on the {side}"
