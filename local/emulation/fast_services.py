"""Speed: SQS, SNS and EventBridge do less work per message (behaviour unchanged; installed by ``fast_paths``).

- :func:`_send_sqs_messages_without_recounting_the_queue`: SQS counted the whole queue on every send and for
  every message received;
- :func:`_one_sns_signing_certificate`: SNS made an RSA key per subscription and a certificate per message;
- :func:`_deliver_rule_events_to_topics_in_process`: a rule's delivery to a topic was a whole SDK round trip;
- :func:`_match_event_patterns_without_reencoding`: every rule of a bus encoded and decoded each event again;
- :func:`_copy_event_messages_as_json`: each rule of a bus got its copy of the event envelope through
  ``copy.deepcopy`` (19 calls per copy).

Each has a test in ``tests/unit/test_fast_paths.py``.
"""

from __future__ import annotations

import threading
from typing import Any


def _send_sqs_messages_without_recounting_the_queue() -> None:
    """SendMessage and ReceiveMessage computed every queue attribute (counting all its messages) to read one.

    moto's ``send_message`` asks ``queue.attributes`` only for ``ContentBasedDeduplication``, and receiving asks,
    for each message, ``get_queue_attributes`` for ``MessageRetentionPeriod``; building that dict walks every
    message in the queue, so each send and each message received cost more the fuller the queue (9 ms a send
    at 200 messages). Both now read the one attribute as ``queue.attributes`` gives it (moto 5.2.5's code
    otherwise).
    """
    import hashlib
    import string

    from moto.moto_api._internal import mock_random as random
    from moto.sqs import models as sqs

    def content_based_deduplication(queue: Any) -> Any:
        if not queue.fifo_queue:
            return None  # not among a standard queue's attributes
        value = queue.content_based_deduplication
        return str(value).lower() if isinstance(value, bool) else value

    def send_message(self, queue_name: str, message_body: str, message_attributes: dict[str, Any] | None = None,
                     delay_seconds: int | None = None, deduplication_id: str | None = None,
                     group_id: str | None = None, system_attributes: dict[str, Any] | None = None,
                     validate_group_id: bool = True) -> Any:
        queue = self.get_queue(queue_name)
        self._validate_message(queue, message_body=message_body, delay_seconds=int(delay_seconds or 0),
                               deduplication_id=deduplication_id, group_id=group_id,
                               validate_group_id=validate_group_id)
        delay_seconds = int(delay_seconds) if delay_seconds is not None else queue.delay_seconds
        message = sqs.Message(str(random.uuid4()), message_body, system_attributes)
        if content_based_deduplication(queue) == "true":
            message.deduplication_id = hashlib.sha256(message_body.encode("utf-8")).hexdigest()
        if deduplication_id is not None:
            message.deduplication_id = deduplication_id
            message.sequence_number = "".join(random.choice(string.digits) for _ in range(20))
        if group_id is not None:
            message.group_id = group_id
        if message_attributes:
            message.message_attributes = message_attributes
        if delay_seconds > sqs.MAXIMUM_MESSAGE_DELAY:
            raise sqs.InvalidParameterValue(
                f"Value {delay_seconds} for parameter DelaySeconds is invalid. "
                "Reason: DelaySeconds must be >= 0 and <= 900."
            )
        message.mark_sent(delay_seconds=delay_seconds)
        queue.add_message(message)
        return message

    def is_message_valid_based_on_retention_period(self, queue_name: str, message: Any) -> bool:
        # moto asked get_queue_attributes for MessageRetentionPeriod, which built the whole dict three times.
        retention_period = self.get_queue(queue_name).message_retention_period
        return retention_period + message.sent_timestamp / 1000 > sqs.unix_time()

    sqs.SQSBackend.send_message = send_message
    sqs.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def _one_sns_signing_certificate() -> None:
    """SNS generated an RSA key per subscription and built and signed a new certificate for every message.

    As in AWS, every message of a region is now signed with one key whose certificate stays at one
    ``SigningCertURL``, made on the first message; each message still carries its own SHA256withRSA
    ``Signature`` over the fields AWS signs (moto left out the Subject), which that certificate verifies.
    """
    import base64
    import datetime

    import cryptography.x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.x509.oid import NameOID
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
    from moto.moto_api._internal import mock_random
    from moto.sns import models as sns

    signers: dict[str, tuple[Any, str, bytes]] = {}
    lock = threading.Lock()

    def signer(region: str) -> tuple[Any, str, bytes]:
        with lock:
            if region not in signers:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                name = cryptography.x509.Name
                attribute = cryptography.x509.NameAttribute
                certificate = (
                    cryptography.x509.CertificateBuilder()
                    .subject_name(name([attribute(NameOID.COMMON_NAME, "sns.amazonaws.com")]))
                    .issuer_name(name([attribute(NameOID.COUNTRY_NAME, "US"),
                                       attribute(NameOID.ORGANIZATION_NAME, "Amazon"),
                                       attribute(NameOID.COMMON_NAME, "Amazon RSA 2048 M01")]))
                    .public_key(key.public_key())
                    .serial_number(cryptography.x509.random_serial_number())
                    .not_valid_before(utcnow())
                    .not_valid_after(utcnow() + datetime.timedelta(days=365))
                    .sign(key, hashes.SHA256())
                )
                key_name = f"SimpleNotificationService-{str(mock_random.uuid4()).replace('-', '')}.pem"
                signers[region] = (key, key_name, certificate.public_bytes(serialization.Encoding.PEM))
            return signers[region]

    def get_post_data(self, message: str, message_id: str, subject: str | None,
                      message_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        region = self.topic.sns_backend.region_name
        key, key_name, pem = signer(region)
        # Served, unauthenticated, from the default account's backend (as moto serves each message's certificate);
        # registered again after a reset.
        sns.sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys.setdefault(key_name, pem)
        timestamp = iso_8601_datetime_with_milliseconds()
        # As AWS signs a notification: the Subject too when there is one (moto left it out).
        string_to_sign = "".join(f"{name}\n{value}\n" for name, value in (
            ("Message", message), ("MessageId", message_id), ("Subject", subject), ("Timestamp", timestamp),
            ("TopicArn", self.topic.arn), ("Type", "Notification")) if name != "Subject" or subject)
        signature = key.sign(string_to_sign.encode("UTF-8"), padding.PKCS1v15(), hashes.SHA256())
        post_data: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": self.topic.arn,
            "Message": message,
            "Timestamp": timestamp,
            "SignatureVersion": "2",
            "Signature": base64.b64encode(signature).decode("utf-8"),
            "SigningCertURL": f"https://sns.{region}.amazonaws.com/{key_name}",
            "UnsubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:"
                              f"us-east-1:{self.account_id}:{self.topic.name}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        }
        if subject:
            post_data["Subject"] = subject
        if message_attributes:
            post_data["MessageAttributes"] = message_attributes
        return post_data

    sns.Subscription.get_post_data = get_post_data


def _deliver_rule_events_to_topics_in_process() -> None:
    """A rule's delivery to an SNS topic went through a whole SDK call for moto to decode again.

    The event (a kilobyte of JSON) was query-encoded byte by byte, signed, decoded by moto's Publish action and
    answered in XML for nobody to read. The delivery now makes the call moto's Publish action makes on its
    SNS backend, when that call is the whole of it: a standard topic of the caller's account, a message within
    SNS's size limit. Anything else, and a delivery that fails, goes through the SDK as before, so a failure
    reaches the rule's retries and dead-letter queue with the API's error.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns import models as sns

    from local.emulation import eventbridge

    original = eventbridge.deliver_to_target

    def deliver_to_target(target_arn: str, payload: str, target: Any) -> None:
        parts = target_arn.split(":")
        if len(parts) == 6 and parts[2] == "sns" and parts[4] == DEFAULT_ACCOUNT_ID:
            backend = sns.sns_backends[DEFAULT_ACCOUNT_ID][parts[3]]
            topic = backend.topics.get(target_arn)
            if topic is not None and not topic.fifo_topic and len(payload) <= sns.MAXIMUM_MESSAGE_LENGTH:
                try:
                    backend.publish(payload, arn=target_arn, message_attributes={})
                    return
                except Exception:  # a subscriber failed: the SDK call below fails with the API's error
                    pass  # (and delivers again, as the rule's own retry of a failed delivery does)
        original(target_arn, payload, target)

    eventbridge.deliver_to_target = deliver_to_target


#: moto's own ``EventPattern.matches_event``, kept by :func:`_match_event_patterns_without_reencoding`.
moto_matches_event: Any = None


def _match_event_patterns_without_reencoding() -> None:
    """Each rule of a bus turned the event into JSON text and back before matching its pattern against it.

    The event moto hands the rules is made of JSON values already (the decoded ``Detail``, strings, the
    ``Resources`` list, a number or the ``Time`` given), so the round trip gave an equal copy that the matching
    only reads. The pattern is now matched against the event itself.
    """
    from moto.events.models import EventPattern

    global moto_matches_event  # noqa: PLW0603 - kept for the test that compares the two
    moto_matches_event = EventPattern.matches_event

    def matches_event(self, event: Any) -> bool:
        return not self._pattern or self._does_event_match(self._flatten_dict(event), self._pattern)

    EventPattern.matches_event = matches_event


def _copy_event_messages_as_json() -> None:
    """PutEvents copied moto's event envelope (a JSON object) with ``copy.deepcopy`` once per rule of the bus.

    The envelope holds JSON values only (strings, an empty list and an empty object, nothing shared), so a
    JSON copy is the same copy; the module's only use of ``copy`` is this one.
    """
    import copy
    import types

    from moto.events import models

    from local.engine.fast_paths import json_copy

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return json_copy(value) if memo is None else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)


def install() -> None:
    """Install the service fast paths."""
    _match_event_patterns_without_reencoding()
    _copy_event_messages_as_json()
    _send_sqs_messages_without_recounting_the_queue()
    _one_sns_signing_certificate()
    _deliver_rule_events_to_topics_in_process()
