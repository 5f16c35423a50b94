"""What the services behind Task states answer, as a workflow sees it: result shapes, errors and their causes.

Each test runs a small purpose-built state machine against the session's stack and asserts what AWS documents
(or what AWS answers, where the documentation shows it only by example).
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.engine import execute, machine

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


def caught(stack, resource: str, parameters: dict) -> dict:
    """Run one Task that catches every error; returns the caught ``{"Error", "Cause"}``."""
    result = execute(stack, machine(stack, {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True,
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}}}))
    assert result.states == ["Call", "Caught"], result.output
    return result.output


@pytest.fixture(scope="module")
def table(stack):
    """A DynamoDB table keyed by ``id``."""
    name = f"results-{uuid.uuid4().hex[:8]}"
    stack.client("dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return name


def test_send_message_without_a_body_is_a_catchable_sqs_error(stack):
    """sqs:sendMessage with a null MessageBody fails with SQS.AmazonSQSException, as SQS's MissingParameter."""
    queue = stack.client("sqs").create_queue(QueueName=f"results-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    error = caught(stack, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": queue, "MessageBody": None})
    assert error["Error"] == "SQS.AmazonSQSException"
    assert error["Cause"].startswith("The request must contain the parameter MessageBody. (Service: AmazonSQS; "
                                     "Status Code: 400; Error Code: MissingParameter; Request ID: ")


def test_put_events_refused_by_eventbridge_is_named_as_the_optimised_integration_names_it(stack):
    """events:putEvents to a bus that does not exist: an EventBridge error a Catch can name, not States.Runtime.

    EventBridge refuses the call itself (no entry fails), so the error is the service's, named as the Java SDK v1
    behind the optimised integrations names it, with its cause.
    """
    error = caught(stack, "arn:aws:states:::events:putEvents", {"Entries": [
        {"Source": "custom.test", "DetailType": "Tested", "Detail": "{}", "EventBusName": "no-such-bus"}]})
    assert error["Error"] == "EventBridge.ResourceNotFoundException"
    assert error["Cause"].startswith("Event bus no-such-bus does not exist. (Service: AmazonEventBridge; Status Code: "
                                     "400; Error Code: ResourceNotFoundException; Request ID: ")


def test_put_item_with_a_null_item_is_dynamodb_validation_error(stack, table):
    """dynamodb:putItem with a null Item fails with DynamoDB's own validation message."""
    error = caught(stack, "arn:aws:states:::dynamodb:putItem", {"TableName": table, "Item": None})
    assert error["Error"] == "DynamoDB.AmazonDynamoDBException"
    assert error["Cause"].startswith(
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null "
        "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: ")


def test_put_item_on_an_invalid_table_name_is_a_validation_error(stack):
    """A table name with a slash is refused by DynamoDB's name pattern before any table is looked up."""
    error = caught(stack, "arn:aws:states:::dynamodb:putItem", {"TableName": "/orders", "Item": {"id": {"S": "1"}}})
    assert error["Error"] == "DynamoDB.AmazonDynamoDBException"
    assert error["Cause"].startswith(
        "1 validation error detected: Value '/orders' at 'tableName' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [a-zA-Z0-9_.-]+ (Service: AmazonDynamoDBv2; ")


def test_aws_sdk_error_not_declared_by_the_api_is_the_generic_service_exception(stack, table):
    """aws-sdk:dynamodb:putItem with a null Item: DynamoDb.DynamoDbException, the SDK's message as cause."""
    error = caught(stack, "arn:aws:states:::aws-sdk:dynamodb:putItem", {"TableName": table, "Item": None})
    assert error["Error"] == "DynamoDb.DynamoDbException"
    assert error["Cause"].startswith("1 validation error detected: Value null at 'item' failed to satisfy "
                                     "constraint: Member must not be null (Service: DynamoDb, Status Code: 400, ")
    assert error["Cause"].endswith(") (SDK Attempt Count: 1)")


def test_aws_sdk_s3_error_cause_carries_the_extended_request_id(stack):
    """aws-sdk:s3:getObject on a missing bucket: S3.NoSuchBucketException, S3's extended request id in the cause."""
    error = caught(stack, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "no-such-bucket-here", "Key": "k"})
    assert error["Error"] == "S3.NoSuchBucketException"
    assert error["Cause"].startswith("The specified bucket does not exist (Service: S3, Status Code: 404, ")
    assert ", Extended Request ID: " in error["Cause"]


def test_aws_sdk_sfn_takes_pascal_case_parameters_and_answers_in_pascal_case(stack):
    """aws-sdk:sfn:startExecution with StateMachineArn and Input starts it; the answer: ExecutionArn, StartDate."""
    target = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    result = execute(stack, one_task(stack, "arn:aws:states:::aws-sdk:sfn:startExecution",
                                     {"StateMachineArn": target, "Input": {"order": 1}, "Name": "started-by-sdk"}))
    assert sorted(result.output) == ["ExecutionArn", "StartDate"]
    assert result.output["ExecutionArn"].endswith(":started-by-sdk")


def test_send_task_success_with_an_unknown_token_is_invalid_token(stack):
    """aws-sdk:sfn:sendTaskSuccess with a token no execution holds fails with Sfn.InvalidTokenException."""
    error = caught(stack, "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                   {"TaskToken": "no-such-token", "Output": "{}"})
    assert error["Error"] == "Sfn.InvalidTokenException"
    assert error["Cause"].startswith("Invalid Token: ")


@pytest.mark.parametrize(("body", "stored"), [
    ({"order": 1}, b'{"order":1}'), (["a", "b"], b'["a","b"]'), (0, b"0"), ("text", b'"text"'),
])
def test_s3_put_object_writes_the_body_as_json_text(stack, body, stored):
    """aws-sdk:s3:putObject serialises Body as compact JSON (a string keeps its quotes), as AWS stores it."""
    bucket = f"results-{uuid.uuid4().hex[:8]}"
    stack.client("s3").create_bucket(Bucket=bucket)
    result = execute(stack, one_task(stack, "arn:aws:states:::aws-sdk:s3:putObject",
                                     {"Bucket": bucket, "Key": "k", "Body": body}))
    assert result.status == "SUCCEEDED"
    assert result.output["ServerSideEncryption"] == "AES256"
    assert result.output["ChecksumType"] == "FULL_OBJECT"
    assert stack.client("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == stored


def test_s3_get_object_answers_as_s3_does_without_a_checksum_mode(stack):
    """aws-sdk:s3:getObject: the object is encrypted by default (AES256); no checksum unless asked for."""
    bucket = f"results-{uuid.uuid4().hex[:8]}"
    stack.client("s3").create_bucket(Bucket=bucket)
    stack.client("s3").put_object(Bucket=bucket, Key="k", Body=b"text data")
    result = execute(stack, one_task(stack, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": bucket, "Key": "k"}))
    assert result.output["Body"] == "text data"
    assert result.output["ServerSideEncryption"] == "AES256"
    assert not any(key.startswith("Checksum") for key in result.output)


def test_publish_to_a_missing_topic_says_topic_does_not_exist(stack):
    """sns:publish to a topic that does not exist: SNS.NotFoundException, "Topic does not exist"."""
    error = caught(stack, "arn:aws:states:::sns:publish",
                   {"TopicArn": "arn:aws:sns:us-east-1:123456789012:no-such-topic", "Message": "hello"})
    assert error["Error"] == "SNS.NotFoundException"
    assert error["Cause"].startswith("Topic does not exist (Service: AmazonSNS; Status Code: 404; "
                                     "Error Code: NotFound; Request ID: ")


def test_fifo_topic_needs_a_group_and_answers_a_sequence_number(stack):
    """Publishing to a FIFO topic without MessageGroupId is InvalidParameter; with one, a SequenceNumber comes back."""
    topic = stack.client("sns").create_topic(Name=f"results-{uuid.uuid4().hex[:8]}.fifo",
                                             Attributes={"FifoTopic": "true"})["TopicArn"]
    error = caught(stack, "arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": "hello"})
    assert error["Error"] == "SNS.InvalidParameterException"
    assert error["Cause"].startswith("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    result = execute(stack, one_task(stack, "arn:aws:states:::sns:publish", {
        "TopicArn": topic, "Message": "hello", "MessageGroupId": "g", "MessageDeduplicationId": "d"}))
    assert result.output["SequenceNumber"].isdigit()


def test_secret_name_with_a_space_is_refused(stack):
    """aws-sdk:secretsmanager:createSecret with a space in the name: SecretsManager.SecretsManagerException."""
    error = caught(stack, "arn:aws:states:::aws-sdk:secretsmanager:createSecret",
                   {"Name": "Invalid Name", "SecretString": "s"})
    assert error["Error"] == "SecretsManager.SecretsManagerException"
    assert error["Cause"].startswith("Invalid name. Must be a valid name containing alphanumeric characters")


def test_update_item_reports_consumed_capacity_only_when_asked(stack, table):
    """aws-sdk:dynamodb:updateItem answers ConsumedCapacity only with ReturnConsumedCapacity TOTAL."""
    update = {"TableName": table, "Key": {"id": {"S": "u"}}, "UpdateExpression": "SET n = :n",
              "ExpressionAttributeValues": {":n": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}
    plain = execute(stack, one_task(stack, "arn:aws:states:::aws-sdk:dynamodb:updateItem", update))
    assert plain.output["Attributes"]["n"] == {"N": "1"}
    assert "ConsumedCapacity" not in plain.output
    counted = execute(stack, one_task(stack, "arn:aws:states:::aws-sdk:dynamodb:updateItem",
                                      {**update, "ReturnConsumedCapacity": "TOTAL"}))
    assert "ConsumedCapacity" in counted.output


def test_update_naming_an_attribute_it_does_not_define_is_dynamodb_validation_error(stack, table):
    """An updateItem whose UpdateExpression sets ``#status`` without ExpressionAttributeNames: DynamoDB's refusal.

    The workflow can catch it as the DynamoDB error it is (moto crashed with a ``KeyError``, a States.Runtime).
    """
    error = caught(stack, "arn:aws:states:::dynamodb:updateItem", {
        "TableName": table, "Key": {"id": {"S": "undefined-name"}}, "UpdateExpression": "SET #status = :s",
        "ExpressionAttributeValues": {":s": {"S": "DONE"}}})
    assert error["Error"] == "DynamoDB.AmazonDynamoDBException"
    assert error["Cause"].startswith(
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute "
        "name: #status (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: ")
    assert "Item" not in stack.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "undefined-name"}})


def test_task_token_reaches_its_execution_while_another_execution_is_starting(stack):
    """SendTaskSuccess finds the waiting execution even when another execution has not started running yet.

    An execution that is created but not yet running holds no task token; looking into it failed the call.
    """
    from types import SimpleNamespace

    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sqs, sfn = stack.client("sqs"), stack.client("stepfunctions")
    queue = sqs.create_queue(QueueName=f"results-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = one_task(stack, "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                   {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}})
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    token = json.loads(stack.eventually(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))[0]["Body"])
    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    machine_model = backend.describe_state_machine(arn)
    starting = SimpleNamespace(status="RUNNING", exec_worker=None)
    machine_model.executions.insert(0, starting)
    try:
        sfn.send_task_success(taskToken=token["token"], output='{"paid": true}')
    finally:
        machine_model.executions.remove(starting)
    assert stack.wait(execution, timeout=10).output == {"paid": True}
