"""Lambda: functions run their handler instead of echoing the event (moto needs Docker for that).

The template's functions run in this process (:mod:`local.stack.functions`, registered in
:data:`lambda_handlers`); every other function, created through the Lambda API, runs from its zip in a
process of its own (:mod:`local.emulation.lambda_zip_runtime`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from local.emulation import lambda_zip_runtime

#: Function name → callable(event: dict) -> (payload: str, errored: bool, logs: str); set by the stack.
lambda_handlers: dict[str, Callable[[Any], tuple[str, bool, str]]] = {}


def _check_runnable(function: Any) -> None:
    """Refuse, as Lambda's ``InvalidRuntimeException`` (HTTP 502), a function the local engine cannot run."""
    if function.function_name in lambda_handlers:
        return
    try:
        lambda_zip_runtime.FunctionSpec.of(function)
    except lambda_zip_runtime.UnsupportedFunction as error:
        from moto.awslambda.exceptions import LambdaClientError

        class InvalidRuntimeException(LambdaClientError):
            code = 502

        raise InvalidRuntimeException("InvalidRuntimeException", str(error)) from None


def _run(function: Any, event: Any) -> tuple[bytes, bool, str]:
    """Run a function with its in-process handler, or from its zip: ``(payload, errored, log)``."""
    handler = lambda_handlers.get(function.function_name)
    if handler is not None:
        payload, errored, logs = handler(json.loads(event) if isinstance(event, str | bytes) and event else event)
        return payload.encode() if isinstance(payload, str) else payload, errored, logs
    if isinstance(event, str):
        body = event.encode()
    elif isinstance(event, bytes):
        body = event
    else:
        body = json.dumps(event).encode()
    _check_runnable(function)
    invocation = lambda_zip_runtime.RUNTIME.invoke(function, body)
    return invocation.payload, invocation.errored, invocation.log


def _run_lambda_handlers() -> None:
    """Lambda functions run their handler (moto needs Docker, or echoes the event).

    An unhandled exception comes back as Lambda reports it (``FunctionError: Unhandled`` and a payload with
    ``errorType``), so a state's ``Catch`` on the exception's class name works. ``Event`` invocations run
    on a thread of their own, as asynchronous invocations do. A missing function is Lambda's
    ``ResourceNotFoundException`` naming the qualified ARN (``…:function:name:$LATEST``); the answer carries
    the version that ran (``X-Amz-Executed-Version``) and, with ``LogType: Tail``, the end of the log.
    """
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.utils import make_function_arn
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke_lambda(self, event=None):  # the path SNS subscriptions and event source mappings take
        payload, errored, logs = _run(self, event if event is not None else "{}")
        return payload.decode("utf-8", "replace"), errored, logs

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        try:
            function = self.get_function(function_name, qualifier)
        except UnknownFunctionException:
            arn = function_name if function_name.startswith("arn:") else make_function_arn(
                self.region_name, self.account_id, function_name)
            if arn.count(":") == 6:  # Lambda names the version it looked for
                arn += f":{qualifier or '$LATEST'}"
            raise UnknownFunctionException(arn) from None
        response_headers["x-amz-executed-version"] = (
            "$LATEST" if qualifier in (None, "", "$LATEST") else str(function.version))
        invocation_type = (headers or {}).get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type == "DryRun":
            return b""
        event = body if body else "{}"
        if invocation_type == "Event":
            _check_runnable(function)
            threading.Thread(target=_run, args=(function, event), daemon=True).start()
            return b""
        payload, errored, logs = _run(function, event)
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        response_headers["x-amz-log-result"] = lambda_zip_runtime.log_result(logs)
        return payload

    LambdaFunction._invoke_lambda = invoke_lambda
    LambdaSimpleBackend.invoke = invoke


def install() -> None:
    """Install the Lambda runtime."""
    _run_lambda_handlers()


def reset() -> None:
    """Forget the stack's functions and stop every execution environment."""
    lambda_handlers.clear()
    lambda_zip_runtime.RUNTIME.reset()
