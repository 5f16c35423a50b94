"""ec2-enrichment's driver: EC2 state changes on the default bus, enriched with the instance's name."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from local.aws import arn
from local.stack.stack import Execution, Stack
from local.stack.triggers import Trigger
from local.workflows.contracts import DuplicateResult, InputContract
from local.workflows.driver import DEMO_TIMEOUT, DemoOutcome, Driver, Journey, put_event, started_by_trigger
from local.workflows.harness import (
    FaultCase,
    Harness,
    Matrix,
    Probe,
    Run,
    Scenario,
    Target,
    contains,
    finished,
    new_name,
    starts,
)

WORKFLOW = "ec2-enrichment"
SOURCE = "custom.enriched.ec2"
STATE_CHANGE = "EC2 Instance State-change Notification"


def _instance(stack: Stack, name: str | None) -> str:
    """A running instance of the embedded EC2, tagged ``Name=name`` when given."""
    spec = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
    return stack.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                             TagSpecifications=spec)["Instances"][0]["InstanceId"]


def _state_change(stack: Stack, instance: str, state: str) -> None:
    put_event(stack, "aws.ec2", STATE_CHANGE, {"instance-id": instance, "state": state},
              resources=[arn("ec2", f"instance/{instance}")])


class _Ec2Harness(Harness):
    """Faults in the lookup of the Name tag, the default name and the publication."""

    workflow = WORKFLOW
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

    def __init__(self, matrix: Matrix) -> None:
        super().__init__(matrix)
        self.instances: dict[str, tuple[str, str]] = {}

    def prepare(self, scenario: Scenario) -> Run:
        if scenario.name not in self.instances:  # one instance per scenario: each run is a new state change
            tag = f"reliability-{uuid.uuid4().hex[:10]}"
            self.instances[scenario.name] = (_instance(self.stack, tag if scenario.name == "named" else None), tag)
        instance, tag = self.instances[scenario.name]
        event = json.loads((self.stack.template.root / "workflows/ec2-enrichment/events/ec2-instance-stopped.json")
                           .read_text())
        event["id"] = str(uuid.uuid4())
        event["resources"] = [arn("ec2", f"instance/{instance}")]
        event["detail"] = {"instance-id": instance, "state": "stopped"}
        name = new_name()
        return Run(event, name, {"instance": instance, "event": event["id"], "tag": tag, "execution": name})

    def summary(self, run: Run, execution: Execution) -> dict[str, Any]:
        output = execution.output or {}
        default = self.stack.template.parameters.get("Ec2EnrichmentDefaultInstanceName")
        names = {run.ids["tag"]: "<tag>", run.ids["instance"]: "<instance-id>", default: "<default>"}
        published = [e for e in self.probe.events(SOURCE) if e["detail"]["Message"].get("id") == run.ids["event"]]
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


def _same_event_twice(stack: Stack) -> DuplicateResult:
    instance = _instance(stack, "duplicate-check")
    event = json.loads((stack.template.root / "workflows/ec2-enrichment/events/ec2-instance-stopped.json").read_text())
    event |= {"id": str(uuid.uuid4()), "resources": [arn("ec2", f"instance/{instance}")],
              "detail": {"instance-id": instance, "state": "stopped"}}
    probe = Probe(stack, sources=[SOURCE])
    try:
        # EventBridge delivers at least once: the same event (same id) may start the Express workflow twice.
        executions = [finished(stack, stack.start(WORKFLOW, event)) for _ in range(2)]
        enriched = [e for e in probe.events(SOURCE) if e["detail"]["Message"]["detail"]["instance-id"] == instance]
    finally:
        probe.close()
    original_ids = {e["detail"]["Message"].get("id") for e in enriched}
    problems = [f"an execution ended {e.status}: {e.cause}" for e in executions if e.status != "SUCCEEDED"]
    if len(enriched) != 2:
        problems.append(f"{len(enriched)} enriched events published, expected one per delivery (2)")
    if original_ids != {event["id"]}:
        problems.append(f"the enriched events carry original ids {original_ids}, not {event['id']}")
    return DuplicateResult(
        WORKFLOW, "same-event", "the same EC2 state change delivered twice (at least once, by design)",
        2, len(original_ids), {"enriched": len(enriched), "distinctEnrichedIds": len({e["id"] for e in enriched}),
                               "dedupeKey": "detail.Message.id"}, problems)


class _Ec2EnrichmentDriver(Driver):
    """The default bus's EC2 state changes start it; it publishes ``EnrichedEC2Event`` on the application bus."""

    name = WORKFLOW
    demo_title = "an EC2 instance with a Name tag stops"
    harness = _Ec2Harness
    input_contract = InputContract(
        WORKFLOW, "schemas/ec2-enrichment.ec2-state-change.schema.json",
        "workflows/ec2-enrichment/events/ec2-instance-stopped.json", "Ec2Enrichment.InvalidEvent",
        "Invalid event: ", ("CheckEvent", "IsEventValid", "RejectInvalidEvent"), ("detail", "detail.instance-id"))
    published_sources = (SOURCE,)

    def play_demo(self, stack: Stack, outcome: DemoOutcome) -> None:
        demo = self.files(stack).read_event("demo.json")
        name, state = demo["instance"]["Name"], demo["state"]
        instance = _instance(stack, name)
        inbox = stack.inbox(stack.resource("Ec2EnrichedEventsTopic"))
        known = set(stack.executions(WORKFLOW))
        outcome.trigger = f"EC2 reports {instance} ({name}) {state}: event on the default bus"
        _state_change(stack, instance, state)
        execution = started_by_trigger(stack, WORKFLOW, known,
                                       lambda i: (i or {}).get("detail", {}).get("instance-id") == instance)
        outcome.executions.append(execution)
        notification = stack.eventually(inbox.messages, timeout=DEMO_TIMEOUT,
                                        message="the enriched event never reached the consumer's topic")[0]
        inbox.close()
        enriched = json.loads(notification["Message"])
        refined = enriched.get("detail", {}).get("Message", {}).get("detail", {}).get("refined", {})
        outcome.expect("instance name in the enriched event", refined.get("instancename"), name)
        outcome.result = f"consumer's topic received EnrichedEC2Event: {instance} is {name!r} ({state})"

    def journeys(self, stack: Stack) -> list[Journey]:
        def event_for(instance_id: str) -> dict[str, Any]:
            event = self.files(stack).read_event("ec2-instance-stopped.json")
            event["detail"]["instance-id"] = instance_id
            return event

        named, unnamed = event_for(_instance(stack, "web-frontend-1")), event_for(_instance(stack, None))
        return [Journey(WORKFLOW, "named instance stopped", lambda: named, main=True),
                Journey(WORKFLOW, "instance without Name tag (default name)", lambda: unnamed)]

    def duplicates(self) -> dict[str, Callable[[Stack], DuplicateResult]]:
        return {f"{WORKFLOW}:same-event": _same_event_twice}

    def marker(self) -> str:
        return f"i-{uuid.uuid4().hex[:17]}"  # an instance id: the rule's pattern matches any

    def fire(self, stack: Stack, trigger: Trigger, marker: str) -> None:
        _state_change(stack, marker, "stopped")


DRIVER = _Ec2EnrichmentDriver()
