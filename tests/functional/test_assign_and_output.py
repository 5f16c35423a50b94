"""In a JSONata state, Assign and Output both read the variables as they were on entering the state (as AWS)."""

from __future__ import annotations

from tests.support.engine import start

# A basket: each step counts the items so far in $count; the Output shows what the state saw.
COUNT_ONE = {"Type": "Pass", "Assign": {"count": 1}}


def run(stack, states: dict, payload=None):
    return stack.wait(start(stack, {"QueryLanguage": "JSONata", "StartAt": "Start", "States": states}, payload))


def exited(result, state: str) -> dict:
    return next(e["stateExitedEventDetails"] for e in result.history
                if e.get("stateExitedEventDetails", {}).get("name") == state)


def test_output_sees_the_variables_as_they_were_when_the_state_was_entered(stack):
    """A Pass adds an item: its Output shows the count before it, the next state the count after it."""
    result = run(stack, {
        "Start": {**COUNT_ONE, "Next": "AddItem"},
        "AddItem": {"Type": "Pass", "Assign": {"count": "{% $count + 1 %}", "before": "{% $count %}"},
                    "Output": {"countSeen": "{% $count %}"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Output": {"count": "{% $count %}", "before": "{% $before %}",
                                            "fromAddItem": "{% $states.input %}"}, "End": True}})
    assert result.output == {"count": 2, "before": 1, "fromAddItem": {"countSeen": 1}}
    assert exited(result, "AddItem")["assignedVariables"] == {"count": "2", "before": "1"}


def test_a_catchers_output_sees_the_variables_from_before_its_assign(stack):
    """A failed call is caught: the Catcher's Assign counts it ($states.errorOutput), its Output sees the old count.

    The state after the Catcher sees the new count.
    """
    result = run(stack, {
        "Start": {"Type": "Pass", "Assign": {"failures": 0}, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Arguments": {"FunctionName": "no-such-function"}, "End": True,
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Show",
                            "Assign": {"failures": "{% $failures + 1 %}", "error": "{% $states.errorOutput.Error %}"},
                            "Output": {"failuresSeen": "{% $failures %}"}}]},
        "Show": {"Type": "Pass", "Output": {"failures": "{% $failures %}", "error": "{% $error %}",
                                            "fromCatch": "{% $states.input %}"}, "End": True}})
    assert result.output == {"failures": 1, "error": "Lambda.ResourceNotFoundException",
                             "fromCatch": {"failuresSeen": 0}}


def test_a_choice_rules_output_sees_the_variables_from_before_its_assign(stack):
    """A matching Choice rule counts the route taken: its Output sees the earlier count, the next state the new one."""
    result = run(stack, {
        "Start": {**COUNT_ONE, "Next": "Route"},
        "Route": {"Type": "Choice", "Default": "Show", "Choices": [{
            "Condition": "{% $count < 5 %}", "Next": "Show",
            "Assign": {"count": "{% $count + 1 %}"}, "Output": {"countSeen": "{% $count %}"}}]},
        "Show": {"Type": "Pass", "Output": {"count": "{% $count %}", "fromRoute": "{% $states.input %}"},
                 "End": True}})
    assert result.output == {"count": 2, "fromRoute": {"countSeen": 1}}


def test_a_choice_defaults_output_sees_the_variables_from_before_its_assign(stack):
    """No rule matches: the Choice state's own Assign and Output apply, the Output reading the earlier count."""
    result = run(stack, {
        "Start": {**COUNT_ONE, "Next": "Route"},
        "Route": {"Type": "Choice", "Default": "Show", "Assign": {"count": 10},
                  "Output": {"countSeen": "{% $count %}"},
                  "Choices": [{"Condition": "{% $count > 5 %}", "Next": "Show"}]},
        "Show": {"Type": "Pass", "Output": {"count": "{% $count %}", "fromRoute": "{% $states.input %}"},
                 "End": True}})
    assert result.output == {"count": 10, "fromRoute": {"countSeen": 1}}
