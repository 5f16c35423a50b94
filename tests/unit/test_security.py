"""Security of ``template.yaml``: least-privilege IAM, private and encrypted storage, encrypted messaging.

These checks read the template as written (SAM included), so they also cover what checkov does not see: the
inline ``Policies`` of SAM state machines and functions, and the dead-letter queues of SAM event rules. checkov
itself runs in ``make test`` (``make security``); its skipped checks and their reasons are in ``.checkov.yaml``,
``template.yaml`` and README.md, "Security".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.stack.template import load_yaml
from tests.support import ROOT

TEMPLATE = load_yaml(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
STATE_MACHINES = [lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::StateMachine"]

#: Every Allow statement of an identity policy whose Resource is "*", with why: these APIs have no
#: resource-level permissions (Service Authorization Reference: no resource type for the action).
WILDCARD_RESOURCES: dict[tuple[str, str], tuple[set[str], str]] = {
    ("Ec2EnrichmentStateMachine", "LookUpNameTags"): (
        {"ec2:DescribeTags"}, "EC2 Describe* actions have no resource-level permissions"),
    ("ImageCatalogStateMachine", "AnalyseImages"): (
        {"rekognition:DetectModerationLabels", "rekognition:DetectLabels", "rekognition:DetectText"},
        "Rekognition image analysis has no resource type (the image is authorised through s3:GetObject)"),
    ("CallAnalysisStateMachine", "TranslateAndScore"): (
        {"translate:TranslateText", "comprehend:BatchDetectSentiment"},
        "Translate TranslateText (without a custom terminology) and Comprehend's real-time detection have no "
        "resource type"),
    ("FeedbackConversationStateMachine", "ScoreComments"): (
        {"comprehend:DetectSentiment"}, "Comprehend's real-time detection has no resource type"),
    **{
        (machine, "DeliverLogs"): (
            {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
             "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
             "logs:DescribeLogGroups"},
            "CloudWatch Logs vended log delivery (Step Functions logging) has no resource-level permissions")
        for machine in STATE_MACHINES
    },
    **{
        (machine, "WriteTraces"): (
            {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
             "xray:GetSamplingTargets"},
            "X-Ray trace and sampling APIs have no resource-level permissions")
        for machine in STATE_MACHINES
    },
}

#: Key policies may give the account root kms:* on the key: AWS's default key policy, which hands the decision
#: to the account's IAM policies (without it nobody could ever manage the key again).
KEY_ADMINISTRATION_SID = "AccountAdministration"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """Every policy statement of the template: (logical id, kind, statement id, statement).

    ``kind`` is ``identity`` (what a role may do), ``key`` (a KMS key policy) or ``resource`` (a topic, queue
    or bucket policy). Statements without a Sid are named by their position (``#0``).
    """
    for logical_id, resource in RESOURCES.items():
        kind, props = resource["Type"], resource.get("Properties") or {}
        documents: list[tuple[str, dict[str, Any]]] = []
        if kind in ("AWS::Serverless::StateMachine", "AWS::Serverless::Function"):
            documents = [("identity", policy) for policy in props.get("Policies") or [] if isinstance(policy, dict)]
        elif kind == "AWS::IAM::Role":
            documents = [("identity", policy["PolicyDocument"]) for policy in props.get("Policies") or []]
        elif kind == "AWS::KMS::Key":
            documents = [("key", props["KeyPolicy"])]
        elif kind in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy"):
            documents = [("resource", props["PolicyDocument"])]
        for document_kind, document in documents:
            for index, statement in enumerate(as_list(document.get("Statement") or [])):
                yield logical_id, document_kind, statement.get("Sid", f"#{index}"), statement


def test_policies_are_inline_statements_only():
    """Every permission of a state machine or function is an inline statement of the template.

    None is hidden in an AWS managed policy or a SAM policy template, so all of them are reviewed (and checked
    below).
    """
    for logical_id, resource in RESOURCES.items():
        if resource["Type"] in ("AWS::Serverless::StateMachine", "AWS::Serverless::Function"):
            for policy in (resource.get("Properties") or {}).get("Policies") or []:
                assert isinstance(policy, dict) and set(policy) == {"Statement"}, (logical_id, policy)


def test_no_policy_allows_a_wildcard_action():
    """No Allow statement grants ``*``, ``service:*`` or ``Prefix*`` actions, nor uses NotAction/NotResource.

    The one exception is each KMS key's administration statement, to the account root only.
    """
    for logical_id, kind, sid, statement in statements():
        if statement["Effect"] != "Allow":
            continue
        assert "NotAction" not in statement and "NotResource" not in statement, (logical_id, sid)
        wildcards = [action for action in as_list(statement["Action"]) if "*" in action]
        if kind == "key" and sid == KEY_ADMINISTRATION_SID:
            assert wildcards == ["kms:*"]
            assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
            continue
        assert wildcards == [], f"{logical_id} {sid}: wildcard action {wildcards}"


def test_wildcard_resources_only_where_the_api_has_no_resource_level_permissions():
    """Resource "*" in a role's policy appears exactly in the statements listed (with their reasons) above."""
    found = {}
    for logical_id, kind, sid, statement in statements():
        if kind == "identity" and statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
            assert as_list(statement["Resource"]) == ["*"], f"{logical_id} {sid}: '*' mixed with ARNs"
            found[(logical_id, sid)] = set(as_list(statement["Action"]))
    assert found == {key: actions for key, (actions, _reason) in WILDCARD_RESOURCES.items()}


def test_resource_policies_name_their_resource():
    """Topic, queue and bucket policies grant on their own resource, never "*".

    They grant only to a service, and only from this account or the rule that publishes (a condition on each
    Allow).
    """
    for logical_id, kind, sid, statement in statements():
        if kind != "resource":
            continue
        assert "*" not in as_list(statement["Resource"]), (logical_id, sid)
        if statement["Effect"] == "Allow":
            assert set(statement["Principal"]) == {"Service"}, (logical_id, sid)
            assert statement.get("Condition"), f"{logical_id} {sid}: a service principal needs a source condition"


@pytest.mark.parametrize("bucket", [lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::S3::Bucket"])
def test_buckets_are_private_encrypted_and_refuse_plain_http(bucket):
    """Uploaded images and call recordings stay private, encrypted, and reachable over TLS only.

    Every public access is blocked, ACLs are off, objects are encrypted at rest, and a bucket policy denies any
    request made without TLS.
    """
    props = RESOURCES[bucket]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")

    denials = [
        statement
        for lid, resource in RESOURCES.items() if resource["Type"] == "AWS::S3::BucketPolicy"
        and resource["Properties"]["Bucket"] == {"Ref": bucket}
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1, f"{bucket} has no TLS-only bucket policy"
    (deny,) = denials
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Resource"] == [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}]


def _publishers(topic: str) -> set[str]:
    """Services that publish to the topic: EventBridge for a rule target, and topic-policy principals."""
    services = set()
    for resource in RESOURCES.values():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Events::Rule" and any(
                target["Arn"] == {"Ref": topic} for target in props.get("Targets") or []):
            services.add("events.amazonaws.com")
        if resource["Type"] == "AWS::SNS::TopicPolicy" and {"Ref": topic} in props["Topics"]:
            services.update(s["Principal"]["Service"] for s in props["PolicyDocument"]["Statement"])
    return services


@pytest.mark.parametrize("topic", [lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::SNS::Topic"])
def test_topics_are_encrypted_with_a_key_their_publishers_may_use(topic):
    """Every topic is encrypted, with a key its publishers may use.

    A topic that an AWS service publishes to (EventBridge, End User Messaging) uses a customer-managed key of
    this template whose policy lets exactly that service encrypt and decrypt, from this account: the AWS managed
    key alias/aws/sns cannot be granted to a service.
    """
    key = RESOURCES[topic]["Properties"].get("KmsMasterKeyId")
    assert key, f"{topic} is not encrypted"
    publishers = _publishers(topic)
    if not publishers:
        return
    assert isinstance(key, dict) and RESOURCES[key["Ref"]]["Type"] == "AWS::KMS::Key", (
        f"{topic} receives from {publishers}: it needs a customer-managed key")
    key_props = RESOURCES[key["Ref"]]["Properties"]
    assert key_props["EnableKeyRotation"] is True
    grants = {
        statement["Principal"]["Service"]: statement
        for statement in key_props["KeyPolicy"]["Statement"] if "Service" in statement.get("Principal", {})
    }
    assert set(grants) == publishers
    for statement in grants.values():
        assert sorted(as_list(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


@pytest.mark.parametrize("queue", [lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::SQS::Queue"])
def test_queues_are_encrypted(queue):
    """Every queue (all of them dead-letter queues holding events with business data) is encrypted at rest."""
    props = RESOURCES[queue].get("Properties") or {}
    assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), f"{queue} is not encrypted"


def test_event_rule_dead_letter_queues_are_the_templates_own():
    """Every SAM event rule sends its failures to an encrypted queue of the template.

    SAM cannot encrypt the queue it generates for ``DeadLetterConfig: {Type: SQS}``, so each rule names a queue
    of the template (``Arn``), whose policy lets only that rule (SAM's ``<Machine><Event>``) send.
    """
    checked = 0
    for logical_id, resource in RESOURCES.items():
        for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
                continue
            dlq = (event.get("Properties") or {}).get("DeadLetterConfig")
            assert dlq is not None, f"{logical_id}.{event_name}: a rule without a dead-letter queue"
            assert set(dlq) == {"Arn"}, f"{logical_id}.{event_name}: SAM-generated DLQ (unencrypted)"
            queue = dlq["Arn"]["Fn::GetAtt"][0]
            assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue"
            (policy,) = [r["Properties"] for r in RESOURCES.values()
                         if r["Type"] == "AWS::SQS::QueuePolicy" and r["Properties"]["Queues"] == [{"Ref": queue}]]
            (statement,) = policy["PolicyDocument"]["Statement"]
            assert statement["Principal"] == {"Service": "events.amazonaws.com"}
            assert statement["Action"] == "sqs:SendMessage"
            assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {
                "Fn::GetAtt": [f"{logical_id}{event_name}", "Arn"]}}}
            checked += 1
    assert checked >= 4  # the four workflows' rules at least


def test_every_wildcard_resource_is_justified_in_the_readme():
    """The README's Security section names each statement that keeps Resource "*"."""
    readme = (ROOT / "README.md").read_text()
    security = readme[readme.index("## Security"):]
    for _machine, sid in WILDCARD_RESOURCES:
        assert f"`{sid}`" in security, f"README Security section does not explain {sid}"
