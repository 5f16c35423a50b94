"""The classes of error each API returns, named as Step Functions names them, and the fault matrix they make.

Every Task state of every workflow with a fault harness (inside Parallel and Map states too) by every class of
error its API really returns — throttling, server error, access denied, validation, and ``States.Timeout``
where the state has a timeout.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from local.engine.sdk import SERVICE_ERROR_PREFIX
from local.paths import PROJECT_ROOT
from local.workflows import registry
from local.workflows.harness import ErrorClass, FaultCase, definition, task_states

#: Error codes each API returns, per class: throttling, server error, access denied, validation.
SERVICE_ERROR_CODES: dict[str, tuple[str, str, str, str]] = {
    "ec2": ("RequestLimitExceeded", "InternalError", "UnauthorizedOperation", "InvalidParameterValue"),
    "ssm": ("ThrottlingException", "InternalServerError", "AccessDeniedException", "ValidationException"),
    "eventbridge": ("ThrottlingException", "InternalException", "AccessDeniedException", "ValidationException"),
    "rekognition": ("ThrottlingException", "InternalServerError", "AccessDeniedException",
                    "InvalidParameterException"),
    "dynamodb": ("ProvisionedThroughputExceededException", "InternalServerError", "AccessDeniedException",
                 "ValidationException"),
    "sns": ("Throttled", "InternalError", "AuthorizationError", "InvalidParameter"),
    "s3": ("SlowDown", "InternalError", "AccessDenied", "InvalidRequest"),
    "transcribe": ("LimitExceededException", "InternalFailureException", "AccessDeniedException",
                   "BadRequestException"),
    "translate": ("TooManyRequestsException", "InternalServerException", "AccessDeniedException",
                  "InvalidRequestException"),
    "comprehend": ("TooManyRequestsException", "InternalServerException", "AccessDeniedException",
                   "InvalidRequestException"),
    # SESv2 models no server error: a 500 is the common InternalFailure.
    "sesv2": ("TooManyRequestsException", "InternalFailure", "AccessDeniedException", "BadRequestException"),
    "pinpointsmsvoicev2": ("ThrottlingException", "InternalServerException", "AccessDeniedException",
                           "ValidationException"),
}
_KINDS = ("throttling", "server-error", "access-denied", "validation")
_STATUS = {"throttling": 400, "server-error": 500, "access-denied": 403, "validation": 400}
_MESSAGES = {
    "throttling": "Rate exceeded",
    "server-error": "We encountered an internal error. Please try again.",
    "access-denied": ("User: arn:aws:sts::123456789012:assumed-role/StateMachineRole/reliability is not "
                      "authorized to perform: {action}"),
    "validation": "1 validation error detected: a parameter of {action} failed to satisfy its constraint",
}
_EC2_MESSAGES = {
    "throttling": ("Request limit exceeded.", 503), "server-error": ("An internal error has occurred.", 500),
    "access-denied": ("You are not authorized to perform this operation.", 403),
    "validation": ("The filter 'resource-id' is invalid", 400),
}
#: The optimised Lambda integration names errors after the Lambda SDK's exceptions.
LAMBDA_ERRORS = {
    "throttling": ("Lambda.TooManyRequestsException", "Rate Exceeded.", 429),
    "server-error": ("Lambda.ServiceException", "Lambda encountered an internal error.", 500),
    "access-denied": ("Lambda.AWSLambdaException", _MESSAGES["access-denied"].format(action="lambda:InvokeFunction"),
                      403),
    "validation": ("Lambda.InvalidRequestContentException", "Could not parse request body into json", 400),
}
#: Optimised integrations (``arn:aws:states:::<service>:<action>``) → the error codes' service.
_OPTIMISED = {"events": "eventbridge", "dynamodb": "dynamodb", "sns": "sns", "sqs": "sqs"}
_OPTIMISED_PREFIX = {"events": "EventBridge", "dynamodb": "DynamoDB", "sns": "SNS", "sqs": "SQS"}


def task_api(resource: str) -> tuple[str, str, bool]:
    """``(service, action, is_aws_sdk)`` of a Task's ``Resource`` (the integration pattern suffix dropped)."""
    rest = resource.split(":::", 1)[-1]
    sdk = rest.startswith("aws-sdk:")
    service, _, action = rest.removeprefix("aws-sdk:").partition(":")
    return service, action.split(".", 1)[0], sdk


def error_classes(state: dict[str, Any]) -> list[ErrorClass]:
    """The classes of error a Task state's API returns, as Step Functions names them.

    Parameters
    ----------
    state
        The Task state (its ``Resource`` names the API; a timeout adds ``States.Timeout``).

    Returns
    -------
    list[ErrorClass]
        Throttling, server error, access denied and validation, then ``timeout`` if the state has one.

    """
    service, action, sdk = task_api(state["Resource"])
    classes: list[ErrorClass] = []
    if service == "lambda" and not sdk:
        for kind in _KINDS:
            name, message, status = LAMBDA_ERRORS[kind]
            classes.append(ErrorClass(kind, name, f"{message} (Service: AWSLambda; Status Code: {status}; "
                                                   "Request ID: reliability)"))
    else:
        codes_of = _OPTIMISED.get(service, service) if not sdk else service
        codes = SERVICE_ERROR_CODES.get(codes_of)
        if codes is None:
            raise KeyError(f"no error classes known for {state['Resource']}: add them to SERVICE_ERROR_CODES")
        prefix = (SERVICE_ERROR_PREFIX.get(service, service) if sdk else _OPTIMISED_PREFIX.get(service, service))
        api_action = f"{service}:{action[:1].upper()}{action[1:]}"
        for kind, code in zip(_KINDS, codes, strict=True):
            if service == "ec2":
                message, status = _EC2_MESSAGES[kind]
                message = f"{message} ({code})"
            else:
                message, status = _MESSAGES[kind].format(action=api_action), _STATUS[kind]
            # The names the workflows' retriers list: <Service>.<Code>Exception. AWS names a code the service's
            # API model does not declare by the generic exception (S3 SlowDown is S3.S3Exception, see
            # local.engine.sdk.sdk_error_name): the matrix keeps the designed names until the workflows decide.
            name = "Ec2.Ec2Exception" if service == "ec2" else f"{prefix}.{code.removesuffix('Exception')}Exception"
            classes.append(ErrorClass(kind, name, f"{message} (Service: {name.split('.')[0]}, Status Code: "
                                                  f"{status}, Request ID: reliability)"))
    if any(key in state for key in ("TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
                                    "HeartbeatSecondsPath")):
        classes.append(ErrorClass("timeout", "States.Timeout", "The task did not end within its timeout"))
    return classes


def harnessed_workflows(root: Path = PROJECT_ROOT) -> list[str]:
    """The project's workflows whose driver has a fault harness."""
    found = registry(root)
    return [w for w in found.workflows if (d := found.driver(w)) is not None and d.harness is not None]


def fault_cases(workflows: Iterable[str] | None = None, root: Path = PROJECT_ROOT) -> list[FaultCase]:
    """The fault matrix, generated from the definitions.

    Parameters
    ----------
    workflows
        Workflow folder names under ``root/workflows`` (default: every workflow with a fault harness).
    root
        The project root.

    Returns
    -------
    list[FaultCase]
        Every Task state of every workflow (in Parallel and Map states too) with every class of error of its API.

    """
    return [
        FaultCase(workflow, name, error)
        for workflow in (harnessed_workflows(root) if workflows is None else workflows)
        for name, state in task_states(definition(workflow, root)["States"]).items()
        for error in error_classes(state)
    ]
