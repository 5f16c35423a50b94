"""The SAM template: cfn-lint clean (the pinned version, run in its own process beside the other checks)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from local.validation.common import Problem, Project

_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+):\d+:\d+:(?P<rule>[EWI]\d+):(?P<message>.*)$")
_RUN_CFN_LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"


def _owners(path: Path) -> dict[int, str]:
    """Line number → the resource (or ``Section.Key``) it belongs to."""
    owners, section, key = {}, "", "-"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        top = re.match(r"^([A-Za-z0-9]+):", line)
        second = re.match(r"^  ([A-Za-z0-9]+):", line)
        if top:
            section, key = top.group(1), top.group(1)
        elif second:
            key = second.group(1) if section == "Resources" else f"{section}.{second.group(1)}"
        owners[number] = key
    return owners


class CfnLint:
    """cfn-lint over the template, started at once and read at the end."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.note = ""
        try:
            import cfnlint  # noqa: F401 - only to know it is installed
        except ImportError:
            self.process = None
            self.note = "note: cfn-lint is not installed (pip install -e '.[dev]'): the template check was skipped"
            return
        # Run from the template's folder, so that a .cfnlintrc there applies.
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RUN_CFN_LINT, "--format", "parseable", project.template_path.name],
            cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )

    def collect(self) -> tuple[list[Problem], list[str]]:
        """Problems, one per cfn-lint finding, named by the resource they are in."""
        if self.process is None:
            return [], [self.note]
        out, err = self.process.communicate(timeout=300)
        file = self.project.rel(self.project.template_path)
        owners = _owners(self.project.template_path)
        problems = []
        for line in out.splitlines():
            match = _LINE.match(line)
            if not match:
                continue
            number = int(match.group("line"))
            problems.append(Problem(file, owners.get(number, "-"),
                                    f"cfn-lint {match.group('rule')} (line {number}): {match.group('message').strip()}",
                                    "fix the template (rule docs: https://github.com/aws-cloudformation/cfn-lint/"
                                    "blob/main/docs/rules.md)"))
        if not problems and self.process.returncode not in (0, None) and err.strip():
            problems.append(Problem(file, "-", f"cfn-lint failed: {err.strip().splitlines()[-1]}",
                                    "run cfn-lint template.yaml to see why"))
        return problems, []
