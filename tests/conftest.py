"""Shared fixtures: one local stack (the whole ``template.yaml``) for the test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.stack import Stack

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def stack():
    """The project's template provisioned once on the embedded engine, all workflows' test cases loaded."""
    with Stack.launch(ROOT / "template.yaml") as running:
        yield running


def load_json(relative: str):
    """Read a JSON file relative to the project root (sample events, schemas)."""
    return json.loads((ROOT / relative).read_text())
