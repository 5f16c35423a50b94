"""DynamoDB: stream records reach Pipes; item operations are atomic."""

from __future__ import annotations

import functools
import json
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


def install() -> None:
    """Install the DynamoDB adaptations."""
    _publish_dynamodb_stream_records()
    _make_dynamodb_item_operations_atomic()


def reset() -> None:
    """Forget the stack's stream listeners."""
    stream_listeners.clear()
