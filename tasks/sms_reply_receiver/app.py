"""Resume a waiting feedback conversation when the customer replies by SMS.

Why a Lambda function: AWS End User Messaging SMS delivers two-way replies to an SNS topic, and a reply has
to be matched to the execution that waits for it (by the id of the message it answers) and turned into a
``SendTaskSuccess`` call. SNS cannot start or resume a Step Functions *task* by itself, so this small
function sits between the topic and the workflow. It holds no conversation logic: what counts as a valid
answer is decided by the workflow, which knows which question was asked.

Event: an SNS event whose ``Message`` is the End User Messaging inbound JSON::

    {"originationNumber": "+14255550182", "destinationNumber": "+12065550100",
     "messageBody": "8", "inboundMessageId": "…", "previousPublishedMessageId": "…"}

For each record the function

1. looks the conversation up in the message-lookup table by ``previousPublishedMessageId`` (the id of the
   outbound SMS the customer answered; consistent read),
2. ignores, and logs, replies that answer no known message, whose question expired, or that come from
   another number than the one the question went to,
3. resumes the waiting task with ``SendTaskSuccess``; the output is the reply (text, ids, time) and an
   ``optOut`` flag for the carrier opt-out keywords (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT,
   OPT-OUT, REVOKE). A token that is no longer waiting (the conversation timed out or moved on) is logged
   and ignored.

Each reply is handled once per ``inboundMessageId`` (Powertools idempotency, DynamoDB table): SNS may deliver
a message more than once, and a duplicate gets the first delivery's result without touching the workflow.

Privacy: phone numbers are only logged masked (``+*********82``), message bodies and task tokens never.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes.sns_event import SNSEventRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

SERVICE = "feedback-conversation"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)

LOOKUP_TABLE = os.environ.get("FEEDBACK_MESSAGE_LOOKUP_TABLE", "")
IDEMPOTENCY_TABLE = os.environ.get("FEEDBACK_IDEMPOTENCY_TABLE", "")
#: How long a handled inboundMessageId is remembered (SNS and Lambda retries end well before).
IDEMPOTENCY_SECONDS = int(os.environ.get("FEEDBACK_IDEMPOTENCY_SECONDS", str(24 * 3600)))

#: Carrier opt-out keywords (the whole reply, any letter case).
OPT_OUT_KEYWORDS = frozenset({
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT", "REVOKE",
})
#: Errors of SendTaskSuccess that mean "nobody waits for this token any more".
NOT_WAITING = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
E164 = r"^\+[1-9]\d{1,14}$"

# Clients are created once per execution environment.
dynamodb = boto3.client("dynamodb")
sfn = boto3.client("stepfunctions")
persistence = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE, boto3_client=dynamodb)
idempotency = IdempotencyConfig(
    event_key_jmespath="inboundMessageId",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_SECONDS,
)


@dataclass(frozen=True)
class InboundSms:
    """An inbound message as AWS End User Messaging SMS publishes it to the two-way SNS topic.

    A plain dataclass rather than a pydantic model: pydantic's import alone cost this function 60 ms of cold
    start, for six string fields.
    """

    originationNumber: str
    destinationNumber: str
    inboundMessageId: str
    messageBody: str = ""
    previousPublishedMessageId: str | None = None
    messageKeyword: str | None = None

    @classmethod
    def from_json(cls, text: str) -> InboundSms:
        """Read and check one message.

        Parameters
        ----------
        text : str
            The SNS message: End User Messaging inbound JSON.

        Returns
        -------
        InboundSms
            The message.

        Raises
        ------
        ValueError
            When the text is not JSON, not an object, or a field is missing or of the wrong type; the origination
            number must be E.164, the destination number and inbound message id non-empty.

        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an inbound SMS is a JSON object")
        if not isinstance(data.get("originationNumber"), str) or not re.fullmatch(E164, data["originationNumber"]):
            raise ValueError("originationNumber must be an E.164 phone number")
        for name in ("destinationNumber", "inboundMessageId"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise ValueError(f"{name} must be a non-empty string")
        for name in ("messageBody", "previousPublishedMessageId", "messageKeyword"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ValueError(f"{name} must be a string")
        return cls(**{f.name: data[f.name] for f in fields(cls) if data.get(f.name) is not None})

    def to_dict(self) -> dict[str, Any]:
        """The message as a dict (the idempotency key is its ``inboundMessageId``)."""
        return asdict(self)


# --- pure logic (unit-tested without AWS) ------------------------------------------------------------


def mask_phone(number: str | None) -> str:
    """Mask a phone number for logs: enough to tell numbers apart, not to call anyone.

    Parameters
    ----------
    number : str or None
        A phone number, normally E.164 (``+14255550182``).

    Returns
    -------
    str
        The number with every digit but the last two replaced by ``*`` (``+*********82``); numbers of four
        characters or fewer are masked entirely, and a missing number gives ``""``.

    """
    if not number:
        return ""
    text = str(number)
    keep = 2 if len(text) > 4 else 0
    head = "+" if text.startswith("+") else ""
    hidden = len(text) - len(head) - keep
    return head + "*" * hidden + (text[-keep:] if keep else "")


def normalise_phone(number: str | None) -> str:
    """Drop the spaces, dots, dashes and parentheses people (and some systems) put in numbers.

    Parameters
    ----------
    number : str or None
        A phone number as written, e.g. ``+1 (425) 555-0182``.

    Returns
    -------
    str
        The number without separators (``+14255550182``), to compare two numbers; ``""`` for none.

    """
    return re.sub(r"[\s().\-]", "", number or "")


def is_opt_out(body: str | None) -> bool:
    """Tell whether the whole reply is a carrier opt-out keyword.

    Parameters
    ----------
    body : str or None
        The reply text.

    Returns
    -------
    bool
        True when the reply is one of :data:`OPT_OUT_KEYWORDS` (letter case, surrounding spaces, trailing
        ``.``, ``!`` or ``?`` and separators inside ``OPT-OUT`` do not matter); False for anything else,
        e.g. ``"stop it"`` or ``"3 please stop calling"``.

    """
    text = (body or "").strip().upper().rstrip(".!?").strip()
    if not text:
        return False
    compact = re.sub(r"[\s_\-]+", "", text)
    return text in OPT_OUT_KEYWORDS or compact in {k.replace("-", "") for k in OPT_OUT_KEYWORDS}


def parse_records(event: dict[str, Any]) -> list[InboundSms | None]:
    """Read the inbound messages of an SNS event.

    Parameters
    ----------
    event : dict
        The SNS event Lambda receives (``Records[].Sns.Message`` holds the End User Messaging JSON).

    Returns
    -------
    list of InboundSms or None
        One entry per record, in order: the parsed message, or ``None`` for a record whose message is not an
        inbound SMS (not JSON, no ``inboundMessageId``, an origination number that is not E.164, …).

    """
    messages: list[InboundSms | None] = []
    for record in (event or {}).get("Records") or []:
        try:
            messages.append(InboundSms.from_json(SNSEventRecord(record).sns.message))
        except (KeyError, TypeError, ValueError, AttributeError):
            messages.append(None)
    return messages


def task_output(reply: dict[str, Any], conversation: dict[str, Any], received_at: str) -> dict[str, Any]:
    """Build the output of the waiting task (``SendTaskSuccess``), without any phone number.

    Parameters
    ----------
    reply : dict
        The inbound SMS (:class:`InboundSms` as a dict).
    conversation : dict
        The message-lookup row the reply answers, as :func:`read_conversation` returns it.
    received_at : str
        When the reply was handled (ISO 8601, UTC).

    Returns
    -------
    dict
        ``appointmentId``, ``conversationStage``, ``messageBody``, ``optOut``, ``inboundMessageId``,
        ``previousPublishedMessageId`` and ``receivedAt`` (``schemas/feedback-conversation.reply.schema.json``).

    """
    return {
        "appointmentId": conversation["AppointmentId"],
        "conversationStage": conversation["ConversationStage"],
        "messageBody": reply.get("messageBody") or "",
        "optOut": is_opt_out(reply.get("messageBody")),
        "inboundMessageId": reply["inboundMessageId"],
        "previousPublishedMessageId": reply["previousPublishedMessageId"],
        "receivedAt": received_at,
    }


def read_conversation(item: dict[str, Any]) -> dict[str, Any]:
    """Read a message-lookup row.

    Parameters
    ----------
    item : dict
        The row in DynamoDB JSON (``{"MessageId": {"S": …}, …}``).

    Returns
    -------
    dict
        ``MessageId``, ``AppointmentId``, ``ConversationStage``, ``CustomerPhone``, ``TaskToken`` as strings and
        ``ExpiresAt`` as epoch seconds (``None`` when the row has none).

    """
    return {
        "MessageId": item["MessageId"]["S"],
        "AppointmentId": item["AppointmentId"]["S"],
        "ConversationStage": item["ConversationStage"]["S"],
        "CustomerPhone": item["CustomerPhone"]["S"],
        "TaskToken": item["TaskToken"]["S"],
        "ExpiresAt": int(item["ExpiresAt"]["N"]) if "ExpiresAt" in item else None,
    }


def _now() -> datetime:
    """Return the current time in UTC (a seam for tests)."""
    return datetime.now(UTC)


# --- AWS ------------------------------------------------------------------------------------------------


@idempotent_function(data_keyword_argument="reply", config=idempotency, persistence_store=persistence)
def handle_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """Resume the conversation this reply answers, or say why it was ignored.

    Runs once per ``inboundMessageId``: a second delivery of the same reply gets the first result back from the
    idempotency table without calling DynamoDB or Step Functions again.

    Parameters
    ----------
    reply : dict
        The inbound SMS (:class:`InboundSms` as a dict).

    Returns
    -------
    dict
        ``outcome``: ``RESUMED``, ``IGNORED_NOT_A_REPLY``, ``IGNORED_UNKNOWN_MESSAGE``, ``IGNORED_EXPIRED``,
        ``IGNORED_OTHER_NUMBER`` or ``IGNORED_NOT_WAITING``; with ``appointmentId`` once the conversation is
        known, and ``conversationStage`` and ``optOut`` when it was resumed.

    Raises
    ------
    botocore.exceptions.ClientError
        When DynamoDB or Step Functions fail otherwise (throttling, an outage): the idempotency record is
        released and Lambda retries the asynchronous SNS delivery, then sends it to the dead-letter queue.

    """
    message_id = reply.get("previousPublishedMessageId")
    if not message_id:
        logger.warning("Inbound SMS that answers no message ignored", extra={"outcome": "IGNORED_NOT_A_REPLY"})
        return {"outcome": "IGNORED_NOT_A_REPLY"}

    item = dynamodb.get_item(
        TableName=LOOKUP_TABLE, Key={"MessageId": {"S": message_id}}, ConsistentRead=True
    ).get("Item")
    if not item:
        logger.warning("Reply to an unknown message ignored",
                       extra={"outcome": "IGNORED_UNKNOWN_MESSAGE", "previousPublishedMessageId": message_id})
        return {"outcome": "IGNORED_UNKNOWN_MESSAGE"}
    conversation = read_conversation(item)
    logger.append_keys(appointmentId=conversation["AppointmentId"],
                       conversationStage=conversation["ConversationStage"])

    now = _now()
    if conversation["ExpiresAt"] is not None and conversation["ExpiresAt"] < now.timestamp():
        # TTL deletes expired rows lazily (within days): an expired row is as good as gone.
        logger.info("Reply to an expired question ignored", extra={"outcome": "IGNORED_EXPIRED"})
        return {"outcome": "IGNORED_EXPIRED", "appointmentId": conversation["AppointmentId"]}

    if normalise_phone(reply["originationNumber"]) != normalise_phone(conversation["CustomerPhone"]):
        logger.warning("Reply from another number than the customer's ignored", extra={
            "outcome": "IGNORED_OTHER_NUMBER",
            "from": mask_phone(reply["originationNumber"]),
            "expected": mask_phone(conversation["CustomerPhone"]),
        })
        return {"outcome": "IGNORED_OTHER_NUMBER", "appointmentId": conversation["AppointmentId"]}

    output = task_output(reply, conversation, now.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    try:
        sfn.send_task_success(taskToken=conversation["TaskToken"], output=json.dumps(output))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in NOT_WAITING:
            logger.info("The conversation no longer waits for this reply",
                        extra={"outcome": "IGNORED_NOT_WAITING", "reason": code})
            return {"outcome": "IGNORED_NOT_WAITING", "appointmentId": conversation["AppointmentId"]}
        raise  # throttling and the like: let Lambda retry the delivery
    logger.info("Conversation resumed", extra={
        "outcome": "RESUMED", "optOut": output["optOut"], "replyLength": len(output["messageBody"]),
    })
    tracer.put_annotation(key="outcome", value="RESUMED")
    return {"outcome": "RESUMED", "appointmentId": conversation["AppointmentId"],
            "conversationStage": conversation["ConversationStage"], "optOut": output["optOut"]}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Handle every inbound SMS of an SNS event.

    Parameters
    ----------
    event : dict
        The SNS event (sample: ``workflows/feedback-conversation/events/sns-inbound-sms-event.json``).
    context : LambdaContext
        The Lambda context (its remaining time bounds the idempotency record's in-progress lock).

    Returns
    -------
    dict
        ``{"outcomes": [...]}``, one :func:`handle_reply` result per record, or ``{"outcome":
        "IGNORED_MALFORMED"}`` for a record that is not an inbound SMS.

    """
    idempotency.register_lambda_context(context)
    outcomes = []
    for message in parse_records(event):
        if message is None:
            logger.warning("SNS message that is not an inbound SMS ignored", extra={"outcome": "IGNORED_MALFORMED"})
            outcomes.append({"outcome": "IGNORED_MALFORMED"})
            continue
        logger.append_keys(inboundMessageId=message.inboundMessageId)
        outcomes.append(handle_reply(reply=message.to_dict()))
    return {"outcomes": outcomes}
