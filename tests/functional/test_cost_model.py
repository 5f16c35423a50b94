"""The cost model counts what an execution really used and prices it as AWS bills it.

``python -m local cost`` is a report, not a test; these tests pin its arithmetic and its counting on small,
known executions so its figures can be trusted.
"""

from __future__ import annotations

import json

import pytest

from local import cost
from local.paths import workflow_files
from local.stack.stack import billed_transitions
from local.workflows import registry

PRICES = json.loads(cost.PRICES_FILE.read_text())


def test_named_instance_event_counts_each_state_and_call(stack):
    """The EC2 enrichment main path: 8 states entered, one DescribeTags and one PutEvents, no Lambda, no wait.

    Standard bills the 8 transitions ($200 per million); Express one request plus 64 MB for two calls of the
    modelled 40 ms, rounded up to 100 ms.
    """
    [path] = [p for p in registry().driver("ec2-enrichment").journeys(stack) if p.main]
    usage = cost._usage(stack, path, PRICES)
    cost._price(usage, PRICES, "arm64", [])

    assert usage.state_transitions == 8
    assert usage.sdk_calls == {"aws-sdk:ec2:describeTags": 1, "aws-sdk:eventbridge:putEvents": 1}
    assert (usage.lambda_invocations, usage.waited_seconds, usage.callbacks) == (0, 0.0, 0)
    assert usage.standard_per_million == pytest.approx(8 * 0.025 * 1000)
    assert usage.express_duration_seconds == pytest.approx(0.1)
    assert usage.express_per_million == pytest.approx(1.0 + 0.1 * 0.0625 * 16.67, abs=0.01)


def test_conversation_counts_the_reply_lambda_and_cannot_be_express(stack):
    """A one-reply conversation invokes the receiver once, waits on a callback, so Express is not possible."""
    [path] = [p for p in registry().driver("feedback-conversation").journeys(stack) if p.main]
    definition = workflow_files(path.workflow).read_definition()
    usage = cost._usage(stack, path, PRICES)
    cost._price(usage, PRICES, "arm64", cost._express_blockers(definition))

    assert usage.lambda_invocations == 1 and usage.lambda_gb_seconds > 0
    assert usage.callbacks == 1
    assert usage.express_per_million is None
    assert usage.express_blocked_by == ["waits for callbacks (.waitForTaskToken)"]


def test_retries_are_billed_as_transitions():
    """A task that fails once and is retried costs one transition more than the states entered."""
    history = [{"type": "TaskStateEntered"}, {"type": "TaskScheduled"}, {"type": "TaskFailed"},
               {"type": "TaskScheduled"}, {"type": "TaskSucceeded"}, {"type": "SucceedStateEntered"}]
    assert billed_transitions(history) == 3
    assert billed_transitions([e for e in history if e["type"] != "TaskFailed"][:2]) == 1


def test_a_wait_loop_blocks_express():
    """A Wait state on a cycle (a poll loop) can outlast Express's 5 minutes; a Wait on a straight path cannot."""
    loop = {"States": {"Start": {"Type": "Task", "Next": "Pause"}, "Pause": {"Type": "Wait", "Next": "Check"},
                       "Check": {"Type": "Choice", "Choices": [{"Next": "Pause"}], "Default": "Done"},
                       "Done": {"Type": "Succeed"}}}
    straight = {"States": {"Pause": {"Type": "Wait", "Next": "Done"}, "Done": {"Type": "Succeed"}}}
    assert cost._express_blockers(loop) == ["polls a job in a Wait loop, which can outlast 5 minutes"]
    assert cost._express_blockers(straight) == []
