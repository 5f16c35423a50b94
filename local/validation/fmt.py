"""The canonical JSON form of definitions: Workflow Studio's export (2-space indent, key order kept, UTF-8).

Keeping every definition in that form makes an export from the console, passed through ``python -m local
fmt``, differ from the file only where the workflow changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.validation.common import Problem, Project


def canonical(value: Any) -> str:
    """A definition in canonical form: 2-space indent, key order preserved, non-ASCII kept, trailing newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def format_text(text: str) -> str:
    """``text`` (a JSON definition) in canonical form; raises ValueError when it is not JSON."""
    return canonical(json.loads(text))


def definition_files(root: Path) -> list[Path]:
    """Every workflow definition of the project."""
    return sorted(root.glob("workflows/*/statemachine.asl.json"))


def format_files(paths: list[Path], check: bool) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Rewrite (or, with ``check``, only find) files not in canonical form.

    Returns
    -------
    tuple
        The files that were (or would be) rewritten, and ``(file, error)`` for files that are not JSON.

    """
    changed, broken = [], []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            formatted = format_text(text)
        except ValueError as error:
            broken.append((path, str(error)))
            continue
        if formatted != text:
            changed.append(path)
            if not check:
                path.write_text(formatted, encoding="utf-8")
    return changed, broken


def check_format(project: Project) -> list[Problem]:
    """Definitions not in canonical form (invalid JSON is reported by the JSON check)."""
    changed, _ = format_files(definition_files(project.root), check=True)
    return [Problem(project.rel(path), "-", "not in the canonical JSON form (Workflow Studio's export)",
                    "run python -m local fmt") for path in changed]
