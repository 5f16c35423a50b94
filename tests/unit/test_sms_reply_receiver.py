"""The feedback conversation's SMS reply receiver: its pure logic, without AWS.

Opt-out keywords, phone masking and comparison, reading SNS records and message-lookup rows, and the task
output handed to the waiting workflow. The receiver's AWS side (lookup, idempotency, SendTaskSuccess) is
exercised end to end in tests/workflows/test_feedback_conversation.py.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.support import ROOT, load_handler

app = load_handler("sms_reply_receiver")

INBOUND = {
    "originationNumber": "+14255550182",
    "destinationNumber": "+12065550100",
    "messageKeyword": "KEYWORD_123456789012",
    "messageBody": "3 I waited 40 minutes",
    "previousPublishedMessageId": "7f7133f4-c25d-495a-8fd4-eceec3061915",
    "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
}
LOOKUP_ROW = {
    "MessageId": {"S": "7f7133f4-c25d-495a-8fd4-eceec3061915"},
    "AppointmentId": {"S": "APT-2026-1101"},
    "ConversationStage": {"S": "RATING"},
    "CustomerPhone": {"S": "+14255550182"},
    "TaskToken": {"S": "AQCEAAAAKgAAAAMAAAAA-token"},
    "ExecutionArn": {"S": "arn:aws:states:us-east-1:123456789012:execution:FeedbackConversationStateMachine:x"},
    "CreatedAt": {"S": "2026-11-03T15:42:11.000Z"},
    "ExpiresAt": {"N": "1793899331"},
}


def sns_event(*messages: object) -> dict:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": m if isinstance(m, str) else json.dumps(m)}}
                        for m in messages]}


# --- opt-out keywords -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "STOP", "stop", " Stop ", "STOP.", "stop!", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "OPTOUT",
    "OPT-OUT", "opt out", "opt_out", "REVOKE",
])
def test_opt_out_keywords_are_recognised_in_any_case(body):
    """The carrier opt-out keywords count whatever their letter case, spacing or trailing punctuation."""
    assert app.is_opt_out(body) is True


@pytest.mark.parametrize("body", [
    "", None, "1", "0", "3 stop", "stop it", "please stop", "don't stop", "STOPPED", "ending", "no", "8 STOP",
])
def test_other_replies_are_not_opt_outs(body):
    """Only a reply that is exactly a keyword opts out: a score or a sentence containing 'stop' does not."""
    assert app.is_opt_out(body) is False


# --- phone numbers ----------------------------------------------------------------------------------------------


def test_mask_phone_keeps_only_the_last_two_digits():
    """Logs can tell two numbers apart, but never show one."""
    assert app.mask_phone("+14255550182") == "+*********82"
    assert app.mask_phone("+447700900123") == "+**********23"
    assert app.mask_phone("1234") == "****"
    assert app.mask_phone("") == "" and app.mask_phone(None) == ""
    assert "4255550182" not in app.mask_phone("+14255550182")


def test_normalise_phone_ignores_separators():
    """A number written with spaces, dashes, dots or parentheses is the same number."""
    assert app.normalise_phone("+1 (425) 555-0182") == "+14255550182"
    assert app.normalise_phone("+1.425.555.0182") == app.normalise_phone("+14255550182")
    assert app.normalise_phone(None) == ""
    assert app.normalise_phone("+14255550183") != app.normalise_phone("+14255550182")


# --- SNS records and lookup rows --------------------------------------------------------------------------------


def test_parse_records_reads_each_inbound_sms():
    """Each SNS record's message becomes an InboundSms, in order."""
    second = INBOUND | {"inboundMessageId": "second", "messageBody": "1"}
    messages = app.parse_records(sns_event(INBOUND, second))

    assert [m.inboundMessageId for m in messages] == [INBOUND["inboundMessageId"], "second"]
    assert messages[0].to_dict() == INBOUND
    assert messages[1].messageBody == "1"


def test_parse_records_accepts_a_reply_without_previous_message_id():
    """A message that answers nothing (first contact) still parses; the handler ignores it."""
    message = {k: v for k, v in INBOUND.items() if k not in ("previousPublishedMessageId", "messageKeyword")}
    (parsed,) = app.parse_records(sns_event(message))
    assert parsed.previousPublishedMessageId is None and parsed.messageKeyword is None


@pytest.mark.parametrize("message", [
    "not json",
    "",
    {k: v for k, v in INBOUND.items() if k != "inboundMessageId"},
    INBOUND | {"inboundMessageId": ""},
    INBOUND | {"originationNumber": "425-555-0182"},
    INBOUND | {"originationNumber": None},
    {"default": "a plain SNS notification"},
])
def test_parse_records_marks_what_is_not_an_inbound_sms(message):
    """A record that is not an End User Messaging inbound SMS is None (ignored and logged, never a crash)."""
    assert app.parse_records(sns_event(message)) == [None]


@pytest.mark.parametrize("event", [{}, None, {"Records": []}, {"Records": [{}]}, {"Records": [{"Sns": {}}]}])
def test_parse_records_survives_odd_events(event):
    """An event without records gives nothing; a record without a message gives None."""
    assert all(m is None for m in app.parse_records(event))


def test_read_conversation_reads_the_lookup_row():
    """The message-lookup row as plain values, ExpiresAt as epoch seconds."""
    conversation = app.read_conversation(LOOKUP_ROW)
    assert conversation == {
        "MessageId": "7f7133f4-c25d-495a-8fd4-eceec3061915", "AppointmentId": "APT-2026-1101",
        "ConversationStage": "RATING", "CustomerPhone": "+14255550182",
        "TaskToken": "AQCEAAAAKgAAAAMAAAAA-token", "ExpiresAt": 1793899331,
    }
    without_expiry = {k: v for k, v in LOOKUP_ROW.items() if k != "ExpiresAt"}
    assert app.read_conversation(without_expiry)["ExpiresAt"] is None


# --- task output ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "opt_out"), [("3 I waited 40 minutes", False), ("STOP", True), ("", False)])
def test_task_output_matches_the_reply_schema_and_holds_no_phone(body, opt_out):
    """What the waiting task gets: the reply and its ids, the opt-out flag, never a phone number or token."""
    schema = json.loads((ROOT / "schemas/feedback-conversation.reply.schema.json").read_text())
    output = app.task_output(INBOUND | {"messageBody": body}, app.read_conversation(LOOKUP_ROW),
                             "2026-11-03T16:05:44.310Z")

    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
                                    ).validate(output)
    assert output == {
        "appointmentId": "APT-2026-1101", "conversationStage": "RATING", "messageBody": body, "optOut": opt_out,
        "inboundMessageId": INBOUND["inboundMessageId"],
        "previousPublishedMessageId": INBOUND["previousPublishedMessageId"],
        "receivedAt": "2026-11-03T16:05:44.310Z",
    }
    text = json.dumps(output)
    assert "4255550182" not in text and "token" not in text.lower()


def test_sample_task_output_is_what_the_receiver_builds():
    """events/reply-task-output.json is the output the receiver builds for events/inbound-sms.json."""
    events = ROOT / "workflows/feedback-conversation/events"
    inbound = json.loads((events / "inbound-sms.json").read_text())
    sample = json.loads((events / "reply-task-output.json").read_text())
    row = LOOKUP_ROW | {"MessageId": {"S": inbound["previousPublishedMessageId"]}}
    assert app.task_output(inbound, app.read_conversation(row), sample["receivedAt"]) == sample
