"""call-center-analysis's driver: recordings uploaded, transcribed, translated, scored, stored and announced."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from local.engine import sdk
from local.stack.stack import Execution, Stack
from local.stack.triggers import Trigger
from local.workflows.contracts import DuplicateResult, InputContract, upload_twice
from local.workflows.driver import DemoOutcome, Driver, Journey, play_uploads
from local.workflows.harness import FaultCase, Harness, Run, Scenario, Target, contains, item_of, new_name, starts

WORKFLOW = "call-center-analysis"


class _CallHarness(Harness):
    """Faults in transcription, translation, scoring, the result item, the manager's e-mail and the event."""

    workflow = WORKFLOW
    _analysed = {"status": "SUCCEEDED", "error": None, "outcome": "ANALYZED", "item": "ANALYZED"}
    scenarios = {
        "english": Scenario("english", "an English call, its language identified, is scored POSITIVE",
                            {**_analysed, "sentiment": "POSITIVE", "emailed": 0, "published": 1}),
        "french": Scenario("french", "a French call is translated, scored NEGATIVE and the manager e-mailed",
                           {**_analysed, "sentiment": "NEGATIVE", "emailed": 1, "published": 1}),
        "long-french": Scenario("long-french", "a French call over Translate's 10,000 bytes is cut in pieces",
                                {**_analysed, "sentiment": "NEGATIVE", "emailed": 1, "published": 1}),
        "long-transcript": Scenario(
            "long-transcript", "a transcript JSON over 200,000 bytes is read by the Lambda function",
            {**_analysed, "sentiment": "POSITIVE", "emailed": 0, "published": 1},
            mocks={"MeasureTranscript": {"0": {"Return": {"ContentLength": 250000}}}}),
        "silent": Scenario("silent", "a recording without speech is recorded as EMPTY_TRANSCRIPT",
                           {"status": "SUCCEEDED", "error": None, "outcome": "EMPTY_TRANSCRIPT",
                            "item": "EMPTY_TRANSCRIPT", "emailed": 0, "published": 0}),
        "unsupported": Scenario("unsupported", "a file Transcribe does not accept is recorded as UNSUPPORTED_MEDIA",
                                {"status": "FAILED", "error": "CallAnalysis.UnsupportedMedia",
                                 "item": "UNSUPPORTED_MEDIA", "errorName": "CallAnalysis.UnsupportedMedia"}),
    }
    targets = {
        "ReadRecordingMetadata": Target("english", "replay"),
        "StartTranscription": Target("french", "replay"),
        "StartTranscriptionIdentifyingLanguage": Target("english", "replay"),
        "CheckTranscription": Target("english", "job", also=("StartTranscriptionIdentifyingLanguage",)),
        "MeasureTranscript": Target("english"),
        "ReadTranscript": Target("english"),
        "ReadLongTranscript": Target("long-transcript"),
        "RecordEmptyTranscript": Target("silent", "replay"),
        "SplitTranscriptForTranslation": Target("long-french"),
        "TranslateChunk": Target("french"),
        "SaveTranslation": Target("french", "replay"),
        "SplitTextForSentiment": Target("long-french"),
        "ScoreChunkBatch": Target("english"),
        "SaveResult": Target("english", "replay"),
        "AlertManager": Target("french", "replay"),
        "PublishCallAnalyzed": Target("english", "replay"),
        "RecordFailedCall": Target("unsupported", "replay"),
    }

    def prepare(self, scenario: Scenario) -> Run:
        s3, bucket = self.stack.client("s3"), self.stack.resource("CallRecordingsBucket")
        events = self.stack.template.root / "workflows/call-center-analysis/events"
        english, french = (events / "recording-en-positive.txt").read_text(), (events / "recording-fr-negative.txt")
        french_text = french.read_text()
        body, suffix, language = {
            "english": (english, "mp3", None), "long-transcript": (english, "mp3", None),
            "french": (french_text, "wav", "fr-FR"),
            "long-french": (" ".join([" ".join(french_text.split())] * 28), "wav", "fr-FR"),
            "silent": ("", "amr", None), "unsupported": (english, "txt", None),
        }[scenario.name]
        key = f"reliability/{uuid.uuid4().hex}.{suffix}"  # outside recordings/: the upload rule ignores it
        extra = {"ContentLanguage": language} if language else {}
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), **extra)
        name = new_name()
        return Run({"bucket": bucket, "key": key}, name, {"key": key, "execution": name})

    def job_answer(self, run: Run) -> Any:
        transcribe = self.stack.client("transcribe")
        for _ in range(10):
            response = transcribe.get_transcription_job(TranscriptionJobName=f"{self.machine}-{run.name}")
            if response["TranscriptionJob"]["TranscriptionJobStatus"] in ("COMPLETED", "FAILED"):
                break
        response.pop("ResponseMetadata", None)
        return sdk.to_plain_json(response)

    def summary(self, run: Run, execution: Execution) -> dict[str, Any]:
        uri = f"s3://{run.input['bucket']}/{run.input['key']}"
        item = item_of(self.stack.client("dynamodb").get_item(
            TableName=self.stack.resource("CallResultsTable"), Key={"RecordingUri": {"S": uri}},
            ConsistentRead=True).get("Item")) or {}
        published = [e for e in self.probe.events("custom.callcenter") if e["detail"]["recordingUri"] == uri]
        emailed = [m for m in self.stack.sent_emails if run.input["key"] in (m["subject"] or "")]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": (execution.output or {}).get("status"), "item": item.get("Status"),
                "errorName": item.get("ErrorName"), "reason": item.get("StatusReason"),
                "sentiment": item.get("Sentiment"), "emailed": len(emailed), "published": len(published)}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error, state = case.error.error, case.state
        if state == "AlertManager":  # the analysis is saved; the e-mail failed: redrive from here
            return {"status": "FAILED", "error": "CallAnalysis.ManagerAlertFailed", "item": "ANALYZED",
                    "emailed": 0, "published": 0, "cause": contains(error)}
        if state == "PublishCallAnalyzed":  # the analysis is saved; the event is not out: redrive from here
            return {"status": "FAILED", "error": "CallAnalysis.EventNotPublished", "item": "ANALYZED",
                    "published": 0, "cause": contains(error)}
        if state == "RecordFailedCall":  # the failure cannot be recorded: the execution keeps the original error
            return {"status": "FAILED", "error": "CallAnalysis.UnsupportedMedia", "item": None}
        return {"status": "FAILED", "error": error, "item": "FAILED", "errorName": error,
                "reason": starts(f"{self.enclosing.get(state, state)} failed: "), "emailed": 0, "published": 0}


def _same_recording_twice(stack: Stack) -> DuplicateResult:
    key = f"recordings/duplicate-{uuid.uuid4().hex[:12]}.mp3"
    body = (stack.template.root / "workflows/call-center-analysis/events/recording-en-positive.txt").read_bytes()
    uploaded = upload_twice(stack, WORKFLOW, stack.resource("CallRecordingsBucket"), key, body,
                            stack.resource("CallResultsTable"), "RecordingUri")
    problems = list(uploaded.problems)
    if len(uploaded.items) != 1:
        problems.append(f"{len(uploaded.items)} records for {uploaded.uri}, expected 1")
    details = {"executions": len(uploaded.executions), "records": len(uploaded.items),
               "status": uploaded.items[0].get("Status") if uploaded.items else None}
    return DuplicateResult(WORKFLOW, "same-upload", "the same recording uploaded twice", 2, len(uploaded.items),
                           details, problems)


class _CallCenterAnalysisDriver(Driver):
    """An upload under ``recordings/`` starts it; it publishes ``CallAnalyzed`` on the application bus."""

    name = WORKFLOW
    demo_title = "an English and a French call are recorded"
    harness = _CallHarness
    input_contract = InputContract(
        WORKFLOW, "schemas/call-center-analysis.input.schema.json",
        "workflows/call-center-analysis/events/console-start-with-language.json", "CallAnalysis.InvalidInput",
        "Invalid input: ", ("CheckInput", "IsInputValid", "RejectInvalidInput"), ("bucket", "key", "languageCode"))
    published_sources = ("custom.callcenter",)

    def play_demo(self, stack: Stack, outcome: DemoOutcome) -> None:
        bucket, results = stack.resource("CallRecordingsBucket"), []
        for key, output, expected in play_uploads(
                stack, WORKFLOW, self.files(stack), bucket, outcome,
                unique_key=lambda key: key.replace("demo-call", f"demo-call-{uuid.uuid4().hex[:6]}"),
                put_args=lambda upload: {"ContentType": upload["contentType"], **(
                    {"ContentLanguage": upload["contentLanguage"]} if upload.get("contentLanguage") else {})}):
            for field_name in ("languageCode", "translated", "sentiment", "managerAlerted"):
                outcome.expect(f"{key} {field_name}", output.get(field_name), expected[field_name])
            translated = " translated," if output.get("translated") else ""
            alerted = " manager alerted" if output.get("managerAlerted") else " no alert"
            results.append(f"{key.rsplit('/', 1)[-1]}: {output.get('languageCode')},{translated} "
                           f"{output.get('sentiment')},{alerted}")
        outcome.trigger = f"{len(results)} recordings uploaded to s3://{bucket}/recordings/"
        outcome.result = "; ".join(results)

    def journeys(self, stack: Stack) -> list[Journey]:
        s3, bucket = stack.client("s3"), stack.resource("CallRecordingsBucket")
        calls = {"English call, positive": ("recording-en-positive.txt", {}),
                 "French call translated, negative, manager alerted": ("recording-fr-negative.txt",
                                                                       {"ContentLanguage": "fr-FR"})}
        found = []
        for name, (file, extra) in calls.items():
            key = f"scenarios/{uuid.uuid4().hex[:8]}.mp3"  # outside recordings/: no upload trigger
            s3.put_object(Bucket=bucket, Key=key, Body=self.files(stack).event(file).read_bytes(), **extra)
            found.append(Journey(WORKFLOW, name, lambda k=key: {"bucket": bucket, "key": k},
                                 main=name.startswith("English")))
        return found

    def duplicates(self) -> dict[str, Callable[[Stack], DuplicateResult]]:
        return {f"{WORKFLOW}:same-recording": _same_recording_twice}

    def fire(self, stack: Stack, trigger: Trigger, marker: str) -> None:
        stack.client("s3").put_object(Bucket=stack.resource("CallRecordingsBucket"), Key=f"recordings/{marker}.mp3",
                                      Body=b"Hello, I am calling about my order.")


DRIVER = _CallCenterAnalysisDriver()
