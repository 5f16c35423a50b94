"""The served API tried as a new user would: malformed requests get AWS's error codes, as JSON.

Everything here talks HTTP to ``python -m local serve`` in its own process (see ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.error
import urllib.request
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/served-api-tests"
PASS_MACHINE = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def raw_post(endpoint: str, target: str, body: bytes, signing_name: str = "states") -> tuple[int, dict]:
    """POST a JSON-protocol request as an SDK would frame it; returns the HTTP status and the JSON answer."""
    request = urllib.request.Request(endpoint + "/", data=body, method="POST", headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/{signing_name}/aws4_request, "
                         "SignedHeaders=host;x-amz-target, Signature=0"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        assert error.headers.get("Content-Type", "").startswith("application/x-amz-json"), "an AWS error is JSON"
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def state_machine(client):
    """A one-state machine to start."""
    return client("stepfunctions").create_state_machine(
        name=f"served-{uuid.uuid4().hex[:8]}", definition=PASS_MACHINE, roleArn=ROLE)["stateMachineArn"]


def test_body_that_is_not_json_is_a_serialization_exception(endpoint):
    """A request body that is not JSON gets HTTP 400 SerializationException, not an HTML error page."""
    status, answer = raw_post(endpoint, "AWSStepFunctions.StartExecution", b"stateMachineArn=x")
    assert status == 400
    assert answer["__type"].endswith("SerializationException")


def test_unknown_target_is_an_unknown_operation_exception(endpoint):
    """An X-Amz-Target naming no operation of the service gets HTTP 400 UnknownOperationException."""
    status, answer = raw_post(endpoint, "AWSStepFunctions.StartExecutionNow", b"{}")
    assert status == 400
    assert answer["__type"].endswith("UnknownOperationException")


def test_start_execution_with_input_that_is_not_json_is_invalid_execution_input(client, state_machine):
    """StartExecution refuses input that is not JSON with InvalidExecutionInput."""
    with pytest.raises(ClientError) as refused:
        client("stepfunctions").start_execution(stateMachineArn=state_machine, input="{not json")
    assert refused.value.response["Error"]["Code"] == "InvalidExecutionInput"


def test_start_execution_with_input_over_256_kib_is_refused(client, state_machine):
    """Input larger than 256 KiB is refused at StartExecution, before any execution exists."""
    sfn = client("stepfunctions")
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=state_machine, input=json.dumps({"blob": "a" * 262144}))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "262144" in refused.value.response["Error"]["Message"]
    assert sfn.list_executions(stateMachineArn=state_machine)["executions"] == []


@pytest.mark.parametrize("name", ["a" * 81, "order 42", "order/42"])
def test_start_execution_with_an_invalid_name_is_invalid_name(client, state_machine, name):
    """An execution name of more than 80 characters, or with a space or a slash, is InvalidName."""
    with pytest.raises(ClientError) as refused:
        client("stepfunctions").start_execution(stateMachineArn=state_machine, name=name, input="{}")
    assert refused.value.response["Error"]["Code"] == "InvalidName"


def test_bucket_notification_configuration_shows_eventbridge(client, served):
    """The ingestion bucket sends its events to EventBridge, and its notification configuration says so."""
    bucket = served["resources"]["ImageIngestionBucket"]
    configuration = client("s3").get_bucket_notification_configuration(Bucket=bucket)
    assert configuration["EventBridgeConfiguration"] == {}


def test_function_created_through_the_api_calls_the_served_endpoint(client, served):
    """A function deployed with CreateFunction reaches the local services: its boto3 calls go to the endpoint."""
    iam = client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="served-api-tests", AssumeRolePolicyDocument="{}")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("handler.py", "import boto3\n\ndef handler(event, context):\n"
                                  "    return [b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']]\n")
    lam = client("lambda")
    name = f"served-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="handler.handler",
                        Code={"ZipFile": archive.getvalue()}, Timeout=30)
    answer = lam.invoke(FunctionName=name)
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert served["resources"]["ImageIngestionBucket"] in json.loads(answer["Payload"].read())
