"""The served endpoint answers malformed JSON-protocol requests as AWS does, not with an HTML error page.

A request whose ``X-Amz-Target`` names an operation its service does not have is HTTP 400
``UnknownOperationException``; one whose body is not a JSON object is HTTP 400 ``SerializationException``; both
as JSON, so the AWS CLI and SDKs report the error code. moto answered HTTP 500 with an HTML page (or ran the
operation on an empty request).
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import uuid
from typing import Any

import botocore.exceptions
import botocore.session

# Signing names that differ from the botocore service name.
_SIGNING_TO_SERVICE = {"states": "stepfunctions", "execute-api": "apigateway", "sms-voice": "pinpoint-sms-voice-v2"}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_lock = threading.Lock()


@functools.lru_cache(maxsize=512)
def _model(target_prefix: str, signing_name: str) -> Any:
    """The service model whose JSON target prefix is ``target_prefix``, found from the request's signing name."""
    session = botocore.session.get_session()
    for name in (signing_name, _SIGNING_TO_SERVICE.get(signing_name)):
        if not name:
            continue
        try:
            model = session.get_service_model(name)
        except botocore.exceptions.UnknownServiceError:
            continue
        if model.metadata.get("targetPrefix") == target_prefix:
            return model
    return None


def _error(start_response: Any, code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": f"com.amazon.coral.service#{code}", "message": message}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                       ("x-amzn-RequestId", str(uuid.uuid4())), ("Content-Length", str(len(body)))])
    return [body]


class ProtocolChecks:
    """WSGI middleware in front of the local services: checks JSON-protocol requests before they are dispatched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Answer a malformed request, or pass the request on (its body put back)."""
        target = environ.get("HTTP_X_AMZ_TARGET")
        scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
        if not target or "." not in target or scope is None or not environ.get("CONTENT_LENGTH"):
            return self.app(environ, start_response)
        prefix, operation = target.rsplit(".", 1)
        with _lock:  # concurrent first requests would each read the model
            model = _model(prefix, scope.group(1))
        if model is None or model.metadata.get("protocol") != "json":
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        environ["wsgi.input"] = io.BytesIO(body)
        if operation not in model.operation_names:
            return _error(start_response, "UnknownOperationException", f"Unknown operation {target}")
        if body.strip():
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                return _error(start_response, "SerializationException", "The request body is not a JSON object")
        return self.app(environ, start_response)
