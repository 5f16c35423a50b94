"""JSONPath as Step Functions evaluates it, and a parser that keeps no state between definitions."""

from __future__ import annotations

import functools
import re
from typing import Any

_INDEFINITE = re.compile(r"\[\s*\*\s*\]|\.\*|\[[^\]]*:[^\]]*\]|\[\s*\?|\.\.|\[[^\]]*,[^\]]*\]")


@functools.lru_cache(maxsize=4096)
def _parse_jsonpath(path: str):
    from jsonpath_ng.ext import parse

    return parse(path)


def extract_json(path: str, data: Any) -> Any:
    """JSONPath as Step Functions evaluates it: a definite path yields a value, an indefinite one a list."""
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    matches = _parse_jsonpath(path).find(data)
    indefinite = bool(_INDEFINITE.search(path))
    if not matches:
        if indefinite:
            return []
        raise NoSuchJsonPathError(json_path=path, data=data)
    if indefinite:
        return [match.value for match in matches]
    return matches[0].value


def _unwrap_definite_jsonpath_results() -> None:
    """Defect 6: ``$.Items[0].id`` returns ``["x"]`` instead of ``"x"``; parsing is also cached."""
    import sys

    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.extract_json
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("moto.stepfunctions") and (
            getattr(module, "extract_json", None) is original
        ):
            module.extract_json = extract_json


_DOTTED = re.compile(r"^\$((?:\.[A-Za-z_][\w-]*)+)$")


def missing_path_cause(path: str, data: Any) -> str | None:
    """AWS's cause for a dotted JSONPath that selects nothing (None for paths it does not describe).

    AWS reads JSONPath with Jayway: a missing last property gives "No results for path: $['a']['b']", a missing
    property on the way "Missing property in path $['a']" (the path up to it).
    """
    match = _DOTTED.match(path)
    if not match:
        return None
    names = match.group(1)[1:].split(".")
    node = data
    for depth, name in enumerate(names):
        if not isinstance(node, dict):
            return None
        if name not in node:
            walked = "".join(f"['{each}']" for each in names[:depth + 1])
            if depth == len(names) - 1:
                return f"Invalid path '{path}' : No results for path: ${walked}"
            return f"Invalid path '{path}' : Missing property in path ${walked}"
        node = node[name]
    return None


def _invalid_path_causes_as_aws() -> None:
    """Defect: a missing property on the way (``$.a.b`` without ``a``) was reported as ``$['a.b']`` not found."""
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.common.path.input_path import InputPath
    from moto.stepfunctions.parser.asl.component.common.path.output_path import OutputPath
    from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import HeartbeatSecondsPath
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSecondsPath
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    def reworded(method):
        def wrapper(self, env, *args, **kwargs):
            try:
                return method(self, env, *args, **kwargs)
            except FailureEventException as failure:
                missing = failure.__context__
                details = next(iter((failure.failure_event.event_details or {}).values()), None)
                if isinstance(missing, NoSuchJsonPathError) and isinstance(details, dict):
                    cause = missing_path_cause(missing.json_path, missing.data)
                    if cause and str(details.get("cause", "")).startswith("Invalid path"):
                        details["cause"] = cause
                raise

        return wrapper

    for cls, name in ((InputPath, "_eval_body"), (OutputPath, "_eval_body"),
                      (TimeoutSecondsPath, "_eval_seconds"), (HeartbeatSecondsPath, "_eval_seconds")):
        setattr(cls, name, reworded(cls.__dict__[name]))


def _reset_preprocessor_state_per_parse() -> None:
    """Defect 7: after one rejected definition, later valid ones are rejected (class-level parse state)."""
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original_init = Preprocessor.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._query_language_per_scope = []

    Preprocessor.__init__ = __init__


def install() -> None:
    """Install the JSONPath fixes."""
    _unwrap_definite_jsonpath_results()
    _reset_preprocessor_state_per_parse()
    _invalid_path_causes_as_aws()
