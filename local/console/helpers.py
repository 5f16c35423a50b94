"""The console's read-only helpers: what the Step Functions API does not say about a state machine.

Each answers from the project's files or the embedded engine and changes nothing: the workflow folder behind a
state machine and its sample inputs, the MockConfigFile test cases it can be started with, the graph layout of
a definition, and the task tokens an execution waits on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local import graph
from local.engine.mock_config import MockConfig
from local.stack.template import Template

SAMPLE_LIMIT = 256 * 1024  # bytes: a sample larger than this is not an input someone types into a form
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")


def workflow_folder(template: Template, state_machine_arn: str) -> Path | None:
    """The folder of the template's state machine ``state_machine_arn``: where its ``DefinitionUri`` lies.

    None for a machine created through the API, or defined inline in the template.
    """
    arn = state_machine_arn.split("#", 1)[0]
    for resource in template.of_type(*STATE_MACHINE_TYPES):
        uri = resource.properties.get("DefinitionUri")
        if resource.ref == arn and isinstance(uri, str) and uri:
            return (template.root / uri).parent
    return None


def samples(folder: Path | None) -> list[dict[str, str]]:
    """The workflow's sample inputs, ``events/*.json`` as written (console inputs first), each valid JSON."""
    if folder is None:
        return []
    found = []
    for path in sorted((folder / "events").glob("*.json"), key=lambda p: (not p.name.startswith("console"), p.name)):
        if path.stat().st_size > SAMPLE_LIMIT:
            continue
        text = path.read_text(encoding="utf-8")
        try:
            json.loads(text)
        except json.JSONDecodeError:
            continue
        found.append({"name": path.name, "input": text})
    return found


def state_machine_name(arn: str) -> str:
    """``arn:aws:states:…:stateMachine:Name[#Case]`` → ``Name`` (the MockConfigFile's key)."""
    return arn.split("#", 1)[0].rsplit(":", 1)[-1]


def test_cases(mock_config: MockConfig | None, state_machine_arn: str) -> list[dict[str, Any]]:
    """The MockConfigFile test cases of the machine: name and ``{state: mocked response}``, sorted by name."""
    if mock_config is None:
        return []
    name = state_machine_name(state_machine_arn)
    cases = mock_config.raw["StateMachines"].get(name, {}).get("TestCases", {})
    return [{"name": case, "mocks": dict(cases[case])} for case in mock_config.test_cases(name)]


def layout(definition_text: str) -> dict[str, Any]:
    """The graph of a definition as ``python -m local graph`` lays it out (:func:`local.graph.layout`)."""
    definition = json.loads(definition_text)
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        raise ValueError("a state machine definition is a JSON object with States")
    return graph.layout(definition)


def _entered_state(history: list[dict[str, Any]], event: dict[str, Any]) -> str | None:
    """The state an event belongs to: the nearest ``…StateEntered`` up its ``previousEventId`` chain."""
    by_id = {e["id"]: e for e in history}
    cursor: dict[str, Any] | None = event
    while cursor is not None and not cursor["type"].endswith("StateEntered"):
        cursor = by_id.get(cursor.get("previousEventId"))
    return cursor["stateEnteredEventDetails"]["name"] if cursor else None


def task_tokens(execution_arn: str) -> list[dict[str, Any]] | None:
    """The task tokens a running execution waits on, oldest first: ``{"token", "state"}``; None if unknown.

    The engine keeps every token it issued with its outcome; a token without one (and not timed out) is
    awaited. Its state is the one whose ``TaskScheduled`` parameters carry it (a ``.waitForTaskToken`` task
    passes its token on, or nobody could answer it); None when no parameters do.
    """
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from local.engine.sdk import to_plain_json

    parts = execution_arn.split(":")
    if len(parts) < 8 or parts[5] not in ("execution", "express"):
        return None
    try:
        execution = stepfunctions_parser_backends[parts[4]][parts[3]].describe_execution(execution_arn=execution_arn)
    except Exception:  # moto's ExecutionDoesNotExist, InvalidArn, …: all mean "no such execution"
        return None
    worker = execution.exec_worker
    if execution.exec_status != "RUNNING" or worker is None:
        return []
    pool = worker.env.callback_pool_manager._pool  # moto 5.2.5: token → CallbackEndpoint
    pending = [token for token, endpoint in list(pool.items())
               if endpoint.get_outcome() is None and endpoint.consumer_error is None]
    if not pending:
        return []
    history = [to_plain_json(e) for e in execution.to_history_output()["events"]]
    scheduled = [e for e in history if e["type"] == "TaskScheduled"]
    found = []
    for token in pending:
        carrier = next((e for e in reversed(scheduled)
                        if token in e["taskScheduledEventDetails"].get("parameters", "")), None)
        found.append({"token": token, "state": _entered_state(history, carrier) if carrier else None})
    return found
