"""Regression tests for the pieces of the engine that do not need a running stack.

The behaviour tests of every moto adaptation are in ``tests/functional/test_engine.py``; these pin the
version the adaptations were written for and test the pure helpers they rely on.
"""

from __future__ import annotations

import base64
import collections
import datetime
import decimal
import io
import json
from importlib import metadata

import pytest
from botocore.response import StreamingBody
from hypothesis import given
from hypothesis import strategies as st

from local import engine
from local.emulation.eventbridge import render_target_input
from local.engine.error_names import task_error_name
from local.engine.jsonpath import extract_json
from local.engine.mock_config import MockConfig, MockConfigError, UnknownTestCase
from local.engine.sdk import boto_service_name, sdk_error_name, to_plain_json
from local.stack.pipes import render_input_template


def test_moto_is_the_version_the_adaptations_were_written_for():
    """Upgrading moto is deliberate: the adaptations patch its internals and must be reviewed first."""
    assert metadata.version("moto") == engine.MOTO_VERSION


@pytest.mark.parametrize(("sfn", "boto"), [
    ("eventbridge", "events"), ("pinpointsmsvoicev2", "pinpoint-sms-voice-v2"), ("cloudwatchlogs", "logs"),
    ("sfn", "stepfunctions"), ("dynamodb", "dynamodb"), ("rekognition", "rekognition"), ("ec2", "ec2"),
])
def test_step_functions_service_names_map_to_boto3(sfn, boto):
    """``aws-sdk:<service>`` names of Step Functions reach the right boto3 service."""
    assert boto_service_name(sfn) == boto


@pytest.mark.parametrize(("service", "code", "name"), [
    ("s3", "NoSuchKey", "S3.NoSuchKeyException"),
    ("dynamodb", "ConditionalCheckFailedException", "DynamoDb.ConditionalCheckFailedException"),
    ("ec2", "RequestLimitExceeded", "Ec2.Ec2Exception"),  # EC2 has one exception, the code is in the cause
    ("eventbridge", "ThrottlingException", "EventBridge.ThrottlingException"),
    ("sfn", "InvalidToken", "Sfn.InvalidTokenException"),
    ("dynamodb", "ValidationException", "DynamoDb.DynamoDbException"),  # not in DynamoDB's model: the generic one
    ("secretsmanager", "ValidationException", "SecretsManager.SecretsManagerException"),
])
def test_sdk_error_names_follow_step_functions(service, code, name):
    """Errors the API model declares are ``<Service>.<Code>Exception``; any other is the service's generic one."""
    assert sdk_error_name(service, code) == name


@pytest.mark.parametrize(("resource", "code", "name"), [
    # aws-sdk: the Java SDK v2's names; a code S3's model does not declare is the generic S3.S3Exception
    ("arn:aws:states:::aws-sdk:s3:putObject", "SlowDown", "S3.S3Exception"),
    ("arn:aws:states:::aws-sdk:s3:getObject", "InternalError", "S3.S3Exception"),
    ("arn:aws:states:::aws-sdk:s3:getObject", "NoSuchKey", "S3.NoSuchKeyException"),
    ("arn:aws:states:::aws-sdk:sesv2:sendEmail", "InternalFailure", "SesV2.SesV2Exception"),
    ("arn:aws:states:::aws-sdk:ec2:describeTags", "RequestLimitExceeded", "Ec2.Ec2Exception"),
    ("arn:aws:states:::aws-sdk:dynamodb:updateItem", "ProvisionedThroughputExceededException",
     "DynamoDb.ProvisionedThroughputExceededException"),
    # optimised: the Java SDK v1's prefixes and generic names, whatever the integration pattern
    ("arn:aws:states:::dynamodb:updateItem", "ProvisionedThroughputExceededException",
     "DynamoDB.ProvisionedThroughputExceededException"),
    ("arn:aws:states:::dynamodb:updateItem", "ThrottlingException", "DynamoDB.ThrottlingException"),
    ("arn:aws:states:::dynamodb:putItem", "ValidationException", "DynamoDB.AmazonDynamoDBException"),
    ("arn:aws:states:::sns:publish", "NotFound", "SNS.NotFoundException"),
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "MissingParameter", "SQS.AmazonSQSException"),
    ("arn:aws:states:::lambda:invoke", "TooManyRequestsException", "Lambda.TooManyRequestsException"),
    ("arn:aws:states:::lambda:invoke", "AccessDeniedException", "Lambda.AWSLambdaException"),
    ("arn:aws:lambda:us-east-1:123456789012:function:f", "ServiceException", "Lambda.ServiceException"),
    ("arn:aws:states:::events:putEvents", "ValidationException", "EventBridge.AmazonEventBridgeException"),
    ("arn:aws:states:::states:startExecution.sync:2", "StateMachineDoesNotExist",
     "StepFunctions.StateMachineDoesNotExistException"),
])
def test_task_error_names_follow_the_integration_kind(resource, code, name):
    """One answer for both kinds of integration: the name Step Functions reports for that code of that Resource."""
    assert task_error_name(resource, code) == name


def test_task_error_name_refuses_a_resource_without_an_aws_api():
    """An activity has no service whose errors Step Functions names."""
    with pytest.raises(ValueError, match="calls no AWS API"):
        task_error_name("arn:aws:states:us-east-1:123456789012:activity:review", "Anything")


def test_sdk_results_become_plain_json():
    """Datetimes become ISO 8601 strings in UTC and streamed bodies become text."""
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    body = StreamingBody(io.BytesIO(b'{"a": 1}'), len(b'{"a": 1}'))
    assert to_plain_json({"When": when, "Body": body, "Tags": ({"k"})}) == {
        "When": "2026-01-02T03:04:05.678Z", "Body": '{"a": 1}', "Tags": ["k"]}


class _Name(str):
    """A str subclass, as some SDK values are (enums): it takes the general way and comes back as it is."""


def _as_sdk_answers_them(value):
    """What each non-JSON value of an SDK answer becomes, for json.dumps (an oracle independent of the engine)."""
    if isinstance(value, datetime.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        utc = value.astimezone(datetime.UTC)
        return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
                f"{utc.microsecond // 1000:03d}Z")
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, frozenset | set):
        return list(value)
    raise TypeError(type(value))


_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=8) | st.text(max_size=8).map(_Name) | st.binary(max_size=8)
            | st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1),
                           timezones=st.none() | st.just(datetime.UTC) | st.timezones())
            | st.decimals(allow_nan=False, allow_infinity=False, places=2)
            | st.frozensets(st.text(max_size=4), max_size=3))
_ANSWERS = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=3).map(collections.OrderedDict),
                        max_leaves=20)


@given(_ANSWERS)
def test_any_sdk_answer_becomes_the_json_it_stands_for(answer):
    """Scalars, containers of any kind and depth, datetimes in any zone, bytes, decimals and sets all become JSON.

    Whatever way a value takes (the common types by exact type, the rest by isinstance), the result is what
    json.dumps writes for it with each non-JSON value turned as Step Functions hands it to a state.
    """
    expected = json.loads(json.dumps(answer, default=_as_sdk_answers_them))
    assert to_plain_json(answer) == expected
    assert json.loads(json.dumps(to_plain_json(answer))) == expected  # plain JSON: nothing left to turn


def test_jsonpath_definite_and_indefinite_paths():
    """A definite path yields its value; wildcards, slices and filters yield lists."""
    data = {"Items": [{"id": "x", "n": 1}, {"id": "y", "n": 2}]}
    assert extract_json("$.Items[0].id", data) == "x"
    assert extract_json("$.Items[*].id", data) == ["x", "y"]
    assert extract_json("$.Items[?(@.n > 1)].id", data) == ["y"]


def test_input_transformer_quotes_string_values_like_eventbridge():
    """A bare placeholder takes the value's JSON; one inside quotes takes its text."""
    target = {"InputTransformer": {"InputPathsMap": {"id": "$.detail.id", "n": "$.detail.n"},
                                   "InputTemplate": '{"id": <id>, "n": <n>, "text": "order <id> x<n>"}'}}
    rendered = render_target_input(target, {"detail": {"id": "o-1", "n": 3}})
    assert json.loads(rendered) == {"id": "o-1", "n": 3, "text": "order o-1 x3"}


def test_pipe_input_template_fills_stream_record_paths():
    """A Pipe's ``<$.path>`` placeholders read the DynamoDB stream record."""
    record = {"dynamodb": {"NewImage": {"AppointmentId": {"S": "a-1"}}}}
    rendered = render_input_template('{"appointmentId": "<$.dynamodb.NewImage.AppointmentId.S>"}', record)
    assert json.loads(rendered) == {"appointmentId": "a-1"}


CONFIG = {
    "StateMachines": {"Orders": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}},
    "MockedResponses": {"ChargeOk": {"0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "busy"}},
                                     "1-2": {"Return": {"StatusCode": 200}}}},
}


def test_mock_responses_are_consumed_per_invocation():
    """Each invocation of a state takes the next numbered response; past the last one is an error."""
    case = MockConfig(CONFIG).test_case("Orders", "HappyPath")
    kinds = [type(case.next_response("Charge")).__name__ for _ in range(3)]
    assert kinds == ["MockedResponseThrow", "MockedResponseReturn", "MockedResponseReturn"]
    with pytest.raises(MockConfigError, match="invocation 3"):
        case.next_response("Charge")


def test_unknown_test_case_names_the_known_ones():
    """A test case the file lacks is refused with the list of those it has."""
    with pytest.raises(UnknownTestCase, match="known test cases: HappyPath"):
        MockConfig(CONFIG).test_case("Orders", "Missing")


def test_mock_config_rejects_dangling_and_duplicate_names():
    """A test case naming an undefined response, or a name defined twice, is a clear error."""
    with pytest.raises(MockConfigError, match="does not define"):
        MockConfig({"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}}, "MockedResponses": {}})
    config = MockConfig(CONFIG)
    with pytest.raises(MockConfigError, match="defined twice"):
        config.merge(CONFIG, "again.json")
