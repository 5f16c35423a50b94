"""What ``python -m local new NAME`` writes: the JSON files of a new workflow, built from its names.

The workflow checks a request (``requestId``, ``message``) and publishes its message to a topic: one Pass that
keeps what the request says, one SNS publish with Retry on throttling and server errors and a Catch that fails
with a named error. It is small on purpose: a working skeleton, every file in place, to change next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Longest ``requestId`` and ``message`` the input check accepts (the schema says the same).
MAX_ID, MAX_MESSAGE = 128, 1000


@dataclass(frozen=True)
class Names:
    """Every name a new workflow needs, from its folder name (``order-notification``)."""

    name: str

    @property
    def pascal(self) -> str:
        """``OrderNotification``: the prefix of its logical ids and error names."""
        return "".join(part.capitalize() for part in self.name.split("-"))

    @property
    def module(self) -> str:
        """``order_notification``: its driver and test modules."""
        return self.name.replace("-", "_")

    @property
    def title(self) -> str:
        """``Order notification``."""
        return self.name.replace("-", " ").capitalize()

    @property
    def machine(self) -> str:
        """The state machine's logical id."""
        return f"{self.pascal}StateMachine"

    @property
    def topic(self) -> str:
        """The topic's logical id."""
        return f"{self.pascal}Topic"

    @property
    def queue(self) -> str:
        """The trigger's dead-letter queue's logical id."""
        return f"{self.pascal}RequestedDLQ"

    @property
    def rule(self) -> str:
        """The rule SAM generates for the state machine's ``Requested`` event."""
        return f"{self.machine}Requested"

    @property
    def source(self) -> str:
        """The source of the events that start it."""
        return f"custom.{self.name}"

    @property
    def detail_type(self) -> str:
        """The detail type of the events that start it."""
        return f"{self.pascal}Requested"

    @property
    def logical_ids(self) -> list[str]:
        """Every resource it adds to the template."""
        return [self.topic, self.queue, f"{self.queue}Policy", f"{self.pascal}LogGroup", self.machine]


def _problem_expression(names: Names) -> str:
    """The JSONata naming the first problem of the input ('' when none), in the schema's terms."""
    return (
        "{% ( $in := $states.input; "
        "$not($type($in) = 'object') ? 'the input must be a JSON object such as "
        '{"requestId": "REQ-0001", "message": "…"}\' : '
        "$not($type($in.requestId) = 'string') or $not($contains($in.requestId, /\\S/)) ? "
        "'requestId is required: the identifier of the request (a non-empty string)' : "
        f"$length($in.requestId) > {MAX_ID} ? 'requestId must be at most {MAX_ID} characters long' : "
        "$not($type($in.message) = 'string') or $not($contains($in.message, /\\S/)) ? "
        "'message is required: the text to publish (a non-empty string)' : "
        f"$length($in.message) > {MAX_MESSAGE} ? 'message must be at most {MAX_MESSAGE} characters long' : '' ) %}}"
    )


def definition(names: Names) -> dict[str, Any]:
    """``statemachine.asl.json``: check the request, keep it, publish its message (Retry, Catch)."""
    return {
        "Comment": f"{names.title}: checks a request and publishes its message to the {names.topic} topic. Started "
                   f"by a {names.detail_type} event on the application bus (its detail is the input) or from the "
                   'console with {"requestId", "message"}. Scaffolded by python -m local new: replace the steps '
                   "with the workflow's own.",
        "QueryLanguage": "JSONata",
        "StartAt": "CheckInput",
        "States": {
            "CheckInput": {
                "Type": "Pass",
                "Comment": "Name the first problem of the input, if any: requestId and message are required "
                           "non-blank strings.",
                "Assign": {"inputProblem": _problem_expression(names)},
                "Next": "IsInputValid",
            },
            "IsInputValid": {
                "Type": "Choice",
                "Comment": "Invalid input fails at once, before any AWS call.",
                "Choices": [{"Comment": "requestId and message valid", "Condition": "{% $inputProblem = '' %}",
                             "Next": "PrepareRequest"}],
                "Default": "RejectInvalidInput",
            },
            "RejectInvalidInput": {
                "Type": "Fail",
                "Comment": "The cause names the field that is missing or invalid.",
                "Error": f"{names.pascal}.InvalidInput",
                "Cause": "{% 'Invalid input: ' & $inputProblem %}",
            },
            "PrepareRequest": {
                "Type": "Pass",
                "Comment": "Keep what the request says for the next states.",
                "Assign": {"requestId": "{% $states.input.requestId %}", "message": "{% $states.input.message %}"},
                "Next": "PublishMessage",
            },
            "PublishMessage": {
                "Type": "Task",
                "Comment": "Publish the message to the topic, with the request id as an attribute: subscribers "
                           "deduplicate on it (an event may be delivered twice).",
                "Resource": "arn:aws:states:::aws-sdk:sns:publish",
                "Arguments": {
                    "TopicArn": "${TopicArn}",
                    "Message": "{% $message %}",
                    "MessageAttributes": {"requestId": {"DataType": "String", "StringValue": "{% $requestId %}"}},
                },
                "Assign": {"messageId": "{% $states.result.MessageId %}"},
                "Retry": [
                    {"Comment": "Throttled: back off exponentially with full jitter",
                     "ErrorEquals": ["Sns.ThrottledException", "Sns.KMSThrottlingException"],
                     "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 6, "MaxDelaySeconds": 30,
                     "JitterStrategy": "FULL"},
                    {"Comment": "Transient service error: a few quick retries",
                     "ErrorEquals": ["Sns.InternalErrorException"],
                     "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3, "MaxDelaySeconds": 10,
                     "JitterStrategy": "FULL"},
                ],
                "Catch": [{
                    "Comment": "Not published: fail with the workflow's error, the request and the cause",
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"failureCause": "{% 'The message of request ' & $requestId & ' could not be "
                                               "published: ' & $states.errorOutput.Error & "
                                               "($exists($states.errorOutput.Cause) ? ': ' & "
                                               "$states.errorOutput.Cause : '') & '. Redrive the execution.' %}"},
                    "Next": "FailPublish",
                }],
                "Next": "MessagePublished",
            },
            "FailPublish": {
                "Type": "Fail",
                "Comment": "The topic refused the message after the retries.",
                "Error": f"{names.pascal}.NotPublished",
                "Cause": "{% $failureCause %}",
            },
            "MessagePublished": {
                "Type": "Succeed",
                "Comment": "The message is on the topic.",
                "Output": {"requestId": "{% $requestId %}", "status": "PUBLISHED", "messageId": "{% $messageId %}"},
            },
        },
    }


def mock_config(names: Names) -> dict[str, Any]:
    """``mock-config.json``: the happy path, throttling retried, and the topic refusing (a failure case)."""
    throttled = {"Error": "Sns.ThrottledException", "Cause": "Rate exceeded (Service: Sns, Status Code: 400, "
                                                            "Request ID: mock)"}
    refused = {"Error": "Sns.AuthorizationErrorException",
               "Cause": "User is not authorized to perform: SNS:Publish (Service: Sns, Status Code: 403, "
                        "Request ID: mock)"}
    published = {"MessageId": "0b6f5b8e-6c1a-5f6e-9d1e-3c2a1b0f9e8d"}
    return {
        "StateMachines": {names.machine: {"TestCases": {
            "HappyPath": {"PublishMessage": f"{names.pascal}Published"},
            "PublishThrottled": {"PublishMessage": f"{names.pascal}ThrottledTwice"},
            "TopicRefuses": {"PublishMessage": f"{names.pascal}NotAuthorized"},
        }}},
        "MockedResponses": {
            f"{names.pascal}Published": {"0": {"Return": published}},
            f"{names.pascal}ThrottledTwice": {"0-1": {"Throw": throttled}, "2": {"Return": published}},
            f"{names.pascal}NotAuthorized": {"0": {"Throw": refused}},
        },
    }


def console_start() -> dict[str, Any]:
    """``events/console-start.json``: what a person types in the console."""
    return {"requestId": "REQ-0001", "message": "Hello from the console"}


def trigger_event(names: Names) -> dict[str, Any]:
    """``events/<name>-requested.json``: the event on the application bus that starts it."""
    return {
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": names.detail_type,
        "source": names.source, "account": "123456789012", "time": "2026-11-25T08:14:05Z",
        "region": "us-east-1", "resources": [], "detail": {"requestId": "REQ-0002", "message": "Hello from the bus"},
    }


def demo(names: Names) -> dict[str, Any]:
    """``events/demo.json``: what ``make demo`` sends and what must come out."""
    return {
        "description": f"The demo puts a {names.detail_type} event with this detail on the application bus (source "
                       f"{names.source}; the request id gets a unique suffix) and waits for the message on "
                       f"{names.topic}, with the request id as its requestId attribute.",
        "request": {"requestId": "DEMO", "message": "Hello from make demo"},
        "expected": {"status": "PUBLISHED", "message": "Hello from make demo"},
    }


def schemas(names: Names) -> dict[str, dict[str, Any]]:
    """``schemas/<name>.*.schema.json``: the input, the event that starts it, the output."""
    base = "https://example.com/schemas"
    request = {
        "type": "object", "required": ["requestId", "message"],
        "properties": {
            "requestId": {"description": "Identifies the request; subscribers deduplicate on it.", "type": "string",
                          "minLength": 1, "maxLength": MAX_ID, "pattern": "\\S"},
            "message": {"description": "The text published to the topic.", "type": "string", "minLength": 1,
                        "maxLength": MAX_MESSAGE, "pattern": "\\S"},
        },
        "additionalProperties": True,
    }
    return {
        f"{names.name}.input.schema.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/{names.name}.input.schema.json", "title": f"{names.title}: execution input",
            "description": f"What the {names.machine} takes: from the console, or the detail of a "
                           f"{names.detail_type} event. An input that breaks this contract fails at once with "
                           f"{names.pascal}.InvalidInput and a cause naming the field.",
            **request, "examples": [console_start()],
        },
        f"{names.name}.requested.schema.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/{names.name}.requested.schema.json", "title": f"{names.title}: {names.detail_type} event",
            "description": "The event on the application bus that starts the workflow; its detail is the input.",
            "type": "object", "required": ["source", "detail-type", "detail"],
            "properties": {"source": {"const": names.source}, "detail-type": {"const": names.detail_type},
                           "detail": request},
        },
        f"{names.name}.output.schema.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/{names.name}.output.schema.json", "title": f"{names.title}: execution output",
            "type": "object", "required": ["requestId", "status", "messageId"],
            "properties": {"requestId": {"type": "string"}, "status": {"const": "PUBLISHED"},
                           "messageId": {"type": "string", "minLength": 1}},
            "additionalProperties": False,
        },
    }
