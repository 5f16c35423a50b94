"""The stand-ins on their own: the APIs moto lacks answer as AWS documents, limits and errors included.

Each is called as the HTTP endpoint calls it (:func:`local.standins.dispatch` on a JSON request body), so the
status, the ``x-amzn-ErrorType`` header and the body are the JSON protocol's. The ones reading S3 (Rekognition,
Transcribe) are played end to end by the workflow tests.
"""

from __future__ import annotations

import json

import pytest

from local import standins
from local.standins.comprehend import score_sentiment
from local.standins.sms import OUTBOX

HANDLERS = standins.load()


def call(service: str, operation: str, **params) -> tuple[int, dict]:
    status, headers, body = standins.dispatch(HANDLERS[(service, operation)], json.dumps(params))
    answer = json.loads(body)
    if status != 200:
        assert headers["x-amzn-ErrorType"] == answer["__type"]
    return status, answer


def test_every_stand_in_is_registered_for_a_real_operation():
    """Each registered operation exists in botocore's model of its service (the name a client sends)."""
    import botocore.session

    session = botocore.session.get_session()
    for service, operation in HANDLERS:
        assert operation in session.get_service_model(service).operation_names, (service, operation)


def test_comprehend_scores_sentiment_deterministically():
    """DetectSentiment gives the label and the four scores; the same text, the same answer."""
    status, answer = call("comprehend", "DetectSentiment", Text="Thank you, great help", LanguageCode="en")
    assert status == 200
    assert answer["Sentiment"] == "POSITIVE" == score_sentiment("Thank you, great help")[0]
    assert set(answer["SentimentScore"]) == {"Positive", "Negative", "Neutral", "Mixed"}
    assert abs(sum(answer["SentimentScore"].values()) - 1) < 1e-3


def test_comprehend_enforces_its_documented_limits():
    """5,000 bytes of UTF-8 per document, 25 documents per batch, a supported language (HTTP 400)."""
    status, answer = call("comprehend", "DetectSentiment", Text="é" * 2501, LanguageCode="en")
    assert (status, answer["__type"]) == (400, "TextSizeLimitExceededException")
    assert "5000 bytes" in answer["message"] and "5002 bytes" in answer["message"]
    status, answer = call("comprehend", "BatchDetectSentiment", TextList=["fine"] * 26, LanguageCode="en")
    assert answer["__type"] == "BatchSizeLimitExceededException"
    status, answer = call("comprehend", "DetectSentiment", Text="fine", LanguageCode="xx")
    assert answer["__type"] == "UnsupportedLanguageException"


def test_comprehend_batch_answers_each_document_by_index():
    """BatchDetectSentiment: one result per document, with its index, and no errors."""
    status, answer = call("comprehend", "BatchDetectSentiment", TextList=["great", "terrible"], LanguageCode="en")
    assert status == 200 and answer["ErrorList"] == []
    assert [(r["Index"], r["Sentiment"]) for r in answer["ResultList"]] == [(0, "POSITIVE"), (1, "NEGATIVE")]


def test_translate_enforces_10000_bytes_and_known_languages():
    """TranslateText refuses more than 10,000 bytes and a language code Translate does not know."""
    status, answer = call("translate", "TranslateText", Text="a" * 10_001, SourceLanguageCode="fr",
                          TargetLanguageCode="en")
    assert (status, answer["__type"]) == (400, "TextSizeLimitExceededException")
    status, answer = call("translate", "TranslateText", Text="Bonjour", SourceLanguageCode="fr",
                          TargetLanguageCode="xx")
    assert answer["__type"] == "UnsupportedLanguagePairException"


def test_translate_tags_what_it_cannot_translate_and_resolves_auto():
    """A sentence outside the phrase table comes back tagged with the pair; ``auto`` is resolved to a language."""
    status, answer = call("translate", "TranslateText", Text="Le colis est arrivé hier.", SourceLanguageCode="auto",
                          TargetLanguageCode="en")
    assert status == 200 and answer["SourceLanguageCode"] == "fr"
    assert answer["TranslatedText"] == "[fr→en] Le colis est arrivé hier."


@pytest.mark.parametrize(("params", "problem"), [
    ({"DestinationPhoneNumber": "425-555-0100", "MessageBody": "hi"}, "E.164"),
    ({"DestinationPhoneNumber": "+14255550100", "MessageBody": ""}, "must not be empty"),
    ({"DestinationPhoneNumber": "+14255550100", "MessageBody": "x" * 1601}, "at most 1600"),
])
def test_sms_refuses_what_end_user_messaging_refuses(params, problem):
    """SendTextMessage: a number not in E.164 form, an empty or too long body is a ValidationException."""
    status, answer = call("pinpoint-sms-voice-v2", "SendTextMessage", **params)
    assert (status, answer["__type"]) == (400, "ValidationException") and problem in answer["message"]


def test_sms_records_what_it_sends():
    """A valid message gets a MessageId and is recorded in the outbox with its destination and body."""
    status, answer = call("pinpoint-sms-voice-v2", "SendTextMessage", DestinationPhoneNumber="+14255550177",
                          OriginationIdentity="+12065550100", MessageBody="Rate us 1 to 10")
    assert status == 200
    [sent] = [m for m in OUTBOX if m["MessageId"] == answer["MessageId"]]
    assert (sent["DestinationPhoneNumber"], sent["MessageBody"]) == ("+14255550177", "Rate us 1 to 10")
