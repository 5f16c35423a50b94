"""Shared fixtures: one local stack (the whole ``template.yaml``) for the test session."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from local.stack import Stack
from local.stack.functions import LambdaContext

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def stack():
    """The project's template provisioned once on the embedded engine, all workflows' test cases loaded."""
    with Stack.launch(ROOT / "template.yaml") as running:
        yield running


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures tests hand over with ``record_property("load", …)`` (the load tests), from every worker."""
    reports = [r for kind in ("passed", "failed") for r in terminalreporter.stats.get(kind, [])]
    for line in (value for r in reports for name, value in getattr(r, "user_properties", ()) if name == "load"):
        terminalreporter.write_line(f"[load] {line}")


@contextlib.contextmanager
def rule_paused(stack: Stack, rule_logical_id: str) -> Iterator[None]:
    """Detach a trigger rule's targets for a while, so that a test can start executions itself, as the console does."""
    events = stack.client("events")
    rule = stack.resource(rule_logical_id)
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    events.remove_targets(Rule=rule, Ids=[t["Id"] for t in targets])
    try:
        yield
    finally:
        events.put_targets(Rule=rule, Targets=targets)


def lambda_context(function_name: str, memory_mb: int = 256) -> LambdaContext:
    """The Lambda context a handler gets, for unit tests calling it directly."""
    return LambdaContext(function_name, memory_mb, 30,
                         f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}")


def load_handler(task: str) -> ModuleType:
    """Import ``tasks/<task>/app.py`` as its own module, as the Lambda runtime would, for unit tests."""
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    spec = importlib.util.spec_from_file_location(f"unit_{task}", ROOT / "tasks" / task / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def load_json(relative: str):
    """Read a JSON file relative to the project root (sample events, schemas)."""
    return json.loads((ROOT / relative).read_text())
