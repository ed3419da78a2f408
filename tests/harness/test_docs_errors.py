"""docs/errors.md must list exactly the classes lib/errors.h defines, so the page stays true."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def classes_in_header():
    text = (ROOT / "lib" / "errors.h").read_text()
    names = re.findall(r'X\(TLSM_(?:E_\w+|OK), "([^"]+)"\)', text)
    return {n for n in names if n != "ok"}


def classes_in_doc():
    rows = (ROOT / "docs" / "errors.md").read_text().splitlines()
    return {m.group(1) for line in rows if (m := re.match(r"\| `([a-z0-9_.]+)` \|", line))}


def test_header_defines_classes():
    assert len(classes_in_header()) > 40


def test_doc_lists_every_class_of_the_header():
    missing = classes_in_header() - classes_in_doc()
    assert not missing, f"docs/errors.md lacks: {sorted(missing)}"


def test_doc_lists_no_class_the_header_lacks():
    extra = classes_in_doc() - classes_in_header()
    assert not extra, f"docs/errors.md lists classes lib/errors.h does not define: {sorted(extra)}"
