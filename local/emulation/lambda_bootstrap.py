"""The Python runtime of one Lambda execution environment: runs in a process of its own, standard library only.

Started by :mod:`local.emulation.lambda_zip_runtime` with the function's environment (``LAMBDA_TASK_ROOT`` is
where its zip was extracted, ``_HANDLER`` its handler). As the Lambda Python runtime does, it imports the
handler once (the init phase) and then serves invocations one at a time, so module-level state survives
between warm invocations. An invocation arrives as one JSON line on stdin; the answer leaves as one JSON line
on the file descriptor given as the first argument; the function's own output (``print``, logging) goes to
stdout/stderr, which the parent keeps as the function's log.

Results and errors are shaped as the runtime shapes them: a handler's ``bytes`` are the payload unchanged,
anything else is JSON (non-ASCII kept from python3.12 on); an unhandled exception is
``{"errorMessage", "errorType", "requestId", "stackTrace"}`` with the frames from the handler down and the
code shown under ``/var/task``; import failures are ``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``,
``Runtime.UserCodeSyntaxError``…
"""

from __future__ import annotations

import base64
import decimal
import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback

TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
AWS_TASK_ROOT = "/var/task"


class Fault(Exception):
    """A failure of the runtime itself (import, handler name, marshalling), with Lambda's error type."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


class LambdaContext:
    """The context object of the Lambda Python runtime."""

    def __init__(self, request: dict) -> None:
        self.aws_request_id = request["requestId"]
        self.invoked_function_arn = request["invokedFunctionArn"]
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = request.get("clientContext")
        self.tenant_id = None
        self._deadline_ms = request["deadlineMs"]

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, message: str) -> None:
        """Write to the function's log."""
        sys.stdout.write(message)


def _frames(tb) -> list[str]:
    """The stack trace as the runtime prints it: the handler's frames, code under /var/task."""
    frames = traceback.extract_tb(tb)
    while frames and frames[0].filename == __file__:  # the runtime's own frames are left out
        frames.pop(0)
    for frame in frames:
        if frame.filename.startswith(TASK_ROOT + os.sep):
            frame.filename = AWS_TASK_ROOT + frame.filename[len(TASK_ROOT):]
    return traceback.format_list(frames)


def _error(message: str, error_type: str, request_id: str, trace: list[str]) -> dict:
    return {"errorMessage": message or "", "errorType": error_type or "", "requestId": request_id or "",
            "stackTrace": trace}


def _load_handler(handler: str):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from error
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}") from error
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}", trace) from error
    function = getattr(module, function_name, None)
    if function is None:
        raise Fault("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function


def _default(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _to_json(value) -> bytes:
    # The python3.12+ runtimes keep non-ASCII characters; older ones escape them.
    keep_unicode = os.environ.get("AWS_EXECUTION_ENV", "") >= "AWS_Lambda_python3.12"
    return json.dumps(value, default=_default, ensure_ascii=not keep_unicode).encode("utf-8")


def _marshal(result) -> bytes:
    if isinstance(result, bytes):
        return result
    try:
        return _to_json(result)
    except (TypeError, ValueError) as error:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {error}") from error


def _set_up_logging() -> None:
    class RequestIdFilter(logging.Filter):
        request_id = ""

        def filter(self, record):
            record.aws_request_id = RequestIdFilter.request_id
            return True

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())
    _set_up_logging.request_ids = RequestIdFilter


def _end_with_the_engine() -> None:
    """Exit when the engine's process is gone (killed), even in the middle of an invocation."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    """Initialise the function, then answer invocations until stdin closes."""
    _end_with_the_engine()
    answers = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8")
    sys.path.insert(0, TASK_ROOT)
    for extra in reversed([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]):
        sys.path.insert(1, extra)
    os.chdir(TASK_ROOT)
    _set_up_logging()
    handler, init_error = None, None
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except Fault as fault:
        init_error = fault
    except Exception as error:  # an exception raised by the module's own code while it is imported
        init_error = Fault(type(error).__name__, str(error), _frames(error.__traceback__))
    answers.write('{"ready": true}\n')  # the init phase is over: the invocation's timeout starts now
    answers.flush()
    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["requestId"]
        _set_up_logging.request_ids.request_id = request_id
        failed = True
        try:
            if init_error is not None:
                raise init_error
            event = json.loads(request["event"]) if request["event"] else {}
            payload = _marshal(handler(event, LambdaContext(request)))
            failed = False
        except Fault as fault:
            error = _error(fault.message, fault.error_type, request_id, fault.trace)
        except Exception as raised:  # the runtime reports every unhandled exception of the handler
            error = _error(str(raised), type(raised).__name__, request_id, _frames(raised.__traceback__))
        if failed:
            payload = _to_json(error)
            sys.stdout.write(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n" + "".join(error["stackTrace"]))
        sys.stdout.flush()
        sys.stderr.flush()
        answers.write(json.dumps({"payload": base64.b64encode(payload).decode(), "failed": failed}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
