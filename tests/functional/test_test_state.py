"""The TestState API on the embedded engine: one state run with a given input, mock, context and variables.

Each test is one behaviour AWS documents for TestState (statuses, next state, inspection levels, mock validation
modes, the states that need a mock, the request errors), called in process through ``stack.client``.
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/local-test-state"


@pytest.fixture(scope="module")
def sfn(stack):
    return stack.client("stepfunctions")


def test_state(sfn, state: dict, payload=None, **request):
    """TestState ``state`` with ``payload`` as its input; returns the response without its metadata."""
    response = sfn.test_state(definition=json.dumps(state), input=json.dumps({} if payload is None else payload),
                              **request)
    response.pop("ResponseMetadata", None)
    return response


test_state.__test__ = False


def refused(sfn, state: dict, payload=None, **request) -> tuple[str, str]:
    """The error code and message of a refused TestState call."""
    with pytest.raises(ClientError) as refusal:
        test_state(sfn, state, payload, **request)
    return refusal.value.response["Error"]["Code"], refusal.value.response["Error"]["Message"]


def inspection(response: dict) -> dict:
    """``inspectionData`` with its JSON texts read."""
    return {key: json.loads(value) if isinstance(value, str) else value
            for key, value in response["inspectionData"].items()}


ORDER_PAYMENT = {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "charge-card", "Payload.$": "$.order"},
    "ResultSelector": {"charged.$": "$.Payload.amount"}, "ResultPath": "$.payment",
    "Retry": [{"ErrorEquals": ["Payments.Throttled"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}],
    "Catch": [{"ErrorEquals": ["Payments.CardDeclined"], "ResultPath": "$.declined", "Next": "TellCustomer"},
              {"ErrorEquals": ["States.ALL"], "Next": "AlertSupport"}],
    "Next": "ShipOrder",
}
ORDER = {"order": {"id": "o-1", "amount": 42}}


# --- statuses and next state -----------------------------------------------------------------------------------


def test_mocked_task_succeeds_with_its_result_reshaped_and_next_state(sfn):
    """A mocked payment result goes through ResultSelector and ResultPath; the next state is the state's Next."""
    response = test_state(sfn, ORDER_PAYMENT, ORDER, mock={"result": json.dumps(
        {"StatusCode": 200, "Payload": {"amount": 42, "currency": "EUR"}})})
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == {**ORDER, "payment": {"charged": 42}}
    assert response["nextState"] == "ShipOrder"
    assert "inspectionData" not in response  # INFO is the default level


def test_caught_error_routes_to_the_catcher_with_its_output(sfn):
    """A declined card is caught by the first Catcher: its ResultPath output and Next, the error and cause."""
    response = test_state(sfn, ORDER_PAYMENT, ORDER, inspectionLevel="DEBUG", mock={
        "errorOutput": {"error": "Payments.CardDeclined", "cause": "insufficient funds"}})
    assert response["status"] == "CAUGHT_ERROR"
    assert response["nextState"] == "TellCustomer"
    assert (response["error"], response["cause"]) == ("Payments.CardDeclined", "insufficient funds")
    assert json.loads(response["output"]) == {
        **ORDER, "declined": {"Error": "Payments.CardDeclined", "Cause": "insufficient funds"}}
    assert inspection(response)["errorDetails"] == {"catchIndex": 0}


def test_states_all_catcher_takes_any_other_error(sfn):
    """An error no earlier Catcher names goes to the States.ALL Catcher (index 1)."""
    response = test_state(sfn, ORDER_PAYMENT, ORDER, inspectionLevel="TRACE",
                          mock={"errorOutput": {"error": "Payments.Unknown", "cause": "?"}})
    assert (response["status"], response["nextState"]) == ("CAUGHT_ERROR", "AlertSupport")
    assert inspection(response)["errorDetails"] == {"catchIndex": 1}


def test_retriable_error_reports_the_next_back_off(sfn):
    """A throttled call with retries left is RETRIABLE; the back-off is IntervalSeconds * BackoffRate^retries."""
    response = test_state(sfn, ORDER_PAYMENT, ORDER, inspectionLevel="DEBUG",
                          stateConfiguration={"retrierRetryCount": 2},
                          mock={"errorOutput": {"error": "Payments.Throttled", "cause": "slow down"}})
    assert (response["status"], response["error"], response["cause"]) == ("RETRIABLE", "Payments.Throttled",
                                                                          "slow down")
    assert "output" not in response and "nextState" not in response
    assert inspection(response)["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 18}


def test_exhausted_retries_fall_through_to_the_catchers(sfn):
    """After MaxAttempts retries the error goes to the Catchers (here States.ALL)."""
    response = test_state(sfn, ORDER_PAYMENT, ORDER, inspectionLevel="DEBUG",
                          stateConfiguration={"retrierRetryCount": 3},
                          mock={"errorOutput": {"error": "Payments.Throttled", "cause": "slow down"}})
    assert (response["status"], response["nextState"]) == ("CAUGHT_ERROR", "AlertSupport")
    assert inspection(response)["errorDetails"] == {"retryIndex": 0, "catchIndex": 1}


def test_uncaught_error_fails_the_state(sfn):
    """A mocked error that no Retrier or Catcher handles: FAILED with the error and cause."""
    state = {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn": "t"}, "End": True}
    response = test_state(sfn, state, mock={"errorOutput": {"error": "Sns.NotFoundException", "cause": "no topic"}})
    assert response == {"status": "FAILED", "error": "Sns.NotFoundException", "cause": "no topic"}


def test_fail_state_fails_with_its_error_and_cause(sfn):
    """A Fail state reports its Error and Cause."""
    response = test_state(sfn, {"Type": "Fail", "Error": "Order.Invalid", "Cause": "no items"})
    assert response == {"status": "FAILED", "error": "Order.Invalid", "cause": "no items"}


def test_choice_picks_the_first_matching_rule(sfn):
    """A Choice with several rules names the state of the first rule that matches, else its Default."""
    choice = {"Type": "Choice", "QueryLanguage": "JSONata", "Default": "Standard", "Choices": [
        {"Condition": "{% $states.input.total > 1000 %}", "Next": "ManualReview"},
        {"Condition": "{% $states.input.country in ['FR', 'DE'] %}", "Next": "EuropeanShipping"}]}
    assert test_state(sfn, choice, {"total": 5000, "country": "FR"})["nextState"] == "ManualReview"
    assert test_state(sfn, choice, {"total": 50, "country": "DE"})["nextState"] == "EuropeanShipping"
    response = test_state(sfn, choice, {"total": 50, "country": "US"})
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "Standard")
    assert json.loads(response["output"]) == {"total": 50, "country": "US"}


def test_end_state_has_no_next_state(sfn):
    """A state that ends the machine answers no nextState."""
    response = test_state(sfn, {"Type": "Pass", "Result": {"done": True}, "End": True}, {"x": 1})
    assert response == {"status": "SUCCEEDED", "output": '{"done":true}'}


def test_wait_state_does_not_wait(sfn):
    """A one-day Wait answers at once with its next state."""
    response = test_state(sfn, {"Type": "Wait", "Seconds": 86400, "Next": "Remind"}, {"id": 7})
    assert (response["status"], response["nextState"], json.loads(response["output"])) == (
        "SUCCEEDED", "Remind", {"id": 7})


# --- inspection levels -----------------------------------------------------------------------------------------


def test_debug_shows_every_jsonpath_step(sfn):
    """DEBUG shows the data after InputPath, Parameters, the result, ResultSelector and ResultPath."""
    response = test_state(sfn, {**ORDER_PAYMENT, "InputPath": "$.order", "Parameters": {"Payload.$": "$"}}, ORDER,
                          inspectionLevel="DEBUG", mock={"result": json.dumps({"Payload": {"amount": 42}})})
    assert inspection(response) == {
        "input": ORDER, "afterInputPath": ORDER["order"], "afterParameters": {"Payload": ORDER["order"]},
        "result": {"Payload": {"amount": 42}}, "afterResultSelector": {"charged": 42},
        "afterResultPath": {**ORDER, "payment": {"charged": 42}}}  # ResultPath places it in the raw input


def test_jsonata_task_shows_its_arguments_and_result(sfn):
    """A JSONata state reports its input, the evaluated Arguments and the result (no JSONPath steps)."""
    state = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::dynamodb:getItem",
             "Arguments": {"TableName": "orders", "Key": {"id": {"S": "{% $states.input.id %}"}}},
             "Output": "{% $states.result.Item %}", "End": True}
    response = test_state(sfn, state, {"id": "o-1"}, inspectionLevel="TRACE",
                          mock={"result": json.dumps({"Item": {"id": {"S": "o-1"}}})})
    assert json.loads(response["output"]) == {"id": {"S": "o-1"}}
    assert inspection(response) == {"input": {"id": "o-1"},
                                    "afterArguments": {"TableName": "orders", "Key": {"id": {"S": "o-1"}}},
                                    "result": {"Item": {"id": {"S": "o-1"}}}}


def test_variables_are_read_and_reported_after_assign(sfn):
    """Given variables are visible to the state; inspection shows the variables after its Assign."""
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"total": "{% $subtotal + $shipping %}"},
             "Output": {"total": "{% $subtotal + $shipping %}"}, "Next": "Pay"}
    response = test_state(sfn, state, {}, inspectionLevel="DEBUG",
                          variables=json.dumps({"subtotal": 40, "shipping": 5}))
    assert json.loads(response["output"]) == {"total": 45}
    assert inspection(response)["variables"] == {"subtotal": 40, "shipping": 5, "total": 45}


# --- mocks and their validation -------------------------------------------------------------------------------

START_CHILD = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
               "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"},
               "End": True}


def test_strict_mode_requires_the_apis_required_fields(sfn):
    """STRICT (the default) refuses a StartExecution result without ExecutionArn."""
    code, message = refused(sfn, START_CHILD, mock={"result": json.dumps({"StartDate": "2025-01-01T00:00:00Z"})})
    assert (code, message) == ("ValidationException",
                               "Mock result schema validation error: Required field 'ExecutionArn' is missing")


def test_present_mode_checks_only_the_fields_given(sfn):
    """PRESENT accepts a partial result but not a field of the wrong type."""
    response = test_state(sfn, START_CHILD, mock={"result": json.dumps({"StartDate": "2025-01-01T00:00:00Z"}),
                                                  "fieldValidationMode": "PRESENT"})
    assert response["status"] == "SUCCEEDED"
    _code, message = refused(sfn, START_CHILD, mock={"result": json.dumps({"StartDate": 1735689600}),
                                                    "fieldValidationMode": "PRESENT"})
    assert message == "Mock result schema validation error: Field 'StartDate' must be a string"


def test_none_mode_accepts_any_result(sfn):
    """NONE passes the mock through unchecked."""
    response = test_state(sfn, START_CHILD, mock={"result": json.dumps({"StartDate": True}),
                                                  "fieldValidationMode": "NONE"})
    assert json.loads(response["output"]) == {"StartDate": True}


@pytest.mark.parametrize(("result", "message"), [
    ({"Entries": "e-1"}, "Field 'Entries' must be an array"),
    ({"Entries": [{"EventId": ["e-1"]}]}, "Field 'EventId' must be a string"),
    ({"FailedEntryCount": "0"}, "Field 'FailedEntryCount' must be a number"),
])
def test_wrong_types_deep_in_the_result_are_named(sfn, result, message):
    """The innermost field of the wrong type is named, as AWS names it."""
    state = {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
             "Parameters": {"Entries.$": "$.entries"}, "End": True}
    assert refused(sfn, state, {"entries": []}, mock={"result": json.dumps(result)}) == (
        "ValidationException", f"Mock result schema validation error: {message}")


def test_enum_and_unknown_fields(sfn):
    """An S3 storage class outside the API's enum is refused; a field the API lacks is accepted."""
    state = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
             "Parameters": {"Bucket": "b", "Key": "k"}, "End": True}
    assert refused(sfn, state, mock={"result": json.dumps({"StorageClass": "PAPYRUS"})})[1] == (
        "Mock result schema validation error: Field 'StorageClass' is not an expected value")
    response = test_state(sfn, state, mock={"result": json.dumps({"ContentLength": 3, "Shelf": "top"})})
    assert json.loads(response["output"]) == {"ContentLength": 3, "Shelf": "top"}


@pytest.mark.parametrize(("mock", "message"), [
    ({"result": "not json"}, "Mocked result must be valid JSON"),
    ({"result": "{}", "errorOutput": {"error": "E"}},
     "A test mock should have only one of the following fields: [result, errorOutput]."),
])
def test_malformed_mocks_are_refused(sfn, mock, message):
    """A mock that is not JSON, or both a result and an error, is refused."""
    assert refused(sfn, START_CHILD, mock=mock) == ("ValidationException", message)


@pytest.mark.parametrize("state_type", ["Pass", "Succeed", "Fail"])
def test_states_that_do_no_work_take_no_mock(sfn, state_type):
    """Pass, Succeed and Fail cannot be mocked."""
    state = {"Type": state_type, **({"End": True} if state_type == "Pass" else {})}
    assert refused(sfn, state, mock={"result": "{}"}) == (
        "ValidationException", f"State type '{state_type}' is not supported when a mock is specified")


# --- states that need a mock -----------------------------------------------------------------------------------

SHIP_ITEMS = {"Type": "Map", "ItemsPath": "$.items", "ToleratedFailureCount": 1,
              "ItemProcessor": {"StartAt": "Ship", "States": {"Ship": {
                  "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                  "Parameters": {"QueueUrl": "q", "MessageBody.$": "$"}, "End": True}}},
              "ResultPath": "$.shipped",
              "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Escalate"}],
              "Next": "Done"}


@pytest.mark.parametrize("state", [
    SHIP_ITEMS,
    {"Type": "Parallel", "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}],
     "End": True},
])
def test_map_and_parallel_need_a_mock(sfn, state):
    """Without a mock, Map and Parallel are refused, as in AWS."""
    code, message = refused(sfn, state, {"items": []})
    assert code == "InvalidDefinition"
    assert message.startswith("TestState API does not support Map or Parallel states.")


@pytest.mark.parametrize("resource", ["arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                                      "arn:aws:states:::states:startExecution.sync:2",
                                      "arn:aws:states:us-east-1:123456789012:activity:approve"])
def test_callbacks_sync_jobs_and_activities_need_a_mock(sfn, resource):
    """.waitForTaskToken, .sync and Activity tasks run only with a mock."""
    state = {"Type": "Task", "Resource": resource, "End": True}
    assert refused(sfn, state, roleArn=ROLE)[0] == "InvalidDefinition"
    response = test_state(sfn, state, mock={"result": json.dumps({"approved": True}), "fieldValidationMode": "NONE"})
    assert json.loads(response["output"]) == {"approved": True}


def test_map_results_within_the_tolerated_failures(sfn):
    """A mocked Map returns the iterations' results; one failure is within ToleratedFailureCount 1."""
    response = test_state(sfn, SHIP_ITEMS, {"items": ["a", "b", "c"]}, inspectionLevel="DEBUG",
                          stateConfiguration={"mapIterationFailureCount": 1},
                          mock={"result": json.dumps(["sent", None, "sent"])})
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "Done")
    assert json.loads(response["output"])["shipped"] == ["sent", None, "sent"]
    data = inspection(response)
    assert data["afterItemsPath"] == ["a", "b", "c"]
    assert (data["maxConcurrency"], data["toleratedFailureCount"]) == (0, 1)


def test_map_failures_beyond_the_threshold_are_caught(sfn):
    """Two failed iterations exceed the tolerated one: States.ExceedToleratedFailureThreshold, caught."""
    response = test_state(sfn, SHIP_ITEMS, {"items": ["a", "b", "c"]},
                          stateConfiguration={"mapIterationFailureCount": 2},
                          mock={"result": json.dumps(["sent", None, None])})
    assert (response["status"], response["nextState"], response["error"]) == (
        "CAUGHT_ERROR", "Escalate", "States.ExceedToleratedFailureThreshold")


def test_map_limits_from_jsonata_are_evaluated(sfn):
    """MaxConcurrency and ToleratedFailureCount given as JSONata are evaluated and reported as numbers."""
    state = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.items %}", "End": True,
             "MaxConcurrency": "{% $states.input.workers %}",
             "ToleratedFailureCount": "{% $count($states.input.items) - 1 %}",
             "ItemProcessor": {"StartAt": "Ship", "States": {"Ship": {"Type": "Pass", "End": True}}}}
    response = test_state(sfn, state, {"items": ["a", "b", "c"], "workers": 2}, inspectionLevel="DEBUG",
                          stateConfiguration={"mapIterationFailureCount": 2}, mock={"result": "[1, null, null]"})
    assert response["status"] == "SUCCEEDED"  # 2 failures are within the tolerated 2
    data = inspection(response)
    assert (data["maxConcurrency"], data["toleratedFailureCount"]) == (2, 2)


def test_map_failure_count_cannot_exceed_its_iterations(sfn):
    """More failed iterations than results is refused."""
    assert refused(sfn, SHIP_ITEMS, {"items": ["a"]}, stateConfiguration={"mapIterationFailureCount": 2},
                   mock={"result": json.dumps(["sent"])}) == (
        "ValidationException",
        "Map iteration failure count must be less than or equal to the number of Map iterations")


def test_map_item_selector_is_shown_for_each_iteration(sfn):
    """A mocked Map still evaluates its ItemSelector: DEBUG shows each iteration's input, $$.Map.Item included."""
    state = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.labels %}", "End": True,
             "ItemSelector": {"image": "{% $states.input.uri %}", "label": "{% $states.context.Map.Item.Value %}",
                              "position": "{% $states.context.Map.Item.Index %}"},
             "ItemProcessor": {"StartAt": "Index", "States": {"Index": {"Type": "Pass", "End": True}}}}
    response = test_state(sfn, state, {"uri": "s3://photos/p.jpg", "labels": ["Dog", "Beach"]},
                          inspectionLevel="DEBUG", mock={"result": "[{}, {}]"})
    assert inspection(response)["afterItemSelector"] == [
        {"image": "s3://photos/p.jpg", "label": "Dog", "position": 0},
        {"image": "s3://photos/p.jpg", "label": "Beach", "position": 1}]


def test_parallel_mock_has_one_result_per_branch(sfn):
    """A Parallel's mock is one result per branch."""
    state = {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]}
    assert json.loads(test_state(sfn, state, mock={"result": '[{"a": 1}, {"b": 2}]'})["output"]) == [
        {"a": 1}, {"b": 2}]
    assert refused(sfn, state, mock={"result": '[{"a": 1}]'})[1] == (
        "Mocked result must contain the same number of items as number of Parallel branches.")


# --- context object --------------------------------------------------------------------------------------------


def test_given_context_is_the_states_context_object(sfn):
    """$$ is the context given; a callback Task's token comes from it."""
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
             "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token",
                                                             "execution.$": "$$.Execution.Name"}},
             "ResultSelector": {"approved.$": "$.approved", "retries.$": "$$.State.RetryCount"},
             "End": True}
    context = {"Execution": {"Name": "order-17"}, "State": {"Name": "AwaitApproval", "RetryCount": 2},
               "Task": {"Token": "token-1"}}
    response = test_state(sfn, state, {}, inspectionLevel="DEBUG", context=json.dumps(context),
                          mock={"result": json.dumps({"approved": True})})
    assert json.loads(response["output"]) == {"approved": True, "retries": 2}
    assert inspection(response)["afterParameters"] == {"QueueUrl": "q", "MessageBody": {
        "token": "token-1", "execution": "order-17"}}


def test_default_context_names_the_state_and_its_retries(sfn):
    """Without a context, $$ describes an execution made for the call, the state named StateName."""
    state = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
             "Arguments": {"FunctionName": "f"}, "Output": "{% $states.context %}", "End": True}
    response = test_state(sfn, state, {"a": 1}, roleArn=ROLE, stateConfiguration={"retrierRetryCount": 1},
                          mock={"result": json.dumps({"StatusCode": 200})})
    context = json.loads(response["output"])
    assert context["State"]["Name"] == "StateName" and context["State"]["RetryCount"] == 1
    assert context["Execution"]["Input"] == {"a": 1} and context["Execution"]["RoleArn"] == ROLE
    assert ":express:" in context["Execution"]["Id"]


@pytest.mark.parametrize(("context", "message"), [
    ({"Map": {}}, "'Map' field is not supported when mocking a Context object"),
    ({"Pokedex": {}}, "Field 'Pokedex' is not allowed"),
    ({"Execution": {"Id": 1}}, "Execution.Id must be a string"),
    ({"Task": {"Token": "t"}}, "Context object contains 'Task' when state is not a Task state with a '.sync' "
                               "or '.waitForTaskToken' service integration pattern"),
])
def test_invalid_context_objects_are_refused(sfn, context, message):
    """The context object may hold only what a Task's context holds."""
    assert refused(sfn, START_CHILD, context=json.dumps(context),
                   mock={"result": json.dumps({"ExecutionArn": "a", "StartDate": "d"})}) == (
        "ValidationException", f"Invalid Context object provided: {message}")


# --- request errors and stateName ------------------------------------------------------------------------------


def test_a_task_without_mock_needs_a_role(sfn):
    """Without a mock a Task calls the service, so it needs the role."""
    assert refused(sfn, START_CHILD) == ("ValidationException", "RoleArn must be specified when testing a Task state")


def test_reveal_secrets_cannot_be_combined_with_a_mock(sfn):
    """A request to reveal secrets (of real HTTP calls) is refused with a mock."""
    assert refused(sfn, START_CHILD, revealSecrets=True, mock={"result": "{}", "fieldValidationMode": "NONE"}) == (
        "ValidationException", "TestState does not support RevealSecrets when a mock is specified.")


MACHINE = {"QueryLanguage": "JSONata", "StartAt": "Route", "States": {
    "Route": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.express %}", "Next": "Each"}],
              "Default": "Done"},
    "Each": {"Type": "Map", "Items": "{% $states.input.parcels %}", "Next": "Done", "ItemProcessor": {
        "StartAt": "Label", "States": {"Label": {"Type": "Pass", "Output": {"label": "{% $uppercase($states.input) %}"},
                                                 "End": True}}}},
    "Done": {"Type": "Succeed"}}}


def test_state_name_selects_a_state_of_a_whole_definition(sfn):
    """The state named by stateName is tested, nested ones included; it inherits the definition's QueryLanguage."""
    assert test_state(sfn, MACHINE, {"express": True}, stateName="Route")["nextState"] == "Each"
    response = test_state(sfn, MACHINE, "box-1", stateName="Label")
    assert json.loads(response["output"]) == {"label": "BOX-1"}


def test_unknown_state_name_and_invalid_state_type(sfn):
    """An unknown stateName and a state of an unknown type are refused with AWS's messages."""
    assert refused(sfn, MACHINE, stateName="Nope") == ("ValidationException", "State not found in definition")
    broken = {"StartAt": "S", "States": {"S": {"Type": "Sleep", "End": True}}}
    assert refused(sfn, broken, stateName="S") == ("InvalidDefinition", (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these "
        "values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/S/Type'"))


# --- without a mock the local services answer --------------------------------------------------------------------


def test_unmocked_task_calls_the_local_service(stack, sfn):
    """An SQS sendMessage Task without a mock really sends the message on the local stack."""
    sqs = stack.client("sqs")
    queue = sqs.create_queue(QueueName=f"test-state-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
             "Parameters": {"QueueUrl": queue, "MessageBody.$": "$.note"}, "ResultSelector": {"id.$": "$.MessageId"},
             "End": True}
    response = test_state(sfn, state, {"note": "ship order o-1"}, roleArn=ROLE)
    assert response["status"] == "SUCCEEDED"
    sent = stack.drain(queue)
    assert [m["Body"] for m in sent] == ["ship order o-1"]
    assert json.loads(response["output"]) == {"id": sent[0]["MessageId"]}
