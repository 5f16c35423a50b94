"""``python -m local run``: one execution, started as the console starts it, reported without blocking.

The input file is read first (an error names the file); the stack is launched and what the workflow's console
inputs refer to is seeded (``events/seed.json``, :meth:`~local.stack.stack.Stack.seed`); then the execution runs
until it ends, or until it waits for a task token nobody in this process will send: ``run`` then says which
state waits and how it is answered (the workflow's driver knows its business answer; a MockConfigFile test case
mocking the state answers it at once) instead of blocking. ``--json`` always prints one JSON object, errors
included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.engine import executions
from local.launch import launch_stack
from local.stack.stack import Execution, Stack
from local.stack.template import Template
from local.workflows import registry

#: Real seconds an execution must stay waiting on a task token, with nothing else happening, to be reported.
TOKEN_QUIET_SECONDS = 1.0
#: Exit codes: succeeded, ended otherwise, could not run, waits for a task token.
SUCCEEDED, NOT_SUCCEEDED, ERROR, WAITING = 0, 1, 2, 3


class InputFileError(ValueError):
    """The ``--input`` file cannot be used; the message names the file."""


def read_input(path: str | None) -> Any:
    """The JSON input of ``--input FILE`` (``{}`` without one)."""
    if not path:
        return {}
    file = Path(path)
    if file.is_dir():
        raise InputFileError(f"{path}: is a directory, not a JSON file")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError(f"{path}: cannot be read: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(f"{path}: not valid JSON: {error}") from None


@dataclass
class Waiting:
    """Where an execution waits for a task token, and how it can be answered."""

    states: list[str]
    answers: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``waitingFor`` member of ``run --json``."""
        return {"states": self.states, "answers": self.answers, "testCases": self.cases}


def _waiting(stack: Stack, workflow: str, states: list[str]) -> Waiting:
    driver = registry(stack.template.root, stack.template).driver(workflow)
    answers = [hint for state in states if driver and (hint := driver.answer_hint(state))]
    answers.append("any caller of SendTaskSuccess or SendTaskFailure with the token the state passed on (with "
                   "`python -m local serve` running: aws stepfunctions send-task-success --task-token …)")
    machine = stack.template.state_machine_for_workflow(workflow).logical_id
    cases = stack.mock_config.raw["StateMachines"].get(machine, {}).get("TestCases", {}) if stack.mock_config else {}
    return Waiting(states, answers, sorted(c for c, mapping in cases.items() if set(states) & set(mapping)))


def run_until_settled(stack: Stack, workflow: str, payload: Any, case: str | None,
                      timeout: float) -> tuple[Execution, Waiting | None]:
    """Start one execution and wait until it ends or waits, quietly, for a task token; ``TimeoutError`` after."""
    arn = stack.start(workflow, payload, case=case)
    deadline = time.monotonic() + timeout
    seen, quiet_since = -1, time.monotonic()
    while not executions.wait_for_end(arn, 0.05):
        execution = stack.execution(arn)
        if execution.status != "RUNNING":
            break
        if len(execution.history) != seen:
            seen, quiet_since = len(execution.history), time.monotonic()
        elif (states := execution.token_waits()) and time.monotonic() - quiet_since >= TOKEN_QUIET_SECONDS:
            return execution, _waiting(stack, workflow, states)
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {arn} still RUNNING after {timeout:g}s (--timeout)")
    return stack.wait(arn, timeout=max(1.0, deadline - time.monotonic())), None


def _print_text(workflow: str, execution: Execution, waiting: Waiting | None) -> None:
    if waiting:
        print(f"{workflow}: RUNNING, waiting for a task token in {', '.join(waiting.states)}")
    else:
        print(f"{workflow}: {execution.status}")
    print("  path:   " + " → ".join(execution.states))
    if waiting:
        for answer in waiting.answers:
            print(f"  answer: {answer}")
        mocked = ", ".join(waiting.cases) if waiting.cases else f"none yet: add one mocking {waiting.states[0]} to " \
                                                                   "the workflow's mock-config.json"
        print(f"  or:     a test case that answers it at once (--case): {mocked}")
    elif execution.status == "SUCCEEDED":
        print("  output: " + json.dumps(execution.output, indent=2).replace("\n", "\n          "))
    else:
        print(f"  error:  {execution.error}\n  cause:  {execution.cause}")


def _error_json(error: Exception) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return {"status": "ERROR", "error": details.get("Code"), "cause": details.get("Message")}
    return {"status": "ERROR", "error": type(error).__name__, "cause": str(error)}


def run_command(args: argparse.Namespace) -> int:
    """``python -m local run WORKFLOW``: exit 0 succeeded, 1 ended otherwise, 2 could not run, 3 waits for a token."""
    try:
        payload = read_input(args.input)
        Template(args.template).state_machine_for_workflow(args.workflow)  # an unknown workflow: before launching
        with launch_stack(args) as stack:
            stack.seed(args.workflow)
            execution, waiting = run_until_settled(stack, args.workflow, payload, args.case, args.timeout)
    except Exception as error:
        if not args.json:
            raise  # main prints the one-line error
        print(json.dumps(_error_json(error)))
        print(f"error: {_error_json(error)['cause']}", file=sys.stderr)
        return ERROR
    if args.json:
        print(json.dumps(execution.to_json() | ({"waitingFor": waiting.to_json()} if waiting else {})))
    else:
        _print_text(args.workflow, execution, waiting)
    if waiting:
        return WAITING
    return SUCCEEDED if execution.status == "SUCCEEDED" else NOT_SUCCEEDED
