"""StopExecution ends an execution ABORTED at once, whatever it waits for, and closes its task tokens (as AWS)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from local.engine.clock import CLOCK
from tests.support.engine import machine, poll_activity, start, token_from, token_queue

AWAIT = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
         "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}}}
AFTER = {"Type": "Pass", "End": True}


@pytest.fixture()
def approval_queue(stack):
    """A queue the test machines send their task tokens to."""
    return token_queue(stack)


def types(stack, execution: str) -> list[str]:
    return [event["type"] for event in stack.execution(execution).history]


def assert_aborted_at_once(stack, execution: str, error: str | None = "Ops.Cancelled",
                           cause: str | None = "no longer needed") -> dict:
    """Stop the execution; right after the call it is ABORTED with the caller's error and cause, as AWS shows it."""
    sfn = stack.client("stepfunctions")
    arguments = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
    stopped = sfn.stop_execution(executionArn=execution, **arguments)
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stopped["stopDate"]
    assert (described.get("error"), described.get("cause")) == (error, cause)
    last = stack.execution(execution).history[-1]
    assert last["type"] == "ExecutionAborted"
    assert last["previousEventId"] == 0
    assert last["executionAbortedEventDetails"] == arguments
    return described


def test_stopping_an_approval_that_waits_for_its_token_aborts_it_and_refuses_the_late_answer(stack, approval_queue):
    """An approval waiting for its token is stopped: ABORTED at once; the approver's late answer gets TaskTimedOut.

    The task is closed, so the state after the approval never runs.
    """
    execution = start(stack, {"StartAt": "Approve", "States": {"Approve": {**AWAIT, "Next": "Ship"}, "Ship": AFTER}},
                      {"queue": approval_queue})
    token = token_from(stack, approval_queue)
    assert_aborted_at_once(stack, execution)
    sfn = stack.client("stepfunctions")
    for answer in (lambda: sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True})),
                   lambda: sfn.send_task_failure(taskToken=token, error="Approval.Rejected"),
                   lambda: sfn.send_task_heartbeat(taskToken=token)):
        with pytest.raises(sfn.exceptions.TaskTimedOut):
            answer()
    history = types(stack, execution)
    assert history[-1] == "ExecutionAborted"
    assert "TaskSucceeded" not in history and "TaskStateExited" not in history
    assert stack.execution(execution).states == ["Approve"]


def test_stopping_without_error_or_cause_leaves_them_out(stack, approval_queue):
    """Stopped with neither error nor cause: DescribeExecution has neither, the ExecutionAborted event is empty."""
    execution = start(stack, {"StartAt": "Approve", "States": {"Approve": {**AWAIT, "End": True}}},
                      {"queue": approval_queue})
    token_from(stack, approval_queue)
    described = assert_aborted_at_once(stack, execution, error=None, cause=None)
    assert "error" not in described and "cause" not in described


def test_stopping_a_task_waiting_for_an_activity_worker_aborts_it(stack):
    """A Task handed to an activity waits for its worker; stopped, it is ABORTED and the worker's answer refused."""
    sfn = stack.client("stepfunctions")
    activity = sfn.create_activity(name=f"review-{uuid.uuid4().hex[:8]}")["activityArn"]
    execution = start(stack, {"StartAt": "Review", "States": {
        "Review": {"Type": "Task", "Resource": activity, "Next": "Publish"}, "Publish": AFTER}}, {"doc": 7})
    task = poll_activity(stack, activity)["taskToken"]
    assert_aborted_at_once(stack, execution)
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=task, output="{}")
    assert stack.execution(execution).states == ["Review"]


def test_stopping_a_parent_waiting_for_its_child_execution_aborts_the_parent(stack, approval_queue):
    """A parent runs a child with startExecution.sync:2 and waits for it; stopped, the parent is ABORTED at once."""
    child = machine(stack, {"StartAt": "Approve", "States": {"Approve": {**AWAIT, "End": True}}})
    execution = start(stack, {"StartAt": "RunChild", "States": {
        "RunChild": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                     "Parameters": {"StateMachineArn": child, "Input": {"queue.$": "$.queue"}}, "Next": "After"},
        "After": AFTER}}, {"queue": approval_queue})
    token_from(stack, approval_queue)  # the child now waits
    assert_aborted_at_once(stack, execution)
    assert stack.execution(execution).states == ["RunChild"]


def test_stopping_an_execution_during_a_long_wait_aborts_it_without_waiting(stack):
    """A one-hour Wait taking real time (wait-time scale 1), stopped: ABORTED at once, the Wait never exited."""
    CLOCK.scale = 1.0
    try:
        execution = start(stack, {"StartAt": "Cooling", "States": {
            "Cooling": {"Type": "Wait", "Seconds": 3600, "Next": "After"}, "After": AFTER}}, {})
        stack.wait_for_state(execution, "Cooling")
        described = assert_aborted_at_once(stack, execution)
    finally:
        CLOCK.scale = 0.0
    assert (described["stopDate"] - described["startDate"]).total_seconds() < 60
    assert types(stack, execution) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]


def test_stopping_an_execution_whose_function_is_still_running_aborts_it_at_once(stack, slow_function):
    """A Lambda function still working when the execution is stopped: ABORTED at once, the next state never entered.

    Nothing interrupts the call (no token to close, no Wait to cut short): the execution ends all the same.
    """
    name, called = slow_function
    execution = start(stack, {"StartAt": "Analyse", "States": {"Analyse": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": name},
        "Next": "After"}, "After": AFTER}}, {})
    assert called.wait(5), "the function was not called"
    assert_aborted_at_once(stack, execution)
    assert types(stack, execution)[-1] == "ExecutionAborted"
    assert "After" not in stack.execution(execution).states


def test_stop_execution_answers_only_once_the_end_is_reported(stack, approval_queue):
    """The execution's worker began reporting its end just before StopExecution: the stop waits for that report.

    Whichever reports the end first (the worker or StopExecution), StopExecution answers only once
    DescribeExecution shows ABORTED, never while the other's report is under way.
    """
    from local.engine import executions
    from local.engine.timelines import timeline_of

    execution = start(stack, {"StartAt": "Approve", "States": {"Approve": {**AWAIT, "End": True}}},
                      {"queue": approval_queue})
    token_from(stack, approval_queue)
    worker = _moto_execution(execution).exec_worker
    assert timeline_of(worker.env).execution.report_once()  # as the worker does when its report begins
    sfn, answered = stack.client("stepfunctions"), []
    stopping = threading.Thread(target=lambda: answered.append(sfn.stop_execution(executionArn=execution)))
    stopping.start()
    stopping.join(0.2)
    assert stopping.is_alive() and not answered  # still waiting for the worker's report

    worker._execution_communication._reflect_execution_status()  # the rest of the worker's report
    executions._end_event(execution).set()
    stopping.join(5)
    assert answered and sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"


def _moto_execution(execution_arn: str):
    """The engine's record of an execution in moto (its worker, its environment)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from local.stack.stack import ACCOUNT_ID, REGION

    return stepfunctions_parser_backends[ACCOUNT_ID][REGION].describe_execution(execution_arn=execution_arn)


@pytest.mark.parametrize("container", ["Map", "Parallel"])
def test_stopping_an_execution_whose_branches_wait_aborts_it(stack, approval_queue, container):
    """Map iterations (Parallel branches) each waiting for a token, stopped: ABORTED at once, every token refused."""
    branch = {"StartAt": "Approve", "States": {"Approve": {**AWAIT, "End": True}}}
    if container == "Map":
        state = {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"queue.$": "$.queue"},
                 "ItemProcessor": branch, "Next": "After"}
    else:
        state = {"Type": "Parallel", "Branches": [branch, branch], "Next": "After"}
    execution = start(stack, {"StartAt": "All", "States": {"All": state, "After": AFTER}},
                      {"queue": approval_queue, "items": [1, 2]})
    tokens = [token_from(stack, approval_queue), token_from(stack, approval_queue)]
    assert_aborted_at_once(stack, execution)
    sfn = stack.client("stepfunctions")
    for token in tokens:
        with pytest.raises(sfn.exceptions.TaskTimedOut):
            sfn.send_task_success(taskToken=token, output="{}")
    history = types(stack, execution)
    assert f"{container}StateExited" not in history and "After" not in stack.execution(execution).states


def test_a_task_attempt_that_ended_as_it_began_to_wait_does_not_wait(stack):
    """An attempt ended (stopped, or past a TimeoutSeconds) between its call and its wait for the token.

    moto evaluates nothing in an environment that has ended, so the attempt took the value below its timeout,
    the task's input, as the seconds to wait: its listener thread failed with a TypeError (one run in about
    twelve of these tests). It now ends without waiting; its outcome was discarded anyway.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs import (
        StateTaskServiceSqs,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    class Ended:
        @staticmethod
        def is_running() -> bool:
            return False

    task = object.__new__(StateTaskServiceSqs)
    task_input = {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals"}
    assert task._eval_wait_for_task_token(Ended(), task_input, CallbackEndpoint("token"), None) is None
