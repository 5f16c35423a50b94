"""Where a project's files are: its root, its template, and each workflow's folder and the files in it.

A workflow is a folder ``workflows/<name>/`` holding ``statemachine.asl.json``. This module imports nothing of
the project, so every tool, the stack and the tests can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = PROJECT_ROOT / "template.yaml"


@dataclass(frozen=True)
class WorkflowFiles:
    """The files of one workflow folder (``workflows/<name>/``) of the project at ``root``."""

    name: str
    root: Path = PROJECT_ROOT

    @property
    def folder(self) -> Path:
        """``workflows/<name>/``."""
        return self.root / "workflows" / self.name

    @property
    def definition(self) -> Path:
        """``statemachine.asl.json``."""
        return self.folder / "statemachine.asl.json"

    @property
    def mock_config(self) -> Path:
        """``mock-config.json``: the workflow's MockConfigFile test cases."""
        return self.folder / "mock-config.json"

    @property
    def events(self) -> Path:
        """``events/``: sample events, console inputs and demo data."""
        return self.folder / "events"

    @property
    def readme(self) -> Path:
        """``README.md``."""
        return self.folder / "README.md"

    @property
    def diagram(self) -> Path:
        """``diagram.svg``."""
        return self.folder / "diagram.svg"

    def event(self, name: str) -> Path:
        """A file of ``events/``."""
        return self.events / name

    def read_event(self, name: str) -> Any:
        """A JSON file of ``events/``, parsed."""
        return json.loads(self.event(name).read_text(encoding="utf-8"))

    def read_definition(self) -> dict[str, Any]:
        """The definition, parsed."""
        return json.loads(self.definition.read_text(encoding="utf-8"))


def workflow_files(name: str, root: Path = PROJECT_ROOT) -> WorkflowFiles:
    """The files of workflow ``name``."""
    return WorkflowFiles(name, Path(root))


def workflow_names(root: Path = PROJECT_ROOT) -> list[str]:
    """The workflow folders of the project (those with a definition), sorted."""
    return sorted(p.parent.name for p in Path(root).glob("workflows/*/statemachine.asl.json"))


def mock_config_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every workflow's ``mock-config.json``: merged, they are the default MockConfigFile."""
    return sorted(Path(root).glob("workflows/*/mock-config.json"))


def module_name(workflow: str) -> str:
    """The Python module name of a workflow's driver: ``ec2-enrichment`` → ``ec2_enrichment``."""
    return workflow.replace("-", "_")
