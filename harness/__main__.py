"""`python3 -m harness run | merge | bench`: the test suite and the case matrix through pytest,
with the reports of docs/reports.md; merging shards' reports; the throughput measurement."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

from . import REPO_ROOT
from .shard import ShardSpecError, parse as parse_shard

RUN_EPILOG = """\
Reports: results.json, summary.md, report.html and junit.xml in --out (docs/reports.md); a
summary table is printed at the end. Other arguments go to pytest unchanged (e.g. -x,
--maxfail=5, -v). Examples:
  python3 -m harness run                        # everything, 2 workers, reports in out/
  python3 -m harness run -k echo --libs openssl # echo cases between OpenSSL ends only
  python3 -m harness run --shard 2/4 --out out/shard-2
  python3 -m harness merge out/shard-* --out out/merged"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m harness",
        description="tlsmatrix harness: runs the cases in cases/ and the tests in tests/ "
                    "against the reference binaries (bin/, or $TLSM_BIN).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run tests/ and cases/ with pytest and write the reports",
                         description="Runs pytest over tests/ and cases/ and writes the reports.",
                         epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                         usage="python3 -m harness run [options] [pytest options]")
    run.add_argument("--out", default="out", metavar="DIR",
                     help="where the reports go (default out/, relative to the current "
                          "directory)")
    run.add_argument("--jobs", "-j", type=jobs_value, default="auto", metavar="N",
                     help="parallel pytest-xdist workers: a number, or auto (the default: "
                          "one per CPU); 0 runs in this process")
    run.add_argument("--shard", metavar="I/N",
                     help="run only shard I of N: the tests at positions I-1 mod N of the "
                          "nodeid-sorted selection (even: sizes differ by at most 1)")
    run.add_argument("--libs", metavar="LIB,…",
                     help="only case tests whose client and server libraries are in this list, "
                          "e.g. openssl or openssl,gnutls")
    run.add_argument("--isolated", action="store_true",
                     help="give every case its own server and client process instead of "
                          "shared servers and persistent --batch clients (slower; then every "
                          "sanitizer report names its case; docs/performance.md)")
    run.add_argument("-k", dest="keyword", metavar="EXPR",
                     help="pytest -k: only tests whose names match EXPR (e.g. 'verify and tls1.3')")
    run.add_argument("-m", dest="markexpr", metavar="MARKEXPR",
                     help="pytest -m: only tests with these marks (e.g. sanitizer_sample)")

    merge = sub.add_parser("merge", help="merge shards' report directories into one",
                           description="Merges the results.json (and junit.xml) of each "
                                       "directory into one results.json, summary.md, "
                                       "report.html and junit.xml. Shards must not overlap.")
    merge.add_argument("dirs", nargs="+", metavar="DIR", help="a shard's --out directory")
    merge.add_argument("--out", required=True, metavar="DIR", help="where the merged reports go")

    bench = sub.add_parser("bench", help="time the full matrix and compare with openssl s_time",
                           description="Runs the full default matrix with --jobs workers, then "
                                       "openssl s_time against openssl s_server on loopback, "
                                       "and prints cases, wall seconds, cases per second and "
                                       "the harness's handshake rate against the raw rate "
                                       "(docs/performance.md).")
    bench.add_argument("--jobs", "-j", type=jobs_value, default="auto", metavar="N",
                       help="pytest-xdist workers for the matrix (default auto)")
    bench.add_argument("--out", default="out/bench", metavar="DIR",
                       help="where the run's reports go (default out/bench)")
    bench.add_argument("--seconds", type=int, default=5, metavar="S",
                       help="how long s_time runs (default 5)")
    bench.add_argument("--isolated", action="store_true",
                       help="run the matrix with a server and a client process per case "
                            "(run --isolated)")
    return parser


def jobs_value(text: str) -> str:
    """--jobs: "auto" or a count of workers (0: none)."""
    if text == "auto" or (text.isdigit() and len(text) < 4):
        return text
    raise argparse.ArgumentTypeError(f"expected a number of workers or auto, got {text!r}")


def _pytest_missing(jobs: str) -> str | None:
    try:
        importlib.import_module("pytest")
        if jobs != "0":
            importlib.import_module("xdist")
    except ImportError as exc:
        return (f"python3 -m harness: {exc.name} is not importable by {sys.executable}; run "
                "it as /usr/bin/python3 -m harness (Debian's python3-pytest and "
                "python3-pytest-xdist), or install them with ci/deps.sh")
    return None


def pytest_command(args, pytest_args: list[str]) -> list[str]:
    """The pytest command line `run` stands for (run from the repository root)."""
    out = Path(args.out).resolve()
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tlsm-out", str(out)]
    if args.jobs != "0":
        cmd += ["-n", args.jobs]
    if not any(a == "--junitxml" or a.startswith("--junitxml=") or a.startswith("--junit-xml")
               for a in pytest_args):
        cmd.append(f"--junitxml={out / 'junit.xml'}")
    if args.shard:
        cmd += ["--tlsm-shard", args.shard]
    if args.libs:
        cmd += ["--tlsm-libs", args.libs]
    if args.isolated:
        cmd.append("--tlsm-isolated")
    if args.keyword:
        cmd += ["-k", args.keyword]
    if args.markexpr:
        cmd += ["-m", args.markexpr]
    return cmd + ["tests", "cases", *pytest_args]


def _run(args, pytest_args: list[str]) -> int:
    problem = _pytest_missing(args.jobs)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.shard:
        try:
            parse_shard(args.shard)
        except ShardSpecError as exc:
            print(f"python3 -m harness run: {exc}", file=sys.stderr)
            return 2
    try:
        return subprocess.call(pytest_command(args, pytest_args), cwd=REPO_ROOT)
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    # Whatever run does not know (-x, --junitxml=…) is pytest's; merge and bench take no extras.
    args, extra = parser.parse_known_args(argv)
    if args.command == "run":
        return _run(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "merge":
        from .merge import main as merge_main
        return merge_main(args.dirs, args.out)
    if args.command == "bench":
        problem = _pytest_missing(args.jobs)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        from .bench import main as bench_main
        return bench_main(jobs=args.jobs, out=Path(args.out), seconds=args.seconds,
                          isolated=args.isolated)
    return 2


if __name__ == "__main__":
    sys.exit(main())
