"""Feedback conversation, state by state, with the TestState API as AWS's TestState guide shows it.

Each test gives one state of the deployed definition (``stateName``) the input and variables the earlier states
would have produced, mocks the AWS call or the customer's reply (a ``.waitForTaskToken`` task runs only with a
mock), and checks where the conversation goes next and what it remembers.
"""

from __future__ import annotations

import json

import pytest

from tests.support import variables_after

WORKFLOW = "feedback-conversation"
CONVERSATION = {"appointmentId": "apt-1001", "messageId": "msg-1", "customerPhone": "+15550100100",
                "replyTimeoutSeconds": 86400}


@pytest.mark.parametrize(("reply", "kind", "score", "comment"), [
    ("3 the driver was late", "VALID", 3, "the driver was late"),
    ("10/10", "VALID", 10, ""),
    ("great!", "INVALID", None, ""),
])
def test_a_reply_is_read_as_a_score_and_a_comment(sfn, definition, reply, kind, score, comment):
    """ReadRating reads '3 …' as score 3 with a comment, '10/10' as 10, anything else as unreadable."""
    response = sfn.test_state(definition=definition, stateName="ReadRating", inspectionLevel="DEBUG",
                              input=json.dumps({"messageBody": reply, "inboundMessageId": "in-1",
                                                "receivedAt": "2025-06-01T10:00:00Z"}))
    assert response["nextState"] == "IsRatingValid"
    answer = variables_after(response)["answer"]
    assert (answer["kind"], answer["score"], answer["comment"]) == (kind, score, comment)


@pytest.mark.parametrize(("answer", "reasks", "next_state"), [
    ({"kind": "OPT_OUT"}, 0, "RecordOptOut"),
    ({"kind": "VALID", "score": 3, "comment": "late"}, 0, "ScoreComment"),
    ({"kind": "VALID", "score": 9, "comment": ""}, 0, "RecordRating"),
    ({"kind": "INVALID", "comment": ""}, 0, "RecordUnreadableReply"),
    ({"kind": "INVALID", "comment": ""}, 2, "RecordInvalidReply"),
])
def test_the_answer_decides_the_next_step(sfn, definition, answer, reasks, next_state):
    """IsRatingValid: opt-outs, scored comments, bare scores, unreadable replies (asked again, then given up)."""
    response = sfn.test_state(definition=definition, stateName="IsRatingValid", input="{}",
                              variables=json.dumps({"answer": answer, "reasks": reasks, "maxReasks": 2}))
    assert response["nextState"] == next_state


def test_comment_sentiment_is_kept_with_its_scores(sfn, definition):
    """ScoreComment keeps Comprehend's sentiment and its scores for the rating record."""
    scores = {"Positive": 0.02, "Negative": 0.9, "Neutral": 0.07, "Mixed": 0.01}
    response = sfn.test_state(
        definition=definition, stateName="ScoreComment", input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"answer": {"kind": "VALID", "score": 3, "comment": "the driver was late"}}),
        mock={"result": json.dumps({"Sentiment": "NEGATIVE", "SentimentScore": scores})})
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "RecordRating")
    assert json.loads(response["inspectionData"]["afterArguments"])["Text"] == "the driver was late"
    assert variables_after(response)["sentiment"] == {"Sentiment": "NEGATIVE", "SentimentScore": scores}


def test_the_rating_is_recorded_without_sentiment_when_comprehend_fails(sfn, definition):
    """Sentiment is optional: a Comprehend error is caught and the rating recorded without it."""
    response = sfn.test_state(
        definition=definition, stateName="ScoreComment", input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"answer": {"kind": "VALID", "score": 3, "comment": "late"}}),
        mock={"errorOutput": {"error": "Comprehend.TextSizeLimitExceededException", "cause": "too long"}})
    assert (response["status"], response["nextState"]) == ("CAUGHT_ERROR", "RecordRating")
    assert variables_after(response)["sentiment"] is None


def test_the_customers_reply_resumes_the_conversation(sfn, definition):
    """WaitForRating registers the question and waits for its token: the mock is the reply the receiver sends."""
    reply = {"messageBody": "4 fine", "inboundMessageId": "in-7", "receivedAt": "2025-06-01T10:05:00Z"}
    response = sfn.test_state(definition=definition, stateName="WaitForRating", input="{}",
                              variables=json.dumps(CONVERSATION), inspectionLevel="DEBUG",
                              mock={"result": json.dumps(reply)})
    assert (response["status"], response["nextState"], json.loads(response["output"])) == (
        "SUCCEEDED", "ReadRating", reply)
    saved = json.loads(response["inspectionData"]["afterArguments"])["Item"]
    assert (saved["MessageId"], saved["ConversationStage"]) == ({"S": "msg-1"}, {"S": "RATING"})
    assert saved["TaskToken"]["S"]  # the token the reply receiver will hand back


def test_a_customer_who_never_answers_is_recorded_as_no_response(sfn, definition):
    """No reply within the reply timeout: States.Timeout is caught and the conversation records no response."""
    response = sfn.test_state(definition=definition, stateName="WaitForRating", input="{}",
                              variables=json.dumps(CONVERSATION),
                              mock={"errorOutput": {"error": "States.Timeout", "cause": "no reply in 24 hours"}})
    assert (response["status"], response["nextState"], response["error"]) == (
        "CAUGHT_ERROR", "RecordNoResponse", "States.Timeout")


def test_waiting_for_a_reply_needs_a_mock(sfn, definition, stack):
    """A .waitForTaskToken state cannot be tested without a mock, as in AWS."""
    role = sfn.describe_state_machine(stateMachineArn=stack.state_machine_arn(WORKFLOW))["roleArn"]
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.test_state(definition=definition, stateName="WaitForRating", input="{}", roleArn=role,
                       variables=json.dumps(CONVERSATION))
