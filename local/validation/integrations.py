"""What each Task state calls: the integration behind its ``Resource``, its parameters, its API operation.

Shared by the SDK, mock and permission checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local.engine.api_models import (
    OPTIMISED_SERVICES,
    is_sdk_service,
    operation_model,
    parse_resource,
    pascal,
    service_label,
    service_model,
)
from local.validation.common import JSONATA, Workflow, iter_states, query_language


@dataclass(frozen=True)
class Call:
    """One service call of a state.

    Attributes
    ----------
    state : str
        The state making it.
    kind : str
        ``aws-sdk``, ``optimised``, ``lambda-function`` (a function ARN as Resource), ``activity`` or ``other``.
    service, action : str
        As written in the ARN (``eventbridge``, ``putEvents``).
    pattern : str
        ``""``, ``sync``, ``sync:2`` or ``waitForTaskToken``.
    boto, operation : str or None
        botocore's service name and the API operation (``events``, ``PutEvents``), when the model knows them.
    field : str
        ``Arguments`` (JSONata) or ``Parameters`` (JSONPath).
    params : object
        The parameters with the local stack's substitution values.
    jsonpath : bool
        The state uses JSONPath.
    resource : str
        The state's Resource.

    """

    state: str
    kind: str
    service: str
    action: str
    pattern: str
    boto: str | None
    operation: str | None
    field: str
    params: Any
    jsonpath: bool
    resource: str

    @property
    def what(self) -> str:
        """``S3 GetObject`` for messages."""
        return f"{service_label(self.boto)} {self.operation}" if self.boto else self.resource


def _boto_name(kind: str, service: str) -> str | None:
    if kind == "aws-sdk":
        from local.engine.sdk import boto_service_name

        return boto_service_name(service) if is_sdk_service(service) else None
    if kind == "optimised":
        return OPTIMISED_SERVICES.get(service, service)
    if kind == "lambda-function":
        return "lambda"
    return None


def calls(workflow: Workflow) -> list[Call]:
    """Every Task state's call (Map ``ItemReader``/``ResultWriter`` included), from the resolved definition."""
    resolved = workflow.resolved or {}
    found = []
    for name, state in iter_states(resolved.get("States") or {}):
        jsonpath = query_language(resolved, state) != "JSONata"
        field = "Parameters" if jsonpath else "Arguments"
        sources = []
        if state.get("Type") == "Task":
            sources.append((state.get("Resource"), state.get(field)))
        if state.get("Type") == "Map":
            for key in ("ItemReader", "ResultWriter"):
                part = state.get(key)
                if isinstance(part, dict):
                    sources.append((part.get("Resource"), part.get(field)))
        for resource, params in sources:
            if not isinstance(resource, str) or JSONATA.match(resource):
                continue
            kind, service, action, pattern = parse_resource(resource)
            boto = _boto_name(kind, service)
            operation = "Invoke" if kind == "lambda-function" else pascal(action) if action else None
            if kind == "optimised" and boto and operation_model(boto, operation or "") is None:
                boto = None  # an optimised integration that is no SDK operation (http:invoke, eks:call …)
            found.append(Call(name, kind, service, action, pattern, boto, operation, field, params, jsonpath,
                              resource))
    return found


def known_service(call: Call) -> bool:
    """Botocore has a model for the call's service."""
    return call.boto is not None and service_model(call.boto) is not None
