"""Session fixtures: one local stack (the whole ``template.yaml``) for the test session.

Helpers live in :mod:`tests.support`, not here.
"""

from __future__ import annotations

import pytest

from local.stack import Stack
from tests.support import ROOT


@pytest.fixture(scope="session")
def stack():
    """The project's template provisioned once on the embedded engine, all workflows' test cases loaded."""
    with Stack.launch(ROOT / "template.yaml") as running:
        yield running
