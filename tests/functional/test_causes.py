"""Causes of States.Runtime worded as AWS words them: the state's entered event and JSONPath's own message."""

from __future__ import annotations

from tests.support.engine import execute, machine

LIST_QUEUES = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
               "Parameters": {"QueueNamePrefix": "no-such-prefix"}}


def test_an_output_path_failure_after_a_call_names_the_state_entered_event(stack):
    """The call succeeds, its OutputPath selects nothing: States.Runtime, entered at event #2, not caught.

    The cause names the state's TaskStateEntered event (#2), not the last event of the call, and, as Jayway reads
    JSONPath, the first missing property on the way. A Catch does not cover the state's output processing.
    """
    arn = machine(stack, {"StartAt": "Call", "States": {
        "Call": {**LIST_QUEUES, "OutputPath": "$.no.such.path", "Next": "Done",
                 "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}, "Done": {"Type": "Pass", "End": True}}})
    result = execute(stack, arn)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == ("An error occurred while executing the state 'Call' (entered at the event id #2). "
                            "Invalid path '$.no.such.path' : Missing property in path $['no']")


def test_an_input_path_selecting_nothing_says_no_results(stack):
    """InputPath ``$.order.id`` on an order without an id: "No results for path: $['order']['id']"."""
    arn = machine(stack, {"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Next": "Pick"},
        "Pick": {"Type": "Pass", "InputPath": "$.order.id", "End": True}}})
    result = execute(stack, arn, {"order": {"total": 3}})
    assert result.cause == ("An error occurred while executing the state 'Pick' (entered at the event id #4). "
                            "Invalid path '$.order.id' : No results for path: $['order']['id']")
