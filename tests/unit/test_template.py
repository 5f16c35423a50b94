"""Reading the SAM template: short-form tags, intrinsics and the local names of resources."""

from __future__ import annotations

import textwrap

import pytest

from local.stack.template import Template, TemplateError

TEMPLATE = textwrap.dedent("""
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Env: {Type: String, Default: dev}
      Languages: {Type: CommaDelimitedList, Default: "en-US, fr-FR"}
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
    Resources:
      Bus:
        Type: AWS::Events::EventBus
        Properties: {Name: !Sub "${AWS::StackName}-app"}
      Table:
        Type: AWS::DynamoDB::Table
        Properties: {TableName: !Sub "orders-${Env}"}
      Queue: {Type: AWS::SQS::Queue}
      Alarm:
        Type: AWS::SQS::Queue
        Condition: IsProd
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          DefinitionUri: workflows/orders/statemachine.asl.json
          DefinitionSubstitutions:
            TableName: !Ref Table
            BusArn: !GetAtt Bus.Arn
            QueueUrl: !Ref Queue
            First: !Select [0, !Ref Languages]
            Mode: !If [IsProd, strict, relaxed]
          Events:
            Trigger:
              Type: EventBridgeRule
              Properties:
                Pattern: {source: [orders]}
                DeadLetterConfig: {Type: SQS}
""")


@pytest.fixture()
def template(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return Template(path)


def test_intrinsics_resolve_to_local_names(template):
    """Ref, GetAtt, Sub, Select and If resolve against the local stack's names and parameters."""
    props = template.resolve(template.resources["Machine"].properties)
    assert props["DefinitionSubstitutions"] == {
        "TableName": "orders-dev",
        "BusArn": "arn:aws:events:us-east-1:123456789012:event-bus/local-app",
        "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/local-queue",
        "First": "en-US",
        "Mode": "relaxed",
    }


def test_conditions_and_sam_expansion(template):
    """A resource whose condition is false is skipped; SAM events add a rule, its DLQ and a role."""
    assert "Alarm" not in template.resources
    assert {"MachineTrigger", "MachineTriggerQueue", "MachineRole"} <= set(template.resources)
    assert template.workflows()["orders"].logical_id == "Machine"


def test_parameter_overrides_are_checked(tmp_path):
    """Overriding a parameter the template does not declare is an error naming it."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    assert Template(path, {"Env": "prod"}).conditions["IsProd"] is True
    with pytest.raises(TemplateError, match="Nope"):
        Template(path, {"Nope": "x"})


def test_unknown_references_are_named(template):
    """A Ref to nothing names what it could not find."""
    with pytest.raises(TemplateError, match="Missing"):
        template.resolve({"Ref": "Missing"})
