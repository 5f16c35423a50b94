"""Amazon Translate ``TranslateText``, simulated.

moto has no Translate. Locally ``TranslateText`` translates deterministically, sentence by sentence:

* A sentence found in the built-in phrase table (:data:`PHRASES`: the demo calls' French sentences and a few
  Spanish and German ones, into English) is replaced by its English translation. Lookup ignores case,
  typographic apostrophes and repeated spaces.
* Any other sentence is returned tagged with the language pair, e.g. ``[fr→en] Merci beaucoup.``, so a test
  can see that it went through Translate and what it was asked.
* Source equal to target returns the text unchanged. ``SourceLanguageCode: auto`` is resolved with the
  Comprehend stand-in's language guess, as Translate calls Comprehend.

The real limits and errors apply: the text must hold at most 10,000 bytes of UTF-8
(``TextSizeLimitExceededException``, with AWS's message), an empty text is an ``InvalidRequestException`` and
an unknown language code an ``UnsupportedLanguagePairException``.
"""

from __future__ import annotations

import re
from typing import Any

from local.standins import ServiceError, standin
from local.standins.comprehend import guess_language, utf8_bytes

TEXT_LIMIT_BYTES = 10_000

#: Language codes Amazon Translate accepts (source and target), plus ``auto`` for the source.
LANGUAGES = frozenset({
    "af", "am", "ar", "az", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "es-MX",
    "et", "fa", "fa-AF", "fi", "fr", "fr-CA", "ga", "gu", "ha", "he", "hi", "hr", "ht", "hu", "hy",
    "id", "is", "it", "ja", "ka", "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "mt",
    "nl", "no", "pa", "pl", "ps", "pt", "pt-PT", "ro", "ru", "si", "sk", "sl", "so", "sq", "sr", "sv",
    "sw", "ta", "te", "th", "tl", "tr", "uk", "ur", "uz", "vi", "zh", "zh-TW"
})

#: (source, target) → {sentence: translation}. Keys are matched after :func:`_normalise`.
PHRASES: dict[tuple[str, str], dict[str, str]] = {
    ("fr", "en"): {
        "Bonjour, j'appelle parce que ma connexion internet ne fonctionne plus depuis une semaine.":
            "Hello, I am calling because my internet connection has been broken for a week.",
        "J'ai déjà appelé trois fois et personne ne m'a rappelé.":
            "I have already called three times and nobody called me back.",
        "C'est inacceptable.": "This is unacceptable.",
        "Je suis très en colère et je veux résilier mon abonnement.":
            "I am very angry and I want to cancel my subscription.",
        "Je veux aussi un remboursement pour ce mois-ci.": "I also want a refund for this month.",
        "Je suis désolé, je comprends votre frustration.": "I am sorry, I understand your frustration.",
        "Je vais ouvrir une réclamation.": "I will open a complaint.",
        "Merci beaucoup, vous avez été très aimable.": "Thank you very much, you have been very kind.",
        "Le problème est résolu, c'est parfait.": "The problem is resolved, that is perfect.",
    },
    ("es", "en"): {
        "Hola, llamo porque mi factura es incorrecta.": "Hello, I am calling because my bill is wrong.",
        "Gracias por su ayuda, el servicio fue excelente.":
            "Thank you for your help, the service was excellent.",
        "Estoy muy enfadado, quiero cancelar mi contrato.": "I am very angry, I want to cancel my contract.",
    },
    ("de", "en"): {
        "Guten Tag, mein Internet funktioniert seit gestern nicht.":
            "Good day, my internet has been broken since yesterday.",
        "Vielen Dank, das war sehr hilfreich.": "Thank you very much, that was very helpful.",
        "Das ist inakzeptabel, ich will kündigen.": "This is unacceptable, I want to cancel.",
    },
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _normalise(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence.replace("\u2019", "'").strip()).lower()


_TABLE = {pair: {_normalise(k): v for k, v in table.items()} for pair, table in PHRASES.items()}


def translate(text: str, source: str, target: str) -> str:
    """Translate ``text`` as the stand-in does (see the module docstring)."""
    if source == target:
        return text
    table = _TABLE.get((source.split("-")[0], target.split("-")[0]), {})
    out = []
    for sentence in _SENTENCE_END.split(text.strip()):
        if not sentence:
            continue
        out.append(table.get(_normalise(sentence)) or f"[{source}→{target}] {sentence}")
    return " ".join(out)


@standin("translate", "TranslateText")
def translate_text(params: dict[str, Any]) -> dict[str, Any]:
    """Translate at most 10,000 bytes of text from ``SourceLanguageCode`` into ``TargetLanguageCode``."""
    text = params.get("Text")
    if not isinstance(text, str) or not text:
        raise ServiceError("InvalidRequestException", "Text must be a non-empty string")
    size = utf8_bytes(text)
    if size > TEXT_LIMIT_BYTES:
        raise ServiceError(
            "TextSizeLimitExceededException",
            f"Input text size exceeds limit. Max length of request text allowed is {TEXT_LIMIT_BYTES} bytes "
            f"while in this request the text size is {size} bytes",
        )
    source, target = params.get("SourceLanguageCode"), params.get("TargetLanguageCode")
    if source == "auto":
        source = guess_language(text)[0][0]
    for code in (source, target):
        if code not in LANGUAGES:
            raise ServiceError(
                "UnsupportedLanguagePairException",
                f"Unsupported language pair: {params.get('SourceLanguageCode')} to {target}. "
                f"{code!r} is not a language code Amazon Translate supports",
            )
    return {"TranslatedText": translate(text, source, target), "SourceLanguageCode": source,
            "TargetLanguageCode": target}
