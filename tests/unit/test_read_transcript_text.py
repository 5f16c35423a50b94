"""The call-center workflow's Lambda function that reads transcripts too large for a state."""

from __future__ import annotations

import io
import json

import pytest

from tests.support import lambda_context, load_handler

app = load_handler("read_transcript_text")
CONTEXT = lambda_context("CallReadTranscriptFunction", 512)


class FakeS3:
    """Answers GetObject with fixed bodies, recording the requests."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects, self.requests = objects, []

    def get_object(self, Bucket: str, Key: str):
        self.requests.append((Bucket, Key))
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}


def transcript(text: str, words: int = 3) -> bytes:
    items = [{"type": "pronunciation", "start_time": "0.0", "end_time": "0.4",
              "alternatives": [{"confidence": "0.99", "content": "word"}]}] * words
    return json.dumps({"jobName": "job", "status": "COMPLETED",
                       "results": {"transcripts": [{"transcript": text}], "items": items}}).encode()


def test_returns_only_the_text_of_a_large_transcript(monkeypatch):
    """A 300 KB transcript JSON (per-word items) comes back as its text and the text's byte count."""
    text = "Je suis très en colère. " * 400
    fake = FakeS3({("calls", "transcripts/job.json"): transcript(text, words=3000)})
    monkeypatch.setattr(app, "s3", fake)
    assert len(fake.objects[("calls", "transcripts/job.json")]) > 256 * 1024
    result = app.lambda_handler({"bucket": "calls", "key": "transcripts/job.json"}, CONTEXT)
    assert result == {"transcript": text, "bytes": len(text.encode())}
    assert fake.requests == [("calls", "transcripts/job.json")]


@pytest.mark.parametrize(("body", "error"), [
    (b"not json", "NotATranscript"),
    (json.dumps({"results": {"transcripts": []}}).encode(), "NotATranscript"),
    (transcript("x" * 200_001), "TranscriptTooLong"),
])
def test_unusable_objects_are_refused_by_name(monkeypatch, body, error):
    monkeypatch.setattr(app, "s3", FakeS3({("calls", "k"): body}))
    with pytest.raises(getattr(app, error)):
        app.lambda_handler({"bucket": "calls", "key": "k"}, CONTEXT)


@pytest.mark.parametrize("event", [{}, {"bucket": "calls"}, {"bucket": "", "key": "k"}, "calls/k"])
def test_invalid_requests_are_refused_by_name(event):
    with pytest.raises(app.InvalidTranscriptRequest):
        app.lambda_handler(event, CONTEXT)
