"""Fixtures of the functional tests: an IAM role, a task-token queue, functions deployed through the Lambda API."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import uuid
import zipfile

import pytest

from tests.support.engine import ROLE, token_queue

FUNCTION_ROLE = "arn:aws:iam::123456789012:role/local-lambda-runtime-tests"


def zip_of(source: str, name: str = "handler.py") -> bytes:
    """A deployment package holding one module."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(name, source)
    return archive.getvalue()


@pytest.fixture(scope="session")
def deploy(stack):
    """Create a function (``handler.handler``) from handler source with CreateFunction; returns its name."""
    iam = stack.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="local-lambda-runtime-tests", AssumeRolePolicyDocument="{}")
    lam = stack.client("lambda")

    def create(source: str, runtime: str = "python3.12", timeout: int = 3, environment=None) -> str:
        name = f"fn-{uuid.uuid4().hex[:10]}"
        lam.create_function(FunctionName=name, Runtime=runtime, Role=FUNCTION_ROLE, Handler="handler.handler",
                            Code={"ZipFile": zip_of(source)}, Timeout=timeout,
                            Environment={"Variables": environment or {}})
        return name

    return create


@pytest.fixture(scope="module")
def role(stack):
    """An IAM role the test machines and functions can name."""
    iam = stack.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="local-engine-tests", AssumeRolePolicyDocument="{}")
    return ROLE


@pytest.fixture()
def approval_queue(stack):
    """A queue the callback test machines send their task token to."""
    return token_queue(stack)


@pytest.fixture()
def slow_function(stack, role):
    """A Lambda function whose handler runs until the test ends (a call still running); its name and a called flag."""
    from local.emulation import lambda_runtime

    called, release = threading.Event(), threading.Event()

    def handler(event):
        called.set()
        release.wait(10)
        return json.dumps(event), False, ""

    name = f"engine-slow-{uuid.uuid4().hex[:8]}"
    stack.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                           Handler="app.handler",
                                           Code={"ZipFile": zip_of("def handler(event, context):\n    return event\n",
                                                                   "app.py")})
    lambda_runtime.lambda_handlers[name] = handler
    yield name, called
    release.set()
    lambda_runtime.lambda_handlers.pop(name, None)
