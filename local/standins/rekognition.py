"""Amazon Rekognition ``DetectModerationLabels``, ``DetectLabels`` and ``DetectText``, simulated.

moto has no ``DetectModerationLabels``, and its ``DetectLabels``/``DetectText`` answer every request with
the same canned labels ("Mobile Phone"…) and text ("IT'S MONDAY…") without reading the image, so an image
that does not exist or is not an image would still be "analysed". Locally the three operations read the S3
object named by ``Image.S3Object`` (``Bucket``, ``Name``, optional ``Version``) and answer deterministically
from it:

* **Readability, as Rekognition checks it** (the same checks for all three operations, in this order):

  - the object cannot be read (no such bucket, key or version): ``InvalidS3ObjectException``
    "Unable to get object metadata from S3. Check object key, region and/or access permissions.";
  - the object is larger than 15 MB (15 * 1024 * 1024 bytes, Rekognition's limit for images in S3):
    ``ImageTooLargeException``;
  - its first bytes are not a JPEG (``FF D8 FF``) or PNG (``89 50 4E 47 0D 0A 1A 0A``) signature:
    ``InvalidImageFormatException`` "Request has invalid image format". The file name does not matter: a PNG
    stored as ``photo.jpg`` is read, as by Rekognition.

  ``Image.Bytes`` (an inline image) is checked the same way with Rekognition's 5 MB limit for inline images;
  it carries no metadata, so it has no labels or text.

* **What the image shows comes from the object's user metadata** (``put_object(Metadata={...})``, sent as
  ``x-amz-meta-<name>`` headers). Without the metadata the image shows nothing: no moderation labels, no
  labels, no text.

  - ``x-amz-meta-moderation-labels``: ``"Label:Confidence,Label:Confidence"``, e.g.
    ``"Explicit Nudity:97.5,Weapons:80"``. A label without ``:Confidence`` has confidence 99.0. Labels of
    Rekognition's moderation taxonomy (:data:`MODERATION_TAXONOMY`, v7) get their ``ParentName`` and
    ``TaxonomyLevel``, and their ancestors are returned too, with the child's confidence, as Rekognition
    returns the whole branch ("Explicit Nudity" also yields "Explicit"). Other names are top-level labels
    (``TaxonomyLevel`` 1, ``ParentName`` "").
  - ``x-amz-meta-labels``: ``"Name:Confidence,…"`` for ``DetectLabels`` (e.g. ``"Dog:98.2,Beach:91"``), with
    ``Instances``, ``Parents``, ``Aliases`` and ``Categories`` empty.
  - ``x-amz-meta-text``: the lines of text in the image, separated by ``|`` (e.g. ``"SUMMER SALE|50% OFF"``).
    ``DetectText`` returns one ``LINE`` per line and one ``WORD`` per whitespace-separated word (its
    ``ParentId`` is the line's ``Id``), each with confidence :data:`TEXT_CONFIDENCE` and a deterministic
    geometry (lines stacked from the top). At most 100 words, as Rekognition detects.

* **Request parameters as in the API.** ``MinConfidence`` (0 to 100; defaults 50 for moderation and 55 for
  labels, as documented) drops labels below it, ``MaxLabels`` keeps the most confident labels,
  ``Filters.WordFilter.MinConfidence`` drops words and lines below it. Labels come back most confident first.
  A value out of range is an ``InvalidParameterException``; so is a malformed confidence in the metadata (a
  mistake in the test data, reported loudly). ``Features``, ``Settings``, ``HumanLoopConfig``,
  ``ProjectVersion`` and text ``RegionsOfInterest`` are accepted and ignored.

Not simulated: the 80-pixel minimum image size, image content itself (pixels are never looked at), custom
moderation adapters, human review.
"""

from __future__ import annotations

import math
from typing import Any

from local.engine.sdk import sdk_client
from local.standins import ServiceError, standin

REGION = "us-east-1"

#: Rekognition's limits: images stored in S3 and inline image bytes.
S3_IMAGE_LIMIT_BYTES = 15 * 1024 * 1024
INLINE_IMAGE_LIMIT_BYTES = 5 * 1024 * 1024
#: Rekognition detects up to 100 words in an image.
TEXT_WORD_LIMIT = 100
#: Confidence of every detected line and word.
TEXT_CONFIDENCE = 99.0
#: Confidence of a metadata label written without ``:Confidence``.
DEFAULT_CONFIDENCE = 99.0

MODERATION_MODEL_VERSION = "7.0"
LABEL_MODEL_VERSION = "3.0"
TEXT_MODEL_VERSION = "3.0"

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"

#: Rekognition's image moderation taxonomy (version 7): label → its parent ("" for a top-level category).
MODERATION_TAXONOMY: dict[str, str] = {
    # Level 1 categories
    "Explicit": "", "Non-Explicit Nudity of Intimate parts and Kissing": "", "Swimwear or Underwear": "",
    "Violence": "", "Visually Disturbing": "", "Drugs & Tobacco": "", "Alcohol": "", "Rude Gestures": "",
    "Gambling": "", "Hate Symbols": "",
    # Level 2
    "Explicit Nudity": "Explicit", "Explicit Sexual Activity": "Explicit", "Sex Toys": "Explicit",
    "Non-Explicit Nudity": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Obstructed Intimate Parts": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Kissing on the Lips": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Female Swimwear or Underwear": "Swimwear or Underwear",
    "Male Swimwear or Underwear": "Swimwear or Underwear",
    "Weapons": "Violence", "Graphic Violence": "Violence",
    "Death and Emaciation": "Visually Disturbing", "Crashes": "Visually Disturbing",
    "Products": "Drugs & Tobacco", "Drugs & Tobacco Paraphernalia & Use": "Drugs & Tobacco",
    "Alcohol Use": "Alcohol", "Alcoholic Beverages": "Alcohol",
    "Middle Finger": "Rude Gestures",
    "Nazi Party": "Hate Symbols", "White Supremacy": "Hate Symbols", "Extremist": "Hate Symbols",
    # Level 3
    "Exposed Male Genitalia": "Explicit Nudity", "Exposed Female Genitalia": "Explicit Nudity",
    "Exposed Buttocks or Anus": "Explicit Nudity", "Exposed Female Nipple": "Explicit Nudity",
    "Bare Back": "Non-Explicit Nudity", "Exposed Male Nipple": "Non-Explicit Nudity",
    "Partially Exposed Buttocks": "Non-Explicit Nudity",
    "Partially Exposed Female Breast": "Non-Explicit Nudity",
    "Implied Nudity": "Non-Explicit Nudity",
    "Obstructed Female Nipple": "Obstructed Intimate Parts",
    "Obstructed Male Genitalia": "Obstructed Intimate Parts",
    "Weapon Violence": "Graphic Violence", "Physical Violence": "Graphic Violence",
    "Self-Harm": "Graphic Violence",
    "Blood & Gore": "Graphic Violence", "Explosions and Blasts": "Graphic Violence",
    "Emaciated Bodies": "Death and Emaciation", "Corpses": "Death and Emaciation",
    "Air Crash": "Crashes",
    "Pills": "Products",
    "Smoking": "Drugs & Tobacco Paraphernalia & Use",
    "Drinking": "Alcohol Use",
}


# --- reading the image ------------------------------------------------------------------------------------


def _s3():
    return sdk_client("s3", REGION)


def _unreadable_object() -> ServiceError:
    return ServiceError(
        "InvalidS3ObjectException",
        "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
    )


def _check_signature(head: bytes) -> None:
    if not (head.startswith(_JPEG) or head.startswith(_PNG)):
        raise ServiceError("InvalidImageFormatException", "Request has invalid image format")


def read_image(params: dict[str, Any]) -> dict[str, str]:
    """Check the request's image as Rekognition does; return the object's user metadata (lower-case names)."""
    image = params.get("Image")
    if not isinstance(image, dict) or ("S3Object" in image) == ("Bytes" in image):
        raise ServiceError(
            "InvalidParameterException",
            "Request has invalid parameters: specify exactly one of Image.S3Object and Image.Bytes",
        )
    if "Bytes" in image:
        data = image["Bytes"]
        if isinstance(data, str):  # JSON protocol: base64
            import base64

            data = base64.b64decode(data)
        if len(data) > INLINE_IMAGE_LIMIT_BYTES:
            raise ServiceError("ImageTooLargeException", "Image size is too large.")
        _check_signature(bytes(data[:8]))
        return {}
    s3_object = image["S3Object"] or {}
    bucket, name, version = s3_object.get("Bucket"), s3_object.get("Name"), s3_object.get("Version")
    if not bucket or not name:
        raise ServiceError("InvalidParameterException",
                           "Request has invalid parameters: Image.S3Object needs Bucket and Name")
    extra = {"VersionId": version} if version else {}
    s3 = _s3()
    try:
        head = s3.head_object(Bucket=bucket, Key=name, **extra)
    except Exception as error:
        raise _unreadable_object() from error
    if head.get("ContentLength", 0) > S3_IMAGE_LIMIT_BYTES:
        raise ServiceError("ImageTooLargeException", "Image size is too large.")
    if head.get("ContentLength", 0) == 0:
        raise ServiceError("InvalidImageFormatException", "Request has invalid image format")
    try:
        start = s3.get_object(Bucket=bucket, Key=name, Range="bytes=0-7", **extra)["Body"].read()
    except Exception as error:
        raise _unreadable_object() from error
    _check_signature(start)
    return {key.lower(): value for key, value in (head.get("Metadata") or {}).items()}


# --- parsing metadata ------------------------------------------------------------------------------------


def parse_labels(text: str | None) -> list[tuple[str, float]]:
    """Parse ``"Name:Confidence,Name"`` into ``[(name, confidence)]``, in order, later duplicates dropped."""
    labels: dict[str, float] = {}
    for written in (text or "").split(","):
        entry = written.strip()
        if not entry:
            continue
        name, sep, confidence = entry.rpartition(":")
        if not sep:
            name, value = entry, DEFAULT_CONFIDENCE
        else:
            try:
                value = float(confidence)
            except ValueError:
                value = math.nan
            if not name.strip() or not 0 <= value <= 100:
                raise ServiceError("InvalidParameterException",
                                   f"local Rekognition stand-in: {entry!r} in the object's metadata is not "
                                   "'Label:Confidence' with a confidence from 0 to 100")
        labels.setdefault(name.strip(), value)
    return list(labels.items())


def _min_confidence(params: dict[str, Any], default: float, name: str = "MinConfidence") -> float:
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ServiceError("InvalidParameterException",
                           f"Request has invalid parameters: {name} must be a number from 0 to 100")
    return float(value)


def _most_confident_first(labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(labels, key=lambda label: -label["Confidence"])


# --- the operations ---------------------------------------------------------------------------------------


def moderation_labels(metadata_value: str | None, min_confidence: float = 50.0) -> list[dict[str, Any]]:
    """Return the ``ModerationLabels`` for this ``moderation-labels`` metadata (tests use it too)."""
    found: dict[str, float] = {}
    for name, confidence in parse_labels(metadata_value):
        current = name
        while current:  # the label and its ancestors, each with the highest confidence it was given
            found[current] = max(found.get(current, 0.0), confidence)
            current = MODERATION_TAXONOMY.get(current, "")
    labels = []
    for name, confidence in found.items():
        if confidence < min_confidence:
            continue
        level, parent = 1, MODERATION_TAXONOMY.get(name, "")
        while parent:
            level += 1
            parent = MODERATION_TAXONOMY.get(parent, "")
        labels.append({"Confidence": confidence, "Name": name,
                       "ParentName": MODERATION_TAXONOMY.get(name, ""), "TaxonomyLevel": level})
    return _most_confident_first(labels)


@standin("rekognition", "DetectModerationLabels")
def detect_moderation_labels(params: dict[str, Any]) -> dict[str, Any]:
    """Moderation labels from the object's ``moderation-labels`` metadata (none without it)."""
    min_confidence = _min_confidence(params, 50.0)
    metadata = read_image(params)
    return {
        "ModerationLabels": moderation_labels(metadata.get("moderation-labels"), min_confidence),
        "ModerationModelVersion": MODERATION_MODEL_VERSION,
        "ContentTypes": [],
    }


@standin("rekognition", "DetectLabels")
def detect_labels(params: dict[str, Any]) -> dict[str, Any]:
    """Labels from the object's ``labels`` metadata (none without it)."""
    min_confidence = _min_confidence(params, 55.0)
    max_labels = params.get("MaxLabels")
    if max_labels is not None and (not isinstance(max_labels, int) or max_labels < 0):
        raise ServiceError("InvalidParameterException",
                           "Request has invalid parameters: MaxLabels must be a non-negative integer")
    metadata = read_image(params)
    labels = _most_confident_first([
        {"Name": name, "Confidence": confidence, "Instances": [], "Parents": [], "Aliases": [],
         "Categories": []}
        for name, confidence in parse_labels(metadata.get("labels")) if confidence >= min_confidence
    ])
    if max_labels is not None:
        labels = labels[:max_labels]
    return {"Labels": labels, "LabelModelVersion": LABEL_MODEL_VERSION}


def _box(left: float, top: float, width: float, height: float) -> dict[str, Any]:
    return {
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "Polygon": [{"X": left, "Y": top}, {"X": left + width, "Y": top},
                    {"X": left + width, "Y": top + height}, {"X": left, "Y": top + height}],
    }


@standin("rekognition", "DetectText")
def detect_text(params: dict[str, Any]) -> dict[str, Any]:
    """Lines (``|``-separated) and their words from the object's ``text`` metadata (none without it)."""
    word_filter = (params.get("Filters") or {}).get("WordFilter") or {}
    min_confidence = _min_confidence(word_filter, 0.0)
    metadata = read_image(params)
    lines = [" ".join(line.split()) for line in (metadata.get("text") or "").split("|")]
    lines = [line for line in lines if line]
    if min_confidence > TEXT_CONFIDENCE:
        lines = []
    detections: list[dict[str, Any]] = []
    words_left = TEXT_WORD_LIMIT
    next_id = 0
    height = 0.8 / max(len(lines), 1)
    for row, line in enumerate(lines):
        words = line.split()[:words_left]
        if not words:
            break
        words_left -= len(words)
        top = 0.1 + row * height
        line_id = next_id
        next_id += 1
        detections.append({"DetectedText": " ".join(words), "Type": "LINE", "Id": line_id,
                           "Confidence": TEXT_CONFIDENCE, "Geometry": _box(0.1, top, 0.8, height * 0.8)})
        width = 0.8 / len(words)
        for index, word in enumerate(words):
            detections.append({"DetectedText": word, "Type": "WORD", "Id": next_id, "ParentId": line_id,
                               "Confidence": TEXT_CONFIDENCE,
                               "Geometry": _box(0.1 + index * width, top, width * 0.9, height * 0.8)})
            next_id += 1
    return {"TextDetections": detections, "TextModelVersion": TEXT_MODEL_VERSION}
