"""JSONata and variables: the evaluator moto leaves unwired, with Step Functions' own functions."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from local.engine.fields import field_path

# Intrinsic JSONata functions of Step Functions that JSONata itself lacks ($partition is in Python below: a
# JSONata sequence of one chunk would be unwrapped, where AWS returns ``[[0]]``; $parse too, see _parse).
_JSONATA_INTRINSICS = {
    "$range": "function($first,$last,$step){($step>0 and $first>$last) or ($step<0 and $first<$last)?[]:"
    "$map([0..$floor(($last-$first)/$step)],function($i){$first+$i*$step})}",
}
#: ``$parse`` as JSONata, the meaning :func:`_parse` keeps.
PARSE_AS_EVAL = "function($v){$eval($v)}"


@functools.lru_cache(maxsize=4096)
def _compile_jsonata(expression: str):
    import jsonata

    return jsonata.Jsonata(expression)


def jsonata_variable_references(expression: str) -> frozenset[str]:
    """Variables an expression names; ``$`` (the context item, as in ``items[$ > 3]``) is allowed inside.

    AWS rejects ``$`` and ``$$`` only as a whole expression; moto rejected them anywhere.
    """
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    if expression.strip() in ("$", "$$"):
        raise moto_jsonata.IllegalJSONataVariableReference(variable_reference=expression.strip())
    return _variable_names(expression)


@functools.lru_cache(maxsize=4096)
def _variable_names(expression: str) -> frozenset[str]:
    # Read at every evaluation of an expression (its bindings are built from it): a definition's expressions
    # are few, the regular expression over each one is not free.
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    found = moto_jsonata._PATTERN_VARIABLE_REFERENCE.findall(expression) if expression else []
    return frozenset(name for name in found if name and isinstance(name, str) and name not in ("$", "$$"))


def _jsonata_bindings(env, expression: str, with_states: bool) -> dict[str, Any]:
    from jsonata.utils import Utils

    bindings: dict[str, Any] = {}
    store = env.variable_store
    bindings.update(store._outer_scope)
    bindings.update(store._inner_scope)
    for name, value in bindings.items():
        if value is None:  # a variable assigned null is null, not undefined, to JSONata
            bindings[name] = Utils.NULL_VALUE
    if with_states:
        bindings["states"] = env.states._states_data
    references = jsonata_variable_references(expression)
    for name, body in _JSONATA_INTRINSICS.items():
        if name in references and name[1:] not in bindings:
            bindings[name[1:]] = _compile_jsonata(body).evaluate(None)
    if "$parse" in references and "parse" not in bindings:
        bindings["parse"] = _jsonata_lambda(_parse)
    if "$partition" in references:
        bindings["partition"] = _jsonata_lambda(_partition)
    if "$uuid" in references:
        bindings["uuid"] = _jsonata_lambda(lambda: str(uuid.uuid4()))
    if "$hash" in references:
        bindings["hash"] = _jsonata_lambda(_hash)
    return bindings


def _jsonata_lambda(function: Callable) -> Any:
    import jsonata

    return jsonata.Jsonata.JLambda(function)


def _partition(array: Any, size: Any) -> list[list[Any]]:
    """``$partition(array, size)``: the array in chunks of ``size`` items (the last one may be shorter)."""
    items = list(array) if isinstance(array, list) else [array]
    if isinstance(size, bool) or not isinstance(size, int | float) or size < 1 or int(size) != size:
        raise ValueError(f"$partition needs a positive integer size, got {size!r}")
    step = int(size)
    return [items[start:start + step] for start in range(0, len(items), step)]


class _NotPlainJson(ValueError):
    """The text holds something JSONata reads otherwise than ``json`` (see :func:`_parse`)."""


def _jsonata_number(token: str) -> int | float:
    number = float(token)
    if not math.isfinite(number):
        raise _NotPlainJson
    from jsonata.utils import Utils

    return Utils.convert_number(number)  # as JSONata's tokenizer reads a number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _NotPlainJson  # JSONata's object constructor refuses a key given twice
    return found


def _refuse_constant(_: str) -> Any:
    raise _NotPlainJson  # NaN, Infinity: not JSON, and no JSONata number


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _as_jsonata_values(value: Any) -> Any:
    from jsonata.utils import Utils

    if isinstance(value, dict):
        return {key: _as_jsonata_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return Utils.JList(_as_jsonata_values(item) for item in value)
    return Utils.NULL_VALUE if value is None else value


def _parse(text: Any = None, *_: Any) -> Any:
    """``$parse(text)``: the text evaluated as a JSONata expression (``$eval``), as :data:`PARSE_AS_EVAL` defines it.

    Parsing a JSON text with JSONata's own parser took a third of a call analysis (its transcript). The same value
    comes from ``json`` where JSON and JSONata read the text alike: numbers as JSONata's tokenizer converts them
    (through a float, integral ones as ints), null as JSONata's null, arrays as its lists. A text that JSONata
    reads otherwise (a key given twice, an escaped surrogate pair, a number out of range) or that is no JSON
    (any other JSONata expression, a non-string) still goes through ``$eval``.
    """
    if isinstance(text, str) and not _SURROGATE_ESCAPE.search(text):
        try:
            return _as_jsonata_values(json.loads(text, parse_int=_jsonata_number, parse_float=_jsonata_number,
                                                 parse_constant=_refuse_constant, object_pairs_hook=_unique_keys))
        except (ValueError, RecursionError):  # not JSON, or JSON that JSONata reads otherwise
            pass
    import jsonata

    evaluating = jsonata.Jsonata.CURRENT.jsonata  # $eval itself, its argument checked against its signature
    return evaluating.apply(jsonata.Jsonata.static_frame.lookup("eval"), [text], None, evaluating.environment)


def _hash(value: str, algorithm: str) -> str:

    name = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
    return hashlib.new(name[algorithm], str(value).encode()).hexdigest()


_UNDEFINED = object()


def evaluate_jsonata(expression: str, bindings: dict[str, Any]) -> Any:
    """Evaluate ``expression``; returns ``_UNDEFINED`` for JSONata's *undefined* (as opposed to null)."""
    import jsonata
    from jsonata.utils import Utils

    compiled = _compile_jsonata(expression)
    # jsonata-python keeps "the current expression" per thread; executions run on many threads.
    jsonata.Jsonata.CURRENT.jsonata = compiled
    compiled.set_output_convert_nulls(False)
    result = compiled.evaluate(None, bindings)
    if result is None:
        return _UNDEFINED
    return Utils.convert_nulls(result)


def raise_query_evaluation_error(env, cause: str) -> None:
    """Fail the state with ``States.QueryEvaluationError`` and an EvaluationFailed event, as AWS does."""
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EventDetails(
        evaluationFailedEventDetails=EvaluationFailedEventDetails(error=error_name.error_name, cause=cause)
    )
    # The failure names the event the state was entered at: build it before adding the EvaluationFailed event.
    failure = FailureEvent(
        env=env, error_name=error_name, event_type=HistoryEventType.EvaluationFailed, event_details=details,
    )
    env.event_manager.add_event(
        context=env.event_history_context, event_type=HistoryEventType.EvaluationFailed, event_details=details,
    )
    raise FailureEventException(failure_event=failure)


def _wire_jsonata_evaluator() -> None:
    """Defect 1: QueryLanguage JSONata and ``Assign`` fail because the evaluator (a JVM) is not wired.

    Expressions are evaluated by jsonata-python with ``$states`` and the workflow variables passed as
    bindings (LocalStack pasted their JSON text into the expression, which breaks on quotes in strings).
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
    from moto.stepfunctions.parser.asl.component.common.string import string_expression as se

    def evaluate(env, expression: str, with_states: bool) -> Any:
        field = field_path(env)
        named = f"The JSONata expression '{expression}'" + (f" specified for the field '{field}'" if field else "")
        try:
            result = evaluate_jsonata(expression, _jsonata_bindings(env, expression, with_states))
        except FailureEventException:
            raise
        except Exception as error:  # JException and friends: report like Step Functions does
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise_query_evaluation_error(
                env, f"An error occurred while executing the JSONata expression '{expression}': {reason}")
        if result is _UNDEFINED:
            raise_query_evaluation_error(env, f"{named} returned nothing (undefined).")
        if not isinstance(result, dict | list | str | int | float | bool) and result is not None:
            raise_query_evaluation_error(env, f"{named} returned an unsupported result type.")  # a function
        return result

    def jsonata_eval_body(self, env) -> None:
        env.stack.append(evaluate(env, self.expression, with_states=True))

    def variable_sample_eval_body(self, env) -> None:
        with_states = self.query_language_mode == QueryLanguageMode.JSONata
        env.stack.append(evaluate(env, self.expression, with_states=with_states))

    se.StringJSONata._eval_body = jsonata_eval_body
    se.StringVariableSample._eval_body = variable_sample_eval_body
    from moto.stepfunctions.parser.asl.static_analyser import variable_references_static_analyser
    from moto.stepfunctions.parser.asl.static_analyser.intrinsic import variable_names_intrinsic_static_analyser

    for module in (se, variable_references_static_analyser, variable_names_intrinsic_static_analyser):
        module.extract_jsonata_variable_references = jsonata_variable_references


def _show_a_map_input_that_is_not_an_array_as_json() -> None:
    """A Map over a value that is not an array said ``but was: <class 'dict'>``; AWS shows the value as JSON."""
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.common.path.items_path import ItemsPath
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    from local.engine.text import compact_json

    def require_array(env, items) -> None:
        if isinstance(items, list):
            return
        error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
        raise FailureEventException(failure_event=FailureEvent(
            env=env, error_name=error_name, event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=EvaluationFailedEventDetails(
                error=error_name.error_name, cause=f"Map state input must be an array but was: {compact_json(items)}",
            )),
        ))

    original_items_path = ItemsPath._eval_body

    def items_path_eval_body(self, env) -> None:
        original_items_path(self, env)
        require_array(env, env.stack[-1])

    original_execution = StateMap._eval_execution

    def eval_execution(self, env) -> None:
        if self.items_path is None and self.items is None and self.item_reader is None:
            require_array(env, env.stack[-1])  # a JSONata Map without Items iterates over its input
        original_execution(self, env)

    ItemsPath._eval_body = items_path_eval_body
    StateMap._eval_execution = eval_execution


def _assign_and_output_see_the_same_variables() -> None:
    """In a JSONata state, ``Output`` saw the values ``Assign`` had just set; AWS evaluates the two in parallel.

    Both read the variables as they were on entering the state (a Catcher's or a Choice rule's ``Assign`` and
    ``Output`` too); the new values take effect when the state exits, before the next state. JSONPath states
    keep moto's order (their ``ResultPath``/``OutputPath`` run after ``Assign``).
    """
    from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.variable_store import IllegalOuterScopeWrite

    original_state = CommonStateField._eval_body
    original_exited = CommonStateField._get_state_exited_event_details

    def state_eval_body(self, env) -> None:
        env._deferred_assign = not self._is_language_query_jsonpath()
        env._pending_assignments = None
        original_state(self, env)

    def assign_eval_body(self, env) -> None:
        declarations: dict[str, Any] = {}
        for binding in self.declaration_bindings:
            binding.eval(env=env)
            declarations.update(env.stack.pop())
        store = env.variable_store
        if not getattr(env, "_deferred_assign", False):
            for name, value in declarations.items():
                store.set(variable_identifier=name, variable_value=value)
            return
        for name, value in declarations.items():
            if name in store._outer_scope:  # refused where moto refuses it: at the assignment
                raise IllegalOuterScopeWrite(variable_identifier=name, variable_value=value)
        env._pending_assignments = declarations

    def apply_assignments(env) -> None:
        pending = getattr(env, "_pending_assignments", None)
        env._pending_assignments = None
        for name, value in (pending or {}).items():
            env.variable_store.set(variable_identifier=name, variable_value=value)

    def get_state_exited_event_details(self, env):
        apply_assignments(env)  # the exited event lists them (assignedVariables)
        return original_exited(self, env)

    CommonStateField._eval_body = state_eval_body
    CommonStateField._get_state_exited_event_details = get_state_exited_event_details
    AssignDecl._eval_body = assign_eval_body


def install() -> None:
    """Wire the JSONata evaluator."""
    _wire_jsonata_evaluator()
    _show_a_map_input_that_is_not_an_array_as_json()
    _assign_and_output_see_the_same_variables()
