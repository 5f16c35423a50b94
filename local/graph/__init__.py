"""``python -m local graph``: each workflow's diagram, drawn from its definition, never by hand.

Two renderings of the same graph (states; ``Next``, ``Choices``, ``Default`` and ``Catch`` transitions;
Parallel and Map states as boxes holding their branches):

* ``workflows/<name>/diagram.svg``, laid out here in pure Python (layers by longest path, crossings reduced
  by barycenters, long edges through virtual points, loops drawn back on the right), so no Graphviz binary is
  needed and the output is byte-for-byte deterministic;
* a Mermaid ``stateDiagram-v2`` in the workflow's README between ``<!-- diagram:start -->`` and
  ``<!-- diagram:end -->``, which GitHub renders.

``graph --check`` (and ``validate``) fail when either is stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from local.graph.edges import edges_of
from local.graph.mermaid import END_MARKER, START_MARKER, mermaid, readme_block
from local.graph.svg import layout, svg

__all__ = ["Outcome", "edges_of", "layout", "mermaid", "readme_block", "render_workflow", "run_graph", "svg",
           "workflow_folders"]


@dataclass
class Outcome:
    """What ``graph`` did (or, with ``check``, would do) for one workflow."""

    workflow: str
    stale: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _replace_block(readme: str, block: str) -> str | None:
    start, end = readme.find(START_MARKER), readme.find(END_MARKER)
    if start < 0 or end < start:
        return None
    return readme[:start] + block + readme[end + len(END_MARKER):]


def render_workflow(folder: Path, check: bool = False) -> Outcome:
    """Write (or check) ``diagram.svg`` and the README's Mermaid block of one workflow folder."""
    outcome = Outcome(folder.name)
    definition_path = folder / "statemachine.asl.json"
    try:
        definition = json.loads(definition_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        outcome.problems.append(f"cannot read {definition_path.name}: {error}")
        return outcome
    wanted = {folder / "diagram.svg": svg(definition, folder.name)}
    readme = folder / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        replaced = _replace_block(text, readme_block(definition))
        if replaced is None:
            outcome.problems.append(f"README.md has no {START_MARKER} … {END_MARKER} markers for the diagram")
        else:
            wanted[readme] = replaced
    for path, content in wanted.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != content:
            outcome.stale.append(path)
            if not check:
                path.write_text(content, encoding="utf-8")
    return outcome


def workflow_folders(root: Path, names: list[str] | None = None) -> list[Path]:
    """The workflow folders (those with a definition), optionally only ``names``."""
    folders = sorted(p.parent for p in root.glob("workflows/*/statemachine.asl.json"))
    if names:
        unknown = set(names) - {f.name for f in folders}
        if unknown:
            raise ValueError(f"unknown workflow(s): {', '.join(sorted(unknown))}")
        folders = [f for f in folders if f.name in names]
    return folders


def run_graph(root: Path, names: list[str] | None, check: bool) -> int:
    """``python -m local graph [--check] [WORKFLOW…]``: exit 1 when ``check`` finds something stale."""
    failed = False
    for folder in workflow_folders(root, names):
        outcome = render_workflow(folder, check=check)
        for message in outcome.problems:
            print(f"{folder.relative_to(root)}/README.md: -: {message} — add the markers, then run "
                  "python -m local graph")
            failed = True
        for path in outcome.stale:
            rel = path.relative_to(root)
            print(f"{rel}: -: stale — run python -m local graph" if check else f"wrote {rel}")
            failed = failed or check
    return 1 if failed else 0

