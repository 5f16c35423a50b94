"""Feedback conversation: an SMS survey after each completed appointment, resumed by the customer's replies.

Every test plays a conversation as a phone would: it reads the question from the SMS stand-in's outbox
(``stack.sent_sms``), waits until the question is registered for replies (its row in the message-lookup
table, written by the step that waits), and publishes the customer's reply to the inbound topic in the AWS
End User Messaging SMS shape; the reply receiver (Lambda, run in-process) resumes the execution. Each test
uses its own appointment id and phone number, and checks the business outcome: the feedback record, the
messages sent, the CallbackRequested event, the path taken, the error and its cause.
"""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from boto3.dynamodb.types import TypeDeserializer
from referencing import Registry, Resource

from local.standins.comprehend import score_sentiment
from tests.conftest import ROOT, load_json

WORKFLOW = "feedback-conversation"
EVENTS = ROOT / "workflows" / WORKFLOW / "events"
RATING_QUESTION = ("Please rate your recent appointment by replying to this message on a scale of 1 to 10, where "
                   "10 represents the best experience. Thank you. Reply STOP to opt out.")
CALLBACK_QUESTION = ("Sorry we didn't meet your expectations. Would you be willing to receive a call from us with a "
                     "more in-depth survey? Please reply with 1 for Yes, 0 for No")
CALLBACK_CONFIRMATION = "One of our team members will reach out to you as soon as possible. Thank you!"
THANKS = "Thank you for your feedback!"
SORRY = "Sorry, we could not read your reply. "

_SCHEMAS = {name: load_json(f"schemas/feedback-conversation.{name}.schema.json") for name in (
    "input", "appointment-completed", "inbound-sms", "reply", "callback-requested", "feedback-record", "output",
    "message-lookup")}
_REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in _SCHEMAS.values()
)


def validate(instance: Any, schema: str) -> None:
    """Validate against one of the workflow's schemas (formats checked)."""
    jsonschema.Draft202012Validator(
        _SCHEMAS[schema], registry=_REGISTRY, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain JSON values (numbers as int or float)."""
    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return convert({key: TypeDeserializer().deserialize(value) for key, value in item.items()})


#: Numbers handed out in this process. The SMS outbox is shared by every test and a phone's inbox is found by
#: number, so two customers with one number would read (and answer) each other's questions: numbers drawn at
#: random from a million collided about once in a few hundred runs.
_PHONE_NUMBERS = itertools.count(1)


def new_phone() -> str:
    """An E.164 number from the 555 range (fictional), never handed out twice in this process."""
    return f"+1425555{next(_PHONE_NUMBERS):06d}"


# --- the conversation, as the customer's phone sees it ----------------------------------------------------------


class Customer:
    """One customer with a phone: reads our questions, replies to the latest one."""

    def __init__(self, stack, appointment_id: str | None = None, phone: str | None = None,
                 name: str = "Jane Doe") -> None:
        self.stack = stack
        self.appointment_id = appointment_id or f"APT-{uuid.uuid4().hex[:10]}"
        self.phone = phone or new_phone()
        self.name = name

    @property
    def appointment(self) -> dict[str, str]:
        return {"appointmentId": self.appointment_id, "customerName": self.name, "customerPhone": self.phone}

    def start(self, case: str | None = None) -> str:
        return self.stack.start(WORKFLOW, self.appointment, case=case)

    def inbox(self) -> list[dict[str, Any]]:
        """Every SMS sent to this phone, oldest first."""
        return [m for m in self.stack.sent_sms if m["DestinationPhoneNumber"] == self.phone]

    def sms(self, number: int, timeout: float = 10.0) -> dict[str, Any]:
        """The ``number``-th SMS (1-based) sent to this phone, once it has been sent."""
        def nth_sms() -> dict[str, Any] | None:
            inbox = self.inbox()
            return inbox[number - 1] if len(inbox) >= number else None

        return self.stack.eventually(nth_sms, timeout=timeout, message=f"SMS #{number} to the customer never sent")

    def question(self, number: int, timeout: float = 10.0) -> dict[str, Any]:
        """The ``number``-th SMS (1-based), once it is registered for replies in the message-lookup table."""
        message = self.sms(number, timeout)
        self.await_registration(message["MessageId"], timeout)
        return message

    def await_registration(self, message_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the question's lookup row: from then on a reply resumes the execution."""
        ddb = self.stack.client("dynamodb")
        table = self.stack.resource("FeedbackMessageLookupTable")
        key = {"MessageId": {"S": message_id}}
        return self.stack.eventually(
            lambda: ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item"),
            timeout=timeout, message=f"question {message_id} never registered for replies",
        )

    def inbound(self, body: str, answering: str, sender: str | None = None,
                inbound_id: str | None = None) -> dict[str, Any]:
        """The End User Messaging inbound message for a reply to message ``answering``."""
        return {
            "originationNumber": sender or self.phone,
            "destinationNumber": "+12065550100",
            "messageKeyword": "KEYWORD_123456789012",
            "messageBody": body,
            "inboundMessageId": inbound_id or str(uuid.uuid4()),
            "previousPublishedMessageId": answering,
        }

    def reply(self, body: str, answering: dict[str, Any] | str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Reply ``body`` to ``answering`` (default: the latest SMS) through the inbound SNS topic."""
        if answering is None:
            answering = self.inbox()[-1]
        message_id = answering if isinstance(answering, str) else answering["MessageId"]
        message = self.inbound(body, message_id, **kwargs)
        validate(message, "inbound-sms")
        publish(self.stack, message)
        return message

    def record(self) -> dict[str, Any] | None:
        item = self.stack.client("dynamodb").get_item(
            TableName=self.stack.resource("FeedbacksTable"), Key={"AppointmentId": {"S": self.appointment_id}},
            ConsistentRead=True,
        ).get("Item")
        return plain(item) if item else None


def publish(stack, message: dict[str, Any]) -> None:
    stack.client("sns").publish(TopicArn=stack.resource("FeedbackInboundSmsTopic"), Message=json.dumps(message))


def sns_event(message: dict[str, Any]) -> dict[str, Any]:
    """An SNS event for the receiver, as Lambda gets it."""
    event = load_json(f"workflows/{WORKFLOW}/events/sns-inbound-sms-event.json")
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def invoke_receiver(stack, message: dict[str, Any]) -> list[dict[str, Any]]:
    """Call the reply receiver directly; returns its outcome per record."""
    response = stack.client("lambda").invoke(
        FunctionName=stack.resource("FeedbackSmsReplyReceiverFunction"), Payload=json.dumps(sns_event(message))
    )
    assert "FunctionError" not in response, response
    return json.loads(response["Payload"].read())["outcomes"]


def still_waiting(stack, arn: str, state: str) -> bool:
    """The execution is running and its last state entered is ``state``."""
    execution = stack.execution(arn)
    return execution.status == "RUNNING" and execution.states[-1] == state


@pytest.fixture(scope="module")
def callback_requests(stack):
    """CallbackRequested events on the application bus, caught by a queue: ``fetch(appointment_id)``."""
    inbox = stack.listen(stack.resource("ApplicationEventBus"),
                         {"source": ["custom.feedback"], "detail-type": ["CallbackRequested"]})
    yield lambda appointment_id: [e for e in inbox.messages() if e["detail"]["appointmentId"] == appointment_id]
    inbox.close()


class ReceiverLogs(logging.Handler):
    """Everything the reply receiver hands its logger (message and extra keys)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(json.dumps({k: str(v) for k, v in vars(record).items()}))


@pytest.fixture()
def receiver_logs():
    handler = ReceiverLogs()
    logger = logging.getLogger("feedback-conversation")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


# --- one stage, two stages ---------------------------------------------------------------------------------


def test_score_8_is_recorded_and_thanked_in_one_stage(stack, callback_requests):
    """A customer rates the appointment 8: the score is recorded, the conversation completes, they are thanked.

    No callback question is asked and no event is published; the record holds the single reply.
    """
    customer = Customer(stack)
    arn = customer.start()
    question = customer.question(1)
    assert question["MessageBody"] == RATING_QUESTION
    assert question["OriginationIdentity"] == "+12065550100"  # the template parameter's default
    assert question["Context"] == {"AppointmentId": customer.appointment_id, "ConversationStage": "RATING"}
    lookup = plain(customer.await_registration(question["MessageId"]))
    validate(lookup, "message-lookup")
    assert lookup["CustomerPhone"] == customer.phone and lookup["ConversationStage"] == "RATING"
    assert lookup["ExecutionArn"] == arn

    reply = customer.reply("8")
    execution = stack.wait(arn)

    assert execution.status == "SUCCEEDED"
    resumed = [json.loads(e["taskSucceededEventDetails"]["output"]) for e in execution.history
               if e["type"] == "TaskSucceeded" and e["taskSucceededEventDetails"]["resource"].endswith(
                   "putItem.waitForTaskToken")]
    assert len(resumed) == 1
    validate(resumed[0], "reply")
    assert resumed[0]["messageBody"] == "8" and resumed[0]["optOut"] is False
    assert customer.phone not in json.dumps(resumed[0])
    assert execution.output == {"appointmentId": customer.appointment_id, "status": "COMPLETED", "score": 8,
                                "callbackRequested": "N", "closingMessageSent": True}
    validate(execution.output, "output")
    assert "AskAboutCallback" not in execution.states and "ScoreComment" not in execution.states
    assert execution.states[-2:] == ["ThankCustomer", "ConversationEnded"]
    assert [m["MessageBody"] for m in customer.inbox()] == [RATING_QUESTION, THANKS]
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "COMPLETED" and record["Score"] == 8 and record["CallbackRequested"] == "N"
    assert record["ConversationStage"] == "RATING" and "Sentiment" not in record
    assert [(r["Stage"], r["MessageBody"], r["Outcome"], r["Score"]) for r in record["Replies"]] == [
        ("RATING", "8", "ANSWER", 8)]
    assert record["Replies"][0]["InboundMessageId"] == reply["inboundMessageId"]
    assert record["CompletedAt"] >= record["StartedAt"]
    assert callback_requests(customer.appointment_id) == []


def test_score_3_then_callback_yes_publishes_callback_requested(stack, callback_requests):
    """A customer rates 3 with a complaint, then accepts a call: CallbackRequested = Y and an event for support.

    The comment is scored by Comprehend and stored with the reply; the customer gets the confirmation SMS.
    """
    customer = Customer(stack, name="Ravi Patel")
    arn = customer.start()
    customer.question(1)
    customer.reply("3 I waited 40 minutes and nobody told me why")
    second = customer.question(2)
    assert second["MessageBody"] == CALLBACK_QUESTION
    assert second["Context"]["ConversationStage"] == "CALLBACK"
    in_between = customer.record()
    assert in_between["Status"] == "IN_PROGRESS" and in_between["ConversationStage"] == "CALLBACK"
    assert in_between["Score"] == 3

    customer.reply("1", answering=second)
    execution = stack.wait(arn)

    assert execution.status == "SUCCEEDED"
    assert execution.output["status"] == "COMPLETED" and execution.output["callbackRequested"] == "Y"
    assert execution.states[-4:] == ["WantsCallback", "RequestCallback", "ConfirmCallback", "ConversationEnded"]
    assert [m["MessageBody"] for m in customer.inbox()] == [RATING_QUESTION, CALLBACK_QUESTION, CALLBACK_CONFIRMATION]

    expected_label, expected_scores = score_sentiment("I waited 40 minutes and nobody told me why")
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "COMPLETED" and record["CallbackRequested"] == "Y" and record["Score"] == 3
    assert record["Sentiment"] == expected_label == "NEGATIVE"
    rating, answer = record["Replies"]
    assert rating["Comment"] == "I waited 40 minutes and nobody told me why"
    assert rating["Sentiment"] == "NEGATIVE" and rating["SentimentScore"] == pytest.approx(expected_scores)
    assert (answer["Stage"], answer["MessageBody"], answer["Outcome"]) == ("CALLBACK", "1", "ANSWER")

    events = stack.eventually(lambda: callback_requests(customer.appointment_id))
    assert len(events) == 1
    validate(events[0], "callback-requested")
    assert events[0]["detail"] | {"requestedAt": None} == {
        "appointmentId": customer.appointment_id, "customerName": "Ravi Patel",
        "customerPhoneMasked": "+" + "*" * (len(customer.phone) - 3) + customer.phone[-2:],
        "score": 3, "sentiment": "NEGATIVE", "requestedAt": None, "feedbackExecutionArn": arn,
    }
    assert customer.phone[1:] not in json.dumps(events[0])  # the number itself never travels on the bus
    assert arn in events[0]["resources"]  # the optimised PutEvents integration adds the execution


def test_score_3_then_callback_no_thanks_without_event(stack, callback_requests):
    """A customer rates 3 (no comment) and declines the call: CallbackRequested = N, thanked, no event."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply("3")
    customer.question(2)
    customer.reply("0")
    execution = stack.wait(arn)

    assert execution.output == {"appointmentId": customer.appointment_id, "status": "COMPLETED", "score": 3,
                                "callbackRequested": "N", "closingMessageSent": True}
    assert "RequestCallback" not in execution.states and "ScoreComment" not in execution.states
    assert [m["MessageBody"] for m in customer.inbox()] == [RATING_QUESTION, CALLBACK_QUESTION, THANKS]
    record = customer.record()
    validate(record, "feedback-record")
    assert record["CallbackRequested"] == "N" and record["Status"] == "COMPLETED" and "Sentiment" not in record
    assert [(r["Stage"], r["MessageBody"]) for r in record["Replies"]] == [("RATING", "3"), ("CALLBACK", "0")]
    assert callback_requests(customer.appointment_id) == []


# --- replies that are not answers ----------------------------------------------------------------------------


def test_unreadable_reply_is_asked_again_then_valid_reply_counts(stack):
    """'Great service!' is no rating: the question is asked again with an apology; '9/10' is then recorded."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply("Great service!")
    again = customer.question(2)
    assert again["MessageBody"] == SORRY + RATING_QUESTION
    customer.reply("9/10 thanks", answering=again)
    execution = stack.wait(arn)

    assert execution.output["status"] == "COMPLETED" and execution.output["score"] == 9
    assert execution.states.count("AskForRating") == 2 and "RecordUnreadableReply" in execution.states
    record = customer.record()
    validate(record, "feedback-record")
    assert [(r["MessageBody"], r["Outcome"]) for r in record["Replies"]] == [
        ("Great service!", "UNREADABLE"), ("9/10 thanks", "ANSWER")]
    assert record["Replies"][1]["Comment"] == "thanks" and record["Sentiment"] == "POSITIVE"


def test_third_unreadable_reply_ends_with_invalid_reply(stack):
    """Three unreadable replies to the callback question: asked twice again, then status INVALID_REPLY."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply("2")
    for number, body in ((2, "maybe"), (3, "what survey?"), (4, "10")):
        customer.question(number)
        customer.reply(body)
    execution = stack.wait(arn)

    assert execution.output == {"appointmentId": customer.appointment_id, "status": "INVALID_REPLY", "score": 2,
                                "callbackRequested": "N", "closingMessageSent": False}
    assert [m["MessageBody"] for m in customer.inbox()] == [
        RATING_QUESTION, CALLBACK_QUESTION, SORRY + CALLBACK_QUESTION, SORRY + CALLBACK_QUESTION]
    assert execution.states[-2:] == ["RecordInvalidReply", "ConversationEnded"]
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "INVALID_REPLY" and record["Score"] == 2
    assert [r["Outcome"] for r in record["Replies"]] == ["ANSWER", "UNREADABLE", "UNREADABLE", "UNREADABLE"]


def test_reply_from_another_number_is_ignored(stack, receiver_logs):
    """Someone else answers the customer's question: ignored and logged (numbers masked); the customer's counts.

    Nothing in the receiver's logs shows a phone number or the task token.
    """
    customer = Customer(stack)
    arn = customer.start()
    question = customer.question(1)
    stranger = new_phone()
    ignored = customer.reply("1", sender=stranger)

    assert invoke_receiver(stack, ignored) == [{"outcome": "IGNORED_OTHER_NUMBER",
                                                "appointmentId": customer.appointment_id}]  # cached outcome
    assert still_waiting(stack, arn, "WaitForRating")
    assert customer.record()["Replies"] == []

    customer.reply("7", answering=question)
    execution = stack.wait(arn)
    assert execution.output["score"] == 7
    assert [r["MessageBody"] for r in customer.record()["Replies"]] == ["7"]

    token = plain(customer.await_registration(question["MessageId"]))["TaskToken"]
    logs = "\n".join(receiver_logs.records)
    assert "IGNORED_OTHER_NUMBER" in logs and "RESUMED" in logs
    assert "+" + "*" * (len(stranger) - 3) + stranger[-2:] in logs  # masked: +*********42
    for secret in (customer.phone, stranger, customer.phone[1:], stranger[1:], token):
        assert secret not in logs


def test_reply_to_unknown_message_is_ignored(stack):
    """A reply to a message we never sent (or whose row is gone) is ignored and changes nothing."""
    customer = Customer(stack)
    arn = customer.start()
    question = customer.question(1)
    unknown = customer.reply("2", answering=f"unknown-{uuid.uuid4()}")

    assert invoke_receiver(stack, unknown) == [{"outcome": "IGNORED_UNKNOWN_MESSAGE"}]
    assert still_waiting(stack, arn, "WaitForRating")
    assert customer.record()["Replies"] == []

    customer.reply("10", answering=question)
    assert stack.wait(arn).output["score"] == 10


def test_duplicate_sns_delivery_is_applied_once(stack):
    """SNS delivers the same reply twice: the second delivery returns the first result, nothing is applied again.

    The unreadable reply is recorded once and the question re-asked once; the idempotency record is kept.
    """
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    first = customer.reply("hello?")
    again = customer.question(2)
    publish(stack, first)  # the duplicate delivery, once the conversation has moved on

    # Without idempotency the duplicate would find the used token and report IGNORED_NOT_WAITING.
    assert invoke_receiver(stack, first)[0]["outcome"] == "RESUMED"
    assert still_waiting(stack, arn, "WaitForRating")
    assert len(customer.inbox()) == 2
    assert [r["InboundMessageId"] for r in customer.record()["Replies"]] == [first["inboundMessageId"]]
    records = stack.client("dynamodb").scan(TableName=stack.resource("FeedbackIdempotencyTable"))["Items"]
    remembered = [plain(r) for r in records if customer.appointment_id in r.get("data", {}).get("S", "")]
    assert len(remembered) == 1 and remembered[0]["status"] == "COMPLETED"
    assert json.loads(remembered[0]["data"])["outcome"] == "RESUMED"

    customer.reply("6", answering=again)
    execution = stack.wait(arn)
    assert execution.output["score"] == 6 and execution.states.count("RecordUnreadableReply") == 1


@pytest.mark.parametrize(("body", "score", "comment"), [
    ("10", 10, None),
    (" 7 ", 7, None),
    ("9/10", 9, None),
    ("10 / 10", 10, None),
    ("5!", 5, None),
    ("8, nice and quick", 8, "nice and quick"),
    ("6 - ok I guess", 6, "ok I guess"),
])
def test_rating_replies_that_count(stack, body, score, comment):
    """A whole number from 1 to 10 first counts, with '/10', punctuation and a comment after it allowed."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply(body)
    execution = stack.wait(arn)

    assert execution.output["status"] == "COMPLETED" and execution.output["score"] == score
    (reply,) = customer.record()["Replies"]
    assert (reply["Outcome"], reply["Score"], reply.get("Comment")) == ("ANSWER", score, comment)
    assert ("ScoreComment" in execution.states) is (comment is not None)


@pytest.mark.parametrize("body", ["0", "11", "100", "3.5", "1 0", "-3", "five", "#4", "", "I'd say 7"])
def test_rating_replies_that_do_not_count(stack, body):
    """Anything but a score from 1 to 10 at the start is unreadable: kept in the record, the question re-asked."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply(body)
    again = customer.question(2)

    assert again["MessageBody"] == SORRY + RATING_QUESTION
    assert [(r["MessageBody"], r["Outcome"]) for r in customer.record()["Replies"]] == [(body, "UNREADABLE")]
    customer.reply("STOP", answering=again)
    assert stack.wait(arn).output["status"] == "OPTED_OUT"


@pytest.mark.parametrize(("body", "callback"), [
    ("1", "Y"), ("Yes", "Y"), ("y!", "Y"), ("0", "N"), ("No.", "N"), ("n", "N"), ("2", None), ("maybe", None),
])
def test_callback_answers(stack, body, callback):
    """1 / yes / y accept the call and 0 / no / n decline it, in any case; anything else is asked again."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply("2")
    customer.question(2)
    customer.reply(body)
    if callback is None:
        assert customer.question(3)["MessageBody"] == SORRY + CALLBACK_QUESTION
        customer.reply("0")
    execution = stack.wait(arn)

    assert execution.output["status"] == "COMPLETED"
    assert execution.output["callbackRequested"] == (callback or "N")
    assert customer.record()["Replies"][1]["Outcome"] == ("ANSWER" if callback else "UNREADABLE")


# --- the end of a conversation without an answer ---------------------------------------------------------------


def test_no_reply_within_24_hours_ends_with_no_response(stack):
    """The customer never replies: after the 24-hour reply timeout the conversation ends with NO_RESPONSE.

    A reply arriving after that is ignored: nobody waits for it any more.
    """
    customer = Customer(stack)
    arn = customer.start()
    question = customer.question(1)
    stack.wait_for_state(arn, "WaitForRating")
    stack.clock.advance(25 * 3600)
    execution = stack.wait(arn)

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"appointmentId": customer.appointment_id, "status": "NO_RESPONSE", "score": None,
                                "callbackRequested": "N", "closingMessageSent": False}
    assert execution.states[-3:] == ["WaitForRating", "RecordNoResponse", "ConversationEnded"]
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "NO_RESPONSE" and "Score" not in record and record["Replies"] == []
    assert [m["MessageBody"] for m in customer.inbox()] == [RATING_QUESTION]

    late = customer.inbound("9", question["MessageId"])
    assert invoke_receiver(stack, late) == [{"outcome": "IGNORED_NOT_WAITING",
                                             "appointmentId": customer.appointment_id}]
    assert customer.record()["Status"] == "NO_RESPONSE"


def test_no_answer_to_callback_question_keeps_the_score(stack):
    """A customer rates 4 and then goes quiet: NO_RESPONSE, with the score of 4 still recorded."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply("4")
    customer.question(2)
    stack.wait_for_state(arn, "WaitForCallbackAnswer")
    stack.clock.advance(25 * 3600)
    execution = stack.wait(arn)

    assert execution.output["status"] == "NO_RESPONSE" and execution.output["score"] == 4
    record = customer.record()
    assert record["Status"] == "NO_RESPONSE" and record["Score"] == 4 and record["ConversationStage"] == "CALLBACK"
    assert record["CallbackRequested"] == "N"


@pytest.mark.parametrize("keyword", ["STOP", "stop", "Unsubscribe.", "opt-out"])
def test_stop_opts_out_and_nothing_more_is_sent(stack, keyword):
    """The customer replies STOP (or another opt-out keyword): OPTED_OUT, and no further SMS is sent."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply(keyword)
    execution = stack.wait(arn)

    assert execution.output["status"] == "OPTED_OUT" and execution.output["closingMessageSent"] is False
    assert execution.states[-2:] == ["RecordOptOut", "ConversationEnded"]
    assert [m["MessageBody"] for m in customer.inbox()] == [RATING_QUESTION]
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "OPTED_OUT"
    assert [(r["MessageBody"], r["Outcome"]) for r in record["Replies"]] == [(keyword, "OPT_OUT")]


def test_stop_at_the_callback_question_opts_out(stack):
    """STOP in answer to the callback question also ends the conversation, keeping the score."""
    customer = Customer(stack)
    arn = customer.start()
    customer.question(1)
    customer.reply("1")
    customer.question(2)
    customer.reply("STOP")
    execution = stack.wait(arn)

    assert execution.output["status"] == "OPTED_OUT" and execution.output["score"] == 1
    assert len(customer.inbox()) == 2
    assert customer.record()["CallbackRequested"] == "N"


# --- triggers ---------------------------------------------------------------------------------------------------


def test_appointment_completed_in_table_starts_conversation_end_to_end(stack):
    """End to end: an appointment set to COMPLETED in the appointments table (stream → pipe → workflow).

    The customer's reply, published to the inbound topic, ends in the right feedback record.
    """
    item = load_json(f"workflows/{WORKFLOW}/events/appointment-item.json")
    customer = Customer(stack, name=item["CustomerName"]["S"])
    item.update(AppointmentId={"S": customer.appointment_id}, CustomerPhone={"S": customer.phone})
    ddb, table = stack.client("dynamodb"), stack.resource("FeedbackAppointmentsTable")
    ddb.put_item(TableName=table, Item=item)  # SCHEDULED: nothing happens
    ddb.update_item(TableName=table, Key={"AppointmentId": {"S": customer.appointment_id}},
                    UpdateExpression="SET AppointmentStatus = :done",
                    ExpressionAttributeValues={":done": {"S": "COMPLETED"}})

    question = customer.question(1)
    assert question["MessageBody"] == RATING_QUESTION
    lookup = plain(customer.await_registration(question["MessageId"]))
    arn = lookup["ExecutionArn"]
    assert stack.execution(arn).input == customer.appointment
    customer.reply("9 friendly staff, thank you")
    execution = stack.wait(arn)

    assert execution.output["status"] == "COMPLETED" and execution.output["score"] == 9
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "COMPLETED" and record["Score"] == 9
    assert record["Replies"][0]["Comment"] == "friendly staff, thank you"
    assert record["Sentiment"] == score_sentiment("friendly staff, thank you")[0] == "POSITIVE"


def test_appointment_inserted_as_completed_starts_conversation(stack):
    """An appointment written directly as COMPLETED starts the conversation too."""
    customer = Customer(stack)
    stack.client("dynamodb").put_item(TableName=stack.resource("FeedbackAppointmentsTable"), Item={
        "AppointmentId": {"S": customer.appointment_id}, "CustomerName": {"S": customer.name},
        "CustomerPhone": {"S": customer.phone}, "AppointmentStatus": {"S": "COMPLETED"}})
    question = customer.question(1)
    customer.reply("10")
    execution = stack.wait(plain(customer.await_registration(question["MessageId"]))["ExecutionArn"])
    assert execution.output["score"] == 10


def test_pipe_filter_selects_only_new_completions(stack):
    """The pipe starts the workflow for INSERT/MODIFY to COMPLETED only, not for other statuses or re-edits."""
    pipe = next(p for p in stack.provisioner.pipes if p.name == stack.resource("FeedbackAppointmentCompletedPipe"))
    record = load_json(f"workflows/{WORKFLOW}/events/dynamodb-stream-record.json")

    def matches(event_name: str, new: str | None, old: str | None, **image: Any) -> bool:
        candidate = json.loads(json.dumps(record))
        candidate["eventName"] = event_name
        for key, status in (("NewImage", new), ("OldImage", old)):
            if status is None and key == "OldImage":
                candidate["dynamodb"].pop("OldImage")
            elif status is None:
                candidate["dynamodb"]["NewImage"].pop("AppointmentStatus")
            else:
                candidate["dynamodb"][key]["AppointmentStatus"] = {"S": status}
        candidate["dynamodb"]["NewImage"].update(image)
        return any(pattern.matches_event(candidate) for pattern in pipe.patterns)

    assert matches("MODIFY", "COMPLETED", "SCHEDULED")
    assert matches("INSERT", "COMPLETED", None)
    assert not matches("MODIFY", "COMPLETED", "COMPLETED")  # an edit of a completed appointment
    assert not matches("MODIFY", "CANCELLED", "SCHEDULED")
    assert not matches("INSERT", "SCHEDULED", None)
    assert not matches("REMOVE", "COMPLETED", "SCHEDULED")
    phoneless = json.loads(json.dumps(record))
    phoneless["dynamodb"]["NewImage"].pop("CustomerPhone")
    assert not any(pattern.matches_event(phoneless) for pattern in pipe.patterns)


def test_appointment_completed_event_starts_conversation(stack):
    """An AppointmentCompleted event on the application bus starts the conversation with its detail."""
    event = load_json(f"workflows/{WORKFLOW}/events/appointment-completed.json")
    validate(event, "appointment-completed")
    customer = Customer(stack, name=event["detail"]["customerName"])
    response = stack.client("events").put_events(Entries=[{
        "EventBusName": stack.resource("ApplicationEventBus"), "Source": event["source"],
        "DetailType": event["detail-type"], "Detail": json.dumps(customer.appointment),
    }])
    assert response["FailedEntryCount"] == 0
    question = customer.question(1)
    arn = plain(customer.await_registration(question["MessageId"]))["ExecutionArn"]
    assert stack.execution(arn).input == customer.appointment
    customer.reply("5")
    assert stack.wait(arn).output["status"] == "COMPLETED"


def test_pipe_batch_of_one_is_accepted(stack):
    """EventBridge Pipes hand Step Functions a one-element array: the workflow unwraps it."""
    customer = Customer(stack)
    arn = stack.start(WORKFLOW, [customer.appointment])
    customer.question(1)
    customer.reply("8")
    assert stack.wait(arn).output["appointmentId"] == customer.appointment_id


def test_second_trigger_for_the_same_appointment_asks_once(stack):
    """Event and table change (or a repeated event) for one appointment: the customer is asked only once."""
    customer = Customer(stack)
    first = customer.start()
    customer.question(1)
    second = stack.wait(customer.start())

    assert second.status == "SUCCEEDED"
    assert second.output == {"appointmentId": customer.appointment_id, "status": "ALREADY_STARTED"}
    validate(second.output, "output")
    assert len(customer.inbox()) == 1 and customer.record()["ExecutionArn"] == first
    customer.reply("8")
    assert stack.wait(first).output["score"] == 8


@pytest.mark.parametrize(("change", "cause"), [
    ({"appointmentId": None}, "appointmentId is required"),
    ({"appointmentId": "  "}, "appointmentId is required"),
    ({"customerPhone": None}, "customerPhone is required"),
    ({"customerPhone": "425-555-0182"}, "customerPhone must be an E.164 phone number"),
    ({"customerName": 42}, "customerName must be a string"),
    ("batch", "the input is a batch of 2 appointments"),
])
def test_invalid_input_fails_at_once(stack, change, cause):
    """A missing or malformed field fails at once with FeedbackConversation.InvalidInput naming it; no SMS."""
    customer = Customer(stack)
    if change == "batch":
        payload: Any = [customer.appointment, customer.appointment]
    else:
        payload = {k: v for k, v in (customer.appointment | change).items() if v is not None}
    with pytest.raises(jsonschema.ValidationError):
        validate(payload, "input")
    execution = stack.run(WORKFLOW, payload)

    assert execution.status == "FAILED"
    assert execution.error == "FeedbackConversation.InvalidInput"
    assert execution.cause.startswith("Invalid input: " + cause)
    assert execution.states == ["CheckInput", "IsInputValid", "RejectInvalidInput"]
    assert customer.inbox() == [] and customer.record() is None


def test_demo_conversation_plays_as_documented(stack):
    """events/demo-conversation.json, step by step, as `make demo` plays it: table change, two replies, callback.

    Every check the file lists must hold (the player raises at the first miss), and the execution must have
    been started by the pipe, not by StartExecution.
    """
    from local.demo import play_conversation

    played = play_conversation(stack, load_json(f"workflows/{WORKFLOW}/events/demo-conversation.json"))

    pipe = next(p for p in stack.provisioner.pipes if p.name == stack.resource("FeedbackAppointmentCompletedPipe"))
    assert played["execution"].arn in pipe.started
    assert played["texts"] == [RATING_QUESTION, CALLBACK_QUESTION, CALLBACK_CONFIRMATION]
    assert (played["record"]["Score"], played["record"]["CallbackRequested"]) == (3, "Y")


# --- faults (MockConfigFile test cases) --------------------------------------------------------------------------


def test_throttled_sms_is_retried(stack):
    """SendTextMessage is throttled twice, then sends: the conversation goes on after the back-off (SmsThrottled)."""
    customer = Customer(stack)
    arn = customer.start(case="SmsThrottled")
    message_id = "mock-feedback-sms-throttled-0002"
    customer.await_registration(message_id)
    publish(stack, customer.inbound("8", message_id))
    execution = stack.wait(arn)

    assert execution.output["status"] == "COMPLETED" and execution.output["score"] == 8
    failures = [e for e in execution.history if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failures] == ["PinpointSmsVoiceV2.ThrottlingException"] * 2
    assert execution.states.count("AskForRating") == 1


def test_number_already_opted_out_is_recorded_as_opted_out(stack):
    """The number is on the opt-out list (SendTextMessage ConflictException): OPTED_OUT, not a failure."""
    customer = Customer(stack)
    execution = stack.run(WORKFLOW, customer.appointment, case="NumberOptedOut")

    assert execution.status == "SUCCEEDED" and execution.output["status"] == "OPTED_OUT"
    assert execution.states[-3:] == ["IsNumberOptedOut", "RecordNumberOptedOut", "ConversationEnded"]
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "OPTED_OUT" and record["Replies"] == []


def test_sms_outage_is_recorded_and_fails_the_execution(stack):
    """End User Messaging keeps failing: the record says FAILED with the error; the execution fails by name."""
    customer = Customer(stack)
    execution = stack.run(WORKFLOW, customer.appointment, case="SmsServiceDown")

    assert execution.status == "FAILED"
    assert execution.error == "FeedbackConversation.SmsNotSent"
    assert execution.cause.startswith("AskForRating failed with PinpointSmsVoiceV2.InternalServerException: ")
    assert execution.states.count("AskForRating") == 1
    assert len([e for e in execution.history if e["type"] == "TaskFailed"]) == 4  # first try + 3 retries
    record = customer.record()
    validate(record, "feedback-record")
    assert record["Status"] == "FAILED" and record["FailedState"] == "AskForRating"
    assert record["FailureError"] == "PinpointSmsVoiceV2.InternalServerException"


def test_sentiment_outage_keeps_the_rating(stack):
    """Comprehend is down: the rating and its comment are recorded without a sentiment (SentimentUnavailable)."""
    customer = Customer(stack)
    arn = customer.start(case="SentimentUnavailable")
    customer.question(1)
    customer.reply("6 a bit slow")
    execution = stack.wait(arn)

    assert execution.output["status"] == "COMPLETED" and execution.output["score"] == 6
    record = customer.record()
    validate(record, "feedback-record")
    assert "Sentiment" not in record and "Sentiment" not in record["Replies"][0]
    assert record["Replies"][0]["Comment"] == "a bit slow"


def test_callback_event_rejected_is_recorded_and_no_call_promised(stack, callback_requests):
    """The bus keeps rejecting the CallbackRequested event: FAILED (CallbackRequested stays Y), no promise sent."""
    customer = Customer(stack)
    arn = customer.start(case="CallbackEventRejected")
    customer.question(1)
    customer.reply("2")
    customer.question(2)
    customer.reply("yes")
    execution = stack.wait(arn)

    assert execution.status == "FAILED" and execution.error == "FeedbackConversation.CallbackNotRequested"
    assert execution.cause.startswith("RequestCallback failed with EventBridge.FailedEntry")
    assert [m["MessageBody"] for m in customer.inbox()] == [RATING_QUESTION, CALLBACK_QUESTION]
    record = customer.record()
    assert record["Status"] == "FAILED" and record["CallbackRequested"] == "Y"
    assert record["FailedState"] == "RequestCallback"


# --- contracts ---------------------------------------------------------------------------------------------------


def test_sample_events_match_their_schemas():
    """The samples in events/ are what the schemas describe (console input, events, SMS, task output)."""
    validate(load_json(f"workflows/{WORKFLOW}/events/console-start.json"), "input")
    event = load_json(f"workflows/{WORKFLOW}/events/appointment-completed.json")
    validate(event, "appointment-completed")
    validate(event["detail"], "input")
    inbound = load_json(f"workflows/{WORKFLOW}/events/inbound-sms.json")
    validate(inbound, "inbound-sms")
    sns = load_json(f"workflows/{WORKFLOW}/events/sns-inbound-sms-event.json")
    assert json.loads(sns["Records"][0]["Sns"]["Message"]) == inbound
    validate(load_json(f"workflows/{WORKFLOW}/events/reply-task-output.json"), "reply")
    validate(load_json(f"workflows/{WORKFLOW}/events/callback-requested.json"), "callback-requested")
    demo = load_json(f"workflows/{WORKFLOW}/events/demo-conversation.json")
    steps = demo["steps"]
    assert [s["body"] for s in steps if s["action"] == "expectSms"] == [
        RATING_QUESTION, CALLBACK_QUESTION, CALLBACK_CONFIRMATION]
    detail = load_json(f"workflows/{WORKFLOW}/events/appointment-completed.json")["detail"]
    assert detail == demo["customer"]
    validate(demo["customer"], "input")
    (output,) = [s["output"] for s in steps if s["action"] == "expectExecution"]
    validate(output, "output")
    assert (output["status"], output["score"], output["callbackRequested"]) == ("COMPLETED", 3, "Y")
