"""The Mermaid ``stateDiagram-v2`` of a definition, as the workflows' READMEs show it."""

from __future__ import annotations

import re
from typing import Any

from local.graph.edges import _END, _branches, edges_of

START_MARKER = "<!-- diagram:start -->"
END_MARKER = "<!-- diagram:end -->"


def _mermaid_label(text: str) -> str:
    for old, new in ((";", ","), ("{", "("), ("}", ")"), ('"', "'"), ("<=", "≤"), (">=", "≥"), ("!=", "≠"),
                     ("-->", "→"), ("<", "#60;"), (">", "#62;")):
        text = text.replace(old, new)
    return text


class _MermaidIds:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.declarations: list[str] = []

    def __call__(self, name: str) -> str:
        if name not in self.ids:
            base = re.sub(r"\W", "_", name) or "state"
            candidate, n = base, 2
            while candidate in self.ids.values():
                candidate, n = f"{base}_{n}", n + 1
            self.ids[name] = candidate
            if candidate != name:
                self.declarations.append(f'state "{name}" as {candidate}')
        return self.ids[name]


def _mermaid_scope(scope: dict[str, Any], ids: _MermaidIds, indent: str) -> list[str]:
    states = scope.get("States") or {}
    lines = []
    if scope.get("StartAt") in states:
        lines.append(f"{indent}[*] --> {ids(scope['StartAt'])}")
    for name, state in states.items():
        branches = _branches(state)
        if branches:
            lines.append(f"{indent}state {ids(name)} {{")
            for index, branch in enumerate(branches):
                if index:
                    lines.append(f"{indent}    --")
                lines += _mermaid_scope(branch, ids, indent + "    ")
            lines.append(f"{indent}}}")
    for source, target, label, _style in edges_of(states):
        end = "[*]" if target == _END else ids(target)
        lines.append(f"{indent}{ids(source)} --> {end}" + (f": {_mermaid_label(label)}" if label else ""))
    return lines


def mermaid(definition: dict[str, Any]) -> str:
    """The definition as a Mermaid ``stateDiagram-v2`` (without the code fence)."""
    ids = _MermaidIds()
    body = _mermaid_scope(definition, ids, "    ")
    return "\n".join(["stateDiagram-v2", *("    " + d for d in ids.declarations), *body]) + "\n"


def readme_block(definition: dict[str, Any]) -> str:
    """What goes between the README's markers."""
    return (f"{START_MARKER}\n"
            "<!-- Generated from statemachine.asl.json by `python -m local graph`: edit the definition, not this. -->\n"
            "```mermaid\n" + mermaid(definition) + "```\n\n"
            "Also drawn as [`diagram.svg`](diagram.svg).\n"
            f"{END_MARKER}")


