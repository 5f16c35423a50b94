"""Reliability, measured: faults, bad input, duplicates and triggers that cannot start a workflow.

Business events must not be lost: a throttled API, a malformed event, a duplicate delivery must each end in a
known, recorded outcome. Four checks prove it on the local stack; the tests (``tests/reliability/``) and
``python -m local report reliability`` run the same code, so the report's figures are the tests' figures.

* **Fault matrix** (:func:`fault_cases`, :class:`FaultMatrix`). Generated from the definitions: every Task
  state of every workflow (inside Parallel and Map states too) by every class of error its API really returns
  — throttling, server error, access denied, validation, and ``States.Timeout`` where the state has a timeout —
  named as Step Functions names them. Each case is a MockConfigFile test case built at run time and merged
  with the workflows' own. A *transient* class (throttling, server error) is thrown twice, then the state gets
  its normal answer: the workflow must retry and end exactly as its scenario ends without faults. A
  *permanent* class is thrown at every attempt: the workflow must end in its designed, recorded outcome (a
  status in its table, the execution failed with the workflow's named error, a fallback). Only the faulted
  state is mocked: every other state calls the local services, so records, events and messages are real.
* **Bad input** (:func:`run_bad_inputs`). Hypothesis generates inputs that break the workflow's input schema
  (one field missing, of another type, blank, too long, off its pattern; non-objects, empty objects, huge
  strings): each execution must fail at once with the workflow's invalid-input error and a cause that starts
  with the offending field.
* **Duplicates** (:func:`check_duplicate`). The same trigger delivered twice must not give two records or
  advance a conversation twice (the Express enrichment is at least once by design: its consumer deduplicates
  on the original event id, which the check verifies is carried).
* **Triggers** (:func:`workflow_triggers`, :func:`undeliverable_trigger`). Every rule and pipe starting a
  workflow has a retry policy and a dead-letter queue, and a trigger that cannot start an execution lands
  there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from local.stack.stack import PROJECT_ROOT, Execution, Inbox

WORKFLOWS = ("ec2-enrichment", "image-catalog", "call-center-analysis", "feedback-conversation")

#: Invocations of a state that throw in a permanent case (every attempt of every Map item).
PERSISTENT_THROWS = 40
#: Attempts that throw in a transient case before the state's normal answer.
TRANSIENT_THROWS = 2


# --- error classes -------------------------------------------------------------------------------------------

TRANSIENT_KINDS = ("throttling", "server-error")


@dataclass(frozen=True)
class ErrorClass:
    """One class of error an API really returns, named as Step Functions names it."""

    kind: str
    error: str
    cause: str

    @property
    def transient(self) -> bool:
        """Throttling and server errors pass: they are retried and the state then gets its answer."""
        return self.kind in TRANSIENT_KINDS


#: Error codes each API returns, per class: throttling, server error, access denied, validation.
SERVICE_ERROR_CODES: dict[str, tuple[str, str, str, str]] = {
    "ec2": ("RequestLimitExceeded", "InternalError", "UnauthorizedOperation", "InvalidParameterValue"),
    "ssm": ("ThrottlingException", "InternalServerError", "AccessDeniedException", "ValidationException"),
    "eventbridge": ("ThrottlingException", "InternalException", "AccessDeniedException", "ValidationException"),
    "rekognition": ("ThrottlingException", "InternalServerError", "AccessDeniedException",
                    "InvalidParameterException"),
    "dynamodb": ("ProvisionedThroughputExceededException", "InternalServerError", "AccessDeniedException",
                 "ValidationException"),
    "sns": ("Throttled", "InternalError", "AuthorizationError", "InvalidParameter"),
    "s3": ("SlowDown", "InternalError", "AccessDenied", "InvalidRequest"),
    "transcribe": ("LimitExceededException", "InternalFailureException", "AccessDeniedException",
                   "BadRequestException"),
    "translate": ("TooManyRequestsException", "InternalServerException", "AccessDeniedException",
                  "InvalidRequestException"),
    "comprehend": ("TooManyRequestsException", "InternalServerException", "AccessDeniedException",
                   "InvalidRequestException"),
    # SESv2 models no server error: a 500 is the common InternalFailure.
    "sesv2": ("TooManyRequestsException", "InternalFailure", "AccessDeniedException", "BadRequestException"),
    "pinpointsmsvoicev2": ("ThrottlingException", "InternalServerException", "AccessDeniedException",
                           "ValidationException"),
}
_KINDS = ("throttling", "server-error", "access-denied", "validation")
_STATUS = {"throttling": 400, "server-error": 500, "access-denied": 403, "validation": 400}
_MESSAGES = {
    "throttling": "Rate exceeded",
    "server-error": "We encountered an internal error. Please try again.",
    "access-denied": ("User: arn:aws:sts::123456789012:assumed-role/StateMachineRole/reliability is not "
                      "authorized to perform: {action}"),
    "validation": "1 validation error detected: a parameter of {action} failed to satisfy its constraint",
}
_EC2_MESSAGES = {
    "throttling": ("Request limit exceeded.", 503), "server-error": ("An internal error has occurred.", 500),
    "access-denied": ("You are not authorized to perform this operation.", 403),
    "validation": ("The filter 'resource-id' is invalid", 400),
}
#: The optimised Lambda integration names errors after the Lambda SDK's exceptions.
LAMBDA_ERRORS = {
    "throttling": ("Lambda.TooManyRequestsException", "Rate Exceeded.", 429),
    "server-error": ("Lambda.ServiceException", "Lambda encountered an internal error.", 500),
    "access-denied": ("Lambda.AWSLambdaException", _MESSAGES["access-denied"].format(action="lambda:InvokeFunction"),
                      403),
    "validation": ("Lambda.InvalidRequestContentException", "Could not parse request body into json", 400),
}
#: Optimised integrations (``arn:aws:states:::<service>:<action>``) → the error codes' service.
_OPTIMISED = {"events": "eventbridge", "dynamodb": "dynamodb", "sns": "sns", "sqs": "sqs"}
_OPTIMISED_PREFIX = {"events": "EventBridge", "dynamodb": "DynamoDB", "sns": "SNS", "sqs": "SQS"}


def task_api(resource: str) -> tuple[str, str, bool]:
    """``(service, action, is_aws_sdk)`` of a Task's ``Resource`` (the integration pattern suffix dropped)."""
    rest = resource.split(":::", 1)[-1]
    sdk = rest.startswith("aws-sdk:")
    service, _, action = rest.removeprefix("aws-sdk:").partition(":")
    return service, action.split(".", 1)[0], sdk


def error_classes(state: dict[str, Any]) -> list[ErrorClass]:
    """The classes of error a Task state's API returns, as Step Functions names them.

    Parameters
    ----------
    state
        The Task state (its ``Resource`` names the API; a timeout adds ``States.Timeout``).

    Returns
    -------
    list[ErrorClass]
        Throttling, server error, access denied and validation, then ``timeout`` if the state has one.

    """
    from local.engine.sdk import SERVICE_ERROR_PREFIX

    service, action, sdk = task_api(state["Resource"])
    classes: list[ErrorClass] = []
    if service == "lambda" and not sdk:
        for kind in _KINDS:
            name, message, status = LAMBDA_ERRORS[kind]
            classes.append(ErrorClass(kind, name, f"{message} (Service: AWSLambda; Status Code: {status}; "
                                                   "Request ID: reliability)"))
    else:
        codes_of = _OPTIMISED.get(service, service) if not sdk else service
        codes = SERVICE_ERROR_CODES.get(codes_of)
        if codes is None:
            raise KeyError(f"no error classes known for {state['Resource']}: add them to SERVICE_ERROR_CODES")
        prefix = (SERVICE_ERROR_PREFIX.get(service, service) if sdk else _OPTIMISED_PREFIX.get(service, service))
        api_action = f"{service}:{action[:1].upper()}{action[1:]}"
        for kind, code in zip(_KINDS, codes, strict=True):
            if service == "ec2":
                message, status = _EC2_MESSAGES[kind]
                message = f"{message} ({code})"
            else:
                message, status = _MESSAGES[kind].format(action=api_action), _STATUS[kind]
            # The names the workflows' retriers list: <Service>.<Code>Exception. AWS names a code the service's
            # API model does not declare by the generic exception (S3 SlowDown is S3.S3Exception, see
            # local.engine.sdk.sdk_error_name): the matrix keeps the designed names until the workflows decide.
            name = "Ec2.Ec2Exception" if service == "ec2" else f"{prefix}.{code.removesuffix('Exception')}Exception"
            classes.append(ErrorClass(kind, name, f"{message} (Service: {name.split('.')[0]}, Status Code: "
                                                  f"{status}, Request ID: reliability)"))
    if any(key in state for key in ("TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
                                    "HeartbeatSecondsPath")):
        classes.append(ErrorClass("timeout", "States.Timeout", "The task did not end within its timeout"))
    return classes


# --- the definitions ---------------------------------------------------------------------------------------------


def definition(workflow: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The workflow's ``statemachine.asl.json``."""
    return json.loads((root / "workflows" / workflow / "statemachine.asl.json").read_text())


def _inner_states(state: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for branch in state.get("Branches", []):
        yield branch["States"]
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if processor:
        yield processor["States"]


def task_states(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Task state by name, those inside Parallel branches and Map processors included."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        if state.get("Type") == "Task":
            found[name] = state
        for inner in _inner_states(state):
            found.update(task_states(inner))
    return found


def enclosing_states(states: dict[str, Any], outer: str | None = None) -> dict[str, str]:
    """State inside a Parallel or Map → the top-level state that catches its errors."""
    found: dict[str, str] = {}
    for name, state in states.items():
        if outer:
            found[name] = outer
        for inner in _inner_states(state):
            found.update(enclosing_states(inner, outer or name))
    return found


@dataclass(frozen=True)
class FaultCase:
    """One Task state made to fail with one class of error."""

    workflow: str
    state: str
    error: ErrorClass

    @property
    def id(self) -> str:
        """``workflow:State:kind``."""
        return f"{self.workflow}:{self.state}:{self.error.kind}"


def fault_cases(workflows: Iterable[str] = WORKFLOWS, root: Path = PROJECT_ROOT) -> list[FaultCase]:
    """The fault matrix, generated from the definitions.

    Parameters
    ----------
    workflows
        Workflow folder names under ``root/workflows``.
    root
        The project root.

    Returns
    -------
    list[FaultCase]
        Every Task state of every workflow (in Parallel and Map states too) with every class of error of its API.

    """
    return [
        FaultCase(workflow, name, error)
        for workflow in workflows
        for name, state in task_states(definition(workflow, root)["States"]).items()
        for error in error_classes(state)
    ]


# --- expectations --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """An expected value given by a rule (starts with, contains) rather than by equality."""

    text: str
    test: Callable[[Any], bool]

    def __repr__(self) -> str:
        return self.text


def starts(prefix: str) -> Match:
    """A string starting with ``prefix``."""
    return Match(f"starts with {prefix!r}", lambda value: isinstance(value, str) and value.startswith(prefix))


def contains(*parts: str) -> Match:
    """A string containing every one of ``parts``."""
    return Match(" and ".join(f"contains {p!r}" for p in parts),
                 lambda value: isinstance(value, str) and all(p in value for p in parts))


def differences(expected: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """What in ``observed`` is not as ``expected`` says, one line per key."""
    problems = []
    for key, want in expected.items():
        got = observed.get(key)
        if not (want.test(got) if isinstance(want, Match) else got == want):
            problems.append(f"{key}: expected {want!r}, got {_short(got)!r}")
    return problems


def _short(value: Any, limit: int = 300) -> Any:
    return value[:limit] + "…" if isinstance(value, str) and len(value) > limit else value


def plain(value: Any) -> Any:
    """DynamoDB values (numbers as :class:`~decimal.Decimal`, sets) as plain JSON values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


def item_of(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A DynamoDB item (typed JSON) as plain JSON, or None."""
    if not raw:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    return plain({name: TypeDeserializer().deserialize(value) for name, value in raw.items()})


# --- what an execution did -----------------------------------------------------------------------------------


@dataclass
class Call:
    """One call a Task state made: its parameters and, if it succeeded, its result (JSON texts)."""

    state: str
    resource_type: str
    resource: str
    parameters: str
    output: str | None = None


def _back_to(by_id: dict[int, dict[str, Any]], event: dict[str, Any], kind: str) -> dict[str, Any] | None:
    cursor: dict[str, Any] | None = event
    while cursor is not None and cursor["type"] != kind:
        cursor = by_id.get(cursor.get("previousEventId"))
    return cursor


def _state_of(by_id: dict[int, dict[str, Any]], event: dict[str, Any]) -> str | None:
    entered = _back_to(by_id, event, "TaskStateEntered")
    return entered["stateEnteredEventDetails"]["name"] if entered else None


def task_calls(history: list[dict[str, Any]]) -> list[Call]:
    """The calls of every Task state, in order, with their results."""
    by_id = {event["id"]: event for event in history}
    calls: dict[int, Call] = {}
    for event in history:
        if event["type"] == "TaskScheduled":
            details = event["taskScheduledEventDetails"]
            calls[event["id"]] = Call(_state_of(by_id, event) or "", details["resourceType"], details["resource"],
                                      details.get("parameters") or "{}")
        elif event["type"] == "TaskSucceeded":
            scheduled = _back_to(by_id, event, "TaskScheduled")
            if scheduled and scheduled["id"] in calls:
                calls[scheduled["id"]].output = event["taskSucceededEventDetails"].get("output")
    return list(calls.values())


def finished(stack: Any, arn: str, timeout: float = 30.0) -> Execution:
    """Wait (bounded, real seconds) for the execution to end."""
    return stack.wait(arn, timeout)


class Probe(Inbox):
    """A queue that catches what the workflows publish: application-bus events and the moderators' messages."""

    SOURCES = ("custom.enriched.ec2", "custom.callcenter", "custom.feedback")
    TOPICS = ("ImageModeratorsTopic",)

    def __init__(self, stack: Any) -> None:
        super().__init__(stack)
        if "ApplicationEventBus" in stack.template.resources:
            self.listen(stack.resource("ApplicationEventBus"), {"source": list(self.SOURCES)})
        for topic in self.TOPICS:
            if topic in stack.template.resources:
                self.subscribe(stack.resource(topic))

    def events(self, source: str) -> list[dict[str, Any]]:
        """Bus events of ``source``."""
        return [m for m in self.messages() if m.get("source") == source]

    def notifications(self) -> list[dict[str, Any]]:
        """SNS notifications (envelopes with ``Message``)."""
        return [m for m in self.messages() if m.get("Type") == "Notification"]


# --- the fault matrix ------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A business path that reaches some Task states, and how it ends without faults."""

    name: str
    description: str
    normal: dict[str, Any]
    #: MockedResponses of states the scenario itself mocks (an opted-out number, a reply that never comes).
    mocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Feedback conversations: the customer's replies, ``(question stage, text)``, in order.
    replies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Target:
    """How a Task state is put under faults: the scenario reaching it and where its normal answer comes from.

    ``answer``: ``baseline`` — the answer the local service gave the same call in the scenario's fault-free
    run (identifiers rewritten); ``replay`` — the harness makes the state's call itself, with this run's
    identifiers, as the successful attempt would (its side effect happens: the record written, the message
    sent), and the answer is the service's; ``job`` — a transcription job run to completion. ``unset``: keys
    of the outcome a baseline answer leaves unset (the call is not made), dropped from the expectation.
    ``also``: states also answered by replay in transient cases (a job started before it is polled).
    """

    scenario: str
    answer: str = "baseline"
    unset: tuple[str, ...] = ()
    also: tuple[str, ...] = ()


@dataclass
class Run:
    """One prepared execution: its input, its name, and the identifiers baseline answers are rewritten with."""

    input: Any
    name: str
    ids: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Baseline:
    """A scenario's fault-free run: its identifiers and every call its Task states made."""

    run: Run
    calls: list[Call]


@dataclass
class FaultResult:
    """How one fault case ended, against how it was designed to end."""

    case: FaultCase
    scenario: str
    expected: dict[str, Any]
    observed: dict[str, Any]
    problems: list[str]
    seconds: float = 0.0

    @property
    def designed(self) -> bool:
        """The case ended as designed."""
        return not self.problems

    def explain(self) -> str:
        """A readable account for a failed assertion."""
        mode = "thrown twice, then answered" if self.case.error.transient else "thrown at every attempt"
        lines = [f"{self.case.id} ({self.case.error.error}, {mode}) in scenario {self.scenario!r}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append(f"  observed: {json.dumps({k: _short(v) for k, v in self.observed.items()}, default=str)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The report's row."""
        return {"workflow": self.case.workflow, "state": self.case.state, "kind": self.case.error.kind,
                "error": self.case.error.error, "transient": self.case.error.transient, "scenario": self.scenario,
                "designed": self.designed, "problems": self.problems, "seconds": round(self.seconds, 3)}


def _rewrite(text: str, old: Run, new: Run) -> str:
    for key in sorted(old.ids, key=lambda k: -len(old.ids[k])):
        text = text.replace(old.ids[key], new.ids[key])
    return text


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _new_name() -> str:
    return f"rel-{uuid.uuid4().hex}"


class _Harness:
    """One workflow under faults: its scenarios, where each Task state is reached, and its outcomes."""

    workflow = ""
    scenarios: dict[str, Scenario] = {}
    targets: dict[str, Target] = {}

    def __init__(self, matrix: FaultMatrix) -> None:
        self.matrix = matrix
        self.stack = matrix.stack
        self.machine = self.stack.template.state_machine_for_workflow(self.workflow).logical_id
        self.enclosing = enclosing_states(definition(self.workflow, self.stack.template.root)["States"])

    def prepare(self, scenario: Scenario) -> Run:
        """Create what one execution of the scenario needs (an instance, an object, a customer)."""
        raise NotImplementedError

    def drive(self, run: Run, arn: str, answered_by_mocks: set[str]) -> None:
        """Play the people the execution waits for (nothing by default)."""

    def summary(self, run: Run, execution: Any) -> dict[str, Any]:
        """The business outcome of an execution: its end, its record, what it published."""
        raise NotImplementedError

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        """How the scenario must end when ``case.state`` fails at every attempt with ``case.error``."""
        raise NotImplementedError

    def job_answer(self, run: Run) -> Any:
        """The answer of a state answered by a job run to completion (``Target.answer == "job"``)."""
        raise NotImplementedError

    def let_time_out(self, run: Run, state: str) -> None:
        """Make ``state`` reach its timeout in this run (virtual time passes it)."""
        raise NotImplementedError

    def wait(self, arn: str) -> Any:
        """Wait for the end of the execution (bounded)."""
        return finished(self.stack, arn)


class FaultMatrix:
    """Runs fault cases on a local stack, with the generated MockConfigFile test cases installed.

    Use as a context manager: the workflows' own test cases stay available, the generated ones are added to a
    copy that is installed for the duration, and the probe queue is removed at the end.
    """

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.probe: Probe | None = None
        self._config: Any = None
        self._previous: Any = None
        self._cases = 0
        self._harnesses: dict[str, _Harness] = {}
        self._baselines: dict[tuple[str, str], Baseline] = {}

    def __enter__(self) -> FaultMatrix:
        from local.engine import executions
        from local.engine.mock_config import MockConfig

        self._previous = executions.mock_config
        self._config = MockConfig(json.loads(json.dumps(self._previous.raw)) if self._previous else None)
        executions.mock_config = self._config
        self.probe = Probe(self.stack)
        return self

    def __exit__(self, *exc: object) -> None:
        from local.engine import executions

        executions.mock_config = self._previous
        if self.probe:
            self.probe.close()

    # --- test cases --------------------------------------------------------------------------------------------

    def test_case(self, machine: str, states: dict[str, dict[str, Any]]) -> str:
        """Add a test case mocking ``states`` (state → MockedResponse) and return its name."""
        self._cases += 1
        name = f"Reliability{self._cases:04d}"
        self._config.merge({
            "StateMachines": {machine: {"TestCases": {name: {state: f"{name}{state}" for state in states}}}},
            "MockedResponses": {f"{name}{state}": responses for state, responses in states.items()},
        }, "reliability")
        return name

    def harness(self, workflow: str) -> _Harness:
        """The workflow's harness (one per matrix)."""
        if workflow not in self._harnesses:
            self._harnesses[workflow] = HARNESSES[workflow](self)
        return self._harnesses[workflow]

    # --- running -------------------------------------------------------------------------------------------------

    def _execute(self, harness: _Harness, run: Run, states: dict[str, dict[str, Any]],
                 answered_by_mocks: set[str]) -> Any:
        case = self.test_case(harness.machine, states) if states else None
        arn = self.stack.start(harness.workflow, run.input, case=case, name=run.name)
        harness.drive(run, arn, answered_by_mocks)
        return harness.wait(arn)

    def baseline(self, harness: _Harness, scenario: Scenario) -> Baseline:
        """The scenario's fault-free run (once per matrix); it must end as the scenario says."""
        key = (harness.workflow, scenario.name)
        if key not in self._baselines:
            run = harness.prepare(scenario)
            execution = self._execute(harness, run, dict(scenario.mocks), set())
            problems = differences(scenario.normal, harness.summary(run, execution))
            if problems:
                raise RuntimeError(f"{harness.workflow} scenario {scenario.name!r} does not end as designed "
                                   f"without faults: {'; '.join(problems)} (cause: {execution.cause})")
            self._baselines[key] = Baseline(run, task_calls(execution.history))
        return self._baselines[key]

    def _replay(self, call: Call, old: Run, new: Run) -> Any:
        from local.engine import sdk

        service = call.resource_type.split(":", 1)[-1]
        params = json.loads(_rewrite(call.parameters, old, new))
        if call.resource_type == "events":  # the optimised integration takes Detail as JSON, the API as text
            for entry in params.get("Entries", []):
                if not isinstance(entry.get("Detail"), str):
                    entry["Detail"] = json.dumps(entry.get("Detail"))
        client = self.stack.client(sdk.boto_service_name(service))
        response = getattr(client, _camel_to_snake(call.resource.split(".", 1)[0]))(**params)
        response.pop("ResponseMetadata", None)
        return sdk.to_plain_json(response)

    def _answers(self, harness: _Harness, state: str, how: str, baseline: Baseline, run: Run) -> list[Any]:
        if how == "job":
            return [harness.job_answer(run)]
        calls = [call for call in baseline.calls if call.state == state and call.output is not None]
        if not calls:
            raise RuntimeError(f"{harness.workflow}: the fault-free run never called {state}")
        if how == "replay":
            return [self._replay(call, baseline.run, run) for call in calls]
        return [json.loads(_rewrite(call.output, baseline.run, run)) for call in calls]

    @staticmethod
    def _returns(answers: list[Any], start: int) -> dict[str, Any]:
        responses = {str(start + i): {"Return": answer} for i, answer in enumerate(answers)}
        last = start + len(answers)
        responses[f"{last}-{last + PERSISTENT_THROWS}"] = {"Return": answers[-1]}
        return responses

    def run(self, case: FaultCase) -> FaultResult:
        """Run one fault case and compare its business outcome with the designed one.

        Parameters
        ----------
        case
            The state and the class of error. A transient class is thrown twice, then the state gets its
            normal answer; a permanent class at every attempt; a timeout is reached in virtual time.

        Returns
        -------
        FaultResult
            Expected and observed outcomes, and the differences (none when the case ended as designed).

        """
        began = time.monotonic()
        harness = self.harness(case.workflow)
        target = harness.targets.get(case.state)
        if target is None:
            return FaultResult(case, "", {}, {}, [f"no scenario of {case.workflow} reaches {case.state}"])
        scenario = harness.scenarios[target.scenario]
        throw = {"Throw": {"Error": case.error.error, "Cause": case.error.cause}}
        states = dict(scenario.mocks)
        answered: set[str] = set()
        if case.error.kind == "timeout":  # States.* errors cannot be mocked: the virtual clock runs out instead
            run = harness.prepare(scenario)
            harness.let_time_out(run, case.state)
            expected = harness.designed_failure(case, scenario)
        elif case.error.transient:
            baseline = self.baseline(harness, scenario)
            run = harness.prepare(scenario)
            for other in target.also:
                states[other] = self._returns(self._answers(harness, other, "replay", baseline, run), 0)
            answers = self._answers(harness, case.state, target.answer, baseline, run)
            states[case.state] = {f"0-{TRANSIENT_THROWS - 1}": throw, **self._returns(answers, TRANSIENT_THROWS)}
            answered.add(case.state)
            expected = {k: v for k, v in scenario.normal.items() if k not in target.unset}
        else:
            run = harness.prepare(scenario)
            states[case.state] = {f"0-{PERSISTENT_THROWS - 1}": throw}
            expected = harness.designed_failure(case, scenario)
        execution = self._execute(harness, run, states, answered)
        observed = harness.summary(run, execution)
        problems = differences(expected, observed)
        failures = execution.task_failures(case.state)
        if case.error.error not in failures:
            problems.append(f"{case.state} never failed with {case.error.error} (its attempts: {failures})")
        return FaultResult(case, scenario.name, expected, observed, problems, time.monotonic() - began)

    def run_all(self, cases: Iterable[FaultCase]) -> list[FaultResult]:
        """Run every case, in order."""
        return [self.run(case) for case in cases]


# --- ec2-enrichment ----------------------------------------------------------------------------------------------


class _Ec2Harness(_Harness):
    workflow = "ec2-enrichment"
    scenarios = {
        "named": Scenario("named", "a stopped instance tagged Name=… is published with its name",
                          {"status": "SUCCEEDED", "error": None, "nameSource": "tag", "instanceName": "<tag>",
                           "lookupError": None, "published": 1}),
        "unnamed": Scenario("unnamed", "a stopped instance without a Name tag is published with the default name",
                            {"status": "SUCCEEDED", "error": None, "nameSource": "default",
                             "instanceName": "<default>", "defaultNameError": None, "published": 1}),
    }
    targets = {
        "LookUpNameTag": Target("named", "replay"),
        "ReadDefaultName": Target("unnamed", "replay"),
        "PublishEnrichedEvent": Target("named", "replay"),
    }

    def __init__(self, matrix: FaultMatrix) -> None:
        super().__init__(matrix)
        self.instances: dict[str, tuple[str, str]] = {}

    def prepare(self, scenario: Scenario) -> Run:
        if scenario.name not in self.instances:  # one instance per scenario: each run is a new state change
            tag = f"reliability-{uuid.uuid4().hex[:10]}"
            spec = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": tag}]}] * (scenario.name == "named")
            self.instances[scenario.name] = (self.stack.client("ec2").run_instances(
                ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=spec,
            )["Instances"][0]["InstanceId"], tag)
        instance, tag = self.instances[scenario.name]
        event = json.loads((self.stack.template.root / "workflows/ec2-enrichment/events/ec2-instance-stopped.json")
                           .read_text())
        event["id"] = str(uuid.uuid4())
        event["resources"] = [f"arn:aws:ec2:us-east-1:123456789012:instance/{instance}"]
        event["detail"] = {"instance-id": instance, "state": "stopped"}
        name = _new_name()
        return Run(event, name, {"instance": instance, "event": event["id"], "tag": tag, "execution": name})

    def summary(self, run: Run, execution: Any) -> dict[str, Any]:
        output = execution.output or {}
        default = self.stack.template.parameters.get("Ec2EnrichmentDefaultInstanceName")
        names = {run.ids["tag"]: "<tag>", run.ids["instance"]: "<instance-id>", default: "<default>"}
        published = [e for e in self.matrix.probe.events("custom.enriched.ec2")
                     if e["detail"]["Message"].get("id") == run.ids["event"]]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "nameSource": output.get("nameSource"),
                "instanceName": names.get(output.get("instanceName"), output.get("instanceName")),
                "lookupError": output.get("lookupError"), "defaultNameError": output.get("defaultNameError"),
                "published": len(published)}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error = case.error.error
        if case.state == "LookUpNameTag":  # the name falls back to the default, the event still goes out
            return {"status": "SUCCEEDED", "error": None, "nameSource": "default", "instanceName": "<default>",
                    "lookupError": starts(error), "published": 1}
        if case.state == "ReadDefaultName":  # the name falls back to the instance id
            return {"status": "SUCCEEDED", "error": None, "nameSource": "instance-id",
                    "instanceName": "<instance-id>", "defaultNameError": starts(error), "published": 1}
        return {"status": "FAILED", "error": "Ec2Enrichment.PublishFailed", "cause": contains(error),
                "published": 0}


# --- image-catalog -----------------------------------------------------------------------------------------------


class _ImageHarness(_Harness):
    workflow = "image-catalog"
    _clean = {"labels": "Beach:97.4,Sea:95.1", "text": "SUNNY BAY"}
    scenarios = {
        "clean": Scenario("clean", "a clean image is catalogued and found by its labels",
                          {"status": "SUCCEEDED", "error": None, "outcome": "APPROVED", "item": "APPROVED",
                           "labels": ["beach", "sea"], "notified": 0}),
        "flagged": Scenario("flagged", "an inappropriate image is held back and the moderators are told",
                            {"status": "SUCCEEDED", "error": None, "outcome": "REJECTED", "item": "REJECTED",
                             "labels": [], "notified": 1}),
        "unreadable": Scenario("unreadable", "a file that is not an image is recorded as FAILED",
                               {"status": "FAILED", "error": "ImageCatalog.ImageUnreadable", "item": "FAILED",
                                "failedState": "CheckModeration",
                                "errorName": "Rekognition.InvalidImageFormatException", "notified": 0}),
        "reprocessed": Scenario("reprocessed", "an approved image processed again loses the labels it lost",
                                {"status": "SUCCEEDED", "error": None, "outcome": "APPROVED", "item": "APPROVED",
                                 "labels": ["sky"], "notified": 0}),
    }
    targets = {
        "CheckModeration": Target("clean", "replay"),
        "DetectLabels": Target("clean", "replay"),
        "DetectText": Target("clean", "replay"),
        "SaveApprovedImage": Target("clean", "replay"),
        "IndexLabel": Target("clean", "replay"),
        "SaveRejectedImage": Target("flagged", "replay"),
        "NotifyModerators": Target("flagged", "replay"),
        "SaveFailedImage": Target("unreadable", "replay"),
        "RemoveLabelEntry": Target("reprocessed", "replay"),
    }

    def prepare(self, scenario: Scenario) -> Run:
        s3, bucket = self.stack.client("s3"), self.stack.resource("ImageIngestionBucket")
        events = self.stack.template.root / "workflows/image-catalog/events"
        key = f"reliability/{uuid.uuid4().hex}.img"  # not an upload the trigger rule matches
        body, metadata = {
            "clean": ((events / "demo-beach.png").read_bytes(), self._clean),
            "reprocessed": ((events / "demo-beach.png").read_bytes(), self._clean),
            "flagged": ((events / "demo-flagged.png").read_bytes(), {"moderation-labels": "Graphic Violence:88.4"}),
            "unreadable": (b"meeting notes, not an image", {}),
        }[scenario.name]
        s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)
        if scenario.name == "reprocessed":  # approved once with Beach and Sea; now the image shows only Sky
            first = self.stack.run(self.workflow, {"bucket": bucket, "key": key})
            if first.status != "SUCCEEDED":
                raise RuntimeError(f"image-catalog: the first processing failed: {first.cause}")
            s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"labels": "Sky:90.2"})
        name = _new_name()
        return Run({"bucket": bucket, "key": key}, name, {"key": key, "execution": name})

    def summary(self, run: Run, execution: Any) -> dict[str, Any]:
        ddb, table = self.stack.client("dynamodb"), self.stack.resource("ImageCatalogTable")
        uri = f"s3://{run.input['bucket']}/{run.input['key']}"
        item = item_of(ddb.get_item(TableName=table, Key={"ImageUri": {"S": uri}, "Entry": {"S": "IMAGE"}},
                                    ConsistentRead=True).get("Item")) or {}
        entries = ddb.query(TableName=table, KeyConditionExpression="ImageUri = :u AND begins_with(#e, :l)",
                            ExpressionAttributeNames={"#e": "Entry"},
                            ExpressionAttributeValues={":u": {"S": uri}, ":l": {"S": "LABEL#"}})["Items"]
        notified = [n for n in self.matrix.probe.notifications() if f"Key: {run.input['key']}\n" in n["Message"]]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": (execution.output or {}).get("status"), "item": item.get("Status"),
                "failedState": item.get("FailedState"), "errorName": item.get("ErrorName"),
                "labels": sorted(e["Label"]["S"] for e in entries), "notified": len(notified)}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error, state = case.error.error, case.state
        if state in ("IndexLabel", "RemoveLabelEntry"):  # the item keeps its status; label index out of date
            return {"status": "FAILED", "error": "ImageCatalog.LabelIndexFailed", "item": "APPROVED",
                    "cause": contains(error)}
        if state == "NotifyModerators":  # held back and recorded, the moderators not told: redrive
            return {"status": "FAILED", "error": "ImageCatalog.ModeratorNotificationFailed", "item": "REJECTED",
                    "notified": 0, "cause": contains(error)}
        if state == "SaveFailedImage":  # not even the failure can be recorded: both errors in the cause
            return {"status": "FAILED", "error": "ImageCatalog.ImageUnreadable", "item": None,
                    "cause": contains("could not be recorded in the catalog either", error)}
        return {"status": "FAILED", "error": error, "item": "FAILED",
                "failedState": self.enclosing.get(state, state), "errorName": error, "notified": 0}


# --- call-center-analysis ------------------------------------------------------------------------------------


class _CallHarness(_Harness):
    workflow = "call-center-analysis"
    _analysed = {"status": "SUCCEEDED", "error": None, "outcome": "ANALYZED", "item": "ANALYZED"}
    scenarios = {
        "english": Scenario("english", "an English call, its language identified, is scored POSITIVE",
                            {**_analysed, "sentiment": "POSITIVE", "emailed": 0, "published": 1}),
        "french": Scenario("french", "a French call is translated, scored NEGATIVE and the manager e-mailed",
                           {**_analysed, "sentiment": "NEGATIVE", "emailed": 1, "published": 1}),
        "long-french": Scenario("long-french", "a French call over Translate's 10,000 bytes is cut in pieces",
                                {**_analysed, "sentiment": "NEGATIVE", "emailed": 1, "published": 1}),
        "long-transcript": Scenario(
            "long-transcript", "a transcript JSON over 200,000 bytes is read by the Lambda function",
            {**_analysed, "sentiment": "POSITIVE", "emailed": 0, "published": 1},
            mocks={"MeasureTranscript": {"0": {"Return": {"ContentLength": 250000}}}}),
        "silent": Scenario("silent", "a recording without speech is recorded as EMPTY_TRANSCRIPT",
                           {"status": "SUCCEEDED", "error": None, "outcome": "EMPTY_TRANSCRIPT",
                            "item": "EMPTY_TRANSCRIPT", "emailed": 0, "published": 0}),
        "unsupported": Scenario("unsupported", "a file Transcribe does not accept is recorded as UNSUPPORTED_MEDIA",
                                {"status": "FAILED", "error": "CallAnalysis.UnsupportedMedia",
                                 "item": "UNSUPPORTED_MEDIA", "errorName": "CallAnalysis.UnsupportedMedia"}),
    }
    targets = {
        "ReadRecordingMetadata": Target("english", "replay"),
        "StartTranscription": Target("french", "replay"),
        "StartTranscriptionIdentifyingLanguage": Target("english", "replay"),
        "CheckTranscription": Target("english", "job", also=("StartTranscriptionIdentifyingLanguage",)),
        "MeasureTranscript": Target("english"),
        "ReadTranscript": Target("english"),
        "ReadLongTranscript": Target("long-transcript"),
        "RecordEmptyTranscript": Target("silent", "replay"),
        "SplitTranscriptForTranslation": Target("long-french"),
        "TranslateChunk": Target("french"),
        "SaveTranslation": Target("french", "replay"),
        "SplitTextForSentiment": Target("long-french"),
        "ScoreChunkBatch": Target("english"),
        "SaveResult": Target("english", "replay"),
        "AlertManager": Target("french", "replay"),
        "PublishCallAnalyzed": Target("english", "replay"),
        "RecordFailedCall": Target("unsupported", "replay"),
    }

    def prepare(self, scenario: Scenario) -> Run:
        s3, bucket = self.stack.client("s3"), self.stack.resource("CallRecordingsBucket")
        events = self.stack.template.root / "workflows/call-center-analysis/events"
        english, french = (events / "recording-en-positive.txt").read_text(), (events / "recording-fr-negative.txt")
        french_text = french.read_text()
        body, suffix, language = {
            "english": (english, "mp3", None), "long-transcript": (english, "mp3", None),
            "french": (french_text, "wav", "fr-FR"),
            "long-french": (" ".join([" ".join(french_text.split())] * 28), "wav", "fr-FR"),
            "silent": ("", "amr", None), "unsupported": (english, "txt", None),
        }[scenario.name]
        key = f"reliability/{uuid.uuid4().hex}.{suffix}"  # outside recordings/: the upload rule ignores it
        extra = {"ContentLanguage": language} if language else {}
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), **extra)
        name = _new_name()
        return Run({"bucket": bucket, "key": key}, name, {"key": key, "execution": name})

    def job_answer(self, run: Run) -> Any:
        from local.engine import sdk

        transcribe = self.stack.client("transcribe")
        for _ in range(10):
            response = transcribe.get_transcription_job(TranscriptionJobName=f"{self.machine}-{run.name}")
            if response["TranscriptionJob"]["TranscriptionJobStatus"] in ("COMPLETED", "FAILED"):
                break
        response.pop("ResponseMetadata", None)
        return sdk.to_plain_json(response)

    def summary(self, run: Run, execution: Any) -> dict[str, Any]:
        uri = f"s3://{run.input['bucket']}/{run.input['key']}"
        item = item_of(self.stack.client("dynamodb").get_item(
            TableName=self.stack.resource("CallResultsTable"), Key={"RecordingUri": {"S": uri}},
            ConsistentRead=True).get("Item")) or {}
        published = [e for e in self.matrix.probe.events("custom.callcenter") if e["detail"]["recordingUri"] == uri]
        emailed = [m for m in self.stack.sent_emails if run.input["key"] in (m["subject"] or "")]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": (execution.output or {}).get("status"), "item": item.get("Status"),
                "errorName": item.get("ErrorName"), "reason": item.get("StatusReason"),
                "sentiment": item.get("Sentiment"), "emailed": len(emailed), "published": len(published)}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error, state = case.error.error, case.state
        if state == "AlertManager":  # the analysis is saved; the e-mail failed: redrive from here
            return {"status": "FAILED", "error": "CallAnalysis.ManagerAlertFailed", "item": "ANALYZED",
                    "emailed": 0, "published": 0, "cause": contains(error)}
        if state == "PublishCallAnalyzed":  # the analysis is saved; the event is not out: redrive from here
            return {"status": "FAILED", "error": "CallAnalysis.EventNotPublished", "item": "ANALYZED",
                    "published": 0, "cause": contains(error)}
        if state == "RecordFailedCall":  # the failure cannot be recorded: the execution keeps the original error
            return {"status": "FAILED", "error": "CallAnalysis.UnsupportedMedia", "item": None}
        return {"status": "FAILED", "error": error, "item": "FAILED", "errorName": error,
                "reason": starts(f"{self.enclosing.get(state, state)} failed: "), "emailed": 0, "published": 0}


# --- feedback-conversation -------------------------------------------------------------------------------------


#: A scripted reply that never comes: the question times out.
NO_REPLY = "<no reply>"


class _FeedbackHarness(_Harness):
    workflow = "feedback-conversation"
    _opted_out = {"Throw": {"Error": "PinpointSmsVoiceV2.ConflictException", "Cause": (
        "Reason: DESTINATION_PHONE_NUMBER_OPTED_OUT. The destination phone number is opted out. "
        "(Service: PinpointSmsVoiceV2, Status Code: 400, Request ID: reliability)")}}
    _sms_down = {"Throw": {"Error": "PinpointSmsVoiceV2.InternalServerException", "Cause": (
        "Internal server error (Service: PinpointSmsVoiceV2, Status Code: 500, Request ID: reliability)")}}
    scenarios = {
        "score-8": Scenario("score-8", "the customer rates 8: recorded and thanked",
                            {"status": "SUCCEEDED", "error": None, "outcome": "COMPLETED", "record": "COMPLETED",
                             "score": 8, "callback": "N", "closing": True, "requested": 0},
                            replies=(("RATING", "8"),)),
        "callback-yes": Scenario(
            "callback-yes", "the customer rates 3 with a comment and accepts a call: the support team is told",
            {"status": "SUCCEEDED", "error": None, "outcome": "COMPLETED", "record": "COMPLETED", "score": 3,
             "sentiment": "NEGATIVE", "callback": "Y", "closing": True, "requested": 1},
            replies=(("RATING", "3 I waited 40 minutes and nobody told me why"), ("CALLBACK", "1"))),
        "unreadable-then-valid": Scenario(
            "unreadable-then-valid", "an unreadable reply is asked again, then the rating counts",
            {"status": "SUCCEEDED", "error": None, "outcome": "COMPLETED", "record": "COMPLETED", "score": 8},
            replies=(("RATING", "hello?"), ("RATING", "8"))),
        "invalid-thrice": Scenario(
            "invalid-thrice", "three unreadable replies end the conversation as INVALID_REPLY",
            {"status": "SUCCEEDED", "error": None, "outcome": "INVALID_REPLY", "record": "INVALID_REPLY",
             "score": None},
            replies=(("RATING", "?"), ("RATING", "maybe"), ("RATING", "I'd say seven"))),
        "stop": Scenario("stop", "the customer replies STOP: OPTED_OUT, nothing more sent",
                         {"status": "SUCCEEDED", "error": None, "outcome": "OPTED_OUT", "record": "OPTED_OUT"},
                         replies=(("RATING", "STOP"),)),
        "opted-out-number": Scenario(
            "opted-out-number", "the number had opted out before we asked: OPTED_OUT",
            {"status": "SUCCEEDED", "error": None, "outcome": "OPTED_OUT", "record": "OPTED_OUT"},
            mocks={"AskForRating": {"0": _opted_out}}),
        "no-reply": Scenario("no-reply", "no reply within the reply timeout: NO_RESPONSE",
                             {"status": "SUCCEEDED", "error": None, "outcome": "NO_RESPONSE",
                              "record": "NO_RESPONSE"},
                             replies=(("RATING", NO_REPLY),)),
        "sms-outage": Scenario(
            "sms-outage", "the SMS service stays down: the conversation is recorded as FAILED",
            {"status": "FAILED", "error": "FeedbackConversation.SmsNotSent", "record": "FAILED",
             "failedState": "AskForRating", "failureError": "PinpointSmsVoiceV2.InternalServerException"},
            mocks={"AskForRating": {f"0-{PERSISTENT_THROWS - 1}": _sms_down}}),
    }
    targets = {
        "StartConversation": Target("score-8", "replay"),
        "AskForRating": Target("score-8", "replay"),
        "WaitForRating": Target("score-8"),
        "ScoreComment": Target("callback-yes"),
        "RecordRating": Target("callback-yes", unset=("score", "sentiment")),
        "AskAboutCallback": Target("callback-yes", "replay"),
        "WaitForCallbackAnswer": Target("callback-yes"),
        "RecordCallbackAnswer": Target("callback-yes", unset=("record", "callback")),
        "RequestCallback": Target("callback-yes", "replay"),
        "ConfirmCallback": Target("callback-yes", "replay"),
        "ThankCustomer": Target("score-8", "replay"),
        "RecordUnreadableReply": Target("unreadable-then-valid"),
        "RecordInvalidReply": Target("invalid-thrice", unset=("record",)),
        "RecordOptOut": Target("stop", unset=("record",)),
        "RecordNumberOptedOut": Target("opted-out-number", unset=("record",)),
        "RecordNoResponse": Target("no-reply", unset=("record",)),
        "RecordConversationFailure": Target("sms-outage", unset=("record", "failedState", "failureError")),
    }
    _waits = {"WaitForRating": "RATING", "WaitForCallbackAnswer": "CALLBACK"}
    _phones: set[str] = set()

    def prepare(self, scenario: Scenario) -> Run:
        phone = f"+1206{uuid.uuid4().int % 10**7:07d}"
        while phone in self._phones:
            phone = f"+1206{uuid.uuid4().int % 10**7:07d}"
        self._phones.add(phone)
        appointment, name = f"REL-{uuid.uuid4().hex[:16]}", _new_name()
        return Run({"appointmentId": appointment, "customerName": "Reliability Customer", "customerPhone": phone},
                   name, {"appointment": appointment, "phone": phone, "execution": name},
                   {"replies": scenario.replies})

    def _question(self, run: Run, arn: str, stage: str, answered: set[str]) -> dict[str, Any] | None:
        """The next question of ``stage`` registered for replies, or None once the execution has ended."""
        ddb, table = self.stack.client("dynamodb"), self.stack.resource("FeedbackMessageLookupTable")
        sfn = self.stack.client("stepfunctions")

        def probe() -> Any:
            for message in self.stack.sent_sms:
                if message["DestinationPhoneNumber"] != run.ids["phone"] or message["MessageId"] in answered:
                    continue
                row = ddb.get_item(TableName=table, Key={"MessageId": {"S": message["MessageId"]}},
                                   ConsistentRead=True).get("Item")
                if row and row["ConversationStage"]["S"] == stage:
                    return message
            return "ended" if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING" else None

        found = self.stack.eventually(probe, timeout=10, message=f"no {stage} question for {run.ids['phone']}")
        return None if found == "ended" else found

    def let_time_out(self, run: Run, state: str) -> None:
        stage = self._waits[state]
        replies = list(run.data["replies"])
        first = next(i for i, (asked, _) in enumerate(replies) if asked == stage)
        run.data["replies"] = (*replies[:first], (stage, NO_REPLY))

    def drive(self, run: Run, arn: str, answered_by_mocks: set[str]) -> None:
        skip = [self._waits[state] for state in answered_by_mocks if state in self._waits]
        answered: set[str] = set()
        for stage, body in run.data["replies"]:
            if stage in skip:  # the mocked wait state answers this question itself
                skip.remove(stage)
                continue
            question = self._question(run, arn, stage, answered)
            if question is None:
                return
            answered.add(question["MessageId"])
            if body == NO_REPLY:  # the customer stays silent past the reply timeout (virtual time)
                self.stack.clock.advance(float(self.stack.template.parameters["FeedbackReplyTimeoutSeconds"]) + 1)
                return
            reply_to(self.stack, run.ids["phone"], question, body)

    def summary(self, run: Run, execution: Any) -> dict[str, Any]:
        record = item_of(self.stack.client("dynamodb").get_item(
            TableName=self.stack.resource("FeedbacksTable"), Key={"AppointmentId": {"S": run.ids["appointment"]}},
            ConsistentRead=True).get("Item")) or {}
        output = execution.output or {}
        requested = [e for e in self.matrix.probe.events("custom.feedback")
                     if e["detail"].get("appointmentId") == run.ids["appointment"]]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": output.get("status"), "record": record.get("Status"),
                "failedState": record.get("FailedState"), "failureError": record.get("FailureError"),
                "score": record.get("Score"), "sentiment": record.get("Sentiment"),
                "callback": record.get("CallbackRequested"), "closing": output.get("closingMessageSent"),
                "requested": len(requested),
                "sms": sum(1 for m in self.stack.sent_sms if m["DestinationPhoneNumber"] == run.ids["phone"])}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error, state = case.error.error, case.state
        recorded = {"record": "FAILED", "failedState": state, "failureError": error}
        if case.error.kind == "timeout":  # no reply in time: NO_RESPONSE, a rating already given stays
            expected = {"status": "SUCCEEDED", "error": None, "outcome": "NO_RESPONSE", "record": "NO_RESPONSE",
                        "score": scenario.normal["score"] if state == "WaitForCallbackAnswer" else None,
                        "callback": "N", "closing": False, "requested": 0}
        elif state == "StartConversation":  # the record cannot be created: nobody is messaged
            expected = {"status": "FAILED", "error": "FeedbackConversation.RecordNotSaved", "record": None, "sms": 0}
        elif state in ("AskForRating", "AskAboutCallback"):
            expected = {"status": "FAILED", "error": "FeedbackConversation.SmsNotSent", **recorded}
        elif state == "ScoreComment":  # the rating is recorded without a sentiment
            expected = {**scenario.normal, "sentiment": None}
        elif state == "RequestCallback":  # no call promised; the answer stays recorded
            expected = {"status": "FAILED", "error": "FeedbackConversation.CallbackNotRequested", **recorded,
                        "callback": "Y", "requested": 0}
        elif state in ("ConfirmCallback", "ThankCustomer"):  # the feedback stands without its closing message
            expected = {**scenario.normal, "closing": False}
        elif state == "RecordConversationFailure":  # cannot even record the failure: the original error stands
            expected = {"status": "FAILED", "error": "FeedbackConversation.SmsNotSent", "record": "IN_PROGRESS"}
        else:
            expected = {"status": "FAILED", "error": "FeedbackConversation.RecordNotSaved", **recorded}
        return expected


def reply_to(stack: Any, phone: str, question: dict[str, Any], body: str, inbound_id: str | None = None) -> dict:
    """The customer's reply to ``question``, as End User Messaging publishes it to the inbound topic."""
    message = {"originationNumber": phone, "destinationNumber": question["OriginationIdentity"],
               "messageKeyword": "KEYWORD_123456789012", "messageBody": body,
               "inboundMessageId": inbound_id or str(uuid.uuid4()),
               "previousPublishedMessageId": question["MessageId"]}
    stack.client("sns").publish(TopicArn=stack.resource("FeedbackInboundSmsTopic"), Message=json.dumps(message))
    return message


HARNESSES: dict[str, type[_Harness]] = {
    harness.workflow: harness for harness in (_Ec2Harness, _ImageHarness, _CallHarness, _FeedbackHarness)
}


# --- bad input ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputContract:
    """What a workflow checks of its input before any AWS call, and how it rejects a bad one."""

    workflow: str
    schema: str
    sample: str
    error: str
    cause_prefix: str
    path: tuple[str, ...]
    #: Dotted paths of the fields the workflow checks, in its order (ec2-enrichment: only what it needs).
    fields: tuple[str, ...]
    #: A one-element array of the object is accepted too (what an EventBridge Pipe delivers).
    batch: bool = False


INPUT_CONTRACTS = {
    "ec2-enrichment": InputContract(
        "ec2-enrichment", "schemas/ec2-enrichment.ec2-state-change.schema.json",
        "workflows/ec2-enrichment/events/ec2-instance-stopped.json", "Ec2Enrichment.InvalidEvent",
        "Invalid event: ", ("CheckEvent", "IsEventValid", "RejectInvalidEvent"), ("detail", "detail.instance-id")),
    "image-catalog": InputContract(
        "image-catalog", "schemas/image-catalog.input.schema.json", "workflows/image-catalog/events/console-start.json",
        "ImageCatalog.InvalidInput", "Invalid input: ", ("CheckInput", "IsInputValid", "RejectInvalidInput"),
        ("bucket", "key")),
    "call-center-analysis": InputContract(
        "call-center-analysis", "schemas/call-center-analysis.input.schema.json",
        "workflows/call-center-analysis/events/console-start-with-language.json", "CallAnalysis.InvalidInput",
        "Invalid input: ", ("CheckInput", "IsInputValid", "RejectInvalidInput"), ("bucket", "key", "languageCode")),
    "feedback-conversation": InputContract(
        "feedback-conversation", "schemas/feedback-conversation.input.schema.json",
        "workflows/feedback-conversation/events/console-start.json", "FeedbackConversation.InvalidInput",
        "Invalid input: ", ("CheckInput", "IsInputValid", "RejectInvalidInput"),
        ("appointmentId", "customerPhone", "customerName"), batch=True),
}

#: Characters JSON Schema's ``\S`` does not count as text (what a blank field is made of).
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u2009\u2028\u2029\u202f\u205f\u3000"
_MISSING = object()
_WHOLE = "the input"


@dataclass(frozen=True)
class BadInput:
    """An input that breaks the contract: the payload, and what was broken (a field, or the input as a whole)."""

    payload: Any
    broken: str
    how: str


@dataclass
class BadInputResult:
    """How the workflow treated one bad input."""

    workflow: str
    broken: str
    how: str
    payload: str
    offending: list[str]
    status: str
    error: str | None
    cause: str | None
    problems: list[str]
    seconds: float

    @property
    def handled(self) -> bool:
        """Failed at once with the workflow's named error and a cause naming the offending field."""
        return not self.problems

    def explain(self) -> str:
        """A readable account for a failed assertion."""
        return (f"{self.workflow}: {self.how} ({self.broken}), input {self.payload}: "
                f"{'; '.join(self.problems)} [status {self.status}, error {self.error}, cause {_short(self.cause)}]")


@dataclass
class BadInputFigures:
    """The bad-input cases of one workflow."""

    workflow: str
    results: list[BadInputResult]

    @property
    def tried(self) -> int:
        """Inputs started."""
        return len(self.results)

    @property
    def handled(self) -> int:
        """Inputs that failed as the contract says."""
        return sum(r.handled for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """The report's row."""
        return {"workflow": self.workflow, "tried": self.tried, "handled": self.handled,
                "kinds": _count(f"{r.how}" for r in self.results),
                "failures": [r.explain() for r in self.results if not r.handled][:20]}


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _load(relative: str, root: Path = PROJECT_ROOT) -> Any:
    return json.loads((root / relative).read_text())


def object_schema(contract: InputContract, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The schema of the input object (for a workflow accepting a batch, the object inside ``oneOf``)."""
    schema = _load(contract.schema, root)
    for option in schema.get("oneOf", []):
        if option.get("$ref", "").startswith("#/$defs/"):
            return {"$schema": schema.get("$schema"), **schema["$defs"][option["$ref"].rsplit("/", 1)[1]]}
    return schema


def contract_schema(contract: InputContract, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The input object's schema reduced to the fields the workflow checks (nested ones kept in place)."""
    full = object_schema(contract, root)

    def reduce(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
        names = [f.removeprefix(prefix) for f in contract.fields if f.startswith(prefix)]
        top = {name.split(".", 1)[0] for name in names}
        properties = {}
        for name in sorted(top):
            sub = schema.get("properties", {}).get(name, {})
            nested = [n for n in names if n.startswith(name + ".")]
            properties[name] = reduce(sub, f"{prefix}{name}.") if nested else sub
        return {"type": "object", "properties": properties,
                "required": [r for r in schema.get("required", []) if r in top]}

    return {"$schema": full.get("$schema"), **reduce(full, "")}


def _field_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split("."):
        schema = schema["properties"][part]
    return schema


def _required(schema: dict[str, Any], path: str) -> bool:
    parent, _, name = path.rpartition(".")
    return name in (_field_schema(schema, parent) if parent else schema).get("required", [])


def _with(payload: Any, path: str, value: Any) -> Any:
    result = json.loads(json.dumps(payload))
    cursor = result
    parts = path.split(".")
    for part in parts[:-1]:
        cursor = cursor[part]
    if value is _MISSING:
        cursor.pop(parts[-1], None)
    else:
        cursor[parts[-1]] = value
    return result


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _strategies() -> Any:
    from hypothesis import strategies as st

    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
               | st.text(max_size=20))
    values = st.recursive(scalars, lambda children: st.lists(children, max_size=3)
                          | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=6)
    # Up to 200,000 bytes: an execution input (like an event) is at most 256 KiB, a longer one is refused.
    huge = st.builds(lambda char, size: char * (size // len(char.encode())), st.sampled_from("x9-é ✓"),
                     st.integers(10_000, 200_000))
    return st, values, huge


def _violations(schema: dict[str, Any], required: bool) -> Any:
    """Values that break ``schema`` (a field's), with what they break."""
    st, values, huge = _strategies()
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    allowed = set(types) | ({"integer"} if "number" in types else set())
    options = [values.filter(lambda v: _json_type(v) not in allowed).map(lambda v: (v, "wrong type"))]
    if required:
        options.append(st.just((_MISSING, "missing")))
    if "string" in types:
        pattern = schema.get("pattern")
        if schema.get("minLength", 0) >= 1 or pattern == "\\S":
            options.append(st.just(("", "empty")))
        if pattern:
            options.append(st.text(alphabet=WHITESPACE, min_size=1, max_size=6).map(lambda v: (v, "blank")))
            options.append(st.text(max_size=40).filter(lambda v: not re.search(pattern, v))
                           .map(lambda v: (v, "off pattern")))
        if "maxLength" in schema:
            limit = schema["maxLength"]
            options.append(st.integers(limit + 1, limit + 3000).map(lambda n: ("x" * n, "too long")))
        options.append(huge.map(lambda v: (v, "huge string")))
    return st.one_of(options)


def bad_inputs(workflow: str, root: Path = PROJECT_ROOT) -> Any:
    """A Hypothesis strategy of inputs that break the workflow's input contract (checked against its schema)."""
    import jsonschema

    st, values, huge = _strategies()
    contract = INPUT_CONTRACTS[workflow]
    schema = contract_schema(contract, root)
    validator = jsonschema.validators.validator_for(schema)(schema)
    sample = _load(contract.sample, root)
    if not validator.is_valid(sample):
        raise ValueError(f"{contract.sample} does not satisfy {contract.schema}")

    def one_field(path: str) -> Any:
        return _violations(_field_schema(schema, path), _required(schema, path)).map(
            lambda broken: BadInput(_with(sample, path, broken[0]), path, broken[1]))

    fields = st.one_of([one_field(path) for path in contract.fields])
    whole = st.one_of(
        (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
         | st.text(max_size=30)).map(lambda v: BadInput(v, _WHOLE, f"{_json_type(v)} input")),
        huge.map(lambda v: BadInput(v, _WHOLE, "huge string input")),
        st.lists(values, max_size=3).map(lambda v: BadInput(v, _WHOLE, "array input")),
        st.just(BadInput({}, "", "empty object")),
        st.dictionaries(st.text(max_size=10), values, min_size=1, max_size=3).map(
            lambda v: BadInput(v, "", "object of unexpected fields")),
    )
    options = [fields, fields, whole]
    if contract.batch:
        item = st.one_of(st.just(sample), fields.map(lambda b: b.payload))
        options.append(st.lists(item, max_size=4).map(lambda items: BadInput(items, _WHOLE, f"batch of {len(items)}")))
        options.append(fields.map(lambda b: BadInput([b.payload], b.broken, f"batch of 1, {b.how}")))
    full_schema = _load(contract.schema, root)
    full = jsonschema.validators.validator_for(full_schema)(full_schema)

    def invalid(case: BadInput) -> bool:  # "against the schema": only inputs it refuses are kept
        if isinstance(case.payload, dict):
            return not validator.is_valid(case.payload)
        return not full.is_valid(case.payload) if contract.batch and isinstance(case.payload, list) else True

    return st.one_of(options).filter(invalid)


def _always_tried(workflow: str, root: Path) -> list[BadInput]:
    """Bad inputs of every kind the contract names, tried whatever the draw.

    Hash randomisation changes the mix Hypothesis draws from one process to the next; these keep each kind
    (a missing field, a wrong type, a huge string, an array, an empty object) in every run.
    """
    import jsonschema

    contract = INPUT_CONTRACTS[workflow]
    schema = contract_schema(contract, root)
    validator = jsonschema.validators.validator_for(schema)(schema)
    sample = _load(contract.sample, root)
    candidates = [BadInput([], _WHOLE, "array input"), BadInput({}, "", "empty object"),
                  BadInput("x" * 200_000, _WHOLE, "huge string input")]  # StartExecution refuses > 256 KiB
    for path in contract.fields:
        candidates += [BadInput(_with(sample, path, _MISSING), path, "missing"),
                       BadInput(_with(sample, path, 12345), path, "wrong type"),
                       BadInput(_with(sample, path, "x" * 200_000), path, "huge string")]
    return [c for c in candidates if not isinstance(c.payload, dict) or not validator.is_valid(c.payload)]


def offending_fields(workflow: str, payload: Any, root: Path = PROJECT_ROOT) -> list[str]:
    """The contract's fields ``payload`` breaks (``"the input"`` when it is not an object), per its schema."""
    import jsonschema

    contract = INPUT_CONTRACTS[workflow]
    if contract.batch and isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    if not isinstance(payload, dict):
        return [_WHOLE]
    schema = contract_schema(contract, root)
    found = []
    for error in jsonschema.validators.validator_for(schema)(schema).iter_errors(payload):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            found += [f"{path}.{name}" if path else name for name in missing]
        else:
            found.append(path)
    return [f for f in contract.fields if f in found]


def check_bad_input(stack: Any, workflow: str, case: BadInput, timeout: float = 5.0) -> BadInputResult:
    """Start the workflow with one bad input and check how it ended.

    Parameters
    ----------
    stack
        The running local stack.
    workflow
        A workflow of :data:`INPUT_CONTRACTS`.
    case
        The input, sent as it is (``null`` stays ``null``).
    timeout
        Real seconds to wait for the end; an execution still running then is a hang, stopped and reported.

    Returns
    -------
    BadInputResult
        Handled when the execution failed with the workflow's invalid-input error, on the rejection path only,
        with a (short) cause starting with one of the fields the schema says the input breaks.

    """
    contract = INPUT_CONTRACTS[workflow]
    began = time.monotonic()
    offending = offending_fields(workflow, case.payload, stack.template.root)
    arn = stack.client("stepfunctions").start_execution(  # as given: Stack.start would send null as {}
        stateMachineArn=stack.state_machine_arn(workflow), input=json.dumps(case.payload))["executionArn"]
    try:
        execution = finished(stack, arn, timeout)
    except TimeoutError:  # accepted, and now waiting (a conversation): a hang, stopped here
        execution = stack.execution(arn)
        execution.status = f"RUNNING after {timeout:g}s"
        stack.client("stepfunctions").stop_execution(executionArn=arn, error="Reliability.Hang",
                                                     cause="still running after the bounded wait")
    states = [e["stateEnteredEventDetails"]["name"] for e in execution.history
              if e["type"].endswith("StateEntered") and "stateEnteredEventDetails" in e]
    problems = []
    if (execution.status, execution.error) != ("FAILED", contract.error):
        problems.append(f"ended {execution.status} with {execution.error}, not FAILED with {contract.error}")
    cause = execution.cause or ""
    if not any(cause.startswith(f"{contract.cause_prefix}{name} ") for name in offending):
        problems.append(f"the cause does not start with {contract.cause_prefix!r} and one of {offending}")
    if len(cause) > 1000:
        problems.append(f"the cause is {len(cause)} characters long: it must not echo the input")
    if tuple(states) != contract.path:
        problems.append(f"took {states}, not {list(contract.path)}")
    text = json.dumps(case.payload)
    return BadInputResult(workflow, case.broken, case.how, _short(text, 120), offending, execution.status,
                          execution.error, execution.cause, problems, time.monotonic() - began)


def run_bad_inputs(stack: Any, workflow: str, examples: int = 100, strict: bool = False) -> BadInputFigures:
    """Generate bad inputs with Hypothesis (fixed seed) and start the workflow with each.

    Parameters
    ----------
    stack
        The running local stack.
    workflow
        A workflow of :data:`INPUT_CONTRACTS`.
    examples
        Inputs to generate (``max_examples``; ``derandomize=True``, so the same ones every run).
    strict
        Raise on the first input not refused as designed; Hypothesis then shrinks it to the smallest one.

    Returns
    -------
    BadInputFigures
        One result per input started.

    """
    from hypothesis import HealthCheck, Phase, example, given, settings

    results: list[BadInputResult] = []
    always = _always_tried(workflow, stack.template.root)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if strict else [])

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=phases,
              suppress_health_check=list(HealthCheck))
    @given(bad_inputs(workflow, stack.template.root))
    def check(case: BadInput) -> None:
        result = check_bad_input(stack, workflow, case)
        results.append(result)
        if strict and not result.handled:
            raise AssertionError(result.explain())

    for case in always:
        check = example(case)(check)
    with warnings.catch_warnings():  # JSONata raises the recursion limit on first use; Hypothesis notices
        warnings.filterwarnings("ignore", message="The recursion limit will not be reset")
        check()
    return BadInputFigures(workflow, results)


# --- duplicates ------------------------------------------------------------------------------------------------


@dataclass
class DuplicateResult:
    """One trigger delivered twice: what was applied."""

    workflow: str
    name: str
    description: str
    sent: int
    applied: int
    details: dict[str, Any]
    problems: list[str]

    @property
    def ok(self) -> bool:
        """Applied once."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The report's row."""
        return {"workflow": self.workflow, "name": self.name, "description": self.description, "sent": self.sent,
                "applied": self.applied, "ok": self.ok, "details": self.details, "problems": self.problems}


def _new_arns(stack: Any, workflow: str, before: set[str], count: int) -> list[str]:
    """Wait until ``count`` executions of ``workflow`` have started since ``before``; their ARNs."""
    def started() -> list[str] | None:
        new = [arn for arn in stack.executions(workflow) if arn not in before]
        return new if len(new) >= count else None

    return stack.eventually(started, timeout=10, message=f"{count} executions of {workflow} never started")


def _new_executions(stack: Any, workflow: str, before: set[str], count: int) -> list[Execution]:
    """Wait for ``count`` executions of ``workflow`` started since ``before`` and for their ends."""
    return [finished(stack, arn) for arn in _new_arns(stack, workflow, before, count)]


def _duplicate_ec2_event(stack: Any) -> DuplicateResult:
    ec2 = stack.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "duplicate-check"}]}])["Instances"][0]
    event = _load("workflows/ec2-enrichment/events/ec2-instance-stopped.json", stack.template.root)
    arn = f"arn:aws:ec2:us-east-1:123456789012:instance/{instance['InstanceId']}"
    event |= {"id": str(uuid.uuid4()), "resources": [arn],
              "detail": {"instance-id": instance["InstanceId"], "state": "stopped"}}
    probe = Probe(stack)
    try:
        # EventBridge delivers at least once: the same event (same id) may start the Express workflow twice.
        executions = [finished(stack, stack.start("ec2-enrichment", event)) for _ in range(2)]
        enriched = [e for e in probe.events("custom.enriched.ec2")
                    if e["detail"]["Message"]["detail"]["instance-id"] == instance["InstanceId"]]
    finally:
        probe.close()
    original_ids = {e["detail"]["Message"].get("id") for e in enriched}
    problems = [f"an execution ended {e.status}: {e.cause}" for e in executions if e.status != "SUCCEEDED"]
    if len(enriched) != 2:
        problems.append(f"{len(enriched)} enriched events published, expected one per delivery (2)")
    if original_ids != {event["id"]}:
        problems.append(f"the enriched events carry original ids {original_ids}, not {event['id']}")
    return DuplicateResult(
        "ec2-enrichment", "same-event", "the same EC2 state change delivered twice (at least once, by design)",
        2, len(original_ids), {"enriched": len(enriched), "distinctEnrichedIds": len({e["id"] for e in enriched}),
                               "dedupeKey": "detail.Message.id"}, problems)


def _duplicate_upload(stack: Any, workflow: str) -> DuplicateResult:
    s3 = stack.client("s3")
    ddb = stack.client("dynamodb")
    root = stack.template.root
    if workflow == "image-catalog":
        bucket, table, key_name = (stack.resource("ImageIngestionBucket"), stack.resource("ImageCatalogTable"),
                                   "ImageUri")
        key = f"uploads/duplicate-{uuid.uuid4().hex[:12]}.png"
        body = (root / "workflows/image-catalog/events/demo-beach.png").read_bytes()
        extra: dict[str, Any] = {"Metadata": {"labels": "Beach:97.4,Sea:95.1"}}
    else:
        bucket, table, key_name = (stack.resource("CallRecordingsBucket"), stack.resource("CallResultsTable"),
                                   "RecordingUri")
        key = f"recordings/duplicate-{uuid.uuid4().hex[:12]}.mp3"
        body = (root / "workflows/call-center-analysis/events/recording-en-positive.txt").read_bytes()
        extra = {}
    before = set(stack.executions(workflow))
    for _ in range(2):  # the same object uploaded twice: two Object Created events, two executions
        s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
    executions = _new_executions(stack, workflow, before, 2)
    uri = f"s3://{bucket}/{key}"
    items = [item_of(i) for i in ddb.query(TableName=table, KeyConditionExpression="#k = :u",
                                            ExpressionAttributeNames={"#k": key_name},
                                            ExpressionAttributeValues={":u": {"S": uri}})["Items"]]
    records = [i for i in items if i.get("Entry", "IMAGE") == "IMAGE"]
    problems = [f"an execution ended {e.status}: {e.cause}" for e in executions if e.status != "SUCCEEDED"]
    if len(records) != 1:
        problems.append(f"{len(records)} records for {uri}, expected 1")
    details: dict[str, Any] = {"executions": len(executions), "records": len(records),
                               "status": records[0].get("Status") if records else None}
    if workflow == "image-catalog":
        labels = [i["Label"] for i in items if i.get("Entry", "").startswith("LABEL#")]
        details |= {"processingCount": records[0].get("ProcessingCount") if records else None, "labelEntries": labels}
        if sorted(labels) != ["beach", "sea"]:
            problems.append(f"label entries {labels}, expected one per label")
    description = ("the same image uploaded twice" if workflow == "image-catalog"
                   else "the same recording uploaded twice")
    return DuplicateResult(workflow, "same-upload", description, 2, len(records), details, problems)


def _start_conversation_twice(stack: Any) -> DuplicateResult:
    events, bus = stack.client("events"), stack.resource("ApplicationEventBus")
    phone, appointment = f"+1206{uuid.uuid4().int % 10**7:07d}", f"DUP-{uuid.uuid4().hex[:12]}"
    detail = {"appointmentId": appointment, "customerName": "Duplicate Check", "customerPhone": phone}
    before = set(stack.executions("feedback-conversation"))
    for _ in range(2):  # the AppointmentCompleted event delivered twice
        events.put_events(Entries=[{"Source": "custom.appointments", "DetailType": "AppointmentCompleted",
                                    "Detail": json.dumps(detail), "EventBusName": bus}])
    arns = _new_arns(stack, "feedback-conversation", before, 2)
    question = stack.eventually(lambda: [m for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone],
                                timeout=10, message="no rating question")[0]
    _await_registration(stack, question["MessageId"])
    reply_to(stack, phone, question, "8")
    outcomes = sorted(str((finished(stack, arn).output or {}).get("status")) for arn in arns)
    questions = [m for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone
                 and m["MessageBody"].startswith("Please rate")]
    problems = []
    if outcomes != ["ALREADY_STARTED", "COMPLETED"]:
        problems.append(f"the two executions ended {outcomes}, expected one COMPLETED and one ALREADY_STARTED")
    if len(questions) != 1:
        problems.append(f"{len(questions)} rating questions sent, expected 1")
    return DuplicateResult("feedback-conversation", "same-appointment", "the same AppointmentCompleted event twice",
                           2, outcomes.count("COMPLETED"), {"outcomes": outcomes, "questionsSent": len(questions)},
                           problems)


def _await_registration(stack: Any, message_id: str) -> None:
    ddb, table = stack.client("dynamodb"), stack.resource("FeedbackMessageLookupTable")
    stack.eventually(lambda: ddb.get_item(TableName=table, Key={"MessageId": {"S": message_id}},
                                          ConsistentRead=True).get("Item"),
                     timeout=10, message=f"question {message_id} never registered for replies")


def _reply_twice(stack: Any) -> DuplicateResult:
    phone, appointment = f"+1206{uuid.uuid4().int % 10**7:07d}", f"DUP-{uuid.uuid4().hex[:12]}"
    arn = stack.start("feedback-conversation", {"appointmentId": appointment, "customerName": "Duplicate Check",
                                                 "customerPhone": phone})
    question = stack.eventually(lambda: [m for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone],
                                timeout=10, message="no rating question")[0]
    _await_registration(stack, question["MessageId"])
    inbound = str(uuid.uuid4())
    for _ in range(2):  # SNS delivers the same inbound SMS (same inboundMessageId) twice
        reply_to(stack, phone, question, "8", inbound_id=inbound)
    execution = finished(stack, arn)
    record = item_of(stack.client("dynamodb").get_item(
        TableName=stack.resource("FeedbacksTable"), Key={"AppointmentId": {"S": appointment}},
        ConsistentRead=True).get("Item")) or {}
    replies = record.get("Replies", [])
    sent = [m["MessageBody"] for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone]
    problems = []
    if (execution.status, (execution.output or {}).get("score")) != ("SUCCEEDED", 8):
        problems.append(f"the conversation ended {execution.status} with {execution.output}")
    if [r.get("InboundMessageId") for r in replies] != [inbound]:
        problems.append(f"replies recorded: {[r.get('InboundMessageId') for r in replies]}, expected [{inbound}]")
    if len(sent) != 2:
        problems.append(f"{len(sent)} messages sent (question and thanks expected): {sent}")
    return DuplicateResult("feedback-conversation", "same-reply", "the same inbound SMS delivered twice", 2,
                           len(replies), {"repliesRecorded": len(replies), "messagesSent": len(sent)}, problems)


DUPLICATES: dict[str, Callable[[Any], DuplicateResult]] = {
    "ec2-enrichment:same-event": _duplicate_ec2_event,
    "image-catalog:same-upload": lambda stack: _duplicate_upload(stack, "image-catalog"),
    "call-center-analysis:same-recording": lambda stack: _duplicate_upload(stack, "call-center-analysis"),
    "feedback-conversation:same-appointment": _start_conversation_twice,
    "feedback-conversation:same-reply": _reply_twice,
}


def check_duplicate(stack: Any, name: str) -> DuplicateResult:
    """Deliver one business event twice through its real trigger and count what was applied.

    Parameters
    ----------
    stack
        The running local stack (the trigger rules live).
    name
        A key of :data:`DUPLICATES` (``workflow:what``).

    Returns
    -------
    DuplicateResult
        Deliveries sent, effects applied (records, conversation steps), and what was not as designed.

    """
    return DUPLICATES[name](stack)


# --- triggers and their dead-letter queues ---------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """A rule or pipe that starts a workflow, with its retry policy and dead-letter queue."""

    workflow: str
    name: str
    kind: str
    retry: dict[str, Any] | None
    dead_letter: str | None

    @property
    def id(self) -> str:
        """``workflow:LogicalId``."""
        return f"{self.workflow}:{self.name}"


def _logical_id(value: Any) -> str | None:
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return (target if isinstance(target, list) else str(target).split("."))[0]
    return None


def workflow_triggers(template: Any) -> list[Trigger]:
    """Every EventBridge rule (SAM event or ``AWS::Events::Rule``) and pipe whose target is a workflow."""
    machines = {resource.logical_id: workflow for workflow, resource in template.workflows().items()}
    found: list[Trigger] = []
    for machine, workflow in machines.items():
        for event_name, event in (template.resources[machine].properties.get("Events") or {}).items():
            if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties") or {}
            dlq = props.get("DeadLetterConfig") or {}
            queue = dlq.get("QueueLogicalId") or _logical_id(dlq.get("Arn")) or dlq.get("Arn") or (
                f"{machine}{event_name}Queue" if dlq.get("Type") == "SQS" else None)
            found.append(Trigger(workflow, f"{machine}{event_name}", "rule", props.get("RetryPolicy"), queue))
    for resource in template.of_type("AWS::Events::Rule"):
        if resource.raw.get("Implicit"):
            continue
        for target in resource.properties.get("Targets") or []:
            if _logical_id(target.get("Arn")) in machines:
                dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
                found.append(Trigger(machines[_logical_id(target["Arn"])], resource.logical_id, "rule",
                                     target.get("RetryPolicy"), _logical_id(dlq) or dlq))
    for resource in template.of_type("AWS::Pipes::Pipe"):
        if _logical_id(resource.properties.get("Target")) in machines:
            source = resource.properties.get("SourceParameters") or {}
            stream = source.get("DynamoDBStreamParameters") or source.get("KinesisStreamParameters") or {}
            dlq = (stream.get("DeadLetterConfig") or {}).get("Arn")
            retry = ({"MaximumRetryAttempts": stream["MaximumRetryAttempts"]}
                     if "MaximumRetryAttempts" in stream else None)
            found.append(Trigger(machines[_logical_id(resource.properties["Target"])], resource.logical_id, "pipe",
                                 retry, _logical_id(dlq) or dlq))
    return found


def trigger_gaps(template: Any) -> list[str]:
    """Triggers of a workflow without a bounded retry policy or without a dead-letter queue, one line each."""
    gaps = []
    for trigger in workflow_triggers(template):
        attempts = (trigger.retry or {}).get("MaximumRetryAttempts")
        if attempts is None or int(attempts) < 0:
            gaps.append(f"{trigger.id}: no bounded retry policy (MaximumRetryAttempts)")
        if not trigger.dead_letter:
            gaps.append(f"{trigger.id}: no dead-letter queue: an event it cannot deliver is lost")
    return gaps


@dataclass
class DeadLetterResult:
    """A trigger that could not start its workflow: where the event went."""

    trigger: Trigger
    landed: list[dict[str, Any]]
    started: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """The event is in the dead-letter queue and nothing started."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The report's row."""
        return {"trigger": self.trigger.id, "kind": self.trigger.kind, "deadLetterQueue": self.trigger.dead_letter,
                "retry": self.trigger.retry, "landed": len(self.landed), "started": self.started, "ok": self.ok,
                "problems": self.problems}


def _fire(stack: Any, trigger: Trigger, marker: str) -> None:
    """Make the trigger fire once, as its source would, for an item or object named by ``marker``."""
    root = stack.template.root
    if trigger.workflow == "ec2-enrichment":
        stack.client("events").put_events(Entries=[{
            "Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification",
            "Resources": [f"arn:aws:ec2:us-east-1:123456789012:instance/{marker}"],
            "Detail": json.dumps({"instance-id": marker, "state": "stopped"})}])
    elif trigger.workflow == "image-catalog":
        stack.client("s3").put_object(Bucket=stack.resource("ImageIngestionBucket"), Key=f"uploads/{marker}.png",
                                      Body=(root / "workflows/image-catalog/events/demo-beach.png").read_bytes())
    elif trigger.workflow == "call-center-analysis":
        stack.client("s3").put_object(Bucket=stack.resource("CallRecordingsBucket"), Key=f"recordings/{marker}.mp3",
                                      Body=b"Hello, I am calling about my order.")
    elif trigger.kind == "pipe":
        stack.client("dynamodb").put_item(TableName=stack.resource("FeedbackAppointmentsTable"), Item={
            "AppointmentId": {"S": marker}, "AppointmentStatus": {"S": "COMPLETED"},
            "CustomerName": {"S": "Dead Letter"}, "CustomerPhone": {"S": "+12065550199"}})
    else:
        stack.client("events").put_events(Entries=[{
            "Source": "custom.appointments", "DetailType": "AppointmentCompleted",
            "EventBusName": stack.resource("ApplicationEventBus"),
            "Detail": json.dumps({"appointmentId": marker, "customerName": "Dead Letter",
                                  "customerPhone": "+12065550199"})}])


def _queue_url(stack: Any, dead_letter: str) -> str:
    if dead_letter.startswith("arn:"):
        return stack.client("sqs").get_queue_url(QueueName=dead_letter.split(":")[5])["QueueUrl"]
    return stack.resource(dead_letter)


def _drain(stack: Any, url: str) -> list[dict[str, Any]]:
    sqs, out = stack.client("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            return out
        for message in batch:
            attributes = message.get("MessageAttributes", {})
            out.append({"body": json.loads(message["Body"]),
                        "attributes": {k: v.get("StringValue") for k, v in attributes.items()}})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@contextlib.contextmanager
def _pointed_at(stack: Any, trigger: Trigger, arn: str) -> Iterator[None]:
    """The trigger's target replaced by ``arn`` for the duration (as an update of the rule or pipe would)."""
    if trigger.kind == "rule":
        events, rule = stack.client("events"), stack.resource(trigger.name)
        bus = _rule_bus(stack, rule)
        [target] = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{**target, "Arn": arn}])
        try:
            yield
        finally:
            events.put_targets(Rule=rule, EventBusName=bus, Targets=[target])
    else:
        pipe = next(p for p in stack.provisioner.pipes if p.name == stack.resource(trigger.name))
        original, pipe.target = pipe.target, arn
        log = logging.getLogger("local.pipes")
        level, log.level = log.level, logging.ERROR  # the failed start is expected here
        try:
            yield
        finally:
            pipe.target, log.level = original, level


def _dead_letter_problems(stack: Any, trigger: Trigger, landed: list[dict[str, Any]], marker: str,
                          missing: str) -> list[str]:
    if len(landed) != 1:
        return [f"{len(landed)} messages in {trigger.dead_letter}, expected 1"]
    body, attributes = landed[0]["body"], landed[0]["attributes"]
    if trigger.kind == "pipe":  # a stream source's dead letter describes the batch; the record stays in the stream
        info = body.get("DDBStreamBatchInfo", {})
        if body.get("context", {}).get("condition") != "RetryAttemptsExhausted" or not info.get("streamArn"):
            return [f"the dead letter does not describe the failed batch: {body}"]
        return []
    problems = []
    if marker not in json.dumps(body):
        problems.append(f"the dead letter is not the event that failed: {_short(json.dumps(body))}")
    if attributes.get("TARGET_ARN") != missing or not attributes.get("RULE_ARN", "").endswith(
            stack.resource(trigger.name)):
        problems.append(f"the dead letter does not name the rule and the target: {attributes}")
    return problems


def undeliverable_trigger(stack: Any, trigger: Trigger) -> DeadLetterResult:
    """Fire a trigger whose target state machine does not exist: the event must land in its dead-letter queue.

    The target is pointed at a missing state machine, the trigger fires once as its source would, and the
    target is restored once the dead letter has arrived (after the trigger's retries). Nothing may start.

    Parameters
    ----------
    stack
        The running local stack.
    trigger
        One of :func:`workflow_triggers`.

    Returns
    -------
    DeadLetterResult
        The messages found in the dead-letter queue and the executions started (none expected).

    """
    ec2 = trigger.workflow == "ec2-enrichment"
    marker = f"i-{uuid.uuid4().hex[:17]}" if ec2 else f"dlq-{uuid.uuid4().hex[:12]}"
    url = _queue_url(stack, trigger.dead_letter) if trigger.dead_letter else None
    if url:
        _drain(stack, url)
    before = set(stack.executions(trigger.workflow))
    missing = stack.state_machine_arn(trigger.workflow) + "Deleted"
    landed: list[dict[str, Any]] = []
    with _pointed_at(stack, trigger, missing):
        _fire(stack, trigger, marker)
        if url:
            landed = stack.eventually(lambda: _drain(stack, url), timeout=10, message="nothing dead-lettered")
    started = [arn for arn in stack.executions(trigger.workflow) if arn not in before]
    problems = _dead_letter_problems(stack, trigger, landed, marker, missing)
    if started:
        problems.append(f"{len(started)} executions started although the target was missing")
    return DeadLetterResult(trigger, landed, len(started), problems)


def _rule_bus(stack: Any, rule: str) -> str:
    events = stack.client("events")
    for bus in ["default", *[b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default"]]:
        if any(r["Name"] == rule for r in events.list_rules(EventBusName=bus, NamePrefix=rule)["Rules"]):
            return bus
    raise KeyError(f"rule {rule} is on no event bus")


# --- the report ------------------------------------------------------------------------------------------------


def reliability_figures(stack: Any, workflows: Iterable[str] | None = None, examples: int = 100) -> dict[str, Any]:
    """Run the fault matrix, the bad inputs, the duplicate checks and the trigger checks.

    Parameters
    ----------
    stack
        The running local stack.
    workflows
        Only these workflows (default: every workflow of the template).
    examples
        Bad inputs per workflow.

    Returns
    -------
    dict
        ``faults``, ``badInput``, ``duplicates`` and ``triggers`` figures, with one row per case (JSON-ready).

    """
    chosen = [w for w in WORKFLOWS if w in stack.workflows() and (not workflows or w in workflows)]
    began = time.monotonic()
    with FaultMatrix(stack) as matrix:
        faults = matrix.run_all(fault_cases(chosen, stack.template.root))
    fault_seconds = time.monotonic() - began
    began = time.monotonic()
    bad = [run_bad_inputs(stack, workflow, examples) for workflow in chosen]
    bad_seconds = time.monotonic() - began
    duplicates = [check_duplicate(stack, name) for name in DUPLICATES if name.split(":")[0] in chosen]
    triggers = [t for t in workflow_triggers(stack.template) if t.workflow in chosen]
    gaps = trigger_gaps(stack.template)
    dead_letters = [undeliverable_trigger(stack, trigger) for trigger in triggers if trigger.dead_letter]
    by_workflow = {}
    for workflow in chosen:
        rows = [r for r in faults if r.case.workflow == workflow]
        by_workflow[workflow] = {
            "states": len({r.case.state for r in rows}), "pairs": len(rows), "designed": sum(r.designed for r in rows),
            "transient": sum(r.case.error.transient for r in rows),
            "permanent": sum(not r.case.error.transient for r in rows)}
    return {
        "workflows": chosen,
        "faults": {"pairs": len(faults), "designed": sum(r.designed for r in faults),
                   "states": len({(r.case.workflow, r.case.state) for r in faults}),
                   "seconds": round(fault_seconds, 1), "byWorkflow": by_workflow,
                   "cases": [r.to_json() for r in faults]},
        "badInput": {"tried": sum(f.tried for f in bad), "handled": sum(f.handled for f in bad),
                     "examplesPerWorkflow": examples, "seconds": round(bad_seconds, 1),
                     "byWorkflow": {f.workflow: f.to_json() for f in bad}},
        "duplicates": {"checks": len(duplicates), "sent": sum(d.sent for d in duplicates),
                       "applied": sum(d.applied for d in duplicates), "ok": sum(d.ok for d in duplicates),
                       "rows": [d.to_json() for d in duplicates]},
        "triggers": {"count": len(triggers), "guarded": len(triggers) - len({g.split(':')[1] for g in gaps}),
                     "gaps": gaps, "deadLettered": sum(d.ok for d in dead_letters),
                     "rows": [d.to_json() for d in dead_letters]},
    }


def all_handled(figures: dict[str, Any]) -> bool:
    """Every fault ended as designed, every bad input was refused, every duplicate applied once, no trigger gap."""
    faults, bad, duplicates, triggers = (figures[k] for k in ("faults", "badInput", "duplicates", "triggers"))
    return (faults["designed"] == faults["pairs"] and bad["handled"] == bad["tried"]
            and duplicates["ok"] == duplicates["checks"] and not triggers["gaps"]
            and triggers["deadLettered"] == triggers["count"])


def format_report(figures: dict[str, Any]) -> str:
    """The figures as text."""
    faults, bad, duplicates, triggers = (figures[k] for k in ("faults", "badInput", "duplicates", "triggers"))
    lines = [f"Reliability of {len(figures['workflows'])} workflows", "",
             f"Fault injection: {faults['pairs']} (Task state, error class) pairs over {faults['states']} Task "
             f"states; {faults['designed']} ended as designed ({faults['seconds']} s)",
             f"  {'workflow':<24}{'states':>7}{'pairs':>7}{'designed':>10}{'transient':>11}{'permanent':>11}"]
    for workflow, row in faults["byWorkflow"].items():
        lines.append(f"  {workflow:<24}{row['states']:>7}{row['pairs']:>7}{row['designed']:>10}"
                     f"{row['transient']:>11}{row['permanent']:>11}")
    lines += [f"  ✗ {c['workflow']}:{c['state']}:{c['kind']}: {'; '.join(c['problems'])}"
              for c in faults["cases"] if not c["designed"]]
    lines += ["  transient = throttling and server errors thrown twice, then answered: retried, the business "
              "outcome unchanged;", "  permanent = access denied, validation, timeouts: the designed, recorded "
              "failure outcome.", "",
              f"Bad input: {bad['tried']} generated inputs ({bad['examplesPerWorkflow']} drawn per workflow with a "
              "fixed seed, and one of each kind); "
              f"{bad['handled']} failed at once with the workflow's error naming the field ({bad['seconds']} s)"]
    for workflow, row in bad["byWorkflow"].items():
        lines.append(f"  {workflow:<24}{row['tried']:>5} tried {row['handled']:>5} handled")
        lines += [f"    ✗ {failure}" for failure in row["failures"]]
    lines += ["", f"Duplicates: {duplicates['checks']} triggers delivered twice ({duplicates['sent']} deliveries); "
                  f"{duplicates['applied']} applied"]
    for row in duplicates["rows"]:
        mark = "✓" if row["ok"] else "✗"
        lines.append(f"  {mark} {row['workflow']:<24} {row['description']}: sent {row['sent']}, applied "
                     f"{row['applied']}  {json.dumps(row['details'])}")
        lines += [f"      {problem}" for problem in row["problems"]]
    lines += ["", f"Triggers: {triggers['count']} rules and pipes start the workflows; {triggers['guarded']} with a "
                  f"retry policy and a dead-letter queue; {triggers['deadLettered']} of {triggers['count']} "
                  "undeliverable triggers landed in their queue"]
    lines += [f"  ✗ {gap}" for gap in triggers["gaps"]]
    for row in triggers["rows"]:
        mark = "✓" if row["ok"] else "✗"
        lines.append(f"  {mark} {row['trigger']:<78} → {row['deadLetterQueue']}")
        lines += [f"      {problem}" for problem in row["problems"]]
    return "\n".join(lines)


def run_report(args: Any) -> int:
    """``python -m local report reliability``: print the figures (and write them as JSON); 0 when all held."""
    from local.cli import launch_stack, write_figures

    try:
        import hypothesis  # noqa: F401 - a dev dependency
    except ImportError:
        print("error: the reliability report needs the dev dependencies: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", message="The recursion limit will not be reset")
    os.environ.setdefault("LOCAL_FUNCTION_LOG_LEVEL", "WARNING")  # the Lambda functions' logs are not figures
    with launch_stack(args) as stack:
        figures = reliability_figures(stack, args.only, args.examples)
    print(format_report(figures))
    write_figures(args.json, figures)
    return 0 if all_handled(figures) else 1
