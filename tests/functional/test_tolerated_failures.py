"""A Distributed Map tolerates as many failed items as its ToleratedFailureCount/Percentage say, JSONata too."""

from __future__ import annotations

import json

import pytest

from tests.support.engine import start

# Each item is a parcel; a damaged one fails its child execution.
SHIP = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Inspect", "States": {
    "Inspect": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.damaged %}", "Next": "Reject"}],
                "Default": "Ship"},
    "Reject": {"Type": "Fail", "Error": "Parcel.Damaged", "Cause": "the parcel is damaged"},
    "Ship": {"Type": "Pass", "End": True}}}
PARCELS = [{"damaged": True}, {"damaged": False}, {"damaged": True}, {"damaged": False}]  # 2 of 4 damaged


def ship(stack, tolerance: dict, payload: dict | None = None):
    """Ship the parcels with a Map tolerating ``tolerance``; returns the ended execution and its Map Run."""
    definition = {"QueryLanguage": "JSONata", "StartAt": "ShipAll", "States": {"ShipAll": {
        "Type": "Map", "Items": "{% $states.input.parcels %}", "ItemProcessor": SHIP, **tolerance,
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Output": "{% $states.errorOutput %}",
                   "Next": "Escalate"}], "End": True},
        "Escalate": {"Type": "Pass", "End": True}}}
    execution = stack.wait(start(stack, definition, {"parcels": PARCELS, **(payload or {})}))
    sfn = stack.client("stepfunctions")
    run = sfn.describe_map_run(mapRunArn=sfn.list_map_runs(executionArn=execution.arn)["mapRuns"][0]["mapRunArn"])
    return execution, run


@pytest.mark.parametrize("count", [2, "{% 2 %}", "{% $states.input.tolerate %}"])
def test_a_tolerated_failure_count_lets_that_many_parcels_fail(stack, count):
    """Two damaged parcels of four, two tolerated (a number, or JSONata): the Map Run succeeds, counting 2 failed."""
    execution, run = ship(stack, {"ToleratedFailureCount": count}, {"tolerate": 2})
    assert execution.status == "SUCCEEDED" and execution.states == ["ShipAll"]
    assert (run["status"], run["toleratedFailureCount"], run["toleratedFailurePercentage"]) == ("SUCCEEDED", 2, 0)
    assert (run["itemCounts"]["failed"], run["itemCounts"]["succeeded"]) == (2, 2)


@pytest.mark.parametrize("count", [1, "{% 1 %}"])
def test_one_failure_more_than_tolerated_fails_the_map_run(stack, count):
    """Two damaged parcels, one tolerated: the Map fails with States.ExceedToleratedFailureThreshold, and is caught."""
    execution, run = ship(stack, {"ToleratedFailureCount": count})
    assert execution.states == ["ShipAll", "Escalate"]
    assert execution.output == {"Error": "States.ExceedToleratedFailureThreshold",
                                "Cause": "The specified tolerated failure threshold was exceeded"}
    assert (run["status"], run["toleratedFailureCount"]) == ("FAILED", 1)
    failed = [e for e in execution.history if e["type"] == "MapRunFailed"]
    assert failed[0]["mapRunFailedEventDetails"]["error"] == "States.ExceedToleratedFailureThreshold"


@pytest.mark.parametrize(("percentage", "outcome"), [("{% 50 %}", "SUCCEEDED"), ("{% 49.5 %}", "FAILED")])
def test_a_jsonata_tolerated_percentage_keeps_its_decimals(stack, percentage, outcome):
    """Half the parcels damaged: 50 % tolerates them, 49.5 % does not (the decimals count)."""
    _, run = ship(stack, {"ToleratedFailurePercentage": percentage})
    assert (run["status"], run["toleratedFailurePercentage"]) == (outcome, float(percentage[3:-3]))


def test_without_a_tolerance_one_damaged_parcel_fails_the_map_run(stack):
    """No tolerated failures declared: the default is zero, so the damaged parcels fail the Map Run."""
    execution, run = ship(stack, {})
    assert execution.states == ["ShipAll", "Escalate"] and run["status"] == "FAILED"


def test_a_tolerated_count_alone_is_not_limited_by_the_default_percentage(stack):
    """Only a count is declared (3, above the 2 damaged): the default percentage of zero does not apply."""
    execution, _ = ship(stack, {"ToleratedFailureCount": 3})
    assert execution.status == "SUCCEEDED" and execution.states == ["ShipAll"]


def test_test_state_reads_a_jsonata_tolerated_failure_count_as_a_count(stack):
    """TestState of the same Map reports the JSONata ToleratedFailureCount as a count, as the execution applies it."""
    definition = {"QueryLanguage": "JSONata", "Type": "Map", "Items": "{% $states.input.parcels %}",
                  "ItemProcessor": SHIP, "ToleratedFailureCount": "{% 2 %}", "End": True}
    response = stack.client("stepfunctions").test_state(
        definition=json.dumps(definition), input=json.dumps({"parcels": PARCELS}), inspectionLevel="DEBUG",
        mock={"result": json.dumps([{}, {}])}, stateConfiguration={"mapIterationFailureCount": 2})
    assert response["status"] == "SUCCEEDED"
    assert "toleratedFailurePercentage" not in response["inspectionData"]
    assert response["inspectionData"]["toleratedFailureCount"] == 2
