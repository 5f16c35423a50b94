"""What the services behind Task states answer, as a workflow sees it: result shapes, errors and their causes.

Each test runs a small purpose-built state machine against the session's stack and asserts what AWS documents
(or what AWS answers, where the documentation shows it only by example).
"""

from __future__ import annotations

import uuid

import pytest

from tests.functional.test_engine import execute, machine

METADATA = ("SdkHttpMetadata", "SdkResponseMetadata")


def one_task(stack, resource: str, parameters: dict, **extra) -> str:
    """A machine of one Task state."""
    return machine(stack, {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **extra}}})


def test_lambda_invoke_result_carries_the_version_and_http_metadata(stack, deploy):
    """lambda:invoke returns ExecutedVersion, Payload, StatusCode and the HTTP metadata, keys in AWS's order."""
    name = deploy("def handler(event, context):\n    return {'ok': True}\n")
    result = execute(stack, one_task(stack, "arn:aws:states:::lambda:invoke",
                                     {"FunctionName": name, "Payload": {}}))
    assert list(result.output) == ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata",
                                   "StatusCode"]
    assert result.output["ExecutedVersion"] == "$LATEST"
    http = result.output["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["X-Amz-Executed-Version"] == "$LATEST"
    assert http["HttpHeaders"]["Content-Type"] == "application/json"
    assert http["AllHttpHeaders"]["Content-Length"] == [http["HttpHeaders"]["Content-Length"]]
    assert result.output["SdkResponseMetadata"]["RequestId"] == http["HttpHeaders"]["x-amzn-RequestId"]


def test_choice_on_the_http_status_code_of_a_publish(stack):
    """A Choice on $.SdkHttpMetadata.HttpStatusCode after sns:publish takes the success branch, as in AWS."""
    topic = stack.client("sns").create_topic(Name=f"results-{uuid.uuid4().hex[:8]}")["TopicArn"]
    arn = machine(stack, {"StartAt": "Publish", "States": {
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                    "Parameters": {"TopicArn": topic, "Message": {"order": 1}}, "Next": "Sent?"},
        "Sent?": {"Type": "Choice", "Choices": [
            {"Variable": "$.SdkHttpMetadata.HttpStatusCode", "NumericEquals": 200, "Next": "Sent"}],
            "Default": "NotSent"},
        "Sent": {"Type": "Succeed"}, "NotSent": {"Type": "Fail"}}})
    result = execute(stack, arn)
    assert result.states == ["Publish", "Sent?", "Sent"]


@pytest.mark.parametrize(("resource", "keys"), [
    ("arn:aws:states:::sns:publish", ["MessageId", *METADATA]),
    ("arn:aws:states:::aws-sdk:sns:publish", ["MessageId"]),
])
def test_http_metadata_comes_with_optimised_integrations_only(stack, resource, keys):
    """Optimised integrations add the HTTP metadata; aws-sdk integrations return the API's answer alone."""
    topic = stack.client("sns").create_topic(Name=f"results-{uuid.uuid4().hex[:8]}")["TopicArn"]
    result = execute(stack, one_task(stack, resource, {"TopicArn": topic, "Message": "hello"}))
    assert sorted(result.output) == keys


def test_dynamodb_and_sqs_optimised_results_carry_http_metadata(stack):
    """dynamodb:putItem answers {} plus metadata (x-amz-crc32 included); sqs:sendMessage its ids plus metadata."""
    table = f"results-{uuid.uuid4().hex[:8]}"
    stack.client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    queue = stack.client("sqs").create_queue(QueueName=f"results-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = machine(stack, {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "ResultPath": "$.put",
                "Parameters": {"TableName": table, "Item": {"id": {"S": "1"}}}, "Next": "Send"},
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "ResultPath": "$.sent",
                 "Parameters": {"QueueUrl": queue, "MessageBody": {"id": "1"}}, "End": True}}})
    result = execute(stack, arn)
    assert sorted(result.output["put"]) == list(METADATA)
    assert "x-amz-crc32" in result.output["put"]["SdkHttpMetadata"]["HttpHeaders"]
    assert sorted(result.output["sent"]) == ["MD5OfMessageBody", "MessageId", *METADATA]
    assert result.output["sent"]["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"


def test_lambda_function_resource_returns_the_payload_alone(stack, deploy):
    """With Resource: <function ARN> the state's result is the function's result, without any metadata."""
    name = deploy("def handler(event, context):\n    return {'ok': True}\n")
    function_arn = stack.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    result = execute(stack, machine(stack, {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": function_arn, "End": True}}}))
    assert result.output == {"ok": True}
