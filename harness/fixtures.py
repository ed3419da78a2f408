"""Fixtures for the project's pytest tests (tests/): the session PKI, the implementations and a
per-test ProcessSet that stops everything the test started and fails the test when any of its
processes printed a sanitizer report (make test-san)."""

from __future__ import annotations

import pytest

from .impls import IMPLEMENTATIONS
from .runner import ProcessSet
from .session import session_pki


@pytest.fixture(scope="session")
def pki(request):
    """The throwaway CA + server certificate (harness/pki.py), one per pytest process."""
    return session_pki(request.config)


@pytest.fixture(scope="session")
def impls():
    """Axis value ("openssl", "gnutls") -> Implementation."""
    return IMPLEMENTATIONS


def _close_and_check(procs: ProcessSet) -> None:
    procs.close()
    findings = procs.findings()
    if findings:
        pytest.fail("sanitizer report(s):\n" + "\n".join(findings) + "\n\n" + procs.describe(),
                    pytrace=False)


@pytest.fixture
def procs():
    """A ProcessSet for this test: start servers, run clients and tools through it."""
    ps = ProcessSet()
    yield ps
    _close_and_check(ps)


@pytest.fixture(scope="session")
def shared_procs():
    """A ProcessSet that lives for the session (servers several tests talk to)."""
    ps = ProcessSet()
    yield ps
    _close_and_check(ps)
