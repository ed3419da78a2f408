"""`python3 -m harness run`: the test suite and the case matrix through pytest.

Later: `run` grows reports and sharding, and `merge` joins shards' results."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from . import REPO_ROOT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m harness",
        description="tlsmatrix harness: runs the cases in cases/ and the tests in tests/ "
                    "against the reference binaries (bin/, or $TLSM_BIN).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run tests/ and cases/ with pytest",
                         description="Runs pytest over tests/ and cases/. Arguments after the "
                                     "options go to pytest unchanged (e.g. -k echo, -m "
                                     "sanitizer_sample, --junitxml=out/junit.xml).",
                         usage="python3 -m harness run [--jobs N] [pytest options]")
    run.add_argument("--jobs", "-j", type=int, default=2, metavar="N",
                     help="parallel pytest-xdist workers (default 2; 0 runs in this process)")
    return parser


def main(argv: list[str] | None = None) -> int:
    # Whatever run does not know (-k, -m, -x, --junitxml=…) is pytest's.
    args, pytest_args = _parser().parse_known_args(argv)
    if args.command == "run":
        try:
            importlib.import_module("pytest")
            if args.jobs > 0:
                importlib.import_module("xdist")
        except ImportError as exc:
            print(f"python3 -m harness: {exc.name} is not importable by {sys.executable}; run "
                  "it as /usr/bin/python3 -m harness (Debian's python3-pytest and "
                  "python3-pytest-xdist), or install them with ci/deps.sh", file=sys.stderr)
            return 2
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
        if args.jobs > 0:
            cmd += ["-n", str(args.jobs)]
        cmd += ["tests", "cases", *pytest_args]
        try:
            return subprocess.call(cmd, cwd=REPO_ROOT)
        except KeyboardInterrupt:
            return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
