"""EC2 enrichment, state by state, with the TestState API as AWS's TestState guide shows it.

Each test gives one state of the deployed definition (``stateName``) the input and variables the earlier states
would have produced, mocks the AWS call, and checks where the workflow goes next and what the state remembers.
"""

from __future__ import annotations

import json

import pytest

from tests.support import variables_after

WORKFLOW = "ec2-enrichment"
INSTANCE = "i-0abc123def4567890"


def test_name_tag_is_taken_from_describe_tags(sfn, definition):
    """LookUpNameTag keeps only the Name tag's value from EC2's DescribeTags answer, then checks it."""
    response = sfn.test_state(
        definition=definition, stateName="LookUpNameTag", input=json.dumps({"instanceId": INSTANCE}),
        variables=json.dumps({"instanceId": INSTANCE}), inspectionLevel="DEBUG",
        mock={"result": json.dumps({"Tags": [
            {"Key": "Name", "ResourceId": INSTANCE, "ResourceType": "instance", "Value": "checkout-web-1"}]})})
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "HasNameTag")
    assert variables_after(response) == {"instanceId": INSTANCE, "instanceName": "checkout-web-1",
                                         "nameSource": "tag"}


@pytest.mark.parametrize(("name_source", "next_state"), [("tag", "PublishEnrichedEvent"), ("", "ReadDefaultName")])
def test_instances_without_a_name_tag_get_the_default_name(sfn, definition, name_source, next_state):
    """HasNameTag publishes at once when the tag gave a name, else reads the default name first."""
    response = sfn.test_state(definition=definition, stateName="HasNameTag", input="{}",
                              variables=json.dumps({"nameSource": name_source}))
    assert response["nextState"] == next_state


def test_ec2_errors_are_retried_then_the_default_name_is_used(sfn, definition):
    """An EC2 error is retried (Ec2.Ec2Exception, 3 attempts); once they are spent the Catch reads the default name."""
    error = {"errorOutput": {"error": "Ec2.Ec2Exception", "cause": "Request limit exceeded."}}
    first = sfn.test_state(definition=definition, stateName="LookUpNameTag", input="{}", mock=error,
                           variables=json.dumps({"instanceId": INSTANCE}), inspectionLevel="DEBUG")
    assert first["status"] == "RETRIABLE"
    assert first["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 1}

    last = sfn.test_state(definition=definition, stateName="LookUpNameTag", input="{}", mock=error,
                          variables=json.dumps({"instanceId": INSTANCE}), inspectionLevel="DEBUG",
                          stateConfiguration={"retrierRetryCount": 3})
    assert (last["status"], last["nextState"]) == ("CAUGHT_ERROR", "ReadDefaultName")
    assert variables_after(last)["lookupError"] == "Ec2.Ec2Exception: Request limit exceeded."


def test_a_rejected_entry_becomes_the_publish_problem(sfn, definition):
    """PublishEnrichedEvent reads PutEvents' partial failure; WasEventPublished then fails the publish."""
    response = sfn.test_state(
        definition=definition, stateName="PublishEnrichedEvent", input="{}", inspectionLevel="DEBUG",
        variables=json.dumps({"event": {"detail": {"instance-id": INSTANCE}}, "instanceId": INSTANCE,
                              "instanceName": "web", "nameSource": "tag"}),
        mock={"result": json.dumps({"FailedEntryCount": 1, "Entries": [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "try later"}]})})
    assert response["nextState"] == "WasEventPublished"
    after = variables_after(response)
    assert after["failedEntryCount"] == 1
    assert after["publishProblem"] == "PutEvents rejected the entry: InternalFailure: try later"

    choice = sfn.test_state(definition=definition, stateName="WasEventPublished", input="{}",
                            variables=json.dumps({"failedEntryCount": 1}))
    assert choice["nextState"] == "FailPublish"
    named = {"instanceId": INSTANCE, "instanceName": "web", "nameSource": "tag"}
    failed = sfn.test_state(definition=definition, stateName="FailPublish", input="{}",
                            variables=json.dumps({**named, "publishProblem": after["publishProblem"]}))
    assert (failed["status"], failed["error"]) == ("FAILED", "Ec2Enrichment.PublishFailed")
    assert failed["cause"] == (f"The enriched event of {INSTANCE} (web, name from tag) was not published: "
                               "PutEvents rejected the entry: InternalFailure: try later")
