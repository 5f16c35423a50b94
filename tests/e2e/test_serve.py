"""``python -m local serve`` used the way people use it: from the AWS CLI and boto3, in another process.

The endpoint is started once per session on a free port (see ``conftest.py``); these tests only talk HTTP to it.
"""

from __future__ import annotations

import json
import time
import uuid

from local.stack.template import Template
from tests.support import ROOT

POLL_TIMEOUT = 30.0


def wait_for_end(describe, arn: str) -> dict:
    """Poll DescribeExecution with short sleeps until the execution leaves RUNNING (bounded)."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        described = describe(arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {POLL_TIMEOUT}s"
        time.sleep(0.05)


def test_first_line_names_the_endpoint_and_every_template_resource(served):
    """Tools read one JSON object from the first line: the URL and every resource of template.yaml."""
    template = Template(ROOT / "template.yaml")
    assert served["endpoint"].startswith("http://127.0.0.1:")
    assert set(served["resources"]) == set(template.resources)
    state_machine = served["resources"]["ImageCatalogStateMachine"]
    assert state_machine.startswith("arn:aws:states:us-east-1:") and ":stateMachine:" in state_machine


def test_aws_cli_uploads_an_image_and_starts_a_mocked_execution(served, aws_cli, tmp_path):
    """A user uploads an image and starts the catalog workflow's HappyPath test case with the AWS CLI.

    The object lands in the stack's bucket; ``stateMachineArn#HappyPath`` selects the MockConfigFile test case,
    so Rekognition's answers are the mocked ones; the execution ends APPROVED with the mocked labels, and the
    catalog item is readable with ``aws dynamodb get-item``.
    """
    resources = served["resources"]
    bucket, key = resources["ImageIngestionBucket"], f"cli/{uuid.uuid4().hex[:8]}.png"
    image = tmp_path / "beach.png"
    image.write_bytes((ROOT / "workflows/image-catalog/events/demo-beach.png").read_bytes())
    aws_cli("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(image))

    started = aws_cli("stepfunctions", "start-execution",
                      "--state-machine-arn", resources["ImageCatalogStateMachine"] + "#HappyPath",
                      "--input", json.dumps({"bucket": bucket, "key": key}))
    ended = wait_for_end(lambda arn: aws_cli("stepfunctions", "describe-execution", "--execution-arn", arn),
                         started["executionArn"])

    assert ended["status"] == "SUCCEEDED"
    output = json.loads(ended["output"])
    assert output["status"] == "APPROVED" and "Dog" in output["labels"]
    item = aws_cli("dynamodb", "get-item", "--table-name", resources["ImageCatalogTable"],
                   "--key", json.dumps({"ImageUri": {"S": f"s3://{bucket}/{key}"}, "Entry": {"S": "IMAGE"}}))
    assert item["Item"]["Status"]["S"] == "APPROVED"


def test_stand_in_services_answer_over_http(client):
    """APIs moto lacks (End User Messaging SMS, Translate) answer on the same endpoint through the stand-ins."""
    sms = client("pinpoint-sms-voice-v2").send_text_message(
        DestinationPhoneNumber="+14255550123", OriginationIdentity="+12065550100", MessageBody="hello")
    assert uuid.UUID(sms["MessageId"])
    translated = client("translate").translate_text(Text="Bonjour", SourceLanguageCode="fr", TargetLanguageCode="en")
    assert translated["TargetLanguageCode"] == "en" and translated["TranslatedText"]


def test_an_upload_over_http_triggers_the_workflow(served, client):
    """Uploading through the endpoint fires the bucket's EventBridge rule, exactly as an upload in AWS does."""
    resources = served["resources"]
    bucket, key = resources["ImageIngestionBucket"], f"uploads/{uuid.uuid4().hex[:8]}.png"
    client("s3").put_object(Bucket=bucket, Key=key, Body=(ROOT / "workflows/image-catalog/events/demo-beach.png")
                            .read_bytes(), Metadata={"labels": "Beach:97.4"})
    sfn = client("stepfunctions")
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        arns = [e["executionArn"] for e in sfn.list_executions(
            stateMachineArn=resources["ImageCatalogStateMachine"])["executions"]]
        mine = [a for a in arns if json.loads(sfn.describe_execution(executionArn=a)["input"]).get("key") == key]
        if mine:
            break
        assert time.monotonic() < deadline, "the upload started no execution"
        time.sleep(0.05)
    ended = wait_for_end(lambda arn: sfn.describe_execution(executionArn=arn), mine[0])
    assert (ended["status"], json.loads(ended["output"])["labels"]) == ("SUCCEEDED", ["Beach"])


def test_a_recording_uploaded_over_http_is_analysed(served, client):
    """A French call uploaded under recordings/ through the endpoint ends as an ANALYZED, translated result item.

    The Object Created rule starts the workflow, Transcribe, Translate and Comprehend answer through the
    stand-ins, and the item lands in the results table, all reached over HTTP only.
    """
    resources = served["resources"]
    bucket, key = resources["CallRecordingsBucket"], f"recordings/{uuid.uuid4().hex[:8]}.wav"
    recording = ROOT / "workflows/call-center-analysis/events/recording-fr-negative.txt"
    client("s3").put_object(Bucket=bucket, Key=key, ContentLanguage="fr-FR", Body=recording.read_bytes())
    ddb = client("dynamodb")
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        item = ddb.get_item(TableName=resources["CallResultsTable"],
                            Key={"RecordingUri": {"S": f"s3://{bucket}/{key}"}}).get("Item")
        if item and item["Status"]["S"] == "ANALYZED":
            break
        assert time.monotonic() < deadline, f"no analysed result for {key} after {POLL_TIMEOUT}s"
        time.sleep(0.05)
    assert (item["LanguageCode"]["S"], item["Translated"]["BOOL"], item["Sentiment"]["S"]) == ("fr-FR", True,
                                                                                               "NEGATIVE")
