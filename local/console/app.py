"""The console's WSGI application, mounted by :mod:`local.server` under ``/_console/``.

Routes (``<console>`` is ``<endpoint>/_console/``):

* ``<console>``, ``<console>state-machines/<url-encoded stateMachineArn>``,
  ``<console>executions/<url-encoded executionArn>``: the page (one HTML file; the script reads the path);
* ``<console>static/<file>``: the script, style sheet and icon shipped in this package;
* ``<console>api/config`` (region and account), ``api/samples?stateMachineArn=…``, ``api/test-cases?stateMachineArn=…``,
  ``api/task-tokens?executionArn=…`` (GET) and ``api/layout`` (POST a definition as ``application/json``):
  the read-only helpers of :mod:`local.console.helpers`.

Every action on executions goes through the Step Functions API on the same endpoint, as the AWS SDK calls it,
never through these routes. The console answers only requests addressed to a loopback host name (a page of
another site that renames itself to 127.0.0.1 cannot read it), and its pages may only run their own files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from local.console import helpers
from local.stack.template import ACCOUNT_ID, REGION

PREFIX = "/_console/"
STATIC = Path(__file__).resolve().parent / "static"
PAGES = re.compile(r"^(?:|state-machines/[^/]+|executions/[^/]+)$")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
         ".html": "text/html; charset=utf-8"}
HEADERS = {
    # Only the console's own files run, style or connect; no inline script, no framing, no form posts.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
LAYOUT_LIMIT = 1024 * 1024  # bytes: Step Functions refuses definitions over 1 MiB


def host_name(host: str) -> str:
    """``127.0.0.1:8083`` → ``127.0.0.1``; ``[::1]:8083`` → ``::1``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    """Whether a ``Host`` header names this machine's loopback interface."""
    name = host_name(host).lower()
    return name in LOOPBACK or name.startswith("127.")


class ConsoleApp:
    """Serves the console of one running :class:`local.stack.Stack`."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """WSGI entry point."""
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:  # noqa: PLR0911 - one return per kind of route
        """The response to one request under :data:`PREFIX`."""
        if not is_loopback(request.host):
            return self._error(403, "the console answers on loopback addresses only (127.0.0.1, localhost)")
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX) else None
        if path is None:
            return self._with_headers(Response(status=308, headers={"Location": PREFIX}))
        if path.startswith("api/"):
            return self._api(request, path[4:])
        if request.method not in ("GET", "HEAD"):
            return self._error(405, f"{request.method} is not served here")
        if PAGES.match(path):
            return self._file(STATIC / "index.html")
        if path.startswith("static/"):
            name = path[len("static/"):]
            if re.fullmatch(r"[a-z0-9-]+\.(?:js|css|svg)", name) and (STATIC / name).is_file():
                return self._file(STATIC / name)
        return self._error(404, f"no console page at {PREFIX}{path}")

    # --- helpers -----------------------------------------------------------------------------------------------

    def _api(self, request: Request, name: str) -> Response:
        if name == "layout":
            return self._layout(request)
        handler = {"config": self._config, "samples": self._samples, "test-cases": self._test_cases,
                   "task-tokens": self._task_tokens}.get(name)
        if handler is None:
            return self._error(404, f"no console helper {name!r}")
        if request.method not in ("GET", "HEAD"):
            return self._error(405, f"{request.method} is not served here")
        return handler(request.args)

    def _layout(self, request: Request) -> Response:
        if request.method != "POST":
            return self._error(405, "POST the definition as application/json")
        if request.mimetype != "application/json":
            return self._error(415, "the definition is sent as application/json")
        if (request.content_length or 0) > LAYOUT_LIMIT:
            return self._error(413, "a definition is at most 1 MiB")
        try:
            return self._json(helpers.layout(request.get_data(as_text=True)))
        except ValueError as error:  # JSONDecodeError included
            return self._error(400, f"not a state machine definition: {error}")

    def _config(self, _args: Any) -> Response:
        return self._json({"region": REGION, "accountId": ACCOUNT_ID})

    def _samples(self, args: Any) -> Response:
        folder = helpers.workflow_folder(self.stack.template, args.get("stateMachineArn", ""))
        return self._json({"workflow": folder.name if folder else None, "samples": helpers.samples(folder)})

    def _test_cases(self, args: Any) -> Response:
        return self._json({"testCases": helpers.test_cases(self.stack.mock_config, args.get("stateMachineArn", ""))})

    def _task_tokens(self, args: Any) -> Response:
        arn = args.get("executionArn", "")
        tokens = helpers.task_tokens(arn)
        if tokens is None:
            return self._error(404, f"no execution {arn}")
        return self._json({"taskTokens": tokens})

    # --- responses ---------------------------------------------------------------------------------------------

    @staticmethod
    def _with_headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        return response

    def _json(self, body: Any, status: int = 200) -> Response:
        return self._with_headers(Response(json.dumps(body), status=status, mimetype="application/json"))

    def _error(self, status: int, message: str) -> Response:
        return self._json({"message": message}, status)

    def _file(self, path: Path) -> Response:
        return self._with_headers(Response(path.read_bytes(), content_type=TYPES[path.suffix]))
