"""``validate`` checks the triggers: every rule and pipe starting a workflow retries, then dead-letters where it may.

Each test plants one mistake in a copy of the project and runs the ``triggers`` check only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import copy_project, edit_text, problems

RULE = "ImageCatalogStateMachine.Events.ImageUploaded"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project to plant mistakes in."""
    return copy_project(tmp_path)


def test_the_projects_triggers_are_guarded(project):
    """The five triggers of the project (four SAM rules, one pipe) pass."""
    assert problems(project, "triggers") == []


def test_a_rule_without_a_retry_policy_is_reported(project):
    """Without RetryPolicy EventBridge retries for 24 hours and 185 times: the check asks for a bound."""
    edit_text(project, "template.yaml", "            RetryPolicy:\n              MaximumRetryAttempts: 4\n"
                                        "              MaximumEventAgeInSeconds: 3600\n"
                                        "            DeadLetterConfig:\n              Arn: !GetAtt ImageUploadedDLQ",
              "            DeadLetterConfig:\n              Arn: !GetAtt ImageUploadedDLQ")
    assert problems(project, "triggers") == [
        f"template.yaml: {RULE}: the rule starting ImageCatalogStateMachine has no bounded retry policy — add "
        "RetryPolicy: {MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 900} (0 to 185 attempts, 60 to 86400 "
        "seconds)"]


def test_a_rule_without_a_dead_letter_queue_is_reported(project):
    """An event the rule cannot deliver after its retries would be lost."""
    edit_text(project, "template.yaml",
              "            DeadLetterConfig:\n              Arn: !GetAtt ImageUploadedDLQ.Arn\n", "")
    [found] = problems(project, "triggers")
    assert found.startswith(f"template.yaml: {RULE}: the rule starting ImageCatalogStateMachine has no dead-letter "
                            "queue: an event it cannot deliver is lost — add DeadLetterConfig")


def test_a_queue_policy_naming_another_rule_is_reported(project):
    """The queue policy must name SAM's generated rule, ``<Machine><Event>``: naming the event alone lets no rule in.

    The mistake a new workflow makes: ``aws:SourceArn`` of a rule that does not exist (here the event's name).
    """
    edit_text(project, "template.yaml", "aws:SourceArn: !GetAtt ImageCatalogStateMachineImageUploaded.Arn",
              "aws:SourceArn: !Sub arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/ImageUploaded")
    assert problems(project, "triggers") == [
        f"template.yaml: {RULE}: no queue policy lets the rule ImageCatalogStateMachineImageUploaded send to its "
        "dead-letter queue ImageUploadedDLQ: the event would be lost — add an AWS::SQS::QueuePolicy on "
        "ImageUploadedDLQ with a statement Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: "
        "sqs:SendMessage, Resource: !GetAtt ImageUploadedDLQ.Arn, Condition: {ArnEquals: {aws:SourceArn: !GetAtt "
        "ImageCatalogStateMachineImageUploaded.Arn}}"]


def test_a_pipe_whose_role_may_not_send_to_its_queue_is_reported(project):
    """A pipe sends its failed batches with its own role: the role needs sqs:SendMessage on the queue."""
    queue = "                Resource: !GetAtt FeedbackAppointmentsPipeDLQ.Arn"
    edit_text(project, "template.yaml", f"                Action: sqs:SendMessage\n{queue}",
              f"                Action: sqs:GetQueueUrl\n{queue}")
    assert problems(project, "triggers") == [
        "template.yaml: FeedbackAppointmentCompletedPipe: its role FeedbackAppointmentsPipeRole may not send to its "
        "dead-letter queue FeedbackAppointmentsPipeDLQ: the failed batch would be lost — add to "
        "FeedbackAppointmentsPipeRole's policies a statement with Action: sqs:SendMessage, Resource: !GetAtt "
        "FeedbackAppointmentsPipeDLQ.Arn"]


def test_a_pipe_retrying_forever_is_reported(project):
    """``MaximumRetryAttempts: -1`` retries a stream record until it expires (24 hours), blocking the shard."""
    edit_text(project, "template.yaml", "MaximumRetryAttempts: 3", "MaximumRetryAttempts: -1")
    [found] = problems(project, "triggers")
    assert found.startswith("template.yaml: FeedbackAppointmentCompletedPipe: the pipe starting "
                            "FeedbackConversationStateMachine has no bounded retry policy — set ")
