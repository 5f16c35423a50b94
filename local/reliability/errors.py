"""The classes of error each API returns, named as Step Functions names them, and the fault matrix they make.

Every Task state of every workflow with a fault harness (inside Parallel and Map states too) by every class of
error its API really returns — throttling, server error, access denied, validation, and ``States.Timeout``
where the state has a timeout. Each is injected under the name and cause AWS reports for that code of that
integration (:func:`local.engine.error_names.task_error`): S3's SlowDown as ``S3.S3Exception``, an optimised
DynamoDB throttle as ``DynamoDB.ProvisionedThroughputExceededException``, so a retrier naming anything else is
seen not to fire.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from local.engine.error_names import task_error
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
    # SESv2 models no server error for SendEmail: a 500 is the common InternalFailure.
    "sesv2": ("TooManyRequestsException", "InternalFailure", "AccessDeniedException", "BadRequestException"),
    "pinpointsmsvoicev2": ("ThrottlingException", "InternalServerException", "AccessDeniedException",
                           "ValidationException"),
    "lambda": ("TooManyRequestsException", "ServiceException", "AccessDeniedException",
               "InvalidRequestContentException"),
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
#: Services that word (and number) some classes their own way: kind → (message, HTTP status).
_OWN_MESSAGES = {
    "ec2": {"throttling": ("Request limit exceeded.", 503), "server-error": ("An internal error has occurred.", 500),
            "access-denied": ("You are not authorized to perform this operation.", 403),
            "validation": ("The filter 'resource-id' is invalid", 400)},
    "lambda": {"throttling": ("Rate Exceeded.", 429), "server-error": ("Lambda encountered an internal error.", 500),
               "validation": ("Could not parse request body into json", 400)},
}
#: Optimised integrations (``arn:aws:states:::<service>:<action>``) → the error codes' service.
_OPTIMISED = {"events": "eventbridge"}


def task_api(resource: str) -> tuple[str, str, bool]:
    """``(service, action, is_aws_sdk)`` of a Task's ``Resource`` (the integration pattern suffix dropped)."""
    rest = resource.split(":::", 1)[-1]
    sdk = rest.startswith("aws-sdk:")
    service, _, action = rest.removeprefix("aws-sdk:").partition(":")
    return service, action.split(".", 1)[0], sdk


def error_classes(state: dict[str, Any]) -> list[ErrorClass]:
    """The classes of error a Task state's API returns, named and worded as Step Functions reports them.

    Parameters
    ----------
    state
        The Task state (its ``Resource`` names the API; a timeout adds ``States.Timeout``).

    Returns
    -------
    list[ErrorClass]
        Throttling, server error, access denied and validation, then ``timeout`` if the state has one.

    """
    resource = state["Resource"]
    service, action, sdk = task_api(resource)
    codes_of = service if sdk else _OPTIMISED.get(service, service)
    codes = SERVICE_ERROR_CODES.get(codes_of)
    if codes is None:
        raise KeyError(f"no error classes known for {resource}: add them to SERVICE_ERROR_CODES")
    api_action = f"{service}:{action[:1].upper()}{action[1:]}"
    classes: list[ErrorClass] = []
    for kind, code in zip(_KINDS, codes, strict=True):
        message, status = _OWN_MESSAGES.get(codes_of, {}).get(kind) or (
            _MESSAGES[kind].format(action=api_action), _STATUS[kind])
        if codes_of == "ec2":  # EC2's code is only in its message: every EC2 error has one name
            message = f"{message} ({code})"
        answer = ClientError({"Error": {"Code": code, "Message": message},
                              "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "reliability"}},
                             api_action)
        name, cause = task_error(resource, answer)
        classes.append(ErrorClass(kind, name, cause))
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
