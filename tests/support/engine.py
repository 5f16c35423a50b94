"""Small state machines on the session's stack: create one, receive its task tokens, poll its activities."""

from __future__ import annotations

import json
import uuid
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/local-engine-tests"


def machine(stack, definition: dict[str, Any], kind: str = "STANDARD") -> str:
    """Create a state machine with a unique name; returns its ARN."""
    return stack.client("stepfunctions").create_state_machine(
        name=f"engine-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE, type=kind,
    )["stateMachineArn"]


def execute(stack, arn: str, payload: Any = None, timeout: float = 10.0):
    """Start an execution on ``arn`` and wait for its end."""
    execution_arn = stack.client("stepfunctions").start_execution(
        stateMachineArn=arn, input=json.dumps(payload or {})
    )["executionArn"]
    return stack.wait(execution_arn, timeout=timeout)


def callback_machine(stack, heartbeat: int | None = None, timeout: int = 86400) -> str:
    """A machine whose one Task sends its task token to the queue named by the input's ``queue``."""
    state: dict[str, Any] = {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": timeout, "End": True}
    if heartbeat:
        state["HeartbeatSeconds"] = heartbeat
    return machine(stack, {"StartAt": "AwaitApproval", "States": {"AwaitApproval": state}})


def start(stack, definition: dict[str, Any], payload: Any = None) -> str:
    """Start an execution of a new machine with ``definition``; returns the execution's ARN."""
    return stack.client("stepfunctions").start_execution(
        stateMachineArn=machine(stack, definition), input=json.dumps(payload if payload is not None else {}),
    )["executionArn"]


def token_queue(stack) -> str:
    """A new queue for task tokens (a ``.waitForTaskToken`` task sends ``{"token": …}`` to it)."""
    return stack.client("sqs").create_queue(QueueName=f"tokens-{uuid.uuid4().hex[:8]}")["QueueUrl"]


def token_from(stack, queue_url: str) -> str:
    """The next task token sent to ``queue_url`` (bounded wait)."""
    sqs = stack.client("sqs")
    message = stack.eventually(lambda: sqs.receive_message(QueueUrl=queue_url).get("Messages"))[0]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return json.loads(message["Body"])["token"]


def poll_activity(stack, activity: str, worker: str = "worker-1") -> dict[str, Any]:
    """GetActivityTask until it hands over a task (each call long-polls, as a worker's does)."""
    sfn = stack.client("stepfunctions")

    def task() -> dict[str, Any] | None:
        answer = sfn.get_activity_task(activityArn=activity, workerName=worker)
        return answer if answer.get("taskToken") else None

    return stack.eventually(task)
