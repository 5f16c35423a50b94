"""The Python ``python -m local new NAME`` writes: the workflow's driver and its scenario tests.

Placeholders as in :mod:`local.scaffold.texts`.
"""

from __future__ import annotations

DRIVER = '''\
"""The workflow's driver: a request event on the application bus, its message published to the topic.

Scaffolded by ``python -m local new``. When the workflow changes, change what here plays it: the demo
(``play_demo`` and ``events/demo.json``), the business paths ``bench`` and ``cost`` run (``journeys``), the fault
harness (its scenarios, the Task states they reach, and how each state's failure is designed to end), the input
contract, the duplicate check and how the trigger fires.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from local.stack.stack import Execution, Stack
from local.stack.triggers import Trigger
from local.workflows.contracts import DuplicateResult, InputContract, new_executions
from local.workflows.driver import DEMO_TIMEOUT, DemoOutcome, Driver, Journey, put_event, started_by_trigger
from local.workflows.harness import FaultCase, Harness, Probe, Run, Scenario, Target, contains, new_name

WORKFLOW = "__NAME__"
TOPIC = "__PASCAL__Topic"
SOURCE = "__SOURCE__"
DETAIL_TYPE = "__DETAIL_TYPE__"
SCHEMA = "schemas/__NAME__.input.schema.json"
SAMPLE = "workflows/__NAME__/events/console-start.json"


def _request(stack: Stack, request: dict[str, Any]) -> None:
    """Put a request event with ``request`` as its detail on the application bus, as a producer would."""
    put_event(stack, SOURCE, DETAIL_TYPE, request, bus=stack.resource("ApplicationEventBus"))


def _published(messages: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    """The topic's notifications carrying ``request_id`` as their ``requestId`` attribute."""
    return [m for m in messages if m.get("Type") == "Notification"
            and (m.get("MessageAttributes") or {}).get("requestId", {}).get("Value") == request_id]


class _Harness(Harness):
    """Faults in the publication: retried when transient, a named failure when not."""

    workflow = WORKFLOW
    scenarios = {
        "published": Scenario("published", "a valid request is published once",
                              {"status": "SUCCEEDED", "error": None, "outcome": "PUBLISHED", "published": 1}),
    }
    targets = {"PublishMessage": Target("published", "replay")}

    def prepare(self, scenario: Scenario) -> Run:
        request_id, name = f"REL-{uuid.uuid4().hex[:16]}", new_name()
        return Run({"requestId": request_id, "message": "Reliability check"}, name,
                   {"request": request_id, "execution": name})

    def summary(self, run: Run, execution: Execution) -> dict[str, Any]:
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": (execution.output or {}).get("status"),
                "published": len(_published(self.probe.notifications(), run.ids["request"]))}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        return {"status": "FAILED", "error": f"{self.prefix}.NotPublished", "cause": contains(case.error.error),
                "published": 0}

    @property
    def prefix(self) -> str:
        """The workflow's error names' prefix."""
        return "__PASCAL__"


def _same_request_twice(stack: Stack) -> DuplicateResult:
    request = {"requestId": f"DUP-{uuid.uuid4().hex[:12]}", "message": "Duplicate check"}
    probe = Probe(stack, topics=[TOPIC])
    try:
        before = set(stack.executions(WORKFLOW))
        for _ in range(2):  # EventBridge delivers at least once: the same request may start two executions
            _request(stack, request)
        executions = new_executions(stack, WORKFLOW, before, 2)
        published = _published(probe.notifications(), request["requestId"])
    finally:
        probe.close()
    problems = [f"an execution ended {e.status}: {e.cause}" for e in executions if e.status != "SUCCEEDED"]
    if len(published) != 2:
        problems.append(f"{len(published)} messages published, expected one per delivery (2)")
    return DuplicateResult(WORKFLOW, "same-request", "the same request delivered twice (at least once, by design)",
                           2, len({m["MessageAttributes"]["requestId"]["Value"] for m in published}),
                           {"executions": len(executions), "published": len(published), "dedupeKey": "requestId"},
                           problems)


class _Driver(Driver):
    """A request event starts it; it publishes the request's message to its topic."""

    name = WORKFLOW
    demo_title = "a request is put on the application bus"
    harness = _Harness
    input_contract = InputContract(
        WORKFLOW, SCHEMA, SAMPLE, "__PASCAL__.InvalidInput", "Invalid input: ",
        ("CheckInput", "IsInputValid", "RejectInvalidInput"), ("requestId", "message"))
    published_topics = (TOPIC,)

    def play_demo(self, stack: Stack, outcome: DemoOutcome) -> None:
        demo = self.files(stack).read_event("demo.json")
        request = demo["request"] | {"requestId": f"{demo['request']['requestId']}-{uuid.uuid4().hex[:6]}"}
        inbox = stack.inbox(stack.resource(TOPIC))
        known = set(stack.executions(WORKFLOW))
        outcome.trigger = f"{DETAIL_TYPE} {request['requestId']} put on the application bus"
        _request(stack, request)
        execution = started_by_trigger(stack, WORKFLOW, known,
                                       lambda i: (i or {}).get("requestId") == request["requestId"])
        outcome.executions.append(execution)
        outcome.expect("status", (execution.output or {}).get("status"), demo["expected"]["status"])
        [message] = stack.eventually(lambda: _published(inbox.messages(), request["requestId"]),
                                     timeout=DEMO_TIMEOUT, message="the message never reached the topic")
        inbox.close()
        outcome.expect("message", message["Message"], demo["expected"]["message"])
        outcome.result = f"{TOPIC} received {message['Message']!r} (requestId {request['requestId']})"

    def journeys(self, stack: Stack) -> list[Journey]:
        return [Journey(WORKFLOW, "request published", lambda: {"requestId": f"REQ-{uuid.uuid4().hex[:12]}",
                                                                "message": "Hello"}, main=True)]

    def duplicates(self) -> dict[str, Callable[[Stack], DuplicateResult]]:
        return {f"{WORKFLOW}:same-request": _same_request_twice}

    def fire(self, stack: Stack, trigger: Trigger, marker: str) -> None:
        _request(stack, {"requestId": marker, "message": "Dead-letter check"})


DRIVER = _Driver()
'''

TESTS = '''\
"""The workflow's scenarios: a request checked and its message published (from ``python -m local new``).

Each test checks the business outcome: the message on the topic, the execution's output, the path taken, the
error and its cause. Change them with the workflow.
"""

from __future__ import annotations

import json
import uuid

import pytest

from local.workflows import __MODULE__ as workflow
from local.workflows.driver import DemoOutcome
from tests.support import load_json

WORKFLOW = workflow.WORKFLOW


@pytest.fixture
def topic(stack):
    """What the workflow's topic publishes, caught by a queue."""
    inbox = stack.inbox(stack.resource(workflow.TOPIC))
    yield inbox
    inbox.close()


def request() -> dict[str, str]:
    return {"requestId": f"REQ-{uuid.uuid4().hex[:10]}", "message": "Parcel 42 has shipped"}


def test_request_on_the_bus_publishes_its_message(stack, topic):
    """A request event on the application bus starts the workflow; the message reaches the topic."""
    sent = request()
    before = set(stack.executions(WORKFLOW))
    stack.client("events").put_events(Entries=[{
        "Source": workflow.SOURCE, "DetailType": workflow.DETAIL_TYPE, "Detail": json.dumps(sent),
        "EventBusName": stack.resource("ApplicationEventBus")}])
    arn = stack.eventually(lambda: [a for a in stack.executions(WORKFLOW) if a not in before][0:1],
                           message="the event started no execution")[0]
    execution = stack.wait(arn)

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.input == sent
    assert execution.output["status"] == "PUBLISHED" and execution.output["requestId"] == sent["requestId"]
    [message] = stack.eventually(topic.messages, message="nothing published")
    assert message["Message"] == sent["message"]
    assert message["MessageAttributes"]["requestId"]["Value"] == sent["requestId"]


def test_console_input_runs_as_it_is(stack):
    """``events/console-start.json`` started from the console succeeds (the HappyPath mock answers SNS)."""
    execution = stack.run(WORKFLOW, load_json(workflow.SAMPLE), case="HappyPath")
    assert execution.status == "SUCCEEDED"
    assert execution.states == ["CheckInput", "IsInputValid", "PrepareRequest", "PublishMessage", "MessagePublished"]


@pytest.mark.parametrize(("payload", "cause"), [
    ({"message": "hello"}, "requestId is required"),
    ({"requestId": "REQ-1", "message": " \\u00a0"}, "message is required"),
    ({"requestId": "x" * 129, "message": "hello"}, "requestId must be at most 128 characters long"),
    (["not", "an", "object"], "the input must be a JSON object"),
])
def test_invalid_input_fails_at_once_naming_the_field(stack, payload, cause):
    """A request that breaks the schema fails before any AWS call, with the workflow's error naming the field."""
    execution = stack.run(WORKFLOW, payload)
    assert (execution.status, execution.error) == ("FAILED", workflow.DRIVER.input_contract.error)
    assert execution.cause.startswith(f"Invalid input: {cause}")
    assert execution.states == ["CheckInput", "IsInputValid", "RejectInvalidInput"]


def test_throttled_publish_is_retried(stack):
    """SNS throttles twice: the workflow retries and the message is published."""
    execution = stack.run(WORKFLOW, request(), case="PublishThrottled")
    assert execution.status == "SUCCEEDED"
    assert execution.task_failures("PublishMessage") == ["Sns.ThrottledException"] * 2


def test_topic_refusing_the_message_fails_with_the_workflows_error(stack):
    """The topic refuses the message (not retried): the execution fails with NotPublished, the cause says why."""
    sent = request()
    execution = stack.run(WORKFLOW, sent, case="TopicRefuses")
    assert execution.status == "FAILED" and execution.error.endswith(".NotPublished")
    assert sent["requestId"] in execution.cause and "Sns.AuthorizationErrorException" in execution.cause
    assert execution.states[-1] == "FailPublish"


def test_driver_demo_plays(stack):
    """The demo the driver plays (``make demo``) ends as ``events/demo.json`` says."""
    outcome = DemoOutcome(WORKFLOW)
    workflow.DRIVER.play_demo(stack, outcome)
    assert outcome.ok, outcome.problems
'''
