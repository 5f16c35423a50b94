"""Activity tasks wait for a worker polling GetActivityTask, as in AWS."""

from __future__ import annotations

import json
import uuid

from tests.support.engine import machine, poll_activity


def test_a_worker_polling_its_activity_completes_the_task(stack):
    """A worker polls the review activity, gets the document and answers: the execution goes on with its answer."""
    sfn = stack.client("stepfunctions")
    activity = sfn.create_activity(name=f"review-{uuid.uuid4().hex[:8]}")["activityArn"]
    execution = sfn.start_execution(stateMachineArn=machine(stack, {"StartAt": "Review", "States": {
        "Review": {"Type": "Task", "Resource": activity, "Parameters": {"doc.$": "$.doc"}, "End": True}}}),
        input=json.dumps({"doc": "contract-7"}))["executionArn"]
    task = poll_activity(stack, activity, "alice")
    assert json.loads(task["input"]) == {"doc": "contract-7"}
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"approved": True}))
    result = stack.wait(execution)
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": True})
    started = [e for e in result.history if e["type"] == "ActivityStarted"]
    assert started[0]["activityStartedEventDetails"]["workerName"] == "alice"  # the history names the worker


def test_a_worker_failing_the_activity_fails_the_task_with_its_error(stack):
    """The worker reports the review failed: the Task fails with the worker's error and cause."""
    sfn = stack.client("stepfunctions")
    activity = sfn.create_activity(name=f"review-{uuid.uuid4().hex[:8]}")["activityArn"]
    execution = sfn.start_execution(stateMachineArn=machine(stack, {"StartAt": "Review", "States": {
        "Review": {"Type": "Task", "Resource": activity, "End": True}}}), input="{}")["executionArn"]
    token = poll_activity(stack, activity)["taskToken"]
    sfn.send_task_failure(taskToken=token, error="Review.Rejected", cause="missing signature")
    result = stack.wait(execution)
    assert (result.status, result.error, result.cause) == ("FAILED", "Review.Rejected", "missing signature")
