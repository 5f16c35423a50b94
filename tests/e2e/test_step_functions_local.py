"""The workflows' MockConfigFile test cases on the official Step Functions Local, compared with this engine.

Skipped unless ``SFN_LOCAL_ENDPOINT`` points at a running Step Functions Local that was started with the
project's merged MockConfigFile (``python -m local mock-config > MockConfigFile.json``, then
``SFN_MOCK_CONFIG=MockConfigFile.json``; see the README). Step Functions Local calls real AWS for every state a
test case does not mock, so only *portable* test cases run there: those in which the embedded engine saw every
Task state answered by a mock. For each, the status and the states entered must be the same on both engines.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.engine.mock_config import MockConfig
from local.stack.provision import Provisioner
from local.stack.stack import default_mock_config_files
from local.stack.template import Template
from tests.support import ROOT

pytestmark = pytest.mark.sfn_local
ENDPOINT = os.environ.get("SFN_LOCAL_ENDPOINT")
ROLE = "arn:aws:iam::123456789012:role/DummyRole"


def task_states(states: dict[str, Any]) -> Iterator[str]:
    """Names of every Task state, including those inside Parallel branches and Map processors."""
    for name, state in states.items():
        if state.get("Type") == "Task":
            yield name
        for branch in state.get("Branches", []):
            yield from task_states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from task_states(processor["States"])


def cases() -> list[tuple[str, str]]:
    template = Template(ROOT / "template.yaml")
    config = MockConfig.from_files(default_mock_config_files(ROOT))
    return [(workflow, case) for workflow, resource in sorted(template.workflows().items())
            for case in config.test_cases(resource.logical_id)]


@pytest.fixture(scope="module")
def sfn_local():
    """A Step Functions client on SFN_LOCAL_ENDPOINT with every workflow created under its logical id."""
    if not ENDPOINT:
        pytest.skip("set SFN_LOCAL_ENDPOINT to run the test cases on Step Functions Local")
    client = boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    template = Template(ROOT / "template.yaml")
    provisioner = Provisioner(template)
    arns = {}
    for workflow, resource in template.workflows().items():
        definition = provisioner.definition(resource, template.resolve(resource.properties))
        # An earlier run may have created it: Step Functions Local keeps state until restarted.
        with contextlib.suppress(client.exceptions.StateMachineAlreadyExists):
            client.create_state_machine(name=resource.logical_id, definition=definition, roleArn=ROLE,
                                        type=resource.properties.get("Type", "STANDARD"))
        arns[workflow] = f"arn:aws:states:us-east-1:123456789012:stateMachine:{resource.logical_id}"
    return client, arns


def console_input(workflow: str) -> Any:
    sample = ROOT / "workflows" / workflow / "events" / "console-start.json"
    return json.loads(sample.read_text()) if sample.exists() else {}


@pytest.mark.parametrize(("workflow", "case"), cases())
def test_portable_test_case_behaves_the_same_on_step_functions_local(sfn_local, stack, workflow, case):
    """A test case whose Task states are all mocked takes the same path to the same end on both engines."""
    client, arns = sfn_local
    payload = console_input(workflow)
    embedded = stack.run(workflow, payload, case=case)
    mocked = set(stack.mock_config.raw["StateMachines"][stack.template.workflows()[workflow].logical_id]
                 ["TestCases"][case])
    definition = json.loads((ROOT / "workflows" / workflow / "statemachine.asl.json").read_text())
    unmocked = [s for s in embedded.states if s in set(task_states(definition["States"])) - mocked]
    if unmocked:
        pytest.skip(f"{case} reaches unmocked Task states {unmocked}: Step Functions Local would call AWS")

    arn = client.start_execution(stateMachineArn=f"{arns[workflow]}#{case}", input=json.dumps(payload))["executionArn"]
    deadline = time.monotonic() + 60
    while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still RUNNING on Step Functions Local after 60 s"
        time.sleep(0.1)
    history = client.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert (described["status"], entered) == (embedded.status, embedded.states)
