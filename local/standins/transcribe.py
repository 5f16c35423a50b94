"""Amazon Transcribe batch transcription jobs, simulated (replaces moto's Transcribe for these operations).

moto's Transcribe advances a job QUEUED → IN_PROGRESS → COMPLETED but never writes a transcript. This
stand-in implements ``StartTranscriptionJob``, ``GetTranscriptionJob``, ``ListTranscriptionJobs`` and
``DeleteTranscriptionJob`` so that a workflow gets a real-shaped transcript:

* **Speech is text.** The media object's body, read as UTF-8, is taken as the words spoken (the demo and the
  tests upload text files under audio names such as ``recordings/call.mp3``). An empty body is a call with
  no speech (empty transcript). A body that is not UTF-8 (real audio, say) makes the job ``FAILED`` with
  a ``FailureReason``, as a file Transcribe cannot decode does; so does a media URI naming no object.
* **Progress is per request, not per second.** A job starts ``QUEUED``; each ``GetTranscriptionJob``
  advances it one step: ``IN_PROGRESS`` (``StartTime`` set), then ``COMPLETED`` or ``FAILED``
  (``CompletionTime`` set). On completion the transcript JSON — ``jobName``, ``accountId``, ``status``,
  ``results.transcripts[0].transcript``, ``results.items`` with one pronunciation per word (0.4 s each) and
  punctuation items, and ``results.language_code`` — is written to ``OutputBucketName`` at ``OutputKey``
  (a key ending in ``/`` is a prefix for ``<job name>.json``; no key means ``<job name>.json``).
* **Language identification** (``IdentifyLanguage`` with ``LanguageOptions``) picks the option whose common
  function words the text uses most (the Comprehend stand-in's :func:`guess_language`); the job then shows
  ``LanguageCode`` and ``IdentifiedLanguageScore`` as the real API does.
* **Validation as in AWS** (``BadRequestException``): the job name pattern ``^[0-9a-zA-Z._-]+`` and 200
  characters, a supported ``MediaFormat``, exactly one of ``LanguageCode`` / ``IdentifyLanguage``, at least
  two ``LanguageOptions``, an ``s3://bucket/key`` media URI, an existing output bucket, and
  ``AllowDeferredExecution`` only with a ``DataAccessRoleArn`` naming an IAM role that exists. A second job
  with the same name is a ``ConflictException``; an unknown job is a ``BadRequestException`` ("couldn't be
  found"), as Transcribe answers.
* **Concurrency.** At most 100 jobs may be ``QUEUED``/``IN_PROGRESS`` without ``AllowDeferredExecution``;
  beyond that Start fails with ``LimitExceededException``. With deferred execution the job just queues.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from local.engine.sdk import sdk_client
from local.standins import ServiceError, standin
from local.standins.comprehend import guess_language

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
MEDIA_FORMATS = frozenset({"mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a"})
CONCURRENT_JOB_LIMIT = 100
SECONDS_PER_WORD = 0.4
_JOB_NAME = re.compile(r"^[0-9a-zA-Z._-]+$")
_TOKEN = re.compile(r"[\w'\u2019-]+|[.,!?;:\u2026]", re.UNICODE)

#: Job name → job (the API's ``TranscriptionJob`` members plus private ``_``-prefixed ones).
JOBS: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def reset() -> None:
    """Forget every job."""
    with _lock:
        JOBS.clear()


def _bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def _clients():
    return sdk_client("s3", REGION), sdk_client("iam", REGION)


def _parse_s3_uri(uri: Any) -> tuple[str, str]:
    match = re.match(r"^s3://([^/]+)/(.+)$", str(uri or ""))
    if not match:
        raise _bad_request(f"The S3 URI {uri!r} isn't valid. Use the form s3://bucket/key.")
    return match.group(1), match.group(2)


def _validate(params: dict[str, Any]) -> None:
    name = params.get("TranscriptionJobName")
    if not isinstance(name, str) or not _JOB_NAME.match(name) or len(name) > 200:
        raise _bad_request("TranscriptionJobName must match ^[0-9a-zA-Z._-]+ and have 1 to 200 characters.")
    if params.get("MediaFormat") is not None and params["MediaFormat"] not in MEDIA_FORMATS:
        raise _bad_request(f"The media format {params['MediaFormat']!r} isn't supported. Use one of: "
                           + ", ".join(sorted(MEDIA_FORMATS)) + ".")
    _parse_s3_uri((params.get("Media") or {}).get("MediaFileUri"))
    identify = bool(params.get("IdentifyLanguage")) or bool(params.get("IdentifyMultipleLanguages"))
    if bool(params.get("LanguageCode")) == identify:
        raise _bad_request("Specify either LanguageCode or IdentifyLanguage/IdentifyMultipleLanguages, "
                           "but not both.")
    if identify and params.get("LanguageOptions") is not None and len(params["LanguageOptions"]) < 2:
        raise _bad_request("LanguageOptions must include at least two language codes.")
    settings = params.get("JobExecutionSettings") or {}
    if settings.get("AllowDeferredExecution"):
        role = settings.get("DataAccessRoleArn")
        if not role:
            raise _bad_request("DataAccessRoleArn is required when AllowDeferredExecution is true.")
        _s3, iam = _clients()
        try:
            iam.get_role(RoleName=str(role).rsplit("/", 1)[-1])
        except Exception as error:
            raise _bad_request(f"The data access role {role} couldn't be assumed: it doesn't exist."
                               ) from error
    bucket = params.get("OutputBucketName")
    if bucket:
        s3, _iam = _clients()
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception as error:
            raise _bad_request(f"The output bucket {bucket} doesn't exist or isn't accessible.") from error


@standin("transcribe", "StartTranscriptionJob")
def start_transcription_job(params: dict[str, Any]) -> dict[str, Any]:
    """Queue a job; nothing is read until the job is polled."""
    _validate(params)
    name = params["TranscriptionJobName"]
    deferred = bool((params.get("JobExecutionSettings") or {}).get("AllowDeferredExecution"))
    with _lock:
        if name in JOBS:
            raise ServiceError("ConflictException",
                               "The requested job name already exists. Use a different job name.")
        active = sum(1 for job in JOBS.values() if job["TranscriptionJobStatus"] in ("QUEUED", "IN_PROGRESS"))
        if active >= CONCURRENT_JOB_LIMIT and not deferred:
            raise ServiceError("LimitExceededException",
                               "You have exceeded the number of concurrent transcription jobs (100). Set "
                               "JobExecutionSettings.AllowDeferredExecution to queue the job instead.")
        job: dict[str, Any] = {
            "TranscriptionJobName": name,
            "TranscriptionJobStatus": "QUEUED",
            "MediaFormat": params.get("MediaFormat"),
            "Media": {"MediaFileUri": params["Media"]["MediaFileUri"]},
            "CreationTime": time.time(),
            "Settings": params.get("Settings") or {"ChannelIdentification": False, "ShowAlternatives": False},
        }
        for member in ("LanguageCode", "JobExecutionSettings", "IdentifyLanguage",
                       "IdentifyMultipleLanguages", "LanguageOptions", "Tags"):
            if params.get(member) is not None:
                job[member] = params[member]
        job["_output"] = (params.get("OutputBucketName"), params.get("OutputKey"))
        JOBS[name] = job
    return {"TranscriptionJob": _public(job)}


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in job.items() if not key.startswith("_")}


def _output_location(job: dict[str, Any]) -> tuple[str | None, str]:
    bucket, key = job["_output"]
    name = job["TranscriptionJobName"]
    if not key:
        key = f"{name}.json"
    elif key.endswith("/"):
        key = f"{key}{name}.json"
    return bucket, key


def transcript_document(job_name: str, text: str, language_code: str) -> dict[str, Any]:
    """Build the transcript JSON Transcribe writes for ``text`` (one pronunciation item per word)."""
    items, clock = [], 0.0
    for token in _TOKEN.findall(text):
        if re.fullmatch(r"[.,!?;:\u2026]", token):
            items.append({"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": token}]})
            continue
        items.append({
            "type": "pronunciation",
            "start_time": f"{clock:.3f}", "end_time": f"{clock + SECONDS_PER_WORD:.3f}",
            "alternatives": [{"confidence": "0.99", "content": token}],
        })
        clock += SECONDS_PER_WORD
    return {
        "jobName": job_name, "accountId": ACCOUNT_ID, "status": "COMPLETED",
        "results": {"language_code": language_code, "transcripts": [{"transcript": text}], "items": items},
    }


def _complete(job: dict[str, Any]) -> None:
    """Read the media, decide the language, write the transcript (or fail the job)."""
    s3, _iam = _clients()
    media_bucket, media_key = _parse_s3_uri(job["Media"]["MediaFileUri"])
    job["CompletionTime"] = time.time()
    try:
        body = s3.get_object(Bucket=media_bucket, Key=media_key)["Body"].read()
    except Exception:
        job["TranscriptionJobStatus"] = "FAILED"
        job["FailureReason"] = ("The URI that you provided doesn't point to an S3 object. Make sure that the "
                                "object exists and try your request again.")
        return
    try:
        text = " ".join(body.decode("utf-8").split())
    except UnicodeDecodeError:
        job["TranscriptionJobStatus"] = "FAILED"
        job["FailureReason"] = ("Unsupported audio: the media couldn't be decoded (the local Transcribe "
                                "stand-in transcribes media whose body is UTF-8 text).")
        return
    if job.get("IdentifyLanguage") or job.get("IdentifyMultipleLanguages"):
        options = job.get("LanguageOptions") or ["en-US", "fr-FR", "es-ES", "de-DE"]
        code, score = guess_language(text, options)[0]
        job["LanguageCode"] = code
        job["IdentifiedLanguageScore"] = score
    bucket, key = _output_location(job)
    document = transcript_document(job["TranscriptionJobName"], text, job["LanguageCode"])
    if bucket:
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document, ensure_ascii=False).encode("utf-8"),
                      ContentType="application/json")
        uri = f"https://s3.{REGION}.amazonaws.com/{bucket}/{key}"
    else:  # service-managed bucket: a presigned-looking URI the caller cannot read locally
        uri = f"https://s3.{REGION}.amazonaws.com/aws-transcribe-{REGION}-prod/{ACCOUNT_ID}/{key}"
    job["_document"] = document
    job["Transcript"] = {"TranscriptFileUri": uri}
    job["TranscriptionJobStatus"] = "COMPLETED"


def _advance(job: dict[str, Any]) -> None:
    status = job["TranscriptionJobStatus"]
    if status == "QUEUED":
        job["TranscriptionJobStatus"] = "IN_PROGRESS"
        job["StartTime"] = time.time()
    elif status == "IN_PROGRESS":
        _complete(job)


@standin("transcribe", "GetTranscriptionJob")
def get_transcription_job(params: dict[str, Any]) -> dict[str, Any]:
    """Describe a job, advancing it one step (QUEUED → IN_PROGRESS → COMPLETED/FAILED)."""
    name = params.get("TranscriptionJobName")
    with _lock:
        job = JOBS.get(name)
        if job is None:
            raise _bad_request("The requested job couldn't be found. Check the job name and try your request "
                               "again.")
        _advance(job)
        return {"TranscriptionJob": _public(job)}


@standin("transcribe", "ListTranscriptionJobs")
def list_transcription_jobs(params: dict[str, Any]) -> dict[str, Any]:
    """Summaries of the jobs, newest first, filtered by ``Status`` and ``JobNameContains`` (no paging)."""
    status, contains = params.get("Status"), params.get("JobNameContains")
    with _lock:
        jobs = sorted(JOBS.values(), key=lambda job: job["CreationTime"], reverse=True)
        summaries = [
            {key: job[key] for key in ("TranscriptionJobName", "CreationTime", "StartTime", "CompletionTime",
                                       "LanguageCode", "TranscriptionJobStatus", "FailureReason",
                                       "IdentifyLanguage", "IdentifiedLanguageScore") if key in job}
            | {"OutputLocationType": "CUSTOMER_BUCKET" if job["_output"][0] else "SERVICE_BUCKET"}
            for job in jobs
            if (not status or job["TranscriptionJobStatus"] == status)
            and (not contains or contains.lower() in job["TranscriptionJobName"].lower())
        ]
    limit = int(params.get("MaxResults") or 100)
    response: dict[str, Any] = {"TranscriptionJobSummaries": summaries[:limit]}
    if status:
        response["Status"] = status
    return response


@standin("transcribe", "DeleteTranscriptionJob")
def delete_transcription_job(params: dict[str, Any]) -> dict[str, Any]:
    """Forget a job (its transcript stays in the output bucket, as in AWS)."""
    with _lock:
        if JOBS.pop(params.get("TranscriptionJobName"), None) is None:
            raise _bad_request("The requested job couldn't be found. Check the job name and try your request "
                               "again.")
    return {}
