"""``python -m local validate``: each kind of mistake, planted in a copy of the real project, is reported.

Every test copies the project (template, workflows, tasks, schemas) to ``tmp_path``, plants one mistake, runs
only the check concerned and asserts the line names the file, the state and the problem.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from local.validation.asl import ASL_SERVICE_PACKAGE
from tests.support import ROOT
from tests.support.project import copy_project, edit_json, edit_text, line, problems

IMAGE = "workflows/image-catalog/statemachine.asl.json"
CALLS = "workflows/call-center-analysis/statemachine.asl.json"
FEEDBACK = "workflows/feedback-conversation/statemachine.asl.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project to plant mistakes in."""
    return copy_project(tmp_path)


def states(document: dict[str, Any]) -> dict[str, Any]:
    return document["States"]


# --- the real project ---------------------------------------------------------------------------------------


def test_the_project_validates(capsys):
    """Every check of ``python -m local validate`` passes on the project as it is (``make test`` relies on it)."""
    status, out = main(["validate"]), capsys.readouterr().out
    assert status == 0, out
    assert "OK, 0 problems" in out


def test_validate_exits_1_with_one_line_per_problem(project, capsys):
    """A ``Next`` to a state that does not exist: one line, exit 1, whatever the checks that see it.

    statelint and the ASL language service both report the missing target and the state it leaves unreachable,
    and the diagram no longer matches; the mistake is one: the line names the close state as the fix, and the
    stale diagram is not reported (redrawing it would draw the broken graph).
    """
    edit_json(project, IMAGE, lambda d: states(d)["CheckInput"].update(Next="IsInputValud"))
    checks = ["statelint", "diagrams"] + (["asl-service"] if shutil.which("node") and ASL_SERVICE_PACKAGE.exists()
                                          else [])
    assert main(["validate", "--template", str(project / "template.yaml"),
                 *[arg for check in checks for arg in ("--check", check)]]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f'{IMAGE}: CheckInput: Next names "IsInputValud", which is not a state, so IsInputValid is never '
                   'reached — write "IsInputValid"', out[-1]]
    assert out[-1].startswith("validate: 1 problem — ")


def test_a_target_without_a_close_state_names_the_field(project):
    """A choice pointing at a state that is nowhere near an existing name: the field, and what to do."""
    edit_json(project, IMAGE, lambda d: states(d)["IsInputValid"]["Choices"][0].update(Next="Elsewhere"))
    found = line(problems(project, "statelint"), IMAGE, ": IsInputValid:")
    assert found.startswith(f'{IMAGE}: IsInputValid: Choices[0].Next names "Elsewhere", which is not a state')
    assert found.endswith("point Choices[0].Next at an existing state, or add a state named Elsewhere")


def test_statelint_finds_an_unreachable_state(project):
    edit_json(project, IMAGE, lambda d: states(d).update(Orphan={"Type": "Succeed"}))
    assert "reach the state" in line(problems(project, "statelint"), IMAGE, ": Orphan:", "No transition found")


def test_statelint_finds_a_missing_terminal_state_in_a_branch(project):
    def loop(d):
        branch = states(d)["AnalyseImage"]["Branches"][1]["States"]["DetectText"]
        branch.pop("End")
        branch["Next"] = "DetectText"

    edit_json(project, IMAGE, loop)
    line(problems(project, "statelint"), IMAGE, "AnalyseImage", "No terminal state")


def test_jsonata_syntax_error_is_reported(project):
    edit_json(project, IMAGE, lambda d: states(d)["IsContentSafe"]["Choices"][0].update(
        Condition="{% $count($moderationLabels = 0 %}"))
    found = line(problems(project, "jsonata"), IMAGE, ": IsContentSafe:", "Choices[0].Condition", "syntax error")
    assert found.endswith("fix the expression")


def test_jsonata_must_be_the_whole_string(project):
    edit_json(project, IMAGE, lambda d: states(d)["RejectInvalidInput"].update(Cause="Invalid: {% $inputProblem %}"))
    line(problems(project, "jsonata"), IMAGE, ": RejectInvalidInput:", "Cause mixes text")


def test_asl_language_service_diagnostics(project):
    if shutil.which("node") is None or not ASL_SERVICE_PACKAGE.exists():
        pytest.skip("node and node_modules/ (npm ci) are needed; make test installs them")
    edit_json(project, IMAGE, lambda d: states(d)["CheckInput"].update(Retries=3))
    found = line(problems(project, "asl-service"), IMAGE, ": CheckInput:", "ASL language service", "Retries")
    assert "not supported" in found


def test_the_interpreter_rejects_a_broken_definition(project):
    edit_json(project, IMAGE, lambda d: states(d)["PrepareImage"].update(Type="Passs"))
    line(problems(project, "interpreter"), IMAGE, "the ASL interpreter rejects the definition")


# --- 2. SDK calls against the API models ---------------------------------------------------------------------


def test_sdk_unknown_parameter_names_the_close_one(project):
    edit_json(project, CALLS, lambda d: states(d)["ReadRecordingMetadata"]["Arguments"].update(
        {"Kee": states(d)["ReadRecordingMetadata"]["Arguments"].pop("Key")}))
    found = problems(project, "sdk")
    assert line(found, CALLS, ": ReadRecordingMetadata:", "Arguments has Kee", "S3 HeadObject").endswith(
        "did you mean Key?")
    line(found, CALLS, ": ReadRecordingMetadata:", "lacks Key, which S3 HeadObject requires")


def test_sdk_missing_required_parameter(project):
    edit_json(project, IMAGE, lambda d: states(d)["NotifyModerators"]["Arguments"].pop("Message"))
    line(problems(project, "sdk"), IMAGE, ": NotifyModerators:", "lacks Message, which SNS Publish requires")


def test_sdk_literal_of_the_wrong_type(project):
    edit_json(project, IMAGE, lambda d: states(d)["AnalyseImage"]["Branches"][0]["States"]["DetectLabels"][
        "Arguments"].update(MaxLabels="25"))
    found = line(problems(project, "sdk"), IMAGE, ": DetectLabels:", 'Arguments.MaxLabels is "25"', "an integer")
    assert found.endswith("write 25 without quotes")


def test_sdk_value_outside_the_enum(project):
    edit_json(project, IMAGE, lambda d: states(d)["SaveApprovedImage"]["Arguments"].update(ReturnValues="ALL_OLDS"))
    assert line(problems(project, "sdk"), IMAGE, ": SaveApprovedImage:", "ReturnValues").endswith("ALL_OLD?")


def test_sdk_unknown_action_and_service(project):
    edit_json(project, IMAGE, lambda d: states(d)["NotifyModerators"].update(
        Resource="arn:aws:states:::aws-sdk:sns:publishMessage"))
    edit_json(project, CALLS, lambda d: states(d)["SaveResult"].update(
        Resource="arn:aws:states:::aws-sdk:dynamo:putItem"))
    found = problems(project, "sdk")
    assert line(found, IMAGE, ": NotifyModerators:", "SNS has no action 'publishMessage'").endswith("publish?")
    line(found, CALLS, ": SaveResult:", "aws-sdk service 'dynamo' does not exist")


def test_sdk_jsonpath_parameters_and_optimised_integrations(project):
    def jsonpath(d):
        d["QueryLanguage"] = "JSONPath"
        d["StartAt"] = "Put"
        d["States"] = {
            "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {"TableName": "${CatalogTableName}", "Item.$": "$.item", "ReturnValue": "NONE"},
                    "Next": "Publish"},
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn": "${ModeratorsTopicArn}", "Message": {"any": "json"}},
                        "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "End": True,
                     "Comment": "${ModerationMinConfidence} ${LabelMinConfidence}"},
        }

    edit_json(project, IMAGE, jsonpath)
    found = problems(project, "sdk")
    assert len(found) == 1, found  # Item.$ is dynamic; an optimised sns:publish takes a JSON Message
    assert line(found, IMAGE, ": Put:", "Parameters has ReturnValue", "DynamoDB PutItem").endswith(
        "did you mean ReturnValues?")


def test_sdk_wait_for_task_token_must_pass_the_token(project):
    edit_json(project, FEEDBACK, lambda d: states(d)["WaitForRating"]["Arguments"]["Item"].pop("TaskToken"))
    line(problems(project, "sdk"), FEEDBACK, ": WaitForRating:", "never pass the task token")


# --- 2b. Retry and Catch name errors the integration raises --------------------------------------------------


def retriers(d: dict[str, Any], state: str) -> list[dict[str, Any]]:
    """The Retry list of a top-level state of the definition."""
    return states(d)[state]["Retry"]


def test_retry_on_an_error_name_aws_never_raises_names_the_one_it_does(project):
    """A Retry on S3.SlowDownException never fires: aws-sdk:s3 reports SlowDown as S3.S3Exception.

    One line per name, with the name AWS reports for that code of that integration as the fix.
    """
    edit_json(project, CALLS, lambda d: retriers(d, "SaveTranslation")[0]["ErrorEquals"].insert(
        0, "S3.SlowDownException"))
    found = problems(project, "error-names")
    assert found == [f'{CALLS}: SaveTranslation: Retry[0].ErrorEquals names "S3.SlowDownException", which '
                     "aws-sdk:s3:putObject never raises: AWS reports S3 SlowDown as S3.S3Exception, the SDK's "
                     "exception for every code S3's API model does not declare — write \"S3.S3Exception\""]


def test_aws_sdk_error_names_on_an_optimised_integration_are_flagged(project):
    """The same DynamoDB call through the optimised integration: its errors are DynamoDB.…, not DynamoDb.…."""
    edit_json(project, IMAGE, lambda d: states(d)["SaveApprovedImage"].update(
        Resource="arn:aws:states:::dynamodb:updateItem"))
    found = problems(project, "error-names")
    assert line(found, IMAGE, ": SaveApprovedImage: Retry[0].ErrorEquals names "
                "\"DynamoDb.ProvisionedThroughputExceededException\"", "optimised integrations name DynamoDB's "
                "errors DynamoDB.…, not DynamoDb.…").endswith('write "DynamoDB.ProvisionedThroughputExceededException"')
    assert len([f for f in found if ": SaveApprovedImage:" in f]) == 4  # the four DynamoDb.* names of its Retry


def test_another_services_error_and_names_that_are_not_checked(project):
    """An SNS error on an S3 state is flagged; States.*, custom names and a Lambda function's errors are not.

    A function's errors come under whatever name it gives them; a name of no service harms nothing.
    """
    def plant(d):
        retriers(d, "ReadTranscript")[0]["ErrorEquals"].append("Sns.ThrottledException")
        states(d)["ReadTranscript"]["Catch"][0]["ErrorEquals"][:0] = ["CallAnalysis.Unreadable", "States.Timeout"]
        retriers(d, "ReadLongTranscript")[0]["ErrorEquals"].append("Lambda.TranscriptTooLong")

    edit_json(project, CALLS, plant)
    found = problems(project, "error-names")
    assert found == [f'{CALLS}: ReadTranscript: Retry[0].ErrorEquals names "Sns.ThrottledException", which '
                     "aws-sdk:s3:getObject never raises: it is an error of another service, and this state calls "
                     'S3 — remove "Sns.ThrottledException", or name the S3 error it stands for (S3.…)']


# --- 3. mocks against the same models ----------------------------------------------------------------------------

MOCKS = "workflows/image-catalog/mock-config.json"


def test_mock_with_an_unknown_field_and_a_wrong_type(project):
    def change(d):
        d["MockedResponses"]["ImageModerationClean"]["0"]["Return"] = {
            "ModerationLabel": [], "ModerationModelVersion": 7}

    edit_json(project, MOCKS, change)
    found = problems(project, "mocks")
    assert line(found, MOCKS, ": CheckModeration:", "ImageModerationClean (0)", "has ModerationLabel",
                "DetectModerationLabels").endswith("did you mean ModerationLabels?")
    line(found, MOCKS, ": CheckModeration:", "ModerationModelVersion is 7", "a string")


def test_mock_strict_requires_the_required_fields(project):
    def change(d):
        d["MockedResponses"]["ImageLabelsDogOnBeach"]["0"]["Return"]["Labels"][0]["Instances"][0].pop("BoundingBox")
        d["MockedResponses"]["ImageModerationClean"]["0"]["Return"] = {"ModerationLabels": [{"Name": "x"}]}

    edit_json(project, MOCKS, change)
    assert problems(project, "mocks") == []  # like fieldValidationMode PRESENT
    strict = problems(project, "mocks", strict=True)
    assert not any("BoundingBox" in p for p in strict)  # not required by the model
    throws = [p for p in strict if "Throttled" in p]
    assert throws == []  # Throw responses are not checked


def test_mock_of_a_lambda_state_against_the_handler_result_schema(project):
    def change(d):
        d["StateMachines"]["CallAnalysisStateMachine"]["TestCases"]["HappyPath"] = {
            "SplitTranscriptForTranslation": "SplitBadPayload"}
        d["MockedResponses"]["SplitBadPayload"] = {"0": {"Return": {
            "StatusCode": "200", "Payload": {"chunks": [{"text": "Hola.", "bytes": 5}], "totalBytes": 5}}}}

    edit_json(project, "workflows/call-center-analysis/mock-config.json", change)
    found = problems(project, "mocks")
    file = "workflows/call-center-analysis/mock-config.json"
    line(found, file, ": SplitTranscriptForTranslation:", "SplitBadPayload (0)", "StatusCode is \"200\"")
    line(found, file, ": SplitTranscriptForTranslation:", "CallSplitTextFunction's result schema",
         "schemas/call-center-analysis.split-text-result.schema.json", "'chunkCount' is a required property")


def test_mock_naming_a_state_that_does_not_exist(project):
    edit_json(project, MOCKS, lambda d: d["StateMachines"]["ImageCatalogStateMachine"]["TestCases"][
        "HappyPath"].update(CheckModerations="ImageModerationClean"))
    line(problems(project, "mocks"), MOCKS, ": CheckModerations:", "mocks a state that ImageCatalogStateMachine "
                                                                   "does not have")


# --- 4. permissions -------------------------------------------------------------------------------------------


def test_state_machine_action_missing_from_its_policies(project):
    edit_text(project, "template.yaml", """                - dynamodb:UpdateItem
                - dynamodb:PutItem
                - dynamodb:DeleteItem
              Resource: !GetAtt ImageCatalogTable.Arn""", """                - dynamodb:UpdateItem
                - dynamodb:PutItem
              Resource: !GetAtt ImageCatalogTable.Arn""")
    found = line(problems(project, "permissions"), IMAGE, ": RemoveLabelEntry:", "dynamodb:DeleteItem on",
                 "table/local-imagecatalogtable", "ImageCatalogStateMachine's policies")
    assert found.endswith("Action: dynamodb:DeleteItem, Resource: !GetAtt ImageCatalogTable.Arn")


def test_a_missing_permission_is_fixed_with_intrinsics_not_this_accounts_arn(project):
    """The fix names the resource as the template can deploy it anywhere: ``!Sub`` with pseudo parameters.

    The SSM parameter's ARN, built locally with the account 123456789012 and us-east-1, is written back with
    ``${AWS::Partition}``, ``${AWS::Region}``, ``${AWS::AccountId}`` and the parameter's own ``${LogicalId}``.
    """
    statement = ("            - Sid: ReadDefaultName\n              Effect: Allow\n"
                 "              Action: ssm:GetParameter\n"
                 '              Resource: !Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter'
                 '${Ec2EnrichmentDefaultNameParameter}"\n')
    edit_text(project, "template.yaml", statement, "")
    found = line(problems(project, "permissions"), ": ReadDefaultName:", "ssm:GetParameter on")
    assert found.endswith('Resource: !Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter'
                          '${Ec2EnrichmentDefaultNameParameter}"')
    assert "123456789012" not in found.split(" — ", 1)[1]


def test_resource_matching_with_wildcards(project):
    # The keys are only known at run time: a statement for part of the right bucket may match them…
    edit_text(project, "template.yaml", """              Resource:
                - !Sub "${CallRecordingsBucket.Arn}/recordings/*"
                - !Sub "${CallRecordingsBucket.Arn}/transcripts/*"
            - Sid: WriteTranslations""", """              Resource:
                - !Sub "${CallRecordingsBucket.Arn}/recordings/*"
            - Sid: WriteTranslations""")
    assert problems(project, "permissions") == []
    # …a statement for another bucket cannot.
    edit_text(project, "template.yaml", """              Resource:
                - !Sub "${CallRecordingsBucket.Arn}/recordings/*"
            - Sid: WriteTranslations""", """              Resource:
                - !Sub "${ImageIngestionBucket.Arn}/*"
            - Sid: WriteTranslations""")
    line(problems(project, "permissions"), CALLS, ": MeasureTranscript:", "s3:GetObject on",
         "arn:aws:s3:::local-callrecordingsbucket/*")
    edit_text(project, "template.yaml", """              Action: sns:Publish
              Resource: !Ref ImageModeratorsTopic""", """              Action: sns:Publish
              Resource: !Ref Ec2EnrichedEventsTopic""")
    found = line(problems(project, "permissions"), IMAGE, ": NotifyModerators:", "sns:Publish on")
    assert found.endswith("Resource: !Ref ImageModeratorsTopic")


def test_signing_names_give_the_iam_prefix(project):
    edit_text(project, "template.yaml", "Action: ses:SendEmail", "Action: sesv2:SendEmail")
    edit_text(project, "template.yaml", "Action: sms-voice:SendTextMessage", "Action: pinpointsmsvoicev2:Send*")
    found = problems(project, "permissions")
    line(found, CALLS, ": AlertManager:", "ses:SendEmail on", "identity/call-analysis@example.com")
    line(found, FEEDBACK, ": AskForRating:", "sms-voice:SendTextMessage")


def test_sam_policy_templates_are_expanded(project):
    statement = """            - Sid: StoreResults
              Effect: Allow
              Action: dynamodb:PutItem
              Resource: !GetAtt CallResultsTable.Arn
"""
    edit_text(project, "template.yaml", statement, "")
    edit_text(project, "template.yaml", """      Policies:
        - Statement:
            - Sid: ReadRecordingsAndTranscripts""", """      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref CallResultsTable
        - Statement:
            - Sid: ReadRecordingsAndTranscripts""")
    line(problems(project, "permissions"), CALLS, ": SaveResult:", "dynamodb:PutItem on")
    edit_text(project, "template.yaml", "DynamoDBReadPolicy:", "DynamoDBCrudPolicy:")
    assert problems(project, "permissions") == []


def test_sync_integrations_need_their_extra_actions(project):
    def child(d):
        d["States"]["PrepareImage"]["Next"] = "RunChild"
        d["States"]["RunChild"] = {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Arguments": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
                          "Input": {"from": "{% $states.input %}"}},
            "Next": "CheckModeration"}

    edit_json(project, IMAGE, child)
    edit_text(project, "template.yaml", """            - Sid: NotifyModerators""", """            - Sid: RunChild
              Effect: Allow
              Action: states:StartExecution
              Resource: !Sub "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:Child"
            - Sid: NotifyModerators""")
    found = problems(project, "permissions")
    assert not any("states:StartExecution" in p for p in found)
    line(found, IMAGE, ": RunChild:", "states:DescribeExecution on", "execution:Child:*", "(.sync)")
    line(found, IMAGE, ": RunChild:", "states:StopExecution")
    line(found, IMAGE, ": RunChild:", "events:PutRule on",
         "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule")


def test_no_policy_allows_every_action(project):
    edit_text(project, "template.yaml", """            - Sid: WriteTraces
              Effect: Allow
              Action:
                - xray:PutTraceSegments""", """            - Sid: WriteTraces
              Effect: Allow
              Action:
                - "*"
                - xray:PutTraceSegments""")
    line(problems(project, "permissions"), "template.yaml: Ec2EnrichmentStateMachine:", "(WriteTraces)",
         'allows "Action": "*"')


def test_function_code_calls_are_covered_by_its_policies(project):
    edit_text(project, "template.yaml", """              Action: states:SendTaskSuccess
              Resource: !Ref FeedbackConversationStateMachine""", """              Action: states:SendTaskFailure
              Resource: !Ref FeedbackConversationStateMachine""")
    edit_text(project, "template.yaml", """                - dynamodb:GetItem
                - dynamodb:PutItem
                - dynamodb:UpdateItem
                - dynamodb:DeleteItem
              Resource: !GetAtt FeedbackIdempotencyTable.Arn""", """                - dynamodb:GetItem
                - dynamodb:PutItem
                - dynamodb:DeleteItem
              Resource: !GetAtt FeedbackIdempotencyTable.Arn""")
    found = problems(project, "permissions")
    file = "tasks/sms_reply_receiver/app.py"
    line(found, file, ": FeedbackSmsReplyReceiverFunction:", "SendTaskSuccess: states:SendTaskSuccess")
    line(found, file, "UpdateItem: dynamodb:UpdateItem on", "table/local-feedbackidempotencytable",
         "Powertools idempotency")


# --- 5. substitutions -----------------------------------------------------------------------------------------


def test_placeholder_not_provided_and_substitution_not_used(project):
    edit_json(project, IMAGE, lambda d: states(d)["NotifyModerators"]["Arguments"].update(
        TopicArn="${ModeratorTopicArn}"))
    found = problems(project, "substitutions")
    line(found, IMAGE, ": NotifyModerators:", "${ModeratorTopicArn} is not provided by DefinitionSubstitutions")
    line(found, IMAGE, ": -:", "provides ModeratorsTopicArn, which the definition never uses")


def test_placeholder_outside_a_string(project):
    edit_text(project, IMAGE, '"MaxLabels": 25', '"MaxLabels": ${LabelMinConfidence}')
    found = problems(project, "substitutions")
    line(found, IMAGE, "outside a JSON string")


# --- 6. template -----------------------------------------------------------------------------------------------


def test_cfn_lint_findings_name_the_resource(project):
    edit_text(project, "template.yaml", """  ImageCatalogTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST""", """  ImageCatalogTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUESTS""")
    line(problems(project, "template"), "template.yaml: ImageCatalogTable: cfn-lint E3030", "PAY_PER_REQUESTS")


# --- 7. format -------------------------------------------------------------------------------------------------


def test_format_check_and_fmt(project, capsys):
    path = project / IMAGE
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=4), encoding="utf-8")
    line(problems(project, "format"), IMAGE, "not in the canonical JSON form", "python -m local fmt")
    template = ["--template", str(project / "template.yaml")]
    assert main(["fmt", "--check", *template]) == 1
    assert "not in canonical form" in capsys.readouterr().out
    assert main(["fmt", *template]) == 0
    assert main(["fmt", "--check", *template]) == 0
    assert path.read_text(encoding="utf-8") == (ROOT / IMAGE).read_text(encoding="utf-8")


# --- 8. diagrams ------------------------------------------------------------------------------------------------


def test_stale_diagram_and_missing_markers(project):
    edit_json(project, IMAGE, lambda d: states(d)["ImageRejected"].update(Comment="changed"))
    line(problems(project, "diagrams"), "workflows/image-catalog/diagram.svg", "stale", "python -m local graph")
    edit_text(project, "workflows/ec2-enrichment/README.md", "<!-- diagram:start -->", "")
    line(problems(project, "diagrams"), "workflows/ec2-enrichment/README.md", "markers")
    assert main(["graph", "--check", "--template", str(project / "template.yaml")]) == 1


def test_graph_rewrites_what_is_stale(project, capsys):
    edit_json(project, IMAGE, lambda d: states(d)["IsContentSafe"]["Choices"][0].update(Comment="looks clean"))
    template = ["--template", str(project / "template.yaml")]
    assert main(["graph", *template]) == 0
    assert "wrote workflows/image-catalog/diagram.svg" in capsys.readouterr().out
    assert "IsContentSafe --> AnalyseImage: looks clean" in (project / "workflows/image-catalog/README.md").read_text()
    assert main(["graph", "--check", *template]) == 0
    assert problems(project, "diagrams") == []
