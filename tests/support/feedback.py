"""The feedback conversation as the customer's phone sees it: questions read from the SMS outbox, replies sent.

Shared by ``tests/workflows/test_feedback_conversation.py`` and ``tests/workflows/test_privacy.py``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema
from referencing import Registry, Resource

# A customer's number: the driver's, unique in the process, so tests and the driver's journeys never share one (the
# SMS outbox is shared and a phone's questions are found by number).
from local.workflows.feedback_conversation import new_phone_number as new_phone
from tests.support import load_json, plain

WORKFLOW = "feedback-conversation"

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
