"""Image catalog: uploaded images moderated, then catalogued by label and text, or held back for moderators.

Each test puts its own image (the demo PNGs from ``workflows/image-catalog/events/``) in the ingestion bucket
under a unique key. Locally the Rekognition stand-in reads what the image shows from the object's user
metadata (``moderation-labels``, ``labels``, ``text``); the MockConfigFile test cases replace Rekognition,
DynamoDB or SNS answers to force throttling and outages. Every test checks the business outcome: the catalog
item and label entries, the moderators' message, the path taken, the error and its cause.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema
import pytest

from tests.support import ROOT, load_json, plain, rule_paused

WORKFLOW = "image-catalog"
EVENTS = ROOT / "workflows" / WORKFLOW / "events"
INPUT_SCHEMA = load_json("schemas/image-catalog.input.schema.json")
UPLOAD_SCHEMA = load_json("schemas/image-catalog.image-uploaded.schema.json")
ITEM_SCHEMA = load_json("schemas/image-catalog.catalog-item.schema.json")
LABEL_ENTRY_SCHEMA = load_json("schemas/image-catalog.label-entry.schema.json")
OUTPUT_SCHEMA = load_json("schemas/image-catalog.output.schema.json")
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER

BEACH = (EVENTS / "demo-beach.png").read_bytes()
FLAGGED = (EVENTS / "demo-flagged.png").read_bytes()
UNREADABLE_REASONS = {
    "Rekognition.InvalidImageFormatException": "it is not a JPEG or PNG file",
    "Rekognition.ImageTooLargeException": "it is larger than 15 MB",
    "Rekognition.InvalidS3ObjectException": "the object does not exist or may not be read",
}


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket(stack) -> str:
    return stack.resource("ImageIngestionBucket")


@pytest.fixture(scope="module")
def table(stack) -> str:
    return stack.resource("ImageCatalogTable")


@pytest.fixture(autouse=True)
def console_starts_only(stack, request):
    """Pause the upload rule's target while a test starts executions itself, as the console does.

    Otherwise putting an image in the bucket would start a second execution. Tests that request
    ``live_upload_rule`` keep the rule as deployed.
    """
    if "live_upload_rule" in request.fixturenames:
        yield
        return
    with rule_paused(stack, "ImageCatalogStateMachineImageUploaded"):
        yield


@pytest.fixture()
def live_upload_rule(stack) -> str:
    """Keep the ImageUploaded rule with its target (the state machine) in place."""
    rule = stack.resource("ImageCatalogStateMachineImageUploaded")
    assert stack.client("events").list_targets_by_rule(Rule=rule)["Targets"]
    return rule


@pytest.fixture()
def moderators_inbox(stack):
    """Subscribe an SQS queue to the moderators' topic, as a moderator's mailbox.

    ``inbox(key)`` lists the notifications (SNS envelopes) received about that key.
    """
    inbox = stack.inbox(stack.resource("ImageModeratorsTopic"))
    yield lambda key: [n for n in inbox.messages() if f"Key: {key}\n" in n["Message"]]
    inbox.close()


def upload(stack, bucket: str, body: bytes = BEACH, suffix: str = ".png", key: str | None = None,
           **metadata: str) -> str:
    """Put an image under a unique key (or ``key``) with stand-in metadata; returns the key.

    ``moderation_labels="Weapons:90"`` becomes ``x-amz-meta-moderation-labels``.
    """
    key = key or f"uploads/test-{uuid.uuid4().hex[:12]}{suffix}"
    user_metadata = {name.replace("_", "-"): value for name, value in metadata.items()}
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=body, Metadata=user_metadata)
    return key


def catalog_item(stack, table: str, bucket: str, key: str) -> dict[str, Any] | None:
    """Read the image's catalog item as plain JSON, validated against the item schema."""
    raw = stack.client("dynamodb").get_item(
        TableName=table, Key={"ImageUri": {"S": f"s3://{bucket}/{key}"}, "Entry": {"S": "IMAGE"}},
        ConsistentRead=True,
    ).get("Item")
    if raw is None:
        return None
    item = plain(raw)
    jsonschema.validate(item, ITEM_SCHEMA, format_checker=FORMATS)
    return item


def image_entries(stack, table: str, bucket: str, key: str) -> list[dict[str, Any]]:
    """List every item of the image (its catalog item and its label entries)."""
    items = stack.client("dynamodb").query(
        TableName=table, KeyConditionExpression="ImageUri = :uri",
        ExpressionAttributeValues={":uri": {"S": f"s3://{bucket}/{key}"}}, ConsistentRead=True)["Items"]
    return [plain(raw) for raw in items]


def label_entries(stack, table: str, bucket: str, key: str) -> dict[str, dict[str, Any]]:
    """Map the image's label entries by label (validated against their schema)."""
    entries = {}
    for entry in image_entries(stack, table, bucket, key):
        if entry["Entry"] != "IMAGE":
            jsonschema.validate(entry, LABEL_ENTRY_SCHEMA, format_checker=FORMATS)
            entries[entry["Label"]] = entry
    return entries


def images_labelled(stack, table: str, label: str) -> list[str]:
    """Find images by label as a catalog user does: Query the ByLabel index, newest first."""
    items = stack.client("dynamodb").query(
        TableName=table, IndexName="ByLabel", KeyConditionExpression="Label = :label",
        ExpressionAttributeValues={":label": {"S": label.lower()}}, ScanIndexForward=False)["Items"]
    return [item["ImageUri"]["S"] for item in items]



def new_executions(stack, before: set[str]) -> list[str]:
    return [arn for arn in stack.executions(WORKFLOW) if arn not in before]


# --- clean images -----------------------------------------------------------------------------------


def test_clean_image_is_catalogued_with_labels_and_text(stack, bucket, table, moderators_inbox):
    """A clean photo is catalogued APPROVED with labels, confidences and text, and found by label.

    Moderators hear nothing. Labels below the label threshold (70) are left out; label searches ignore
    letter case.
    """
    key = upload(stack, bucket, labels="Beach:97.4,Sea:95.1,Sun:91.8,Sand:62.5", text="SUNNY BAY|WELCOME")

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.states[:5] == ["CheckInput", "IsInputValid", "PrepareImage", "CheckModeration",
                                    "IsContentSafe"]
    assert {"AnalyseImage", "DetectLabels", "DetectText", "SaveApprovedImage", "IndexLabels"} <= set(
        execution.states)
    assert "SaveRejectedImage" not in execution.states and "NotifyModerators" not in execution.states
    assert execution.states.count("IndexLabel") == 3
    assert execution.states[-1] == "ImageCatalogued"
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "APPROVED"
    assert (item["Bucket"], item["Key"], item["ImageUri"]) == (bucket, key, f"s3://{bucket}/{key}")
    assert item["LabelNames"] == ["Beach", "Sea", "Sun"]
    assert item["Labels"] == [{"Name": "Beach", "Confidence": 97.4}, {"Name": "Sea", "Confidence": 95.1},
                              {"Name": "Sun", "Confidence": 91.8}]
    assert item["TextLines"] == [{"Text": "SUNNY BAY", "Confidence": 99},
                                 {"Text": "WELCOME", "Confidence": 99}]
    assert item["ModerationMinConfidence"] == 50 and item["ProcessingCount"] == 1
    assert item["ProcessedAt"] == item["FirstSeenAt"] and item["ExecutionArn"] == execution.arn
    entries = label_entries(stack, table, bucket, key)
    assert sorted(entries) == ["beach", "sea", "sun"]
    assert entries["beach"] == {
        "ImageUri": f"s3://{bucket}/{key}", "Entry": "LABEL#beach", "Label": "beach", "LabelName": "Beach",
        "Confidence": 97.4, "Bucket": bucket, "Key": key, "CatalogedAt": item["ProcessedAt"]}
    assert f"s3://{bucket}/{key}" in images_labelled(stack, table, "BEACH")
    assert f"s3://{bucket}/{key}" not in images_labelled(stack, table, "sand")
    jsonschema.validate(execution.output, OUTPUT_SCHEMA, format_checker=FORMATS)
    assert execution.output == {
        "imageUri": f"s3://{bucket}/{key}", "bucket": bucket, "key": key, "status": "APPROVED",
        "labels": ["Beach", "Sea", "Sun"], "textLines": ["SUNNY BAY", "WELCOME"],
        "processedAt": item["ProcessedAt"]}
    assert moderators_inbox(key) == []


def test_clean_image_without_labels_or_text_is_still_catalogued(stack, bucket, table):
    """An image in which Rekognition finds nothing is APPROVED with empty labels and text.

    It has no label set (DynamoDB sets cannot be empty) and no label entries.
    """
    key = upload(stack, bucket)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})
    assert execution.status == "SUCCEEDED", execution.cause
    assert "IndexLabel" not in execution.states
    item = catalog_item(stack, table, bucket, key)
    assert (item["Status"], item["Labels"], item["TextLines"]) == ("APPROVED", [], [])
    assert "LabelNames" not in item
    assert label_entries(stack, table, bucket, key) == {}


def test_clean_image_catalogued_from_mocked_rekognition(stack, bucket, table):
    """HappyPath test case: Rekognition's recorded answers for a dog on a beach under a sign are catalogued.

    Sand (64.38 %) is under the label threshold; the WORD detections are not stored, the LINEs are.
    """
    key = upload(stack, bucket)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="HappyPath")
    assert execution.status == "SUCCEEDED", execution.cause
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "APPROVED"
    assert item["Labels"] == [{"Name": "Dog", "Confidence": 98.71}, {"Name": "Beach", "Confidence": 95.2},
                              {"Name": "Animal", "Confidence": 98.71}]
    assert item["LabelNames"] == ["Animal", "Beach", "Dog"]
    assert [line["Text"] for line in item["TextLines"]] == ["DOGS WELCOME", "EST. 1998"]
    assert sorted(label_entries(stack, table, bucket, key)) == ["animal", "beach", "dog"]
    assert f"s3://{bucket}/{key}" in images_labelled(stack, table, "dog")


def test_reprocessing_the_same_key_updates_the_item_and_its_label_entries(stack, bucket, table):
    """Processing the same key again updates its one catalog item, never duplicates it.

    Labels that no longer apply leave the label index, FirstSeenAt stays and ProcessingCount counts the runs.
    When the replaced image is then rejected, it disappears from every label search.
    """
    key = upload(stack, bucket, labels="Dog:98,Beach:91")
    first = stack.run(WORKFLOW, {"bucket": bucket, "key": key})
    assert first.status == "SUCCEEDED", first.cause
    first_item = catalog_item(stack, table, bucket, key)

    upload(stack, bucket, key=key, labels="Cat:97,beach:90", text="MEOW")
    second = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert second.status == "SUCCEEDED", second.cause
    assert second.states.count("RemoveLabelEntry") == 1  # dog
    entries = image_entries(stack, table, bucket, key)
    assert sorted(e["Entry"] for e in entries) == ["IMAGE", "LABEL#beach", "LABEL#cat"]
    item = catalog_item(stack, table, bucket, key)
    assert item["LabelNames"] == ["Cat", "beach"]
    assert item["TextLines"] == [{"Text": "MEOW", "Confidence": 99}]
    assert item["ProcessingCount"] == 2 and item["FirstSeenAt"] == first_item["FirstSeenAt"]
    assert item["ExecutionArn"] == second.arn
    uri = f"s3://{bucket}/{key}"
    assert uri not in images_labelled(stack, table, "dog") and uri in images_labelled(stack, table, "cat")

    upload(stack, bucket, FLAGGED, key=key, moderation_labels="Middle Finger:93")
    third = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert third.status == "SUCCEEDED", third.cause
    assert third.states.count("RemoveLabelEntry") == 2
    assert [e["Entry"] for e in image_entries(stack, table, bucket, key)] == ["IMAGE"]
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "REJECTED" and item["ProcessingCount"] == 3
    assert "Labels" not in item and "TextLines" not in item and "LabelNames" not in item
    assert uri not in images_labelled(stack, table, "cat")


# --- inappropriate images ---------------------------------------------------------------------------


def test_inappropriate_image_is_rejected_and_moderators_notified(stack, bucket, table, moderators_inbox):
    """An image with a moderation label above the threshold is held back and moderators are told.

    It is recorded REJECTED with its moderation labels (the whole taxonomy branch), and the moderators receive
    a readable message naming bucket, key and labels. Labels and text are not even looked for.
    """
    key = upload(stack, bucket, FLAGGED, moderation_labels="Graphic Violence:88.4")

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.states[-4:] == ["RemoveStaleLabelEntries", "WhatWasTheOutcome", "NotifyModerators",
                                     "ImageRejected"]
    assert "SaveRejectedImage" in execution.states and "AnalyseImage" not in execution.states
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "REJECTED"
    assert item["ModerationLabels"] == [
        {"Name": "Graphic Violence", "ParentName": "Violence", "Confidence": 88.4},
        {"Name": "Violence", "ParentName": "", "Confidence": 88.4}]
    assert item["ModerationMinConfidence"] == 50
    assert label_entries(stack, table, bucket, key) == {}
    [notification] = moderators_inbox(key)
    assert notification["TopicArn"] == stack.resource("ImageModeratorsTopic")
    assert notification["Subject"] == f"Image held back by moderation: {key}"
    message = notification["Message"]
    assert f"Bucket: {bucket}\n" in message and f"Key: {key}\n" in message
    assert "- Graphic Violence (Violence): 88.4%\n- Violence: 88.4%" in message
    assert "at or above 50% confidence" in message and "status REJECTED" in message
    assert table in message and execution.arn in message
    assert notification["MessageAttributes"]["status"]["Value"] == "REJECTED"
    jsonschema.validate(execution.output, OUTPUT_SCHEMA, format_checker=FORMATS)
    assert execution.output["moderatorsNotified"] is True
    assert execution.output["notificationMessageId"] == notification["MessageId"]


def test_inappropriate_image_rejected_from_mocked_rekognition(stack, bucket, table, moderators_inbox):
    """InappropriateContent: Rekognition's recorded answer (Explicit Nudity, 97.53 %) rejects the image.

    The moderators are told.
    """
    key = upload(stack, bucket)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="InappropriateContent")
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.states[-1] == "ImageRejected"
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "REJECTED"
    assert [label["Name"] for label in item["ModerationLabels"]] == ["Explicit Nudity", "Explicit"]
    [notification] = moderators_inbox(key)
    assert "- Explicit Nudity (Explicit): 97.5%" in notification["Message"]


@pytest.mark.parametrize(("confidence", "status"),
                         [("49.9", "APPROVED"), ("50", "REJECTED"), ("50.1", "REJECTED")])
def test_moderation_threshold_is_inclusive(stack, bucket, table, confidence, status):
    """A moderation label at or above MinConfidence (50 by default) rejects the image; below, not."""
    key = upload(stack, bucket, moderation_labels=f"Alcoholic Beverages:{confidence}", labels="Glass:90")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})
    assert execution.status == "SUCCEEDED", execution.cause
    assert catalog_item(stack, table, bucket, key)["Status"] == status


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["not an image", "too large", "missing"])
def test_unreadable_image_is_recorded_as_failed(stack, bucket, table, problem):
    """Images Rekognition cannot read end FAILED with the reason recorded.

    Not JPEG/PNG, over 15 MB, or gone: the execution fails with ImageCatalog.ImageUnreadable.
    """
    if problem == "not an image":
        key, error = upload(stack, bucket, b"GIF89a\x01\x00\x01\x00", suffix=".png"), \
            "Rekognition.InvalidImageFormatException"
    elif problem == "too large":
        key = upload(stack, bucket, BEACH + bytes(15 * 1024 * 1024))
        error = "Rekognition.ImageTooLargeException"
    else:
        key, error = f"uploads/missing-{uuid.uuid4().hex[:8]}.jpg", "Rekognition.InvalidS3ObjectException"

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert (execution.status, execution.error) == ("FAILED", "ImageCatalog.ImageUnreadable")
    assert execution.states[-6:] == ["CheckModeration", "NoteUnreadableImage", "SaveFailedImage",
                                     "RemoveStaleLabelEntries", "WhatWasTheOutcome", "FailImage"]
    reason = f"Amazon Rekognition cannot read the image: {UNREADABLE_REASONS[error]}"
    assert execution.cause.startswith(f"s3://{bucket}/{key}: {reason} (CheckModeration: {error}: ")
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "FAILED"
    assert item["FailureReason"] == reason
    assert (item["ErrorName"], item["FailedState"]) == (error, "CheckModeration")


def test_unreadable_image_from_mocked_rekognition(stack, bucket, table):
    """UnreadableImage: Rekognition answers InvalidImageFormatException; it is recorded as FAILED."""
    key = upload(stack, bucket)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="UnreadableImage")
    assert (execution.status, execution.error) == ("FAILED", "ImageCatalog.ImageUnreadable")
    assert "Request has invalid image format" in execution.cause
    item = catalog_item(stack, table, bucket, key)
    assert (item["Status"], item["ErrorName"]) == ("FAILED", "Rekognition.InvalidImageFormatException")


def test_previously_catalogued_image_that_fails_leaves_the_label_index(stack, bucket, table):
    """An approved image replaced by an unreadable file becomes FAILED and leaves the label index."""
    key = upload(stack, bucket, labels="Tree:93")
    assert stack.run(WORKFLOW, {"bucket": bucket, "key": key}).status == "SUCCEEDED"
    upload(stack, bucket, b"%PDF-1.7 not an image", key=key)

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert execution.error == "ImageCatalog.ImageUnreadable"
    assert execution.states.count("RemoveLabelEntry") == 1
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "FAILED" and item["ProcessingCount"] == 2 and "Labels" not in item
    assert f"s3://{bucket}/{key}" not in images_labelled(stack, table, "tree")


def test_throttled_rekognition_calls_are_retried_until_they_succeed(stack, bucket, table):
    """RetryOnThrottling: throttled and transient Rekognition errors are retried, the image is catalogued.

    Moderation is throttled twice, DetectLabels once and DetectText hits a transient error once.
    """
    key = upload(stack, bucket)

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="RetryOnThrottling")

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.task_failures("CheckModeration") == ["Rekognition.ThrottlingException"] * 2
    assert execution.task_failures("DetectLabels") == ["Rekognition.ProvisionedThroughputExceededException"]
    assert execution.task_failures("DetectText") == ["Rekognition.InternalServerErrorException"]
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "APPROVED" and item["LabelNames"] == ["Animal", "Beach", "Dog"]


def test_throttled_catalog_write_is_retried(stack, bucket, table):
    """CatalogWriteThrottled: DynamoDB throttles the catalog write twice, the third attempt goes through.

    The third attempt is mocked; the label entries are then written for real.
    """
    key = upload(stack, bucket)

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="CatalogWriteThrottled")

    assert execution.status == "SUCCEEDED", execution.cause
    throttled = ["DynamoDb.ProvisionedThroughputExceededException"] * 2
    assert execution.task_failures("SaveApprovedImage") == throttled
    assert execution.states[-1] == "ImageCatalogued"
    assert sorted(label_entries(stack, table, bucket, key)) == ["animal", "beach", "dog"]


def test_rekognition_outage_is_recorded_as_failed(stack, bucket, table):
    """RekognitionUnavailable: a lasting Rekognition outage is recorded as FAILED.

    After 1 call and 3 retries the image is recorded FAILED with Rekognition's error, and the execution
    fails with that error.
    """
    key = upload(stack, bucket)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="RekognitionUnavailable")
    assert (execution.status, execution.error) == ("FAILED", "Rekognition.InternalServerErrorException")
    assert execution.task_failures("CheckModeration") == ["Rekognition.InternalServerErrorException"] * 4
    assert execution.states[-5:] == ["NoteProcessingError", "SaveFailedImage", "RemoveStaleLabelEntries",
                                     "WhatWasTheOutcome", "FailImage"]
    item = catalog_item(stack, table, bucket, key)
    assert item["Status"] == "FAILED" and item["ErrorName"] == "Rekognition.InternalServerErrorException"
    assert item["FailureReason"].startswith(
        "CheckModeration failed: Amazon Rekognition experienced a service issue")


def test_moderators_unreachable_keeps_the_rejection_and_fails_for_redrive(stack, bucket, table):
    """ModeratorsUnreachable: the rejection stays recorded and the execution fails, ready for a redrive.

    SNS keeps failing, so the execution fails with ImageCatalog.ModeratorNotificationFailed; the image stays
    REJECTED in the catalog (never silently lost).
    """
    key = upload(stack, bucket)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="ModeratorsUnreachable")
    assert (execution.status, execution.error) == ("FAILED", "ImageCatalog.ModeratorNotificationFailed")
    assert execution.task_failures("NotifyModerators") == ["Sns.InternalErrorException"] * 4
    assert execution.cause == (
        f"s3://{bucket}/{key} is recorded as REJECTED, but the moderators could not be notified: "
        "Sns.InternalErrorException: Internal error (Service: Sns, Status Code: 500). Redrive the execution.")
    assert catalog_item(stack, table, bucket, key)["Status"] == "REJECTED"


@pytest.mark.parametrize(("given", "field"), [
    ({}, "bucket is required"),
    ({"key": "uploads/a.png"}, "bucket is required"),
    ({"bucket": "", "key": "uploads/a.png"}, "bucket is required"),
    ({"bucket": 42, "key": "uploads/a.png"}, "bucket is required"),
    ({"bucket": "s3://my-bucket", "key": "uploads/a.png"}, "bucket must be an S3 bucket name"),
    ({"bucket": "local-imageingestionbucket"}, "key is required"),
    ({"bucket": "local-imageingestionbucket", "key": "   "}, "key is required"),
    ({"bucket": "local-imageingestionbucket", "key": ["uploads/a.png"]}, "key is required"),
    ({"bucket": "local-imageingestionbucket", "key": "k" * 1025}, "key must be at most 1024 characters"),
    (["local-imageingestionbucket", "uploads/a.png"], "the input must be a JSON object"),
])
def test_invalid_input_fails_at_once_naming_the_field(stack, table, given, field):
    """An input without a usable bucket or key fails at once, naming the field.

    It fails before any AWS call with ImageCatalog.InvalidInput; nothing is recorded.
    """
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(given, INPUT_SCHEMA)
    execution = stack.run(WORKFLOW, given)
    assert (execution.status, execution.error) == ("FAILED", "ImageCatalog.InvalidInput")
    assert execution.cause.startswith(f"Invalid input: {field}")
    assert execution.states == ["CheckInput", "IsInputValid", "RejectInvalidInput"]


# --- triggers, end to end ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".JPEG", ".Png"])
def test_upload_starts_the_workflow_and_the_item_appears(stack, bucket, table, live_upload_rule, suffix):
    """Uploading an image to the ingestion bucket starts the workflow, and the catalog item appears.

    Any letter case of .jpg, .jpeg and .png matches the Object Created rule.
    """
    before = set(stack.executions(WORKFLOW))
    key = upload(stack, bucket, suffix=suffix, labels="Lighthouse:96")

    def approved_item():
        item = catalog_item(stack, table, bucket, key)
        return item if item and item["Status"] == "APPROVED" else None

    item = stack.eventually(approved_item, message="catalog item never appeared")

    assert item["LabelNames"] == ["Lighthouse"]
    [arn] = new_executions(stack, before)
    execution = stack.wait(arn)
    assert execution.input == {"bucket": bucket, "key": key}
    jsonschema.validate(execution.input, INPUT_SCHEMA)
    assert execution.status == "SUCCEEDED" and item["ExecutionArn"] == arn


def test_rejected_upload_notifies_moderators_end_to_end(stack, bucket, table, live_upload_rule,
                                                        moderators_inbox):
    """An inappropriate image uploaded to the bucket is held back and moderators are told, hands-free."""
    key = upload(stack, bucket, FLAGGED, suffix=".jpeg", moderation_labels="Weapons:91.2")
    [notification] = stack.eventually(lambda: moderators_inbox(key), message="moderators never notified")
    assert "- Weapons (Violence): 91.2%" in notification["Message"]
    assert catalog_item(stack, table, bucket, key)["Status"] == "REJECTED"


@pytest.mark.parametrize("key", ["uploads/notes.txt", "uploads/animation.gif", "uploads/photo.png.tmp",
                                 "uploads/photo-png"])
def test_other_uploads_do_not_start_the_workflow(stack, bucket, table, live_upload_rule, key):
    """Objects not named .jpg/.jpeg/.png never start an execution.

    Delivery is synchronous locally, so nothing can arrive later.
    """
    before = set(stack.executions(WORKFLOW))
    key = key.replace("uploads/", f"uploads/{uuid.uuid4().hex[:8]}-")
    upload(stack, bucket, key=key)
    assert new_executions(stack, before) == []
    assert catalog_item(stack, table, bucket, key) is None


def test_demo_uploads_give_the_documented_results(stack, bucket, table, live_upload_rule, moderators_inbox):
    """The two demo images of events/demo-uploads.json, uploaded as the demo does, end as documented."""
    demo = load_json("workflows/image-catalog/events/demo-uploads.json")
    for upload_spec in demo["uploads"]:
        key = upload_spec["key"].replace("uploads/", f"uploads/{uuid.uuid4().hex[:8]}-")
        before = set(stack.executions(WORKFLOW))
        body = (EVENTS / upload_spec["file"]).read_bytes()
        s3 = stack.client("s3")
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=upload_spec["contentType"],
                      Metadata=upload_spec["metadata"])
        [arn] = new_executions(stack, before)
        assert stack.wait(arn).status == "SUCCEEDED"
        expected = upload_spec["expected"]
        item = catalog_item(stack, table, bucket, key)
        assert item["Status"] == expected["status"]
        if expected["status"] == "APPROVED":
            assert [label["Name"] for label in item["Labels"]] == expected["labelNames"]
            assert [line["Text"] for line in item["TextLines"]] == expected["textLines"]
            assert f"s3://{bucket}/{key}" in images_labelled(stack, table, expected["findByLabel"])
        else:
            assert [label["Name"] for label in item["ModerationLabels"]] == expected["moderationLabels"]
        assert bool(moderators_inbox(key)) is expected["moderatorsNotified"]


# --- samples, schemas and the stand-in --------------------------------------------------------------


def test_samples_match_their_schemas_and_the_rule(stack, live_upload_rule):
    """The sample S3 event matches the rule, and its transformer yields the console input contract."""
    from local.emulation.eventbridge import render_target_input

    event = load_json("workflows/image-catalog/events/s3-object-created.json")
    jsonschema.validate(event, UPLOAD_SCHEMA, format_checker=FORMATS)
    console = load_json("workflows/image-catalog/events/console-start.json")
    jsonschema.validate(console, INPUT_SCHEMA)
    events = stack.client("events")
    rule = events.describe_rule(Name=stack.resource("ImageCatalogStateMachineImageUploaded"))
    # moto has no TestEventPattern; its own matcher is what routes events on the local bus.
    from moto.events.models import EventPattern

    assert EventPattern.load(rule["EventPattern"]).matches_event(event)
    for key in ("uploads/a.gif", "uploads/a.png.txt"):
        other = {**event, "detail": {**event["detail"], "object": {**event["detail"]["object"], "key": key}}}
        assert not EventPattern.load(rule["EventPattern"]).matches_event(other)
    [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    rendered = json.loads(render_target_input(target, event, rule["Arn"]))
    assert rendered == {"bucket": "local-imageingestionbucket", "key": "uploads/holiday/IMG_0042.JPG"}
    jsonschema.validate(rendered, INPUT_SCHEMA)
    assert target["DeadLetterConfig"]["Arn"] == stack.resource("ImageUploadedDLQ", "Arn")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}


def test_moderators_email_subscription_is_provisioned(stack):
    """The moderators' e-mail address (template parameter) is subscribed to their topic."""
    assert {"TopicArn": stack.resource("ImageModeratorsTopic"),
            "Endpoint": stack.template.parameters["ImageModeratorEmailAddress"]} in stack.email_subscriptions


def test_standin_moderation_labels_follow_rekognition_taxonomy():
    """The stand-in follows Rekognition's moderation taxonomy, as DetectModerationLabels does.

    A label comes with its ancestors (same confidence), its taxonomy level and parent, most confident first;
    labels under MinConfidence are dropped.
    """
    from local.standins.rekognition import moderation_labels

    assert moderation_labels("Smoking:80,Weapons:95", 50) == [
        {"Confidence": 95.0, "Name": "Weapons", "ParentName": "Violence", "TaxonomyLevel": 2},
        {"Confidence": 95.0, "Name": "Violence", "ParentName": "", "TaxonomyLevel": 1},
        {"Confidence": 80.0, "Name": "Smoking", "ParentName": "Drugs & Tobacco Paraphernalia & Use",
         "TaxonomyLevel": 3},
        {"Confidence": 80.0, "Name": "Drugs & Tobacco Paraphernalia & Use", "ParentName": "Drugs & Tobacco",
         "TaxonomyLevel": 2},
        {"Confidence": 80.0, "Name": "Drugs & Tobacco", "ParentName": "", "TaxonomyLevel": 1},
    ]
    assert moderation_labels("Smoking:80,Weapons:95", 90) == moderation_labels("Weapons:95", 50)
    assert moderation_labels("Something Odd", 50) == [
        {"Confidence": 99.0, "Name": "Something Odd", "ParentName": "", "TaxonomyLevel": 1}]
    assert moderation_labels(None) == [] and moderation_labels("") == []


def test_standin_answers_like_rekognition(stack, bucket):
    """Through boto3, the stand-in validates like Rekognition and answers in the API's shapes."""
    from botocore.exceptions import ClientError

    rekognition = stack.client("rekognition")
    key = upload(stack, bucket, labels="Dog:98,Pet:72,Blur:40", text="NO  PARKING|ANY TIME")
    image = {"S3Object": {"Bucket": bucket, "Name": key}}
    labels = rekognition.detect_labels(Image=image, MaxLabels=1)["Labels"]
    assert [(label["Name"], label["Confidence"]) for label in labels] == [("Dog", 98.0)]
    assert [label["Name"] for label in rekognition.detect_labels(Image=image)["Labels"]] == ["Dog", "Pet"]
    detections = rekognition.detect_text(Image=image)["TextDetections"]
    assert [(d["DetectedText"], d["Type"], d.get("ParentId")) for d in detections] == [
        ("NO PARKING", "LINE", None), ("NO", "WORD", 0), ("PARKING", "WORD", 0),
        ("ANY TIME", "LINE", None), ("ANY", "WORD", 3), ("TIME", "WORD", 3)]
    assert rekognition.detect_moderation_labels(Image=image)["ModerationLabels"] == []
    with pytest.raises(ClientError) as raised:
        rekognition.detect_moderation_labels(
            Image={"S3Object": {"Bucket": bucket, "Name": "uploads/none.png"}})
    assert raised.value.response["Error"]["Code"] == "InvalidS3ObjectException"
    with pytest.raises(ClientError) as raised:
        rekognition.detect_labels(Image={"Bytes": b"BM not a bitmap we read"})
    assert raised.value.response["Error"]["Code"] == "InvalidImageFormatException"
    assert rekognition.detect_text(Image={"Bytes": BEACH})["TextDetections"] == []
