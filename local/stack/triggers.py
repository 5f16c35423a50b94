"""The triggers of the template's workflows: rules and pipes that start a state machine, as written.

Read from ``template.yaml`` only (no stack needed): SAM ``EventBridgeRule`` events of the state machines (SAM
names the rule it generates ``<Machine><Event>``), ``AWS::Events::Rule`` targets and ``AWS::Pipes::Pipe``
targets that are state machines. ``validate`` checks them, ``report reliability`` fires them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local.stack.template import Template

#: SAM event types that become an EventBridge rule.
RULE_EVENT_TYPES = ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2")


@dataclass(frozen=True)
class Trigger:
    """A rule or pipe that starts a workflow, with its retry policy and dead-letter queue (a logical id or ARN)."""

    workflow: str
    name: str
    kind: str
    retry: dict[str, Any] | None
    dead_letter: str | None
    #: The state machine's logical id.
    machine: str = ""
    #: A pipe's role (logical id): the one that must be allowed to send to the dead-letter queue.
    role: str | None = None

    @property
    def id(self) -> str:
        """``workflow:LogicalId``."""
        return f"{self.workflow}:{self.name}"


def logical_id(value: Any) -> str | None:
    """The resource a ``!Ref`` or ``!GetAtt`` names, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return (target if isinstance(target, list) else str(target).split("."))[0]
    return None


def workflow_triggers(template: Template) -> list[Trigger]:
    """Every EventBridge rule (SAM event or ``AWS::Events::Rule``) and pipe whose target is a workflow."""
    machines = {resource.logical_id: workflow for workflow, resource in template.workflows().items()}
    found: list[Trigger] = []
    for machine, workflow in machines.items():
        for event_name, event in (template.resources[machine].properties.get("Events") or {}).items():
            if event.get("Type") not in RULE_EVENT_TYPES:
                continue
            props = event.get("Properties") or {}
            dlq = props.get("DeadLetterConfig") or {}
            queue = dlq.get("QueueLogicalId") or logical_id(dlq.get("Arn")) or dlq.get("Arn") or (
                f"{machine}{event_name}Queue" if dlq.get("Type") == "SQS" else None)
            found.append(Trigger(workflow, f"{machine}{event_name}", "rule", props.get("RetryPolicy"), queue,
                                 machine))
    for resource in template.of_type("AWS::Events::Rule"):
        if resource.raw.get("Implicit"):
            continue
        for target in resource.properties.get("Targets") or []:
            machine = logical_id(target.get("Arn"))
            if machine in machines:
                dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
                found.append(Trigger(machines[machine], resource.logical_id, "rule", target.get("RetryPolicy"),
                                     logical_id(dlq) or dlq, machine))
    for resource in template.of_type("AWS::Pipes::Pipe"):
        machine = logical_id(resource.properties.get("Target"))
        if machine in machines:
            source = resource.properties.get("SourceParameters") or {}
            stream = source.get("DynamoDBStreamParameters") or source.get("KinesisStreamParameters") or {}
            dlq = (stream.get("DeadLetterConfig") or {}).get("Arn")
            retry = ({"MaximumRetryAttempts": stream["MaximumRetryAttempts"]}
                     if "MaximumRetryAttempts" in stream else None)
            found.append(Trigger(machines[machine], resource.logical_id, "pipe", retry, logical_id(dlq) or dlq,
                                 machine, logical_id(resource.properties.get("RoleArn"))))
    return found


def bounded(trigger: Trigger) -> bool:
    """Whether the trigger retries a bounded number of times (``MaximumRetryAttempts`` 0 or more)."""
    attempts = (trigger.retry or {}).get("MaximumRetryAttempts")
    try:
        return attempts is not None and int(attempts) >= 0
    except (TypeError, ValueError):
        return False


def trigger_gaps(template: Template, workflows: list[str] | None = None) -> list[str]:
    """Triggers without a bounded retry policy or without a dead-letter queue, one line each.

    ``workflows``: only the triggers of these workflows (default: all).
    """
    gaps = []
    for trigger in workflow_triggers(template):
        if workflows is not None and trigger.workflow not in workflows:
            continue
        if not bounded(trigger):
            gaps.append(f"{trigger.id}: no bounded retry policy (MaximumRetryAttempts)")
        if not trigger.dead_letter:
            gaps.append(f"{trigger.id}: no dead-letter queue: an event it cannot deliver is lost")
    return gaps
