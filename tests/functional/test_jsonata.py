"""JSONata and variables answer as in AWS: Step Functions' own functions, nulls, and the wording of failures."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.functional.test_virtual_time import seconds_between
from tests.support.engine import execute, machine


def jsonata_pass(output, assign=None) -> dict:
    """A one-state JSONata machine whose Pass state assigns ``assign`` (if any) and outputs ``output``."""
    state = {"Type": "Pass", "Output": output, "End": True}
    if assign is None:
        return {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": state}}
    return {"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": assign, "Next": "P"}, "P": state}}


@pytest.mark.parametrize(("items", "size", "chunks"), [
    ([0], 1, [[0]]), ([0], 2, [[0]]), ([0, 1, 2], 4, [[0, 1, 2]]), ([0, 1, 2], 2, [[0, 1], [2]]), ([], 3, []),
])
def test_partition_always_returns_a_list_of_chunks(stack, items, size, chunks):
    """``$partition`` cuts an array into chunks of ``size``; one chunk is still a list of one chunk."""
    arn = machine(stack, jsonata_pass("{% $partition($states.input.items, $states.input.size) %}"))
    assert execute(stack, arn, {"items": items, "size": size}).output == chunks


def test_a_variable_assigned_null_holds_null(stack):
    """A variable assigned null is null to JSONata, not undefined: it can be output and compared."""
    arn = machine(stack, jsonata_pass({"value": "{% $nothing %}", "isNull": "{% $nothing = null %}"},
                                      assign={"nothing": None}))
    result = execute(stack, arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"value": None, "isNull": True})


def test_output_null_ends_with_a_null_output(stack):
    """``"Output": null`` makes the execution's output the JSON text ``null``."""
    result = execute(stack, machine(stack, jsonata_pass(None)), {"dropped": True})
    described = stack.client("stepfunctions").describe_execution(executionArn=result.arn)
    assert (described["status"], described["output"]) == ("SUCCEEDED", "null")


@pytest.mark.parametrize(("output", "assign", "field"), [
    ("{% $doesNotExist %}", None, "Output"),
    ({"result": "{% $doesNotExist %}"}, None, "Output/result"),
    ("{% 1 %}", {"result": "{% $doesNotExist %}"}, "Assign/result"),
])
def test_an_undefined_expression_names_its_field_and_the_state_entered_event(stack, output, assign, field):
    """AWS's cause names the state, the id of its StateEntered event, the expression and the field's path."""
    definition = jsonata_pass(output)
    if assign is not None:
        definition["States"]["P"]["Assign"] = assign
    result = execute(stack, machine(stack, definition))
    assert result.error == "States.QueryEvaluationError"
    assert result.cause == (
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression "
        f"'$doesNotExist' specified for the field '{field}' returned nothing (undefined)."
    )


def test_an_undefined_task_argument_names_the_argument(stack):
    """An undefined value in a Task's Arguments is reported for ``Arguments/<name>``, the task never called."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "First", "States": {
        "First": {"Type": "Pass", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                 "Arguments": {"FunctionName": "{% $doesNotExist %}", "Payload": {}}}}})
    result = execute(stack, arn)
    assert result.cause == (
        "An error occurred while executing the state 'Call' (entered at the event id #4). The JSONata expression "
        "'$doesNotExist' specified for the field 'Arguments/FunctionName' returned nothing (undefined)."
    )
    assert not any(event["type"] == "TaskScheduled" for event in result.history)


def test_an_expression_returning_a_function_is_an_unsupported_result(stack):
    """A JSONata function is no JSON value: the state fails with States.QueryEvaluationError."""
    result = execute(stack, machine(stack, jsonata_pass("{% function($x){$x} %}")))
    assert result.error == "States.QueryEvaluationError"
    assert result.cause.endswith("The JSONata expression 'function($x){$x}' specified for the field 'Output' "
                                 "returned an unsupported result type.")


def test_a_map_over_an_object_shows_the_object_as_json(stack):
    """A JSONata Map without Items iterates its input; an object there fails, quoted as JSON in the cause."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Item",
                                                      "States": {"Item": {"Type": "Pass", "End": True}}}}}})
    result = execute(stack, arn, {"foo": "bar"})
    assert result.error == "States.QueryEvaluationError"
    assert result.cause.endswith('Map state input must be an array but was: {"foo":"bar"}')


@pytest.mark.parametrize("timestamp", ["2016-13-05T21:29:29Z", "2016-12-05 21:29:29Z", "2016-12-05T21:29:29"])
def test_a_wait_timestamp_that_cannot_be_parsed_is_a_query_evaluation_error(stack, timestamp):
    """A JSONata Wait Timestamp that is no ISO-8601 date-time fails with States.QueryEvaluationError."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "Until", "States": {"Until": {
        "Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}}})
    result = execute(stack, arn, {"at": timestamp})
    assert (result.error, result.cause) == ("States.QueryEvaluationError", (
        "An error occurred while executing the state 'Until' (entered at the event id #2). The Timestamp field "
        f"cannot be parsed as an ISO-8601 extended offset date-time format string: {timestamp}"))


def test_a_wait_timestamp_in_the_past_does_not_wait(stack):
    """A Wait until a past instant ends at once, in workflow time too."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "Until", "States": {"Until": {
        "Type": "Wait", "Timestamp": "2016-12-05T21:29:29Z", "End": True}}})
    result = execute(stack, arn)
    assert result.status == "SUCCEEDED"
    entered, exited = (next(e for e in result.history if e["type"] == kind)
                       for kind in ("WaitStateEntered", "WaitStateExited"))
    assert seconds_between(entered, exited) < 1


# --- $parse: read with json where JSON and JSONata read a text alike, with $eval otherwise ---------------------

_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=6),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0, 1.0, 2.5e-7, 1e21])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children,
                                                                                  max_size=3)),
    max_leaves=10)
_PARSE_EXPRESSIONS = ["$parse($v)", "$parse($v).a", "$parse($v)[1]", "$parse($v).*", "$string($parse($v))",
                      "$count($parse($v))", "$type($parse($v))", "[$parse($v)]", "$parse($v).a.b", "$parse($v) = null"]
_ODD_TEXTS = ['{"a":1,"a":2}', '"\\ud83d\\ude00"', '["\\ud83d"]', "1e400", "-1e400", "NaN", "[1,]", "/* c */ 1",
              "1 + 1", "", "  ", '"\\u0000\\b\\f\\/"', "null", "-0", "-0.0", "1.0", "12345678901234567890",
              "[" * 40 + "]" * 40, '{"a": {"b": [1, 2.0, null]}}', "\ufeff[1]", '{"k":"\\\\ud83d"}', "$v"]


def _typed(value):
    """A value with the type of each part (``1`` and ``1.0`` differ), as JSONata handed it back."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [type(value).__name__, [_typed(item) for item in value]]
    return type(value).__name__, repr(value)


def _evaluated(expression: str, text, parse) -> tuple:
    from local.engine.jsonata import evaluate_jsonata

    try:
        return "value", _typed(evaluate_jsonata(expression, {"v": text, "parse": parse}))
    except Exception as error:  # the failure is what is compared
        return "error", type(error).__name__, getattr(error, "error", None) or str(error)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(value=_JSON_VALUES, ascii_only=st.booleans(), indent=st.sampled_from([None, 2]),
       expression=st.sampled_from(_PARSE_EXPRESSIONS), odd=st.one_of(st.none(), st.sampled_from(_ODD_TEXTS),
                                                                     st.integers(), st.just({"a": 1})))
def test_parse_gives_what_jsonatas_eval_gives(stack, value, ascii_only, indent, expression, odd):
    """``$parse`` of any JSON text (or of a text JSON does not read alike) is ``$eval``'s value, types included.

    Integral numbers, numbers past 2**53, nulls inside objects and arrays, keys given twice, escaped surrogates,
    numbers out of range, texts that are no JSON and arguments that are no text: the value, or the error.
    """
    from local.engine.jsonata import PARSE_AS_EVAL, _compile_jsonata, _jsonata_lambda, _parse

    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent) if odd is None else odd
    fast = _evaluated(expression, text, _jsonata_lambda(_parse))
    assert fast == _evaluated(expression, text, _compile_jsonata(PARSE_AS_EVAL).evaluate(None))
