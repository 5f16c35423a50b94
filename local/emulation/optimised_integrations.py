"""Optimised integrations (``arn:aws:states:::lambda:invoke``, ``sns:publish``…): results and errors as AWS gives them.

Step Functions' optimised integrations for Lambda, SNS, SQS, DynamoDB and Step Functions are built on the AWS SDK
for Java v1: their result is the API's answer plus ``SdkHttpMetadata`` (``HttpStatusCode``, ``HttpHeaders``,
``AllHttpHeaders``) and ``SdkResponseMetadata`` (``RequestId``), keys in alphabetical order; ``lambda:invoke``
adds ``ExecutedVersion``. moto dropped that metadata, so a Choice on ``$.SdkHttpMetadata.HttpStatusCode`` failed
locally. ``aws-sdk:`` integrations and ``events:putEvents`` carry none, as in AWS; nor do mocked responses
(MockConfigFile), which are returned as written.

The status code, request id and body length are those of the local service's answer; the header names and the
constant ones (``Connection``, ``Content-Type``, Lambda's ``x-amzn-Remapped-Content-Length``) are AWS's.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import uuid
import zlib
from typing import Any

from local.engine import sdk
from local.engine.error_names import java_v1_error

# Content type of each service's answers (its protocol) and how it spells the Connection header.
_CONTENT_TYPE = {"lambda": "application/json", "sns": "text/xml"}
_JSON_1_0 = "application/x-amz-json-1.0"
_CAPITALISED_CONNECTION = {"lambda", "dynamodb"}


def sdk_metadata(service: str, response: sdk.HttpResponse) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` of an answer of ``service`` (its Step Functions name)."""
    headers = {
        "Connection" if service in _CAPITALISED_CONNECTION else "connection": "keep-alive",
        "Content-Length": str(response.length),
        "Content-Type": _CONTENT_TYPE.get(service, _JSON_1_0),
        "Date": email.utils.format_datetime(datetime.datetime.now(datetime.UTC), usegmt=True),
        "x-amzn-RequestId": response.request_id,
    }
    lowered = {k.lower(): v for k, v in response.headers.items()}
    if service == "lambda":
        headers["X-Amz-Executed-Version"] = lowered.get("x-amz-executed-version", "$LATEST")
        headers["x-amzn-Remapped-Content-Length"] = "0"
        headers["X-Amzn-Trace-Id"] = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0"
        if "x-amz-log-result" in lowered:
            headers["X-Amz-Log-Result"] = lowered["x-amz-log-result"]
    elif service == "dynamodb":
        headers["Server"] = "Server"
        headers["x-amz-crc32"] = str(zlib.crc32(response.body or b""))
    ordered = dict(sorted(headers.items(), key=lambda item: item[0].lower()))
    return {
        "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": ordered,
                            "HttpStatusCode": response.status},
        "SdkResponseMetadata": {"RequestId": response.request_id},
    }


def _optimised_task_classes() -> dict[str, type]:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
        state_task_service_lambda,
        state_task_service_sfn,
        state_task_service_sns,
        state_task_service_sqs,
    )

    return {
        "lambda": state_task_service_lambda.StateTaskServiceLambda,
        "sns": state_task_service_sns.StateTaskServiceSns,
        "sqs": state_task_service_sqs.StateTaskServiceSqs,
        "dynamodb": state_task_service_dynamodb.StateTaskServiceDynamoDB,
        "states": state_task_service_sfn.StateTaskServiceSfn,
    }


def _add_sdk_metadata_to_optimised_results() -> None:
    """Optimised integrations' results lacked ``SdkHttpMetadata`` and ``SdkResponseMetadata`` (see the module)."""
    for service, task_class in _optimised_task_classes().items():
        original = task_class._eval_service_task

        def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials,
                              _original=original, _service=service):
            sdk.last_http_response(forget=True)
            _original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            response = sdk.last_http_response(forget=True)
            result = env.stack[-1] if env.stack else None
            if response is not None and isinstance(result, dict):
                env.stack[-1] = dict(sorted({**result, **sdk_metadata(_service, response)}.items()))

        task_class._eval_service_task = eval_service_task


def _keep_the_text_of_lambda_function_errors() -> None:
    """A Lambda Task's cause is the function's error payload as the function wrote it (moto re-serialised it).

    With ``Resource: arn:aws:lambda:…:function:name`` the cause is Lambda's payload text unchanged
    (``{"errorMessage": "…", "errorType": …}``); ``lambda:invoke`` re-writes it as compact JSON.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    def invoke_lambda_function(parameters, region, state_credentials):
        client = lambda_eval_utils.boto_client_for(service="lambda", region=region, state_credentials=state_credentials)
        response = client.invoke(**parameters)
        raw = response["Payload"].read()
        response["Payload"] = lambda_eval_utils._from_payload(_Readable(raw))
        if response.get("FunctionError"):
            raise _FunctionError(response["FunctionError"], raw.decode("utf-8", "replace"),
                                 json.dumps(response["Payload"], separators=(",", ":")))
        return response

    class _FunctionError(lambda_eval_utils.LambdaFunctionErrorException):
        def __init__(self, function_error: str, text: str, compact: str) -> None:
            super().__init__(function_error, compact)
            self.text = text

    lambda_eval_utils._invoke_lambda_function = invoke_lambda_function

    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

    original_from_error = StateTaskLambda._from_error

    def from_error(self, env, ex):
        if isinstance(ex, _FunctionError):
            ex.payload = ex.text
        return original_from_error(self, env, ex)

    StateTaskLambda._from_error = from_error


def _name_optimised_integration_errors_as_aws() -> None:
    """Optimised integrations' service errors are named and worded as AWS does (``java_v1_error``).

    moto named every SQS error ``SQS.SdkClientException`` with a bare message, DynamoDB's undeclared errors
    (``ValidationException``) ``DynamoDB.ValidationException``, and a PutEvents refused by EventBridge (a missing
    bus, more than 10 entries) ``States.Runtime``.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_events
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    classes = {**_optimised_task_classes(), "events": state_task_service_events.StateTaskServiceEvents}
    for service, task_class in classes.items():
        original = task_class._from_error

        def from_error(self, env, ex, _original=original, _service=service):
            if not isinstance(ex, ClientError):
                return _original(self, env, ex)
            error, cause = java_v1_error(_service, ex)
            return FailureEvent(
                env=env, error_name=CustomErrorName(error), event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                    error=error, cause=cause, resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type())))

        task_class._from_error = from_error


class _Readable:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data


def install() -> None:
    """Install the optimised integrations' result and error shapes."""
    _add_sdk_metadata_to_optimised_results()
    _keep_the_text_of_lambda_function_errors()
    _name_optimised_integration_errors_as_aws()
