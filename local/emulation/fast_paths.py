"""Speed: the same requests and answers, with less work per request (behaviour unchanged).

Every in-process SDK call (a Task state, a rule's delivery, a Lambda handler's client, a test's client) goes
botocore → moto → botocore: the request is serialised and signed, moto finds the service by URL, builds a
request object, looks the action up, renders the answer, and botocore parses it. Each patch here removes work
that gives the same result every time, measured with py-spy and yappi on ``python -m local bench``:

- :func:`_cache_response_method_names`: moto listed a response class's methods (``inspect.getmembers``) on
  every request;
- :func:`_resolve_request_urls_once`: moto matched each URL against every service's patterns, then rebuilt
  and recompiled the service's URL table, on every request;
- :func:`_sign_intercepted_requests_cheaply`: SigV4 signatures were computed for requests moto intercepts
  in-process and never checks;
- :func:`_one_sns_signing_certificate`: SNS made an RSA key per subscription and a certificate per message.

Each has a test in ``tests/unit/test_fast_paths.py`` that the answer is the one moto gave without it.
"""

from __future__ import annotations

import functools
import math
from typing import Any


def _cache_response_method_names() -> None:
    """Moto listed the methods of the response class (``inspect.getmembers``) on every request.

    The methods of a class do not change once the engine is installed (the adaptations replace methods, they
    add none after start-up), so the list is kept per class.
    """
    from moto.core import responses

    responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)


def _resolve_request_urls_once() -> None:
    """Moto tried every service's URL patterns on each request, then rebuilt and recompiled its URL table.

    Which handler serves a URL depends only on the URL without its query string and on moto's static tables,
    so the resolution is kept (the most recent 8,192 URLs); passthrough and the service allow-list are still
    checked on each request, and URLs moto does not serve still get moto's own answer.
    """
    import re

    from moto.core import botocore_stubber as stubber
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request

    @functools.lru_cache(maxsize=8192)
    def resolve(clean_url: str) -> tuple[tuple[str, ...], Any] | None:
        """The services whose pattern matches, in moto's order, up to the one that serves; and its handler."""
        from moto import backends
        from moto.core import DEFAULT_ACCOUNT_ID

        matching: list[str] = []
        for service, pattern in stubber.backend_index.backend_url_patterns:
            if not pattern.match(clean_url):
                continue
            matching.append(service)
            backend_dict = backends.get_backend(service)
            if isinstance(backend_dict, stubber.BackendDict):
                regions = backend_dict[DEFAULT_ACCOUNT_ID]
                backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
            else:
                backend = backend_dict["global"]
            for url, method_to_execute in backend.urls.items():
                if re.compile(url).match(clean_url):
                    return tuple(matching), method_to_execute
        return None

    def process_request(self, request):
        parsed_url, _ = stubber.get_equivalent_url_in_aws_domain(request.url)
        clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
        found = None if stubber.passthrough_url(clean_url) else resolve(clean_url)
        if found is None:
            return original(self, request)  # moto's own answer: passthrough, 404, or a URL it does not serve
        services, method_to_execute = found
        for service in services:  # the checks moto makes on its way to the serving service
            if stubber.passthrough_service(service):
                return None
            if not stubber.service_whitelisted(service):
                raise stubber.ServiceNotWhitelisted(service)
        from moto.core.exceptions import HTTPException
        from moto.moto_api import recorder

        normalized_request = stubber.normalize_request(request)
        try:
            recorder._record_request(normalized_request)
            return method_to_execute(normalized_request, normalized_request.raw_url, normalized_request.headers)
        except HTTPException as error:
            return error.code, error.get_headers(), error.get_body()

    BotocoreStubber.process_request = process_request


def _sign_intercepted_requests_cheaply() -> None:
    """SigV4 signed every in-process request (hashing the body, canonicalising the headers) for moto to ignore.

    A request to ``*.amazonaws.com`` made while the engine's ``mock_aws`` is active never leaves the process:
    moto answers it and reads from the ``Authorization`` header only the access key and the region (moto checks
    signatures only when its IAM authentication is switched on, which the engine never does). Such requests
    get the same headers (``X-Amz-Date``, ``Authorization`` with credential scope and signed headers) with an
    all-zero signature. Everything else (S3's own signer, presigned URLs, requests to the ``serve`` endpoint
    or that moto passes through) is signed as before.
    """
    from botocore import auth
    from moto import settings
    from moto.core import config
    from moto.core.models import botocore_stubber

    original = auth.SigV4Auth.add_auth
    unchecked = "0" * 64

    def intercepted(url: str) -> bool:
        if not botocore_stubber.enabled or not math.isinf(settings.INITIAL_NO_AUTH_ACTION_COUNT):
            return False
        passthrough = config.default_user_config.get("core", {}).get("passthrough", {})
        if passthrough.get("services") or passthrough.get("urls"):
            return False
        host = url.split("/", 3)[2].rsplit(":", 1)[0] if "://" in url else ""
        return host.endswith(".amazonaws.com")

    def add_auth(self, request) -> None:
        if type(self) is not auth.SigV4Auth or not intercepted(request.url):
            return original(self, request)
        if self.credentials is None:
            raise auth.NoCredentialsError()
        request.context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        self._inject_signature_to_request(request, unchecked)
        return None

    auth.SigV4Auth.add_auth = add_auth


def _build_plain_requests_directly() -> None:
    """Moto turned each intercepted request into a werkzeug request through werkzeug's test ``EnvironBuilder``.

    For the requests SDK clients send (bytes or no body, an ASCII URL with nothing to quote or decode) the WSGI
    environment is built here as ``EnvironBuilder`` builds it, key for key and in the same order; any other
    request (a streamed or chunked body, a path with ``%`` or non-ASCII characters…) still goes through werkzeug.
    """
    import re
    import sys
    from io import BytesIO
    from urllib.parse import urlparse

    from moto.core import request as moto_request

    original = moto_request.Request.from_primitives.__func__
    plain_path = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,/:;=@]*")
    plain_host = re.compile(r"[a-z0-9.\-]+(?::[1-9][0-9]*)?")
    newline = re.compile(r"[\r\n]")

    def header_items(headers: Any) -> list[tuple[str, str]] | None:
        items = []
        for key, raw in headers.items():
            value = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            if newline.search(value):
                return None  # werkzeug refuses it: let it
            if key.lower() not in ("transfer-encoding", "content-length"):
                items.append((key, value))
        return items

    def body_stream(body: bytes | None, mimetype: str | None) -> tuple[BytesIO, str | None] | None:
        if body:
            return BytesIO(body), str(len(body))
        if mimetype == "multipart/form-data":
            return None
        if mimetype == "application/x-www-form-urlencoded":
            return BytesIO(b""), "0"
        return BytesIO(), None

    def environ_for(method: str, url: str, headers: Any, body: Any) -> dict[str, Any] | None:
        parsed = urlparse(url)
        items = header_items(headers) if body is None or isinstance(body, bytes) else None
        if (items is None or parsed.scheme not in ("http", "https") or parsed.params or parsed.fragment
                or not plain_host.fullmatch(parsed.netloc) or not plain_path.fullmatch(parsed.path)
                or parsed.path.startswith("//") or not parsed.query.isascii()):
            return None
        content_type = next((value for key, value in items if key.lower() == "content-type"), None)
        stream = body_stream(body, content_type.partition(";")[0].strip() if content_type else None)
        if stream is None:
            return None
        server_name, _, port = parsed.netloc.partition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": parsed.path,
            "QUERY_STRING": parsed.query, "REQUEST_URI": parsed.path, "RAW_URI": parsed.path,
            "SERVER_NAME": server_name, "SERVER_PORT": port or ("443" if parsed.scheme == "https" else "80"),
            "HTTP_HOST": parsed.netloc, "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0),
            "wsgi.url_scheme": parsed.scheme, "wsgi.input": stream[0], "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if stream[1] is not None:
            environ["CONTENT_LENGTH"] = stream[1]
        combined: dict[str, list[str]] = {}
        for key, value in items:
            if key.lower() != "content-type":
                combined.setdefault(f"HTTP_{key.upper().replace('-', '_')}", []).append(value)
        environ.update((key, ", ".join(values)) for key, values in combined.items())
        return environ

    def from_primitives(cls, method: str, url: str, headers: Any, body: Any = None):
        environ = environ_for(method, url, headers, body)
        if environ is None:
            return original(cls, method, url, headers, body)
        request = cls(environ)
        request.environ[moto_request.PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {
            moto_request.environ_key_for_header(key): key
            for key in headers if moto_request.should_preserve_original_header_name(key)
        }
        request.environ.setdefault("CONTENT_LENGTH", "0")
        return request

    moto_request.Request.from_primitives = classmethod(from_primitives)


def install() -> None:
    """Install the fast paths (idempotent through :func:`local.emulation.apply`)."""
    _cache_response_method_names()
    _resolve_request_urls_once()
    _sign_intercepted_requests_cheaply()
    _build_plain_requests_directly()
