"""The ``serve`` endpoint as users run it: ``python -m local serve`` in its own process, on a free port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from local import load
from local.aws import CREDENTIALS, endpoint_clients

STARTUP_TIMEOUT = 60.0


@pytest.fixture(scope="session")
def served() -> Iterator[dict[str, Any]]:
    """A ``serve`` process on a free localhost port; yields its first-line JSON object, stops it after."""
    with load.served(STARTUP_TIMEOUT) as first:
        yield first


@pytest.fixture(scope="session")
def endpoint(served) -> str:
    return served["endpoint"]


@pytest.fixture(scope="session")
def client(endpoint):
    """A boto3 client factory aimed at the served endpoint."""
    return endpoint_clients(endpoint)


@pytest.fixture(scope="session")
def aws_cli(endpoint):
    """Run the AWS CLI (installed by the project) against the served endpoint; returns parsed JSON output."""

    def run(*args: str) -> Any:
        command = [os.path.join(os.path.dirname(sys.executable), "aws"), "--endpoint-url", endpoint,
                   "--output", "json", *args]
        done = subprocess.run(command, env={**os.environ, **CREDENTIALS}, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, f"aws {' '.join(args)} failed: {done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    return run
