"""The AWS calls a Lambda function's code makes, found by reading it (no import, no execution).

Recognised: boto3 clients (``boto3.client("dynamodb")``, ``session.client(...)``, assigned to a name or used
inline) and their operations and paginators, DynamoDB ``Table`` resources, Powertools idempotency's
DynamoDB persistence layer (GetItem, PutItem, UpdateItem, DeleteItem on its table) and Powertools
parameters (``get_parameter``, ``get_secret``). Argument values are known when they are string literals or
module constants read from the environment (``os.environ["X"]``, ``os.environ.get``, ``os.getenv``): the
function's ``Environment`` in the template gives them.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.engine.api_models import service_model

_TABLE_METHODS = {"get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
                  "delete_item": "DeleteItem", "query": "Query", "scan": "Scan", "batch_writer": "BatchWriteItem"}
_IDEMPOTENCY_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem")


@dataclass(frozen=True)
class CodeCall:
    """One AWS call in a function's code."""

    file: Path
    line: int
    boto: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    why: str = ""


@functools.lru_cache(maxsize=64)
def _operations(boto: str) -> dict[str, str]:
    """snake_case method name → API operation (``put_item`` → ``PutItem``)."""
    from botocore import xform_name

    model = service_model(boto)
    return {xform_name(name): name for name in model.operation_names} if model else {}


def _env_name(node: ast.AST) -> str | None:
    """``os.environ["X"]``, ``os.environ.get("X", …)``, ``os.getenv("X", …)`` → ``X``."""
    if isinstance(node, ast.Subscript) and _dotted(node.value) in ("os.environ", "environ"):
        key = node.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(node, ast.Call) and _dotted(node.func) in ("os.environ.get", "environ.get", "os.getenv", "getenv"):
        first = node.args[0] if node.args else None
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _client_service(node: ast.AST) -> str | None:
    """The service of ``<anything>.client("svc", …)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client":
        first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "service_name"), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _is_dynamodb_resource(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "resource":
        first = node.args[0] if node.args else None
        return isinstance(first, ast.Constant) and first.value == "dynamodb"
    return False


class _Reader:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        self.constants: dict[str, Any] = {}
        self.clients: dict[str, str] = {}
        self.resources: set[str] = set()
        self.tables: dict[str, Any] = {}
        self.powertools_parameters: set[str] = set()
        self.calls: list[CodeCall] = []

    def value(self, node: ast.AST | None) -> Any:
        """A known string value, or None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        env = _env_name(node) if node is not None else None
        return self.env.get(env) if env else None

    def assignments(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "aws_lambda_powertools.utilities.parameters"):
                self.powertools_parameters.update(alias.asname or alias.name for alias in node.names)
            if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Name | ast.Attribute):
                    continue
                name = _dotted(target)
                service = _client_service(node.value)
                if service:
                    self.clients[name] = service
                elif _is_dynamodb_resource(node.value):
                    self.resources.add(name)
                elif (isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
                      and node.value.func.attr == "Table" and _dotted(node.value.func.value) in self.resources):
                    self.tables[name] = self.value(node.value.args[0] if node.value.args else None)
                else:
                    value = self.value(node.value)
                    if value is not None:
                        self.constants[name] = value

    def kwargs(self, call: ast.Call) -> dict[str, Any]:
        return {k.arg: self.value(k.value) for k in call.keywords if k.arg}

    def add(self, node: ast.AST, boto: str, operation: str, params: dict[str, Any], why: str = "") -> None:
        self.calls.append(CodeCall(self.path, getattr(node, "lineno", 0), boto, operation, params, why))

    def read_calls(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if last == "DynamoDBPersistenceLayer":
                table = self.value(next((k.value for k in node.keywords if k.arg == "table_name"),
                                        node.args[0] if node.args else None))
                for operation in _IDEMPOTENCY_OPERATIONS:
                    self.add(node, "dynamodb", operation, {"TableName": table}, "Powertools idempotency")
                continue
            if last in ("get_parameter", "get_parameters") and (
                    last in self.powertools_parameters or name.startswith("parameters.")):
                self.add(node, "ssm", "GetParameter" if last == "get_parameter" else "GetParametersByPath",
                         {"Name": self.value(node.args[0] if node.args else None)}, "Powertools parameters")
                continue
            if last == "get_secret" and (last in self.powertools_parameters or name.startswith("parameters.")):
                self.add(node, "secretsmanager", "GetSecretValue",
                         {"SecretId": self.value(node.args[0] if node.args else None)}, "Powertools parameters")
                continue
            if not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value
            service = self.clients.get(_dotted(owner)) or _client_service(owner)
            method = node.func.attr
            if service:
                if method == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
                    method = str(node.args[0].value)
                operation = _operations(service).get(method)
                if operation:
                    self.add(node, service, operation, self.kwargs(node))
            elif _dotted(owner) in self.tables and method in _TABLE_METHODS:
                self.add(node, "dynamodb", _TABLE_METHODS[method], {"TableName": self.tables[_dotted(owner)]})


def code_calls(code_dir: Path, env: dict[str, str]) -> list[CodeCall]:
    """Every AWS call in the Python files of a function's code folder (tests excluded).

    Parameters
    ----------
    code_dir : Path
        The function's ``CodeUri``.
    env : dict
        The function's environment variables with the template's values.

    """
    found: list[CodeCall] = []
    for path in sorted(code_dir.rglob("*.py")):
        if "test" in path.name or any(part.startswith((".", "test")) for part in path.relative_to(code_dir).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        reader = _Reader(path, env)
        reader.assignments(tree)
        reader.read_calls(tree)
        found += reader.calls
    return found
