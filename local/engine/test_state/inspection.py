"""``inspectionData``: the data at each step of the state's input and output processing.

The interpreter's components are observed as they evaluate (each leaves its value on the stack); the
response then holds the steps AWS reports for the state's type and query language:

========================  ==================================================================================
JSONPath Task             afterInputPath, afterParameters, result, afterResultSelector, afterResultPath
JSONPath Pass             the same without result; with ``Result``: result, afterResultSelector, afterResultPath
JSONPath Map              afterInputPath, afterItemsPath, afterItemSelector, afterResultSelector, afterResultPath
JSONPath Parallel         afterResultSelector, afterResultPath
JSONPath Choice/Wait/…    afterInputPath
JSONata Task              afterArguments, result
JSONata Map               afterItemSelector
every state               input, variables (when there are any), errorDetails (Retry/Catch), the Map's limits
========================  ==================================================================================

Steps after a failure are absent. A step the state does not declare shows the value passing through it
(no ``Parameters``: afterParameters is the input; no ``ResultSelector``: afterResultSelector is the result).
"""

from __future__ import annotations

import copy
import json
from typing import Any


def to_json_text(value: Any) -> str:
    """JSON text as Step Functions writes it (compact, UTF-8 as is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Recorder:
    """What the state's components produced, step by step, for one TestState call."""

    def __init__(self) -> None:
        self.steps: dict[str, Any] = {}
        self.error_details: dict[str, int] = {}
        self.limits: dict[str, int | float] = {}

    def record(self, step: str, value: Any) -> None:
        """Keep a copy of ``value`` as the state's data after ``step``."""
        self.steps[step] = copy.deepcopy(value)

    def observe(self, component: Any, step: str) -> None:
        """Record the value ``component`` leaves on the stack each time it evaluates."""
        if component is None:
            return
        original = component._eval_body

        def eval_body(env) -> None:
            original(env)
            self.record(step, env.stack[-1])

        component._eval_body = eval_body



#: JSONPath states' steps, each with the step whose value passes through it when the state does not declare it.
_JSONPATH_STEPS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "Task": (("afterInputPath", None), ("afterParameters", "afterInputPath"), ("result", None),
             ("afterResultSelector", "result"), ("afterResultPath", None)),
    "Pass": (("afterInputPath", None), ("afterParameters", "afterInputPath"),
             ("afterResultSelector", "afterParameters"), ("afterResultPath", None)),
    "Pass+Result": (("result", None), ("afterResultSelector", "result"), ("afterResultPath", None)),
    "Map": (("afterInputPath", None), ("afterItemsPath", None), ("afterItemSelector", None),
            ("afterResultSelector", "result"), ("afterResultPath", None)),
    "Parallel": (("afterResultSelector", "result"), ("afterResultPath", None)),
}
_INPUT_FILTER_ONLY = (("afterInputPath", None),)  # Choice, Wait, Succeed, Fail


def _jsonpath_steps(state_type: str, state: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
    kind = "Pass+Result" if state_type == "Pass" and "Result" in state else state_type
    steps, out = recorder.steps, {}
    for step, fallback in _JSONPATH_STEPS.get(kind, _INPUT_FILTER_ONLY):
        if step in steps:
            out[step] = steps[step]
        elif fallback in out:
            out[step] = out[fallback]
        elif fallback in steps:
            out[step] = steps[fallback]
    return out


def _jsonata_steps(state_type: str, recorder: Recorder) -> dict[str, Any]:
    steps = {"Task": ("afterArguments", "result"), "Map": ("afterItemSelector",)}.get(state_type, ())
    return {step: recorder.steps[step] for step in steps if step in recorder.steps}


def inspection_data(state_type: str, state: dict[str, Any], jsonpath: bool, recorder: Recorder,
                    variables: dict[str, Any]) -> dict[str, Any]:
    """The response's ``inspectionData`` (DEBUG and TRACE) from what ``recorder`` saw."""
    steps = _jsonpath_steps(state_type, state, recorder) if jsonpath else _jsonata_steps(state_type, recorder)
    data: dict[str, Any] = {"input": to_json_text(recorder.steps["input"])}
    data.update({step: to_json_text(value) for step, value in steps.items()})
    if variables:
        data["variables"] = to_json_text(variables)
    if recorder.error_details:
        data["errorDetails"] = dict(recorder.error_details)
    data.update(recorder.limits)
    return data
