"""Local stand-ins for AWS APIs that moto lacks (or answers with canned data).

A stand-in is a plain function registered for one ``(boto3 service, operation)``; it takes the request's
members as a dict and returns the response members, or raises :class:`ServiceError`, which reaches the
caller as the API's error (``<Service>.<Code>Exception`` inside a workflow). Only JSON-protocol APIs are
supported, which covers every service the workflows call that moto lacks.

Requests reach stand-ins both in-process (Step Functions tasks, Lambda handlers: through moto's botocore
interception) and over HTTP on ``python -m local serve`` (the server routes by ``X-Amz-Target``).
Every module in this package is imported by :func:`load`; each documents what it simulates.
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import threading
from collections.abc import Callable
from typing import Any

import botocore.session

Handler = Callable[[dict[str, Any]], dict[str, Any]]

_registry: dict[tuple[str, str], Handler] = {}


class ServiceError(Exception):
    """An API error as the service returns it (``code`` like ``ThrottlingException``)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def standin(service: str, operation: str) -> Callable[[Handler], Handler]:
    """Register ``function`` as the local implementation of ``service``'s ``operation``."""

    def register(function: Handler) -> Handler:
        _registry[(service, operation)] = function
        return function

    return register


def reset() -> None:
    """Forget what the stand-ins recorded (sent messages, jobs): every module's ``reset()``, if it has one."""
    for module in pkgutil.iter_modules(__path__):
        found = importlib.import_module(f"{__name__}.{module.name}")
        if hasattr(found, "reset"):
            found.reset()


def load() -> dict[tuple[str, str], Handler]:
    """Import every stand-in module of this package (idempotent)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(_registry)


_models_lock = threading.Lock()


def _services_by_target_prefix() -> dict[str, str]:
    with _models_lock:  # concurrent first requests would each read the models
        return _read_target_prefixes()


@functools.lru_cache(maxsize=1)
def _read_target_prefixes() -> dict[str, str]:
    # Only the services that have stand-ins: loading every model would cost seconds.
    loader = botocore.session.get_session().get_component("data_loader")
    prefixes: dict[str, str] = {}
    for name in {service for service, _ in _registry}:
        metadata = loader.load_service_model(name, "service-2")["metadata"]
        if metadata.get("targetPrefix"):
            prefixes[metadata["targetPrefix"]] = name
    return prefixes


def resolve(target: str | None) -> tuple[str, str, Handler] | None:
    """Find the stand-in for an ``X-Amz-Target`` header (``Prefix.Operation``), if one is registered."""
    if not target or "." not in target:
        return None
    prefix, operation = target.rsplit(".", 1)
    if not any(registered == operation for _, registered in _registry):
        return None  # most requests: no need to read the stand-in services' models
    service = _services_by_target_prefix().get(prefix)
    handler = _registry.get((service, operation)) if service else None
    return (service, operation, handler) if handler else None


def dispatch(handler: Handler, body: bytes | str | None) -> tuple[int, dict[str, str], str]:
    """Run a stand-in on a raw JSON request body; returns ``(status, headers, body)``."""
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "local-standin"}
    try:
        params = json.loads(body or b"{}")
        response = handler(params)
        return 200, headers, json.dumps(response or {}, default=str)
    except ServiceError as error:
        headers["x-amzn-ErrorType"] = error.code
        return error.status, headers, json.dumps({"__type": error.code, "message": error.message})
