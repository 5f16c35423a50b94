"""The graph of a definition: its transitions and their labels, shared by the Mermaid and SVG drawings."""

from __future__ import annotations

import json
import re
from typing import Any

_START, _END = "__start__", "__end__"
_STYLE_RANK = {"next": 0, "choice": 1, "default": 2, "catch": 3}


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _condition_label(rule: dict[str, Any]) -> str:
    if rule.get("Comment"):
        return _short(rule["Comment"], 40)
    condition = rule.get("Condition")
    if isinstance(condition, str):
        return _short(re.sub(r"^\{%\s*|\s*%\}$", "", condition), 40)
    variable = rule.get("Variable", "")
    operator = next((k for k in rule if k not in ("Variable", "Next", "Comment", "Assign", "Output")), "")
    if operator in ("And", "Or", "Not"):
        return operator
    return _short(f"{variable} {operator} {json.dumps(rule.get(operator))}".strip(), 40)


def _catch_label(catcher: dict[str, Any]) -> str:
    errors = [e if e.startswith("States.") else e.split(".", 1)[-1] for e in catcher.get("ErrorEquals") or []]
    more = f" +{len(errors) - 1}" if len(errors) > 1 else ""
    return _short("catch " + (errors[0] if errors else "?"), 40 - len(more)) + more


def _task_label(state: dict[str, Any]) -> str:
    resource = state.get("Resource")
    if not isinstance(resource, str):
        return "Task"
    match = re.match(r"^arn:[^:]+:states:::(?:aws-sdk:)?(.+)$", resource)
    if match:
        return match.group(1)
    if ":function:" in resource or resource.startswith("${"):
        return "Lambda function" if ":function:" in resource else "Task"
    return "Task"


def edges_of(states: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(source, target, label, style)`` of every transition of one scope, duplicates merged."""
    found: dict[tuple[str, str], list[Any]] = {}
    names = set(states)

    def add(source: str, target: Any, label: str, style: str) -> None:
        if not isinstance(target, str) or (target not in names and target != _END):
            return
        key = (source, target)
        if key in found:
            edge = found[key]
            edge[0] = " / ".join(x or "Next" for x in (edge[0], label))  # a plain Next shares the arrow
            edge[1] = min(edge[1], style, key=_STYLE_RANK.get)
        else:
            found[key] = [label, style]

    for name, state in states.items():
        kind = state.get("Type")
        if kind == "Choice":
            for rule in state.get("Choices") or []:
                add(name, rule.get("Next"), _condition_label(rule), "choice")
            if "Default" in state:
                add(name, state["Default"], "Default", "default")
        elif "Next" in state:
            add(name, state["Next"], "", "next")
        if state.get("End") or kind in ("Succeed", "Fail"):
            add(name, _END, "", "next")
        for catcher in state.get("Catch") or []:
            add(name, catcher.get("Next"), _catch_label(catcher), "catch")
    return [(s, t, label, style) for (s, t), (label, style) in found.items()]


def _branches(state: dict[str, Any]) -> list[dict[str, Any]]:
    if state.get("Type") == "Parallel":
        return [b for b in state.get("Branches") or [] if isinstance(b, dict)]
    if state.get("Type") == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator")
        return [processor] if isinstance(processor, dict) else []
    return []


