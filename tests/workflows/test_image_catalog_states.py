"""Image catalog, state by state, with the TestState API as AWS's TestState guide shows it.

Each test gives one state of the deployed definition (``stateName``) the input and variables the earlier states
would have produced, mocks Rekognition, and checks where the image goes next and what the state remembers.
"""

from __future__ import annotations

import json

import pytest

from tests.support import variables_after

WORKFLOW = "image-catalog"
IMAGE = {"bucket": "local-imageingestionbucket", "key": "uploads/party.jpg"}


def test_moderation_keeps_labels_at_or_above_the_threshold(sfn, definition):
    """CheckModeration keeps Rekognition's labels at or above MinConfidence, rounded, with an empty parent."""
    response = sfn.test_state(
        definition=definition, stateName="CheckModeration", input=json.dumps(IMAGE), inspectionLevel="DEBUG",
        variables=json.dumps({"moderationMinConfidence": 80}),
        mock={"result": json.dumps({"ModerationLabels": [
            {"Name": "Alcohol", "Confidence": 91.23456},
            {"Name": "Smoking", "ParentName": "Tobacco", "Confidence": 80.0},
            {"Name": "Gambling", "Confidence": 79.99}]})})
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "IsContentSafe")
    assert json.loads(response["output"]) == IMAGE
    assert variables_after(response)["moderationLabels"] == [
        {"Name": "Alcohol", "ParentName": "", "Confidence": 91.23},
        {"Name": "Smoking", "ParentName": "Tobacco", "Confidence": 80}]


@pytest.mark.parametrize(("labels", "next_state"), [([], "AnalyseImage"),
                                                    ([{"Name": "Alcohol"}], "SaveRejectedImage")])
def test_only_images_without_moderation_labels_are_analysed(sfn, definition, labels, next_state):
    """IsContentSafe analyses a clean image and records any other as rejected."""
    response = sfn.test_state(definition=definition, stateName="IsContentSafe", input=json.dumps(IMAGE),
                              variables=json.dumps({"moderationLabels": labels}))
    assert response["nextState"] == next_state


@pytest.mark.parametrize(("error", "catcher", "next_state"), [
    ("Rekognition.InvalidImageFormatException", 0, "NoteUnreadableImage"),
    ("Rekognition.AccessDeniedException", 1, "NoteProcessingError"),
])
def test_rekognition_errors_are_routed_by_kind(sfn, definition, error, catcher, next_state):
    """An unreadable image goes to NoteUnreadableImage; any other Rekognition error to NoteProcessingError."""
    response = sfn.test_state(
        definition=definition, stateName="CheckModeration", input=json.dumps(IMAGE), inspectionLevel="DEBUG",
        variables=json.dumps({"moderationMinConfidence": 80}),
        mock={"errorOutput": {"error": error, "cause": "Request has invalid image format"}})
    assert (response["status"], response["nextState"], response["error"]) == ("CAUGHT_ERROR", next_state, error)
    assert response["inspectionData"]["errorDetails"] == {"catchIndex": catcher}
    assert json.loads(response["output"]) == {"Error": error, "Cause": "Request has invalid image format"}
    assert variables_after(response)["failedState"] == "CheckModeration"


def test_throttled_moderation_is_retried_with_a_growing_back_off(sfn, definition):
    """A throttled DetectModerationLabels is retried: the fourth retry would wait 8 seconds."""
    response = sfn.test_state(
        definition=definition, stateName="CheckModeration", input=json.dumps(IMAGE), inspectionLevel="DEBUG",
        variables=json.dumps({"moderationMinConfidence": 80}), stateConfiguration={"retrierRetryCount": 3},
        mock={"errorOutput": {"error": "Rekognition.ThrottlingException", "cause": "Rate exceeded"}})
    assert response["status"] == "RETRIABLE"
    assert response["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 8}


def test_parallel_analysis_results_become_labels_and_text(sfn, definition):
    """AnalyseImage (Parallel, mocked) takes the labels of its first branch and the text lines of its second."""
    labels = [{"Name": "Dog", "Confidence": 98.1}]
    lines = [{"Text": "HAPPY BIRTHDAY", "Confidence": 99.5}]
    response = sfn.test_state(
        definition=definition, stateName="AnalyseImage", input=json.dumps(IMAGE), inspectionLevel="DEBUG",
        variables=json.dumps({**IMAGE, "labelMinConfidence": 70}),
        mock={"result": json.dumps([{"labels": labels}, {"textLines": lines}])})
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "SaveApprovedImage")
    after = variables_after(response)
    assert (after["labels"], after["textLines"]) == (labels, lines)


@pytest.mark.parametrize(("outcome", "next_state"), [("APPROVED", "ImageCatalogued"),
                                                     ("REJECTED", "NotifyModerators"), ("FAILED", "FailImage")])
def test_the_outcome_decides_the_end(sfn, definition, outcome, next_state):
    """WhatWasTheOutcome: approved images are catalogued, rejected ones notified, failed ones fail the execution."""
    response = sfn.test_state(definition=definition, stateName="WhatWasTheOutcome", input="{}",
                              variables=json.dumps({"outcome": outcome}))
    assert response["nextState"] == next_state
