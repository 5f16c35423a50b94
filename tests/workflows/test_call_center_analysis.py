"""Call-center analysis: recorded calls transcribed, translated when needed, scored, stored and published.

Each test uploads its own "recording" (a text file the Transcribe stand-in takes as the words spoken) under a
unique key, runs the workflow on the shared local stack and checks the business outcome: the result item,
the CallAnalyzed event, the manager e-mail, the path taken, the error and its cause.
"""

from __future__ import annotations

import importlib.util
import json
import time
import uuid
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from tests.support import ROOT, load_json, plain, rule_paused

WORKFLOW = "call-center-analysis"
EVENTS = ROOT / "workflows" / WORKFLOW / "events"
INPUT_SCHEMA = load_json("schemas/call-center-analysis.input.schema.json")
UPLOAD_SCHEMA = load_json("schemas/call-center-analysis.recording-uploaded.schema.json")
EVENT_SCHEMA = load_json("schemas/call-center-analysis.call-analyzed.schema.json")
ITEM_SCHEMA = load_json("schemas/call-center-analysis.result-item.schema.json")
TRANSLATION_SCHEMA = load_json("schemas/call-center-analysis.translation.schema.json")
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER

ENGLISH_CALL = (EVENTS / "recording-en-positive.txt").read_text()
FRENCH_CALL = (EVENTS / "recording-fr-negative.txt").read_text()

ANGRY = ("I have been waiting for weeks and the service is still broken, "
         "this is unacceptable and I am very angry.")
HAPPY = ("The technician was friendly and helpful, "
         "the problem is fixed and I am really happy with the quick support.")
CALM = "I would like to check the details of the contract and the address on the account."


def _load_split_module():
    spec = importlib.util.spec_from_file_location(
        "call_center_split_text_by_bytes", ROOT / "tasks" / "split_text_by_bytes" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


split = _load_split_module()


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket(stack) -> str:
    return stack.resource("CallRecordingsBucket")


@pytest.fixture(autouse=True)
def console_starts_only(stack, request):
    """Pause the upload rule's target while a test starts executions itself, as the console does.

    Otherwise putting a recording under recordings/ would start a second execution. Tests that request
    ``live_upload_rule`` keep the rule as deployed.
    """
    if "live_upload_rule" in request.fixturenames:
        yield
        return
    with rule_paused(stack, "CallAnalysisStateMachineRecordingUploaded"):
        yield


@pytest.fixture()
def live_upload_rule(stack) -> str:
    """Keep the RecordingUploaded rule with its target (the state machine) in place."""
    rule = stack.resource("CallAnalysisStateMachineRecordingUploaded")
    assert stack.client("events").list_targets_by_rule(Rule=rule)["Targets"]
    return rule


def upload(stack, bucket: str, body: str | bytes, suffix: str = ".mp3", content_language: str | None = None,
           prefix: str = "recordings/") -> str:
    """Put a 'recording' under a unique key; returns the key."""
    key = f"{prefix}call-{uuid.uuid4().hex[:12]}{suffix}"
    extra = {"ContentLanguage": content_language} if content_language else {}
    data = body.encode() if isinstance(body, str) else body
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=data, **extra)
    return key


def result_item(stack, bucket: str, key: str) -> dict[str, Any] | None:
    """Read the recording's item as plain JSON, validated against the item schema."""
    raw = stack.client("dynamodb").get_item(
        TableName=stack.resource("CallResultsTable"), Key={"RecordingUri": {"S": f"s3://{bucket}/{key}"}}
    ).get("Item")
    if raw is None:
        return None
    item = plain(raw)
    jsonschema.validate(item, ITEM_SCHEMA, format_checker=FORMATS)
    return item


def analysed_item(stack, bucket: str, key: str) -> dict[str, Any] | None:
    """Return the recording's item once it is ANALYZED, else None (for ``stack.eventually``)."""
    item = result_item(stack, bucket, key)
    return item if item and item["Status"] == "ANALYZED" else None


def read_s3_uri(stack, uri: str) -> str:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def read_translation(stack, uri: str) -> dict[str, Any]:
    """The stored translation document, as a consumer reads it: JSON, valid against its schema.

    SaveTranslation's aws-sdk:s3:putObject writes its JSON Body as JSON text, so the object is the document itself,
    stored as application/json.
    """
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    stored = stack.client("s3").get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "application/json"
    document = json.loads(stored["Body"].read().decode("utf-8"))
    jsonschema.validate(document, TRANSLATION_SCHEMA)
    return document


def emails_about(stack, key: str) -> list[dict[str, Any]]:
    """List the e-mails the embedded SES accepted whose subject names the recording."""
    return [m for m in stack.sent_emails if key in (m["subject"] or "")]


@pytest.fixture()
def call_analyzed_events(stack):
    """Subscribe a queue to one recording's CallAnalyzed events: ``subscribe(uri)`` returns ``fetch()``."""
    inboxes = []

    def subscribe(recording_uri: str):
        inbox = stack.listen(stack.resource("ApplicationEventBus"), {
            "source": ["custom.callcenter"], "detail-type": ["CallAnalyzed"],
            "detail": {"recordingUri": [recording_uri]}})
        inboxes.append(inbox)
        return inbox.messages

    yield subscribe
    for inbox in inboxes:
        inbox.close()


def combine(pieces: list[tuple[int, str, dict[str, float]]]) -> tuple[str, dict[str, float]]:
    """Combine scored pieces by the README's rule, written independently of the state machine's JSONata."""
    if len(pieces) == 1:
        return pieces[0][1], pieces[0][2]
    total = sum(size for size, _, _ in pieces)
    mean = {name: sum(size * scores[name] for size, _, scores in pieces) / total
            for name in ("Positive", "Negative", "Neutral", "Mixed")}
    labels = {label for _, label, _ in pieces}
    if {"POSITIVE", "NEGATIVE"} <= labels and mean["Positive"] < 0.5 and mean["Negative"] < 0.5:
        return "MIXED", mean
    top = max(mean.values())
    label = next(name for name in ("Negative", "Mixed", "Positive", "Neutral") if mean[name] == top)
    return label.upper(), mean


def task_failures(execution, state: str) -> list[str]:
    """List the error names of the failed attempts of ``state`` (each retry leaves one TaskFailed)."""
    names, current = [], None
    for event in execution.history:
        if event["type"] == "TaskStateEntered":
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskFailed" and current == state:
            names.append(event["taskFailedEventDetails"]["error"])
    return names


# --- business scenarios ---------------------------------------------------------------------------


def test_english_call_is_positive_and_published(stack, bucket, call_analyzed_events):
    """An English call is analysed POSITIVE, stored and published; nobody is e-mailed.

    Without language metadata Transcribe identifies en-US; nothing is translated.
    """
    key = upload(stack, bucket, ENGLISH_CALL)
    uri = f"s3://{bucket}/{key}"
    fetch = call_analyzed_events(uri)

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert execution.status == "SUCCEEDED", execution.cause
    assert "StartTranscriptionIdentifyingLanguage" in execution.states
    assert "ReadTranscript" in execution.states and "ReadLongTranscript" not in execution.states
    assert "TranslateChunks" not in execution.states and "AlertManager" not in execution.states
    assert execution.states[-1] == "CallAnalyzed"
    item = result_item(stack, bucket, key)
    assert item["Status"] == "ANALYZED"
    assert (item["LanguageCode"], item["LanguageSource"]) == ("en-US", "IDENTIFIED")
    assert item["Translated"] is False
    assert item["Sentiment"] == "POSITIVE"
    assert item["SentimentScores"]["Positive"] > 0.5 and item["SentimentChunks"] == 1
    assert "TranslationUri" not in item and item["ManagerAlertRequired"] is False
    transcript = json.loads(read_s3_uri(stack, item["TranscriptUri"]))
    assert transcript["results"]["transcripts"][0]["transcript"] == " ".join(ENGLISH_CALL.split())
    assert transcript["results"]["items"][0]["alternatives"][0]["content"] == "Hello"
    event = stack.eventually(fetch)[0]
    jsonschema.validate(event, EVENT_SCHEMA, format_checker=FORMATS)
    assert event["detail"]["sentiment"] == "POSITIVE" and event["detail"]["managerAlerted"] is False
    assert event["detail"]["sentimentScores"] == item["SentimentScores"]
    assert event["resources"] == [execution.arn]
    assert execution.output == {
        "recordingUri": uri, "status": "ANALYZED", "languageCode": "en-US", "translated": False,
        "sentiment": "POSITIVE", "sentimentScores": item["SentimentScores"],
        "transcriptUri": item["TranscriptUri"], "managerAlerted": False,
    }
    assert emails_about(stack, key) == []


def test_french_call_is_translated_negative_and_manager_emailed(stack, bucket, call_analyzed_events):
    """A French call is translated into English, scored NEGATIVE, and the manager is e-mailed.

    The recording is uploaded with Content-Language fr-FR; its translation is stored next to the transcript.
    """
    key = upload(stack, bucket, FRENCH_CALL, suffix=".wav", content_language="fr-FR")
    fetch = call_analyzed_events(f"s3://{bucket}/{key}")

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert execution.status == "SUCCEEDED", execution.cause
    assert "StartTranscription" in execution.states
    assert execution.states.count("TranslateChunk") == 1
    assert "SplitTranscriptForTranslation" not in execution.states
    item = result_item(stack, bucket, key)
    assert (item["LanguageCode"], item["LanguageSource"], item["Translated"]) == ("fr-FR", "METADATA", True)
    assert item["Sentiment"] == "NEGATIVE" and item["ManagerAlertRequired"] is True
    document = read_translation(stack, item["TranslationUri"])
    assert item["TranslationUri"].endswith(".en.json")
    assert (document["recordingUri"], document["transcriptUri"]) == (f"s3://{bucket}/{key}", item["TranscriptUri"])
    assert (document["sourceLanguage"], document["targetLanguage"]) == ("fr", "en")
    translation = document["text"]
    assert translation.startswith("Hello, I am calling because my internet connection has been broken")
    assert "I am very angry and I want to cancel my subscription." in translation
    assert "[fr" not in translation
    [email] = emails_about(stack, key)
    assert email["to"] == [stack.template.parameters["CallManagerEmailAddress"]]
    assert email["source"] == stack.template.parameters["CallSenderEmailAddress"]
    assert "fr-FR (translated into en)" in email["body"] and item["TranslationUri"] in email["body"]
    assert "I am very angry" in email["body"]
    event = stack.eventually(fetch)[0]
    jsonschema.validate(event, EVENT_SCHEMA, format_checker=FORMATS)
    assert event["detail"]["managerAlerted"] is True
    assert event["detail"]["translationUri"] == item["TranslationUri"]
    assert execution.output["sentiment"] == "NEGATIVE" and execution.output["managerAlerted"] is True


def test_language_from_input_when_object_has_no_metadata(stack, bucket):
    """Without Content-Language the input's languageCode is used; a bare 'es' becomes es-ES."""
    call = "Hola, llamo porque mi factura es incorrecta. Gracias por su ayuda, el servicio fue excelente."
    key = upload(stack, bucket, call, suffix=".flac")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "es"})
    assert execution.status == "SUCCEEDED", execution.cause
    item = result_item(stack, bucket, key)
    assert (item["LanguageCode"], item["LanguageSource"], item["Translated"]) == ("es-ES", "INPUT", True)
    assert read_translation(stack, item["TranslationUri"])["text"] == (
        "Hello, I am calling because my bill is wrong. Thank you for your help, the service was excellent.")


def test_object_metadata_wins_over_input_language(stack, bucket):
    """Content-Language on the object takes precedence over the input's languageCode."""
    key = upload(stack, bucket, FRENCH_CALL, suffix=".ogg", content_language="fr")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "en-US"})
    assert execution.status == "SUCCEEDED", execution.cause
    item = result_item(stack, bucket, key)
    assert (item["LanguageCode"], item["LanguageSource"]) == ("fr-FR", "METADATA")


def test_long_transcript_is_scored_piece_by_piece_and_combined(stack, bucket):
    """A call over Comprehend's 5,000 bytes is scored in pieces combined by the byte-weighted mean.

    The Lambda function cuts the text at sentence boundaries. Angry first, routine questions next, happy at
    the end: a NEGATIVE, a NEUTRAL and a POSITIVE piece make the call MIXED (neither mean reaches 0.5),
    although NEUTRAL has the highest mean.
    """
    text = " ".join([ANGRY] * 47 + [CALM] * 60 + [HAPPY] * 46)
    assert len(text.encode()) > 5000
    key = upload(stack, bucket, text)

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "en-US"})

    assert execution.status == "SUCCEEDED", execution.cause
    assert "SplitTextForSentiment" in execution.states and "UseWholeTextForSentiment" not in execution.states
    # Its transcript JSON (one item per word) is over 200,000 bytes: a Lambda function reads its text.
    assert "ReadLongTranscript" in execution.states and "ReadTranscript" not in execution.states
    from local.standins.comprehend import score_sentiment

    pieces = split.split_text(text, 5000)
    assert all(len(p.encode()) <= 5000 for p in pieces)
    assert [score_sentiment(p)[0] for p in pieces] == ["NEGATIVE", "NEUTRAL", "POSITIVE"]
    expected_label, expected_scores = combine([(len(p.encode()), *score_sentiment(p)) for p in pieces])
    assert max(expected_scores, key=expected_scores.get) == "Neutral"
    item = result_item(stack, bucket, key)
    assert item["SentimentChunks"] == len(pieces)
    assert item["Sentiment"] == expected_label == "MIXED"
    for name, value in expected_scores.items():
        assert item["SentimentScores"][name] == pytest.approx(value, abs=1e-4)


def test_very_long_transcript_is_scored_in_batches_of_25(stack, bucket):
    """A call of more than 25 pieces is scored by several BatchDetectSentiment calls, then combined."""
    text = " ".join([ANGRY] * 1300)
    key = upload(stack, bucket, text)

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "en-US"}, timeout=60)

    assert execution.status == "SUCCEEDED", execution.cause
    pieces = split.split_text(text, 5000)
    assert len(pieces) > 25
    assert execution.states.count("ScoreChunkBatch") == -(-len(pieces) // 25)
    item = result_item(stack, bucket, key)
    assert (item["Sentiment"], item["SentimentChunks"]) == ("NEGATIVE", len(pieces))


def test_long_foreign_transcript_is_translated_piece_by_piece(stack, bucket):
    """A French call over Translate's 10,000 bytes is translated piece by piece, in order.

    It has fewer than 10,000 characters (accents take two bytes): the limit is counted in bytes. The English
    translation is then scored in pieces too.
    """
    text = " ".join([" ".join(FRENCH_CALL.split())] * 28)
    assert len(text) <= 10_000 < len(text.encode())
    key = upload(stack, bucket, text, content_language="fr-FR")

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})

    assert execution.status == "SUCCEEDED", execution.cause
    assert "SplitTranscriptForTranslation" in execution.states
    from local.standins.translate import translate

    pieces = split.split_text(text, 10_000)
    assert execution.states.count("TranslateChunk") == len(pieces) == 2
    item = result_item(stack, bucket, key)
    assert read_translation(stack, item["TranslationUri"])["text"] == " ".join(
        translate(p, "fr", "en") for p in pieces)
    assert item["Sentiment"] == "NEGATIVE" and item["SentimentChunks"] >= 2


def test_transcription_job_failed_is_recorded(stack, bucket):
    """A FAILED transcription job is recorded as TRANSCRIPTION_FAILED with Transcribe's reason."""
    key = upload(stack, bucket, ENGLISH_CALL, suffix=".wav")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="TranscriptionFailed")
    assert execution.status == "FAILED"
    assert execution.error == "CallAnalysis.TranscriptionFailed"
    assert "does not match the detected media format" in execution.cause
    assert execution.states[-3:] == ["NoteTranscriptionFailed", "RecordFailedCall", "FailCall"]
    item = result_item(stack, bucket, key)
    assert item["Status"] == "TRANSCRIPTION_FAILED"
    assert item["StatusReason"] == execution.cause and item["ErrorName"] == execution.error


def test_undecodable_audio_fails_the_job(stack, bucket):
    """Media Transcribe cannot decode (here: bytes that are not text) fail the job, and that is recorded."""
    key = upload(stack, bucket, b"\xff\xfb\x90\x64" + bytes(range(256)))
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "en-US"})
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.TranscriptionFailed")
    assert result_item(stack, bucket, key)["StatusReason"].endswith(
        "failed: Unsupported audio: the media couldn't be decoded (the local Transcribe stand-in transcribes "
        "media whose body is UTF-8 text).")


def test_poll_limit_reached_in_virtual_time(stack, bucket):
    """A job that never leaves the queue is recorded as TRANSCRIPTION_TIMED_OUT after the poll budget.

    Hours of Wait states take no real time.
    """
    max_polls = int(stack.template.parameters["CallMaxTranscriptionPolls"])
    key = upload(stack, bucket, ENGLISH_CALL)
    started = time.monotonic()

    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="TranscriptionNeverFinishes",
                          timeout=60)

    assert time.monotonic() - started < 30
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.TranscriptionTimedOut")
    assert execution.states.count("CheckTranscription") == max_polls
    assert execution.states.count("WaitForTranscription") == max_polls
    assert execution.cause.endswith(
        f"was still QUEUED after {max_polls} polls ({max_polls * 30} seconds)")
    assert result_item(stack, bucket, key)["Status"] == "TRANSCRIPTION_TIMED_OUT"


def test_throttled_calls_are_retried_until_they_succeed(stack, bucket):
    """Throttled job starts and sentiment calls are retried with backoff, and the call is analysed.

    Transcribe throttles the job start twice and Comprehend the scoring once.
    """
    name = f"throttled-{uuid.uuid4().hex[:8]}"
    key = upload(stack, bucket, ENGLISH_CALL)
    # The mocked job 'completes', so its transcript must be where Transcribe would have written it.
    job_name = f"CallAnalysisStateMachine-{name}"
    stack.client("s3").put_object(Bucket=bucket, Key=f"transcripts/{job_name}.json", Body=json.dumps(
        {"jobName": job_name, "status": "COMPLETED",
         "results": {"transcripts": [{"transcript": "Thank you, that was very helpful."}], "items": []}}))

    arn = stack.start(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "en-US"},
                      case="RetryOnThrottling", name=name)
    execution = stack.wait(arn)

    assert execution.status == "SUCCEEDED", execution.cause
    assert task_failures(execution, "StartTranscription") == ["Transcribe.LimitExceededException"] * 2
    assert task_failures(execution, "ScoreChunkBatch") == ["Comprehend.TooManyRequestsException"]
    item = result_item(stack, bucket, key)
    assert item["Status"] == "ANALYZED" and item["TranscriptionJobName"] == job_name
    assert item["SentimentScores"] == {"Positive": 0.91, "Negative": 0.02, "Neutral": 0.05, "Mixed": 0.02}


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "bucket is required"),
    ({"bucket": "", "key": "recordings/a.mp3"}, "bucket is required"),
    ({"bucket": 42, "key": "recordings/a.mp3"}, "bucket is required"),
    ({"bucket": "b"}, "key is required"),
    ({"bucket": "b", "key": "   "}, "key is required"),
    ({"bucket": "b", "key": "recordings/a.mp3", "languageCode": "French!"}, "languageCode must be"),
    ({"bucket": "b", "key": "recordings/a.mp3", "languageCode": 7}, "languageCode must be"),
    ("recordings/a.mp3", "the input must be a JSON object"),
])
def test_invalid_input_fails_at_once(stack, payload, field):
    """Invalid input fails before any AWS call with CallAnalysis.InvalidInput naming the field.

    The input schema rejects the same input.
    """
    execution = stack.run(WORKFLOW, payload)
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.InvalidInput")
    assert execution.cause.startswith(f"Invalid input: {field}")
    assert execution.states == ["CheckInput", "IsInputValid", "RejectInvalidInput"]
    assert not jsonschema.Draft202012Validator(INPUT_SCHEMA).is_valid(payload)


def test_unsupported_media_is_recorded_without_transcribing(stack, bucket):
    """A file Transcribe does not accept (.txt) is recorded as UNSUPPORTED_MEDIA; no job is started."""
    from local.standins.transcribe import JOBS

    key = upload(stack, bucket, ENGLISH_CALL, suffix=".txt")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.UnsupportedMedia")
    assert execution.cause.startswith(f"{key} is not a format Amazon Transcribe accepts")
    assert "ReadRecordingMetadata" not in execution.states
    assert f"CallAnalysisStateMachine-{execution.arn.rsplit(':', 1)[1]}" not in JOBS
    item = result_item(stack, bucket, key)
    assert (item["Status"], item["ErrorName"]) == ("UNSUPPORTED_MEDIA", "CallAnalysis.UnsupportedMedia")


def test_silent_call_records_an_empty_transcript(stack, bucket):
    """A recording without speech ends successfully with EMPTY_TRANSCRIPT and its reason, unscored."""
    key = upload(stack, bucket, b"", suffix=".amr")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key, "languageCode": "en-US"})
    assert execution.status == "SUCCEEDED"
    assert execution.states[-2:] == ["RecordEmptyTranscript", "NoSpeechRecorded"]
    assert "ScoreSentiment" not in execution.states
    item = result_item(stack, bucket, key)
    assert (item["Status"], item["StatusReason"]) == (
        "EMPTY_TRANSCRIPT", "Amazon Transcribe found no speech in the recording")
    assert execution.output["status"] == "EMPTY_TRANSCRIPT"


def test_missing_recording_is_recorded_as_a_failure(stack, bucket):
    """A console start naming a recording that does not exist is recorded as FAILED with the S3 error."""
    key = f"recordings/missing-{uuid.uuid4().hex[:8]}.mp3"
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key})
    assert execution.status == "FAILED" and execution.error.startswith("S3.")
    assert execution.states[-2:] == ["RecordFailedCall", "FailCall"]
    item = result_item(stack, bucket, key)
    assert item["Status"] == "FAILED" and item["StatusReason"].startswith("ReadRecordingMetadata failed: ")
    assert item["ErrorName"] == execution.error


def test_s3_unavailable_is_retried_within_a_small_budget_then_recorded(stack, bucket):
    """S3 answers 503 at every read of the recording's metadata: retried 3 times, then the call is recorded FAILED.

    AWS reports S3's SlowDown, InternalError and ServiceUnavailable alike as S3.S3Exception (S3's API model declares
    none of them), so that is the name the workflow retries, within a small budget since it covers every code
    S3 does not declare.
    """
    key = upload(stack, bucket, ENGLISH_CALL)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="RecordingStoreUnavailable")
    assert task_failures(execution, "ReadRecordingMetadata") == ["S3.S3Exception"] * 4
    assert (execution.status, execution.error) == ("FAILED", "S3.S3Exception")
    item = result_item(stack, bucket, key)
    assert (item["Status"], item["ErrorName"]) == ("FAILED", "S3.S3Exception")
    assert item["StatusReason"].startswith("ReadRecordingMetadata failed: Service Unavailable (Service: S3, ")


def test_piece_comprehend_cannot_score_is_recorded(stack, bucket):
    """A document in BatchDetectSentiment's ErrorList fails the call with CallAnalysis.SentimentFailed."""
    key = upload(stack, bucket, ENGLISH_CALL)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="SentimentPieceRejected")
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.SentimentFailed")
    assert "piece 0: InternalServerException" in execution.cause
    assert result_item(stack, bucket, key)["Status"] == "FAILED"


def test_rejected_manager_email_fails_visibly_after_saving(stack, bucket):
    """A manager e-mail SES rejects fails the execution with CallAnalysis.ManagerAlertFailed.

    The analysis stays saved (the execution can be redriven) and CallAnalyzed is not published.
    """
    key = upload(stack, bucket, FRENCH_CALL, content_language="fr-FR")
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="ManagerEmailRejected")
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.ManagerAlertFailed")
    assert "SesV2.MessageRejectedException" in execution.cause
    assert "PublishCallAnalyzed" not in execution.states
    assert result_item(stack, bucket, key)["Status"] == "ANALYZED"


def test_event_rejected_by_the_bus_fails_visibly(stack, bucket):
    """An entry PutEvents rejects fails the execution with CallAnalysis.EventNotPublished."""
    key = upload(stack, bucket, ENGLISH_CALL)
    execution = stack.run(WORKFLOW, {"bucket": bucket, "key": key}, case="EventRejected")
    assert (execution.status, execution.error) == ("FAILED", "CallAnalysis.EventNotPublished")
    assert "InternalFailure" in execution.cause


def test_upload_under_recordings_starts_the_workflow_end_to_end(stack, bucket, live_upload_rule):
    """Uploading an audio file under recordings/ starts the workflow and its result item appears.

    The Object Created rule's input transformer gives the console's input; other uploads start nothing.
    """
    ignored = [upload(stack, bucket, ENGLISH_CALL, suffix=".txt"),
               upload(stack, bucket, ENGLISH_CALL, prefix="archive/")]
    key = upload(stack, bucket, FRENCH_CALL, suffix=".mp3", content_language="fr-FR")

    item = stack.eventually(lambda: analysed_item(stack, bucket, key), timeout=30,
                            message="the uploaded recording was never analysed")

    assert (item["Sentiment"], item["Translated"]) == ("NEGATIVE", True)
    execution = stack.execution(item["ExecutionArn"])
    assert execution.input == {"bucket": bucket, "key": key}
    jsonschema.validate(execution.input, INPUT_SCHEMA)
    sfn = stack.client("stepfunctions")
    inputs = [json.loads(sfn.describe_execution(executionArn=arn)["input"])
              for arn in stack.executions(WORKFLOW)]
    started_keys = {i.get("key") for i in inputs if isinstance(i, dict) and isinstance(i.get("key"), str)}
    assert key in started_keys and not started_keys & set(ignored)


# --- contract files -------------------------------------------------------------------------------


def test_sample_inputs_and_events_match_their_schemas(stack):
    """The sample inputs and events satisfy their schemas; the rule turns the S3 sample into a valid input."""
    from local.emulation.eventbridge import render_target_input

    for name in ("console-start.json", "console-start-with-language.json"):
        jsonschema.validate(json.loads((EVENTS / name).read_text()), INPUT_SCHEMA)
    s3_event = json.loads((EVENTS / "s3-object-created.json").read_text())
    jsonschema.validate(s3_event, UPLOAD_SCHEMA)
    rule = stack.template.resources["CallAnalysisStateMachineRecordingUploaded"]
    transformer = rule.raw["Event"]["Properties"]["InputTransformer"]
    rendered = json.loads(render_target_input({"InputTransformer": transformer}, s3_event))
    assert rendered == {"bucket": "local-callrecordingsbucket", "key": "recordings/call-0003.mp3"}
    jsonschema.validate(rendered, INPUT_SCHEMA)
    jsonschema.validate(json.loads((EVENTS / "call-analyzed.json").read_text()), EVENT_SCHEMA,
                        format_checker=FORMATS)
    key_schema = UPLOAD_SCHEMA["properties"]["detail"]["properties"]["object"]
    for entry in json.loads((EVENTS / "demo-uploads.json").read_text())["uploads"]:
        assert (EVENTS / entry["file"]).exists()
        jsonschema.validate({"key": entry["key"]}, key_schema)


def test_demo_recordings_give_the_documented_results(stack, bucket, live_upload_rule):
    """Both demo recordings, uploaded as the demo uploads them, end as demo-uploads.json says."""
    manifest = json.loads((EVENTS / "demo-uploads.json").read_text())
    for entry in manifest["uploads"]:
        key = entry["key"].replace("demo-call", f"demo-call-{uuid.uuid4().hex[:6]}")
        extra = {"ContentLanguage": entry["contentLanguage"]} if entry.get("contentLanguage") else {}
        stack.client("s3").put_object(Bucket=bucket, Key=key, Body=(EVENTS / entry["file"]).read_bytes(),
                                      ContentType=entry["contentType"], **extra)
        item = stack.eventually(lambda k=key: analysed_item(stack, bucket, k), timeout=30)
        expected = entry["expected"]
        assert item["LanguageCode"] == expected["languageCode"]
        assert item["LanguageSource"] == expected["languageSource"]
        assert item["Translated"] == expected["translated"] and item["Sentiment"] == expected["sentiment"]
        assert item["ManagerAlertRequired"] == expected["managerAlerted"]


# --- local stand-ins ------------------------------------------------------------------------------


def test_translate_standin_enforces_the_10000_byte_limit(stack):
    """Translate refuses more than 10,000 bytes of UTF-8 with TextSizeLimitExceededException, as AWS does."""
    translate = stack.client("translate")
    with pytest.raises(ClientError) as refused:
        translate.translate_text(Text="é" * 5001, SourceLanguageCode="fr", TargetLanguageCode="en")
    assert refused.value.response["Error"]["Code"] == "TextSizeLimitExceededException"
    answer = translate.translate_text(Text="C'est inacceptable. Bonne journée.", SourceLanguageCode="fr",
                                      TargetLanguageCode="en")
    assert answer["TranslatedText"] == "This is unacceptable. [fr→en] Bonne journée."


def test_comprehend_standin_enforces_size_and_batch_limits(stack):
    """Comprehend refuses documents over 5,000 bytes and batches over 25 documents; it recognises French."""
    comprehend = stack.client("comprehend")
    with pytest.raises(ClientError) as too_big:
        comprehend.batch_detect_sentiment(TextList=["ü" * 2501], LanguageCode="en")
    assert too_big.value.response["Error"]["Code"] == "TextSizeLimitExceededException"
    with pytest.raises(ClientError) as too_many:
        comprehend.batch_detect_sentiment(TextList=["fine"] * 26, LanguageCode="en")
    assert too_many.value.response["Error"]["Code"] == "BatchSizeLimitExceededException"
    assert comprehend.detect_sentiment(Text=HAPPY, LanguageCode="en")["Sentiment"] == "POSITIVE"
    languages = comprehend.detect_dominant_language(Text=FRENCH_CALL)["Languages"]
    assert languages[0]["LanguageCode"] == "fr"


def test_transcribe_standin_validates_like_aws(stack, bucket):
    """Transcribe refuses what AWS refuses and moves a job QUEUED, IN_PROGRESS, COMPLETED over polls.

    Refused: deferred jobs without a data access role, a single language option, duplicate job names; an
    unknown job is a BadRequestException.
    """
    transcribe = stack.client("transcribe")
    key = upload(stack, bucket, ENGLISH_CALL)
    job = {"TranscriptionJobName": f"standin-{uuid.uuid4().hex[:8]}", "MediaFormat": "mp3",
           "Media": {"MediaFileUri": f"s3://{bucket}/{key}"}, "LanguageCode": "en-US"}
    with pytest.raises(ClientError) as no_role:
        transcribe.start_transcription_job(**job, JobExecutionSettings={"AllowDeferredExecution": True})
    assert no_role.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as one_option:
        transcribe.start_transcription_job(**{**job, "LanguageCode": None}, IdentifyLanguage=True,
                                           LanguageOptions=["en-US"])
    assert one_option.value.response["Error"]["Code"] == "BadRequestException"
    started = transcribe.start_transcription_job(**job, OutputBucketName=bucket, OutputKey="transcripts/")
    assert started["TranscriptionJob"]["TranscriptionJobStatus"] == "QUEUED"
    with pytest.raises(ClientError) as twice:
        transcribe.start_transcription_job(**job)
    assert twice.value.response["Error"]["Code"] == "ConflictException"
    statuses = [transcribe.get_transcription_job(TranscriptionJobName=job["TranscriptionJobName"])
                ["TranscriptionJob"]["TranscriptionJobStatus"] for _ in range(2)]
    assert statuses == ["IN_PROGRESS", "COMPLETED"]
    document = json.loads(read_s3_uri(stack, f"s3://{bucket}/transcripts/{job['TranscriptionJobName']}.json"))
    assert document["results"]["transcripts"][0]["transcript"].startswith("Hello, thank you for calling")
    with pytest.raises(ClientError) as unknown:
        transcribe.get_transcription_job(TranscriptionJobName="no-such-job-anywhere")
    assert unknown.value.response["Error"]["Code"] == "BadRequestException"
