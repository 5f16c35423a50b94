"""Read ``template.yaml`` (AWS SAM) and resolve CloudFormation intrinsics against local physical names.

The local stack is provisioned from the template itself, so there is no second list of resources to keep in
step. This module only *reads*: it loads the YAML with CloudFormation's short-form tags, evaluates
parameters, conditions and the intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
``Fn::If``, ``Fn::Select``, ``Fn::Split``, ``Fn::Equals``/``And``/``Or``/``Not``, ``Fn::FindInMap``) and names
every resource the way :mod:`local.stack.provision` creates it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local.aws import ACCOUNT_ID, PARTITION, REGION

STACK_NAME = "local"

_SHORT_TAGS = [
    "Ref", "Condition", "GetAtt", "Sub", "Join", "If", "Equals", "And", "Or", "Not", "Select", "Split",
    "FindInMap", "Base64", "ImportValue", "GetAZs", "Cidr", "Length", "ToJsonString",
]


class TemplateError(ValueError):
    """The template cannot be read or resolved locally."""


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 10x faster
    pass


def _short_form(tag: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {"Ref": value} if tag == "Ref" else {"Condition": value} if tag == "Condition" else {
            f"Fn::{tag}": value
        }

    return construct


for _tag in _SHORT_TAGS:
    _CfnLoader.add_constructor(f"!{_tag}", _short_form(_tag))


def load_yaml(path: Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM template, short-form tags included."""
    try:
        return yaml.load(path.read_text(), Loader=_CfnLoader) or {}
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"{path}: {error}") from error


def parse_yaml(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template's text, short-form tags included."""
    try:
        return yaml.load(text, Loader=_CfnLoader) or {}
    except yaml.YAMLError as error:
        raise TemplateError(str(error)) from error


@dataclass
class Resource:
    """One template resource with its local physical name and attributes."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    raw: dict[str, Any]
    physical: str = ""
    ref: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def _lower_name(logical_id: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", f"{STACK_NAME}-{logical_id}".lower())


class Template:
    """A SAM template with its parameters, conditions and resources resolved for the local stack."""

    def __init__(self, path: Path | str, parameter_overrides: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.root = self.path.parent
        self.body = load_yaml(self.path)
        self.parameters = self._parameters(parameter_overrides or {})
        self.conditions: dict[str, bool] = {}
        for name, expression in (self.body.get("Conditions") or {}).items():
            self.conditions[name] = bool(self.resolve(expression))
        self.resources: dict[str, Resource] = {}
        for logical_id, raw in (self.body.get("Resources") or {}).items():
            if raw.get("Condition") and not self.conditions.get(raw["Condition"], False):
                continue
            self.resources[logical_id] = Resource(logical_id, raw["Type"], raw.get("Properties") or {}, raw)
        self._add_sam_implicit_resources()
        for resource in self.resources.values():
            self._name(resource)

    # --- parameters ---------------------------------------------------------------------------------

    def _parameters(self, overrides: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        declared = self.body.get("Parameters") or {}
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        for name, spec in declared.items():
            if name in overrides:
                values[name] = overrides[name]
            elif "Default" in spec:
                values[name] = spec["Default"]
            else:
                raise TemplateError(f"template parameter {name} has no Default: pass --parameter {name}=…")
            if spec.get("Type") == "CommaDelimitedList" and isinstance(values[name], str):
                values[name] = [item.strip() for item in values[name].split(",")]
            elif spec.get("Type") == "Number":
                values[name] = str(values[name])
        return values

    # --- names ----------------------------------------------------------------------------------------

    def _add_sam_implicit_resources(self) -> None:
        """SAM expands ``Events`` of functions and state machines into rules, queues and subscriptions."""
        for resource in list(self.resources.values()):
            if resource.type not in ("AWS::Serverless::StateMachine", "AWS::Serverless::Function"):
                continue
            if "Role" not in resource.properties:
                role_id = f"{resource.logical_id}Role"
                self.resources[role_id] = Resource(role_id, "AWS::IAM::Role", {}, {"Implicit": True})
            for event_name, event in (resource.properties.get("Events") or {}).items():
                props = event.get("Properties") or {}
                if event.get("Type") in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
                    dlq = props.get("DeadLetterConfig") or {}
                    if dlq.get("Type") == "SQS":
                        queue_id = dlq.get("QueueLogicalId") or f"{resource.logical_id}{event_name}Queue"
                        self.resources[queue_id] = Resource(queue_id, "AWS::SQS::Queue", {}, {"Implicit": True})
                    self.resources[f"{resource.logical_id}{event_name}"] = Resource(
                        f"{resource.logical_id}{event_name}", "AWS::Events::Rule", {},
                        {"Implicit": True, "Source": resource.logical_id, "Event": event},
                    )
                elif event.get("Type") == "SNS":
                    sub_id = f"{resource.logical_id}{event_name}"
                    self.resources[sub_id] = Resource(
                        sub_id, "AWS::SNS::Subscription",
                        {"Protocol": "lambda", "TopicArn": props.get("Topic"),
                         "Endpoint": {"Fn::GetAtt": [resource.logical_id, "Arn"]}},
                        {"Implicit": True},
                    )

    def _name(self, resource: Resource) -> None:  # noqa: PLR0912, PLR0915 - one branch per resource type
        props, lid = resource.properties, resource.logical_id
        arn = f"arn:{PARTITION}:{{service}}:{REGION}:{ACCOUNT_ID}:{{rest}}"

        def named(prop: str, default: str) -> str:
            value = props.get(prop)
            if value is None:
                return default
            try:
                return str(self.resolve(value, allow_resources=False))
            except TemplateError:
                return default

        t = resource.type
        if t in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            name = named("Name", lid) if "Name" in props else lid
            resource.physical = name
            resource.ref = arn.format(service="states", rest=f"stateMachine:{name}")
            resource.attributes = {"Arn": resource.ref, "Name": name}
        elif t in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            name = named("FunctionName", lid)
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": arn.format(service="lambda", rest=f"function:{name}")}
        elif t == "AWS::Events::EventBus":
            name = named("Name", lid)
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": arn.format(service="events", rest=f"event-bus/{name}"), "Name": name}
        elif t == "AWS::Events::Rule":
            name = named("Name", _lower_name(lid))
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": arn.format(service="events", rest=f"rule/{name}")}
        elif t == "AWS::SNS::Topic":
            name = named("TopicName", _lower_name(lid))
            resource.physical = name
            resource.ref = arn.format(service="sns", rest=name)
            resource.attributes = {"TopicArn": resource.ref, "TopicName": name}
        elif t == "AWS::SQS::Queue":
            name = named("QueueName", _lower_name(lid))
            resource.physical = name
            resource.ref = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            resource.attributes = {"Arn": arn.format(service="sqs", rest=name), "QueueName": name,
                                   "QueueUrl": resource.ref}
        elif t == "AWS::S3::Bucket":
            name = named("BucketName", _lower_name(lid))
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": f"arn:{PARTITION}:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                                   "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com"}
        elif t == "AWS::DynamoDB::Table":
            name = named("TableName", _lower_name(lid))
            resource.physical = resource.ref = name
            table_arn = arn.format(service="dynamodb", rest=f"table/{name}")
            resource.attributes = {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/local"}
        elif t == "AWS::SSM::Parameter":
            name = named("Name", f"/{STACK_NAME}/{lid}")
            resource.physical = resource.ref = name
            resource.attributes = {"Type": props.get("Type", "String")}
        elif t == "AWS::IAM::Role":
            name = named("RoleName", f"{STACK_NAME}-{lid}")
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}", "RoleId": name}
        elif t == "AWS::Logs::LogGroup":
            name = named("LogGroupName", f"/local/{lid}")
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": arn.format(service="logs", rest=f"log-group:{name}:*")}
        elif t == "AWS::SES::EmailIdentity":
            name = named("EmailIdentity", lid)
            resource.physical = resource.ref = name
            resource.attributes = {}
        elif t == "AWS::Pipes::Pipe":
            name = named("Name", _lower_name(lid))
            resource.physical = resource.ref = name
            resource.attributes = {"Arn": arn.format(service="pipes", rest=f"pipe/{name}")}
        else:
            resource.physical = resource.ref = lid
            resource.attributes = {"Arn": arn.format(service="local", rest=lid)}

    # --- intrinsics -------------------------------------------------------------------------------------

    def pseudo(self, name: str) -> Any:
        """Value of a pseudo parameter (``AWS::Region`` …) on the local stack."""
        return {
            "AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": PARTITION,
            "AWS::StackName": STACK_NAME, "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::NoValue": None,
        }.get(name)

    def ref(self, name: str, allow_resources: bool = True) -> Any:
        """``!Ref name``: a parameter's value or a resource's reference."""
        if name in self.parameters:
            return self.parameters[name]
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if allow_resources and name in self.resources:
            return self.resources[name].ref
        raise TemplateError(f"Ref to {name!r}: no such parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """``!GetAtt logical_id.attribute``."""
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: no such resource")
        if attribute not in resource.attributes:
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: attribute not known locally")
        return resource.attributes[attribute]

    def resolve(self, value: Any, allow_resources: bool = True) -> Any:  # noqa: PLR0911, PLR0912
        """Evaluate every intrinsic function in ``value``."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v, allow_resources) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                result = self.ref(arg, allow_resources)
                return _NO_VALUE if arg == "AWS::NoValue" else result
            if key == "Fn::GetAtt":
                if not allow_resources:
                    raise TemplateError("GetAtt not allowed here")
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                variables = {k: self.resolve(v, allow_resources) for k, v in variables.items()}

                def substitute(match: re.Match) -> str:
                    name = match.group(1)
                    if name.startswith("!"):
                        return "${" + name[1:] + "}"
                    if name in variables:
                        return str(variables[name])
                    if "." in name:
                        logical_id, attribute = name.split(".", 1)
                        if not allow_resources:
                            raise TemplateError("GetAtt not allowed here")
                        return str(self.get_att(logical_id, attribute))
                    return str(self.ref(name, allow_resources))

                return re.sub(r"\$\{([^}]+)\}", substitute, template)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(i) for i in self.resolve(items, allow_resources))
            if key == "Fn::If":
                condition, then, otherwise = arg
                chosen = then if self.conditions.get(condition) else otherwise
                return self.resolve(chosen, allow_resources)
            if key == "Fn::Equals":
                left, right = (self.resolve(a, allow_resources) for a in arg)
                return str(left) == str(right)
            if key == "Fn::And":
                return all(self.resolve(a, allow_resources) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a, allow_resources) for a in arg)
            if key == "Fn::Not":
                return not self.resolve(arg[0], allow_resources)
            if key == "Condition":
                return self.conditions.get(arg, False)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items, allow_resources)[int(self.resolve(index, allow_resources))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text, allow_resources)).split(separator)
            if key == "Fn::FindInMap":
                name, top, second = (self.resolve(a, allow_resources) for a in arg)
                return self.body["Mappings"][name][top][second]
            if key == "Fn::GetAZs":
                return [f"{REGION}a", f"{REGION}b"]
            if key == "Fn::ToJsonString":
                return json.dumps(self.resolve(arg, allow_resources))
        return {
            k: r for k, r in ((k, self.resolve(v, allow_resources)) for k, v in value.items()) if r is not _NO_VALUE
        }

    # --- convenience ---------------------------------------------------------------------------------------

    def of_type(self, *types: str) -> list[Resource]:
        """Resources of any of ``types``."""
        return [r for r in self.resources.values() if r.type in types]

    def state_machine_for_workflow(self, workflow: str) -> Resource:
        """The state machine whose ``DefinitionUri`` lies in ``workflows/<workflow>/``."""
        for resource in self.of_type("AWS::Serverless::StateMachine"):
            uri = str(resource.properties.get("DefinitionUri", ""))
            if Path(uri).parts[:2] == ("workflows", workflow) or resource.logical_id == workflow:
                return resource
        known = ", ".join(sorted(self.workflows())) or "none"
        raise TemplateError(f"no state machine for workflow {workflow!r} in {self.path.name} (known: {known})")

    def state_names(self) -> dict[str, set[str]]:
        """State machine logical id → the names of its states (nested ones included), read from its definition.

        A definition that cannot be read gives no names (``validate`` reports why).
        """

        def names(states: Any) -> set[str]:
            found: set[str] = set()
            for name, state in (states if isinstance(states, dict) else {}).items():
                found.add(name)
                if isinstance(state, dict):
                    for branch in state.get("Branches") or []:
                        found |= names((branch or {}).get("States"))
                    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
                    found |= names(processor.get("States") if isinstance(processor, dict) else None)
            return found

        found = {}
        for resource in self.of_type("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            definition = resource.properties.get("Definition")
            uri = resource.properties.get("DefinitionUri")
            if definition is None and isinstance(uri, str):
                try:
                    definition = json.loads((self.root / uri).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    definition = None
            found[resource.logical_id] = names((definition or {}).get("States") if isinstance(definition, dict)
                                               else None)
        return found

    def workflows(self) -> dict[str, Resource]:
        """Workflow folder name → its state machine resource."""
        found = {}
        for resource in self.of_type("AWS::Serverless::StateMachine"):
            parts = Path(str(resource.properties.get("DefinitionUri", ""))).parts
            if len(parts) >= 2 and parts[0] == "workflows":
                found[parts[1]] = resource
        return found


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()
