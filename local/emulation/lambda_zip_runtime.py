"""Lambda functions created through the API run their handler from their zip, each in a process of its own.

moto keeps a created function's code but cannot run it without Docker: it echoed the event, so a function that
raised, or timed out, succeeded. Here a Python function (``python3.x`` runtime, zip package) runs as Lambda runs
it: its zip extracted once per code version, one warm execution environment (a process, see
:mod:`local.emulation.lambda_bootstrap`) per concurrent invocation, reused while idle, with the function's
``Environment`` and Lambda's reserved variables, and its ``Timeout`` enforced (the environment is stopped and
the invocation fails with ``Sandbox.Timedout``, as Lambda reports it). Another runtime, or an image package,
is refused with one error naming it. The template's functions do not come here: they run in-process
(:mod:`local.stack.functions`).

Calls the function makes to AWS go to the local endpoint when ``serve`` runs (``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
#: Set by the HTTP server while it serves: functions' SDK calls go there.
endpoint_url: str | None = None
#: Lambda's init phase (importing the handler's module) may take up to 10 s, before the function's timeout starts.
INIT_TIMEOUT_S = 10.0
_LOG_TAIL_BYTES = 4096
#: Variables Lambda sets itself; a function's Environment cannot override them.
_RESERVED = ("_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
             "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")


class UnsupportedFunction(Exception):
    """The function cannot run locally (not a Python zip function); the message says why."""


@dataclass
class Invocation:
    """What one invocation returned: the payload, whether it is a function error, and the invocation's log."""

    payload: bytes
    errored: bool
    log: str


@dataclass(frozen=True)
class FunctionSpec:
    """What an execution environment is made from; a change (new code, configuration) means new environments."""

    name: str
    arn: str
    runtime: str
    handler: str
    code_sha256: str
    timeout_s: int
    memory_mb: int
    environment: tuple[tuple[str, str], ...]
    region: str

    @classmethod
    def of(cls, function: Any) -> FunctionSpec:
        """The spec of a moto ``LambdaFunction``."""
        if getattr(function, "package_type", "Zip") == "Image":
            raise UnsupportedFunction(
                f"Function {function.function_name} is a container image: the local engine runs zip-packaged "
                "Python functions only")
        runtime = function.run_time or ""
        if not runtime.startswith("python3"):
            raise UnsupportedFunction(
                f"Runtime {runtime or '(none)'} of function {function.function_name} is not supported by the local "
                "engine: it runs Python functions (python3.x runtimes) only")
        return cls(function.function_name, function.function_arn, runtime, function.handler or "",
                   hashlib.sha256(function.code_bytes).hexdigest(), int(function.timeout or 3),
                   int(function.memory_size or 128),
                   tuple(sorted((str(k), str(v)) for k, v in (function.environment_vars or {}).items())),
                   function.region)


class _Environment:
    """One execution environment: a warm process serving one invocation at a time."""

    def __init__(self, spec: FunctionSpec, task_root: Path) -> None:
        self.spec = spec
        self.log_path = Path(tempfile.mkstemp(prefix=f"lambda-{spec.name}-", suffix=".log")[1])
        self._log = self.log_path.open("ab")
        answers_read, answers_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-u", str(BOOTSTRAP), str(answers_write)],
            stdin=subprocess.PIPE, stdout=self._log, stderr=self._log, pass_fds=(answers_write,),
            cwd=task_root, env=self._variables(spec, task_root),
        )
        os.close(answers_write)
        self._answers = os.fdopen(answers_read, "rb")
        self._spawned = time.time()
        self.init_ms: float | None = None

    @staticmethod
    def _variables(spec: FunctionSpec, task_root: Path) -> dict[str, str]:
        stream = f"{datetime.datetime.now(datetime.UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        variables = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "en_US.UTF-8", "TZ": ":UTC"}
        variables.update({k: v for k, v in spec.environment if k not in _RESERVED})
        variables.update({
            "_HANDLER": spec.handler, "AWS_REGION": spec.region, "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}", "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb), "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local", "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        })
        if endpoint_url:
            variables["AWS_ENDPOINT_URL"] = endpoint_url
        return variables

    def invoke(self, event: bytes, request_id: str, client_context: str | None) -> Invocation:
        """Run one invocation; a timeout or a crash ends the environment (its process is stopped)."""
        log_start = self.log_path.stat().st_size
        cold = self.init_ms is None
        answer = self._read(INIT_TIMEOUT_S) if cold else b"ready"
        if cold and answer:
            self.init_ms = (time.time() - self._spawned) * 1000
        started = time.time()
        if answer:
            request = {"requestId": request_id, "event": event.decode("utf-8"),
                       "deadlineMs": (started + self.spec.timeout_s) * 1000,
                       "invokedFunctionArn": self.spec.arn, "clientContext": client_context}
            try:
                self.process.stdin.write((json.dumps(request) + "\n").encode())
                self.process.stdin.flush()
                answer = self._read(self.spec.timeout_s)
            except OSError:  # the process is gone
                answer = b""
        duration_ms = (time.time() - started) * 1000
        init_ms = self.init_ms if cold else None
        if answer:
            decoded = json.loads(answer)
            log = self._log_of(request_id, log_start, duration_ms, init_ms)
            return Invocation(base64.b64decode(decoded["payload"]), decoded["failed"], log)
        if answer is None:
            timed_out = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
            error = {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {request_id} Error: {timed_out}"}
            log = self._log_of(request_id, log_start, duration_ms, init_ms, f"{_now()} {request_id} {timed_out}\n")
            self.stop()
        else:
            log = self._log_of(request_id, log_start, duration_ms, init_ms)
            code = self.stop()
            error = {"errorType": "Runtime.ExitError",
                     "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"}
        return Invocation(json.dumps(error).encode(), True, log)

    def _read(self, timeout_s: float) -> bytes | None:
        """The next line from the process; ``b""`` if it ended, ``None`` after ``timeout_s``."""
        if not select.select([self._answers], [], [], timeout_s)[0]:
            return None
        return self._answers.readline()

    def _log_of(self, request_id: str, start: int, duration_ms: float, init_ms: float | None, end: str = "") -> str:
        with self.log_path.open("rb") as log:
            log.seek(start)
            output = log.read().decode("utf-8", "replace") + end
        init = f"Init Duration: {init_ms:.2f} ms\t" if init_ms is not None else ""
        return (f"START RequestId: {request_id} Version: $LATEST\n{output}END RequestId: {request_id}\n"
                f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {max(1, int(duration_ms + 0.999))} ms\tMemory Size: {self.spec.memory_mb} MB\t"
                f"{init}\n")

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def stop(self) -> int:
        """Stop the process and forget its log; returns its exit status."""
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        for stream in (self.process.stdin, self._answers, self._log):
            with contextlib.suppress(OSError):
                stream.close()
        self.log_path.unlink(missing_ok=True)
        return code


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ZipRuntime:
    """The execution environments of every API-created function, warm ones kept per function spec."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[FunctionSpec, list[_Environment]] = {}
        self._busy: set[_Environment] = set()
        self._code: dict[str, Path] = {}

    def _task_root(self, spec: FunctionSpec, code: bytes) -> Path:
        root = self._code.get(spec.code_sha256)
        if root is None:
            root = Path(tempfile.mkdtemp(prefix=f"lambda-{spec.name}-task-"))
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(root)
            self._code[spec.code_sha256] = root
        return root

    def _acquire(self, spec: FunctionSpec, code: bytes) -> _Environment:
        with self._lock:
            for stale in [s for s in self._idle if s.name == spec.name and s != spec]:
                for environment in self._idle.pop(stale):  # the function's code or configuration changed
                    environment.stop()
            idle = self._idle.setdefault(spec, [])
            while idle:
                environment = idle.pop()
                if environment.alive:
                    self._busy.add(environment)
                    return environment
                environment.stop()
            environment = _Environment(spec, self._task_root(spec, code))
            self._busy.add(environment)
            return environment

    def _release(self, environment: _Environment) -> None:
        with self._lock:
            self._busy.discard(environment)
            if environment.alive:
                self._idle.setdefault(environment.spec, []).append(environment)

    def invoke(self, function: Any, event: bytes, client_context: str | None = None) -> Invocation:
        """Invoke a moto ``LambdaFunction`` synchronously (raises :class:`UnsupportedFunction`)."""
        spec = FunctionSpec.of(function)
        environment = self._acquire(spec, function.code_bytes)
        try:
            return environment.invoke(event, str(uuid.uuid4()), client_context)
        finally:
            self._release(environment)

    def reset(self) -> None:
        """Stop every environment and delete the extracted code."""
        with self._lock:
            environments = [e for idle in self._idle.values() for e in idle] + list(self._busy)
            self._idle.clear()
            self._busy.clear()
            roots, self._code = list(self._code.values()), {}
        for environment in environments:
            environment.stop()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


RUNTIME = ZipRuntime()


def log_result(log: str) -> str:
    """The ``X-Amz-Log-Result`` header: the last 4 KB of the invocation's log, base64-encoded."""
    return base64.b64encode(log.encode("utf-8")[-_LOG_TAIL_BYTES:]).decode()
