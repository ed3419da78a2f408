"""Fixtures for the harness's own tests that run fake binaries (fakes.py): the fake case's
variant, and short process bounds (`pytestmark = pytest.mark.usefixtures("quick_stops")`)."""

import pytest

from fakes import load_fake_variant
from harness import procs as procs_module
from harness import runner


@pytest.fixture
def variant(tmp_path):
    return load_fake_variant(tmp_path)


@pytest.fixture
def quick_stops(monkeypatch):
    monkeypatch.setattr(procs_module, "STOP_GRACE_S", 0.5)
    monkeypatch.setattr(runner, "SERVER_RECORD_WAIT_S", 0.5)
