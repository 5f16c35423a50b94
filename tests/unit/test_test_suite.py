"""The test suite's own set-up: what ``make test`` relies on to run in parallel."""

from __future__ import annotations

import os

import pytest


@pytest.mark.xdist_group("suite-set-up")
def test_xdist_groups_take_effect(request):
    """Tests marked ``xdist_group`` run on one worker together.

    The load tests, the console's Chromium and ``new``'s copy of the project rely on it; pytest 9.2 with
    pytest-xdist 3.8.0 ignored every group without a word.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ or not request.config.getoption("loadgroup", False):
        pytest.skip("runs on xdist workers with --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@suite-set-up")
