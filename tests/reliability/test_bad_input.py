"""Bad input: refused at once, with the workflow's own error and a cause naming the field; never a hang.

Whatever a console user, a misconfigured rule or a broken producer sends, the workflow refuses it before any
AWS call.

Hypothesis generates the inputs from each workflow's JSON Schema (``schemas/<workflow>.input.schema.json``;
the EC2 enrichment's is the EC2 state-change event, of which it needs only ``detail.instance-id``): one field
missing, of another JSON type, empty, blank (any Unicode space), off its pattern, too long or a huge string;
non-object inputs (arrays, strings, numbers, booleans, null), empty objects, objects of unexpected fields, and
batches for the workflow an EventBridge Pipe starts. Each is checked against the schema to be invalid, and the
fields it breaks (per the schema) are the ones the cause may name. 100 per workflow, with a fixed seed
(``derandomize``), so the run is repeatable and the report's figures are these.
"""

from __future__ import annotations

import pytest

from local.reliability.inputs import (
    BadInput,
    check_bad_input,
    contract_of,
    contracted_workflows,
    offending_fields,
    run_bad_inputs,
)
from tests.support import load_json

WORKFLOWS = contracted_workflows()


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_generated_bad_inputs_fail_at_once_naming_the_field(stack, workflow):
    """100 generated bad inputs each end FAILED with the workflow's invalid-input error and the field named.

    Not ``States.Runtime`` nor ``States.QueryEvaluationError``, not a hang (each wait is bounded), not a
    recorded business failure: the rejection path only (check, choice, fail), so no AWS call is made.
    """
    figures = run_bad_inputs(stack, workflow, examples=100, strict=True)
    assert figures.tried >= 100
    assert figures.handled == figures.tried
    kinds = figures.to_json()["kinds"]
    assert {"wrong type", "missing", "huge string", "array input", "empty object"} <= set(kinds), kinds
    assert all(r.error == contract_of(workflow).error for r in figures.results)


@pytest.mark.parametrize(("workflow", "field", "payload"), [
    ("image-catalog", "key", {"bucket": "local-imageingestionbucket", "key": "\u00a0"}),
    ("call-center-analysis", "bucket", {"bucket": "\u2003\u000b", "key": "recordings/call.mp3"}),
    ("call-center-analysis", "key", {"bucket": "local-callrecordingsbucket", "key": "\u202f"}),
    ("feedback-conversation", "appointmentId",
     {"appointmentId": "\u00a0", "customerName": "Jane Doe", "customerPhone": "+14255550182"}),
])
def test_blank_field_of_unicode_spaces_is_refused(stack, workflow, field, payload):
    """A field made only of Unicode spaces (no-break, em, narrow no-break…) is blank, as the schema says.

    Found by the generated inputs: JSONata's ``$trim`` only removes spaces, tabs and line breaks, so such a key
    was accepted (and recorded as an unreadable image or an unsupported recording), and such an appointment id
    started a conversation. The input checks now test for a non-space character, as the schemas' ``pattern`` does.
    """
    result = check_bad_input(stack, workflow, BadInput(payload, field, "blank"))
    assert result.handled, result.explain()
    assert result.cause.startswith(f"Invalid input: {field} is required")


@pytest.mark.parametrize("workflow", WORKFLOWS)
@pytest.mark.parametrize("payload", [None, [], "an event", 42, 3.5, True, {}], ids=repr)
def test_non_objects_and_empty_objects_are_refused(stack, workflow, payload):
    """Null, an empty array, a string, numbers, a boolean and an empty object are refused, naming the input."""
    result = check_bad_input(stack, workflow, BadInput(payload, "the input", "non-object"))
    assert result.handled, result.explain()
    first = contract_of(workflow).fields[0]
    expected = [first] if payload == {} else ["the input"]
    assert result.offending[:1] == expected


def test_offending_fields_come_from_the_schema():
    """The fields a payload breaks are read from the schema: nested ones dotted, the batch unwrapped."""
    event = load_json("workflows/ec2-enrichment/events/ec2-instance-stopped.json")
    event["detail"] = {"state": "stopped"}
    assert offending_fields("ec2-enrichment", event) == ["detail.instance-id"]
    appointment = load_json("workflows/feedback-conversation/events/console-start.json")
    assert offending_fields("feedback-conversation", [appointment | {"customerPhone": "425 555 0182"}]) == [
        "customerPhone"]
    assert offending_fields("feedback-conversation", [appointment, appointment]) == ["the input"]
    assert offending_fields("image-catalog", {"bucket": 7}) == ["bucket", "key"]
