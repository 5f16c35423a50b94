"""JSON text as Step Functions writes it: compact, characters as they are, in every API answer."""

from __future__ import annotations

import json

from tests.support.engine import execute, machine


def test_describe_execution_writes_input_and_output_compactly(stack):
    """DescribeExecution returns ``{"a":1}``-style text for the input and the output, whatever the caller sent."""
    arn = machine(stack, {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
        "order.$": "$.order", "lines": [1, 2]}, "End": True}}})
    result = execute(stack, arn, {"order": {"id": "o-1", "total": 12.5}})
    described = stack.client("stepfunctions").describe_execution(executionArn=result.arn)
    assert described["input"] == '{"order":{"id":"o-1","total":12.5}}'
    assert described["output"] == '{"order":{"id":"o-1","total":12.5},"lines":[1,2]}'


def test_history_writes_inputs_outputs_and_parameters_compactly(stack):
    """Every input, output and parameters text in the history is compact JSON."""
    arn = machine(stack, {"StartAt": "Publish", "States": {"Publish": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
        "Parameters": {"QueueNamePrefix": "no-such-prefix"}, "ResultSelector": {"found.$": "$"}, "End": True}}})
    result = execute(stack, arn, {"a": [1, {"b": None}]})
    texts = []
    for event in result.history:
        for details in event.values():
            if isinstance(details, dict):
                texts += [details[key] for key in ("input", "output", "parameters") if key in details]
    assert texts, "the history holds inputs and outputs"
    for text in texts:
        assert text == json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    assert result.history[0]["executionStartedEventDetails"]["input"] == '{"a":[1,{"b":null}]}'


def test_characters_beyond_ascii_are_written_as_they_are(stack):
    """Accents and emoji, written in the definition as escapes or as they are, come back as the characters."""
    definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true, ' \
                 '"Parameters": {"emoji": "\\ud83c\\udd97", "name.$": "$.name"}}}}'
    arn = stack.client("stepfunctions").create_state_machine(
        name="engine-text-escapes", definition=definition,
        roleArn="arn:aws:iam::123456789012:role/local-engine-tests")["stateMachineArn"]
    result = execute(stack, arn, {"name": "Zoë"})
    described = stack.client("stepfunctions").describe_execution(executionArn=result.arn)
    assert described["output"] == '{"emoji":"\U0001f197","name":"Zoë"}'


def test_assigned_string_literals_are_read_as_json_strings(stack):
    """A variable assigned an escaped JSON text holds that text, which States.StringToJson parses."""
    arn = machine(stack, {"StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"settings": '{"key":"value"}', "quote": '"'}, "Next": "Use"},
        "Use": {"Type": "Pass", "End": True, "Parameters": {
            "parsed.$": "States.StringToJson($settings)", "quote.$": "$quote"}}}})
    result = execute(stack, arn)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"parsed": {"key": "value"}, "quote": '"'}


def test_jsonata_compares_an_assigned_quote_with_a_quote(stack):
    """A JSONata variable assigned a double quote equals the JSONata string literal ``'"'``."""
    arn = machine(stack, {"QueryLanguage": "JSONata", "StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"mark": '"'}, "Next": "Check"},
        "Check": {"Type": "Pass", "Output": "{% $mark = '\"' %}", "End": True}}})
    assert execute(stack, arn).output is True


def test_a_backslash_in_a_quoted_jsonpath_name_is_part_of_the_name(stack):
    """A backslash before a quote in a quoted JSONPath name is part of the name, as AWS reads it."""
    arn = machine(stack, {"StartAt": "Pick", "States": {"Pick": {
        "Type": "Pass", "Parameters": {"value.$": "$['a\\\"b']"}, "End": True}}})
    assert execute(stack, arn, {'a\\"b': "found"}).output == {"value": "found"}

