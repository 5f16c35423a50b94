"""The AWS API models shipped in botocore: loaded lazily, one service at a time, and a shape checker.

The same checker validates what a state sends (``Arguments``/``Parameters`` against the operation's input
shape) and what a mock returns (``Return`` against its output shape): the pre-deploy checks
(:mod:`local.validation`) and the TestState API's mock validation (:mod:`local.engine.test_state`) share it,
with the reading of a Task's ``Resource`` (:func:`parse_resource`).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

_STATES_ARN = re.compile(r"^arn:[^:]+:states:::(?P<rest>.+)$")
_PATTERN = re.compile(r"^(?P<action>[^.]+)(?:\.(?P<pattern>sync(?::2)?|waitForTaskToken))?$")

#: Optimised integrations: the service name in the ARN → botocore's (when they differ).
OPTIMISED_SERVICES = {
    "states": "stepfunctions", "bedrock": "bedrock-runtime", "elasticmapreduce": "emr", "events": "events",
}
#: Members an optimised integration takes as any JSON though the API wants a string.
ANY_JSON = {
    ("lambda", "Invoke"): {("Payload",)},
    ("stepfunctions", "StartExecution"): {("Input",)},
    ("sns", "Publish"): {("Message",)},
    ("sqs", "SendMessage"): {("MessageBody",)},
    ("events", "PutEvents"): {("Entries", "*", "Detail")},
    ("bedrock-runtime", "InvokeModel"): {("Body",)},
}
#: Parameters an optimised integration accepts beyond the API.
EXTRA_PARAMETERS = {("bedrock-runtime", "InvokeModel"): {"Input": None, "Output": None}}


#: IAM prefixes that differ from the model's signing name.
_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}


@functools.lru_cache(maxsize=1)
def _session():
    import botocore.session

    return botocore.session.get_session()


@functools.lru_cache(maxsize=64)
def service_model(boto_name: str):
    """The botocore service model, or None when botocore has no such service."""
    from botocore.exceptions import UnknownServiceError

    try:
        return _session().get_service_model(boto_name)
    except UnknownServiceError:
        return None


@functools.lru_cache(maxsize=1)
def _sdk_names() -> frozenset[str]:
    """Every name Step Functions may give a service in ``aws-sdk:``.

    botocore's names without dashes and the service ids without spaces, read from the head of each model file
    (loading every model would take seconds).
    """
    import gzip
    import re

    import botocore

    names = {"sfn", "states", "eventbridge", "cloudwatchlogs", "elasticloadbalancingv2", "elasticloadbalancing"}
    for folder in (Path(botocore.__file__).parent / "data").iterdir():
        versions = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        if not versions:
            continue
        names.add(folder.name.replace("-", ""))
        model = versions[-1] / "service-2.json.gz"
        if model.exists():
            with gzip.open(model, "rt", encoding="utf-8") as file:
                head = file.read(4000)
        elif (versions[-1] / "service-2.json").exists():
            head = (versions[-1] / "service-2.json").read_text(encoding="utf-8")[:4000]
        else:
            continue
        match = re.search(r'"serviceId"\s*:\s*"([^"]+)"', head)
        if match:
            names.add(re.sub(r"[\s\-]", "", match.group(1)).lower())
    return frozenset(names)


def is_sdk_service(sfn_name: str) -> bool:
    """Step Functions knows ``aws-sdk:<sfn_name>`` (as far as the botocore models tell)."""
    return sfn_name in _sdk_names()


def operation_model(boto_name: str, operation: str):
    """The botocore operation model, or None."""
    model = service_model(boto_name)
    if model is None or operation not in model.operation_names:
        return None
    return model.operation_model(operation)


def pascal(action: str) -> str:
    """``getObject`` → ``GetObject`` (Step Functions writes actions in camelCase, the models in PascalCase)."""
    return action[:1].upper() + action[1:]


def iam_prefix(boto_name: str) -> str:
    """The IAM action prefix of a service: its signing name (``sesv2`` → ``ses``, ``stepfunctions`` → ``states``)."""
    model = service_model(boto_name)
    if model is None:
        return boto_name
    name = model.metadata.get("signingName") or model.metadata.get("endpointPrefix") or boto_name
    return _IAM_PREFIX.get(name, name)


def service_label(boto_name: str) -> str:
    """A service's display name (``DynamoDB``, ``S3``)."""
    model = service_model(boto_name)
    return (model.metadata.get("serviceId") if model else None) or boto_name


def close_names(name: str, names: list[str]) -> str:
    """``did you mean X?`` or the list of valid names."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6) or difflib.get_close_matches(
        name.lower(), [n.lower() for n in names], n=1, cutoff=0.6)
    if close:
        original = next((n for n in names if n.lower() == close[0].lower()), close[0])
        return f"did you mean {original}?"
    shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    return f"use one of: {shown}" if names else "remove it"


_EXPECTED = {
    "structure": "an object", "map": "an object", "list": "an array", "string": "a string",
    "integer": "an integer", "long": "an integer", "float": "a number", "double": "a number",
    "boolean": "true or false", "timestamp": "a timestamp (ISO 8601 string or epoch seconds)", "blob": "a string",
}


def has_type(value: Any, type_name: str, numeric_timestamps: bool = True) -> bool:  # noqa: PLR0911 - one per type
    """``value`` is JSON of the model's ``type_name``; a timestamp may be epoch seconds unless told otherwise."""
    if type_name in ("structure", "map"):
        return isinstance(value, dict)
    if type_name == "list":
        return isinstance(value, list)
    if type_name in ("string", "blob"):
        return isinstance(value, str)
    if type_name in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "timestamp":
        return isinstance(value, str) or (numeric_timestamps and isinstance(value, int | float)
                                          and not isinstance(value, bool))
    return True


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def describe(value: Any) -> str:
    """A short JSON rendering of a value for messages."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


class ShapeChecker:
    """Checks a JSON value against a botocore shape: unknown members, missing required ones, literal types.

    Parameters
    ----------
    what : str
        How the API is named in messages (``DynamoDB PutItem``).
    direction : str
        ``input`` (the state's parameters) or ``output`` (a mocked result).
    require : bool
        Report required members that are missing.
    is_dynamic : callable
        Tells a value whose type is only known at run time (a JSONata expression).
    any_json : set of tuple
        Member paths (names, ``*`` for list items) that take any JSON here though the API wants a string
        (``Payload`` of ``lambda:invoke`` …).
    extra : dict
        Members the integration adds or accepts beyond the API, with ``None`` for any type.
    jsonpath_keys : bool
        Keys ending in ``.$`` are dynamic values (JSONPath ``Parameters``).

    """

    def __init__(self, what: str, direction: str, *, require: bool, is_dynamic: Callable[[Any], bool],
                 any_json: set[tuple] | None = None, extra: dict[str, str | None] | None = None,
                 jsonpath_keys: bool = False) -> None:
        self.what = what
        self.direction = direction
        self.require = require
        self.is_dynamic = is_dynamic
        self.any_json = any_json or set()
        self.extra = extra or {}
        self.jsonpath_keys = jsonpath_keys

    def check(self, value: Any, shape: Any, path: tuple) -> list[tuple[tuple, str, str]]:
        """Problems as ``(path, message, fix)``."""
        return self._check(value, shape, path, (), top=True)

    def _check(self, value: Any, shape: Any, path: tuple, names: tuple, top: bool = False):  # noqa: PLR0912
        if self.is_dynamic(value) or names in self.any_json:
            return []
        type_name = shape.type_name if shape is not None else "structure"
        if not has_type(value, type_name):
            fix = f"write {_EXPECTED[type_name]}"
            if isinstance(value, str) and has_type(_literal(value), type_name):
                fix = f"write {value} without quotes"
            return [(path, f"{_where(path)} is {describe(value)} but {self.what} wants {_EXPECTED[type_name]} there",
                     fix)]
        found: list[tuple[tuple, str, str]] = []
        if type_name == "structure":
            members = dict(shape.members) if shape is not None else {}
            by_name = {**{n[:1].upper() + n[1:]: n for n in members}, **{n: n for n in members}}
            present = set()
            for key, item in value.items():
                name, dynamic = key, False
                if self.jsonpath_keys and key.endswith(".$"):
                    name, dynamic = key[:-2], True
                if top and name in self.extra:
                    present.add(name)
                    continue
                member = by_name.get(name)
                if member is None:
                    verb = "accept" if self.direction == "input" else "return"
                    found.append(((*path, key), f"{_where(path)} has {key}, which {self.what} does not {verb}",
                                  close_names(name, sorted(members))))
                    continue
                present.add(member)
                if not dynamic:
                    found += self._check(item, members[member], (*path, key), (*names, member))
            if self.require and shape is not None:
                for required in shape.required_members:
                    member_shape = members.get(required)
                    if required in present or (member_shape is not None and member_shape.metadata.get(
                            "idempotencyToken")):
                        continue
                    found.append((path, f"{_where(path)} lacks {required}, which {self.what} requires",
                                  f"add {required}"))
        elif type_name == "list":
            for index, item in enumerate(value):
                found += self._check(item, shape.member, (*path, index), (*names, "*"))
        elif type_name == "map":
            for key, item in value.items():
                found += self._check(item, shape.value, (*path, key), (*names, "*"))
        elif type_name == "string" and shape.enum and "${" not in value and value not in shape.enum:
            found.append((path, f"{_where(path)} is {describe(value)}, which {self.what} does not accept",
                          close_names(value, list(shape.enum))))
        return found


def _where(path: tuple) -> str:
    return dotted(path) or "the result"


def dotted(path: tuple) -> str:
    """``("Arguments", "Entries", 0, "Detail")`` → ``Arguments.Entries[0].Detail``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_resource(resource: str) -> tuple[str, str, str, str]:  # noqa: PLR0911
    """``(kind, service, action, pattern)`` of a Task ``Resource``."""
    match = _STATES_ARN.match(resource)
    if match:
        rest = match.group("rest")
        if rest.startswith("aws-sdk:"):
            parts = rest.split(":", 2)
            if len(parts) == 3:
                action = _PATTERN.match(parts[2])
                if action:
                    return "aws-sdk", parts[1], action.group("action"), action.group("pattern") or ""
            return "other", "", rest, ""
        service, _, action_text = rest.partition(":")
        action = _PATTERN.match(action_text)
        if action:
            return "optimised", service, action.group("action"), action.group("pattern") or ""
        return "other", service, action_text, ""
    if re.match(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:", resource):
        return "lambda-function", "lambda", "invoke", ""
    if re.match(r"^arn:[^:]+:states:[^:]*:[^:]*:activity:", resource):
        return "activity", "states", "", ""
    return "other", "", "", ""
