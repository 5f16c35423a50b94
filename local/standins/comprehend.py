"""Amazon Comprehend ``DetectSentiment``, ``BatchDetectSentiment`` and ``DetectDominantLanguage``, simulated.

moto answers ``DetectSentiment`` and ``BatchDetectSentiment`` with canned scores and has no
``DetectDominantLanguage``. Locally these three operations are answered deterministically from the text:

* **Sentiment** comes from a small English keyword lexicon (:data:`POSITIVE_WORDS`, :data:`NEGATIVE_WORDS`,
  :data:`NEGATIVE_PHRASES`). A positive word right after a negation (``not``, ``never``, ``no``…) counts as
  negative. With ``p`` positive and ``n`` negative hits the raw weights are Positive ``p``, Negative ``n``,
  Neutral ``1`` and Mixed ``1.2 * min(p, n)``; the four scores are the weights divided by their sum, rounded
  to 4 decimals, and the label is the highest score (ties: MIXED, NEGATIVE, POSITIVE, NEUTRAL). So a text
  without opinion words is NEUTRAL, "thank you, great help" is POSITIVE and as many complaints as praises
  make it MIXED. :func:`score_sentiment` is the same function, for tests to compute expectations.
* **Limits** are the real ones: at most 5,000 bytes of UTF-8 per document (``TextSizeLimitExceededException``
  with AWS's message), at most 25 documents per batch (``BatchSizeLimitExceededException``), an empty text
  or document list is an ``InvalidRequestException``, and ``LanguageCode`` must be one Comprehend supports
  for sentiment (``UnsupportedLanguageException``). DetectDominantLanguage accepts up to 100 KB.
* **Dominant language** is guessed from common function words of English, French, Spanish, German, Italian
  and Portuguese (:func:`guess_language`, also used by the Transcribe stand-in for language identification);
  a text with none of them is English with a low score.
"""

from __future__ import annotations

import re
from typing import Any

from local.standins import ServiceError, standin

SENTIMENT_LIMIT_BYTES = 5000
DOMINANT_LANGUAGE_LIMIT_BYTES = 100_000
BATCH_LIMIT = 25
SENTIMENT_LANGUAGES = {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}

POSITIVE_WORDS = frozenset({
    "amazing", "appreciate", "appreciated", "awesome", "best", "brilliant", "delighted", "easy",
    "excellent", "fantastic", "fixed", "friendly", "glad", "good", "great", "happy", "helpful",
    "impressed", "kind", "love", "loved", "nice", "outstanding", "perfect", "pleased", "polite",
    "quick", "quickly", "recommend", "resolved", "satisfied", "smooth", "solved", "thank", "thankful",
    "thanks", "wonderful"
})

NEGATIVE_WORDS = frozenset({
    "angry", "annoyed", "annoying", "awful", "bad", "broken", "cancel", "cancelled", "complaint",
    "disappointed", "disappointing", "disgusted", "failed", "failure", "fault", "faulty", "frustrated",
    "frustrating", "furious", "hate", "hated", "horrible", "incompetent", "lawyer", "nobody", "outage",
    "poor", "refund", "ridiculous", "rude", "scam", "slow", "terrible", "unacceptable", "unhappy",
    "unreliable", "upset", "useless", "waste", "wasted", "worst"
})

#: Phrases that are negative as a whole (matched on the lower-cased, single-spaced text).
NEGATIVE_PHRASES = ("not working", "does not work", "doesn't work", "no longer works", "still waiting",
                    "on hold for", "never again")

NEGATIONS = frozenset({"not", "never", "no", "don't", "didn't", "isn't", "wasn't", "hardly", "nothing"})

# Common function words per language, for a cheap and deterministic language guess.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset({
        "and", "are", "for", "have", "i", "is", "it", "my", "not", "of", "on", "that", "the", "this",
        "to", "was", "with", "you"
    }),
    "fr": frozenset({
        "avec", "c'est", "de", "des", "du", "elle", "est", "et", "il", "j'ai", "je", "la", "le", "les",
        "ma", "mais", "mon", "ne", "nous", "pas", "pour", "que", "qui", "suis", "très", "un", "une",
        "vous"
    }),
    "es": frozenset({
        "con", "de", "el", "es", "estoy", "la", "las", "los", "mi", "muy", "no", "para", "pero", "por",
        "que", "un", "una", "y"
    }),
    "de": frozenset({
        "das", "der", "die", "ein", "eine", "es", "für", "ich", "ist", "mein", "meine", "mit", "nicht",
        "seit", "sie", "und", "zu"
    }),
    "it": frozenset({
        "che", "con", "di", "e", "gli", "ho", "il", "la", "lo", "mio", "molto", "non", "per", "sono",
        "un", "una", "è"
    }),
    "pt": frozenset({
        "a", "as", "com", "de", "e", "estou", "meu", "minha", "muito", "não", "o", "os", "para", "por",
        "que", "um", "uma", "é"
    }),
}

_WORD = re.compile(r"[\w']+", re.UNICODE)


def utf8_bytes(text: str) -> int:
    """Size of ``text`` as the services count it: bytes of UTF-8."""
    return len(text.encode("utf-8"))


def _words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text.lower().replace("\u2019", "'"))]


def score_sentiment(text: str) -> tuple[str, dict[str, float]]:
    """Score ``text`` as the stand-in does: ``(label, {"Positive", "Negative", "Neutral", "Mixed"})``."""
    words = _words(text)
    positive = negative = 0
    for index, word in enumerate(words):
        negated = any(w in NEGATIONS for w in words[max(0, index - 2):index])
        if word in POSITIVE_WORDS:
            if negated:
                negative += 1
            else:
                positive += 1
        elif word in NEGATIVE_WORDS:
            negative += 1
    flat = " " + " ".join(words) + " "
    negative += sum(flat.count(f" {phrase} ") for phrase in NEGATIVE_PHRASES)
    weights = {"Positive": float(positive), "Negative": float(negative), "Neutral": 1.0,
               "Mixed": 1.2 * min(positive, negative)}
    total = sum(weights.values())
    scores = {name: round(weight / total, 4) for name, weight in weights.items()}
    order = ["Mixed", "Negative", "Positive", "Neutral"]  # tie-break order
    label = max(order, key=lambda name: (scores[name], -order.index(name)))
    return label.upper(), scores


def guess_language(text: str, candidates: list[str] | None = None) -> list[tuple[str, float]]:
    """Languages of ``text`` by share of function words, best first: ``[(code, score), …]``.

    ``candidates`` (language codes, with or without region: ``fr-FR``) limits the answer to those; the
    codes are returned as given. A text without any function word gets the first candidate (or English).
    """
    words = _words(text)
    options = candidates or list(FUNCTION_WORDS)
    counts = []
    for option in options:
        vocabulary = FUNCTION_WORDS.get(option.split("-")[0].lower(), frozenset())
        counts.append((option, sum(1 for w in words if w in vocabulary)))
    total = sum(count for _, count in counts)
    if total == 0:
        return [(options[0], 0.5)]
    ranked = sorted(counts, key=lambda item: (-item[1], options.index(item[0])))
    return [(code, round(count / total, 4)) for code, count in ranked if count > 0]


def _check_size(text: Any, limit: int) -> str:
    if not isinstance(text, str) or not text:
        raise ServiceError("InvalidRequestException", "The text must be a non-empty string")
    size = utf8_bytes(text)
    if size > limit:
        raise ServiceError(
            "TextSizeLimitExceededException",
            f"Input text size exceeds limit. Max length of request text allowed is {limit} bytes while in "
            f"this request the text size is {size} bytes",
        )
    return text


def _check_language(code: Any) -> str:
    if code not in SENTIMENT_LANGUAGES:
        raise ServiceError(
            "UnsupportedLanguageException",
            f"Amazon Comprehend can't process the language in the input text: {code!r}. Supported languages: "
            + ", ".join(sorted(SENTIMENT_LANGUAGES)),
        )
    return code


@standin("comprehend", "DetectSentiment")
def detect_sentiment(params: dict[str, Any]) -> dict[str, Any]:
    """Score one document (at most 5,000 bytes)."""
    text = _check_size(params.get("Text"), SENTIMENT_LIMIT_BYTES)
    _check_language(params.get("LanguageCode"))
    label, scores = score_sentiment(text)
    return {"Sentiment": label, "SentimentScore": scores}


@standin("comprehend", "BatchDetectSentiment")
def batch_detect_sentiment(params: dict[str, Any]) -> dict[str, Any]:
    """Score up to 25 documents of at most 5,000 bytes each."""
    documents = params.get("TextList")
    if not isinstance(documents, list) or not documents:
        raise ServiceError("InvalidRequestException", "TextList must contain at least one document")
    if len(documents) > BATCH_LIMIT:
        raise ServiceError(
            "BatchSizeLimitExceededException",
            f"The number of documents in the request exceeds the limit of {BATCH_LIMIT}. "
            f"This request has {len(documents)} documents",
        )
    for document in documents:
        _check_size(document, SENTIMENT_LIMIT_BYTES)
    _check_language(params.get("LanguageCode"))
    results = []
    for index, document in enumerate(documents):
        label, scores = score_sentiment(document)
        results.append({"Index": index, "Sentiment": label, "SentimentScore": scores})
    return {"ResultList": results, "ErrorList": []}


@standin("comprehend", "DetectDominantLanguage")
def detect_dominant_language(params: dict[str, Any]) -> dict[str, Any]:
    """Rank the languages of the text by their share of common function words."""
    text = _check_size(params.get("Text"), DOMINANT_LANGUAGE_LIMIT_BYTES)
    return {"Languages": [{"LanguageCode": code, "Score": score} for code, score in guess_language(text)]}
