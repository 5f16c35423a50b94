"""The call-center workflow's Lambda function that cuts long texts into byte-bounded pieces."""

from __future__ import annotations

import pytest

from tests.support import lambda_context, load_handler

app = load_handler("split_text_by_bytes")
CONTEXT = lambda_context("CallSplitTextFunction", 256)


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_pieces_fit_the_limit_and_end_at_sentences():
    """Sentences are packed greedily; no piece exceeds the limit and none cuts a sentence that fits."""
    sentence = "Le client est très mécontent du service."  # 42 bytes, 40 characters
    text = " ".join([sentence] * 30)
    pieces = app.split_text(text, 200)
    assert all(size(p) <= 200 for p in pieces)
    assert all(p.endswith("mécontent du service.") for p in pieces)
    assert " ".join(pieces) == text


def test_limit_counts_bytes_not_characters():
    """Accented characters take two bytes: 100 of them need two pieces of 100 bytes."""
    pieces = app.split_text("é" * 100, 100)
    assert pieces == ["é" * 50, "é" * 50]


def test_long_sentence_is_cut_between_words_and_long_word_between_characters():
    """A sentence over the limit is cut between words; a word over the limit between whole characters."""
    pieces = app.split_text("alpha beta gamma delta " + "€" * 10, 12)
    assert all(size(p) <= 12 for p in pieces)
    assert pieces[:3] == ["alpha beta", "gamma delta", "€€€€"]
    assert "".join(pieces[2:]) == "€" * 10


def test_whitespace_is_normalised_and_empty_text_gives_no_piece():
    assert app.split_text("  one.\n\n two.  ", 100) == ["one. two."]
    assert app.split_text("   ", 100) == []


def test_handler_returns_pieces_with_their_sizes():
    """The handler answers what the state machine reads: chunks with text and bytes, count and total."""
    result = app.lambda_handler({"text": "Un. Deux. Trois.", "maxBytes": 9}, CONTEXT)
    assert result == {"chunks": [{"text": "Un. Deux.", "bytes": 9}, {"text": "Trois.", "bytes": 6}],
                      "chunkCount": 2, "totalBytes": 16}


@pytest.mark.parametrize("event", [
    {"maxBytes": 10}, {"text": 5, "maxBytes": 10}, {"text": "x"}, {"text": "x", "maxBytes": 3},
    {"text": "x", "maxBytes": True}, {"text": "x", "maxBytes": "10"}, ["text"],
])
def test_invalid_requests_are_refused_by_name(event):
    with pytest.raises(app.InvalidSplitRequest):
        app.lambda_handler(event, CONTEXT)
