"""Callbacks (``.waitForTaskToken``) end as AWS ends them: heartbeat timeouts and failures without details."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.engine import machine, token_from

AWAIT = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
         "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}}}


def start(stack, definition: dict, queue: str) -> str:
    return stack.client("stepfunctions").start_execution(
        stateMachineArn=machine(stack, definition), input=json.dumps({"queue": queue}))["executionArn"]


def test_a_missed_heartbeat_fails_the_task_with_states_timeout(stack, approval_queue):
    """A worker silent for longer than HeartbeatSeconds: the task fails with States.Timeout, as AWS reports it."""
    execution = start(stack, {"StartAt": "Await", "States": {"Await": {
        **AWAIT, "HeartbeatSeconds": 60, "TimeoutSeconds": 600, "End": True}}}, approval_queue)
    token_from(stack, approval_queue)
    stack.clock.advance(61)
    result = stack.wait(execution)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    timed_out = [e for e in result.history if e["type"] == "TaskTimedOut"]
    assert timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"


@pytest.mark.parametrize(("caught_by", "expected"), [
    ("States.HeartbeatTimeout", "HeartbeatMissed"), ("States.Timeout", "HeartbeatMissed")])
def test_a_missed_heartbeat_is_caught_by_either_timeout_name(stack, approval_queue, caught_by, expected):
    """A Catch on States.HeartbeatTimeout or on States.Timeout takes a missed heartbeat."""
    execution = start(stack, {"StartAt": "Await", "States": {
        "Await": {**AWAIT, "HeartbeatSeconds": 60, "TimeoutSeconds": 600, "End": True,
                  "Catch": [{"ErrorEquals": [caught_by], "Next": "HeartbeatMissed"}]},
        "HeartbeatMissed": {"Type": "Pass", "End": True}}}, approval_queue)
    token_from(stack, approval_queue)
    stack.clock.advance(61)
    assert stack.wait(execution).states == ["Await", expected]


def test_a_task_timeout_is_not_a_heartbeat_timeout(stack, approval_queue):
    """The task's own TimeoutSeconds passing is States.Timeout only: a Catch on States.HeartbeatTimeout skips it."""
    execution = start(stack, {"StartAt": "Await", "States": {
        "Await": {**AWAIT, "TimeoutSeconds": 60, "End": True,
                  "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "HeartbeatMissed"},
                            {"ErrorEquals": ["States.Timeout"], "Next": "TooSlow"}]},
        "HeartbeatMissed": {"Type": "Pass", "End": True}, "TooSlow": {"Type": "Pass", "End": True}}}, approval_queue)
    token_from(stack, approval_queue)
    stack.clock.advance(61)
    assert stack.wait(execution).states == ["Await", "TooSlow"]


@pytest.mark.parametrize("in_parallel", [False, True])
def test_send_task_failure_without_error_or_cause_gives_nulls(stack, approval_queue, in_parallel):
    """SendTaskFailure with neither error nor cause: the Catch sees nulls, also around a Parallel branch."""
    task = {**AWAIT, "End": True}
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Caught"}]
    if in_parallel:
        first = {"Type": "Parallel", "Branches": [{"StartAt": "Await", "States": {"Await": task}}],
                 "Catch": catch, "End": True}
    else:
        first = {**task, "Catch": catch}
    execution = start(stack, {"StartAt": "First", "States": {
        "First": first, "Caught": {"Type": "Pass", "End": True}}}, approval_queue)
    stack.client("stepfunctions").send_task_failure(taskToken=token_from(stack, approval_queue))
    result = stack.wait(execution)
    assert result.output["failure"] == {"Error": None, "Cause": None}


def test_a_heartbeat_sent_before_the_task_watches_heartbeats_still_counts():
    """A worker may heartbeat the moment it receives the token, before the engine's task thread starts watching.

    AWS counts every heartbeat after the token is issued; the heartbeat clock then runs from that heartbeat, not
    from the token's creation (moto dropped such a heartbeat, so a quick worker's task timed out later).
    """
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    from local.engine.clock import CLOCK

    endpoint = CallbackEndpoint("early-heartbeat")
    CLOCK.advance(400)  # the worker holds the token for a while, then heartbeats at once
    assert endpoint.notify_heartbeat()
    watcher = endpoint.setup_heartbeat_endpoint(heartbeat_seconds=600)
    assert watcher._last >= endpoint._notify_event._created + 400  # the deadline runs from the heartbeat


def test_answers_reach_the_execution_that_issued_each_token(stack):
    """Six approvals of two machines wait at once; answered in reverse order, each ends with its own answer.

    A second answer to a token is refused with TaskTimedOut (its task has ended) and a token no execution
    issued with InvalidToken; the lookup of a token does not depend on how many executions the account has run.
    """
    sfn, sqs = stack.client("stepfunctions"), stack.client("sqs")
    queue = sqs.create_queue(QueueName=f"approvals-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    approve = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token",
                                                                "execution.$": "$$.Execution.Id"}}}}}
    machines = [machine(stack, approve), machine(stack, {**approve, "Comment": "the other machine"})]
    started = [sfn.start_execution(stateMachineArn=machines[i % 2], input=json.dumps({"queue": queue}))[
        "executionArn"] for i in range(6)]
    tokens: dict[str, str] = {}

    def all_tokens() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            tokens[body["execution"]] = body["token"]
        return len(tokens) == len(started)

    stack.eventually(all_tokens)
    for execution in reversed(started):
        sfn.send_task_success(taskToken=tokens[execution], output=json.dumps({"answeredFor": execution}))
    for execution in started:
        assert stack.wait(execution).output == {"answeredFor": execution}
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=tokens[started[0]], output="{}")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_success(taskToken=tokens[started[0]][::-1], output="{}")
