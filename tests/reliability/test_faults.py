"""Fault injection over every Task state of every workflow: a failing API never loses a business event.

The matrix is generated from the definitions (:func:`local.reliability.fault_cases`): each Task state, inside
Parallel and Map states too, is made to fail with each class of error its API really returns, named as Step
Functions names it, through a MockConfigFile test case built at run time next to the workflows' own. Every
other state calls the local services, so the records, events, e-mails and text messages checked are real.

* Throttling and server errors are *transient*: thrown twice, then the state gets its normal answer. The
  workflow must retry and end exactly as the scenario ends without faults (same record, same messages).
* Access denied and validation errors are *permanent*: thrown at every attempt. The workflow must end in its
  designed, recorded outcome (see each workflow's README, "Errors and retries").
* ``States.Timeout`` where a Task has a timeout (the feedback conversation's questions): the virtual clock
  passes the reply timeout, and the conversation ends as NO_RESPONSE.
"""

from __future__ import annotations

import collections

import pytest

from local.reliability.errors import error_classes, fault_cases, harnessed_workflows
from local.reliability.faults import FaultMatrix
from local.workflows.harness import task_states
from tests.support import load_json

WORKFLOWS = harnessed_workflows()
CASES = fault_cases()


@pytest.fixture(scope="module")
def matrix(stack):
    """The generated test cases installed on the session's stack for this module (the probe queue too)."""
    with FaultMatrix(stack) as running:
        yield running


def test_matrix_covers_every_task_state_with_every_error_class():
    """Every Task state of the four workflows is in the matrix, with the four classes of error of its API.

    Error names are the ones AWS reports: for aws-sdk integrations ``<Service>.<Code>Exception`` when the API model
    declares the code, else the service's generic exception (S3's SlowDown and InternalError are
    ``S3.S3Exception``, every EC2 error ``Ec2.Ec2Exception``); the Java SDK v1's names for the optimised ones.
    """
    states = {(workflow, name): state for workflow in WORKFLOWS for name, state in task_states(
        load_json(f"workflows/{workflow}/statemachine.asl.json")["States"]).items()}
    kinds = collections.defaultdict(set)
    for case in CASES:
        kinds[(case.workflow, case.state)].add(case.error.kind)
    assert set(kinds) == set(states)
    for key, found in kinds.items():
        timeout = "TimeoutSeconds" in states[key]
        classes = {"throttling", "server-error", "access-denied", "validation"}
        assert found == classes | ({"timeout"} if timeout else set()), key
    errors = {(c.workflow, c.state, c.error.kind): c.error.error for c in CASES}
    assert errors[("ec2-enrichment", "LookUpNameTag", "throttling")] == "Ec2.Ec2Exception"
    assert errors[("image-catalog", "SaveApprovedImage", "throttling")] == (
        "DynamoDb.ProvisionedThroughputExceededException")
    assert errors[("call-center-analysis", "ReadLongTranscript", "throttling")] == "Lambda.TooManyRequestsException"
    assert errors[("call-center-analysis", "ReadLongTranscript", "server-error")] == "Lambda.ServiceException"
    assert errors[("feedback-conversation", "RequestCallback", "throttling")] == "EventBridge.ThrottlingException"
    assert errors[("feedback-conversation", "RequestCallback", "validation")] == (
        "EventBridge.AmazonEventBridgeException")
    assert errors[("call-center-analysis", "SaveTranslation", "throttling")] == "S3.S3Exception"
    assert errors[("call-center-analysis", "ReadTranscript", "server-error")] == "S3.S3Exception"
    assert errors[("call-center-analysis", "AlertManager", "server-error")] == "SesV2.SesV2Exception"
    assert errors[("image-catalog", "SaveApprovedImage", "validation")] == "DynamoDb.DynamoDbException"
    assert errors[("feedback-conversation", "WaitForRating", "timeout")] == "States.Timeout"


def test_transient_errors_are_the_ones_each_state_retries():
    """Every throttling and server error the matrix throws is one its state's Retry lists (or States.ALL).

    This is the static half of the transient cases: without a matching retrier the error would go straight to
    the Catch (the SES server error of AlertManager did, before its Retry was added).
    """
    for workflow in WORKFLOWS:
        for name, state in task_states(load_json(f"workflows/{workflow}/statemachine.asl.json")["States"]).items():
            retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
            for error in error_classes(state):
                if error.transient:
                    assert error.error in retried or "States.ALL" in retried, (workflow, name, error.error)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault_ends_as_designed(matrix, case):
    """An API failing at this state ends as the workflow is designed to: retried when transient, recorded when not.

    The expectation is the business outcome (the item's status and error in the table, the enriched or
    CallAnalyzed event on the bus, the moderators' and manager's messages, the customer's text messages, the
    execution's named error and cause), compared with what the execution and the local services show.
    """
    result = matrix.run(case)
    assert result.designed, result.explain()


def test_image_catalog_rekognition_refusing_access_is_recorded_on_the_item(matrix):
    """Rekognition refuses access at moderation: the image is recorded FAILED with the error and the state.

    The execution fails with the AWS error itself; the catalog item says why, so nothing disappears silently.
    """
    [case] = [c for c in CASES if c.id == "image-catalog:CheckModeration:access-denied"]
    result = matrix.run(case)
    assert result.observed["item"] == "FAILED"
    assert result.observed["errorName"] == result.observed["error"] == "Rekognition.AccessDeniedException"
    assert result.observed["failedState"] == "CheckModeration" and result.observed["labels"] == []


def test_call_center_throttled_sentiment_is_retried_and_the_call_analysed(matrix):
    """Comprehend throttles the scoring twice: retried, and the call is stored ANALYZED and published once."""
    [case] = [c for c in CASES if c.id == "call-center-analysis:ScoreChunkBatch:throttling"]
    result = matrix.run(case)
    assert result.designed, result.explain()
    assert (result.observed["item"], result.observed["sentiment"], result.observed["published"]) == (
        "ANALYZED", "POSITIVE", 1)


def test_call_center_ses_outage_passes_and_the_manager_is_emailed(matrix):
    """SES answers 500 twice while alerting the manager about a bad call: retried, the manager gets one e-mail.

    Before AlertManager retried SES server errors, this ended in CallAnalysis.ManagerAlertFailed, waiting
    for someone to redrive it.
    """
    [case] = [c for c in CASES if c.id == "call-center-analysis:AlertManager:server-error"]
    result = matrix.run(case)
    assert result.designed, result.explain()
    assert (result.observed["status"], result.observed["emailed"], result.observed["published"]) == (
        "SUCCEEDED", 1, 1)


def test_feedback_callback_event_refused_is_recorded_and_no_call_promised(matrix):
    """The bus refuses the CallbackRequested event: the conversation is recorded FAILED, the answer Y kept."""
    [case] = [c for c in CASES if c.id == "feedback-conversation:RequestCallback:access-denied"]
    result = matrix.run(case)
    assert result.observed["error"] == "FeedbackConversation.CallbackNotRequested"
    assert (result.observed["record"], result.observed["callback"], result.observed["requested"]) == ("FAILED", "Y", 0)
    assert result.observed["failureError"] == "EventBridge.AccessDeniedException"


def test_feedback_customer_silent_past_the_timeout_ends_with_no_response(matrix):
    """The customer never answers the callback question: after the timeout, NO_RESPONSE with the score kept."""
    [case] = [c for c in CASES if c.id == "feedback-conversation:WaitForCallbackAnswer:timeout"]
    result = matrix.run(case)
    assert result.designed, result.explain()
    assert (result.observed["record"], result.observed["score"], result.observed["closing"]) == (
        "NO_RESPONSE", 3, False)

