"""``python -m local demo``: every workflow end to end on the embedded engine, triggered the way AWS triggers it.

Nothing is started with StartExecution: the demo uploads files, puts events on buses, changes table items and
publishes text messages, exactly what users and AWS services do in the cloud, and the template's rules, pipes
and subscriptions start the workflows. For each scenario it prints the trigger, the path taken, the result
and the time, checks the business outcome against the workflow's ``events/demo*.json``, and exits 0 only if
every scenario ended as expected.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.launch import launch_stack
from local.stack.stack import PROJECT_ROOT, Execution, Stack

WORKFLOWS = PROJECT_ROOT / "workflows"
TIMEOUT = 30.0


class DemoFailure(Exception):
    """A scenario did not end as its workflow's demo file says."""


@dataclass
class Outcome:
    """What one scenario did: its trigger, the executions it caused and how they ended."""

    workflow: str
    trigger: str
    executions: list[Execution] = field(default_factory=list)
    result: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the scenario ended as its demo file says."""
        return not self.problems


@dataclass
class Scenario:
    """One business story played on the local stack."""

    workflow: str
    title: str
    play: Callable[[Stack, Outcome], None]


# --- helpers shared by the scenarios ----------------------------------------------------------------


def _demo_file(workflow: str, name: str) -> dict[str, Any]:
    return json.loads((WORKFLOWS / workflow / "events" / name).read_text())


def _started_by_trigger(stack: Stack, workflow: str, known: set[str], matches: Callable[[Any], bool]) -> Execution:
    """Wait for the execution the trigger started (one not in ``known`` whose input ``matches``) to end."""

    def find() -> str | None:
        for arn in stack.executions(workflow):
            if arn not in known and matches(stack.execution(arn).input):
                return arn
        return None

    arn = stack.eventually(find, timeout=TIMEOUT, message=f"the trigger started no {workflow} execution")
    return stack.wait(arn, timeout=TIMEOUT)


def _expect(outcome: Outcome, what: str, actual: Any, expected: Any) -> None:
    if actual != expected:
        outcome.problems.append(f"{what}: expected {expected!r}, got {actual!r}")


# --- the scenarios ---------------------------------------------------------------------------------------


def _ec2_instance_changes_state(stack: Stack, outcome: Outcome) -> None:
    demo = _demo_file("ec2-enrichment", "demo.json")
    name, state = demo["instance"]["Name"], demo["state"]
    ec2 = stack.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])["Instances"][0]["InstanceId"]
    inbox = stack.inbox(stack.resource("Ec2EnrichedEventsTopic"))
    known = set(stack.executions("ec2-enrichment"))
    outcome.trigger = f"EC2 reports {instance} ({name}) {state}: event on the default bus"
    stack.client("events").put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification",
        "Resources": [f"arn:aws:ec2:us-east-1:123456789012:instance/{instance}"],
        "Detail": json.dumps({"instance-id": instance, "state": state}),
    }])
    execution = _started_by_trigger(stack, "ec2-enrichment", known,
                                    lambda i: (i or {}).get("detail", {}).get("instance-id") == instance)
    outcome.executions.append(execution)
    notification = stack.eventually(inbox.messages, timeout=TIMEOUT,
                                    message="the enriched event never reached the consumer's topic")[0]
    enriched = json.loads(notification["Message"])
    refined = enriched.get("detail", {}).get("Message", {}).get("detail", {}).get("refined", {})
    _expect(outcome, "instance name in the enriched event", refined.get("instancename"), name)
    outcome.result = f"consumer's topic received EnrichedEC2Event: {instance} is {name!r} ({state})"


def _image_uploads(stack: Stack, outcome: Outcome) -> None:
    demo = _demo_file("image-catalog", "demo-uploads.json")
    s3, bucket = stack.client("s3"), stack.resource("ImageIngestionBucket")
    known = set(stack.executions("image-catalog"))
    results = []
    for upload in demo["uploads"]:
        key = upload["key"].replace("demo-", f"demo-{uuid.uuid4().hex[:6]}-")
        body = (WORKFLOWS / "image-catalog" / "events" / upload["file"]).read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=upload["contentType"],
                      Metadata=upload.get("metadata", {}))
        execution = _started_by_trigger(stack, "image-catalog", known, lambda i, k=key: (i or {}).get("key") == k)
        outcome.executions.append(execution)
        output, expected = execution.output or {}, upload["expected"]
        _expect(outcome, f"{key} status", output.get("status"), expected["status"])
        _expect(outcome, f"{key} moderators notified", bool(output.get("moderatorsNotified")),
                expected["moderatorsNotified"])
        if "labelNames" in expected:
            _expect(outcome, f"{key} labels", output.get("labels"), expected["labelNames"])
            results.append(f"{key.rsplit('/', 1)[-1]} APPROVED with labels {', '.join(output.get('labels') or [])}")
        else:
            labels = [label["Name"] for label in output.get("moderationLabels") or []]
            _expect(outcome, f"{key} moderation labels", labels, expected["moderationLabels"])
            results.append(f"{key.rsplit('/', 1)[-1]} REJECTED ({', '.join(labels)}), moderators notified")
    outcome.trigger = f"{len(demo['uploads'])} images uploaded to s3://{bucket}/uploads/"
    outcome.result = "; ".join(results)


def _recordings_uploaded(stack: Stack, outcome: Outcome) -> None:
    demo = _demo_file("call-center-analysis", "demo-uploads.json")
    s3, bucket = stack.client("s3"), stack.resource("CallRecordingsBucket")
    known = set(stack.executions("call-center-analysis"))
    results = []
    for upload in demo["uploads"]:
        key = upload["key"].replace("demo-call", f"demo-call-{uuid.uuid4().hex[:6]}")
        extra = {"ContentLanguage": upload["contentLanguage"]} if upload.get("contentLanguage") else {}
        body = (WORKFLOWS / "call-center-analysis" / "events" / upload["file"]).read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=upload["contentType"], **extra)
        execution = _started_by_trigger(stack, "call-center-analysis", known,
                                        lambda i, k=key: (i or {}).get("key") == k)
        outcome.executions.append(execution)
        output, expected = execution.output or {}, upload["expected"]
        for field_name in ("languageCode", "translated", "sentiment", "managerAlerted"):
            _expect(outcome, f"{key} {field_name}", output.get(field_name), expected[field_name])
        translated = " translated," if output.get("translated") else ""
        alerted = " manager alerted" if output.get("managerAlerted") else " no alert"
        results.append(f"{key.rsplit('/', 1)[-1]}: {output.get('languageCode')},{translated} "
                       f"{output.get('sentiment')},{alerted}")
    outcome.trigger = f"{len(demo['uploads'])} recordings uploaded to s3://{bucket}/recordings/"
    outcome.result = "; ".join(results)


def play_conversation(  # noqa: PLR0915 - one branch per kind of step
    stack: Stack, demo: dict[str, Any], suffix: str | None = None,
) -> dict[str, Any]:
    """Play the ``steps`` of ``events/demo-conversation.json``; raise :class:`DemoFailure` at the first miss.

    The appointment id gets ``suffix`` (each appointment is asked only once). Returns what the conversation
    produced: ``appointmentId``, ``execution``, ``texts`` (the SMS bodies sent), ``event`` and ``record``.
    """
    from boto3.dynamodb.types import TypeDeserializer

    original = demo["customer"]["appointmentId"]
    appointment_id = f"{original}-{suffix or uuid.uuid4().hex[:6]}"
    steps = json.loads(json.dumps(demo["steps"]).replace(original, appointment_id))
    ddb, sent_from = stack.client("dynamodb"), len(stack.sent_sms)
    lookup = stack.resource("FeedbackMessageLookupTable")
    listeners = {step["detailType"]: stack.listen(stack.resource(step["bus"]), {
        "source": [step["source"]], "detail-type": [step["detailType"]], "detail": {"appointmentId": [appointment_id]}})
        for step in steps if step["action"] == "expectEvent"}
    played: dict[str, Any] = {"appointmentId": appointment_id, "texts": []}
    latest: dict[str, Any] | None = None

    def check(what: str, actual: Any, expected: Any) -> None:
        if actual != expected:
            raise DemoFailure(f"{what}: expected {expected!r}, got {actual!r}")

    def execution() -> Execution:
        if "execution" not in played:
            started = stack.eventually(lambda: next((arn for arn in stack.executions("feedback-conversation")
                                                     if (stack.execution(arn).input or {}).get("appointmentId")
                                                     == appointment_id), None),
                                       timeout=TIMEOUT, message="the table change started no conversation")
            played["execution"] = stack.wait(started, timeout=TIMEOUT)
        return played["execution"]

    def plain(item: dict[str, Any]) -> dict[str, Any]:
        values = {name: TypeDeserializer().deserialize(value) for name, value in item.items()}
        return json.loads(json.dumps(values, default=lambda v: int(v) if v == int(v) else float(v)))

    for step in steps:
        action = step["action"]
        if action == "putItem":
            ddb.put_item(TableName=stack.resource(step["table"]), Item={k: {"S": v} for k, v in step["item"].items()})
        elif action == "updateItem":
            names = {f"#a{i}": name for i, name in enumerate(step["set"])}
            ddb.update_item(TableName=stack.resource(step["table"]), Key={k: {"S": v} for k, v in step["key"].items()},
                            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names))),
                            ExpressionAttributeNames=names,
                            ExpressionAttributeValues={f":v{i}": {"S": v} for i, v in enumerate(step["set"].values())})
        elif action == "expectSms":
            latest = stack.eventually(
                lambda s=step, after=sent_from: next(
                    (m for m in stack.sent_sms[after:] if m["DestinationPhoneNumber"] == s["to"]), None),
                timeout=TIMEOUT, message=f"no SMS was sent to the customer ({step['body'][:40]}…)")
            sent_from = stack.sent_sms.index(latest) + 1
            played["texts"].append(latest["MessageBody"])
            check("SMS sent", latest["MessageBody"], step["body"])
        elif action == "reply":
            if latest is None:
                raise DemoFailure("a reply step comes before any expected SMS")
            # A person answers seconds later, when the workflow already waits with its token stored.
            stack.eventually(lambda m=latest: ddb.get_item(TableName=lookup, Key={"MessageId": {"S": m["MessageId"]}})
                             .get("Item"), timeout=TIMEOUT, message="the workflow never waited for the reply")
            stack.client("sns").publish(TopicArn=stack.resource("FeedbackInboundSmsTopic"), Message=json.dumps({
                "originationNumber": step["from"], "destinationNumber": latest["OriginationIdentity"],
                "messageKeyword": "KEYWORD_123456789012", "messageBody": step["body"],
                "previousPublishedMessageId": latest["MessageId"], "inboundMessageId": str(uuid.uuid4()),
            }))
        elif action == "expectEvent":
            event = stack.eventually(listeners[step["detailType"]].messages, timeout=TIMEOUT,
                                     message=f"the {step['detailType']} event never arrived")[0]
            played["event"] = event
            check(f"{step['detailType']} event", {k: event["detail"].get(k) for k in step["detail"]}, step["detail"])
        elif action == "expectItem":
            execution()
            item = ddb.get_item(TableName=stack.resource(step["table"]), ConsistentRead=True,
                                Key={k: {"S": v} for k, v in step["key"].items()}).get("Item")
            record = plain(item or {})
            played["record"] = record
            check("feedback record", {k: record.get(k) for k in step["attributes"]}, step["attributes"])
            check("replies recorded", [r.get("MessageBody") for r in record.get("Replies", [])], step["replies"])
        elif action == "expectExecution":
            ended = execution()
            check("execution status", ended.status, step["status"])
            check("execution output", ended.output, step["output"])
        else:
            raise DemoFailure(f"unknown demo step {action!r}")
    for listener in listeners.values():
        listener.close()
    return played


def _feedback_conversation(stack: Stack, outcome: Outcome) -> None:
    demo = _demo_file("feedback-conversation", "demo-conversation.json")
    replies = [step["body"] for step in demo["steps"] if step["action"] == "reply"]
    outcome.trigger = (f"appointment {demo['customer']['appointmentId']}-… set to COMPLETED in the appointments "
                       f"table; the customer replies " + " then ".join(repr(reply) for reply in replies))
    played = play_conversation(stack, demo)
    outcome.executions.append(played["execution"])
    record = played.get("record", {})
    outcome.result = (f"score {record.get('Score')}, callback requested ({played['event']['detail-type']} on the "
                      f"application bus), {len(played['texts'])} SMS sent, status {record.get('Status')}")


SCENARIOS = [
    Scenario("ec2-enrichment", "an EC2 instance with a Name tag stops", _ec2_instance_changes_state),
    Scenario("image-catalog", "a clean and an inappropriate image are uploaded", _image_uploads),
    Scenario("call-center-analysis", "an English and a French call are recorded", _recordings_uploaded),
    Scenario("feedback-conversation", "a customer rates an appointment 3 and accepts a call",
             _feedback_conversation),
]


# --- display -----------------------------------------------------------------------------------------------


def compact_path(states: list[str]) -> str:
    """The states entered, with runs of the same state (a Map's iterations) shown once with a count."""
    parts = []
    for name, run in itertools.groupby(states):
        count = len(list(run))
        parts.append(f"{name} x{count}" if count > 1 else name)
    return " → ".join(parts)


def _print_outcome(number: int, total: int, scenario: Scenario, outcome: Outcome) -> None:
    mark = "✔" if outcome.ok else "✘"
    print(f"{mark} [{number}/{total}] {scenario.workflow}: {scenario.title}  ({outcome.seconds:.2f} s)", flush=True)
    print(f"    trigger: {outcome.trigger}")
    for execution in outcome.executions:
        print(f"    path:    {compact_path(execution.states)}  [{execution.status}]")
    if outcome.result:
        print(f"    result:  {outcome.result}")
    for problem in outcome.problems:
        print(f"    problem: {problem}")


def run_demo(args: argparse.Namespace) -> int:
    """Play every scenario on a freshly launched stack; 0 when all ended as expected."""
    os.environ.setdefault("LOCAL_FUNCTION_LOG_LEVEL", "WARNING")  # the functions' INFO logs would drown the report
    started = time.perf_counter()
    print("Launching the local stack from template.yaml…", flush=True)
    with launch_stack(args) as stack:
        print(f"  {len(stack.resources)} resources provisioned in {time.perf_counter() - started:.2f} s\n", flush=True)
        available = set(stack.workflows())
        scenarios = [s for s in SCENARIOS if s.workflow in available and (not args.only or s.workflow in args.only)]
        outcomes = []
        for number, scenario in enumerate(scenarios, 1):
            print(f"… [{number}/{len(scenarios)}] {scenario.workflow}: {scenario.title}", flush=True)
            outcome = Outcome(scenario.workflow, trigger="")
            began = time.perf_counter()
            try:
                scenario.play(stack, outcome)
            except (DemoFailure, AssertionError, TimeoutError) as error:
                outcome.problems.append(str(error))
            except Exception as error:  # a broken scenario is one line of the report, never a stack trace
                outcome.problems.append(f"{type(error).__name__}: {error}")
            outcome.seconds = time.perf_counter() - began
            _print_outcome(number, len(scenarios), scenario, outcome)
            outcomes.append(outcome)
            print()
    failed = [o.workflow for o in outcomes if not o.ok]
    total = time.perf_counter() - started
    if failed:
        print(f"Demo finished in {total:.1f} s: {len(failed)} of {len(outcomes)} workflows did not end as expected "
              f"({', '.join(failed)}).")
        return 1
    print(f"Demo finished in {total:.1f} s: all {len(outcomes)} workflows ended as expected.")
    return 0
