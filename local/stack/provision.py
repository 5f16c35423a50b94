"""Create the template's resources on the embedded engine (moto, in this process).

:meth:`Provisioner._creators` maps each supported resource type to the method creating it (``_queue`` for
``AWS::SQS::Queue``, ``_state_machine`` for ``AWS::Serverless::StateMachine``, …), called with the resource and
its properties resolved. Types the local engine does not need (policies, alarms…) are listed in
:data:`IGNORED_TYPES` and skipped on purpose; any other type is an error, so a template change never silently
goes missing locally.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from typing import Any

from local.emulation import lambda_runtime
from local.engine import sdk
from local.stack.functions import LocalFunction
from local.stack.pipes import LocalPipe
from local.stack.template import REGION, Resource, Template, TemplateError

LOG = logging.getLogger("local.stack")

#: Resource types with no local behaviour: permissions, encryption, monitoring.
IGNORED_TYPES = {
    "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy", "AWS::Lambda::Permission",
    "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::CloudWatch::Alarm", "AWS::KMS::Key", "AWS::KMS::Alias",
    "AWS::Logs::LogGroup", "AWS::Events::Archive", "AWS::Serverless::LayerVersion",
}

# Provisioning order: what others point to comes first.
ORDER = [
    "AWS::IAM::Role", "AWS::SES::EmailIdentity", "AWS::SSM::Parameter", "AWS::KMS::Key", "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::DynamoDB::Table", "AWS::Events::EventBus", "AWS::Serverless::Function", "AWS::Lambda::Function",
    "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine", "AWS::S3::Bucket", "AWS::Events::Rule",
    "AWS::SNS::Subscription", "AWS::Pipes::Pipe",
]

_ASSUME_ROLE = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]},
                   "Action": "sts:AssumeRole"}],
})


class Provisioner:
    """Creates every resource of a :class:`Template` through the in-process AWS APIs."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.functions: dict[str, LocalFunction] = {}
        self.pipes: list[LocalPipe] = []
        self.email_subscriptions: list[dict[str, str]] = []

    def client(self, service: str) -> Any:
        """The in-process client for ``service``."""
        return sdk.sdk_client(service, REGION)

    def provision(self) -> None:
        """Create every resource, dependencies first."""
        resources = sorted(
            self.template.resources.values(),
            key=lambda r: ORDER.index(r.type) if r.type in ORDER else len(ORDER),
        )
        for resource in resources:
            if resource.type in IGNORED_TYPES:
                continue
            creator = self._creators().get(resource.type)
            if creator is None:
                raise TemplateError(
                    f"{resource.logical_id}: resource type {resource.type} is not supported by the local stack"
                )
            try:
                creator(resource, self.template.resolve(resource.properties))
            except TemplateError:
                raise
            except Exception as error:
                raise TemplateError(f"{resource.logical_id} ({resource.type}): {error}") from error

    def _creators(self) -> dict[str, Callable[[Resource, dict[str, Any]], None]]:
        return {
            "AWS::IAM::Role": self._role,
            "AWS::SSM::Parameter": self._parameter,
            "AWS::SES::EmailIdentity": self._email_identity,
            "AWS::SQS::Queue": self._queue,
            "AWS::SNS::Topic": self._topic,
            "AWS::DynamoDB::Table": self._table,
            "AWS::Events::EventBus": self._bus,
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::StateMachine": self._state_machine,
            "AWS::S3::Bucket": self._bucket,
            "AWS::Events::Rule": self._rule,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Pipes::Pipe": self._pipe,
        }

    # --- simple resources -----------------------------------------------------------------------------

    def _role(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("iam").create_role(RoleName=resource.physical, AssumeRolePolicyDocument=_ASSUME_ROLE)

    def _parameter(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("ssm").put_parameter(
            Name=resource.physical, Value=str(props["Value"]), Type=props.get("Type", "String"),
            Description=props.get("Description", ""),
        )

    def _email_identity(self, resource: Resource, props: dict[str, Any]) -> None:
        # Locally the identity counts as confirmed at once; in AWS its owner clicks the link SES sends.
        self.client("sesv2").create_email_identity(EmailIdentity=resource.physical)

    def _queue(self, resource: Resource, props: dict[str, Any]) -> None:
        attributes = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "FifoQueue", "ContentBasedDeduplication",
                        "DelaySeconds", "ReceiveMessageWaitTimeSeconds")
            if key in props
        }
        self.client("sqs").create_queue(QueueName=resource.physical, Attributes=attributes)

    def _topic(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("sns").create_topic(Name=resource.physical)
        for subscription in props.get("Subscription", []):
            self._subscribe(resource.ref, subscription["Protocol"], subscription["Endpoint"])

    def _subscribe(self, topic_arn: str, protocol: str, endpoint: str, raw: bool = False) -> None:
        if protocol in ("email", "email-json"):
            # No mail leaves the machine: the stack remembers the subscriber for `serve` and the demo.
            self.email_subscriptions.append({"TopicArn": topic_arn, "Endpoint": endpoint})
            return
        attributes = {"RawMessageDelivery": "true"} if raw else {}
        self.client("sns").subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint,
                                     Attributes=attributes)

    def _table(self, resource: Resource, props: dict[str, Any]) -> None:
        args: dict[str, Any] = {
            "TableName": resource.physical,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                args[key] = props[key]
        if props.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        client = self.client("dynamodb")
        description = client.create_table(**args)["TableDescription"]
        if description.get("LatestStreamArn"):
            resource.attributes["StreamArn"] = description["LatestStreamArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(TableName=resource.physical, TimeToLiveSpecification=ttl)

    def _bus(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("events").create_event_bus(Name=resource.physical)

    def _bucket(self, resource: Resource, props: dict[str, Any]) -> None:
        client = self.client("s3")
        client.create_bucket(Bucket=resource.physical)
        notifications = props.get("NotificationConfiguration") or {}
        if (notifications.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled"):
            client.put_bucket_notification_configuration(
                Bucket=resource.physical, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )

    # --- compute --------------------------------------------------------------------------------------------

    def _globals(self, section: str) -> dict[str, Any]:
        return self.template.resolve((self.template.body.get("Globals") or {}).get(section) or {})

    def _function(self, resource: Resource, props: dict[str, Any]) -> None:
        merged = {**self._globals("Function"), **props}
        variables = {
            **(self._globals("Function").get("Environment") or {}).get("Variables", {}),
            **(props.get("Environment") or {}).get("Variables", {}),
        }
        code_dir = (self.template.root / str(merged.get("CodeUri", "."))).resolve()
        role = merged.get("Role") or self.template.get_att(f"{resource.logical_id}Role", "Arn")
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("placeholder.py", "")
        self.client("lambda").create_function(
            FunctionName=resource.physical, Runtime=merged.get("Runtime", "python3.12"), Role=role,
            Handler=merged["Handler"], Code={"ZipFile": archive.getvalue()},
            Timeout=int(merged.get("Timeout", 3)), MemorySize=int(merged.get("MemorySize", 128)),
            Environment={"Variables": {k: str(v) for k, v in variables.items()}},
        )
        function = LocalFunction(
            resource.physical, resource.attributes["Arn"], code_dir, merged["Handler"], variables,
            int(merged.get("MemorySize", 128)), int(merged.get("Timeout", 3)),
        )
        self.functions[resource.logical_id] = function
        lambda_runtime.lambda_handlers[resource.physical] = function.invoke

    def definition(self, resource: Resource, props: dict[str, Any] | None = None) -> str:
        """The state machine's definition with ``DefinitionSubstitutions`` applied."""
        props = props if props is not None else self.template.resolve(resource.properties)
        if "DefinitionUri" in props:
            text = (self.template.root / props["DefinitionUri"]).read_text()
        else:
            text = json.dumps(props["Definition"])
        for name, value in (props.get("DefinitionSubstitutions") or {}).items():
            text = text.replace("${" + name + "}", str(value))
        return text

    def _state_machine(self, resource: Resource, props: dict[str, Any]) -> None:
        role = props.get("Role") or self.template.get_att(f"{resource.logical_id}Role", "Arn")
        self.client("stepfunctions").create_state_machine(
            name=resource.physical, definition=self.definition(resource, props), roleArn=role,
            type=props.get("Type", "STANDARD"),
        )

    # --- wiring ---------------------------------------------------------------------------------------------

    def _rule(self, resource: Resource, props: dict[str, Any]) -> None:
        targets = props.get("Targets", [])
        if resource.raw.get("Implicit"):
            props, targets = self._sam_event_rule(resource)
        args: dict[str, Any] = {"Name": resource.physical, "State": props.get("State", "ENABLED")}
        if props.get("EventBusName"):
            args["EventBusName"] = props["EventBusName"]
        if props.get("EventPattern"):
            args["EventPattern"] = json.dumps(props["EventPattern"])
        if props.get("ScheduleExpression"):
            args["ScheduleExpression"] = props["ScheduleExpression"]
        client = self.client("events")
        client.put_rule(**args)
        if targets:
            client.put_targets(Rule=resource.physical, EventBusName=args.get("EventBusName", "default"),
                               Targets=[self._target(t) for t in targets])

    @staticmethod
    def _target(target: dict[str, Any]) -> dict[str, Any]:
        keys = ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer", "RetryPolicy",
                "DeadLetterConfig", "SqsParameters")
        return {key: target[key] for key in keys if key in target}

    def _sam_event_rule(self, resource: Resource) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Expand a SAM ``EventBridgeRule``/``Schedule`` event into a rule and its one target."""
        source = self.template.resources[resource.raw["Source"]]
        event = self.template.resolve(resource.raw["Event"])
        props = event.get("Properties") or {}
        rule = {
            "EventBusName": props.get("EventBusName"), "EventPattern": props.get("Pattern"),
            "ScheduleExpression": props.get("Schedule"),
            "State": props.get("State") or ("ENABLED" if props.get("Enabled", True) else "DISABLED"),
        }
        target_id = (props.get("Target") or {}).get("Id", "Target")
        target: dict[str, Any] = {"Id": target_id, "Arn": source.attributes["Arn"]}
        for key in ("Input", "InputPath", "InputTransformer", "RetryPolicy"):
            if key in props:
                target[key] = props[key]
        dlq = props.get("DeadLetterConfig") or {}
        if dlq.get("Arn"):
            target["DeadLetterConfig"] = {"Arn": dlq["Arn"]}
        elif dlq.get("Type") == "SQS":
            queue_id = dlq.get("QueueLogicalId") or f"{resource.logical_id}Queue"  # SAM's naming
            target["DeadLetterConfig"] = {"Arn": self.template.get_att(queue_id, "Arn")}
        return rule, [target]

    def _subscription(self, resource: Resource, props: dict[str, Any]) -> None:
        self._subscribe(props["TopicArn"], props["Protocol"], props["Endpoint"],
                        raw=str(props.get("RawMessageDelivery", "false")).lower() == "true")

    def _pipe(self, resource: Resource, props: dict[str, Any]) -> None:
        pipe = LocalPipe(resource.physical, props)
        pipe.attach()
        self.pipes.append(pipe)


def resource_map(template: Template) -> dict[str, str]:
    """Every logical id → what ``!Ref`` gives for it (a name, an ARN or a queue URL)."""
    return {resource.logical_id: resource.ref for resource in template.resources.values()}
