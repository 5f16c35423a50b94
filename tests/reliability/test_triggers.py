"""Nothing lost before a workflow starts: every rule and pipe that starts a workflow retries, then dead-letters.

The template is read through :class:`local.stack.template.Template`: SAM ``EventBridgeRule`` events of the
state machines, ``AWS::Events::Rule`` targets and ``AWS::Pipes::Pipe`` targets that are state machines.
Then each trigger is made unable to start its workflow (its target pointed at a state machine that does not
exist, as after a deletion) and fired once, as its source fires it: the event must land in its dead-letter
queue, after the retries, and start nothing. The target is restored afterwards.
"""

from __future__ import annotations

import pytest

from local.reliability.triggers import undeliverable_trigger
from local.stack.template import Template
from local.stack.triggers import trigger_gaps, workflow_triggers
from tests.support import ROOT

TRIGGERS = workflow_triggers(Template(ROOT / "template.yaml"))
FIRST_WORKFLOWS = ("ec2-enrichment", "image-catalog", "call-center-analysis", "feedback-conversation")


def test_every_trigger_of_a_workflow_has_a_retry_policy_and_a_dead_letter_queue():
    """Every trigger retries a bounded number of times, then dead-letters; the four first workflows' five are known.

    Four rules and one pipe start the four workflows the project began with, each with its own queue.
    """
    assert trigger_gaps(Template(ROOT / "template.yaml")) == []
    first = [t for t in TRIGGERS if t.workflow in FIRST_WORKFLOWS]
    assert sorted((t.workflow, t.kind) for t in first) == [
        ("call-center-analysis", "rule"), ("ec2-enrichment", "rule"), ("feedback-conversation", "pipe"),
        ("feedback-conversation", "rule"), ("image-catalog", "rule")]
    assert {t.name: t.dead_letter for t in first} == {
        "Ec2EnrichmentStateMachineEc2StateChanged": "Ec2StateChangeDLQ",
        "ImageCatalogStateMachineImageUploaded": "ImageUploadedDLQ",
        "CallAnalysisStateMachineRecordingUploaded": "CallRecordingUploadedDLQ",
        "FeedbackConversationStateMachineAppointmentCompleted": "FeedbackAppointmentCompletedDLQ",
        "FeedbackAppointmentCompletedPipe": "FeedbackAppointmentsPipeDLQ",
    }


def test_a_trigger_without_retries_or_dead_letter_queue_is_reported():
    """A rule that would lose what it cannot deliver is named, and so is a pipe retrying forever."""
    template = Template(ROOT / "template.yaml")
    events = template.resources["ImageCatalogStateMachine"].properties["Events"]
    del events["ImageUploaded"]["Properties"]["DeadLetterConfig"]
    stream = template.resources["FeedbackAppointmentCompletedPipe"].properties["SourceParameters"]
    stream["DynamoDBStreamParameters"]["MaximumRetryAttempts"] = -1
    assert trigger_gaps(template) == [
        "image-catalog:ImageCatalogStateMachineImageUploaded: no dead-letter queue: an event it cannot deliver is lost",
        "feedback-conversation:FeedbackAppointmentCompletedPipe: no bounded retry policy (MaximumRetryAttempts)",
    ]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=[t.id for t in TRIGGERS])
def test_trigger_that_cannot_start_its_workflow_lands_in_its_dead_letter_queue(stack, trigger):
    """The workflow's state machine is gone: the business event is kept in the trigger's dead-letter queue.

    A rule's dead letter is the event itself, with the rule, the target and the error as attributes; a
    pipe's (a DynamoDB stream source) describes the failed batch, whose record stays readable in the stream.
    """
    result = undeliverable_trigger(stack, trigger)
    assert result.ok, result.problems
    assert result.started == 0 and len(result.landed) == 1
    if trigger.kind == "rule":
        assert {"RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE"} <= set(result.landed[0]["attributes"])
    else:
        batch = result.landed[0]["body"]["DDBStreamBatchInfo"]
        assert batch["batchSize"] == 1 and batch["streamArn"] == stack.client("dynamodb").describe_table(
            TableName=stack.resource("FeedbackAppointmentsTable"))["Table"]["LatestStreamArn"]
