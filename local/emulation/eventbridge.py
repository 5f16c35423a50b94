"""EventBridge: rules deliver to every target type, with input transformation, retries and dead-letter queues."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from local.engine.jsonpath import extract_json
from local.engine.sdk import sdk_client

#: Every event a rule could not deliver to a target: rule, target, event and error (tests, the demo).
delivery_failures: list[dict[str, Any]] = []


def _iso_event_time(event: dict[str, Any]) -> dict[str, Any]:
    event = dict(event)
    when = event.get("time")
    if isinstance(when, int | float):
        event["time"] = datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def _transformer_value(name: str, paths: dict[str, str], event: dict[str, Any], rule_arn: str) -> Any:
    builtins = {"aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
                "aws.events.event": event, "aws.events.event.json": event,
                "aws.events.event.ingestion-time": event.get("time")}
    if name in builtins:
        return builtins[name]
    try:
        return extract_json(paths[name], event)
    except Exception:  # a path that matches nothing renders as null, as in EventBridge
        return None


def render_target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str = "") -> str:
    """The text a target receives: ``Input``, ``InputPath`` or ``InputTransformer`` applied to the event.

    As in EventBridge, a placeholder outside quotes in a JSON template takes the value's JSON (a string
    gets its quotes); inside quotes, or in a plain-text template, it takes the value's text.
    """
    event = {key: value for key, value in event.items() if key != "ingestion-time"}
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(extract_json(target["InputPath"], event))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    paths = transformer.get("InputPathsMap", {})
    template = transformer.get("InputTemplate", "")
    is_json = template.lstrip()[:1] in ("{", "[")
    out, in_string, i = [], False, 0
    while i < len(template):
        char = template[i]
        if char == '"' and (i == 0 or template[i - 1] != "\\"):
            in_string = not in_string
        if char == "<":
            end = template.find(">", i)
            name = template[i + 1:end] if end > i else ""
            if name in paths or name.startswith("aws.events."):
                value = _transformer_value(name, paths, event, rule_arn)
                if is_json and not in_string:
                    out.append(json.dumps(value))
                elif is_json:
                    text = value if isinstance(value, str) else json.dumps(value)
                    out.append(json.dumps(text)[1:-1])
                else:
                    out.append(value if isinstance(value, str) else json.dumps(value))
                i = end + 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def deliver_to_target(target_arn: str, payload: str, target: dict[str, Any]) -> None:
    """Deliver one rendered event to one target, as EventBridge would; raises on failure."""
    service, region = target_arn.split(":")[2], target_arn.split(":")[3]
    if service == "states":
        sdk_client("stepfunctions", region).start_execution(stateMachineArn=target_arn, input=payload)
    elif service == "lambda":
        sdk_client("lambda", region).invoke(FunctionName=target_arn, InvocationType="Event", Payload=payload)
    elif service == "sns":
        sdk_client("sns", region).publish(TopicArn=target_arn, Message=payload)
    elif service == "sqs":
        client = sdk_client("sqs", region)
        url = client.get_queue_url(QueueName=target_arn.split(":")[5])["QueueUrl"]
        extra = {}
        if target.get("SqsParameters", {}).get("MessageGroupId"):
            extra["MessageGroupId"] = target["SqsParameters"]["MessageGroupId"]
        client.send_message(QueueUrl=url, MessageBody=payload, **extra)
    elif service == "events" and ":event-bus/" in target_arn:
        event = json.loads(payload)
        sdk_client("events", region).put_events(Entries=[{
            "Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []), "EventBusName": target_arn,
        }])
    else:
        raise NotImplementedError(f"the local engine cannot deliver events to {target_arn}")


def _dead_letter(rule, target: dict[str, Any], event: dict[str, Any], error: Exception) -> None:
    event = {key: value for key, value in event.items() if key != "ingestion-time"}
    record = {"rule": rule.arn, "target": target.get("Arn"), "event": event, "error": repr(error)}
    delivery_failures.append(record)
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq:
        logging.getLogger("local.triggers").warning("event for %s lost: %s", target.get("Arn"), error)
        return
    client = sdk_client("sqs", dlq.split(":")[3])
    url = client.get_queue_url(QueueName=dlq.split(":")[5])["QueueUrl"]
    client.send_message(
        QueueUrl=url, MessageBody=json.dumps(event),
        MessageAttributes={
            "RULE_ARN": {"DataType": "String", "StringValue": rule.arn},
            "TARGET_ARN": {"DataType": "String", "StringValue": target.get("Arn", "")},
            "ERROR_CODE": {"DataType": "String", "StringValue": type(error).__name__},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(error)[:256]},
        },
    )


def _deliver_events_to_every_target_type() -> None:
    """Rules route events to SQS and a few others only; Step Functions, Lambda and SNS targets raise.

    Targets get the event with ``Input``/``InputPath``/``InputTransformer`` applied; a delivery that still
    fails after the target's ``RetryPolicy.MaximumRetryAttempts`` goes to its dead-letter queue.
    """
    from moto.events.models import Rule

    def send_to_targets(self, original_event, transform_input=True):
        if self.state == "DISABLED" or not self.event_pattern.matches_event(original_event):
            return
        event = _iso_event_time(original_event)
        for target in self.targets:
            attempts = 1 + int((target.get("RetryPolicy") or {}).get("MaximumRetryAttempts", 2))
            for attempt in range(attempts):
                try:
                    payload = render_target_input(target, event, self.arn)
                    deliver_to_target(target["Arn"], payload, target)
                    break
                except Exception as error:
                    if attempt == attempts - 1:
                        _dead_letter(self, target, event, error)

    Rule.send_to_targets = send_to_targets


def install() -> None:
    """Install the EventBridge delivery."""
    _deliver_events_to_every_target_type()


def reset() -> None:
    """Forget the recorded delivery failures."""
    delivery_failures.clear()
