"""Answers of S3, SNS, SQS and Secrets Manager where moto's differ from AWS's in what a workflow can observe.

Each fix is one function naming the difference; a workflow sees them in its Task results or, through ``Catch``,
in the error and cause of a failed call.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable

_SEQUENCE = itertools.count(10000000000000000000)
_SEQUENCE_LOCK = threading.Lock()


def _objects_are_encrypted_by_default() -> None:
    """S3 encrypts every new object with SSE-S3 (AES256) since January 2023; moto only when the bucket says so.

    PutObject, GetObject and HeadObject then answer ``ServerSideEncryption: AES256``; a single PutObject with a
    checksum also answers ``ChecksumType: FULL_OBJECT``.
    """
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    original_put = S3Backend.put_object

    @functools.wraps(original_put)
    def put_object(self, bucket_name, key_name, value, *args, **kwargs):
        if not kwargs.get("encryption") and not self.get_bucket(bucket_name).encryption:
            kwargs["encryption"] = "AES256"
        return original_put(self, bucket_name, key_name, value, *args, **kwargs)

    S3Backend.put_object = put_object

    original_response = S3Response.put_object

    @functools.wraps(original_response)
    def put_object_response(self):
        answer = original_response(self)
        headers = answer[1] if isinstance(answer, tuple) and len(answer) == 3 else None
        if isinstance(headers, dict) and any(k.lower().startswith("x-amz-checksum-") for k in headers):
            headers.setdefault("x-amz-checksum-type", "FULL_OBJECT")
        return answer

    S3Response.put_object = put_object_response


def _publish_answers_as_sns_does() -> None:
    """SNS Publish answers as SNS does: missing topic, FIFO topic without a group, FIFO sequence numbers.

    A missing topic is "Topic does not exist" (moto looked for a mobile endpoint and said "Endpoint does not
    exist"); a FIFO topic without MessageGroupId is ``InvalidParameter`` "Invalid parameter: The MessageGroupId
    parameter is required for FIFO topics" (moto: MissingParameter); a FIFO publish answers its ``SequenceNumber``.
    """
    from moto.sns.exceptions import SNSInvalidParameter, TopicNotFound
    from moto.sns.models import SNSBackend, sns_backends
    from moto.sns.responses import SNSResponse
    from moto.utilities.arns import parse_arn

    original = SNSBackend.publish

    def topic_of(arn: str | None):
        if not arn or ":endpoint/" in arn or not arn.startswith("arn:"):
            return None
        parsed = parse_arn(arn)
        topics = sns_backends[parsed.account][parsed.region].topics
        if arn not in topics:
            raise TopicNotFound
        return topics[arn]

    @functools.wraps(original)
    def publish(self, message, arn, phone_number=None, *args, **kwargs):
        if not phone_number:
            topic = topic_of(arn)
            if topic is not None and topic.fifo_topic and not kwargs.get("group_id"):
                raise SNSInvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        return original(self, message, arn, phone_number, *args, **kwargs)

    SNSBackend.publish = publish

    original_response = SNSResponse.publish

    @functools.wraps(original_response)
    def publish_response(self):
        result = original_response(self)
        arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        answer = getattr(result, "_result", None)
        if isinstance(answer, dict) and arn and arn.endswith(".fifo"):
            with _SEQUENCE_LOCK:
                answer["SequenceNumber"] = str(next(_SEQUENCE))
        return result

    SNSResponse.publish = publish_response


def _send_message_needs_a_body() -> None:
    """SQS SendMessage without MessageBody is ``MissingParameter`` (moto crashed on ``len(None)``).

    SQS says "The request must contain the parameter MessageBody.".
    """
    from moto.sqs.exceptions import SQSException
    from moto.sqs.responses import SQSResponse

    class MissingParameter(SQSException):
        def __init__(self, parameter: str) -> None:
            super().__init__("MissingParameter", f"The request must contain the parameter {parameter}.")

    original = SQSResponse.send_message

    @functools.wraps(original)
    def send_message(self):
        if self._get_param("MessageBody") is None:
            raise MissingParameter("MessageBody")
        return original(self)

    SQSResponse.send_message = send_message


_SECRET_NAME = re.compile(r"[a-zA-Z0-9/_+=.@!-]{1,512}")


def _secret_names_are_validated() -> None:
    """Secrets Manager refuses a secret name outside ``[a-zA-Z0-9/_+=.@!-]`` (moto created "Invalid Name")."""
    from moto.secretsmanager.exceptions import ValidationException
    from moto.secretsmanager.models import SecretsManagerBackend

    original = SecretsManagerBackend.create_secret

    @functools.wraps(original)
    def create_secret(self, name, *args, **kwargs):
        if not _SECRET_NAME.fullmatch(name or ""):
            raise ValidationException("Invalid name. Must be a valid name containing alphanumeric characters, or any "
                                      "of the following: -/_+=.@!")
        return original(self, name, *args, **kwargs)

    SecretsManagerBackend.create_secret = create_secret


def _notification_configuration_shows_eventbridge() -> None:
    """GetBucketNotificationConfiguration includes ``EventBridgeConfiguration`` when it is on (moto answered ``{}``)."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.s3.responses import S3Response

    def get_bucket_notification(self):
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if not configuration:
            return self.serialized(EmptyResult())

        def entry(item, arn_key: str) -> dict:
            found = {"Id": item.id, arn_key: item.arn, "Events": item.events}
            if item.filters:
                found["Filter"] = {"Key": {"FilterRules": item.filters["S3Key"]["FilterRule"]}}
            return found

        result = {
            "TopicConfigurations": [entry(t, "TopicArn") for t in configuration.topic],
            "QueueConfigurations": [entry(q, "QueueArn") for q in configuration.queue],
            "LambdaFunctionConfigurations": [entry(f, "LambdaFunctionArn") for f in configuration.cloud_function],
        }
        if configuration.event_bridge is not None:
            result["EventBridgeConfiguration"] = {}
        self.data["Action"] = "GetBucketNotificationConfiguration"
        return self.serialized(ActionResult(result))

    S3Response.get_bucket_notification = get_bucket_notification


FIXES: tuple[Callable[[], None], ...] = (
    _objects_are_encrypted_by_default, _publish_answers_as_sns_does, _send_message_needs_a_body,
    _secret_names_are_validated, _notification_configuration_shows_eventbridge,
)


def install() -> None:
    """Install every fix of this module."""
    for fix in FIXES:
        fix()
