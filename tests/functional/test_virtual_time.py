"""Virtual time keeps every deadline and reads the history in workflow time, while waits take no real time."""

from __future__ import annotations

import datetime
import json
import time

import pytest

from tests.support.engine import execute, machine, token_from


def seconds_between(first: dict, second: dict) -> float:
    """Seconds from one history event to another, by their timestamps."""
    def when(event: dict) -> datetime.datetime:
        return datetime.datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))

    return (when(second) - when(first)).total_seconds()


def events(result, kind: str) -> list[dict]:
    """The history events of one type."""
    return [event for event in result.history if event["type"] == kind]


def test_a_wait_past_the_execution_timeout_ends_timed_out_at_the_deadline(stack):
    """TimeoutSeconds 5 with a 60-second Wait: TIMED_OUT, five workflow seconds after the start, at once."""
    arn = machine(stack, {"TimeoutSeconds": 5, "StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 60, "Next": "After"},
        "After": {"Type": "Pass", "End": True}}})
    started = time.monotonic()
    result = execute(stack, arn, timeout=5)
    assert time.monotonic() - started < 5
    assert result.status == "TIMED_OUT"
    assert [event["type"] for event in result.history] == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    assert seconds_between(result.history[0], result.history[-1]) == pytest.approx(5, abs=0.5)
    described = stack.client("stepfunctions").describe_execution(executionArn=result.arn)
    assert (described["stopDate"] - described["startDate"]).total_seconds() == pytest.approx(5, abs=0.5)


def test_a_wait_within_the_execution_timeout_completes(stack):
    """A 60-second Wait under a 120-second execution timeout ends normally."""
    arn = machine(stack, {"TimeoutSeconds": 120, "StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 60, "End": True}}})
    assert execute(stack, arn, timeout=5).status == "SUCCEEDED"


def test_the_history_shows_a_wait_lasting_its_seconds(stack):
    """A 60-second Wait's entered and exited events are 60 seconds apart in the history."""
    arn = machine(stack, {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 60, "End": True}}})
    result = execute(stack, arn, timeout=5)
    entered, exited = events(result, "WaitStateEntered")[0], events(result, "WaitStateExited")[0]
    assert seconds_between(entered, exited) == pytest.approx(60, abs=0.5)


def test_parallel_branches_wait_side_by_side(stack):
    """Branches waiting 60 and 10 seconds run side by side: the Parallel state lasts 60 seconds, not 70."""
    arn = machine(stack, {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 60, "End": True}}},
        {"StartAt": "Short", "States": {"Short": {"Type": "Wait", "Seconds": 10, "End": True}}}]}}})
    result = execute(stack, arn, timeout=5)
    entered, exited = events(result, "ParallelStateEntered")[0], events(result, "ParallelStateExited")[0]
    assert seconds_between(entered, exited) == pytest.approx(60, abs=0.5)
    short = {event["stateExitedEventDetails"]["name"]: event for event in events(result, "WaitStateExited")}["Short"]
    assert seconds_between(entered, short) == pytest.approx(10, abs=0.5)


def test_context_object_times_are_workflow_times(stack):
    """``$$.State.EnteredTime`` after a one-hour Wait is an hour after ``$$.Execution.StartTime``."""
    arn = machine(stack, {"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Read"},
        "Read": {"Type": "Pass", "End": True, "Parameters": {
            "started.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"}}}})
    output = execute(stack, arn, timeout=5).output
    started, entered = (datetime.datetime.fromisoformat(output[key]) for key in ("started", "entered"))
    assert (entered - started).total_seconds() == pytest.approx(3600, abs=1)
    assert output["entered"].endswith("Z")


def test_a_task_outlasting_its_timeout_fails_with_states_timeout(stack, approval_queue):
    """A Task with TimeoutSeconds 30 around a longer call fails with States.Timeout after 30 workflow seconds.

    The call is a child workflow waiting for an answer nobody gives; the test advances the clock; a Catch on
    States.Timeout takes over.
    """
    child = machine(stack, {"StartAt": "Await", "States": {"Await": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": approval_queue, "MessageBody": {"token.$": "$$.Task.Token"}}}}})
    parent = machine(stack, {"StartAt": "RunChild", "States": {
        "RunChild": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                     "Parameters": {"StateMachineArn": child}, "TimeoutSeconds": 30, "End": True,
                     "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "GaveUp"}]},
        "GaveUp": {"Type": "Pass", "End": True}}})
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=parent, input="{}")["executionArn"]
    token = token_from(stack, approval_queue)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    stack.clock.advance(31)
    result = stack.wait(execution)
    assert (result.status, result.states) == ("SUCCEEDED", ["RunChild", "GaveUp"])
    assert events(result, "TaskTimedOut")[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    sfn.send_task_success(taskToken=token, output="{}")  # let the child end


def test_the_execution_timeout_counts_waited_time_and_a_running_task(stack, approval_queue):
    """TimeoutSeconds 100: a 60-second Wait, then a callback nobody answers; 41 more seconds time it out."""
    arn = machine(stack, {"TimeoutSeconds": 100, "StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 60, "Next": "Await"},
        "Await": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
                  "Parameters": {"QueueUrl": approval_queue, "MessageBody": {"token.$": "$$.Task.Token"}}}}})
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    token = token_from(stack, approval_queue)
    stack.clock.advance(41)
    result = stack.wait(execution)
    assert result.status == "TIMED_OUT"
    assert result.history[-1]["type"] == "ExecutionTimedOut"
    assert seconds_between(result.history[0], result.history[-1]) == pytest.approx(100, abs=1)
    with pytest.raises(sfn.exceptions.ClientError):
        sfn.send_task_success(taskToken=token, output=json.dumps({"late": True}))
    assert stack.execution(execution).history[-1]["type"] == "ExecutionTimedOut"  # nothing after the end


def test_retry_max_attempts_zero_never_retries(stack):
    """``MaxAttempts: 0`` means the error is not retried: one attempt, then the failure."""
    arn = machine(stack, {"StartAt": "Read", "States": {"Read": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
        "Parameters": {"Bucket": "no-such-bucket-anywhere", "Key": "k"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0, "IntervalSeconds": 3}]}}})
    result = execute(stack, arn, timeout=5)
    assert result.status == "FAILED"
    assert len(events(result, "TaskFailed")) == 1


@pytest.mark.parametrize("jitter", ["NONE", "FULL"])
def test_retry_intervals_back_off_capped_and_jittered(stack, jitter):
    """Intervals of 3 s doubling, capped at 5 s: 3 then 5 without jitter; with full jitter, at most those."""
    arn = machine(stack, {"StartAt": "Read", "States": {"Read": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
        "Parameters": {"Bucket": "no-such-bucket-anywhere", "Key": "k"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 2,
                   "MaxDelaySeconds": 5, "JitterStrategy": jitter}]}}})
    result = execute(stack, arn, timeout=5)
    failed, scheduled = events(result, "TaskFailed"), events(result, "TaskScheduled")
    assert (result.status, len(failed), len(scheduled)) == ("FAILED", 3, 3)
    gaps = [seconds_between(failed[n], scheduled[n + 1]) for n in range(2)]
    if jitter == "NONE":
        assert gaps == [pytest.approx(3, abs=0.5), pytest.approx(5, abs=0.5)]
    else:
        assert 0 <= gaps[0] <= 3.5 and 0 <= gaps[1] <= 5.5


def test_a_task_timeout_fires_around_a_function_that_runs_longer(stack, slow_function):
    """``lambda:invoke`` with TimeoutSeconds 30 around a function still running after 30 workflow seconds."""
    name, called = slow_function
    arn = machine(stack, {"StartAt": "Invoke", "States": {"Invoke": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30, "End": True,
        "Parameters": {"FunctionName": name, "Payload": {"order": 1}}}}})
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert called.wait(5), "the function was not called"
    stack.clock.advance(31)
    result = stack.wait(execution, timeout=5)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")


@pytest.mark.parametrize(("max_concurrency", "seconds"), [(0, 10), (1, 30), (2, 20)])
def test_map_iterations_wait_side_by_side_up_to_max_concurrency(stack, max_concurrency, seconds):
    """Three items that each wait 10 s: 10 s without a limit, 30 s one at a time, 20 s two at a time."""
    arn = machine(stack, {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": max_concurrency, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Pause",
                          "States": {"Pause": {"Type": "Wait", "Seconds": 10, "End": True}}}}}})
    result = execute(stack, arn, ["a", "b", "c"])
    entered, exited = events(result, "MapStateEntered")[0], events(result, "MapStateExited")[0]
    assert seconds_between(entered, exited) == pytest.approx(seconds, abs=0.5)
