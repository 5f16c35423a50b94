"""The ``serve`` endpoint as users run it: ``python -m local serve`` in its own process, on a free port."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import ROOT

STARTUP_TIMEOUT = 60.0
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    """Read the first stdout line of ``process``, giving up after ``timeout`` seconds."""
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0]:
        process.kill()
        raise AssertionError(f"serve printed no first line within {timeout}s: {process.stderr.read()[-2000:]}")
    return line[0]


@pytest.fixture(scope="session")
def served() -> Iterator[dict[str, Any]]:
    """A ``serve`` process on a free localhost port; yields its first-line JSON object, stops it after."""
    env = {**os.environ, **CREDENTIALS, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "serve", "--port", "0"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = json.loads(_first_line(process, STARTUP_TIMEOUT))
        # Keep reading what serve prints (function logs, request logs): a full pipe would block its threads.
        for stream in (process.stdout, process.stderr):
            threading.Thread(target=collections.deque, args=(stream, 0), daemon=True).start()
        yield first
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def endpoint(served) -> str:
    return served["endpoint"]


@pytest.fixture(scope="session")
def client(endpoint):
    """A boto3 client factory aimed at the served endpoint."""

    def make(service: str):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")

    return make


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
