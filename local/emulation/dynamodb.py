"""DynamoDB: stream records reach Pipes; item operations are atomic; requests are validated as DynamoDB does."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable
from typing import Any

#: Table name → listeners called with each DynamoDB stream record (EventBridge Pipes, in the stack).
stream_listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}


def _publish_dynamodb_stream_records() -> None:
    """DynamoDB stream records reach Lambda event source mappings only; Pipes need them too."""
    from moto.dynamodb.models.table import StreamShard

    original = StreamShard.add

    def add(self, old, new) -> None:
        original(self, old, new)
        listeners = stream_listeners.get(self.table.name)
        if listeners and self.items:
            record = json.loads(json.dumps(self.items[-1].record, default=str))
            for listener in listeners:
                threading.Thread(target=listener, args=(record,), daemon=True).start()

    StreamShard.add = add


_DYNAMODB_ITEM_OPERATIONS = ("update_item", "put_item", "get_item", "delete_item", "query", "scan",
                             "batch_get_item", "batch_write_item", "transact_write_items", "transact_get_items")


def _make_dynamodb_item_operations_atomic() -> None:
    """Moto applies an UpdateItem clause by clause to the stored item, so a concurrent read saw half of it.

    DynamoDB applies each request atomically; one lock around moto's item operations does the same.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def atomic(method: Callable) -> Callable:
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)

        return run

    for name in _DYNAMODB_ITEM_OPERATIONS:
        setattr(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name)))


_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]+")


def validation_errors(operation: Any, params: dict[str, Any]) -> list[str]:
    """DynamoDB's own checks of a request's top-level members, worded as DynamoDB words them.

    A required member that is missing or null, a table name (not an ARN) outside 3-255 characters of
    ``[a-zA-Z0-9_.-]``, a value outside its enum or its length bounds: each is one "Value … at '<member>' failed
    to satisfy constraint: …" clause.
    """
    shape, errors = operation.input_shape, []
    for name, member in shape.members.items():
        value, path = params.get(name), name[:1].lower() + name[1:]
        if value is None:
            if name in shape.required_members:
                errors.append(f"Value null at '{path}' failed to satisfy constraint: Member must not be null")
            continue
        if not isinstance(value, str):
            continue
        constraints = []
        low, high = member.metadata.get("min"), member.metadata.get("max")
        if name == "TableName" and not value.startswith("arn:"):
            low, high = 3, 255
            if not _TABLE_NAME.fullmatch(value):
                constraints.append(f"Member must satisfy regular expression pattern: {_TABLE_NAME.pattern}")
        if member.enum and value not in member.enum:
            constraints.append(f"Member must satisfy enum value set: [{', '.join(member.enum)}]")
        if low is not None and len(value) < low:
            constraints.append(f"Member must have length greater than or equal to {low}")
        if high is not None and len(value) > high:
            constraints.append(f"Member must have length less than or equal to {high}")
        errors += [f"Value '{value}' at '{path}' failed to satisfy constraint: {c}" for c in constraints]
    return errors


def _validate_requests_as_dynamodb_does() -> None:
    """DynamoDB refuses a request whose members break the API's constraints; moto crashed or looked the table up.

    A null Item crashed the engine (States.Runtime); a table name with a slash was ResourceNotFoundException.
    DynamoDB answers ``ValidationException``: "1 validation error detected: Value null at 'item' failed to satisfy
    constraint: Member must not be null" (see :func:`validation_errors`). moto's UpdateItem also answered
    ``ConsumedCapacity`` (and DeleteItem ``ConsumedCapacityUnits``) unasked: DynamoDB returns it only with
    ``ReturnConsumedCapacity`` TOTAL or INDEXES.
    """
    import botocore.session
    from botocore import xform_name
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    model = botocore.session.get_session().get_service_model("dynamodb")

    def validated(method: Callable, operation: Any) -> Callable:
        @functools.wraps(method)
        def run(self):
            params = self.body if isinstance(self.body, dict) else {}
            errors = validation_errors(operation, params)
            if errors:
                count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
                raise MockValidationException(f"{count}: {'; '.join(errors)}")
            result = method(self)
            answer = getattr(result, "_result", None)
            if isinstance(answer, dict):
                answer.pop("ConsumedCapacityUnits", None)
                if params.get("ReturnConsumedCapacity") not in ("TOTAL", "INDEXES") and isinstance(
                        answer.get("ConsumedCapacity"), dict):
                    answer.pop("ConsumedCapacity")
            return result

        return run

    for name in model.operation_names:
        method = getattr(DynamoHandler, xform_name(name), None)
        if method is not None:
            setattr(DynamoHandler, xform_name(name), validated(method, model.operation_model(name)))


def _refuse_undefined_attribute_names_as_dynamodb_does() -> None:
    """An UpdateExpression starting a path with a ``#name`` it does not define crashed moto (``KeyError``).

    Moto checks for overlapping paths before it resolves names. DynamoDB answers ``ValidationException``: "Invalid
    UpdateExpression: An expression attribute name used in the document path is not defined; attribute name:
    #name", as moto already answered for such a name further down a path.
    """
    from moto.dynamodb.exceptions import ExpressionAttributeNameNotDefined
    from moto.dynamodb.parsing.validators import OverlappingPathsValidator

    class DefinedNames(dict):
        def __missing__(self, name: str) -> str:
            raise ExpressionAttributeNameNotDefined(name)

    original = OverlappingPathsValidator.__init__

    def __init__(self, expression_attribute_names: dict[str, str] | None) -> None:
        original(self, DefinedNames(expression_attribute_names or {}))

    OverlappingPathsValidator.__init__ = __init__


def install() -> None:
    """Install the DynamoDB adaptations."""
    _publish_dynamodb_stream_records()
    _make_dynamodb_item_operations_atomic()
    _validate_requests_as_dynamodb_does()
    _refuse_undefined_attribute_names_as_dynamodb_does()


def reset() -> None:
    """Forget the stack's stream listeners."""
    stream_listeners.clear()
