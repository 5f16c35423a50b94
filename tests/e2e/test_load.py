"""Load on ``python -m local serve``, over HTTP only: a burst of EC2 state changes and 200 SMS conversations.

The loads are :mod:`local.load`'s (also ``python -m local report load``); each test prints its figures (sent,
delivered, correct, seconds) in the test output. Where the time goes, and what would make it shorter, is in
README.md, "Load".
"""

from __future__ import annotations

import pytest

from local.load import ec2_burst, feedback_conversations

pytestmark = [pytest.mark.load, pytest.mark.timeout(300)]

EC2_EVENTS = 1000
CONVERSATIONS = 200


def report(record_property, result) -> None:
    """Hand the figures to the test report: the session's summary lists them (``[load] …``), from any worker."""
    record_property("load", result.line())


@pytest.mark.xdist_group("load-ec2")  # each load on a worker of its own, beside the rest of the suite
def test_burst_of_ec2_state_changes_reaches_the_operators_once_each(served, client, record_property):
    """1,000 EC2 state changes in one burst each reach the operators once, enriched.

    They are put on the default bus in batches of 10, all at once; every one is enriched (Express workflow) and
    delivered to the operators' topic, which an SQS queue subscribed to it receives. Each original event id
    arrives, with the name of its instance (Name tag, or the default name from Parameter Store for untagged
    instances), within the load's bounded wait.
    """
    result = ec2_burst(client, served["resources"], events=EC2_EVENTS, timeout=180)
    report(record_property, result)

    assert result.problems == []
    assert result.sent == result.delivered == result.correct == EC2_EVENTS


@pytest.mark.xdist_group("load-sms")
def test_200_interleaved_sms_conversations_each_end_in_their_own_record(served, client, record_property):
    """200 conversations answered at the same time each end in their own correct feedback record.

    200 appointments are completed at once (AppointmentCompleted events); their customers answer in shuffled
    order, from several phones at a time, with a mix of scores; low scores are followed by yes or no to the
    callback question, and some questions are first answered from another customer's number.

    Every conversation ends COMPLETED with its own score, callback answer and replies in the feedbacks table;
    the answers from the wrong numbers changed nothing.
    """
    result = feedback_conversations(client, served["resources"], conversations=CONVERSATIONS, timeout=180)
    report(record_property, result)

    assert result.problems == []
    assert result.sent == result.delivered == result.correct == CONVERSATIONS
