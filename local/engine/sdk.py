"""SDK integrations: service and error names as Step Functions writes them, plain-JSON results, shared clients."""

from __future__ import annotations

import base64
import datetime
import functools
import io
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.response import StreamingBody


@functools.lru_cache(maxsize=1)
def _boto_services() -> tuple[dict[str, str], botocore.session.Session]:
    session = botocore.session.get_session()
    return {name.replace("-", ""): name for name in session.get_available_services()}, session


@functools.lru_cache(maxsize=256)
def boto_service_name(sfn_service: str) -> str:
    """The boto3 name of a Step Functions ``aws-sdk:<service>`` name.

    Step Functions names a service by its lower-cased service id without spaces or dashes
    (``eventbridge``, ``pinpointsmsvoicev2``, ``cloudwatchlogs``, ``sfn``); most equal boto3's name without
    dashes, the rest are found through the models' ``serviceId`` (read only when needed: loading every
    model costs seconds).
    """
    known = {"sfn": "stepfunctions", "states": "stepfunctions", "eventbridge": "events",
             "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2", "elasticloadbalancing": "elb"}
    if sfn_service in known:
        return known[sfn_service]
    plain, session = _boto_services()
    if sfn_service in plain:
        return plain[sfn_service]
    loader = session.get_component("data_loader")
    for boto_name in plain.values():
        service_id = loader.load_service_model(boto_name, "service-2")["metadata"].get("serviceId", "")
        if re.sub(r"[\s\-]", "", service_id).lower() == sfn_service:
            return boto_name
    return sfn_service


class _BotoServiceNames(dict):
    def get(self, key, default=None):
        return boto_service_name(key)


# Step Functions' PascalCase service prefix in error names (``DynamoDb.ConditionalCheckFailedException``).
SERVICE_ERROR_PREFIX = {
    "dynamodb": "DynamoDb", "ec2": "Ec2", "s3": "S3", "sns": "Sns", "sqs": "Sqs", "ssm": "Ssm",
    "rekognition": "Rekognition", "transcribe": "Transcribe", "translate": "Translate",
    "comprehend": "Comprehend", "eventbridge": "EventBridge", "events": "EventBridge",
    "pinpointsmsvoicev2": "PinpointSmsVoiceV2", "sfn": "Sfn", "states": "Sfn", "lambda": "Lambda",
    "ses": "Ses", "sesv2": "SesV2", "cloudwatchlogs": "CloudWatchLogs", "sts": "Sts", "kms": "Kms",
}
SINGLE_EXCEPTION_SERVICES = {"ec2": "Ec2.Ec2Exception"}


def sdk_error_name(sfn_service: str, code: str) -> str:
    """``<Service>.<Code>Exception`` as Step Functions names errors of aws-sdk integrations.

    EC2's API model declares no error shapes, so the SDK Step Functions uses has one exception for all of EC2:
    every EC2 error is ``Ec2.Ec2Exception``, its code only in the cause.
    """
    if sfn_service.lower() in SINGLE_EXCEPTION_SERVICES:
        return SINGLE_EXCEPTION_SERVICES[sfn_service.lower()]
    prefix = SERVICE_ERROR_PREFIX.get(sfn_service.lower(), sfn_service[:1].upper() + sfn_service[1:])
    code = code or prefix
    if not code.endswith("Exception"):
        code += "Exception"
    return f"{prefix}.{code}"


def _map_sdk_service_names() -> None:
    """Defect 2: ``aws-sdk:eventbridge:putEvents`` fails with "Unknown service 'eventbridge'"."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES = _BotoServiceNames()


def _name_sdk_errors_like_aws() -> None:
    """aws-sdk errors are ``<Service>.<ErrorCode>Exception`` (moto used the API name and class name)."""
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    original = sdk.StateTaskServiceAwsSdk._from_error

    def from_error(self, env, ex):
        if isinstance(ex, ClientError):
            error = sdk_error_name(self.resource.api_name, ex.response.get("Error", {}).get("Code", ""))
            meta = ex.response.get("ResponseMetadata", {})
            cause = (
                f"{ex.response.get('Error', {}).get('Message', '')} (Service: {error.split('.')[0]}, "
                f"Status Code: {meta.get('HTTPStatusCode')}, Request ID: {meta.get('RequestId')})"
            )
            return self._get_task_failure_event(env=env, error=error, cause=cause)
        return original(self, env, ex)

    sdk.StateTaskServiceAwsSdk._from_error = from_error


def to_plain_json(value: Any) -> Any:  # noqa: PLR0911 - one return per JSON kind
    """Turn an SDK response into what Step Functions hands a state: JSON only."""
    if isinstance(value, dict):
        return {key: to_plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain_json(item) for item in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, StreamingBody | io.IOBase):
        data = value.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode()
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return [to_plain_json(item) for item in value]
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _return_plain_json_from_sdk_tasks() -> None:
    """Defect 3: datetimes and streams in SDK results break DescribeExecution and history."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    original = sdk.StateTaskServiceAwsSdk._eval_service_task

    def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        env.stack.append(to_plain_json(env.stack.pop()))

    sdk.StateTaskServiceAwsSdk._eval_service_task = eval_service_task


@dataclass(frozen=True)
class HttpResponse:
    """The HTTP answer behind an SDK call: what Step Functions' ``SdkHttpMetadata`` is made of."""

    status: int
    headers: dict[str, str]
    body: bytes | None  # None for a streaming answer (Lambda's Payload, S3's Body), which is left unread
    request_id: str

    @property
    def length(self) -> int:
        """The body's length in bytes."""
        if self.body is not None:
            return len(self.body)
        return int({k.lower(): v for k, v in self.headers.items()}.get("content-length") or 0)


_last_response = threading.local()


def _remember_http_response(http_response=None, parsed=None, model=None, **_: Any) -> None:
    meta = (parsed or {}).get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
    streaming = model is not None and model.has_streaming_output
    _last_response.value = HttpResponse(
        http_response.status_code, dict(http_response.headers), None if streaming else http_response.content or b"",
        meta.get("RequestId") or str(uuid.uuid4()),
    )


def last_http_response(forget: bool = False) -> HttpResponse | None:
    """The HTTP answer of this thread's latest call through an engine client (``forget``: clear it)."""
    value = getattr(_last_response, "value", None)
    if forget:
        _last_response.value = None
    return value


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
_boto_session: boto3.session.Session | None = None


def sdk_client(service: str, region: str = "us-east-1") -> Any:
    """One boto3 client per (service, region), shared by all executions (boto3 clients are thread-safe)."""
    key = (service, region)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                global _boto_session  # noqa: PLW0603 - one botocore loader keeps the service models it read
                _boto_session = _boto_session or boto3.session.Session()
                client = _boto_session.client(
                    service, region_name=region, aws_access_key_id="local", aws_secret_access_key="local",
                    config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1}),
                )
                client.meta.events.register("after-call", _remember_http_response)
                _clients[key] = client
    return client


def _cache_sdk_clients() -> None:
    """Defect 8: a new boto3 client per Task invocation; SDK-heavy machines ran about 3x slower.

    Clients always go through moto's in-process interception (the local stack runs inside ``mock_aws``),
    also when the engine serves HTTP, so no task depends on ``MOTO_PORT``.
    """
    import sys

    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        return sdk_client(service, region)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("moto.stepfunctions") and (
            getattr(module, "boto_client_for", None) is original
        ):
            module.boto_client_for = boto_client_for


def install() -> None:
    """Install the SDK integration adaptations."""
    _map_sdk_service_names()
    _name_sdk_errors_like_aws()
    _return_plain_json_from_sdk_tasks()
    _cache_sdk_clients()


def reset() -> None:
    """Drop the shared clients (they belong to the stack's ``mock_aws``)."""
    _clients.clear()
