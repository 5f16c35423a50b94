"""EventBridge Pipes from a DynamoDB stream to a Step Functions target, simulated.

A pipe filters each stream record with its ``FilterCriteria`` (EventBridge event patterns, matched by
moto's own matcher), renders ``TargetParameters.InputTemplate`` (``<$.json.path>`` placeholders) and starts
the target state machine (``FIRE_AND_FORGET``, batch size 1). Records are delivered as soon as moto appends
them to the table's stream. A start that fails is retried ``MaximumRetryAttempts`` times (no backoff
locally), then the batch goes to the source's ``DeadLetterConfig`` queue as AWS sends it for stream sources:
the batch's description (stream, sequence numbers, size), not the record, which stays readable in the
stream for 24 hours.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from typing import Any

from local.emulation import dynamodb
from local.engine import jsonpath, sdk

LOG = logging.getLogger("local.pipes")
_PLACEHOLDER = re.compile(r'("?)<(\$[^>]*)>("?)')


def render_input_template(template: str, record: dict[str, Any]) -> str:
    """Fill ``<$.path>`` placeholders: a quoted one takes the value's text, a bare one its JSON."""

    def fill(match: re.Match) -> str:
        value = jsonpath.extract_json(match.group(2), record)
        if match.group(1) and match.group(3):
            text = value if isinstance(value, str) else json.dumps(value)
            return json.dumps(text)
        return match.group(1) + json.dumps(value) + match.group(3)

    return _PLACEHOLDER.sub(fill, template)


class LocalPipe:
    """One ``AWS::Pipes::Pipe`` with a DynamoDB stream source and a state machine target."""

    def __init__(self, name: str, props: dict[str, Any]) -> None:
        from moto.events.models import EventPattern

        self.name = name
        self.source = props["Source"]
        self.target = props["Target"]
        if ":dynamodb:" not in self.source or ":states:" not in self.target:
            raise ValueError(f"pipe {name}: only DynamoDB stream → Step Functions pipes are simulated")
        self.table = self.source.split(":table/", 1)[1].split("/", 1)[0]
        source_parameters = props.get("SourceParameters") or {}
        filters = source_parameters.get("FilterCriteria", {}).get("Filters", [])
        self.patterns = [EventPattern.load(f["Pattern"]) for f in filters]
        self.template = (props.get("TargetParameters") or {}).get("InputTemplate")
        stream = source_parameters.get("DynamoDBStreamParameters") or {}
        retries = int(stream.get("MaximumRetryAttempts", -1))
        # -1 (the default) retries until the record expires from the stream; locally three retries stand for it.
        self.retries = retries if retries >= 0 else 3
        self.dead_letter_arn = (stream.get("DeadLetterConfig") or {}).get("Arn")
        self.arn = f"arn:aws:pipes:{self.source.split(':')[3]}:{self.source.split(':')[4]}:pipe/{name}"
        self.started: list[str] = []
        self.failures: list[str] = []
        #: False while the pipe is stopped (:meth:`local.stack.stack.Stack.paused`): records are not delivered.
        self.running = True

    def attach(self) -> None:
        """Listen to the source table's stream records."""
        dynamodb.stream_listeners.setdefault(self.table, []).append(self.on_record)

    def on_record(self, record: dict[str, Any]) -> None:
        """Filter one stream record and start the target with the rendered input."""
        if not self.running:
            return
        if self.patterns and not any(pattern.matches_event(record) for pattern in self.patterns):
            return
        payload = render_input_template(self.template, record) if self.template else json.dumps([record])
        for attempt in range(1 + self.retries):
            try:
                response = sdk.sdk_client("stepfunctions").start_execution(
                    stateMachineArn=self.target, input=payload
                )
                self.started.append(response["executionArn"])
                return
            except Exception as error:  # retried, then the batch goes to the dead-letter queue
                if attempt == self.retries:
                    LOG.warning("pipe %s could not start %s: %s", self.name, self.target, error)
                    self.failures.append(str(error))
                    self.dead_letter(record, error, attempt + 1)

    def dead_letter(self, record: dict[str, Any], error: Exception, attempts: int) -> None:
        """Send the failed batch's description to the dead-letter queue (dropped, and logged, without one)."""
        if not self.dead_letter_arn:
            LOG.warning("pipe %s dropped a stream record: no dead-letter queue", self.name)
            return
        sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            arrival = datetime.datetime.fromtimestamp(float(record["dynamodb"]["ApproximateCreationDateTime"]),
                                                      datetime.UTC)
        except (KeyError, TypeError, ValueError):
            arrival = datetime.datetime.now(datetime.UTC)
        arrived = arrival.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message = {
            "context": {"partnerResourceArn": self.arn, "condition": "RetryAttemptsExhausted",
                        "approximateInvokeCount": attempts,
                        "error": {"errorCode": type(error).__name__, "errorMessage": str(error)[:256]}},
            "version": "1.0",
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": "shardId-00000001", "startSequenceNumber": sequence, "endSequenceNumber": sequence,
                "approximateArrivalOfFirstRecord": arrived, "approximateArrivalOfLastRecord": arrived,
                "batchSize": 1, "streamArn": self.source,
            },
        }
        region, queue = self.dead_letter_arn.split(":")[3], self.dead_letter_arn.split(":")[5]
        sqs = sdk.sdk_client("sqs", region)
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"], MessageBody=json.dumps(message))
