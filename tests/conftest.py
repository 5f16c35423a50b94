"""Session fixtures: one local stack (the whole ``template.yaml``) for the test session.

Helpers live in :mod:`tests.support`, not here.
"""

from __future__ import annotations

import os

import pytest

from tests.support import ROOT


def pytest_configure(config) -> None:
    """Install the engine before the test modules are collected, in the processes that run tests.

    The test modules import moto's interpreter (and, through it, moto's EC2): with the engine's start-up caches
    in place that import is about 0.6 s cheaper in each worker. xdist's controller runs no test, so it skips it.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        from local import engine

        engine.apply()


@pytest.fixture(scope="session")
def stack():
    """The project's template provisioned once on the embedded engine, all workflows' test cases loaded."""
    from local.stack import Stack

    with Stack.launch(ROOT / "template.yaml") as running:
        yield running


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures tests hand over with ``record_property("load", …)`` (the load tests), from every worker."""
    reports = [r for kind in ("passed", "failed") for r in terminalreporter.stats.get(kind, [])]
    for line in (value for r in reports for name, value in getattr(r, "user_properties", ()) if name == "load"):
        terminalreporter.write_line(f"[load] {line}")
