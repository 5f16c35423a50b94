"""One HTTP endpoint for the local stack: the Step Functions API and every other service's API.

It is moto's own server application, in this process, so it shares the stack's state; requests for APIs
moto lacks are answered by the stand-ins in :mod:`local.standins` (routed by ``X-Amz-Target``).
"""

from __future__ import annotations

import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from local import standins
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


class LocalServer:
    """The endpoint, served from a background thread until :meth:`stop`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = served_api.ProtocolChecks(_StandinMiddleware(DomainDispatcherApplication(create_backend_app)))
        self._server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The URL clients use (``--endpoint-url``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

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
