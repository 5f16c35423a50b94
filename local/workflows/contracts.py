"""What a workflow promises about its input and its duplicates, in the terms the reliability checks use.

A driver gives its :class:`InputContract` (what the workflow checks before any AWS call, and how it refuses a
bad input: ``local.reliability.inputs`` generates inputs breaking it) and its duplicate checks (functions that
deliver one business event twice through its real trigger and return a :class:`DuplicateResult`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local.stack.stack import Execution, Stack
from local.workflows.harness import finished, item_of


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


def new_arns(stack: Stack, workflow: str, before: set[str], count: int) -> list[str]:
    """Wait until ``count`` executions of ``workflow`` have started since ``before``; their ARNs."""
    def started() -> list[str] | None:
        new = [arn for arn in stack.executions(workflow) if arn not in before]
        return new if len(new) >= count else None

    return stack.eventually(started, timeout=10, message=f"{count} executions of {workflow} never started")


def new_executions(stack: Stack, workflow: str, before: set[str], count: int) -> list[Execution]:
    """Wait for ``count`` executions of ``workflow`` started since ``before`` and for their ends."""
    return [finished(stack, arn) for arn in new_arns(stack, workflow, before, count)]


@dataclass
class Uploaded:
    """The same object uploaded twice: the executions it started and the items stored under its URI."""

    uri: str
    executions: list[Execution]
    items: list[dict[str, Any]]
    problems: list[str]


def upload_twice(stack: Stack, workflow: str, bucket: str, key: str, body: bytes, table: str, key_name: str,
                 **extra: Any) -> Uploaded:
    """Upload one object twice (two ``Object Created`` events) and read the items keyed by its ``s3://`` URI."""
    before = set(stack.executions(workflow))
    for _ in range(2):
        stack.client("s3").put_object(Bucket=bucket, Key=key, Body=body, **extra)
    executions = new_executions(stack, workflow, before, 2)
    uri = f"s3://{bucket}/{key}"
    items = [item_of(i) or {} for i in stack.client("dynamodb").query(
        TableName=table, KeyConditionExpression="#k = :u", ExpressionAttributeNames={"#k": key_name},
        ExpressionAttributeValues={":u": {"S": uri}})["Items"]]
    problems = [f"an execution ended {e.status}: {e.cause}" for e in executions if e.status != "SUCCEEDED"]
    return Uploaded(uri, executions, items, problems)
