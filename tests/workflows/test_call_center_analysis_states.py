"""Call center analysis, state by state, with the TestState API as AWS's TestState guide shows it.

Each test gives one state of the deployed definition (``stateName``) the input and variables the earlier states
would have produced, mocks Transcribe or Comprehend, and checks where the call goes next and what is kept.
"""

from __future__ import annotations

import json

import pytest

from tests.support import variables_after

WORKFLOW = "call-center-analysis"


@pytest.mark.parametrize(("job_status", "polls", "next_state"), [
    ("COMPLETED", 3, "MeasureTranscript"),
    ("FAILED", 3, "NoteTranscriptionFailed"),
    ("IN_PROGRESS", 60, "NoteTranscriptionTimedOut"),
    ("IN_PROGRESS", 3, "WaitForTranscription"),
])
def test_the_poll_loop_ends_on_completion_failure_or_budget(sfn, definition, job_status, polls, next_state):
    """IsTranscriptionDone: read a completed transcript, record a failed or overdue job, else wait and poll again."""
    response = sfn.test_state(definition=definition, stateName="IsTranscriptionDone",
                              input=json.dumps({"status": job_status, "poll": polls}),
                              variables=json.dumps({"jobStatus": job_status, "polls": polls, "maxPolls": 60}))
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", next_state)


def test_poll_result_is_reduced_to_status_and_language(sfn, definition):
    """CheckTranscription counts the poll and keeps the job's status and the language Transcribe identified."""
    response = sfn.test_state(
        definition=definition, stateName="CheckTranscription", input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"jobName": "call-42", "polls": 2, "languageCode": ""}),
        mock={"result": json.dumps({"TranscriptionJob": {
            "TranscriptionJobName": "call-42", "TranscriptionJobStatus": "COMPLETED", "LanguageCode": "fr-FR"}})})
    assert response["nextState"] == "IsTranscriptionDone"
    assert json.loads(response["output"])["status"] == "COMPLETED"
    after = variables_after(response)
    assert (after["polls"], after["jobStatus"], after["detectedLanguage"]) == (3, "COMPLETED", "fr-FR")
    assert after["jobFailureReason"] == "no reason given"


def test_a_failed_poll_is_recorded_on_the_call(sfn, definition):
    """A Transcribe error other than throttling is caught: the call is recorded as FAILED with the cause."""
    response = sfn.test_state(
        definition=definition, stateName="CheckTranscription", input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"jobName": "call-42", "polls": 2, "languageCode": "fr-FR"}),
        mock={"errorOutput": {"error": "Transcribe.BadRequestException", "cause": "The job couldn't be found."}})
    assert (response["status"], response["nextState"]) == ("CAUGHT_ERROR", "RecordFailedCall")
    after = variables_after(response)
    assert (after["failureStatus"], after["failureError"]) == ("FAILED", "Transcribe.BadRequestException")
    assert after["failureCause"] == "CheckTranscription failed: The job couldn't be found."


def test_throttled_polls_back_off_up_to_a_minute(sfn, definition):
    """Throttling (LimitExceededException) is retried with a doubling back-off capped at MaxDelaySeconds 60."""
    response = sfn.test_state(
        definition=definition, stateName="CheckTranscription", input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"jobName": "call-42", "polls": 2, "languageCode": "fr-FR"}),
        stateConfiguration={"retrierRetryCount": 5},
        mock={"errorOutput": {"error": "Transcribe.LimitExceededException", "cause": "Rate exceeded"}})
    assert response["status"] == "RETRIABLE"
    assert response["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 60}


def test_batch_sentiment_scores_each_piece_and_names_its_errors(sfn, definition):
    """ScoreChunkBatch pairs Comprehend's results with the pieces by index and words each error."""
    pieces = [{"text": "The parcel was late.", "bytes": 20}, {"text": "Nobody called back.", "bytes": 19}]
    score = {"Positive": 0.01, "Negative": 0.95, "Neutral": 0.03, "Mixed": 0.01}
    response = sfn.test_state(
        definition=definition, stateName="ScoreChunkBatch", input=json.dumps(pieces),
        mock={"result": json.dumps({
            "ResultList": [{"Index": 0, "Sentiment": "NEGATIVE", "SentimentScore": score}],
            "ErrorList": [{"Index": 1, "ErrorCode": "INTERNAL_SERVER_ERROR", "ErrorMessage": "try again"}]})})
    assert response["nextState"] == "WereAllChunksScored"
    output = json.loads(response["output"])
    assert output["errors"] == ["piece 1: INTERNAL_SERVER_ERROR try again"]
    assert output["scores"][0] == {"bytes": 20, "sentiment": "NEGATIVE", "positive": 0.01, "negative": 0.95,
                                   "neutral": 0.03, "mixed": 0.01}


def test_batch_sentiment_mock_must_carry_the_apis_required_lists(sfn, definition):
    """BatchDetectSentiment always answers ResultList and ErrorList: a mock without ErrorList is refused."""
    with pytest.raises(sfn.exceptions.ValidationException, match="Required field 'ErrorList' is missing"):
        sfn.test_state(definition=definition, stateName="ScoreChunkBatch", input="[]",
                       mock={"result": json.dumps({"ResultList": []})})
