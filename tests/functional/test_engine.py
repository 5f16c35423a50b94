"""The embedded engine's capabilities, each shown on a small purpose-built state machine.

These tests create their own state machines on the session's stack, so they exercise the engine itself,
independently of the project's workflows.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from local.emulation import lambda_runtime
from local.engine import executions
from local.engine.clock import CLOCK
from local.engine.mock_config import MockConfig
from tests.support.engine import callback_machine, execute, machine, token_from


def test_jsonata_machine_with_variables(stack):
    """A JSONata workflow assigns variables, reads them later, and strings with quotes survive intact."""
    arn = machine(stack, {
        "QueryLanguage": "JSONata", "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"greeting": "{% 'say \"' & $states.input.name & '\"' %}",
                                                     "count": "{% $count($states.input.items) %}"},
                         "Next": "Use"},
            "Use": {"Type": "Pass", "Output": {"text": "{% $greeting %}", "items": "{% $count %}",
                                                "chunks": "{% $partition($states.input.items, 2) %}"},
                    "End": True},
        },
    })
    result = execute(stack, arn, {"name": "O'Brien", "items": [1, 2, 3]})
    assert result.status == "SUCCEEDED"
    assert result.output == {"text": 'say "O\'Brien"', "items": 3, "chunks": [[1, 2], [3]]}
    assert result.states == ["Remember", "Use"]


def test_jsonata_undefined_result_is_a_query_evaluation_error(stack):
    """An expression that yields nothing fails the execution with States.QueryEvaluationError, as in AWS."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}}})
    result = execute(stack, arn, {})
    assert result.status == "FAILED"
    assert result.error == "States.QueryEvaluationError"
    assert "returned nothing" in result.cause


def test_jsonata_context_item_inside_a_predicate(stack):
    """``$`` names the current item inside a filter, as in AWS; only a bare ``$`` expression is rejected."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "Keep", "States": {
        "Keep": {"Type": "Pass", "Output": {"words": "{% $states.input.words[$ != ''] %}"}, "End": True}}})
    result = execute(stack, arn, {"words": ["a", "", "b"]})
    assert result.output == {"words": ["a", "b"]}
    bare = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "P",
                           "States": {"P": {"Type": "Pass", "Output": "{% $ %}", "End": True}}})
    assert execute(stack, bare, {}).error == "States.QueryEvaluationError"


def test_definite_jsonpath_returns_a_value_not_a_list(stack):
    """``$.Items[0].id`` yields the id itself; a wildcard path yields a list."""
    arn = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
        "first.$": "$.Items[0].id", "all.$": "$.Items[*].id"}, "End": True}}})
    result = execute(stack, arn, {"Items": [{"id": "x"}, {"id": "y"}]})
    assert result.output == {"first": "x", "all": ["x", "y"]}


def test_every_state_type_and_intrinsics(stack):
    """Choice, Parallel, Map, Wait, Succeed/Fail paths and intrinsic functions all run."""
    arn = machine(stack, {
        "StartAt": "Split",
        "States": {
            "Split": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.parallel", "Branches": [
                {"StartAt": "Fmt", "States": {"Fmt": {"Type": "Pass", "End": True, "Parameters": {
                    "text.$": "States.Format('order {}', $.order)", "parsed.$": "States.StringToJson('{\"a\":1}')"}}}},
                {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 5, "End": True}}},
            ]},
            "Each": {"Type": "Map", "ItemsPath": "$.lines", "ResultPath": "$.doubled", "Next": "Enough",
                     "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Double", "States": {
                         "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": True}}}},
            "Enough": {"Type": "Choice", "Default": "TooFew", "Choices": [
                {"Variable": "$.doubled[2].v", "NumericEquals": 6, "Next": "Done"}]},
            "TooFew": {"Type": "Fail", "Error": "Orders.TooFew", "Cause": "fewer than three lines"},
            "Done": {"Type": "Succeed"},
        },
    })
    result = execute(stack, arn, {"order": 7, "lines": [1, 2, 3]})
    assert result.status == "SUCCEEDED"
    assert result.output["parallel"][0] == {"text": "order 7", "parsed": {"a": 1}}
    assert [d["v"] for d in result.output["doubled"]] == [2, 4, 6]
    assert result.states[-1] == "Done"
    failed = execute(stack, arn, {"order": 8, "lines": [1]})
    assert (failed.status, failed.error, failed.cause) == ("FAILED", "Orders.TooFew", "fewer than three lines")


def test_sdk_error_caught_by_its_aws_name(stack):
    """A missing S3 bucket surfaces as S3.NoSuchBucketException, which a Catch on that name handles."""
    arn = machine(stack, {"StartAt": "Read", "States": {
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                 "Parameters": {"Bucket": "no-such-bucket-anywhere", "Key": "k"},
                 "Catch": [{"ErrorEquals": ["S3.NoSuchBucketException"], "ResultPath": "$.error",
                            "Next": "Recorded"}], "End": True},
        "Recorded": {"Type": "Pass", "End": True}}})
    result = execute(stack, arn)
    assert result.states == ["Read", "Recorded"]
    assert result.output["error"]["Error"] == "S3.NoSuchBucketException"


def test_sdk_results_are_plain_json(stack):
    """S3 GetObject's streamed body arrives as text and its LastModified as an ISO 8601 string."""
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="engine-plain-json")
    s3.put_object(Bucket="engine-plain-json", Key="doc.json", Body=b'{"hello": "world"}')
    arn = machine(stack, {"StartAt": "Read", "States": {"Read": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket": "engine-plain-json", "Key": "doc.json"},
        "ResultSelector": {"doc.$": "States.StringToJson($.Body)", "when.$": "$.LastModified",
                           "started.$": "$$.Execution.StartTime"}, "End": True}}})
    result = execute(stack, arn)
    assert result.output["doc"] == {"hello": "world"}
    assert result.output["when"].endswith("Z") and "T" in result.output["when"]
    assert result.output["started"].endswith("Z")


def test_sdk_service_names_of_step_functions(stack):
    """``aws-sdk:eventbridge`` and ``aws-sdk:pinpointsmsvoicev2`` reach EventBridge and End User Messaging."""
    arn = machine(stack, {"StartAt": "Publish", "States": {
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents", "Next": "Text",
                    "ResultPath": "$.put",
                    "Parameters": {"Entries": [{"Source": "engine.test", "DetailType": "t", "Detail": "{}"}]}},
        "Text": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:pinpointsmsvoicev2:sendTextMessage",
                 "Parameters": {"DestinationPhoneNumber": "+15555550123", "MessageBody": "engine test"},
                 "ResultPath": "$.sms", "End": True}}})
    result = execute(stack, arn)
    assert result.output["put"]["FailedEntryCount"] == 0
    sent = [m for m in stack.sent_sms if m["MessageId"] == result.output["sms"]["MessageId"]]
    assert sent and sent[0]["MessageBody"] == "engine test"


def test_a_functions_imports_leave_task_requests_as_they_were(stack, monkeypatch):
    """A botocore initializer registered by function code changes the function's sessions, not the engine's.

    Powertools adds its user-agent feature so; a Task state's request carries the engine's user agent only.
    """
    import boto3
    import botocore

    from local.engine import sdk

    def add_feature(session):
        session.register("request-created", lambda request, **_: request.headers.add_header("X-Feature", "1"))

    sent = []
    botocore.register_initializer(add_feature)
    monkeypatch.setattr(sdk, "_boto_session", None)  # the engine's next session is made with the function loaded
    monkeypatch.setattr(sdk, "_clients", {})
    try:
        engine = sdk.sdk_client("events")
        function = boto3.session.Session().client("events", region_name="us-east-1")
        for client in (engine, function):
            client.meta.events.register_first("before-send", lambda request, **_: sent.append(request.headers))
            client.list_rules()
    finally:
        botocore.unregister_initializer(add_feature)
    engine_request, function_request = sent
    assert "X-Feature" in function_request and "X-Feature" not in engine_request
    agent = engine_request["User-Agent"]
    assert "PT/" not in (agent.decode() if isinstance(agent, bytes) else agent)  # nor Powertools', if it is loaded


def test_unnamed_executions_get_unique_names(stack):
    """Two starts without a name are two executions with different ARNs."""
    arn = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn = stack.client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert first != second and not first.endswith(":None")


def test_one_hour_wait_takes_no_real_time(stack):
    """A workflow that waits an hour completes at once in virtual time (the wait bound below is 5 s)."""
    arn = machine(stack, {"StartAt": "Hour", "States": {"Hour": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    assert execute(stack, arn, timeout=5).status == "SUCCEEDED"


def test_retry_intervals_take_no_real_time(stack):
    """A task retried with a one-hour interval still fails over quickly and records every attempt."""
    arn = machine(stack, {"StartAt": "Read", "States": {"Read": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket": "no-such-bucket-anywhere", "Key": "k"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3600, "MaxAttempts": 2, "BackoffRate": 2,
                   "JitterStrategy": "FULL"}], "End": True}}})
    result = execute(stack, arn, timeout=5)
    assert result.status == "FAILED"
    assert sum(1 for e in result.history if e["type"] == "TaskFailed") == 3


def test_wait_time_scale_slows_waits(stack):
    """With a wait-time scale of 0.05, a 4-second Wait lasts about 0.2 s of real time."""
    arn = machine(stack, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 4, "End": True}}})
    CLOCK.scale = 0.05
    try:
        started = time.monotonic()
        assert execute(stack, arn).status == "SUCCEEDED"
        assert time.monotonic() - started >= 0.15
    finally:
        CLOCK.scale = 0.0


def test_callback_completed_by_send_task_success(stack, approval_queue):
    """An approval waits for its task token; SendTaskSuccess resumes it with the approver's answer."""
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=callback_machine(stack),
                                    input=json.dumps({"queue": approval_queue}))["executionArn"]
    sfn.send_task_success(taskToken=token_from(stack, approval_queue), output=json.dumps({"approved": True}))
    result = stack.wait(execution)
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": True})


def test_callback_failed_by_send_task_failure(stack, approval_queue):
    """SendTaskFailure ends the waiting task with the caller's error and cause."""
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=callback_machine(stack),
                                    input=json.dumps({"queue": approval_queue}))["executionArn"]
    sfn.send_task_failure(taskToken=token_from(stack, approval_queue), error="Approval.Rejected", cause="no budget")
    result = stack.wait(execution)
    assert (result.status, result.error, result.cause) == ("FAILED", "Approval.Rejected", "no budget")


def test_callback_times_out_in_virtual_time(stack, approval_queue):
    """Nobody answers a one-day callback: advancing the virtual clock a day ends it with States.Timeout."""
    execution = stack.client("stepfunctions").start_execution(
        stateMachineArn=callback_machine(stack), input=json.dumps({"queue": approval_queue}))["executionArn"]
    token_from(stack, approval_queue)
    stack.clock.advance(86400 + 1)
    result = stack.wait(execution)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")


def test_heartbeats_keep_a_callback_alive(stack, approval_queue):
    """Heartbeats sent within HeartbeatSeconds keep the task alive; silence beyond it times the task out."""
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=callback_machine(stack, heartbeat=600),
                                    input=json.dumps({"queue": approval_queue}))["executionArn"]
    token = token_from(stack, approval_queue)
    for _ in range(3):
        stack.clock.advance(400)
        sfn.send_task_heartbeat(taskToken=token)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    stack.clock.advance(601)
    result = stack.wait(execution)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")  # as AWS reports a missed heartbeat


def test_sync_nested_execution(stack):
    """``states:startExecution.sync:2`` runs a child workflow and returns its parsed output."""
    child = machine(stack, {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}})
    parent = machine(stack, {"StartAt": "Child", "States": {"Child": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}}, "End": True}}})
    result = execute(stack, parent)
    assert result.status == "SUCCEEDED"
    assert (result.output["Status"], result.output["Output"]) == ("SUCCEEDED", {"ok": 1})


POLL_CONFIG = {
    "StateMachines": {},
    "MockedResponses": {
        "EngineJobInProgress": {"0-1": {"Return": {"TranscriptionJob": {"TranscriptionJobStatus": "IN_PROGRESS"}}},
                                "2": {"Return": {"TranscriptionJob": {"TranscriptionJobStatus": "COMPLETED"}}}},
        "EngineThrottledTwice": {"0-1": {"Throw": {"Error": "Transcribe.ThrottlingException", "Cause": "slow down"}},
                                 "2": {"Return": {"TranscriptionJob": {"TranscriptionJobStatus": "COMPLETED"}}}},
    },
}

POLL_MACHINE = {"StartAt": "GetJob", "States": {
    "GetJob": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:transcribe:getTranscriptionJob",
               "Parameters": {"TranscriptionJobName": "call-1"}, "Next": "IsDone",
               "Retry": [{"ErrorEquals": ["Transcribe.ThrottlingException"], "MaxAttempts": 3}]},
    "IsDone": {"Type": "Choice", "Default": "Pause", "Choices": [
        {"Variable": "$.TranscriptionJob.TranscriptionJobStatus", "StringEquals": "COMPLETED", "Next": "Done"}]},
    "Pause": {"Type": "Wait", "Seconds": 30, "Next": "GetJob"},
    "Done": {"Type": "Succeed"}}}


@pytest.fixture()
def mocked_machine(stack, monkeypatch):
    """A poll-loop machine with two MockConfigFile test cases, loaded next to the project's own."""
    arn = machine(stack, POLL_MACHINE)
    name = arn.rsplit(":", 1)[1]
    config = MockConfig(json.loads(json.dumps(executions.mock_config.raw)))
    config.merge({"StateMachines": {name: {"TestCases": {
        "PollUntilComplete": {"GetJob": "EngineJobInProgress"},
        "ThrottledTwice": {"GetJob": "EngineThrottledTwice"}}}},
        "MockedResponses": POLL_CONFIG["MockedResponses"]}, "test")
    monkeypatch.setattr(executions, "mock_config", config)
    return arn


def test_poll_loop_advances_through_mocked_responses(stack, mocked_machine):
    """Each GetJob invocation consumes the next response: two IN_PROGRESS polls, then COMPLETED."""
    result = execute(stack, mocked_machine + "#PollUntilComplete")
    assert result.status == "SUCCEEDED"
    assert result.states == ["GetJob", "IsDone", "Pause", "GetJob", "IsDone", "Pause", "GetJob", "IsDone", "Done"]


def test_mocked_throttling_is_retried(stack, mocked_machine):
    """A state throttled twice by its mock succeeds on the third attempt through its Retry."""
    result = execute(stack, mocked_machine + "#ThrottledTwice")
    assert result.status == "SUCCEEDED"
    assert [e["type"] for e in result.history].count("TaskFailed") == 2


def test_unknown_test_case_is_a_clear_error(stack, mocked_machine):
    """Starting a test case the MockConfigFile lacks is refused, naming the known ones."""
    sfn = stack.client("stepfunctions")
    with pytest.raises(sfn.exceptions.ClientError, match=r"NoSuchCase.*PollUntilComplete"):
        sfn.start_execution(stateMachineArn=mocked_machine + "#NoSuchCase")


def test_states_without_a_mock_call_the_embedded_services(stack, mocked_machine):
    """Without a test case the same machine calls the embedded Transcribe, which has no such job."""
    result = execute(stack, mocked_machine)
    assert (result.status, result.error) == ("FAILED", "Transcribe.BadRequestException")


FAILING_HANDLER = '''
class PaymentDeclined(Exception):
    """The card was declined."""


def lambda_handler(event, context):
    if event.get("card") == "declined":
        raise PaymentDeclined(f"card declined for order {event['order']}")
    return {"charged": event["order"], "function": context.function_name}
'''


@pytest.fixture(scope="module")
def payment_function(stack, role, tmp_path_factory):
    """A Lambda function, run in-process from its handler file, that raises PaymentDeclined."""
    import io
    import zipfile

    from local.stack.functions import LocalFunction

    code = tmp_path_factory.mktemp("payment")
    (code / "app.py").write_text(FAILING_HANDLER)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("app.py", FAILING_HANDLER)
    name = "engine-charge-card"
    arn = stack.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="app.lambda_handler",
        Code={"ZipFile": archive.getvalue()})["FunctionArn"]
    lambda_runtime.lambda_handlers[name] = LocalFunction(name, arn, code, "app.lambda_handler", {}, 128, 3).invoke
    return arn


def test_lambda_handler_exception_caught_by_name(stack, payment_function):
    """The handler raises PaymentDeclined; the state machine catches it by that name and records the cause."""
    arn = machine(stack, {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
                   "Parameters": {"FunctionName": payment_function, "Payload.$": "$"}, "End": True,
                   "Catch": [{"ErrorEquals": ["PaymentDeclined"], "ResultPath": "$.failure", "Next": "Declined"}]},
        "Declined": {"Type": "Pass", "End": True}}})
    declined = execute(stack, arn, {"order": "o-1", "card": "declined"})
    assert declined.states == ["Charge", "Declined"]
    assert declined.output["failure"]["Error"] == "PaymentDeclined"
    assert "card declined for order o-1" in declined.output["failure"]["Cause"]
    charged = execute(stack, arn, {"order": "o-2"})
    assert charged.output == {"charged": "o-2", "function": "engine-charge-card"}


def test_event_on_a_bus_starts_a_state_machine_through_an_input_transformer(stack):
    """A rule targeting a state machine starts it with the transformed event as input."""
    arn = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    events = stack.client("events")
    rule = f"engine-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["engine.orders"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sm", "Arn": arn, "InputTransformer": {
        "InputPathsMap": {"order": "$.detail.order"}, "InputTemplate": '{"orderId": <order>, "via": "rule"}'}}])
    events.put_events(Entries=[{"Source": "engine.orders", "DetailType": "Placed", "Detail": '{"order": "o-9"}'}])
    sfn = stack.client("stepfunctions")
    started = stack.eventually(lambda: sfn.list_executions(stateMachineArn=arn)["executions"])
    result = stack.wait(started[0]["executionArn"])
    assert result.input == {"orderId": "o-9", "via": "rule"}


def test_disabled_rule_delivers_nothing(stack):
    """A rule switched off (as the template's schedules are by default) starts no execution."""
    arn = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    events, sfn = stack.client("events"), stack.client("stepfunctions")
    rule = f"engine-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["engine.paused"]}), State="DISABLED")
    events.put_targets(Rule=rule, Targets=[{"Id": "sm", "Arn": arn}])
    events.put_events(Entries=[{"Source": "engine.paused", "DetailType": "Ignored", "Detail": "{}"}])
    events.enable_rule(Name=rule)
    events.put_events(Entries=[{"Source": "engine.paused", "DetailType": "Counted", "Detail": "{}"}])
    started = stack.eventually(lambda: sfn.list_executions(stateMachineArn=arn)["executions"])
    assert [stack.wait(e["executionArn"]).input["detail-type"] for e in started] == ["Counted"]


def test_undeliverable_event_lands_in_the_rule_dead_letter_queue(stack):
    """A rule whose target state machine does not exist sends the event to its dead-letter queue."""
    sqs, events = stack.client("sqs"), stack.client("events")
    dlq = sqs.create_queue(QueueName=f"engine-dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"engine-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["engine.lost"]}))
    events.put_targets(Rule=rule, Targets=[{
        "Id": "gone", "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:does-not-exist",
        "RetryPolicy": {"MaximumRetryAttempts": 1}, "DeadLetterConfig": {"Arn": dlq_arn}}])
    events.put_events(Entries=[{"Source": "engine.lost", "DetailType": "Lost", "Detail": '{"n": 1}'}])
    message = stack.eventually(lambda: sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"]).get("Messages"))
    assert json.loads(message[0]["Body"])["detail"] == {"n": 1}
    assert message[0]["MessageAttributes"]["RULE_ARN"]["StringValue"].endswith(rule)


def test_upload_to_an_eventbridge_enabled_bucket_emits_object_created(stack):
    """An upload to a bucket with EventBridge notifications emits 'Object Created' on the default bus."""
    s3, sqs, events = stack.client("s3"), stack.client("sqs"), stack.client("events")
    bucket = f"engine-uploads-{uuid.uuid4().hex[:6]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket,
                                             NotificationConfiguration={"EventBridgeConfiguration": {}})
    queue = sqs.create_queue(QueueName=f"engine-s3-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"engine-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"],
                                                        "detail": {"bucket": {"name": [bucket]}}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    s3.put_object(Bucket=bucket, Key="photos/cat.png", Body=b"png")
    message = stack.eventually(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))
    event = json.loads(message[0]["Body"])
    assert event["detail"]["object"]["key"] == "photos/cat.png"
    assert event["time"].endswith("Z")


def test_object_created_leaves_once_the_object_has_its_metadata(stack, monkeypatch):
    """The Object Created event is emitted after S3 has stored the object's metadata, as in AWS.

    A workflow started by the event reads ``Content-Language`` and ``x-amz-meta-*`` at once; moto used to emit
    the event before setting them.
    """
    from moto.events.models import EventsBackend

    s3 = stack.client("s3")
    bucket = f"engine-meta-{uuid.uuid4().hex[:6]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket,
                                             NotificationConfiguration={"EventBridgeConfiguration": {}})
    seen = []
    original = EventsBackend.put_events

    def put_events(self, entries):
        for entry in entries:
            if entry.get("DetailType") == "Object Created":
                key = json.loads(entry["Detail"])["object"]["key"]
                head = s3.head_object(Bucket=bucket, Key=key)
                seen.append((head.get("ContentLanguage"), head["Metadata"]))
        return original(self, entries)

    monkeypatch.setattr(EventsBackend, "put_events", put_events)
    s3.put_object(Bucket=bucket, Key="calls/a.mp3", Body=b"x", ContentLanguage="fr-FR", Metadata={"labels": "Sea:90"})
    assert seen == [("fr-FR", {"labels": "Sea:90"})]


def test_sns_subscription_invokes_a_lambda_handler(stack, payment_function):
    """A message published to a topic with a Lambda subscription runs the handler with the SNS event."""
    seen = []
    original = lambda_runtime.lambda_handlers["engine-charge-card"]
    done = threading.Event()

    def spy(event):
        seen.append(event)
        done.set()
        return original({"order": "from-sns"})

    lambda_runtime.lambda_handlers["engine-charge-card"] = spy
    try:
        sns = stack.client("sns")
        topic = sns.create_topic(Name=f"engine-{uuid.uuid4().hex[:6]}")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=payment_function)
        sns.publish(TopicArn=topic, Message='{"hello": "sns"}')
        assert done.wait(5)
        assert json.loads(seen[0]["Records"][0]["Sns"]["Message"]) == {"hello": "sns"}
    finally:
        lambda_runtime.lambda_handlers["engine-charge-card"] = original


def test_a_stopped_stack_leaves_no_state_behind(tmp_path):
    """Stopping a stack forgets everything the engine and the stand-ins held: the next stack starts clean.

    Runs in its own interpreter: the session's stack occupies this one.
    """
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent("""
        from local.emulation import dynamodb, eventbridge, lambda_runtime
        from local.engine import executions, sdk
        from local.stack import Stack
        from local.standins import sms, transcribe

        with Stack.launch("template.yaml") as stack:
            stack.client("pinpoint-sms-voice-v2").send_text_message(
                DestinationPhoneNumber="+15555550100", OriginationIdentity="+15555550199", MessageBody="hello")
            transcribe.JOBS["left-over"] = {"TranscriptionJobName": "left-over"}
            eventbridge.delivery_failures.append({"rule": "r"})
            assert sms.OUTBOX and lambda_runtime.lambda_handlers and dynamodb.stream_listeners
        left = {"sms": sms.OUTBOX, "jobs": transcribe.JOBS, "failures": eventbridge.delivery_failures,
                "functions": lambda_runtime.lambda_handlers, "streams": dynamodb.stream_listeners,
                "mocks": executions.mock_config, "clients": sdk._clients}
        print({name: value for name, value in left.items() if value})
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "{}"
