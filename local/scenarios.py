"""Business paths of every workflow, runnable again and again on a local stack (for ``bench`` and ``cost``).

Each :class:`Path` prepares what it needs once (an instance, an uploaded image or recording), then makes a
fresh console input per execution; paths whose workflow waits for people (the feedback conversation) also
*drive* the execution, answering its text messages as a customer would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.stack.stack import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / "workflows"


@dataclass
class Path:
    """One path through one workflow."""

    workflow: str
    name: str
    make_input: Callable[[], Any]
    drive: Callable[[str, Any], None] | None = None
    main: bool = False


def _ec2_paths(stack: Any) -> list[Path]:
    ec2 = stack.client("ec2")

    def instance(tags: list[dict[str, str]]) -> str:
        spec = [{"ResourceType": "instance", "Tags": tags}] if tags else []
        return ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                 TagSpecifications=spec)["Instances"][0]["InstanceId"]

    def event_for(instance_id: str) -> dict[str, Any]:
        event = json.loads((WORKFLOWS / "ec2-enrichment/events/ec2-instance-stopped.json").read_text())
        event["detail"]["instance-id"] = instance_id
        return event

    named, unnamed = event_for(instance([{"Key": "Name", "Value": "web-frontend-1"}])), event_for(instance([]))
    return [Path("ec2-enrichment", "named instance stopped", lambda: named, main=True),
            Path("ec2-enrichment", "instance without Name tag (default name)", lambda: unnamed)]


def _image_paths(stack: Any) -> list[Path]:
    s3, bucket = stack.client("s3"), stack.resource("ImageIngestionBucket")
    images = {"clean image catalogued": ("demo-beach.png", {"labels": "Beach:97.4,Sea:95.1", "text": "SUNNY BAY"}),
              "inappropriate image held back": ("demo-flagged.png", {"moderation-labels": "Graphic Violence:88.4"})}
    paths = []
    for name, (file, metadata) in images.items():
        # Not under the upload rule's suffixes, so preparing starts nothing by itself.
        key = f"scenarios/{uuid.uuid4().hex[:8]}-{file}.bin"
        s3.put_object(Bucket=bucket, Key=key, Metadata=metadata,
                      Body=(WORKFLOWS / "image-catalog/events" / file).read_bytes())
        paths.append(Path("image-catalog", name, lambda k=key: {"bucket": bucket, "key": k},
                          main=name.startswith("clean")))
    return paths


def _call_paths(stack: Any) -> list[Path]:
    s3, bucket = stack.client("s3"), stack.resource("CallRecordingsBucket")
    calls = {"English call, positive": ("recording-en-positive.txt", {}),
             "French call translated, negative, manager alerted": ("recording-fr-negative.txt",
                                                                   {"ContentLanguage": "fr-FR"})}
    paths = []
    for name, (file, extra) in calls.items():
        key = f"scenarios/{uuid.uuid4().hex[:8]}.mp3"  # outside recordings/: no upload trigger
        s3.put_object(Bucket=bucket, Key=key, Body=(WORKFLOWS / "call-center-analysis/events" / file).read_bytes(),
                      **extra)
        paths.append(Path("call-center-analysis", name, lambda k=key: {"bucket": bucket, "key": k},
                          main=name.startswith("English")))
    return paths


def _feedback_paths(stack: Any) -> list[Path]:
    topic, lookup = stack.resource("FeedbackInboundSmsTopic"), stack.resource("FeedbackMessageLookupTable")
    sns, ddb = stack.client("sns"), stack.client("dynamodb")

    def make_input() -> dict[str, str]:
        number = f"+1425{uuid.uuid4().int % 10**7:07d}"
        return {"appointmentId": f"SCENARIO-{uuid.uuid4().hex[:10]}", "customerName": "Sam",
                "customerPhone": number}

    def answer(replies: list[str]) -> Callable[[str, Any], None]:
        def drive(_arn: str, payload: dict[str, str]) -> None:
            answered: set[str] = set()
            for reply in replies:
                question = stack.eventually(lambda: next(
                    (m for m in stack.sent_sms if m["DestinationPhoneNumber"] == payload["customerPhone"]
                     and m["MessageId"] not in answered), None), timeout=30)
                answered.add(question["MessageId"])
                # A person answers seconds later, when the workflow already waits with its token stored.
                stack.eventually(lambda q=question: ddb.get_item(
                    TableName=lookup, Key={"MessageId": {"S": q["MessageId"]}}).get("Item"), timeout=30)
                sns.publish(TopicArn=topic, Message=json.dumps({
                    "originationNumber": payload["customerPhone"],
                    "destinationNumber": question["OriginationIdentity"], "messageBody": reply,
                    "previousPublishedMessageId": question["MessageId"], "inboundMessageId": str(uuid.uuid4()),
                }))

        return drive

    return [Path("feedback-conversation", "score 8, one stage", make_input, answer(["8"]), main=True),
            Path("feedback-conversation", "score 3 and a callback requested", make_input, answer(["3", "1"]))]


BUILDERS = {
    "ec2-enrichment": _ec2_paths,
    "image-catalog": _image_paths,
    "call-center-analysis": _call_paths,
    "feedback-conversation": _feedback_paths,
}


def paths(stack: Any, only: list[str] | None = None, main_only: bool = False) -> list[Path]:
    """Every path of the template's workflows (``only`` some workflows; ``main_only`` one per workflow)."""
    found = []
    for workflow in stack.workflows():
        if workflow in BUILDERS and (not only or workflow in only):
            found.extend(p for p in BUILDERS[workflow](stack) if p.main or not main_only)
    return found


def run(stack: Any, path: Path, timeout: float = 30.0) -> str:
    """One execution of ``path``, driven to its end; returns the execution ARN (it must have SUCCEEDED)."""
    from local.engine import executions

    payload = path.make_input()
    arn = stack.start(path.workflow, payload)
    if path.drive:
        path.drive(arn, payload)
    if not executions.wait_for_end(arn, timeout):
        raise TimeoutError(f"{path.workflow} ({path.name}): still running after {timeout}s")
    status = stack.client("stepfunctions").describe_execution(executionArn=arn)
    if status["status"] != "SUCCEEDED":
        raise RuntimeError(f"{path.workflow} ({path.name}) ended {status['status']}: {status.get('cause')}")
    return arn
