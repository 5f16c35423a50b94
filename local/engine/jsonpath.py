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
