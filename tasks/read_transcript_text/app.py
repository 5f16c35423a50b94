"""Return the text of an Amazon Transcribe transcript JSON that is too large for a Step Functions state.

Why a Lambda function: the workflow reads transcripts itself (S3 GetObject, then JSONata ``$parse``), but a
state's result may not exceed 256 KiB, and a transcript JSON carries one item per word with timings and
confidence, about twelve times the size of the text: past roughly 25 minutes of speech the JSON no longer
fits while its text still does. This function reads the JSON from S3 and returns only
``results.transcripts[0].transcript``.

Event:    ``{"bucket": "…", "key": "transcripts/<job>.json"}``
Response: ``{"transcript": "…", "bytes": 123456}``
Result schema: ``schemas/call-center-analysis.read-transcript-result.schema.json``

A text over 200,000 bytes of UTF-8 (hours of speech) is refused with ``TranscriptTooLong``: it would not fit
the workflow's state either. The text itself is never logged: transcripts hold personal data.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="call-center-analysis")
tracer = Tracer(service="call-center-analysis")
s3 = boto3.client("s3")

#: The largest text handed back (the workflow's states are limited to 256 KiB).
MAX_TEXT_BYTES = 200_000


class InvalidTranscriptRequest(ValueError):
    """The event lacks ``bucket`` or ``key`` (non-empty strings)."""


class NotATranscript(ValueError):
    """The object is not a Transcribe transcript JSON (no ``results.transcripts``)."""


class TranscriptTooLong(ValueError):
    """The transcript's text exceeds :data:`MAX_TEXT_BYTES`."""


def transcript_text(document: Any) -> str:
    """``results.transcripts[0].transcript`` of a transcript document."""
    try:
        text = document["results"]["transcripts"][0]["transcript"]
    except (KeyError, IndexError, TypeError) as error:
        raise NotATranscript("the object has no results.transcripts[0].transcript") from error
    if not isinstance(text, str):
        raise NotATranscript("results.transcripts[0].transcript is not a string")
    return text


def _parse(event: Any) -> tuple[str, str]:
    if not isinstance(event, dict):
        raise InvalidTranscriptRequest("the event must be an object with bucket and key")
    bucket, key = event.get("bucket"), event.get("key")
    for name, value in (("bucket", bucket), ("key", key)):
        if not isinstance(value, str) or not value:
            raise InvalidTranscriptRequest(f"{name} must be a non-empty string")
    return bucket, key


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Read ``s3://bucket/key`` and return its transcript text."""
    bucket, key = _parse(event)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        document = json.loads(body)
    except ValueError as error:
        raise NotATranscript(f"s3://{bucket}/{key} is not JSON") from error
    text = transcript_text(document)
    size = len(text.encode("utf-8"))
    logger.info("transcript read", extra={"json_bytes": len(body), "text_bytes": size})
    if size > MAX_TEXT_BYTES:
        raise TranscriptTooLong(
            f"the transcript text has {size} bytes; at most {MAX_TEXT_BYTES} fit the workflow")
    return {"transcript": text, "bytes": size}
