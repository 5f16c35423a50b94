"""Split a text into pieces of at most ``maxBytes`` bytes of UTF-8, at sentence, then word boundaries.

Why a Lambda function: Amazon Translate accepts at most 10,000 bytes and Amazon Comprehend at most 5,000
bytes of UTF-8 per request. Step Functions can *measure* a text's bytes (the state machine does, to skip
this function for short calls), but cutting a long transcript into byte-bounded pieces that end at sentence
boundaries needs a loop over the text that neither JSONata nor the intrinsic functions express.

Event:    ``{"text": "…", "maxBytes": 5000}``
Response: ``{"chunks": [{"text": "…", "bytes": 4990}, …], "chunkCount": 3, "totalBytes": 12345}``
Result schema: ``schemas/call-center-analysis.split-text-result.schema.json``

Pieces keep the text's order and, joined with single spaces, give the text back with its runs of whitespace
reduced to one space. Sentences are packed greedily; a sentence longer than ``maxBytes`` is cut between
words, and a word longer than ``maxBytes`` between characters (never inside a character).
The text itself is never logged: transcripts hold personal data.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="call-center-analysis")
tracer = Tracer(service="call-center-analysis")

#: The largest piece a caller may ask for (Step Functions passes at most 256 KiB anyway).
MAX_BYTES_LIMIT = 262_144
# Sentence ends: . ! ? and the ellipsis, ideographic full stop, fullwidth ! and ?
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])\s+")


class InvalidSplitRequest(ValueError):
    """The event lacks ``text`` (a string) or ``maxBytes`` (an integer between 4 and 262,144)."""


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_word(word: str, max_bytes: int) -> list[str]:
    """Cut one over-long word between characters."""
    pieces, current, size = [], [], 0
    for char in word:
        width = _size(char)
        if size + width > max_bytes:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def _pack(units: list[str], max_bytes: int) -> list[str]:
    """Join consecutive units with spaces into pieces of at most ``max_bytes`` (each unit already fits)."""
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current} {unit}" if current else unit
        if _size(candidate) <= max_bytes:
            current = candidate
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def split_text(text: str, max_bytes: int) -> list[str]:
    """Pieces of ``text`` of at most ``max_bytes`` UTF-8 bytes each, cut at sentence, then word boundaries."""
    units: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if not sentence:
            continue
        if _size(sentence) <= max_bytes:
            units.append(sentence)
            continue
        for word in sentence.split(" "):
            units.extend([word] if _size(word) <= max_bytes else _cut_word(word, max_bytes))
    return _pack(units, max_bytes)


def _parse(event: Any) -> tuple[str, int]:
    if not isinstance(event, dict):
        raise InvalidSplitRequest("the event must be an object with text and maxBytes")
    text, max_bytes = event.get("text"), event.get("maxBytes")
    if not isinstance(text, str):
        raise InvalidSplitRequest("text must be a string")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or not 4 <= max_bytes <= MAX_BYTES_LIMIT:
        raise InvalidSplitRequest(f"maxBytes must be an integer between 4 and {MAX_BYTES_LIMIT}")
    return text, max_bytes


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Split ``event["text"]`` into pieces of at most ``event["maxBytes"]`` bytes."""
    text, max_bytes = _parse(event)
    chunks = [{"text": piece, "bytes": _size(piece)} for piece in split_text(text, max_bytes)]
    total = _size(text)
    logger.info("text split",
                extra={"total_bytes": total, "max_bytes": max_bytes, "chunk_count": len(chunks)})
    return {"chunks": chunks, "chunkCount": len(chunks), "totalBytes": total}
