"""What tests share besides fixtures: the project root, sample files, handlers, paused trigger rules.

Tests take helpers from here (or from a module of this package), never from ``conftest.py`` or from another
test module: a conftest holds fixtures only, and a test module can be run, moved or deleted on its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

from local.paths import PROJECT_ROOT
from local.stack import Stack
from local.stack.functions import LambdaContext

ROOT = PROJECT_ROOT


def variables_after(response: dict[str, Any]) -> dict[str, Any]:
    """The workflow variables after a TestState run (inspection level DEBUG or TRACE)."""
    return json.loads(response["inspectionData"]["variables"])


def load_json(relative: str) -> Any:
    """Read a JSON file relative to the project root (sample events, schemas)."""
    return json.loads((ROOT / relative).read_text())


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (typed JSON) as plain JSON values (numbers as int or float, sets as sorted lists)."""
    from boto3.dynamodb.types import TypeDeserializer

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, set):
            return sorted(convert(v) for v in value)
        return value

    return convert({key: TypeDeserializer().deserialize(value) for key, value in item.items()})


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
