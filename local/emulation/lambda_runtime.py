"""Lambda: functions run their handler instead of echoing the event (moto needs Docker for that)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

#: Function name → callable(event: dict) -> (payload: str, errored: bool, logs: str); set by the stack.
lambda_handlers: dict[str, Callable[[Any], tuple[str, bool, str]]] = {}


def _run_lambda_handlers_in_process() -> None:
    """Lambda functions run their Python handler in this process (moto needs Docker, or echoes the event).

    An unhandled exception comes back as Lambda reports it (``FunctionError: Unhandled`` and a payload with
    ``errorType``), so a state's ``Catch`` on the exception's class name works. ``Event`` invocations run
    on a thread of their own, as asynchronous invocations do.
    """
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original_invoke_lambda = LambdaFunction._invoke_lambda

    def invoke_lambda(self, event=None):  # the path SNS subscriptions and event source mappings take
        handler = lambda_handlers.get(self.function_name)
        if handler is None:
            return original_invoke_lambda(self, event)
        return handler(json.loads(event) if isinstance(event, str) else event)

    original_invoke = LambdaSimpleBackend.invoke

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        name = self.get_function(function_name, qualifier).function_name
        handler = lambda_handlers.get(name)
        if handler is None:
            return original_invoke(self, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body) if body else {}
        if (headers or {}).get("X-Amz-Invocation-Type") == "Event":
            threading.Thread(target=handler, args=(event,), daemon=True).start()
            return b""
        payload, errored, _logs = handler(event)
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        return payload.encode()

    LambdaFunction._invoke_lambda = invoke_lambda
    LambdaSimpleBackend.invoke = invoke


def install() -> None:
    """Install the Lambda runtime."""
    _run_lambda_handlers_in_process()


def reset() -> None:
    """Forget the stack's functions."""
    lambda_handlers.clear()
