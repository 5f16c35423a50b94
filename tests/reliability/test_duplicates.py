"""Duplicates: the same trigger delivered twice does not give two records or advance a conversation twice.

EventBridge, S3 notifications and SNS deliver at least once. Each check delivers one business event twice
through its real trigger (the rule, the upload, the inbound topic) and counts what was applied.
"""

from __future__ import annotations

from local.reliability.duplicates import check_duplicate


def test_same_ec2_state_change_twice_can_be_deduplicated_by_its_event_id(stack):
    """The same EC2 event starts the Express enrichment twice: two enriched events, one original event id.

    At least once by design (an Express execution started by EventBridge may run twice, and nothing here is
    harmful to repeat): the consumer deduplicates on ``detail.Message.id``, the original event's id, which
    both enriched events carry.
    """
    result = check_duplicate(stack, "ec2-enrichment:same-event")
    assert result.ok, result.problems
    assert (result.sent, result.details["enriched"], result.applied) == (2, 2, 1)
    assert result.details["distinctEnrichedIds"] == 2  # two publications; one business event after deduplication


def test_same_image_uploaded_twice_is_one_catalog_item(stack):
    """The same key uploaded twice runs the workflow twice and leaves one catalog item and one entry per label.

    The item is updated, not duplicated: its ProcessingCount says it was processed twice.
    """
    result = check_duplicate(stack, "image-catalog:same-upload")
    assert result.ok, result.problems
    assert (result.details["executions"], result.details["records"], result.details["processingCount"]) == (2, 1, 2)
    assert sorted(result.details["labelEntries"]) == ["beach", "sea"]


def test_same_recording_uploaded_twice_is_one_result_item(stack):
    """The same recording uploaded twice is analysed twice into one result item (keyed by the recording)."""
    result = check_duplicate(stack, "call-center-analysis:same-recording")
    assert result.ok, result.problems
    assert (result.details["executions"], result.details["records"], result.details["status"]) == (2, 1, "ANALYZED")


def test_same_appointment_completed_twice_asks_the_customer_once(stack):
    """The AppointmentCompleted event delivered twice: one conversation, one question; the other ALREADY_STARTED."""
    result = check_duplicate(stack, "feedback-conversation:same-appointment")
    assert result.ok, result.problems
    assert result.details == {"outcomes": ["ALREADY_STARTED", "COMPLETED"], "questionsSent": 1}


def test_same_reply_delivered_twice_advances_the_conversation_once(stack):
    """SNS delivers the customer's reply twice (same inboundMessageId): one reply recorded, thanked once."""
    result = check_duplicate(stack, "feedback-conversation:same-reply")
    assert result.ok, result.problems
    assert result.details == {"repliesRecorded": 1, "messagesSent": 2}
