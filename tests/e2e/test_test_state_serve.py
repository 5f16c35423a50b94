"""TestState on the ``serve`` endpoint, as users call it: ``aws stepfunctions test-state`` and boto3 over HTTP.

TestState, like StartSyncExecution, is sent to the ``sync-`` host of Step Functions; against ``--endpoint-url``
the client must not prefix the host (``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` for the AWS CLI and boto3,
or ``Config(inject_host_prefix=False)``). The states tested are the call center workflow's, read from the
served stack with DescribeStateMachine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import boto3
import pytest
from botocore.config import Config

from local.load import CREDENTIALS
from tests.conftest import ROOT

NO_HOST_PREFIX = {**CREDENTIALS, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
TRANSLATION = {"TranslatedText": "The order arrived broken", "SourceLanguageCode": "fr", "TargetLanguageCode": "en"}


def aws(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    """Run the AWS CLI against the endpoint without the host prefix; the caller reads stdout or stderr."""
    command = [os.path.join(os.path.dirname(sys.executable), "aws"), "--endpoint-url", endpoint, "--output", "json",
               *args]
    return subprocess.run(command, env={**os.environ, **NO_HOST_PREFIX}, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.fixture(scope="module")
def call_center(served, client) -> dict:
    """The served call center state machine's definition and role."""
    return client("stepfunctions").describe_state_machine(
        stateMachineArn=served["resources"]["CallAnalysisStateMachine"])


@pytest.fixture(scope="module")
def sfn(endpoint):
    """boto3 aimed at serve, without the sync- host prefix."""
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def translate_chunk(endpoint: str, call_center: dict, mock: dict, level: str = "INFO") -> subprocess.CompletedProcess:
    """``aws stepfunctions test-state`` of TranslateChunk (a state of the TranslateChunks Map) with ``mock``."""
    return aws(endpoint, "stepfunctions", "test-state", "--definition", call_center["definition"],
               "--state-name", "TranslateChunk", "--input", json.dumps("La commande est arrivée cassée"),
               "--variables", json.dumps({"sourceLanguage": "fr"}), "--inspection-level", level,
               "--mock", json.dumps(mock))


@pytest.mark.parametrize(("mock", "outcome"), [
    ({"result": json.dumps(TRANSLATION)}, "The order arrived broken"),
    ({"result": json.dumps({"TranslatedText": "The order arrived broken"})},
     "Required field 'SourceLanguageCode' is missing"),
    ({"result": json.dumps({"TranslatedText": "The order arrived broken"}), "fieldValidationMode": "PRESENT"},
     "The order arrived broken"),
    ({"result": json.dumps({"TranslatedText": 7}), "fieldValidationMode": "PRESENT"},
     "Field 'TranslatedText' must be a string"),
    ({"result": json.dumps({"TranslatedText": 7}), "fieldValidationMode": "NONE"}, 7),
])
def test_aws_cli_validates_mocks_in_each_mode(endpoint, call_center, mock, outcome):
    """STRICT (default) wants Translate's required fields, PRESENT only right types, NONE anything."""
    done = translate_chunk(endpoint, call_center, mock)
    if isinstance(outcome, str) and "field" in outcome.lower():
        assert done.returncode != 0
        assert "ValidationException" in done.stderr and f"Mock result schema validation error: {outcome}" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        response = json.loads(done.stdout)
        assert (response["status"], json.loads(response["output"])) == ("SUCCEEDED", outcome)


@pytest.mark.parametrize("level", ["INFO", "DEBUG", "TRACE"])
def test_aws_cli_inspection_levels(endpoint, call_center, level):
    """INFO answers the output only; DEBUG and TRACE also the evaluated Arguments and the raw result."""
    done = translate_chunk(endpoint, call_center, {"result": json.dumps(TRANSLATION)}, level)
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["status"] == "SUCCEEDED" and "nextState" not in response  # the last state of its Map
    if level == "INFO":
        assert "inspectionData" not in response
        return
    data = response["inspectionData"]
    assert json.loads(data["afterArguments"]) == {"Text": "La commande est arrivée cassée",
                                                  "SourceLanguageCode": "fr", "TargetLanguageCode": "en"}
    assert json.loads(data["result"]) == TRANSLATION
    assert json.loads(data["variables"]) == {"sourceLanguage": "fr"}


def test_aws_cli_reports_a_caught_error(endpoint, call_center):
    """A failing transcription poll is caught: CAUGHT_ERROR, the Catcher's Next, its assigned failure."""
    done = aws(endpoint, "stepfunctions", "test-state", "--definition", call_center["definition"],
               "--state-name", "CheckTranscription", "--input", "{}", "--inspection-level", "DEBUG",
               "--variables", json.dumps({"jobName": "call-1", "polls": 0, "languageCode": "fr-FR"}),
               "--mock", json.dumps({"errorOutput": {"error": "Transcribe.BadRequestException",
                                                     "cause": "The job name is unknown"}}))
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert (response["status"], response["nextState"]) == ("CAUGHT_ERROR", "RecordFailedCall")
    assert json.loads(response["inspectionData"]["variables"])["failureCause"] == (
        "CheckTranscription failed: The job name is unknown")


def test_boto3_choice_with_several_rules(sfn, call_center):
    """boto3 over HTTP: the poll loop's Choice goes on waiting until the job completes or the budget is spent."""
    def next_state(variables: dict) -> str:
        return sfn.test_state(definition=call_center["definition"], stateName="IsTranscriptionDone",
                              input=json.dumps({"status": "IN_PROGRESS"}),
                              variables=json.dumps(variables))["nextState"]

    assert next_state({"jobStatus": "IN_PROGRESS", "polls": 3, "maxPolls": 60}) == "WaitForTranscription"
    assert next_state({"jobStatus": "COMPLETED", "polls": 3, "maxPolls": 60}) == "MeasureTranscript"
    assert next_state({"jobStatus": "IN_PROGRESS", "polls": 60, "maxPolls": 60}) == "NoteTranscriptionTimedOut"


def test_boto3_state_without_a_mock_calls_the_served_services(served, client, sfn, call_center):
    """Without a mock, HeadObject reads the real object on the served stack: its Content-Language is the language."""
    bucket, key = served["resources"]["CallRecordingsBucket"], f"test-state/{uuid.uuid4().hex[:8]}.mp3"
    client("s3").put_object(Bucket=bucket, Key=key, Body=b"Bonjour", ContentLanguage="fr")
    response = sfn.test_state(
        definition=call_center["definition"], stateName="ReadRecordingMetadata", roleArn=call_center["roleArn"],
        input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"bucket": bucket, "key": key, "requestedLanguage": "", "jobName": "call-2"}))
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "IsLanguageKnown")
    variables = json.loads(response["inspectionData"]["variables"])
    assert (variables["languageCode"], variables["languageSource"]) == ("fr-FR", "METADATA")


def test_local_test_state_command_prints_the_response(tmp_path):
    """``python -m local test-state`` prints the AWS CLI's JSON; an unknown state is one error line, exit 2."""
    files = ROOT / "workflows/call-center-analysis/events"
    command = [sys.executable, "-m", "local", "test-state", "call-center-analysis", "IsTranscriptionDone",
               "--input", str(files / "console-start.json")]
    variables = {"jobStatus": "FAILED", "polls": 1, "maxPolls": 60}
    (tmp_path / "variables.json").write_text(json.dumps(variables))
    done = subprocess.run([*command, "--variables", str(tmp_path / "variables.json"), "--inspection-level", "DEBUG"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "NoteTranscriptionFailed")
    assert json.loads(response["inspectionData"]["variables"]) == variables
    command[5] = "NoSuchState"
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: ValidationException: State not found in definition"
