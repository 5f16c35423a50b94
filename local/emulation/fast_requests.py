"""Speed: the requests between botocore and moto, with less work per request (installed by ``fast_paths``).

Every in-process SDK call hands its request from botocore to moto and the answer back; measured with cProfile
on ``python -m local bench``, about a third of a call went into the hand-over itself:

- :func:`_index_headers_by_lower_case_name`: botocore's case-insensitive header dictionary wrapped every key
  in an object of its own on every lookup (about 35 per call);
- :func:`_read_bodies_without_werkzeugs_form_parser`: moto reads each body through werkzeug's form
  parser, which ends, for a body that is no form (every JSON request), where it starts, and reads a
  URL-encoded one (every query-protocol request) with ``parse_qsl`` after parsing its content type;
- :func:`_read_access_keys_once_per_header`: moto searched the ``Authorization`` header for the access key
  with a regular expression, twice per request;
- :func:`_write_date_headers_once_per_second`: every answer formatted its ``Date`` header anew;
- :func:`_send_engine_calls_straight_to_moto`: the engine's own SDK calls went through botocore's signing,
  request preparation and retry checks, for a request moto answers in-process and a client that never retries.

Each has a test in ``tests/unit/test_fast_paths.py`` that the result is the one botocore or moto gave.
"""

from __future__ import annotations

import datetime
import functools
import math
import types
from collections.abc import ItemsView, Iterable, Iterator
from typing import Any

#: The signature of requests moto answers in-process (it reads the credential scope, never the signature).
UNCHECKED_SIGNATURE = "0" * 64

#: botocore's own ``HeadersDict`` methods and moto's ``get_access_key`` and ``http_date``, kept for the tests.
botocore_header_methods: dict[str, Any] = {}
moto_get_access_key: Any = None
moto_http_date: Any = None


def _index_headers_by_lower_case_name() -> None:
    """``HeadersDict`` kept each header under a ``_HeaderKey`` object, made anew for every lookup.

    The same mapping, indexed by the lower-cased name: a header keeps the spelling it was first set with (as
    the dictionary of ``_HeaderKey`` objects kept its first key), and iterates in insertion order.
    """
    from botocore import awsrequest

    botocore_header_methods.update(vars(awsrequest.HeadersDict))

    class HeaderItems(ItemsView):
        def __iter__(self) -> Iterator[tuple[str, Any]]:
            return iter(list(self._mapping._dict.values()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._dict = {}
        self.update(*args, **kwargs)

    def __setitem__(self, key: str, value: Any) -> None:
        lower = key.lower()
        entry = self._dict.get(lower)
        self._dict[lower] = (key if entry is None else entry[0], value)

    def __getitem__(self, key: str) -> Any:
        return self._dict[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._dict[key.lower()]

    def __contains__(self, key: Any) -> bool:
        return key.lower() in self._dict

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in list(self._dict.values()))

    def __len__(self) -> int:
        return len(self._dict)

    def __repr__(self) -> str:
        return repr(dict(self._dict.values()))

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._dict.get(key.lower())
        return default if entry is None else entry[1]

    def items(self) -> ItemsView:
        return HeaderItems(self)

    for method in (__init__, __setitem__, __getitem__, __delitem__, __contains__, __iter__, __len__, __repr__,
                   get, items):
        setattr(awsrequest.HeadersDict, method.__name__, method)


#: The content types of the forms botocore sends (query-protocol calls: EC2, SNS, IAM, STS…).
_URLENCODED_FORMS = ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8")


def _read_bodies_without_werkzeugs_form_parser(plain_request: type) -> None:
    """Werkzeug built a form parser for every body and parsed the content type, for each request.

    werkzeug's parser reads ``multipart/form-data`` and ``application/x-www-form-urlencoded`` bodies and hands
    any other back unread. For a request built by :mod:`local.emulation.fast_paths`, the stream, form and files
    are set as the parser sets them: a body that is no form is handed back unread; a URL-encoded form with the
    content type botocore writes is read as werkzeug's parser reads it (``parse_qsl``, blank values kept,
    undecodable bytes quoted; a body that is no UTF-8 gives an empty form). Other forms, and a request with a
    content-length limit, still go through werkzeug.
    """
    from urllib.parse import parse_qsl

    import werkzeug.formparser  # noqa: F401 - registers the "werkzeug.url_quote" error handler used below
    from werkzeug.wrappers import Request as WerkzeugRequest

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        content_type = self.environ.get("CONTENT_TYPE")
        storage = self.parameter_storage_class
        if self.max_content_length is None and content_type in _URLENCODED_FORMS:
            stream = self._get_stream_for_parsing()
            try:
                form = storage(parse_qsl(stream.read().decode(), keep_blank_values=True,
                                         errors="werkzeug.url_quote"))
            except ValueError:  # werkzeug's parser is silent: the form is empty
                form = storage()
            self.__dict__.update(stream=stream, form=form, files=storage())
            return
        if self.max_content_length is not None or (content_type and "form" in content_type.lower()):
            WerkzeugRequest._load_form_data(self)
            return
        stream = self._get_stream_for_parsing() if content_type else self.stream
        self.__dict__.update(stream=stream, form=storage(), files=storage())

    plain_request._load_form_data = _load_form_data


def _read_access_keys_once_per_header() -> None:
    """Moto searched the ``Authorization`` header for the access key (twice per request, in each response).

    What the search finds depends only on the pattern and the header's text; the answer is kept for the most
    recent 1,024 headers, found or not (keys like ``testing`` are not found: moto then searched again). A request
    without the header still falls back as moto does.
    """
    from moto.core.responses import BaseResponse

    global moto_get_access_key  # noqa: PLW0603 - kept for the equivalence test
    original = moto_get_access_key = BaseResponse.get_access_key

    @functools.lru_cache(maxsize=1024)
    def access_key_in(pattern: Any, authorization: str) -> str | None:
        match = pattern.search(authorization)
        return match.group(1) if match else None

    def get_access_key(self) -> str:
        authorization = self.headers.get("Authorization")
        if not isinstance(authorization, str):
            return original(self)
        found = access_key_in(self.access_key_regex, authorization)
        if found is not None:
            return found
        # What moto's method does once its search of the header found nothing (a key that is not 20 characters
        # of capitals and digits, such as the ``testing`` of most test set-ups): the query string, or its stand-in.
        keys = self.querystring.get("AWSAccessKeyId")
        return keys[0] if keys else "AKIAEXAMPLE"

    BaseResponse.get_access_key = get_access_key


def _write_date_headers_once_per_second() -> None:
    """Moto formatted the ``Date`` header of every answer; the text changes once a second.

    The last text is kept with the second (and offset) it was written for.
    """
    from moto.core import responses

    global moto_http_date  # noqa: PLW0603 - kept for the equivalence test
    original = moto_http_date = responses.http_date
    last: tuple[Any, str] = (None, "")

    def http_date(timestamp: Any = None) -> str:
        nonlocal last
        if not isinstance(timestamp, datetime.datetime):
            return original(timestamp)
        second = timestamp.replace(microsecond=0)  # werkzeug writes the instant, in UTC, to the second
        written_for, text = last
        if written_for != second:
            text = original(timestamp)
            last = (second, text)
        return text

    responses.http_date = http_date


def answered_in_process(url: str) -> bool:
    """Whether moto answers a request to ``url`` in this process, without checking its signature.

    True for an ``*.amazonaws.com`` URL while the engine's ``mock_aws`` intercepts requests, no passthrough is
    configured and moto's IAM authentication is off (the engine never switches it on).
    """
    host = url.split("/", 3)[2].rsplit(":", 1)[0] if "://" in url else ""
    if not host.endswith(".amazonaws.com"):
        return False
    settings, config, stubber = _moto_settings()
    if not stubber.enabled or not math.isinf(settings.INITIAL_NO_AUTH_ACTION_COUNT):
        return False
    passthrough = config.default_user_config.get("core", {}).get("passthrough", {})
    return not (passthrough.get("services") or passthrough.get("urls"))


@functools.cache
def _moto_settings() -> tuple[Any, Any, Any]:
    from moto import settings
    from moto.core import config
    from moto.core.models import botocore_stubber

    return settings, config, botocore_stubber


def unchecked_authorization(scope: str, header_names: Iterable[str]) -> str:
    """The SigV4 ``Authorization`` header botocore writes, signed headers named as it names them, unsigned."""
    from botocore import auth

    signed = {name.lower().strip() for name in header_names if name.lower() not in auth.SIGNED_HEADERS_BLACKLIST}
    return (f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={';'.join(sorted(signed | {'host'}))}, "
            f"Signature={UNCHECKED_SIGNATURE}")


#: The handlers a direct call stands in for: botocore's own, as every client of the engine has them.
_STANDARD_HANDLERS = {
    "request-created": ("RequestSigner.handler", "MaxAttemptsSeeder.seed_max_attempts",
                        "UserAgentString.rebuild_and_replace_user_agent_handler", "add_retry_headers"),
    "choose-signer": ("set_operation_specific_signer", "_set_auth_scheme_preference_signer"),
    "before-sign": (),
    "needs-retry": ("RetryHandler.needs_retry",),
}
#: Protocols whose requests are a method, a URL, headers and a plain body (REST protocols have more to them).
_DIRECT_PROTOCOLS = ("json", "query", "ec2")
#: Headers a request may bring that change how botocore signs or prepares it: such requests take its way.
_HEADERS_OF_THEIR_OWN = ("Authorization", "X-Amz-Date", "Date", "Content-Length", "Transfer-Encoding")


def _standard_handlers(emitter: Any, service_id: str, operation: str) -> bool:
    """Whether the handlers of the events a direct call stands in for are botocore's standard ones.

    The emitter keeps each event's handler list until a handler is registered or unregistered: a list found
    standard once is remembered, so the check is a lookup until then.
    """
    hierarchical = emitter._emitter
    lookups = hierarchical._lookup_cache
    known = hierarchical.__dict__.setdefault("_local_standard_lists", {})  # id → list: held, so ids stay unique
    for event, names in _STANDARD_HANDLERS.items():
        name = f"{event}.{service_id}.{operation}"
        handlers = lookups.get(name)
        if handlers is None:
            handlers = lookups[name] = hierarchical._handlers.prefix_search(name)  # as its emit would
        if id(handlers) in known:
            continue
        if tuple(getattr(handler, "__qualname__", "") for handler in handlers) != names:
            return False
        known[id(handlers)] = handlers
    return True


@functools.lru_cache(maxsize=1024)
def _plain_operation(operation_model: Any) -> bool:
    """An operation of a plain-body protocol without streams (its request is a method, URL, headers, body)."""
    return (operation_model.service_model.resolved_protocol in _DIRECT_PROTOCOLS
            and not (operation_model.has_streaming_input or operation_model.has_streaming_output
                     or operation_model.has_event_stream_input or operation_model.has_event_stream_output))


def _sends_directly(client: Any, request_dict: dict[str, Any], operation_model: Any) -> bool:
    """A call that the standard handlers would sign with SigV4 and never retry, of a plain-body protocol."""
    context, signer, headers = request_dict["context"], client._request_signer, request_dict["headers"]
    credentials = signer._credentials
    if (not _plain_operation(operation_model) or request_dict["method"] in ("GET", "HEAD", "OPTIONS")
            or not isinstance(request_dict["body"], bytes | str | dict | None)
            or context.get("auth_type") not in (None, "v4") or context.get("unsigned_payload")
            or set(context.get("signing", {})) - {"region", "signing_name"} or signer.signature_version != "v4"
            or credentials is None or credentials.token or client.meta.config.auth_scheme_preference
            or client.meta.config.retries.get("total_max_attempts") != 1
            or any(name in headers for name in _HEADERS_OF_THEIR_OWN)
            or not answered_in_process(request_dict["url"])):
        return False
    return _standard_handlers(client.meta.events, operation_model.service_model.service_id.hyphenize(),
                              operation_model.name)


def direct_request(client: Any, request_dict: dict[str, Any], operation_model: Any, endpoint: Any) -> Any:
    """The request botocore's standard handlers and preparation would hand to moto for ``request_dict``.

    The same method, URL and body; the same headers in the same order: the serializer's, ``User-Agent`` as
    its handler rebuilds it, ``X-Amz-Date`` and ``Authorization`` as the SigV4 signer writes them (with the
    unchecked signature), the retry headers of a first and only attempt, and ``Content-Length``.
    """
    from botocore import auth
    from botocore.awsrequest import AWSPreparedRequest, AWSRequestPreparer, HeadersDict

    context, signer = request_dict["context"], client._request_signer
    endpoint._update_retries_context(context, 1)
    retries = context["retries"]
    retries["max"] = client.meta.config.retries["total_max_attempts"]
    timestamp = context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
    signing = context.get("signing", {})
    scope = "/".join([signer._credentials.access_key, timestamp[:8], signing.get("region") or signer._region_name,
                      signing.get("signing_name") or signer._signing_name, "aws4_request"])

    headers = HeadersDict(request_dict["headers"])
    if "User-Agent" in headers:
        headers["User-Agent"] = client._user_agent_creator.to_string()
    headers["X-Amz-Date"] = timestamp
    headers["Authorization"] = unchecked_authorization(scope, headers)
    headers["amz-sdk-invocation-id"] = retries["invocation-id"]
    headers["amz-sdk-request"] = f"attempt={retries['attempt']}; max={retries['max']}"
    preparer = AWSRequestPreparer()  # botocore's own body preparation (a query body's dict is URL-encoded)
    body = preparer._prepare_body(types.SimpleNamespace(data=request_dict["body"]))
    headers["Content-Length"] = str(preparer._determine_content_length(body))
    return AWSPreparedRequest(request_dict["method"], request_dict["url"], headers, body,
                              stream_output=False, context=context)


def send_straight_to_moto(client: Any) -> None:
    """Make ``client``'s calls reach moto as :func:`direct_request`, where :func:`_sends_directly` allows it.

    For the engine's own clients (Step Functions' SDK makes one attempt): the answer still comes through the
    ``before-send`` event (moto's interception) and botocore's parser, ``response-received`` is emitted, and its
    ``ResponseMetadata`` says what the retry handler would (``MaxAttemptsReached``, no retries).
    """
    endpoint = client._endpoint
    send_request = endpoint._send_request

    def _send_request(self: Any, request_dict: dict[str, Any], operation_model: Any) -> Any:
        if not _sends_directly(client, request_dict, operation_model):
            return send_request(request_dict, operation_model)
        request = direct_request(client, request_dict, operation_model, self)
        answer, error = self._get_response(request, operation_model, request_dict["context"])
        if error is not None:
            raise error
        # What the standard retry handler writes when the only attempt was the last one, then the retry count.
        answer[1].setdefault("ResponseMetadata", {})["MaxAttemptsReached"] = True
        answer[1]["ResponseMetadata"]["RetryAttempts"] = 0
        return answer

    endpoint._send_request = types.MethodType(_send_request, endpoint)


def _send_engine_calls_straight_to_moto() -> None:
    """The engine's clients (:func:`local.engine.sdk.sdk_client`) send their calls as :func:`send_straight_to_moto`."""
    from local.engine import sdk

    sdk.new_client_hooks.append(send_straight_to_moto)
    for client in list(sdk.clients()):
        send_straight_to_moto(client)


def install(plain_request: type) -> None:
    """Install the request fast paths (``fast_paths.install`` calls it with its class of plain requests)."""
    _index_headers_by_lower_case_name()
    _read_bodies_without_werkzeugs_form_parser(plain_request)
    _read_access_keys_once_per_header()
    _write_date_headers_once_per_second()
    _send_engine_calls_straight_to_moto()


__all__ = ["answered_in_process", "direct_request", "install", "send_straight_to_moto", "unchecked_authorization"]
