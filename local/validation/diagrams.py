"""Diagrams: each workflow's ``diagram.svg`` and README Mermaid block match its definition (drawn by graph)."""

from __future__ import annotations

from local.graph import render_workflow, workflow_folders
from local.validation.common import Problem, Project


def check_diagrams(project: Project) -> list[Problem]:
    """A problem per stale diagram or README block."""
    problems = []
    for folder in workflow_folders(project.root):
        outcome = render_workflow(folder, check=True)
        for message in outcome.problems:
            problems.append(Problem(project.rel(folder / "README.md"), "-", message,
                                    "add the two marker lines where the diagram belongs, then run python -m local "
                                    "graph"))
        for path in outcome.stale:
            problems.append(Problem(project.rel(path), "-", "the diagram is stale (the definition changed since it "
                                                            "was drawn)", "run python -m local graph"))
    return problems
