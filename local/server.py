"""One HTTP endpoint for the local stack: the Step Functions API and every other service's API.

It is moto's own server application, in this process, so it shares the stack's state; requests for APIs
moto lacks are answered by the stand-ins in :mod:`local.standins` (routed by ``X-Amz-Target``), and
``/_console/`` is the console (:mod:`local.console`).

Browsers: a request carrying an ``Origin`` other than the endpoint's own loopback origin is refused, and no
response allows other origins (moto's server allows every origin by default), so a page of another site can
neither call the APIs nor read their answers. Clients other than browsers send no ``Origin``.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from local import standins
from local.console import PREFIX, ConsoleApp
from local.console.app import is_loopback
from local.emulation import lambda_zip_runtime, served_api


class _StandinMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        found = standins.resolve(environ.get("HTTP_X_AMZ_TARGET"))
        if found is None:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        status, headers, text = standins.dispatch(found[2], body)
        start_response(f"{status} {'OK' if status == 200 else 'Error'}", list(headers.items()))
        return [text.encode()]


class _BrowserGuard:
    """Same-origin only: refuse foreign ``Origin`` headers, drop the CORS headers moto adds; mount the console."""

    def __init__(self, app: Any, console: ConsoleApp | None) -> None:
        self.app, self.console = app, console

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        origin, host = environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST", "")
        if origin is not None and not (origin == f"http://{host}" and is_loopback(host)):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"cross-origin requests are refused: call this endpoint from its own pages or from a client\n"]
        path = environ.get("PATH_INFO", "")
        if self.console is not None and (path == PREFIX.rstrip("/") or path.startswith(PREFIX)):
            return self.console(environ, start_response)

        def without_cors(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, *exc_info)

        return self.app(environ, without_cors)


class LocalServer:
    """The endpoint, served from a background thread until :meth:`stop`; with ``stack``, the console too."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, stack: Any = None) -> None:
        api = served_api.ProtocolChecks(_StandinMiddleware(DomainDispatcherApplication(create_backend_app)))
        app = _BrowserGuard(api, ConsoleApp(stack) if stack is not None else None)
        self.app = app  # the WSGI application, for tests that call it without a socket
        self._server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        # The serving loop looks for stop() between waits for a connection: 0.5 s each by default, which every
        # stop (and so every served test session) waited through.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def endpoint(self) -> str:
        """The URL clients use (``--endpoint-url``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def console(self) -> str:
        """The console's URL (on 127.0.0.1 when serving every interface: the console answers loopback names only)."""
        host, port = self._server.server_address[:2]
        return (f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "::") else self.endpoint) + PREFIX

    def start(self) -> LocalServer:
        """Serve from a daemon thread."""
        self._thread.start()
        lambda_zip_runtime.endpoint_url = self.endpoint  # functions created through the API call this endpoint
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        lambda_zip_runtime.endpoint_url = None
        self._server.shutdown()
        self._server.server_close()
