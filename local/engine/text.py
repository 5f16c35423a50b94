"""JSON text as Step Functions writes it: compact (``{"a":1}``), characters as they are."""

from __future__ import annotations

import contextlib
import json
import types
from typing import Any


def compact_json(value: Any, cls: type[json.JSONEncoder] | None = None) -> str:
    """``value`` as the JSON text AWS writes in outputs, inputs, parameters and causes."""
    return json.dumps(value, cls=cls, separators=(",", ":"), ensure_ascii=False)


def _compact_json_text_in_the_interpreter() -> None:
    """Defect: outputs, inputs, parameters and causes were written ``{"a": 1}``; AWS writes ``{"a":1}``.

    Every JSON text of the interpreter goes through ``encoding.to_json_str``; its ``json.dumps`` is made compact,
    which reaches the modules that imported ``to_json_str`` by name as well.
    """
    from moto.stepfunctions.parser.asl.utils import encoding

    def dumps(value, cls=None, separators=None, **kwargs):
        return json.dumps(value, cls=cls, separators=separators or (",", ":"), ensure_ascii=False, **kwargs)

    encoding.json = types.SimpleNamespace(dumps=dumps, loads=json.loads)


def _compact_json_text_in_describe_execution() -> None:
    """DescribeExecution wrote the output with ``json.dumps`` (spaces) and echoed the input as it was sent."""
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        response = result.result
        for key in ("input", "output"):
            text = response.get(key)
            if isinstance(text, str):
                with contextlib.suppress(ValueError):
                    response[key] = compact_json(json.loads(text))
        return result

    StepFunctionResponse.describe_execution = describe_execution


def _decode_string_literals_as_json() -> None:
    """Defect: string literals of a definition were decoded as Python literals, not as JSON strings.

    An emoji escaped as a surrogate pair became two lone surrogates, which no JSON text can carry.
    """
    from moto.stepfunctions.parser.asl.antlt4utils import antlr4utils
    from moto.stepfunctions.parser.asl.parse import preprocessor

    original = antlr4utils.from_string_literal

    def from_string_literal(parser_rule_context):
        text = parser_rule_context.getText()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            try:
                return json.loads(text)
            except ValueError:
                pass
        return original(parser_rule_context)

    antlr4utils.from_string_literal = from_string_literal
    preprocessor.from_string_literal = from_string_literal


def install() -> None:
    """Read and write JSON text as AWS does."""
    _decode_string_literals_as_json()
    _compact_json_text_in_the_interpreter()
    _compact_json_text_in_describe_execution()
