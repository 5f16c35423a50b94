"""``python -m local validate``: learn on the laptop what Step Functions would only report in the cloud.

Every problem is one line, ``<file>: <State>: <problem> — <what to change>``; the exit code is 1 when there
is any. The checks, in the order they run (``--check NAME`` runs only some):

========================  ===============================================================================
``json``                  definitions are JSON objects; DefinitionUri files exist
``interpreter``           the embedded engine's ASL parser accepts each definition, substitutions applied
``statelint``             PyPI statelint: fields and the graph (unreachable states, missing targets, no end)
``jsonata``               every ``{% … %}`` parses, fills its whole string and sits in a JSONata state
``asl-service``           zero diagnostics from the AWS Toolkit's ASL language service (node, in background)
``substitutions``         every ``${Name}`` provided and every provided name used; placeholders only in strings
``sdk``                   SDK parameters against the botocore API models (names, required, literal types)
``error-names``           Retry/Catch ``ErrorEquals`` name errors the Task's integration can raise, as AWS names them
``mocks``                 MockConfigFile references; every ``Return`` against its API's output shape
                          (``--mock-config FILE``: that file instead of the workflows' own)
``permissions``           every call allowed by its state machine's / function's policies; no ``Action: *``
``triggers``              every rule and pipe starting a workflow: bounded retries, a dead-letter queue it may use
``template``              cfn-lint clean (in background)
``format``                definitions in canonical form (``python -m local fmt``)
``diagrams``              diagram.svg and the README Mermaid blocks up to date (``python -m local graph``)
========================  ===============================================================================
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from local.stack.template import TemplateError
from local.validation.common import Problem, Project
from local.validation.dedupe import one_line_per_problem

CHECKS = ("json", "interpreter", "statelint", "jsonata", "asl-service", "substitutions", "sdk", "error-names",
          "mocks", "permissions", "triggers", "template", "format", "diagrams")


@dataclass
class Report:
    """The outcome of a validation run."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: tuple[str, ...] = ()
    workflows: int = 0
    seconds: float = 0.0


def validate_project(template_path: Path, *, strict: bool = False, checks: tuple[str, ...] | None = None,
                     mock_config: Path | None = None) -> Report:
    """Run the checks over the project of ``template_path``.

    Parameters
    ----------
    template_path : Path
        The SAM template; the project is its folder.
    strict : bool
        Mocks must also carry the API's required fields (like TestState's ``STRICT`` validation).
    checks : tuple of str, optional
        Only these checks (names from :data:`CHECKS`).
    mock_config : Path, optional
        The MockConfigFile the ``mocks`` check reads instead of every workflow's ``mock-config.json``.

    Returns
    -------
    Report
        The problems (empty when the project is ready to deploy) and notes about skipped checks.

    """
    started = time.perf_counter()
    selected = tuple(c for c in CHECKS if checks is None or c in checks)
    unknown = set(checks or ()) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown check(s): {', '.join(sorted(unknown))} (known: {', '.join(CHECKS)})")
    report = Report(checks=selected)
    try:
        project = Project(template_path)
    except TemplateError as error:
        report.problems.append(Problem(Path(template_path).name, "-", str(error), "fix the template"))
        return report
    report.workflows = len(project.workflows)

    # The two checks that run in other processes start first and are read last.
    background = []
    if "asl-service" in selected:
        from local.validation.asl import AslService

        background.append(AslService(project))
    if "template" in selected:
        from local.validation.template import CfnLint

        background.append(CfnLint(project))

    problems: list[Problem] = []
    if "json" in selected:
        problems += project.load_problems
    for name in selected:
        problems += _run(name, project, strict, report.notes, mock_config)
    for job in background:
        found, notes = job.collect()
        problems += found
        report.notes += notes
    report.problems = one_line_per_problem(project, list(dict.fromkeys(problems)))
    report.seconds = time.perf_counter() - started
    return report


def _run(name: str, project: Project, strict: bool, notes: list[str],  # noqa: PLR0911
         mock_config: Path | None = None) -> list[Problem]:
    if name == "interpreter":
        from local.validation.asl import check_interpreter

        return check_interpreter(project)
    if name == "statelint":
        from local.validation.asl import check_statelint

        found, skipped = check_statelint(project)
        notes += skipped
        return found
    if name == "jsonata":
        from local.validation.asl import check_jsonata

        return check_jsonata(project)
    if name == "substitutions":
        from local.validation.substitutions import check_substitutions

        return check_substitutions(project)
    if name == "sdk":
        from local.validation.sdk import check_sdk

        return check_sdk(project)
    if name == "error-names":
        from local.validation.error_names import check_error_names

        return check_error_names(project)
    if name == "mocks":
        from local.validation.mocks import check_mocks

        return check_mocks(project, strict=strict, files=[Path(mock_config)] if mock_config else None)
    if name == "permissions":
        from local.validation.permissions import check_permissions

        return check_permissions(project)
    if name == "triggers":
        from local.validation.triggers import check_triggers

        return check_triggers(project)
    if name == "format":
        from local.validation.fmt import check_format

        return check_format(project)
    if name == "diagrams":
        from local.validation.diagrams import check_diagrams

        return check_diagrams(project)
    return []


def run_validation(template_path: Path, *, strict: bool = False, checks: tuple[str, ...] | None = None,
                   mock_config: Path | None = None) -> int:
    """Print every problem, the notes and a one-line summary; 1 when there are problems, else 0."""
    report = validate_project(template_path, strict=strict, checks=checks, mock_config=mock_config)
    for problem in report.problems:
        print(problem)
    for note in report.notes:
        print(note, file=sys.stderr)
    count = len(report.problems)
    checks = f"{len(report.checks)} check{'s' if len(report.checks) != 1 else ''}"
    summary = (f"validate: {count} problem{'s' if count != 1 else ''} — {report.workflows} workflows, {checks}"
               f"{' (strict mocks)' if strict else ''}, {report.seconds:.1f} s")
    print(summary if count else summary.replace(f"{count} problems", "OK, 0 problems"))
    return 1 if count else 0
