"""Speed: the same requests and answers, with less work per request (behaviour unchanged).

Every in-process SDK call (a Task state, a rule's delivery, a Lambda handler's client, a test's client) goes
botocore → moto → botocore: the request is serialised and signed, moto finds the service by URL, builds a
request object, looks the action up, renders the answer, and botocore parses it. Each patch here removes work
that gives the same result every time, measured with py-spy and yappi on ``python -m local bench``:

- :func:`_cache_response_method_names`: moto listed a response class's methods (``inspect.getmembers``) on
  every request;
- :func:`_draw_request_ids_in_one_pass`, :func:`_look_for_request_ids_only_where_there_are`: each response's
  request id took 52 calls to ``random.choice`` and a regular expression run over the whole body;
- :func:`_resolve_request_urls_once`: moto matched each URL against every service's patterns, then rebuilt
  and recompiled the service's URL table, on every request;
- :func:`_sign_intercepted_requests_cheaply`: SigV4 signatures were computed for requests moto intercepts
  in-process and never checks;
- :func:`_build_plain_requests_directly`: moto built each request object through werkzeug's test client;
- :func:`_list_moto_modules_once`: the HTTP endpoint listed moto's package folder on every request;
- :mod:`local.emulation.fast_requests`: the hand-over of each request between botocore and moto;
- :mod:`local.emulation.fast_responses`: moto's response serializer looking every member of every answer up;
- :mod:`local.emulation.fast_services`: SQS, SNS and EventBridge doing more work per message than needed;
- :mod:`local.emulation.fast_dynamodb`: a DynamoDB Scan copying every item it read, update and condition
  expressions parsed twice, update expressions validated in passes that walked every subtree again.

Each has a test in ``tests/unit/test_fast_paths.py`` (DynamoDB: ``tests/unit/test_fast_dynamodb.py``)
that the answer is the one moto gave without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

#: moto's own ``Request.from_primitives`` (werkzeug's builder), kept by :func:`_build_plain_requests_directly`.
werkzeug_from_primitives: Callable[..., Any] | None = None


def _cache_response_method_names() -> None:
    """Moto listed the methods of the response class (``inspect.getmembers``) on every request.

    The methods of a class do not change once the engine is installed (the adaptations replace methods, they
    add none after start-up), so the list is kept per class; so is each action's snake_case name.
    """
    from moto.core import responses

    responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)
    responses.camelcase_to_underscores = functools.lru_cache(maxsize=4096)(responses.camelcase_to_underscores)


def _look_for_request_ids_only_where_there_are() -> None:
    """Every response body went through a regular expression that puts the request id into ``<RequestId>``.

    The pattern's look-behind is tried at every character: about 100 µs for a 10 KB JSON body, which has no
    ``<RequestId>`` element at all. The substitution now runs only on a body that contains one.
    """
    import re

    from moto.core.responses import BaseResponse
    from moto.utilities.aws_headers import gen_amzn_requestid_long

    request_id_element = re.compile(r"(?<=<RequestId>).*(?=<\/RequestId>)")

    def enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if "status" in headers:
            headers["status"] = str(headers["status"])
        request_id = gen_amzn_requestid_long(headers)
        if isinstance(body, str) and "<RequestId>" in body:  # other bodies: moto's re.sub found or raised nothing
            body = request_id_element.sub(request_id, body)
        return headers, body

    BaseResponse._enrich_response = staticmethod(enrich_response)


def _draw_request_ids_in_one_pass() -> None:
    """Every response's 52-character request id was drawn with one ``random.choice`` call per character.

    The same draws from moto's random source (so a seeded moto gives the same ids): ``choice`` is
    ``seq[_randbelow(len(seq))]``, and ``_randbelow`` draws ``len(seq).bit_length()`` bits until they are below
    ``len(seq)``; the loop is now written out here (a random source with a ``_randbelow`` of its own keeps it).
    """
    import random
    import string

    from moto.moto_api._internal.moto_random import MotoRandom

    def get_random_string(self, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
        pool = string.ascii_letters + (string.digits if include_digits else "")
        size = len(pool)
        if type(self)._randbelow is not random.Random._randbelow_with_getrandbits:
            draw = self._randbelow
            random_str = "".join([pool[draw(size)] for _ in range(length)])
        else:
            bits, width, drawn = self.getrandbits, size.bit_length(), []
            for _ in range(length):
                index = bits(width)
                while index >= size:
                    index = bits(width)
                drawn.append(pool[index])
            random_str = "".join(drawn)
        return random_str.lower() if lower_case else random_str

    MotoRandom.get_random_string = get_random_string


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

    from local.emulation.fast_requests import answered_in_process, unchecked_authorization

    original = auth.SigV4Auth.add_auth

    def add_auth(self, request) -> None:
        if type(self) is not auth.SigV4Auth or not answered_in_process(request.url):
            return original(self, request)
        if self.credentials is None:
            raise auth.NoCredentialsError()
        request.context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        request.headers["Authorization"] = unchecked_authorization(self.scope(request), request.headers)
        return None

    auth.SigV4Auth.add_auth = add_auth


@functools.lru_cache(maxsize=1)
def plain_request_class() -> type:
    """The moto ``Request`` class of the requests built here (its raw URL is the URL botocore sent)."""
    from moto.core.request import Request

    class PlainRequest(Request):
        """A request built from a plain URL: its raw URL is that URL (werkzeug rebuilt it, twice per request)."""

        raw_url = property(lambda self: self._plain_raw_url)

    return PlainRequest


def _plain_request(cls: type, environ: dict[str, Any], url: str) -> Any:
    from urllib.parse import urlparse

    from moto.core.request import Request

    plain = urlparse(url)
    if cls is not Request or environ["HTTP_HOST"] != plain.netloc:  # a subclass, or a Host header of its own
        return cls(environ)
    request = plain_request_class()(environ)
    request._plain_raw_url = f"{plain.scheme}://{plain.netloc}{plain.path}" + (f"?{plain.query}" if plain.query else "")
    return request


def _build_plain_requests_directly() -> None:
    """Moto turned each intercepted request into a werkzeug request through werkzeug's test ``EnvironBuilder``.

    For the requests SDK clients send (bytes, text or no body, an ASCII URL with nothing to quote or decode) the WSGI
    environment is built here as ``EnvironBuilder`` builds it, key for key and in the same order; any other
    request (a streamed or chunked body, a path with ``%`` or non-ASCII characters…) still goes through werkzeug.
    """
    import re
    import sys
    from io import BytesIO
    from urllib.parse import urlparse

    from moto.core import request as moto_request

    global werkzeug_from_primitives  # noqa: PLW0603 - kept for the equivalence test
    original = werkzeug_from_primitives = moto_request.Request.from_primitives.__func__
    plain_path = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,/:;=@]*")
    plain_host = re.compile(r"[a-z0-9.\-]+(?::[1-9][0-9]*)?")

    def header_items(headers: Any) -> list[tuple[str, str]] | None:
        items = []
        for key, raw in headers.items():
            value = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            if "\n" in value or "\r" in value:
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
        if isinstance(body, str):
            body = body.encode()  # as werkzeug encodes a text body (query-protocol APIs send one)
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
        request = _plain_request(cls, environ, url)
        request.environ[moto_request.PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {
            moto_request.environ_key_for_header(key): key
            for key in headers if moto_request.should_preserve_original_header_name(key)
        }
        request.environ.setdefault("CONTENT_LENGTH", "0")
        return request

    moto_request.Request.from_primitives = classmethod(from_primitives)


def _list_moto_modules_once() -> None:
    """The HTTP endpoint listed moto's package folder (a directory read and ~150 ``stat`` calls) per request.

    moto's server checks whether the ``Host`` header names one of its service packages; the folder does not change
    while the process runs, so it is listed once.
    """
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def install() -> None:
    """Install the fast paths (idempotent through :func:`local.emulation.apply`)."""
    from local.emulation import fast_dynamodb, fast_requests, fast_responses, fast_services

    fast_services.install()
    fast_dynamodb.install()
    fast_responses.install()
    _cache_response_method_names()
    _draw_request_ids_in_one_pass()
    _look_for_request_ids_only_where_there_are()
    _resolve_request_urls_once()
    _sign_intercepted_requests_cheaply()
    _build_plain_requests_directly()
    fast_requests.install(plain_request_class())
    _list_moto_modules_once()
