"""Run the template's Lambda functions in this process, from their code in ``tasks/``.

Each ``AWS::Serverless::Function`` is loaded from ``CodeUri`` + ``Handler`` (``app.lambda_handler`` →
``tasks/<dir>/app.py``) under a module name of its own, with its ``Environment.Variables`` set, and called
with a Lambda-shaped context. An unhandled exception is returned as Lambda returns it: a payload
``{"errorType", "errorMessage", "stackTrace"}`` flagged as a function error.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_env_lock = threading.RLock()


@dataclass
class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers use."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


@dataclass
class InvocationRecord:
    """One invocation, for the cost model and tests."""

    function_name: str
    duration_ms: float
    errored: bool


class LocalFunction:
    """One Lambda function of the template, runnable in-process."""

    invocations: list[InvocationRecord] = []

    def __init__(self, name: str, arn: str, code_dir: Path, handler: str, environment: dict[str, str],
                 memory_mb: int, timeout_s: int) -> None:
        self.name, self.arn, self.code_dir = name, arn, code_dir
        self.module_name, _, self.function_attr = handler.rpartition(".")
        self.environment = {k: str(v) for k, v in environment.items()}
        self.memory_mb, self.timeout_s = memory_mb, timeout_s
        self._handler = None
        self._load_lock = threading.Lock()

    def _load(self):
        if self._handler is None:
            with self._load_lock:
                if self._handler is None:
                    source = self.code_dir / (self.module_name.replace(".", "/") + ".py")
                    if not source.exists():
                        raise FileNotFoundError(f"{self.name}: handler module {source} does not exist")
                    unique = f"_local_fn_{self.name}_{self.module_name.replace('.', '_')}"
                    spec = importlib.util.spec_from_file_location(unique, source)
                    module = importlib.util.module_from_spec(spec)
                    sys.modules[unique] = module
                    self._apply_environment()
                    if str(self.code_dir) not in sys.path:
                        sys.path.insert(0, str(self.code_dir))
                    spec.loader.exec_module(module)
                    self._handler = getattr(module, self.function_attr)
        return self._handler

    def _apply_environment(self) -> None:
        # Environment variables are process-wide: functions must not give one name different values.
        # LOCAL_FUNCTION_LOG_LEVEL quietens every function at once (the demo keeps its output readable).
        with _env_lock:
            os.environ.update(self.environment)
            if os.environ.get("LOCAL_FUNCTION_LOG_LEVEL"):
                os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ["LOCAL_FUNCTION_LOG_LEVEL"]

    def invoke(self, event: Any) -> tuple[str, bool, str]:
        """Run the handler; returns ``(payload, errored, logs)`` as moto's Lambda backend expects."""
        context = LambdaContext(self.name, self.memory_mb, self.timeout_s, self.arn,
                                log_group_name=f"/aws/lambda/{self.name}")
        started = time.perf_counter()
        errored = False
        try:
            handler = self._load()
            self._apply_environment()
            result = handler(event, context)
            payload = json.dumps(result) if result is not None else "null"
        except Exception as error:  # the Lambda runtime reports every unhandled exception this way
            errored = True
            payload = json.dumps({
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "requestId": context.aws_request_id,
                "stackTrace": traceback.format_tb(error.__traceback__),
            })
        LocalFunction.invocations.append(
            InvocationRecord(self.name, (time.perf_counter() - started) * 1000, errored)
        )
        return payload, errored, ""
