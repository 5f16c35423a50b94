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
every state               input, variables (when there are any), errorDetails (Retry/Catch), the Map's limits
========================  ==================================================================================

Steps after a failure are absent. A step the state does not declare shows the value passing through it
(no ``Parameters``: afterParameters is the input; no ``ResultSelector``: afterResultSelector is the result).
"""

from __future__ import annotations

import copy
import json
from typing import Any

_MISSING = object()


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

    def get(self, step: str, default: Any = _MISSING) -> Any:
        return self.steps.get(step, default)


def _jsonpath_steps(state_type: str, state: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
    steps = recorder.steps
    out: dict[str, Any] = {}

    def passing(step: str, fallback: str) -> None:
        value = steps.get(step, out.get(fallback, steps.get(fallback, _MISSING)))
        if value is not _MISSING:
            out[step] = value

    if state_type == "Pass":
        if "Result" in state:
            for step in ("result", "afterResultPath"):
                if step in steps:
                    out[step] = steps[step]
            passing("afterResultSelector", "result")
        else:
            if "afterInputPath" in steps:
                out["afterInputPath"] = steps["afterInputPath"]
                passing("afterParameters", "afterInputPath")
            passing("afterResultSelector", "afterParameters")
            if "afterResultPath" in steps:
                out["afterResultPath"] = steps["afterResultPath"]
        return out
    if state_type == "Task":
        for step in ("afterInputPath", "result", "afterResultPath"):
            if step in steps:
                out[step] = steps[step]
        if "afterInputPath" in steps:
            passing("afterParameters", "afterInputPath")
        passing("afterResultSelector", "result")
        return out
    if state_type == "Map":
        for step in ("afterInputPath", "afterItemsPath", "afterItemSelector", "afterResultPath"):
            if step in steps:
                out[step] = steps[step]
        passing("afterResultSelector", "result")
        return out
    if state_type == "Parallel":
        if "afterResultPath" in steps:
            out["afterResultPath"] = steps["afterResultPath"]
        passing("afterResultSelector", "result")
        return out
    if "afterInputPath" in steps:  # Choice, Wait, Succeed, Fail: the input filter only
        out["afterInputPath"] = steps["afterInputPath"]
    return out


def _jsonata_steps(state_type: str, recorder: Recorder) -> dict[str, Any]:
    if state_type != "Task":
        return {}
    return {step: recorder.steps[step] for step in ("afterArguments", "result") if step in recorder.steps}


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
