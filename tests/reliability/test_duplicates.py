"""Duplicates: the same trigger delivered twice does not give two records or advance a conversation twice.

EventBridge, S3 notifications and SNS deliver at least once. Each check delivers one business event twice
through its real trigger (the rule, the upload, the inbound topic) and counts what was applied.
"""

from __future__ import annotations

import pytest

from local.reliability.duplicates import check_duplicate, duplicate_checks
from local.workflows.contracts import DuplicateResult

CHECKS = sorted(duplicate_checks())


@pytest.fixture(scope="module")
def delivered_twice(stack):
    """``delivered_twice(name)``: the duplicate check's result, run once per module."""
    results: dict[str, DuplicateResult] = {}

    def result(name: str) -> DuplicateResult:
        if name not in results:
            results[name] = check_duplicate(stack, name)
        return results[name]

    return result


@pytest.mark.parametrize("name", CHECKS)
def test_every_trigger_delivered_twice_is_applied_once(delivered_twice, name):
    """Each workflow's duplicate check (its driver's): two deliveries, one business effect, nothing lost."""
    result = delivered_twice(name)
    assert result.ok, result.problems
    assert (result.sent, result.applied) == (2, 1)


def test_same_ec2_state_change_twice_can_be_deduplicated_by_its_event_id(delivered_twice):
    """The same EC2 event starts the Express enrichment twice: two enriched events, one original event id.

    At least once by design (an Express execution started by EventBridge may run twice, and nothing here is
    harmful to repeat): the consumer deduplicates on ``detail.Message.id``, the original event's id, which
    both enriched events carry.
    """
    result = delivered_twice("ec2-enrichment:same-event")
    assert result.ok, result.problems
    assert (result.sent, result.details["enriched"], result.applied) == (2, 2, 1)
    assert result.details["distinctEnrichedIds"] == 2  # two publications; one business event after deduplication


def test_same_image_uploaded_twice_is_one_catalog_item(delivered_twice):
    """The same key uploaded twice runs the workflow twice and leaves one catalog item and one entry per label.

    The item is updated, not duplicated: its ProcessingCount says it was processed twice.
    """
    result = delivered_twice("image-catalog:same-upload")
    assert result.ok, result.problems
    assert (result.details["executions"], result.details["records"], result.details["processingCount"]) == (2, 1, 2)
    assert sorted(result.details["labelEntries"]) == ["beach", "sea"]


def test_same_recording_uploaded_twice_is_one_result_item(delivered_twice):
    """The same recording uploaded twice is analysed twice into one result item (keyed by the recording)."""
    result = delivered_twice("call-center-analysis:same-recording")
    assert result.ok, result.problems
    assert (result.details["executions"], result.details["records"], result.details["status"]) == (2, 1, "ANALYZED")


def test_same_appointment_completed_twice_asks_the_customer_once(delivered_twice):
    """The AppointmentCompleted event delivered twice: one conversation, one question; the other ALREADY_STARTED."""
    result = delivered_twice("feedback-conversation:same-appointment")
    assert result.ok, result.problems
    assert result.details == {"outcomes": ["ALREADY_STARTED", "COMPLETED"], "questionsSent": 1}


def test_same_reply_delivered_twice_advances_the_conversation_once(delivered_twice):
    """SNS delivers the customer's reply twice (same inboundMessageId): one reply recorded, thanked once."""
    result = delivered_twice("feedback-conversation:same-reply")
    assert result.ok, result.problems
    assert result.details == {"repliesRecorded": 1, "messagesSent": 2}
