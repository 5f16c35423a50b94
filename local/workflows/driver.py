"""What a workflow's driver is: how the local tools trigger, demo, measure and break one workflow.

Each workflow has one driver, ``local/workflows/<name>.py`` (``ec2-enrichment`` → ``ec2_enrichment.py``),
defining ``DRIVER``, an instance of a :class:`Driver` subclass. Everything a tool needs to know about the
workflow and cannot read from the template or the definition is there:

==========================  ====================================================================  ===========
What                        Driver member                                                         Used by
==========================  ====================================================================  ===========
its triggers, fired once    :meth:`Driver.fire` (and :meth:`Driver.marker`)                       reliability
the demo's story            :attr:`Driver.demo_title`, :meth:`Driver.play_demo`                    demo
business paths              :meth:`Driver.journeys`                                                bench, cost
fault harness               :attr:`Driver.harness` (a :class:`~local.workflows.harness.Harness`)    reliability
input contract              :attr:`Driver.input_contract`                                         reliability
duplicate checks            :meth:`Driver.duplicates`                                             reliability
what it publishes           :attr:`Driver.published_sources`, :attr:`Driver.published_topics`       reliability
how to answer a task token  :meth:`Driver.answer_hint`                                            run
==========================  ====================================================================  ===========

A member left at its default is an aspect the driver does not provide: the tool says ``skipped: <why>``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from local.engine import executions
from local.paths import WorkflowFiles
from local.stack.stack import Execution, Stack
from local.stack.triggers import Trigger
from local.workflows.contracts import DuplicateResult, InputContract
from local.workflows.harness import Harness

#: Real seconds the demo waits for each thing a trigger causes.
DEMO_TIMEOUT = 30.0


class NotProvided(NotImplementedError):
    """The driver does not provide this aspect: the tool reports it as skipped, with this reason."""


# --- bench and cost ------------------------------------------------------------------------------------------


@dataclass
class Journey:
    """One business path through a workflow, runnable again and again on a local stack (bench, cost).

    ``make_input`` makes a fresh console input per execution; ``drive`` plays the people the execution waits
    for (a customer answering text messages); ``main`` marks the path ``bench`` measures.
    """

    workflow: str
    name: str
    make_input: Callable[[], Any]
    drive: Callable[[str, Any], None] | None = None
    main: bool = False

    def run(self, stack: Stack, timeout: float = 30.0) -> str:
        """One execution, driven to its end; returns its ARN (it must have SUCCEEDED)."""
        payload = self.make_input()
        arn = stack.start(self.workflow, payload)
        if self.drive:
            self.drive(arn, payload)
        if not executions.wait_for_end(arn, timeout):
            raise TimeoutError(f"{self.workflow} ({self.name}): still running after {timeout}s")
        status = stack.client("stepfunctions").describe_execution(executionArn=arn)
        if status["status"] != "SUCCEEDED":
            raise RuntimeError(f"{self.workflow} ({self.name}) ended {status['status']}: {status.get('cause')}")
        return arn


# --- the demo ------------------------------------------------------------------------------------------------


class DemoFailure(Exception):
    """A demo did not end as its workflow's demo file says."""


@dataclass
class DemoOutcome:
    """What one demo did: its trigger, the executions it caused and how they ended."""

    workflow: str
    trigger: str = ""
    executions: list[Execution] = field(default_factory=list)
    result: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the demo ended as its demo file says."""
        return not self.problems

    def expect(self, what: str, actual: Any, expected: Any) -> None:
        """Note a problem when ``actual`` is not ``expected``."""
        if actual != expected:
            self.problems.append(f"{what}: expected {expected!r}, got {actual!r}")


def started_by_trigger(stack: Stack, workflow: str, known: set[str], matches: Callable[[Any], bool],
                       timeout: float = DEMO_TIMEOUT) -> Execution:
    """Wait for the execution a trigger started (one not in ``known`` whose input ``matches``) to end."""

    def find() -> str | None:
        for arn in stack.executions(workflow):
            if arn not in known and matches(stack.execution(arn).input):
                return arn
        return None

    arn = stack.eventually(find, timeout=timeout, message=f"the trigger started no {workflow} execution")
    return stack.wait(arn, timeout=timeout)


def play_uploads(stack: Stack, workflow: str, files: WorkflowFiles, bucket: str, outcome: DemoOutcome,
                 unique_key: Callable[[str], str], put_args: Callable[[dict[str, Any]], dict[str, Any]],
                 ) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Upload each file of the workflow's ``events/demo-uploads.json`` and wait for the execution it starts.

    Each upload goes to ``bucket`` under ``unique_key(its key)`` with ``put_args(upload)`` (content type,
    metadata…); the execution its S3 event starts is added to ``outcome``. Yields the key, the execution's output
    and what the upload expects, one upload at a time.
    """
    s3, known = stack.client("s3"), set(stack.executions(workflow))
    for upload in files.read_event("demo-uploads.json")["uploads"]:
        key = unique_key(upload["key"])
        s3.put_object(Bucket=bucket, Key=key, Body=files.event(upload["file"]).read_bytes(), **put_args(upload))
        execution = started_by_trigger(stack, workflow, known, lambda i, k=key: (i or {}).get("key") == k)
        outcome.executions.append(execution)
        yield key, execution.output or {}, upload["expected"]


# --- the driver ------------------------------------------------------------------------------------------------


class Driver:
    """How the local tools play one workflow. Subclass it in ``local/workflows/<name>.py`` as ``DRIVER``."""

    #: The workflow's folder name under ``workflows/``.
    name: ClassVar[str] = ""
    #: The demo's story in a few words ("an EC2 instance with a Name tag stops"); empty: no demo.
    demo_title: ClassVar[str] = ""
    #: The fault harness; None: the workflow is not put under faults.
    harness: ClassVar[type[Harness] | None] = None
    #: What the workflow checks of its input; None: no bad inputs are generated.
    input_contract: ClassVar[InputContract | None] = None
    #: Sources of the events it puts on ``ApplicationEventBus``, and topics (logical ids) it publishes to.
    published_sources: ClassVar[tuple[str, ...]] = ()
    published_topics: ClassVar[tuple[str, ...]] = ()

    def files(self, stack: Stack) -> WorkflowFiles:
        """The workflow's folder in the stack's project."""
        return WorkflowFiles(self.name, stack.template.root)

    def play_demo(self, stack: Stack, outcome: DemoOutcome) -> None:
        """Play the demo: trigger the workflow as AWS would, fill ``outcome``; raise :class:`DemoFailure`."""
        raise NotProvided("its driver has no demo (demo_title, play_demo)")

    def journeys(self, stack: Stack) -> list[Journey]:
        """Its business paths for ``bench`` and ``cost`` (one marked ``main``); none by default."""
        return []

    def duplicates(self) -> dict[str, Callable[[Stack], DuplicateResult]]:
        """Duplicate checks by name (``<workflow>:<what>``); none by default."""
        return {}

    def marker(self) -> str:
        """A fresh identifier for a trigger fired by :meth:`fire` (an object key, an id in the event)."""
        return f"dlq-{uuid.uuid4().hex[:12]}"

    def fire(self, stack: Stack, trigger: Trigger, marker: str) -> None:
        """Make ``trigger`` fire once, as its source would, for an object or item named by ``marker``."""
        raise NotProvided(f"its driver cannot fire {trigger.name} (fire)")

    def answer_hint(self, state: str) -> str | None:
        """How a person or system answers the task token ``state`` waits for (``run`` prints it), if known."""
        return None


def put_event(stack: Stack, source: str, detail_type: str, detail: dict[str, Any], bus: str | None = None,
              resources: list[str] | None = None) -> None:
    """Put one event on a bus (the default bus unless ``bus``), as its producer would."""
    entry: dict[str, Any] = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    if bus:
        entry["EventBusName"] = bus
    if resources:
        entry["Resources"] = resources
    response = stack.client("events").put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"PutEvents refused the event: {response['Entries']}")
