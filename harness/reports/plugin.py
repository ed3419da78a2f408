"""The pytest side of the reports and of sharding.

In every process that collects (the only one, or each xdist worker): each test gets a
`tlsmatrix` user property with its id, case, group and axes — user properties travel with the
reports to the xdist controller, as does CaseItem's `records` property — and `--tlsm-shard i/n`
deselects the other shards' tests. In the process that sees every report (the controller):
the entries are gathered, written to --tlsm-out at the end and summed up on the terminal."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .. import batch, server_pool, shard
from ..axes import AXIS_VALUES
from ..impls import IMPLEMENTATIONS
from . import terminal
from .results import LONGREPR_LIMIT, META, EntryBuilder, document
from .write import write_reports


def pytest_addoption(parser):
    group = parser.getgroup("tlsmatrix")
    group.addoption("--tlsm-out", metavar="DIR", default=None,
                    help="write results.json, summary.md and report.html to DIR and print a "
                         "summary table at the end (docs/reports.md)")
    group.addoption("--tlsm-shard", metavar="I/N", default=None,
                    help="run only shard I of N: the tests at positions I-1 mod N of the "
                         "nodeid-sorted selection (harness/shard.py)")
    group.addoption("--tlsm-isolated", action="store_true", default=False,
                    help="give every case its own server and client process instead of "
                         "shared servers and persistent --batch clients (slower; every "
                         "sanitizer report, leaks included, then names its case)")
    group.addoption("--tlsm-libs", metavar="LIB,…", default=None,
                    help="run only the case tests whose client and server libraries are all "
                         "in this comma-separated list (e.g. openssl); tests/ are not affected")


SESSION_PROBLEMS = "tlsm_session_problems"


def test_meta(item) -> dict:
    """What the reports need to know about a test beyond its outcome."""
    variant = getattr(item, "variant", None)
    if variant is not None:
        expected = {}
        for side, exp in variant.expect.items():
            err = exp.get("error") if isinstance(exp, dict) else None
            expected[side] = err if isinstance(err, str) and err != "null" else None
        return {"id": variant.test_id, "kind": "case", "case": variant.case.id,
                "group": variant.case.path.stem, "axes": dict(variant.axes),
                "expected": expected}
    path = Path(str(item.path))
    try:
        rel = path.relative_to(Path(str(item.config.rootpath)))
    except ValueError:
        rel = path
    callspec = getattr(item, "callspec", None)
    axes = {"param": callspec.id} if callspec is not None else {}
    return {"id": item.name, "kind": "test", "case": getattr(item, "originalname", item.name),
            "group": str(rel.parent), "axes": axes, "expected": {}}


class ReportCollector:
    def __init__(self, config):
        self.config = config
        out = config.getoption("tlsm_out")
        self.out_dir = Path(out).resolve() if out else None
        self.shard = config.getoption("tlsm_shard")
        self.libs = parse_libs(config.getoption("tlsm_libs"))
        self.builders: dict[str, EntryBuilder] = {}
        # A broken case file collects no tests: without this the report would look empty.
        self.collection_errors: list[dict] = []
        self.started = time.time()
        self.entries: list[dict] | None = None
        # What the shared servers showed when they stopped (harness/server_pool.py): not any
        # one test's, so reported for the run, and failing it.
        self.session_problems: list[str] = []

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        # xdist: a worker's session problems travel in its workeroutput.
        output = getattr(node, "workeroutput", None) or {}
        self.session_problems += output.get(SESSION_PROBLEMS, [])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        for item in items:
            item.user_properties.append((META, json.dumps(test_meta(item))))
        if self.libs:
            _deselect(config, items, lambda item: _uses_only(item, self.libs))
        if self.shard:
            index, total = shard.parse(self.shard)
            keep = shard.select([i.nodeid for i in items], index, total)
            _deselect(config, items, lambda item: item.nodeid in keep)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        builder = self.builders.get(report.nodeid)
        if builder is None:
            builder = self.builders[report.nodeid] = EntryBuilder(report.nodeid)
        builder.add(report)

    @pytest.hookimpl
    def pytest_collectreport(self, report):
        # Under xdist every worker reports the same broken file.
        if report.failed and all(e["nodeid"] != report.nodeid for e in self.collection_errors):
            text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
            self.collection_errors.append({"nodeid": report.nodeid, "error": text[:LONGREPR_LIMIT]})

    def _document(self) -> dict:
        entries = [b.entry() for b in self.builders.values()]
        run = {"argv": list(self.config.invocation_params.args), "shard": self.shard,
               "isolated": bool(self.config.getoption("tlsm_isolated")),
               "session_problems": self.session_problems,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
               "duration_s": round(time.time() - self.started, 2),
               "lib_versions": _lib_versions(entries),
               "axis_order": {axis: list(values) for axis, values in AXIS_VALUES.items()},
               "collection_errors": self.collection_errors}
        doc = document(entries, run)
        self.entries = doc["tests"]
        return doc

    @pytest.hookimpl
    def pytest_sessionfinish(self, session):
        if _is_xdist_worker(self.config):
            return
        if self.session_problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.out_dir is not None:
            write_reports(self.out_dir, self._document())

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        if self.session_problems:
            terminalreporter.write_sep("=", "shared servers: problems at the end of the run",
                                       red=True)
            for line in self.session_problems:
                terminalreporter.write_line(line, red=True)
        if self.entries is None:
            return
        terminal.write(terminalreporter, self.entries, self.out_dir, self.collection_errors)


def parse_libs(spec: str | None) -> set[str]:
    """"openssl,gnutls" -> {"openssl", "gnutls"}; an unknown name is a usage error."""
    if not spec:
        return set()
    libs = {name.strip() for name in spec.split(",") if name.strip()}
    unknown = libs - set(IMPLEMENTATIONS)
    if unknown:
        raise pytest.UsageError(f"--tlsm-libs: unknown {', '.join(sorted(unknown))} (known: "
                                f"{', '.join(IMPLEMENTATIONS)})")
    return libs


def _uses_only(item, libs: set[str]) -> bool:
    variant = getattr(item, "variant", None)
    if variant is None:
        return True
    return all(variant.axes[axis] in libs for axis in ("client", "server") if axis in variant.axes)


def _deselect(config, items: list, keep) -> None:
    deselected = [i for i in items if not keep(i)]
    if deselected:
        items[:] = [i for i in items if keep(i)]
        config.hook.pytest_deselected(items=deselected)


def _lib_versions(entries: list[dict]) -> dict[str, str]:
    found = {}
    for e in entries:
        for rec in (e.get("client"), e.get("server")):
            if rec and rec.get("impl") and rec.get("lib_version"):
                found.setdefault(rec["impl"], rec["lib_version"])
    return dict(sorted(found.items()))


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config):
    spec = config.getoption("tlsm_shard")
    if spec:
        try:
            shard.parse(spec)
        except shard.ShardSpecError as exc:
            raise pytest.UsageError(str(exc)) from None
    parse_libs(config.getoption("tlsm_libs"))
    config.pluginmanager.register(ReportCollector(config), "tlsmatrix-reports")
    if not config.getoption("tlsm_isolated"):
        batch.activate()
        server_pool.activate()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    # Before harness/plugin.py reports leftovers: the batch clients end on stdin EOF, the
    # shared servers are stopped and checked.
    batch.deactivate()
    problems = server_pool.deactivate()
    config = session.config
    if _is_xdist_worker(config):
        config.workeroutput[SESSION_PROBLEMS] = problems
    else:
        config.pluginmanager.get_plugin("tlsmatrix-reports").session_problems += problems
