"""Which error name Step Functions reports for an error code of the API behind a Task's ``Resource``.

Step Functions names a service's error after the exception class of the AWS SDK for Java it calls the service with:

* ``aws-sdk:`` integrations use the SDK v2 (:func:`local.engine.sdk.sdk_error_name`): ``S3.NoSuchKeyException``
  for a code the API model declares, the generic ``S3.S3Exception`` for any other (S3's SlowDown and
  InternalError, every EC2 error: ``Ec2.Ec2Exception``).
* optimised integrations (``lambda:invoke``, ``sns:publish``, ``sqs:sendMessage``, ``dynamodb:*Item``,
  ``states:startExecution``, ``events:putEvents``) and Lambda function ARNs use the SDK v1: other prefixes and
  generic names (``DynamoDB.ConditionalCheckFailedException``, ``DynamoDB.AmazonDynamoDBException``,
  ``SQS.AmazonSQSException``) and causes worded as v1 words them.

The engine names the errors of its calls with these functions, the fault matrix injects what they answer, and the
``error-names`` check of ``validate`` flags a Retry or Catch naming an error the integration never raises.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from local.engine import sdk
from local.engine.api_models import parse_resource

#: The AWS SDK for Java v1 behind the optimised integrations: error prefix, generic exception, service name in
#: causes, botocore's service name (whose model declares the errors).
JAVA_V1 = {
    "lambda": ("Lambda", "AWSLambdaException", "AWSLambda", "lambda"),
    "sns": ("SNS", "AmazonSNSException", "AmazonSNS", "sns"),
    "sqs": ("SQS", "AmazonSQSException", "AmazonSQS", "sqs"),
    "dynamodb": ("DynamoDB", "AmazonDynamoDBException", "AmazonDynamoDBv2", "dynamodb"),
    "states": ("StepFunctions", "AWSStepFunctionsException", "AWSStepFunctions", "stepfunctions"),
    "events": ("EventBridge", "AmazonEventBridgeException", "AmazonEventBridge", "events"),
}
#: SQS's query-protocol codes and the error shape they stand for.
_SQS_QUERY_CODES = {"AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist"}
#: Errors an optimised integration raises besides its API's: a PutEvents answer with failed entries.
_OWN_ERRORS = {"events": frozenset({"EventBridge.FailedEntry"})}


def java_v1_error_name(service: str, code: str) -> str:
    """The error name of an optimised integration of ``service`` (its name in the ARN) for an error code.

    A code the API model declares is ``<Prefix>.<Name>Exception`` (``SNS.NotFoundException``,
    ``DynamoDB.ConditionalCheckFailedException``, ``SQS.QueueDoesNotExistException``); any other is the generic
    ``SQS.AmazonSQSException``, ``DynamoDB.AmazonDynamoDBException``…
    """
    prefix, generic, _, boto_service = JAVA_V1[service]
    declared = sdk._modelled_errors(boto_service)
    shape = declared.get(_SQS_QUERY_CODES.get(code, code)) or declared.get(f"{code}Exception")
    if shape is None:
        return f"{prefix}.{generic}"
    return f"{prefix}.{shape if shape.endswith('Exception') else shape + 'Exception'}"


def java_v1_error(service: str, error: Any) -> tuple[str, str]:
    """Error name and cause of a failed optimised integration call (a botocore ``ClientError``), as AWS reports it.

    The cause is ``<message> (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: …; Proxy:
    null)``.
    """
    service_name = JAVA_V1[service][2]
    code = error.response.get("Error", {}).get("Code", "")
    meta = error.response.get("ResponseMetadata", {})
    details = "; ".join([f"Service: {service_name}", f"Status Code: {meta.get('HTTPStatusCode')}",
                         f"Error Code: {code}", f"Request ID: {meta.get('RequestId') or uuid.uuid4()}",
                         "Proxy: null"])
    return java_v1_error_name(service, code), f"{error.response.get('Error', {}).get('Message', '')} ({details})"


@dataclass(frozen=True)
class Integration:
    """The integration behind a Task's ``Resource``, as far as its error names go.

    Attributes
    ----------
    kind : str
        ``aws-sdk`` (named as the Java SDK v2 names them) or ``optimised`` (as the v1 does; Lambda function ARNs
        too).
    service : str
        The service as written in the ARN (``s3``, ``dynamodb``, ``events``); ``lambda`` for a function ARN.
    action : str
        The API action as written in the ARN (``putObject``).
    prefix : str
        The prefix of its error names (``S3``, ``DynamoDb`` for aws-sdk, ``DynamoDB`` optimised).
    generic : str
        The name of any error code its API model does not declare (``S3.S3Exception``).
    boto : str
        botocore's name of the service, whose model declares its errors.
    own : frozenset of str
        Errors the integration raises besides its API's (``EventBridge.FailedEntry``).

    """

    kind: str
    service: str
    action: str
    prefix: str
    generic: str
    boto: str
    own: frozenset[str] = frozenset()

    @property
    def invokes_a_function(self) -> bool:
        """A Lambda invocation: the function's own errors arrive under any name it gives them."""
        return self.service == "lambda" and self.action.lower() == "invoke"


def integration(resource: str) -> Integration | None:
    """The integration behind ``resource`` (a Task's ``Resource``), or None when no AWS API is behind it.

    Activities, HTTP tasks and optimised integrations other than those of :data:`JAVA_V1` have no service error
    names known here.
    """
    kind, service, action, _pattern = parse_resource(resource)
    if kind == "aws-sdk":
        prefix = sdk._service_error_prefix(service)
        return Integration("aws-sdk", service, action, prefix, f"{prefix}.{prefix}Exception",
                           sdk.boto_service_name(service))
    if kind in ("optimised", "lambda-function") and service in JAVA_V1:
        prefix, generic, _, boto = JAVA_V1[service]
        return Integration("optimised", service, action, prefix, f"{prefix}.{generic}", boto,
                           _OWN_ERRORS.get(service, frozenset()))
    return None


def task_error_name(resource: str, code: str) -> str:
    """The error name Step Functions reports when the API behind ``resource`` answers with error ``code``.

    Parameters
    ----------
    resource : str
        A Task's ``Resource`` (``arn:aws:states:::aws-sdk:s3:putObject``, ``arn:aws:states:::dynamodb:updateItem``,
        a Lambda function ARN).
    code : str
        The service's error code (``SlowDown``, ``ProvisionedThroughputExceededException``), with or without the
        ``Exception`` suffix.

    Returns
    -------
    str
        ``S3.S3Exception``, ``DynamoDB.ProvisionedThroughputExceededException``…

    Raises
    ------
    ValueError
        When no AWS API is behind ``resource`` (see :func:`integration`).

    """
    found = integration(resource)
    if found is None:
        raise ValueError(f"{resource} calls no AWS API whose errors Step Functions names")
    if found.kind == "aws-sdk":
        return sdk.sdk_error_name(found.service, code)
    return java_v1_error_name(found.service, code)


def task_error(resource: str, error: Any) -> tuple[str, str]:
    """Error name and cause Step Functions reports when the API behind ``resource`` fails with ``error``.

    ``error`` is a botocore ``ClientError`` (its code, message, status and request id make the cause).
    """
    found = integration(resource)
    if found is None:
        raise ValueError(f"{resource} calls no AWS API whose errors Step Functions names")
    if found.kind == "aws-sdk":
        code = error.response.get("Error", {}).get("Code", "")
        return sdk.sdk_error_name(found.service, code), sdk.sdk_error_cause(found.service, error)
    return java_v1_error(found.service, error)
