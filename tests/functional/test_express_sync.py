"""Express workflows run synchronously (StartSyncExecution) and nested executions, answered as AWS answers them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support.engine import execute, machine

READ_CONTEXT = {"StartAt": "Read", "States": {"Read": {"Type": "Pass", "Parameters": {"execution.$": "$$.Execution"},
                                                       "End": True}}}


def run_sync(stack, definition: dict, payload=None) -> dict:
    arn = machine(stack, definition, kind="EXPRESS")
    return stack.client("stepfunctions").start_sync_execution(stateMachineArn=arn, input=json.dumps(payload or {}))


def test_start_sync_execution_returns_the_output(stack):
    """An Express workflow run with StartSyncExecution answers SUCCEEDED with its output, input and dates."""
    answer = run_sync(stack, {"StartAt": "Greet", "States": {"Greet": {
        "Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"}, "End": True}}},
        {"name": "Ada"})
    assert answer["status"] == "SUCCEEDED"
    assert answer["output"] == '{"greeting":"hello Ada"}'
    assert answer["input"] == '{"name":"Ada"}'
    assert ":express:" in answer["executionArn"] and answer["stopDate"] >= answer["startDate"]
    assert answer["outputDetails"] == answer["inputDetails"] == {"included": True}


def test_start_sync_execution_of_a_failing_workflow_returns_error_and_cause(stack):
    """A Fail state ends the synchronous execution FAILED with its error and cause, and no output."""
    answer = run_sync(stack, {"StartAt": "Refuse", "States": {"Refuse": {
        "Type": "Fail", "Error": "Order.Rejected", "Cause": "out of stock"}}})
    assert (answer["status"], answer["error"], answer["cause"]) == ("FAILED", "Order.Rejected", "out of stock")
    assert "output" not in answer


def test_start_sync_execution_bills_memory_and_duration_in_steps(stack):
    """Billing: 64 MB, and the duration (a 2-second Wait counts) rounded up to 100 ms steps."""
    answer = run_sync(stack, {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 2, "End": True}}})
    billing = answer["billingDetails"]
    assert billing["billedMemoryUsedInMB"] == 64
    assert billing["billedDurationInMilliseconds"] % 100 == 0
    assert 2000 < billing["billedDurationInMilliseconds"] <= 3000


def test_start_sync_execution_times_out_at_the_execution_timeout(stack):
    """TimeoutSeconds 1 with a 5-second Wait: the synchronous answer is TIMED_OUT."""
    answer = run_sync(stack, {"TimeoutSeconds": 1, "StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 5, "End": True}}})
    assert answer["status"] == "TIMED_OUT"


def test_start_sync_execution_refuses_a_standard_state_machine(stack):
    """Only Express workflows run synchronously: a Standard one is StateMachineTypeNotSupported."""
    arn = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(ClientError) as refused:
        stack.client("stepfunctions").start_sync_execution(stateMachineArn=arn, input="{}")
    assert refused.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


def test_the_context_object_of_a_standard_execution_has_its_redrive_count(stack):
    """``$$.Execution.RedriveCount`` is 0 for a Standard execution that was never redriven."""
    execution = execute(stack, machine(stack, READ_CONTEXT)).output["execution"]
    assert execution["RedriveCount"] == 0


def test_the_context_object_of_an_express_execution_has_no_redrive_count(stack):
    """Express executions cannot be redriven: their context object has no RedriveCount."""
    execution = json.loads(run_sync(stack, READ_CONTEXT)["output"])["execution"]
    assert "RedriveCount" not in execution
    assert execution["Id"].split(":")[5] == "express"


def test_a_nested_sync_execution_result_describes_input_and_output(stack):
    """``states:startExecution.sync`` returns the child's description with InputDetails and OutputDetails."""
    child = machine(stack, {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}})
    parent = machine(stack, {"StartAt": "Child", "States": {"Child": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}}, "End": True}}})
    result = execute(stack, parent).output
    assert result["InputDetails"] == result["OutputDetails"] == {"Included": True}
    assert (result["Input"], result["Output"], result["Status"]) == ('{"from":"parent"}', '{"from":"parent"}',
                                                                      "SUCCEEDED")


def test_start_sync_execution_runs_a_mock_config_test_case(stack, monkeypatch):
    """``<arn>#<TestCase>`` with StartSyncExecution answers with the test case's mocked response."""
    from local.engine import executions
    from local.engine.mock_config import MockConfig

    arn = machine(stack, {"StartAt": "Lookup", "States": {"Lookup": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:transcribe:getTranscriptionJob",
        "Parameters": {"TranscriptionJobName": "call-1"}, "End": True,
        "ResultSelector": {"status.$": "$.TranscriptionJob.TranscriptionJobStatus"}}}}, kind="EXPRESS")
    config = MockConfig(json.loads(json.dumps(executions.mock_config.raw)))
    config.merge({"StateMachines": {arn.rsplit(":", 1)[1]: {"TestCases": {"Done": {"Lookup": "SyncJobDone"}}}},
                  "MockedResponses": {"SyncJobDone": {"0": {"Return": {
                      "TranscriptionJob": {"TranscriptionJobStatus": "COMPLETED"}}}}}}, "test")
    monkeypatch.setattr(executions, "mock_config", config)
    answer = stack.client("stepfunctions").start_sync_execution(stateMachineArn=f"{arn}#Done", input="{}")
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", '{"status":"COMPLETED"}')
