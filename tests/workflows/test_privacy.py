"""Privacy of the feedback conversation: phone numbers and task tokens do not leak where people can read them.

A customer's phone number is needed in exactly three places: the execution's input, the SMS API call that asks
the question, and the message-lookup row that lets the reply receiver check the answer comes from that number.
It must not show in the reply receiver's logs (Powertools Logger, JSON on stdout, captured here as it is
written), in the events the workflow puts on the application bus, nor in the execution's output. Task tokens
live in the message-lookup table only. That a reply from another number cannot move a conversation is
``test_reply_from_another_number_is_ignored`` in ``test_feedback_conversation.py``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local.stack.template import ACCOUNT_ID
from tests.support.feedback import Customer, new_phone, plain


def masked(number: str) -> str:
    """How the receiver writes a number in its logs: every digit but the last two hidden (``+*********82``)."""
    return "+" + "*" * (len(number) - 3) + number[-2:]


def secrets_of(number: str) -> tuple[str, str]:
    """A number as it could leak: with and without its ``+``."""
    return number, number[1:]


@contextmanager
def receiver_logs_to_stdout(stack) -> Iterator[None]:
    """Point the reply receiver's Powertools Logger at the current ``sys.stdout`` (``capsys``'s, in a test).

    Its stream handler holds the stdout of the moment the function was first loaded, which may belong to
    another test's capture; it gets its stream back afterwards.
    """
    stack.client("lambda").invoke(FunctionName=stack.resource("FeedbackSmsReplyReceiverFunction"),
                                  Payload=json.dumps({"Records": []}))  # loads the function if it is not yet
    handlers = [h for h in logging.getLogger("feedback-conversation").handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "the receiver's Powertools Logger has no stream handler"
    previous = [handler.stream for handler in handlers]
    for handler in handlers:
        handler.setStream(sys.stdout)
    try:
        yield
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.stream = stream


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a captured output, one a line (other lines are skipped)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture()
def bus_events(stack):
    """Every event put on the application bus while the test runs (a catch-all rule to a queue)."""
    inbox = stack.listen(stack.resource("ApplicationEventBus"), {"account": [ACCOUNT_ID]})
    yield inbox.messages
    inbox.close()


def low_score_with_callback(stack, customer: Customer, stranger: str | None = None) -> tuple[str, list[str]]:
    """Play a conversation: rating 2 with a comment, then yes to the call; optionally a stranger answers first.

    Returns the execution ARN and the task tokens of the two questions.
    """
    arn = customer.start()
    first = customer.question(1)
    if stranger:
        customer.reply("10 all good", answering=first, sender=stranger)
    customer.reply("2 nobody called me back", answering=first)
    second = customer.question(2)
    customer.reply("1", answering=second)
    execution = stack.wait(arn)
    assert (execution.status, execution.output["callbackRequested"]) == ("SUCCEEDED", "Y")
    tokens = [plain(customer.await_registration(q["MessageId"]))["TaskToken"] for q in (first, second)]
    return arn, tokens


def test_receiver_logs_show_numbers_masked_and_never_tokens_or_replies(stack, capsys):
    """The reply receiver's logs show numbers masked, and never a number, a task token or a reply's text.

    A stranger answers a customer's question, then the customer answers twice: each outcome is logged with the
    appointment (what the Powertools Logger writes to stdout, captured with ``capsys``).
    """
    customer, stranger = Customer(stack), new_phone()
    with receiver_logs_to_stdout(stack):
        capsys.readouterr()
        _arn, tokens = low_score_with_callback(stack, customer, stranger=stranger)
        logs = json_lines(capsys.readouterr().out)

    outcomes = [line.get("outcome") for line in logs if line.get("appointmentId") == customer.appointment_id]
    assert outcomes.count("IGNORED_OTHER_NUMBER") == 1 and outcomes.count("RESUMED") == 2
    ignored = next(line for line in logs if line.get("outcome") == "IGNORED_OTHER_NUMBER")
    assert (ignored["from"], ignored["expected"]) == (masked(stranger), masked(customer.phone))
    text = json.dumps(logs)
    for secret in (*secrets_of(customer.phone), *secrets_of(stranger), *tokens,
                   "nobody called me back", "all good"):
        assert secret not in text, f"the receiver logged {secret!r}"


def test_events_on_the_bus_carry_the_number_masked_and_no_token(stack, bus_events):
    """Nothing the workflow puts on the application bus carries a phone number or a task token.

    The support team's CallbackRequested event names the appointment and the last two digits of the number.
    """
    customer = Customer(stack, name="Ana Lima")
    arn, tokens = low_score_with_callback(stack, customer)

    mine = stack.eventually(lambda: [e for e in bus_events() if customer.appointment_id in json.dumps(e)])
    (event,) = mine
    assert (event["source"], event["detail-type"]) == ("custom.feedback", "CallbackRequested")
    assert event["detail"]["customerPhoneMasked"] == masked(customer.phone)
    assert event["detail"]["appointmentId"] == customer.appointment_id and arn in event["resources"]
    text = json.dumps(mine)
    for secret in (*secrets_of(customer.phone), *tokens):
        assert secret not in text


def test_execution_shows_the_number_only_where_the_conversation_needs_it(stack):
    """The execution's output has no phone number, and its history shows it only where it is needed.

    The number appears in the input (and the states that read it), the SMS requests and the message-lookup
    rows; never in the callback event.
    """
    customer = Customer(stack)
    arn, tokens = low_score_with_callback(stack, customer)
    execution = stack.execution(arn)

    assert not any(secret in json.dumps(execution.output) for secret in (*secrets_of(customer.phone), *tokens))
    where = set()
    for event in execution.history:
        if customer.phone[1:] in json.dumps(event):
            details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails") or {}
            scheduled = event.get("taskScheduledEventDetails") or {}
            where.add(details.get("name") or scheduled.get("resource", "").rsplit(":", 1)[-1] or event["type"])
    assert where == {"ExecutionStarted", "CheckInput", "IsInputValid", "PrepareConversation",
                     "sendTextMessage", "putItem.waitForTaskToken"}
