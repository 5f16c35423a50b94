"""``python -m local studio export|import``: a round trip through Workflow Studio in the console.

``export`` fills a definition's ``${Placeholders}`` with a deployed stack's values, so that it can be pasted
into Workflow Studio (or the console's code editor) and run there; ``import`` takes the definition Workflow
Studio exports and puts the placeholders back, then writes it in the canonical form (``python -m local fmt``),
so the file's diff shows only what was edited.

The deployed values come from one or more JSON files, in any of these forms:

* ``aws cloudformation describe-stacks --stack-name S`` (its ``Outputs`` and ``Parameters``),
* ``aws cloudformation describe-stack-resources --stack-name S`` or ``list-stack-resources`` (physical ids),
* a plain map ``{"LogicalIdOrOutputKey": "value"}``: a logical id gives ``!Ref`` (``"X.Arn"`` a ``!GetAtt``), an
  output key the value of its output, a parameter name the parameter, ``AWS::Region`` … the pseudo parameters.

Each ``DefinitionSubstitutions`` entry is then evaluated through the template's intrinsics with those values
(``!GetAtt Function.Arn`` is built from the function's physical name when no output gives it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from local.stack.template import Template, TemplateError, load_yaml
from local.validation.common import substitute
from local.validation.fmt import canonical

_ARN_TYPES = {
    ("AWS::Lambda::Function", "AWS::Serverless::Function"): "arn:{p}:lambda:{r}:{a}:function:{ref}",
    ("AWS::IAM::Role",): "arn:{p}:iam::{a}:role/{ref}",
    ("AWS::DynamoDB::Table",): "arn:{p}:dynamodb:{r}:{a}:table/{ref}",
    ("AWS::S3::Bucket",): "arn:{p}:s3:::{ref}",
    ("AWS::Events::EventBus",): "arn:{p}:events:{r}:{a}:event-bus/{ref}",
    ("AWS::Logs::LogGroup",): "arn:{p}:logs:{r}:{a}:log-group:{ref}:*",
    ("AWS::SSM::Parameter",): "arn:{p}:ssm:{r}:{a}:parameter{slash}{ref}",
}


class DeployedValues:
    """What a deployed stack's describe output (or a plain map) says about its resources and parameters."""

    def __init__(self) -> None:
        self.refs: dict[str, str] = {}
        self.attributes: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self.parameters: dict[str, str] = {}
        self.pseudo: dict[str, str] = {}
        self.plain: dict[str, str] = {}

    @classmethod
    def from_files(cls, paths: list[Path]) -> DeployedValues:
        """Read every ``--outputs`` file."""
        values = cls()
        for path in paths:
            try:
                values.add(json.loads(Path(path).read_text(encoding="utf-8")))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: not JSON: {error}") from error
        return values

    def _stack_id(self, stack_id: str | None, name: str | None = None) -> None:
        if stack_id and stack_id.startswith("arn:"):
            parts = stack_id.split(":", 5)
            self.pseudo.setdefault("AWS::Partition", parts[1])
            self.pseudo.setdefault("AWS::Region", parts[3])
            self.pseudo.setdefault("AWS::AccountId", parts[4])
            self.pseudo.setdefault("AWS::StackId", stack_id)
            self.pseudo.setdefault("AWS::StackName", parts[5].split("/")[1] if "/" in parts[5] else parts[5])
        if name:
            self.pseudo.setdefault("AWS::StackName", name)

    def add(self, raw: Any) -> None:
        """Take in one parsed file."""
        if not isinstance(raw, dict):
            raise ValueError("a deployed-values file is a JSON object")
        if "Stacks" in raw:
            for stack in raw["Stacks"]:
                self._stack_id(stack.get("StackId"), stack.get("StackName"))
                for output in stack.get("Outputs") or []:
                    self.outputs[output["OutputKey"]] = str(output["OutputValue"])
                for parameter in stack.get("Parameters") or []:
                    value = parameter.get("ResolvedValue", parameter.get("ParameterValue"))
                    if value is not None and value != "****":  # NoEcho parameters are masked
                        self.parameters[parameter["ParameterKey"]] = str(value)
        elif "StackResources" in raw or "StackResourceSummaries" in raw:
            for resource in raw.get("StackResources") or raw.get("StackResourceSummaries") or []:
                self._stack_id(resource.get("StackId"), resource.get("StackName"))
                if resource.get("PhysicalResourceId"):
                    self.refs[resource["LogicalResourceId"]] = str(resource["PhysicalResourceId"])
        else:
            self.plain.update({k: str(v) for k, v in raw.items() if not isinstance(v, dict | list)})

    def bind(self, body: dict[str, Any]) -> None:
        """Sort the plain map and the outputs into refs, attributes and parameters, with the template's help."""
        declared = body.get("Parameters") or {}
        resources = body.get("Resources") or {}
        outputs = body.get("Outputs") or {}
        for key, value in self.plain.items():
            if key.startswith("AWS::"):
                self.pseudo[key] = value
            elif key in declared:
                self.parameters[key] = value
            elif key in resources:
                self.refs[key] = value
            elif "." in key and key.split(".", 1)[0] in resources:
                self.attributes[key] = value
            elif key in outputs:
                self.outputs[key] = value
        for key, value in self.outputs.items():
            expression = (outputs.get(key) or {}).get("Value")
            if isinstance(expression, dict) and "Ref" in expression:
                self.refs.setdefault(expression["Ref"], value)
            elif isinstance(expression, dict) and "Fn::GetAtt" in expression:
                target = expression["Fn::GetAtt"]
                logical_id, attribute = target if isinstance(target, list) else target.split(".", 1)
                self.attributes.setdefault(f"{logical_id}.{attribute}", value)


class DeployedTemplate(Template):
    """The template whose intrinsics resolve to a deployed stack's values instead of the local stack's."""

    def __init__(self, path: Path, values: DeployedValues) -> None:
        body = load_yaml(Path(path))
        values.bind(body)
        self.values = values
        declared = body.get("Parameters") or {}
        super().__init__(path, {k: v for k, v in values.parameters.items() if k in declared})

    def pseudo(self, name: str) -> Any:
        """Pseudo parameters of the deployed stack when known."""
        return self.values.pseudo.get(name, super().pseudo(name))

    def ref(self, name: str, allow_resources: bool = True) -> Any:
        """``!Ref``: the deployed physical id."""
        if name in self.values.refs:
            return self.values.refs[name]
        if name in self.parameters or name.startswith("AWS::"):
            return super().ref(name, allow_resources)
        raise TemplateError(f"no deployed value for !Ref {name} (pass describe-stack-resources output, or "
                            f'"{name}": "<physical id>" in the map)')

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """``!GetAtt``: given, or derived from the physical id for the common resource types."""
        key = f"{logical_id}.{attribute}"
        if key in self.values.attributes:
            return self.values.attributes[key]
        resource = self.resources.get(logical_id)
        ref = self.values.refs.get(logical_id)
        if resource is not None and ref is not None:
            derived = self._derive(resource.type, ref, attribute)
            if derived is not None:
                return derived
        raise TemplateError(f"no deployed value for !GetAtt {key} (pass an output or describe-stack-resources "
                            f'output, or "{key}": "<value>" in the map)')

    def _derive(self, type_: str, ref: str, attribute: str) -> str | None:
        fields = {"p": self.pseudo("AWS::Partition"), "r": self.pseudo("AWS::Region"),
                  "a": self.pseudo("AWS::AccountId"), "ref": ref, "slash": "" if ref.startswith("/") else "/"}
        if attribute == "Arn":
            if ref.startswith("arn:"):
                return ref
            if type_ == "AWS::SQS::Queue":
                return "arn:{p}:sqs:{r}:{a}:{name}".format(**fields, name=ref.rstrip("/").rsplit("/", 1)[-1])
            for types, pattern in _ARN_TYPES.items():
                if type_ in types:
                    return pattern.format(**fields)
        last = ref.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return {"Name": last if ref.startswith("arn:") else ref, "TopicName": last, "QueueName": last,
                "TopicArn": ref, "QueueUrl": ref}.get(attribute)


def substitution_values(template_path: Path, workflow: str, outputs: list[Path]) -> tuple[Path, dict[str, str]]:
    """The workflow's definition file and its ``DefinitionSubstitutions`` evaluated with the deployed values."""
    template = DeployedTemplate(template_path, DeployedValues.from_files(outputs))
    resource = template.state_machine_for_workflow(workflow)
    uri = resource.properties.get("DefinitionUri")
    if not isinstance(uri, str):
        raise ValueError(f"{resource.logical_id} has no DefinitionUri file")
    values, missing = {}, []
    for name, expression in (resource.properties.get("DefinitionSubstitutions") or {}).items():
        try:
            values[name] = str(template.resolve(expression))
        except TemplateError as error:
            missing.append(f"{name}: {error}")
    if missing:
        raise ValueError("cannot resolve DefinitionSubstitutions of " + resource.logical_id + ": "
                         + "; ".join(missing))
    return template.root / uri, values


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    if isinstance(value, dict):
        return {substitute(k, values): _fill(v, values) for k, v in value.items()}
    return value


def export_definition(text: str, values: dict[str, str]) -> str:
    """The definition with every placeholder filled, in canonical form."""
    return canonical(_fill(json.loads(text), values))


def _restore(new: Any, old: Any, values: dict[str, str], reverse: dict[str, list[str]], notes: list[str]) -> Any:
    if isinstance(new, dict):
        return {k: _restore(v, old.get(k) if isinstance(old, dict) else None, values, reverse, notes)
                for k, v in new.items()}
    if isinstance(new, list):
        return [_restore(item, old[i] if isinstance(old, list) and i < len(old) else None, values, reverse, notes)
                for i, item in enumerate(new)]
    if isinstance(new, str):
        if isinstance(old, str) and substitute(old, values) == new:
            return old  # unchanged: keep it as written, placeholders inside larger strings included
        names = reverse.get(new)
        if names:
            if len(names) > 1:
                notes.append(f"{new!r} is the value of {', '.join(names)}: ${{{names[0]}}} was used")
            return "${" + names[0] + "}"
    return new


def import_definition(text: str, original: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """Put the placeholders back into an edited, exported definition.

    Strings unchanged since the export get their original text back (so a placeholder inside a JSONata
    expression survives); any other string that is exactly a substitution's value becomes ``${Name}``.
    """
    reverse: dict[str, list[str]] = {}
    for name, value in sorted(values.items()):
        reverse.setdefault(value, []).append(name)
    notes: list[str] = []
    restored = _restore(json.loads(text), json.loads(original), values, reverse, notes)
    return canonical(restored), notes


def run_studio(args: Any) -> int:
    """``studio export`` / ``studio import`` (see the module)."""
    template_path = Path(args.template)
    definition_path, values = substitution_values(template_path, args.workflow, [Path(p) for p in args.outputs])
    if args.action == "export":
        exported = export_definition(definition_path.read_text(encoding="utf-8"), values)
        if args.out:
            Path(args.out).write_text(exported, encoding="utf-8")
            print(f"wrote {args.out}: paste it into Workflow Studio (Code view) or the console's editor",
                  file=sys.stderr)
        else:
            sys.stdout.write(exported)
        return 0
    edited = Path(args.file).read_text(encoding="utf-8")
    try:
        restored, notes = import_definition(edited, definition_path.read_text(encoding="utf-8"), values)
    except json.JSONDecodeError as error:
        raise ValueError(f"{args.file}: not JSON: {error}") from error
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    definition_path.write_text(restored, encoding="utf-8")
    print(f"wrote {definition_path.relative_to(template_path.parent)} — run make validate", file=sys.stderr)
    return 0
