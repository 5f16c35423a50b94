"""SDK integrations: service and error names as Step Functions writes them, plain-JSON results, shared clients."""

from __future__ import annotations

import base64
import datetime
import functools
import io
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config
from botocore.response import StreamingBody

_boto_services_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _listed_boto_services() -> tuple[dict[str, str], botocore.session.Session]:
    session = botocore.session.get_session()
    return {name.replace("-", ""): name for name in session.get_available_services()}, session


def _boto_services() -> tuple[dict[str, str], botocore.session.Session]:
    # Listing the models reads hundreds of folders: the first executions of a burst waited for one another's
    # listing instead of each listing them again.
    with _boto_services_lock:
        return _listed_boto_services()


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


# Step Functions' PascalCase service prefix in error names (``DynamoDb.ConditionalCheckFailedException``): the
# AWS SDK for Java v2's name of the service.
SERVICE_ERROR_PREFIX = {
    "dynamodb": "DynamoDb", "ec2": "Ec2", "s3": "S3", "sns": "Sns", "sqs": "Sqs", "ssm": "Ssm",
    "rekognition": "Rekognition", "transcribe": "Transcribe", "translate": "Translate",
    "comprehend": "Comprehend", "eventbridge": "EventBridge", "events": "EventBridge",
    "pinpointsmsvoicev2": "PinpointSmsVoiceV2", "sfn": "Sfn", "states": "Sfn", "lambda": "Lambda",
    "ses": "Ses", "sesv2": "SesV2", "cloudwatchlogs": "CloudWatchLogs", "sts": "Sts", "kms": "Kms",
    "secretsmanager": "SecretsManager", "apigateway": "ApiGateway", "iam": "Iam", "athena": "Athena",
    "cloudwatch": "CloudWatch", "ecs": "Ecs", "glue": "Glue", "batch": "Batch", "kinesis": "Kinesis",
}


def _service_error_prefix(sfn_service: str) -> str:
    known = SERVICE_ERROR_PREFIX.get(sfn_service.lower())
    if known:
        return known
    try:  # the service id in PascalCase, as the SDK names its client ("Secrets Manager" → "SecretsManager")
        service_id = _boto_services()[1].get_service_model(boto_service_name(sfn_service)).metadata["serviceId"]
    except botocore.exceptions.UnknownServiceError:  # an unknown service keeps its own name
        return sfn_service[:1].upper() + sfn_service[1:]
    return "".join(w.capitalize() if w.isupper() else w[:1].upper() + w[1:] for w in re.split(r"[\s\-]+", service_id))


@functools.lru_cache(maxsize=256)
def _modelled_errors(boto_service: str) -> dict[str, str]:
    """Error code → error shape name, for the errors the service's API model declares."""
    try:
        model = _boto_services()[1].get_service_model(boto_service)
    except botocore.exceptions.UnknownServiceError:  # a service without a model declares no errors
        return {}
    codes: dict[str, str] = {}
    for shape in model.error_shapes:
        codes[shape.name] = shape.name
        code = shape.metadata.get("error", {}).get("code")
        if code:
            codes.setdefault(code, shape.name)
    return codes


def sdk_error_name(sfn_service: str, code: str) -> str:
    """The error name of an aws-sdk integration: ``<Service>.<Exception>`` as the AWS SDK for Java v2 names it.

    An error the service's API model declares keeps its name (``S3.NoSuchKeyException``,
    ``Sfn.InvalidTokenException``); any other (DynamoDB's ``ValidationException``, every EC2 error: its model
    declares none) is the service's generic exception, ``DynamoDb.DynamoDbException``, ``Ec2.Ec2Exception``.
    """
    prefix = _service_error_prefix(sfn_service)
    errors = _modelled_errors(boto_service_name(sfn_service))
    shape = errors.get(code) or errors.get(f"{code}Exception")
    if shape is None:
        return f"{prefix}.{prefix}Exception"
    return f"{prefix}.{shape if shape.endswith('Exception') else shape + 'Exception'}"


def sdk_error_cause(sfn_service: str, error: Any) -> str:
    """The cause of an aws-sdk error, as the AWS SDK for Java v2 writes its exception's message.

    ``<message> (Service: S3, Status Code: 404, Request ID: …, Extended Request ID: …) (SDK Attempt Count: 1)``;
    S3 answers always carry an extended request id.
    """
    meta = error.response.get("ResponseMetadata", {})
    details = [f"Service: {_service_error_prefix(sfn_service)}", f"Status Code: {meta.get('HTTPStatusCode')}",
               f"Request ID: {meta.get('RequestId') or uuid.uuid4().hex[:16].upper()}"]
    host_id = meta.get("HostId") or (base64.b64encode(os.urandom(48)).decode() if sfn_service == "s3" else None)
    if host_id:
        details.append(f"Extended Request ID: {host_id}")
    message = error.response.get("Error", {}).get("Message", "")
    return f"{message} ({', '.join(details)}) (SDK Attempt Count: 1)"


def _map_sdk_service_names() -> None:
    """Defect 2: ``aws-sdk:eventbridge:putEvents`` fails with "Unknown service 'eventbridge'"."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES = _BotoServiceNames()


def _name_sdk_errors_like_aws() -> None:
    """aws-sdk errors are named and worded as the AWS SDK for Java v2 does (see :func:`sdk_error_name`)."""
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    original = sdk.StateTaskServiceAwsSdk._from_error

    def from_error(self, env, ex):
        if isinstance(ex, ClientError):
            error = sdk_error_name(self.resource.api_name, ex.response.get("Error", {}).get("Code", ""))
            return self._get_task_failure_event(env=env, error=error, cause=sdk_error_cause(self.resource.api_name, ex))
        return original(self, env, ex)

    sdk.StateTaskServiceAwsSdk._from_error = from_error


#: What most of a response is made of, returned as they are (by exact type: a subclass takes the general way).
_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})


def to_plain_json(value: Any) -> Any:
    """Turn an SDK response into what Step Functions hands a state: JSON only."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:  # the common cases first: one set lookup, not a chain of isinstance checks
        return value
    if kind is dict:
        return {key: to_plain_json(item) for key, item in value.items()}
    if kind is list:
        return [to_plain_json(item) for item in value]
    return _any_to_plain_json(value)


def _any_to_plain_json(value: Any) -> Any:  # noqa: PLR0911 - one return per JSON kind
    """:func:`to_plain_json` for any value, by ``isinstance`` (subclasses, datetimes, streams, bytes, sets…)."""
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


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _drop_null_parameters(params=None, **_: Any) -> Any:
    """A parameter given ``null`` is not sent, as the SDK Step Functions uses does not send it.

    The service then answers as it does to a missing parameter (DynamoDB: "Value null at 'item' failed to
    satisfy constraint: Member must not be null"); botocore crashed on it (``'NoneType' object has no
    attribute 'items'``), which the engine reported as States.Runtime.
    """
    return _without_nulls(params) if isinstance(params, dict) else None


def last_http_response(forget: bool = False) -> HttpResponse | None:
    """The HTTP answer of this thread's latest call through an engine client (``forget``: clear it)."""
    value = getattr(_last_response, "value", None)
    if forget:
        _last_response.value = None
    return value


def _operation_model(boto_service: str, action: str) -> Any:
    """The botocore operation model of ``action`` (Step Functions' camelCase action name), or None."""
    client = sdk_client(boto_service)
    operation = client.meta.method_to_api_mapping.get(re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower())
    return client.meta.service_model.operation_model(operation) if operation else None


def to_sdk_request(parameters: Any, shape: Any) -> Any:  # noqa: PLR0911 - one return per kind of shape
    """A state's parameters as the SDK takes them: member names matched regardless of case, values serialised.

    Step Functions writes every member in PascalCase (``StateMachineArn``) while some APIs spell it camelCase
    (``stateMachineArn``); a blob given a JSON value gets the value's compact JSON text (so an S3 object written
    from a string holds the JSON string, quotes included), a string member given another JSON value its JSON text.
    """
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    if shape is None:
        return parameters
    if shape.type_name == "structure" and isinstance(parameters, dict):
        members = {name.lower(): name for name in shape.members}
        shaped = {}
        for key, value in parameters.items():
            name = key if key in shape.members else members.get(key.lower(), key)
            shaped[name] = to_sdk_request(value, shape.members.get(name))
        return shaped
    if shape.type_name == "list" and isinstance(parameters, list):
        return [to_sdk_request(item, shape.member) for item in parameters]
    if shape.type_name == "map" and isinstance(parameters, dict):
        return {key: to_sdk_request(value, shape.value) for key, value in parameters.items()}
    if shape.type_name == "blob" and not isinstance(parameters, bytes | bytearray):
        return to_json_str(parameters, separators=(",", ":")).encode("utf-8")
    if shape.type_name == "string" and parameters is not None and not isinstance(parameters, str):
        return to_json_str(parameters)
    return parameters


def to_sfn_result(result: Any, shape: Any) -> Any:
    """An SDK answer as Step Functions hands it on: member names in PascalCase (``executionArn`` → ``ExecutionArn``)."""
    if shape is None:
        return result
    if shape.type_name == "structure" and isinstance(result, dict):
        return {(key[:1].upper() + key[1:] if key in shape.members else key):
                to_sfn_result(value, shape.members.get(key)) for key, value in result.items()}
    if shape.type_name == "list" and isinstance(result, list):
        return [to_sfn_result(item, shape.member) for item in result]
    if shape.type_name == "map" and isinstance(result, dict):
        return {key: to_sfn_result(value, shape.value) for key, value in result.items()}
    return result


def _shape_aws_sdk_requests_and_results() -> None:
    """aws-sdk: parameters and results as the SDK Step Functions uses takes and gives them.

    PascalCase parameters of camelCase APIs failed (``KeyError('StateMachineArn')``), so did an S3 Body that was
    not a string; camelCase answers were handed on as they were. See :func:`to_sdk_request`.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        operation = _operation_model(self._get_boto_service_name(boto_service_name),
                                     service_action_name or self.resource.api_action)
        if operation is not None:
            shaped = to_sdk_request(parameters, operation.input_shape)
            parameters.clear()
            parameters.update(shaped)

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):
        operation = _operation_model(self._get_boto_service_name(boto_service_name),
                                     service_action_name or self.resource.api_action)
        if operation is not None and isinstance(response, dict):
            shaped = to_sfn_result(response, operation.output_shape)
            response.clear()
            response.update(shaped)

    sdk.StateTaskServiceAwsSdk._normalise_parameters = normalise_parameters
    sdk.StateTaskServiceAwsSdk._normalise_response = normalise_response


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
_boto_session: boto3.session.Session | None = None
#: Called with each new shared client (the service emulation makes its calls reach moto directly).
new_client_hooks: list[Callable[[Any], None]] = []


def clients() -> list[Any]:
    """The shared clients made so far."""
    return list(_clients.values())


_making_the_engine_session = threading.local()


def _engine_session() -> boto3.session.Session:
    """The engine's SDK session, made without the initializers that function code registers with botocore.

    A Lambda function's code runs in this process: Powertools, for one, registers an initializer that adds its
    user-agent feature to every botocore session made after its import. Step Functions' own calls carry no
    such feature (see :func:`_keep_function_code_out_of_the_engine_session`).
    """
    global _boto_session  # noqa: PLW0603 - one botocore loader keeps the service models it read
    if _boto_session is None:
        _making_the_engine_session.now = True
        try:
            _boto_session = boto3.session.Session()
        finally:
            _making_the_engine_session.now = False
    return _boto_session


def make_sdk_client(service: str, region: str = "us-east-1") -> Any:
    """A new client configured as Step Functions' SDK (:func:`sdk_client` shares one per service and region)."""
    client = _engine_session().client(
        service, region_name=region, aws_access_key_id="local", aws_secret_access_key="local",
        # As Step Functions' SDK: no client-side validation or retries, and no response checksums
        # asked for (S3 GetObject answers without ChecksumCRC32 then, as in AWS).
        config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1},
                      response_checksum_validation="when_required"),
    )
    client.meta.events.register("after-call", _remember_http_response)
    client.meta.events.register("provide-client-params", _drop_null_parameters)
    return client


def sdk_client(service: str, region: str = "us-east-1") -> Any:
    """One boto3 client per (service, region), shared by all executions (boto3 clients are thread-safe)."""
    key = (service, region)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = make_sdk_client(service, region)
                for hook in new_client_hooks:
                    hook(client)
                _clients[key] = client
    return client


def _keep_function_code_out_of_the_engine_session() -> None:
    """Defect: a Lambda function's imports changed the requests of every later Task state.

    botocore runs its registered initializers on each new session; while the engine makes its own session
    (:func:`_engine_session`, on its thread only) they are skipped: every other session still gets them.
    """
    import botocore.session

    original = botocore.session.invoke_initializers

    def invoke_initializers(session: Any) -> None:
        if not getattr(_making_the_engine_session, "now", False):
            original(session)

    botocore.session.invoke_initializers = invoke_initializers


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
    _shape_aws_sdk_requests_and_results()
    _keep_function_code_out_of_the_engine_session()
    _cache_sdk_clients()


def reset() -> None:
    """Drop the shared clients (they belong to the stack's ``mock_aws``)."""
    _clients.clear()
