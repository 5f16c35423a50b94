"""Triggers that cannot start their workflow: the event must land in the trigger's dead-letter queue.

Every rule and pipe starting a workflow (read from the template, :mod:`local.stack.triggers`) has a bounded
retry policy and a dead-letter queue; pointed at a missing state machine and fired once as its source fires
it (the workflow's driver knows how: :meth:`local.workflows.driver.Driver.fire`), each must put the event in
its queue and start nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from local.stack.stack import Stack
from local.stack.triggers import Trigger
from local.workflows import registry
from local.workflows.driver import NotProvided
from local.workflows.harness import short


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



def _queue_url(stack: Stack, dead_letter: str) -> str:
    if dead_letter.startswith("arn:"):
        return stack.client("sqs").get_queue_url(QueueName=dead_letter.split(":")[5])["QueueUrl"]
    return stack.resource(dead_letter)


def _drain(stack: Stack, url: str) -> list[dict[str, Any]]:
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
def _pointed_at(stack: Stack, trigger: Trigger, arn: str) -> Iterator[None]:
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


def _dead_letter_problems(stack: Stack, trigger: Trigger, landed: list[dict[str, Any]], marker: str,
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
        problems.append(f"the dead letter is not the event that failed: {short(json.dumps(body))}")
    if attributes.get("TARGET_ARN") != missing or not attributes.get("RULE_ARN", "").endswith(
            stack.resource(trigger.name)):
        problems.append(f"the dead letter does not name the rule and the target: {attributes}")
    return problems


def undeliverable_trigger(stack: Stack, trigger: Trigger) -> DeadLetterResult:
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
    driver = registry(stack.template.root, stack.template).driver(trigger.workflow)
    if driver is None:
        raise NotProvided(f"{trigger.workflow} has no driver to fire {trigger.name}")
    marker = driver.marker()
    url = _queue_url(stack, trigger.dead_letter) if trigger.dead_letter else None
    if url:
        _drain(stack, url)
    before = set(stack.executions(trigger.workflow))
    missing = stack.state_machine_arn(trigger.workflow) + "Deleted"
    landed: list[dict[str, Any]] = []
    with _pointed_at(stack, trigger, missing):
        driver.fire(stack, trigger, marker)
        if url:
            landed = stack.eventually(lambda: _drain(stack, url), timeout=10, message="nothing dead-lettered")
    started = [arn for arn in stack.executions(trigger.workflow) if arn not in before]
    problems = _dead_letter_problems(stack, trigger, landed, marker, missing)
    if started:
        problems.append(f"{len(started)} executions started although the target was missing")
    return DeadLetterResult(trigger, landed, len(started), problems)


def _rule_bus(stack: Stack, rule: str) -> str:
    events = stack.client("events")
    for bus in ["default", *[b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default"]]:
        if any(r["Name"] == rule for r in events.list_rules(EventBusName=bus, NamePrefix=rule)["Rules"]):
            return bus
    raise KeyError(f"rule {rule} is on no event bus")
