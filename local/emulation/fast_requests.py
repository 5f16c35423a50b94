"""Speed: the requests between botocore and moto, with less work per request (installed by ``fast_paths``).

Every in-process SDK call hands its request from botocore to moto and the answer back; measured with cProfile
on ``python -m local bench``, about a third of a call went into the hand-over itself:

- :func:`_index_headers_by_lower_case_name`: botocore's case-insensitive header dictionary wrapped every key
  in an object of its own on every lookup (about 35 per call);
- :func:`_skip_form_parsing_of_bodies_that_are_no_form`: moto reads each body through werkzeug's form
  parser, which ends, for a body that is no form (every JSON request), where it starts;
- :func:`_read_access_keys_once_per_header`: moto searched the ``Authorization`` header for the access key
  with a regular expression, twice per request;
- :func:`_write_date_headers_once_per_second`: every answer formatted its ``Date`` header anew.

Each has a test in ``tests/unit/test_fast_paths.py`` that the result is the one botocore or moto gave.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import ItemsView, Iterator
from typing import Any

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


def _skip_form_parsing_of_bodies_that_are_no_form(plain_request: type) -> None:
    """Werkzeug built a form parser for every body, parsed the content type, and handed a JSON body back unread.

    werkzeug's parser reads ``multipart/form-data`` and ``application/x-www-form-urlencoded`` bodies and hands
    any other back unread. For a request built by :mod:`local.emulation.fast_paths` whose content type names no
    form, the stream, form and files are set as the parser sets them; a content type that mentions a form, and a
    request with a content-length limit, still go through werkzeug.
    """
    from werkzeug.wrappers import Request as WerkzeugRequest

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        content_type = self.environ.get("CONTENT_TYPE")
        if self.max_content_length is not None or (content_type and "form" in content_type.lower()):
            WerkzeugRequest._load_form_data(self)
            return
        stream = self._get_stream_for_parsing() if content_type else self.stream
        self.__dict__.update(stream=stream, form=self.parameter_storage_class(),
                             files=self.parameter_storage_class())

    plain_request._load_form_data = _load_form_data


def _read_access_keys_once_per_header() -> None:
    """Moto searched the ``Authorization`` header for the access key (twice per request, in each response).

    What the search finds depends only on the pattern and the header's text; the answer is kept for the most
    recent 1,024 headers. A request without one still falls back as moto does.
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
        if isinstance(authorization, str):
            found = access_key_in(self.access_key_regex, authorization)
            if found is not None:
                return found
        return original(self)

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


def install(plain_request: type) -> None:
    """Install the request fast paths (``fast_paths.install`` calls it with its class of plain requests)."""
    _index_headers_by_lower_case_name()
    _skip_form_parsing_of_bodies_that_are_no_form(plain_request)
    _read_access_keys_once_per_header()
    _write_date_headers_once_per_second()


__all__ = ["install"]
