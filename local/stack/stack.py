"""The local stack: ``template.yaml`` provisioned on the embedded engine, and the calls tests and tools use.

>>> with Stack.launch() as stack:
...     execution = stack.run("ec2-enrichment", input=event, case="HappyPath")
...     execution.status, execution.states

Only one stack runs per process: moto's services are process-wide.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from local import emulation
from local.engine import executions, fast_paths, sdk
from local.engine.clock import CLOCK, VirtualClock
from local.engine.mock_config import MockConfig, MockConfigError
from local.paths import PROJECT_ROOT, WorkflowFiles, mock_config_files
from local.stack.provision import Provisioner, resource_map
from local.stack.template import ACCOUNT_ID, REGION, Template
from local.stack.triggers import workflow_triggers

T = TypeVar("T")

_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_TASK_ENDS = {"TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskSubmitFailed", "TaskStartFailed"}


class Inbox:
    """A queue fed by a topic subscription or a bus rule: what a subscriber or an event consumer receives.

    Make one with :meth:`Stack.inbox` (a topic) or :meth:`Stack.listen` (a bus and an event pattern).
    """

    def __init__(self, stack: Stack) -> None:
        self.stack, self.received = stack, []
        self._undo: list[Callable[[], Any]] = []
        sqs = stack.client("sqs")
        self.queue_url = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        self._undo.append(lambda: sqs.delete_queue(QueueUrl=self.queue_url))
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url,
                                                  AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def subscribe(self, topic_arn: str) -> Inbox:
        """Receive what ``topic_arn`` publishes (SNS envelopes)."""
        sns = self.stack.client("sns")
        subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=self.queue_arn)["SubscriptionArn"]
        self._undo.append(lambda: sns.unsubscribe(SubscriptionArn=subscription))
        return self

    def listen(self, bus: str, pattern: dict[str, Any]) -> Inbox:
        """Receive the events put on ``bus`` that match ``pattern``, through a rule of its own."""
        events, rule = self.stack.client("events"), f"inbox-{uuid.uuid4().hex[:12]}"
        events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "inbox", "Arn": self.queue_arn}])
        self._undo += [lambda: events.delete_rule(Name=rule, EventBusName=bus),  # undone last to first
                       lambda: events.remove_targets(Rule=rule, EventBusName=bus, Ids=["inbox"])]
        return self

    def messages(self) -> list[dict[str, Any]]:
        """Everything received so far, oldest first: SNS envelopes or EventBridge events, as JSON."""
        self.received += [json.loads(m["Body"]) for m in self.stack.drain(self.queue_url)]
        return list(self.received)

    def close(self) -> None:
        """Remove the subscription or rule, then the queue."""
        for undo in reversed(self._undo):
            undo()


def billed_transitions(history: list[dict[str, Any]]) -> int:
    """Transitions Step Functions bills for an execution: every state entered, and every retry of a task."""
    entered = sum(1 for e in history if e["type"].endswith("StateEntered"))
    scheduled = sum(1 for e in history if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled"))
    task_states = sum(1 for e in history if e["type"] == "TaskStateEntered")
    return entered + max(0, scheduled - task_states)


@dataclass
class Execution:
    """What one execution did: its end state, its output and the path it took."""

    arn: str
    status: str
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def states(self) -> list[str]:
        """Names of the states entered, in order (a state entered twice appears twice)."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if event["type"].endswith("StateEntered") and "stateEnteredEventDetails" in event
        ]

    @property
    def transitions(self) -> int:
        """State transitions, as Step Functions bills them for Standard workflows (retries included)."""
        return billed_transitions(self.history)

    def task_failures(self, state: str) -> list[str]:
        """Error names of the failed or timed-out attempts of ``state``, in order (one per attempt).

        Each TaskFailed is traced back through ``previousEventId`` to the TaskStateEntered it belongs to, which
        also works for the interleaved events of Parallel branches and Map iterations.
        """
        by_id = {event["id"]: event for event in self.history}
        errors = []
        for event in self.history:
            if event["type"] not in ("TaskFailed", "TaskTimedOut"):
                continue
            cursor = event
            while cursor and cursor["type"] != "TaskStateEntered":
                cursor = by_id.get(cursor.get("previousEventId"))
            if cursor and cursor["stateEnteredEventDetails"]["name"] == state:
                details = event.get("taskFailedEventDetails") or event.get("taskTimedOutEventDetails") or {}
                errors.append(details.get("error") or "States.Timeout")
        return errors

    def token_waits(self) -> list[str]:
        """The states waiting for a task token now: a ``.waitForTaskToken`` task scheduled and not yet answered.

        Each TaskSucceeded, TaskFailed or TaskTimedOut is traced back through ``previousEventId`` to the
        TaskScheduled it answers (so Parallel branches and Map iterations are told apart).
        """
        by_id = {event["id"]: event for event in self.history}

        def back_to(event: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
            while event is not None and event["type"] != kind:
                event = by_id.get(event.get("previousEventId"))
            return event

        waiting: dict[int, dict[str, Any]] = {}
        for event in self.history:
            details = event.get("taskScheduledEventDetails") or {}
            if event["type"] == "TaskScheduled" and str(details.get("resource", "")).endswith(".waitForTaskToken"):
                waiting[event["id"]] = event
            elif event["type"] in _TASK_ENDS and (scheduled := back_to(event, "TaskScheduled")) is not None:
                waiting.pop(scheduled["id"], None)
        states = []
        for event in waiting.values():
            entered = back_to(event, "TaskStateEntered")
            if entered is not None:
                states.append(entered["stateEnteredEventDetails"]["name"])
        return states

    def to_json(self) -> dict[str, Any]:
        """The ``run --json`` shape."""
        return {
            "status": self.status, "output": self.output, "error": self.error, "cause": self.cause,
            "states": self.states, "transitions": self.transitions, "executionArn": self.arn,
        }


def default_mock_config_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every workflow's ``mock-config.json``, merged into one MockConfigFile by default."""
    return mock_config_files(root)


class Stack:
    """``template.yaml`` running on the embedded engine."""

    _active: Stack | None = None

    def __init__(self, template: Template, mock_config: MockConfig | None, clock: VirtualClock = CLOCK) -> None:
        self.template = template
        self.mock_config = mock_config
        self.clock = clock
        self.provisioner = Provisioner(template)
        self._mock: Any = None  # moto's mock_aws while running

    # --- life cycle ------------------------------------------------------------------------------------------

    @classmethod
    def launch(
        cls,
        template: Path | str = PROJECT_ROOT / "template.yaml",
        mock_config: Path | str | MockConfig | None = None,
        parameters: dict[str, str] | None = None,
        time_scale: float | None = None,
    ) -> Stack:
        """Provision ``template`` on a fresh embedded engine.

        ``mock_config``: a MockConfigFile path or object; by default ``SFN_MOCK_CONFIG`` if set, else every
        workflow's ``mock-config.json`` merged. ``time_scale``: real seconds per workflow second for Wait
        states and retries (default 0: instant; ``SFN_WAIT_TIME_SCALE`` overrides).
        """
        if cls._active is not None:
            raise RuntimeError("a local stack is already running in this process; stop it first")
        from moto import mock_aws

        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "local")
        emulation.apply()
        if isinstance(mock_config, str | Path):
            config = MockConfig.from_files([Path(mock_config)])
        elif isinstance(mock_config, MockConfig):
            config = mock_config
        elif os.environ.get("SFN_MOCK_CONFIG"):
            config = MockConfig.from_files([Path(os.environ["SFN_MOCK_CONFIG"])])
        else:
            config = MockConfig.from_files(default_mock_config_files(Path(template).resolve().parent))
        scale = time_scale if time_scale is not None else float(os.environ.get("SFN_WAIT_TIME_SCALE", "0"))
        parsed = Template(template, parameters)
        # A test case naming a state machine or state that does not exist would silently never be used.
        unknown = config.unknown_references(parsed.state_names())
        if unknown:
            raise MockConfigError("; ".join(unknown))
        CLOCK.scale = scale
        stack = cls(parsed, config)
        executions.mock_config = config
        stack._mock = mock_aws(config={
            "stepfunctions": {"execute_state_machine": True},
            "lambda": {"use_docker": False},
            "core": {"mock_credentials": True, "passthrough": {"urls": [], "services": []},
                     "reset_boto3_session": True, "service_whitelist": None},
        })
        stack._mock.start()
        cls._active = stack
        try:
            stack.provisioner.provision()
        except BaseException:
            stack.stop()
            raise
        fast_paths.freeze_long_lived_objects()  # out of the garbage collector's full passes: see there
        return stack

    def stop(self) -> None:
        """Tear the engine down (running executions are abandoned)."""
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        emulation.reset()
        Stack._active = None

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- resources ---------------------------------------------------------------------------------------------

    @property
    def resources(self) -> dict[str, str]:
        """Every logical id of the template → its ``!Ref`` value locally."""
        return resource_map(self.template)

    def resource(self, logical_id: str, attribute: str | None = None) -> str:
        """The ``!Ref`` (or ``!GetAtt``) value of a template resource."""
        if attribute:
            return self.template.get_att(logical_id, attribute)
        if logical_id not in self.template.resources:
            raise KeyError(f"{logical_id} is not a resource of {self.template.path.name}")
        return self.template.resources[logical_id].ref

    def client(self, service: str) -> Any:
        """A boto3 client bound to this stack."""
        return sdk.sdk_client(service, REGION)

    @property
    def sent_sms(self) -> list[dict[str, Any]]:
        """Messages the End User Messaging SMS stand-in has 'sent', oldest first."""
        from local.standins.sms import OUTBOX

        return OUTBOX

    @property
    def sent_emails(self) -> list[dict[str, Any]]:
        """E-mails the embedded SES accepted, oldest first: ``source``, ``to``, ``subject``, ``body``."""
        from moto.ses.models import ses_backends

        return [
            {"source": m.source, "to": list((m.destinations or {}).get("ToAddresses", [])),
             "subject": m.subject, "body": m.body}
            for m in ses_backends[ACCOUNT_ID][REGION].sent_messages
        ]

    @property
    def email_subscriptions(self) -> list[dict[str, str]]:
        """E-mail subscriptions of the template's topics (recorded, not sent)."""
        return self.provisioner.email_subscriptions

    def inbox(self, topic_arn: str) -> Inbox:
        """Subscribe a fresh queue to ``topic_arn``; read what arrives with :meth:`Inbox.messages`."""
        return Inbox(self).subscribe(topic_arn)

    def listen(self, bus: str, pattern: dict[str, Any]) -> Inbox:
        """Route the events on ``bus`` matching ``pattern`` to a fresh queue; read them with :meth:`Inbox.messages`."""
        return Inbox(self).listen(bus, pattern)

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Receive and delete every message waiting in a queue, with its attributes."""
        sqs, out = self.client("sqs"), []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                              MessageAttributeNames=["All"]).get("Messages", []):
            for message in messages:
                out.append(message)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return out

    @contextlib.contextmanager
    def paused(self, workflow: str) -> Iterator[None]:
        """The workflow's triggers quiet for the duration: its rules disabled, its pipes stopped.

        Events and stream records arriving meanwhile start nothing (locally they are dropped, not kept for
        later), so what a test or a seed creates in a bucket or table does not start the workflow.
        """
        triggers = [t for t in workflow_triggers(self.template) if t.workflow == workflow]
        events, rules = self.client("events"), []
        for trigger in triggers:
            if trigger.kind == "rule":
                name = self.resource(trigger.name)
                rules.append((name, self._bus_of(name)))
                events.disable_rule(Name=name, EventBusName=rules[-1][1])
        pipes = [p for t in triggers if t.kind == "pipe" for p in self.provisioner.pipes
                 if p.name == self.resource(t.name)]
        for pipe in pipes:
            pipe.running = False
        try:
            yield
        finally:
            for name, bus in rules:
                events.enable_rule(Name=name, EventBusName=bus)
            for pipe in pipes:
                pipe.running = True

    def _bus_of(self, rule: str) -> str:
        events = self.client("events")
        for bus in ["default", *[b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default"]]:
            if any(r["Name"] == rule for r in events.list_rules(EventBusName=bus, NamePrefix=rule)["Rules"]):
                return bus
        raise KeyError(f"rule {rule} is on no event bus")

    def seed(self, workflow: str) -> list[str]:
        """Create what the workflow's console inputs refer to, from ``events/seed.json`` in its folder.

        The file lists ``objects`` (``bucket`` logical id, ``key``, ``file`` in ``events/``, optional
        ``contentType``, ``contentLanguage``, ``metadata``) and ``items`` (``table`` logical id, ``item`` as plain
        JSON). They are created with the workflow's triggers :meth:`paused`, so seeding starts nothing. Returns
        what was created (``s3://…`` URIs and ``table: key`` lines); nothing when the file does not exist.
        """
        from boto3.dynamodb.types import TypeSerializer

        files = WorkflowFiles(workflow, self.template.root)
        path = files.event("seed.json")
        if not path.is_file():
            return []
        seed = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        created = []
        with self.paused(workflow):
            for entry in seed.get("objects", []):
                bucket = self.resource(entry["bucket"])
                extra = {name: entry[key] for key, name in (("contentType", "ContentType"),
                                                            ("contentLanguage", "ContentLanguage"),
                                                            ("metadata", "Metadata")) if key in entry}
                self.client("s3").put_object(Bucket=bucket, Key=entry["key"],
                                             Body=files.event(entry["file"]).read_bytes(), **extra)
                created.append(f"s3://{bucket}/{entry['key']}")
            for entry in seed.get("items", []):
                table = self.resource(entry["table"])
                item = {name: TypeSerializer().serialize(value) for name, value in entry["item"].items()}
                self.client("dynamodb").put_item(TableName=table, Item=item)
                created.append(f"{table}: {json.dumps(entry['item'], default=str)[:80]}")
        return created

    def workflows(self) -> list[str]:
        """Workflow folder names with a state machine in the template."""
        return sorted(self.template.workflows())

    def state_machine_arn(self, workflow: str) -> str:
        """ARN of the workflow's state machine."""
        return self.template.state_machine_for_workflow(workflow).ref

    # --- executions ----------------------------------------------------------------------------------------------

    def start(self, workflow: str, input: Any = None, case: str | None = None, name: str | None = None) -> str:
        """Start an execution (``case``: a MockConfigFile test case); returns its ARN."""
        arn = self.state_machine_arn(workflow) + (f"#{case}" if case else "")
        args: dict[str, Any] = {"stateMachineArn": arn, "input": json.dumps({} if input is None else input)}
        if name:
            args["name"] = name
        return self.client("stepfunctions").start_execution(**args)["executionArn"]

    def execution(self, arn: str) -> Execution:
        """The execution's current description and history.

        The history is read from the engine itself: through the API its serialisation cost more than most
        executions do.
        """
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        description = self.client("stepfunctions").describe_execution(executionArn=arn)
        history = stepfunctions_parser_backends[ACCOUNT_ID][REGION].describe_execution(
            execution_arn=arn).to_history_output()["events"]
        output = description.get("output")
        return Execution(
            arn=arn, status=description["status"], input=json.loads(description.get("input") or "null"),
            output=json.loads(output) if output is not None else None,
            error=description.get("error"), cause=description.get("cause"),
            history=[sdk.to_plain_json(event) for event in history],
        )

    def wait(self, arn: str, timeout: float = 30.0) -> Execution:
        """Wait (real seconds) until the execution ends; raises ``TimeoutError`` if it does not."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        # The engine signals each end; the status check covers ends it does not see (a stop before start).
        while not executions.wait_for_end(arn, min(0.5, max(0.0, deadline - time.monotonic()))):
            if sfn.describe_execution(executionArn=arn)["status"] in _TERMINAL:
                break
            if time.monotonic() >= deadline:
                raise TimeoutError(f"execution {arn} still RUNNING after {timeout}s")
        return self.execution(arn)

    def run(self, workflow: str, input: Any = None, case: str | None = None, timeout: float = 30.0) -> Execution:
        """Start an execution and wait for it to end."""
        return self.wait(self.start(workflow, input, case), timeout)

    def wait_for_state(self, arn: str, state: str, timeout: float = 10.0) -> Execution:
        """Wait until the execution has entered ``state`` (for callbacks and timeouts)."""
        def entered() -> Execution | None:
            execution = self.execution(arn)
            return execution if state in execution.states else None

        return self.eventually(entered, timeout=timeout, message=f"execution never entered state {state!r}")

    def executions(self, workflow: str) -> list[str]:
        """ARNs of the workflow's executions, newest first."""
        sfn = self.client("stepfunctions")
        return [e["executionArn"] for e in sfn.list_executions(
            stateMachineArn=self.state_machine_arn(workflow), maxResults=1000)["executions"]]

    def eventually(self, probe: Callable[[], T], timeout: float = 10.0, message: str = "condition not met") -> T:
        """Poll ``probe`` with short sleeps until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{message} within {timeout}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


