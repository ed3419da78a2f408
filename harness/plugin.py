"""The pytest plugin: collects cases/*.toml as test items (one per expanded variant), provides
the fixtures of harness/fixtures.py, and makes sure no child process outlives the session.
Loaded by the repository's conftest.py. See docs/harness.md."""

from __future__ import annotations

import json
import signal
import textwrap
import threading

import pytest

from . import batch, server_pool
from . import procs as procs_module
from .cases import CaseFormatError, Variant, expand, load_file
from .impls import IMPLEMENTATIONS, MissingBinary
from .runner import ProcessSet, run_variant
from .session import PKI_KEY, LazyPki, session_pki


# The fixtures for tests/ (pki, impls, procs, shared_procs) and the reports (results.json,
# report.html, --tlsm-shard) live in their own modules.
pytest_plugins = ["harness.fixtures", "harness.reports.plugin"]


class CaseFailed(AssertionError):
    def __init__(self, outcome):
        super().__init__("\n".join(outcome.problems))
        self.outcome = outcome


class CaseFile(pytest.File):
    def collect(self):
        for case in load_file(self.path):
            for variant in expand(case):
                yield CaseItem.from_parent(self, name=variant.test_id, variant=variant)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFormatError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class CaseItem(pytest.Item):
    def __init__(self, *, variant: Variant, **kwargs):
        super().__init__(**kwargs)
        self.variant = variant
        case = variant.case
        if case.sanitizer_sample:
            self.add_marker("sanitizer_sample")
        if variant.skip_reason:
            self.add_marker(pytest.mark.skip(reason=variant.skip_reason))
        # Recorded in the report (JUnit properties; the terminal summary lists restrictions).
        self.user_properties.append(("about", case.about))
        self.user_properties.append(("spec", case.spec))
        if case.restricted:
            self.user_properties.append(("restricted", f"{case.id}: {case.restricted}"))
        for reason in variant.override_reasons:
            self.user_properties.append(("override", f"{case.id}: {reason}"))

    def runtest(self):
        outcome = run_variant(self.variant, session_pki(self.config), IMPLEMENTATIONS,
                              ProcessSet(batch=batch.active_pool(),
                                         pool=server_pool.active_pool()))
        self.user_properties.append(("records", json.dumps(
            {"client": outcome.client_record, "server": outcome.server_records})))
        if outcome.problems:
            raise CaseFailed(outcome)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return excinfo.value.outcome.report()
        if isinstance(excinfo.value, MissingBinary):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.variant.case.line, f"{self.variant.case.id} [{self.variant.test_id}]"


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".toml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _interrupt_on_sigterm() -> None:
    """SIGTERM (CI cancelling a job) becomes KeyboardInterrupt, so pytest tears down fixtures
    and our processes instead of dying with them still running."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, handler)


def restriction_lines(restricted: set[str], width: int = 100) -> list[str]:
    """"case: reason" entries grouped by reason, most cases first: the reason, then its cases."""
    by_reason: dict[str, list[str]] = {}
    for entry in restricted:
        case_id, _, reason = entry.partition(": ")   # case ids have no colon
        by_reason.setdefault(reason, []).append(case_id)
    lines = []
    for reason, ids in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        lines.append(f"{reason} ({len(ids)} case{'s' if len(ids) != 1 else ''}):")
        lines += textwrap.wrap(", ".join(sorted(ids)), width, initial_indent="    ",
                               subsequent_indent="    ", break_on_hyphens=False)
    return lines


class _Summary:
    """Lists, at the end of the run, every case that does not run on all axis values, grouped
    by why (from the reports' user_properties, so it also works under xdist)."""

    def __init__(self):
        self.restricted: set[str] = set()

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == "restricted":
                self.restricted.add(value)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        if self.restricted:
            terminalreporter.write_sep("-", f"{len(self.restricted)} cases restricted to some "
                                            f"axis values, by reason")
            for line in restriction_lines(self.restricted):
                terminalreporter.write_line(line)


def pytest_configure(config):
    config.stash[PKI_KEY] = LazyPki()
    config.pluginmanager.register(_Summary(), "tlsmatrix-summary")
    _interrupt_on_sigterm()


def pytest_sessionfinish(session):
    leftovers = procs_module.kill_all()
    if leftovers:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"tlsmatrix: killed {len(leftovers)} process(es) a test left "
                          f"running: pids {leftovers}", red=True)


def pytest_unconfigure(config):
    lazy = config.stash.get(PKI_KEY, None)
    if lazy is not None:
        lazy.remove()
