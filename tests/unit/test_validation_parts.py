"""The pieces of ``validate``, ``graph`` and ``studio`` in isolation: matching, expansion, code reading, layout."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from local import graph, studio
from local.engine.api_models import iam_prefix
from local.stack.template import Template
from local.validation.fmt import canonical
from local.validation.lambda_code import code_calls
from local.validation.permissions import Need, Statement, _bind, action_matches, allowed, needs_of_operation, overlap

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted(p.parent.name for p in ROOT.glob("workflows/*/statemachine.asl.json"))


# --- permissions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "resource", "expected"), [
    ("arn:aws:s3:::bucket/recordings/*", "arn:aws:s3:::bucket/recordings/a.wav", True),
    ("arn:aws:s3:::bucket/recordings/*", "arn:aws:s3:::bucket/transcripts/a.json", False),
    ("arn:aws:s3:::bucket/recordings/*", "arn:aws:s3:::bucket/*", True),  # a run-time key may be a recording
    ("arn:aws:s3:::other/*", "arn:aws:s3:::bucket/*", False),
    ("*", "arn:aws:sns:us-east-1:1:topic", True),
    ("arn:aws:lambda:*:*:function:Fn*", "arn:aws:lambda:us-east-1:1:function:Fn:live", True),
    ("arn:aws:states:us-east-1:1:execution:Child:*", "arn:aws:states:us-east-1:1:execution:Other:*", False),
    ("arn:aws:ssm:r:a:parameter/app/?", "arn:aws:ssm:r:a:parameter/app/x", True),
])
def test_resource_patterns_overlap(policy, resource, expected):
    assert overlap(policy, resource) is expected


def test_actions_match_case_insensitively_with_wildcards():
    assert action_matches("dynamodb:*Item", "dynamodb:PutItem")
    assert action_matches("S3:getobject", "s3:GetObject")
    assert not action_matches("s3:Get*", "s3:PutObject")


def test_deny_wins_over_allow_for_a_known_resource():
    table = "arn:aws:dynamodb:r:a:table/t"
    statements = [Statement("Allow", ("dynamodb:*",), (), ("*",), (), "a"),
                  Statement("Deny", ("dynamodb:DeleteItem",), (), (table,), (), "d")]
    assert allowed(statements, Need("dynamodb:PutItem", (table,)))
    assert not allowed(statements, Need("dynamodb:DeleteItem", (table,)))


@pytest.mark.parametrize(("boto", "prefix"), [
    ("sesv2", "ses"), ("pinpoint-sms-voice-v2", "sms-voice"), ("stepfunctions", "states"), ("events", "events"),
    ("dynamodb", "dynamodb"), ("lambda", "lambda"),
])
def test_iam_prefix_is_the_signing_name(boto, prefix):
    assert iam_prefix(boto) == prefix


def test_needs_of_an_sdk_call():
    needs = needs_of_operation("s3", "HeadObject", {"Bucket": "b", "Key": "{% $key %}"})
    assert needs == [Need("s3:GetObject", ("arn:aws:s3:::b/*",))]
    roles = needs_of_operation("transcribe", "StartTranscriptionJob",
                               {"JobExecutionSettings": {"DataAccessRoleArn": "arn:aws:iam::1:role/r"}})
    assert Need("iam:PassRole", ("arn:aws:iam::1:role/r",), "a role handed to the service") in roles
    email = needs_of_operation("sesv2", "SendEmail", {"FromEmailAddress": "a@example.com"})
    assert email[0].action == "ses:SendEmail" and email[0].resources[1].endswith("identity/example.com")


def test_sam_policy_template_parameters_are_bound():
    definition = {"Resource": {"Fn::Sub": ["arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${q}",
                                           {"q": {"Ref": "QueueName"}}]},
                  "Other": {"Fn::Sub": "arn:aws:ssm:r:a:parameter/${ParameterName}"}}
    bound = _bind(definition, {"QueueName": "jobs", "ParameterName": "app/key"})
    assert bound["Resource"]["Fn::Sub"][1] == {"q": "jobs"}
    assert bound["Other"] == {"Fn::Sub": "arn:aws:ssm:r:a:parameter/app/key"}


def test_code_calls_of_a_function(tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        import os
        import boto3
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
        from aws_lambda_powertools.utilities.parameters import get_parameter

        TABLE = os.environ["ORDERS_TABLE"]
        s3 = boto3.client("s3")
        orders = boto3.resource("dynamodb").Table(os.getenv("ORDERS_TABLE"))
        layer = DynamoDBPersistenceLayer(table_name=os.environ.get("IDEMPOTENCY_TABLE", ""))

        def handler(event, context):
            s3.put_object(Bucket="archive", Key=event["key"], Body=b"")
            boto3.client("sqs").send_message(QueueUrl=event["url"], MessageBody="x")
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="archive"):
                pass
            orders.put_item(Item={})
            get_parameter("/app/flag")
    """))
    found = {(c.boto, c.operation): c.params for c in code_calls(tmp_path, {"ORDERS_TABLE": "orders",
                                                                           "IDEMPOTENCY_TABLE": "idem"})}
    assert found[("s3", "PutObject")] == {"Bucket": "archive", "Key": None, "Body": None}
    assert ("sqs", "SendMessage") in found and ("s3", "ListObjectsV2") in found
    assert found[("dynamodb", "PutItem")] in ({"TableName": "orders"}, {"TableName": "idem"})
    assert found[("dynamodb", "UpdateItem")] == {"TableName": "idem"}
    assert found[("ssm", "GetParameter")] == {"Name": "/app/flag"}


# --- graph ---------------------------------------------------------------------------------------------------


def _definition(workflow: str) -> dict:
    return json.loads((ROOT / "workflows" / workflow / "statemachine.asl.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_svg_is_deterministic_and_draws_every_state(workflow):
    from local.validation.common import iter_states

    definition = _definition(workflow)
    drawn = graph.svg(definition, workflow)
    assert drawn == graph.svg(json.loads(json.dumps(definition)), workflow)
    assert drawn.startswith("<svg") and drawn.endswith("</svg>\n")
    for name, _state in iter_states(definition["States"]):
        assert f">{name}</text>" in drawn


def test_mermaid_has_transitions_catches_and_containers():
    text = graph.mermaid(_definition("image-catalog"))
    assert text.startswith("stateDiagram-v2\n    [*] --> CheckInput\n")
    assert "    state AnalyseImage {\n        [*] --> DetectLabels\n" in text and "        --\n" in text
    assert "IsContentSafe --> AnalyseImage: no moderation label" in text  # the rule's Comment
    assert "IsContentSafe --> SaveRejectedImage: Default" in text
    assert "CheckModeration --> NoteUnreadableImage: catch InvalidImageFormatException +2" in text
    assert "ImageCatalogued --> [*]" in text


def test_mermaid_ids_and_labels_are_escaped():
    definition = {"StartAt": "Is it ok?", "States": {
        "Is it ok?": {"Type": "Choice", "Choices": [{"Condition": "{% $x < 3; {} %}", "Next": "Done"}],
                      "Default": "Done"},
        "Done": {"Type": "Succeed"}}}
    text = graph.mermaid(definition)
    assert 'state "Is it ok?" as Is_it_ok_' in text
    assert "Is_it_ok_ --> Done: $x #60; 3, () / Default" in text


# --- studio ---------------------------------------------------------------------------------------------------


def _deployed_resources(tmp_path: Path) -> Path:
    """What ``aws cloudformation describe-stack-resources`` says about a stack in another account and region."""
    template = Template(ROOT / "template.yaml")
    resources = []
    for resource in template.resources.values():
        if resource.raw.get("Implicit"):
            continue
        physical = resource.ref if resource.ref.startswith(("arn:", "https:")) else f"prod-{resource.logical_id}-1A2B"
        physical = physical.replace("123456789012", "111122223333").replace("us-east-1", "eu-west-1")
        resources.append({"StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/prod/9f8e",
                          "LogicalResourceId": resource.logical_id, "PhysicalResourceId": physical})
    path = tmp_path / "resources.json"
    path.write_text(json.dumps({"StackResources": resources}))
    return path


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_studio_round_trip_is_lossless(workflow, tmp_path):
    path, values = studio.substitution_values(ROOT / "template.yaml", workflow, [_deployed_resources(tmp_path)])
    original = path.read_text(encoding="utf-8")
    exported = studio.export_definition(original, values)
    for name, value in values.items():
        assert "${" + name + "}" not in exported
        assert value in exported
    restored, notes = studio.import_definition(exported, original, values)
    assert restored == original and notes == []


def test_studio_import_of_an_edited_export(tmp_path):
    path, values = studio.substitution_values(ROOT / "template.yaml", "image-catalog", [_deployed_resources(tmp_path)])
    original = path.read_text(encoding="utf-8")
    edited = json.loads(studio.export_definition(original, values))
    edited["States"]["NotifyModerators"]["Arguments"]["Subject"] = "Image held back"
    edited["States"]["ImageRejected"] = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                                         "Arguments": {"TableName": values["CatalogTableName"], "Key": {}},
                                         "End": True}
    # Workflow Studio's own indentation: fmt gives the canonical form back.
    restored, _ = studio.import_definition(json.dumps(edited, indent=4), original, values)
    result = json.loads(restored)
    assert result["States"]["ImageRejected"]["Arguments"]["TableName"] == "${CatalogTableName}"
    assert result["States"]["NotifyModerators"]["Arguments"]["TopicArn"] == "${ModeratorsTopicArn}"
    assert result["States"]["NotifyModerators"]["Arguments"]["Subject"] == "Image held back"
    assert "$number('${ModerationMinConfidence}')" in restored
    assert restored == canonical(result)


def test_studio_values_from_describe_stacks_and_a_plain_map(tmp_path):
    stacks = tmp_path / "stacks.json"
    stacks.write_text(json.dumps({"Stacks": [{
        "StackName": "prod", "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/prod/1",
        "Parameters": [{"ParameterKey": "ImageModerationMinConfidence", "ParameterValue": "80"}],
        "Outputs": [{"OutputKey": "ImageCatalogTableName", "OutputValue": "prod-catalog"},
                    {"OutputKey": "ImageModeratorsTopicArn", "OutputValue": "arn:aws:sns:eu-west-1:1:mods"}]}]}))
    _, values = studio.substitution_values(ROOT / "template.yaml", "image-catalog", [stacks])
    assert values == {"CatalogTableName": "prod-catalog", "ModeratorsTopicArn": "arn:aws:sns:eu-west-1:1:mods",
                      "ModerationMinConfidence": "80", "LabelMinConfidence": "70"}
    plain = tmp_path / "map.json"
    plain.write_text(json.dumps({"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333",
                                 "CallSplitTextFunction": "prod-split", "CallReadTranscriptFunction.Arn": "arn:x",
                                 "CallRecordingsBucketName": "prod-recordings", "CallResultsTable": "prod-results",
                                 "ApplicationEventBus": "prod-app", "CallTranscribeDataAccessRole": "prod-role"}))
    _, values = studio.substitution_values(ROOT / "template.yaml", "call-center-analysis", [plain])
    assert values["SplitTextFunctionArn"] == "arn:aws:lambda:eu-west-1:111122223333:function:prod-split"
    assert values["ReadTranscriptFunctionArn"] == "arn:x"
    assert values["RecordingsBucketName"] == "prod-recordings"
    assert values["TranscribeDataAccessRoleArn"] == "arn:aws:iam::111122223333:role/prod-role"


def test_studio_names_what_it_cannot_resolve(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    with pytest.raises(ValueError, match=r"CatalogTableName: no deployed value for !Ref ImageCatalogTable"):
        studio.substitution_values(ROOT / "template.yaml", "image-catalog", [empty])
