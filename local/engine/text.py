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
    """DescribeExecution wrote the output with spaces, left a null output out, echoed the input as sent."""
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        response = result.result
        if response.get("status") == "SUCCEEDED" and "output" not in response:
            response["output"] = "null"  # an execution whose output is null (moto left the output out)
        for key in ("input", "output"):
            text = response.get(key)
            if isinstance(text, str):
                with contextlib.suppress(ValueError):
                    response[key] = compact_json(json.loads(text))
        return result

    StepFunctionResponse.describe_execution = describe_execution


def _decode_string_literals_as_json() -> None:
    """Defect: string literals of a definition were decoded as Python literals, or not at all.

    An emoji escaped as a surrogate pair became two lone surrogates, which no JSON text can carry; an Assign of an
    escaped quote assigned a backslash and a quote, and a JSON text assigned to a variable could not be parsed.
    """
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlt4utils import antlr4utils
    from moto.stepfunctions.parser.asl.parse import preprocessor

    original = antlr4utils.from_string_literal

    def decoded(text: str) -> str | None:
        if len(text) >= 2 and text[0] == text[-1] == '"':
            with contextlib.suppress(ValueError):
                return json.loads(text)
        return None

    def from_string_literal(parser_rule_context):
        value = decoded(parser_rule_context.getText())
        return original(parser_rule_context) if value is None else value

    def inner_string_of(parser_rule_context):
        if antlr4utils.is_terminal(parser_rule_context, ASLLexer.NULL):
            return None
        text = parser_rule_context.getText()
        value = decoded(text)
        if value is None or value.startswith("$"):
            # Paths keep their text: a backslash in a quoted JSONPath name is a character to AWS, an escape to
            # jsonpath-ng, and the undecoded text reads as AWS reads it.
            return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
        return value

    antlr4utils.from_string_literal = from_string_literal
    preprocessor.from_string_literal = from_string_literal
    preprocessor.Preprocessor._inner_string_of = staticmethod(inner_string_of)


def install() -> None:
    """Read and write JSON text as AWS does."""
    _decode_string_literals_as_json()
    _compact_json_text_in_the_interpreter()
    _compact_json_text_in_describe_execution()
