"""The workflows the local tools know, each with its driver, derived from the project, never listed by hand.

A workflow is a state machine of ``template.yaml`` whose definition lies in ``workflows/<name>/``. Its driver
is the module ``local/workflows/<name>.py`` (dashes as underscores) with ``DRIVER``, a
:class:`~local.workflows.driver.Driver`. Tools iterate :func:`registry`; a workflow without a driver is
reported as skipped with the reason (and ``tests/unit/test_registry.py`` fails), never left out silently.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from local.paths import PROJECT_ROOT, module_name, workflow_names
from local.stack.stack import Stack
from local.stack.template import Template
from local.workflows.driver import Driver, Journey


class UnknownWorkflow(ValueError):
    """A workflow name (``--only``, ``run``) that is not a workflow of the project."""


@dataclass
class Registry:
    """The project's workflows (in template order) and their drivers; ``missing``: workflow → why it has no driver."""

    root: Path
    workflows: list[str]
    drivers: dict[str, Driver] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def select(self, only: list[str] | None) -> list[str]:
        """The workflows ``--only`` names (all when None), in project order; an unknown name is an error."""
        unknown = [name for name in only or [] if name not in self.workflows]
        if unknown:
            raise UnknownWorkflow(f"unknown workflow{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                                  f"(known: {', '.join(self.workflows) or 'none'})")
        return [name for name in self.workflows if not only or name in only]

    def driver(self, workflow: str) -> Driver | None:
        """The workflow's driver, or None (see :attr:`missing`)."""
        return self.drivers.get(workflow)

    def skipped(self, workflow: str) -> str:
        """``skipped: <workflow>: <why>`` for a workflow without a driver."""
        return f"skipped: {workflow}: {self.missing.get(workflow, 'no driver')}"

    def journeys(self, stack: Stack, only: list[str] | None = None,
                 main_only: bool = False) -> tuple[list[Journey], list[str]]:
        """The business paths of the chosen workflows (``main_only``: one each), and a ``skipped:`` line per other.

        Each driver prepares what its paths need on ``stack`` (an instance, an uploaded object) once.
        """
        journeys, skipped = [], []
        for workflow in self.select(only):
            driver = self.driver(workflow)
            found = [j for j in driver.journeys(stack) if j.main or not main_only] if driver else []
            if driver is None:
                skipped.append(self.skipped(workflow))
            elif not found:
                skipped.append(f"skipped: {workflow}: its driver has no {'main ' if main_only else ''}journey "
                               "(journeys)")
            journeys += found
        return journeys, skipped


def _load(workflow: str) -> Driver | str:
    module = f"local.workflows.{module_name(workflow)}"
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise
        return f"no driver (local/workflows/{module_name(workflow)}.py)"
    driver = getattr(loaded, "DRIVER", None)
    if not isinstance(driver, Driver):
        return f"local/workflows/{module_name(workflow)}.py defines no DRIVER"
    if driver.name != workflow:
        return f"local/workflows/{module_name(workflow)}.py drives {driver.name!r}, not {workflow!r}"
    return driver


def registry(root: Path = PROJECT_ROOT, template: Template | None = None) -> Registry:
    """The workflows of the project at ``root``: state machines of its template with a folder, and their drivers.

    ``template``: the project's template already read (a stack's); else ``root/template.yaml`` is read (once
    per version of the file).
    """
    if template is None:
        path = Path(root).resolve() / "template.yaml"
        return _registry_of(path, path.stat().st_mtime_ns if path.exists() else 0)
    return _derive(Path(root), template)


@functools.lru_cache(maxsize=8)
def _registry_of(template_path: Path, _version: int) -> Registry:
    return _derive(template_path.parent, Template(template_path))


def _derive(root: Path, template: Template) -> Registry:
    folders = set(workflow_names(root))
    machines = list(template.workflows())  # in the template's order: the order tools play them
    found = Registry(Path(root), machines + sorted(folders - set(machines)))
    for workflow in found.workflows:
        if workflow not in machines:
            found.missing[workflow] = f"no state machine in {template.path.name} (DefinitionUri workflows/{workflow}/…)"
        elif workflow not in folders:
            found.missing[workflow] = f"workflows/{workflow}/statemachine.asl.json is missing"
        else:
            driver = _load(workflow)
            if isinstance(driver, Driver):
                found.drivers[workflow] = driver
            else:
                found.missing[workflow] = driver
    return found


def selected(template: str | Path, only: list[str] | None) -> list[str]:
    """The workflows ``--only`` chooses in the project of ``template`` (checked before a stack is launched)."""
    return registry(Path(template).resolve().parent).select(only)
