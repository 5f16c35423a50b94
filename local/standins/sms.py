"""AWS End User Messaging SMS (``pinpoint-sms-voice-v2``) ``SendTextMessage``, simulated.

moto has no End User Messaging SMS. Locally, ``SendTextMessage`` validates what the real API validates for
the workflows' use (E.164 destination, a message body of at most 1,600 characters, an origination identity)
and records the message in :data:`OUTBOX` instead of sending it; tests and the demo read the outbox to
reply to a message by its ``MessageId``, as a phone would. Nothing leaves the machine.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

from local.standins import ServiceError, standin

#: Every message "sent", oldest first. Each: MessageId, DestinationPhoneNumber, OriginationIdentity,
#: MessageBody, MessageType, Context, SentAt (epoch seconds).
OUTBOX: list[dict[str, Any]] = []
_lock = threading.Lock()
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def reset() -> None:
    """Empty the outbox."""
    with _lock:
        OUTBOX.clear()


@standin("pinpoint-sms-voice-v2", "SendTextMessage")
def send_text_message(params: dict[str, Any]) -> dict[str, Any]:
    """Record an outbound SMS and return its ``MessageId``."""
    destination = params.get("DestinationPhoneNumber")
    if not destination or not _E164.match(str(destination)):
        raise ServiceError("ValidationException", "DestinationPhoneNumber must be an E.164 phone number")
    body = params.get("MessageBody") or ""
    if not body:
        raise ServiceError("ValidationException", "MessageBody must not be empty")
    if len(body) > 1600:
        raise ServiceError("ValidationException", "MessageBody must be at most 1600 characters")
    message = {
        "MessageId": str(uuid.uuid4()),
        "DestinationPhoneNumber": destination,
        "OriginationIdentity": params.get("OriginationIdentity"),
        "MessageBody": body,
        "MessageType": params.get("MessageType", "TRANSACTIONAL"),
        "Context": params.get("Context") or {},
        "SentAt": time.time(),
    }
    with _lock:
        OUTBOX.append(message)
    return {"MessageId": message["MessageId"]}
