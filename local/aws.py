"""The AWS account the local stack stands for, and clients aimed at a served endpoint.

Imports nothing of the project: the template reader, the stack, the tools and the tests share these.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
#: Credentials for the local endpoint (any value works; these are the ones the docs show).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION}

#: boto3 client factory: ``client("sqs")`` → a client.
ClientFactory = Callable[[str], Any]


def arn(service: str, rest: str, region: str = REGION) -> str:
    """An ARN of this account: ``arn("sqs", "my-queue")``."""
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{rest}"


def endpoint_clients(endpoint: str) -> ClientFactory:
    """Make a boto3 client factory aimed at a ``serve`` endpoint.

    Parameters
    ----------
    endpoint : str
        The ``serve`` URL (``http://127.0.0.1:PORT``).

    Returns
    -------
    callable
        ``make(service)``: one client per service, made once and shared (boto3 clients are thread-safe).

    """
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=32, retries={"max_attempts": 2})
    made: dict[str, Any] = {}
    lock = threading.Lock()

    def make(service: str) -> Any:
        with lock:
            if service not in made:
                made[service] = boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                                             aws_access_key_id="local", aws_secret_access_key="local", config=config)
            return made[service]

    return make
