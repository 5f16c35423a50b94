"""image-catalog's driver: images uploaded to the ingestion bucket, moderated, catalogued or held back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from local.stack.stack import Execution, Stack
from local.stack.triggers import Trigger
from local.workflows.contracts import DuplicateResult, InputContract, upload_twice
from local.workflows.driver import DemoOutcome, Driver, Journey, play_uploads
from local.workflows.harness import FaultCase, Harness, Run, Scenario, Target, contains, item_of, new_name

WORKFLOW = "image-catalog"


class _ImageHarness(Harness):
    """Faults in moderation, analysis, the catalog's records, the label index and the moderators' message."""

    workflow = WORKFLOW
    _clean = {"labels": "Beach:97.4,Sea:95.1", "text": "SUNNY BAY"}
    scenarios = {
        "clean": Scenario("clean", "a clean image is catalogued and found by its labels",
                          {"status": "SUCCEEDED", "error": None, "outcome": "APPROVED", "item": "APPROVED",
                           "labels": ["beach", "sea"], "notified": 0}),
        "flagged": Scenario("flagged", "an inappropriate image is held back and the moderators are told",
                            {"status": "SUCCEEDED", "error": None, "outcome": "REJECTED", "item": "REJECTED",
                             "labels": [], "notified": 1}),
        "unreadable": Scenario("unreadable", "a file that is not an image is recorded as FAILED",
                               {"status": "FAILED", "error": "ImageCatalog.ImageUnreadable", "item": "FAILED",
                                "failedState": "CheckModeration",
                                "errorName": "Rekognition.InvalidImageFormatException", "notified": 0}),
        "reprocessed": Scenario("reprocessed", "an approved image processed again loses the labels it lost",
                                {"status": "SUCCEEDED", "error": None, "outcome": "APPROVED", "item": "APPROVED",
                                 "labels": ["sky"], "notified": 0}),
    }
    targets = {
        "CheckModeration": Target("clean", "replay"),
        "DetectLabels": Target("clean", "replay"),
        "DetectText": Target("clean", "replay"),
        "SaveApprovedImage": Target("clean", "replay"),
        "IndexLabel": Target("clean", "replay"),
        "SaveRejectedImage": Target("flagged", "replay"),
        "NotifyModerators": Target("flagged", "replay"),
        "SaveFailedImage": Target("unreadable", "replay"),
        "RemoveLabelEntry": Target("reprocessed", "replay"),
    }

    def prepare(self, scenario: Scenario) -> Run:
        s3, bucket = self.stack.client("s3"), self.stack.resource("ImageIngestionBucket")
        events = self.stack.template.root / "workflows/image-catalog/events"
        key = f"reliability/{uuid.uuid4().hex}.img"  # not an upload the trigger rule matches
        body, metadata = {
            "clean": ((events / "demo-beach.png").read_bytes(), self._clean),
            "reprocessed": ((events / "demo-beach.png").read_bytes(), self._clean),
            "flagged": ((events / "demo-flagged.png").read_bytes(), {"moderation-labels": "Graphic Violence:88.4"}),
            "unreadable": (b"meeting notes, not an image", {}),
        }[scenario.name]
        s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)
        if scenario.name == "reprocessed":  # approved once with Beach and Sea; now the image shows only Sky
            first = self.stack.run(self.workflow, {"bucket": bucket, "key": key})
            if first.status != "SUCCEEDED":
                raise RuntimeError(f"image-catalog: the first processing failed: {first.cause}")
            s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"labels": "Sky:90.2"})
        name = new_name()
        return Run({"bucket": bucket, "key": key}, name, {"key": key, "execution": name})

    def summary(self, run: Run, execution: Execution) -> dict[str, Any]:
        ddb, table = self.stack.client("dynamodb"), self.stack.resource("ImageCatalogTable")
        uri = f"s3://{run.input['bucket']}/{run.input['key']}"
        item = item_of(ddb.get_item(TableName=table, Key={"ImageUri": {"S": uri}, "Entry": {"S": "IMAGE"}},
                                    ConsistentRead=True).get("Item")) or {}
        entries = ddb.query(TableName=table, KeyConditionExpression="ImageUri = :u AND begins_with(#e, :l)",
                            ExpressionAttributeNames={"#e": "Entry"},
                            ExpressionAttributeValues={":u": {"S": uri}, ":l": {"S": "LABEL#"}})["Items"]
        notified = [n for n in self.matrix.probe.notifications() if f"Key: {run.input['key']}\n" in n["Message"]]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": (execution.output or {}).get("status"), "item": item.get("Status"),
                "failedState": item.get("FailedState"), "errorName": item.get("ErrorName"),
                "labels": sorted(e["Label"]["S"] for e in entries), "notified": len(notified)}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error, state = case.error.error, case.state
        if state in ("IndexLabel", "RemoveLabelEntry"):  # the item keeps its status; label index out of date
            return {"status": "FAILED", "error": "ImageCatalog.LabelIndexFailed", "item": "APPROVED",
                    "cause": contains(error)}
        if state == "NotifyModerators":  # held back and recorded, the moderators not told: redrive
            return {"status": "FAILED", "error": "ImageCatalog.ModeratorNotificationFailed", "item": "REJECTED",
                    "notified": 0, "cause": contains(error)}
        if state == "SaveFailedImage":  # not even the failure can be recorded: both errors in the cause
            return {"status": "FAILED", "error": "ImageCatalog.ImageUnreadable", "item": None,
                    "cause": contains("could not be recorded in the catalog either", error)}
        return {"status": "FAILED", "error": error, "item": "FAILED",
                "failedState": self.enclosing.get(state, state), "errorName": error, "notified": 0}


def _same_upload_twice(stack: Stack) -> DuplicateResult:
    bucket = stack.resource("ImageIngestionBucket")
    key = f"uploads/duplicate-{uuid.uuid4().hex[:12]}.png"
    body = (stack.template.root / "workflows/image-catalog/events/demo-beach.png").read_bytes()
    uploaded = upload_twice(stack, WORKFLOW, bucket, key, body, stack.resource("ImageCatalogTable"), "ImageUri",
                            Metadata={"labels": "Beach:97.4,Sea:95.1"})
    records = [i for i in uploaded.items if i.get("Entry", "IMAGE") == "IMAGE"]
    labels = [i["Label"] for i in uploaded.items if i.get("Entry", "").startswith("LABEL#")]
    problems = list(uploaded.problems)
    if len(records) != 1:
        problems.append(f"{len(records)} records for {uploaded.uri}, expected 1")
    if sorted(labels) != ["beach", "sea"]:
        problems.append(f"label entries {labels}, expected one per label")
    details = {"executions": len(uploaded.executions), "records": len(records),
               "status": records[0].get("Status") if records else None,
               "processingCount": records[0].get("ProcessingCount") if records else None, "labelEntries": labels}
    return DuplicateResult(WORKFLOW, "same-upload", "the same image uploaded twice", 2, len(records), details,
                           problems)


class _ImageCatalogDriver(Driver):
    """An upload under ``uploads/`` starts it; rejected images are announced on the moderators' topic."""

    name = WORKFLOW
    demo_title = "a clean and an inappropriate image are uploaded"
    harness = _ImageHarness
    input_contract = InputContract(
        WORKFLOW, "schemas/image-catalog.input.schema.json", "workflows/image-catalog/events/console-start.json",
        "ImageCatalog.InvalidInput", "Invalid input: ", ("CheckInput", "IsInputValid", "RejectInvalidInput"),
        ("bucket", "key"))
    published_topics = ("ImageModeratorsTopic",)

    def play_demo(self, stack: Stack, outcome: DemoOutcome) -> None:
        bucket, results = stack.resource("ImageIngestionBucket"), []
        for key, output, expected in play_uploads(
                stack, WORKFLOW, self.files(stack), bucket, outcome,
                unique_key=lambda key: key.replace("demo-", f"demo-{uuid.uuid4().hex[:6]}-"),
                put_args=lambda upload: {"ContentType": upload["contentType"],
                                         "Metadata": upload.get("metadata", {})}):
            outcome.expect(f"{key} status", output.get("status"), expected["status"])
            outcome.expect(f"{key} moderators notified", bool(output.get("moderatorsNotified")),
                           expected["moderatorsNotified"])
            if "labelNames" in expected:
                outcome.expect(f"{key} labels", output.get("labels"), expected["labelNames"])
                results.append(f"{key.rsplit('/', 1)[-1]} APPROVED with labels "
                               f"{', '.join(output.get('labels') or [])}")
            else:
                labels = [label["Name"] for label in output.get("moderationLabels") or []]
                outcome.expect(f"{key} moderation labels", labels, expected["moderationLabels"])
                results.append(f"{key.rsplit('/', 1)[-1]} REJECTED ({', '.join(labels)}), moderators notified")
        outcome.trigger = f"{len(results)} images uploaded to s3://{bucket}/uploads/"
        outcome.result = "; ".join(results)

    def journeys(self, stack: Stack) -> list[Journey]:
        s3, bucket = stack.client("s3"), stack.resource("ImageIngestionBucket")
        images = {"clean image catalogued": ("demo-beach.png", {"labels": "Beach:97.4,Sea:95.1", "text": "SUNNY BAY"}),
                  "inappropriate image held back": ("demo-flagged.png",
                                                    {"moderation-labels": "Graphic Violence:88.4"})}
        found = []
        for name, (file, metadata) in images.items():
            # Not under the upload rule's suffixes, so preparing starts nothing by itself.
            key = f"scenarios/{uuid.uuid4().hex[:8]}-{file}.bin"
            s3.put_object(Bucket=bucket, Key=key, Metadata=metadata, Body=self.files(stack).event(file).read_bytes())
            found.append(Journey(WORKFLOW, name, lambda k=key: {"bucket": bucket, "key": k},
                                 main=name.startswith("clean")))
        return found

    def duplicates(self) -> dict[str, Callable[[Stack], DuplicateResult]]:
        return {f"{WORKFLOW}:same-upload": _same_upload_twice}

    def fire(self, stack: Stack, trigger: Trigger, marker: str) -> None:
        stack.client("s3").put_object(Bucket=stack.resource("ImageIngestionBucket"), Key=f"uploads/{marker}.png",
                                      Body=self.files(stack).event("demo-beach.png").read_bytes())


DRIVER = _ImageCatalogDriver()
