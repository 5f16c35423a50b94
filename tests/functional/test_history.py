"""GetExecutionHistory answers as AWS does: pages, order and execution data on request."""

from __future__ import annotations

from tests.support.engine import execute, machine


def test_history_pages_in_either_order(stack):
    """GetExecutionHistory pages by ``maxResults`` with a ``nextToken`` and reads newest first on request."""
    arn = machine(stack, {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                                   "B": {"Type": "Pass", "End": True}}})
    execution = execute(stack, arn, {"n": 1}).arn
    sfn = stack.client("stepfunctions")
    last = sfn.get_execution_history(executionArn=execution, reverseOrder=True, maxResults=1)
    assert [e["type"] for e in last["events"]] == ["ExecutionSucceeded"] and last["nextToken"]
    pages, token = [], None
    while True:
        more = {"nextToken": token} if token else {}
        page = sfn.get_execution_history(executionArn=execution, maxResults=2, **more)
        pages.append([e["id"] for e in page["events"]])
        token = page.get("nextToken")
        if not token:
            break
    assert pages == [[1, 2], [3, 4], [5, 6]]
    bare = sfn.get_execution_history(executionArn=execution, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
