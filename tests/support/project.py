"""A copy of the project to plant mistakes in (``validate``) or to add a workflow to (``new``)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.validation import validate_project
from local.validation.fmt import canonical
from tests.support import ROOT

#: What ``validate`` reads of a project.
PROJECT_PARTS = ("workflows", "tasks", "schemas")
#: Everything else a working copy needs to run its own tools and tests (tools installed once are linked).
CODE_PARTS = ("local", "tests")
LINKED = (".venv", "node_modules")


def copy_project(destination: Path, code: bool = False) -> Path:
    """Copy template, workflows, tasks and schemas to ``destination`` (``code``: also local/, tests/ and files).

    With ``code`` the copy is a working project: ``python -m local`` and ``pytest`` run from it on its own
    code; ``.venv`` and ``node_modules`` are linked to this project's, as they are large and only read.
    """
    # With ``code``, compiled modules come along: they stay valid (copytree keeps each file's time and size) and
    # spare the copy's first process compiling the project again. So does Hypothesis's cache (the Unicode table
    # and the constants it reads from the project's modules, keyed by their content): about 1.5 s to rebuild.
    ignore = shutil.ignore_patterns(*() if code else ("__pycache__",), ".pytest_cache", ".hypothesis", "*.egg-info")
    shutil.copy(ROOT / "template.yaml", destination / "template.yaml")
    for folder in PROJECT_PARTS + (CODE_PARTS if code else ()):
        shutil.copytree(ROOT / folder, destination / folder, ignore=ignore)
    if code:
        for cache in ("constants", "unicode_data"):
            if (ROOT / ".hypothesis" / cache).is_dir():
                shutil.copytree(ROOT / ".hypothesis" / cache, destination / ".hypothesis" / cache)
        for name in ("Makefile", "pyproject.toml", "package.json", "package-lock.json", "README.md", ".checkov.yaml"):
            if (ROOT / name).exists():
                shutil.copy(ROOT / name, destination / name)
        for name in LINKED:
            if (ROOT / name).exists():
                os.symlink((ROOT / name).resolve(), destination / name)
    return destination


def edit_json(root: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a JSON file of the copy (written back in canonical form)."""
    path = root / relative
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(canonical(document), encoding="utf-8")


def edit_text(root: Path, relative: str, old: str, new: str) -> None:
    """Replace the first ``old`` in a file of the copy by ``new`` (``old`` must be there)."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(root: Path, *checks: str, strict: bool = False) -> list[str]:
    """``validate``'s problem lines for the copy, only ``checks``."""
    return [str(p) for p in validate_project(root / "template.yaml", checks=checks, strict=strict).problems]


def line(found: list[str], *fragments: str) -> str:
    """The first line holding every fragment (the assertion lists the lines when there is none)."""
    matching = [text for text in found if all(f in text for f in fragments)]
    assert matching, "no line with " + " & ".join(fragments) + ":\n" + "\n".join(found)
    return matching[0]
