"""What a workflow's fault harness is made of: scenarios, targets, runs, expected outcomes.

``report reliability`` and ``tests/reliability/`` put every Task state of a workflow under faults
(:mod:`local.reliability.faults`). What only the workflow knows — which business scenario reaches each Task
state, how to prepare one execution of it, how to read its business outcome, and how it is designed to end
when a state fails for good — is its driver's :class:`Harness` (``local/workflows/<name>.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from local.paths import PROJECT_ROOT, workflow_files
from local.stack.stack import Execution, Inbox, Stack

TRANSIENT_KINDS = ("throttling", "server-error")
#: Invocations of a state that throw in a permanent case (every attempt of every Map item).
PERSISTENT_THROWS = 40
#: Attempts that throw in a transient case before the state's normal answer.
TRANSIENT_THROWS = 2


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


# --- the definitions ---------------------------------------------------------------------------------------------


def definition(workflow: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The workflow's ``statemachine.asl.json``."""
    return workflow_files(workflow, root).read_definition()


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


def short(value: Any, limit: int = 300) -> Any:
    """A long string cut to ``limit`` characters (for messages)."""
    return value[:limit] + "…" if isinstance(value, str) and len(value) > limit else value


def differences(expected: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """What in ``observed`` is not as ``expected`` says, one line per key."""
    problems = []
    for key, want in expected.items():
        got = observed.get(key)
        if not (want.test(got) if isinstance(want, Match) else got == want):
            problems.append(f"{key}: expected {want!r}, got {short(got)!r}")
    return problems


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


def finished(stack: Stack, arn: str, timeout: float = 30.0) -> Execution:
    """Wait (bounded, real seconds) for the execution to end."""
    return stack.wait(arn, timeout)


def new_name() -> str:
    """A fresh execution name for a reliability run."""
    return f"rel-{uuid.uuid4().hex}"


class Probe(Inbox):
    """A queue that catches what the workflows publish: events on the application bus, messages on topics.

    ``sources``: event sources on ``ApplicationEventBus``; ``topics``: logical ids of topics. What each
    workflow publishes is in its driver (``published_sources``, ``published_topics``).
    """

    def __init__(self, stack: Stack, sources: Iterable[str] = (), topics: Iterable[str] = ()) -> None:
        super().__init__(stack)
        sources = sorted(set(sources))
        if sources and "ApplicationEventBus" in stack.template.resources:
            self.listen(stack.resource("ApplicationEventBus"), {"source": sources})
        for topic in sorted(set(topics)):
            if topic in stack.template.resources:
                self.subscribe(stack.resource(topic))

    def events(self, source: str) -> list[dict[str, Any]]:
        """Bus events of ``source``."""
        return [m for m in self.messages() if m.get("source") == source]

    def notifications(self) -> list[dict[str, Any]]:
        """SNS notifications (envelopes with ``Message``)."""
        return [m for m in self.messages() if m.get("Type") == "Notification"]


# --- scenarios and targets -----------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A business path that reaches some Task states, and how it ends without faults."""

    name: str
    description: str
    normal: dict[str, Any]
    #: MockedResponses of states the scenario itself mocks (an opted-out number, a reply that never comes).
    mocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Conversations: the person's replies, ``(question stage, text)``, in order.
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


class Matrix(Protocol):
    """What a harness uses of the fault matrix running it."""

    stack: Stack
    probe: Probe


class Harness:
    """One workflow under faults: its scenarios, where each Task state is reached, and its outcomes."""

    workflow = ""
    scenarios: dict[str, Scenario] = {}
    targets: dict[str, Target] = {}

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.stack = matrix.stack
        self.machine = self.stack.template.state_machine_for_workflow(self.workflow).logical_id
        self.enclosing = enclosing_states(definition(self.workflow, self.stack.template.root)["States"])

    @property
    def probe(self) -> Probe:
        """What the workflows published during the matrix."""
        return self.matrix.probe

    def prepare(self, scenario: Scenario) -> Run:
        """Create what one execution of the scenario needs (an instance, an object, a customer)."""
        raise NotImplementedError

    def drive(self, run: Run, arn: str, answered_by_mocks: set[str]) -> None:
        """Play the people the execution waits for (nothing by default)."""

    def summary(self, run: Run, execution: Execution) -> dict[str, Any]:
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

    def wait(self, arn: str) -> Execution:
        """Wait for the end of the execution (bounded)."""
        return finished(self.stack, arn)
