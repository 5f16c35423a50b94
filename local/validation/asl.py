"""ASL validity: the local interpreter, statelint's graph checks, JSONata syntax, and the VS Code ASL service.

Step Functions only checks a JSONata expression when an execution evaluates it, and a definition's graph when
it is created in the cloud; these checks do both on the laptop.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from local.engine.api_models import dotted
from local.validation.common import (
    JSONATA,
    PROJECT_ROOT,
    Problem,
    Project,
    Workflow,
    iter_states,
    query_language,
    state_fields,
    substitute,
    walk_strings,
)

#: The node script that runs the ASL language service over every definition in one process.
ASL_SERVICE_SCRIPT = Path(__file__).with_name("asl-service.js")
ASL_SERVICE_PACKAGE = PROJECT_ROOT / "node_modules" / "amazon-states-language-service"

# Fields that take a JSONata expression in JSONata states, which statelint 3.1 still types as numbers/strings.
_JSONATA_FIELDS = {
    "TimeoutSeconds", "HeartbeatSeconds", "Seconds", "Timestamp", "MaxConcurrency", "ToleratedFailureCount",
    "ToleratedFailurePercentage", "Items", "Error", "Cause", "Arguments", "Output", "Condition", "MaxItems",
}
_STATELINT_JSONATA_FALSE_POSITIVE = re.compile(
    r'^State Machine\.(?P<path>\S+)\.(?P<field>\w+) is "\{%.*%\}" but should')


def check_interpreter(project: Project) -> list[Problem]:
    """The embedded engine's ASL parser accepts every definition with its substitutions applied."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    from local import engine

    engine.apply()
    problems = []
    for workflow in project.valid:
        resolved = workflow.resolved
        if resolved is None:
            continue
        try:
            AmazonStateLanguageParser.parse(json.dumps(resolved))
        except Exception as error:
            problems.append(Problem(workflow.file, "-", f"the ASL interpreter rejects the definition: {error}",
                                    "fix the definition as the message says"))
    return problems


def _statelint_state(message: str, names: set[str]) -> str:
    match = re.search(r"State Machine(\.\S+)?", message)
    if not match:
        return "-"
    tokens = [re.sub(r"\[\d+\]$", "", t) for t in match.group(0).split(".")]
    candidates = [tokens[1]] if len(tokens) > 1 and tokens[1] not in ("States",) else []
    for index, token in enumerate(tokens[:-1]):
        if token in ("States", "ItemProcessor", "Iterator"):
            candidates.append(tokens[index + 1])
    found = [c for c in candidates if c in names]
    return found[-1] if found else "-"


def _statelint_fix(message: str) -> str:
    if message.startswith("No state found named"):
        return "point Next/Default at an existing state, or add the state"
    if message.startswith("No transition found to state"):
        return "reach the state from another one (Next, Default, Choices, Catch) or remove it"
    if message.startswith("No terminal state found"):
        return 'add a Succeed or Fail state, or "End": true'
    return "correct the field as the ASL specification says"


def check_statelint(project: Project) -> tuple[list[Problem], list[str]]:
    """PyPI ``statelint``: fields, types and the graph (unreachable states, missing targets, no terminal state)."""
    try:
        from statelint.config import Config
        from statelint.linter import Linter
    except ImportError:
        return [], ["note: statelint is not installed (pip install -e '.[dev]'): the statelint check was skipped"]
    problems = []
    for workflow in project.valid:
        definition = workflow.definition or {}
        states = workflow.states()
        for message in Linter.validate(definition, Config()):
            false_positive = _STATELINT_JSONATA_FALSE_POSITIVE.match(message)
            state = _statelint_state(message, set(states))
            if false_positive and false_positive.group("field") in _JSONATA_FIELDS and (
                state == "-" or query_language(definition, states[state]) == "JSONata"
            ):
                continue  # statelint 3.1 does not know these fields take JSONata; the JSONata check parses them
            problems.append(Problem(workflow.file, state, f"statelint: {message}", _statelint_fix(message)))
    return problems, []


def check_jsonata(project: Project) -> list[Problem]:
    """Every ``{% … %}`` string parses as JSONata, stands alone in its string, and sits in a JSONata state."""
    import jsonata

    problems = []
    for workflow in project.valid:
        resolved = workflow.resolved or {}
        for name, state in iter_states(resolved.get("States") or {}):
            language = query_language(resolved, state)
            for path, text in walk_strings(state_fields(state)):
                if "Comment" in path or "{%" not in text:
                    continue
                where = dotted(path)
                match = JSONATA.match(text.strip()) if text.strip() == text else None
                if language != "JSONata":
                    problems.append(Problem(workflow.file, name, f"{where} holds a JSONata expression in a "
                                                                 "JSONPath state, where it is a plain string",
                                            'set "QueryLanguage": "JSONata" or write it in JSONPath'))
                elif not match:
                    problems.append(Problem(workflow.file, name, f"{where} mixes text and {{% … %}}: a JSONata "
                                                                 "expression must be the whole string",
                                            "move the text into the expression ('text' & $value)"))
                else:
                    try:
                        jsonata.Jsonata(match.group(1))
                    except Exception as error:
                        problems.append(Problem(workflow.file, name, f"{where}: JSONata syntax error: {error}",
                                                "fix the expression"))
    return problems


class AslService:
    """The ASL language service of the AWS Toolkit for VS Code, run in one node process in the background.

    Workflow Studio and the console open a deployed definition, with its substitutions filled in: that form
    is what the service sees. Substitution values hold no line breaks, so its lines are the file's.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.note = ""
        self.process: subprocess.Popen | None = None
        self.workflows: dict[str, Workflow] = {}
        node = shutil.which("node")
        if node is None:
            self.note = ("note: node/npm not found — the ASL language-service check was skipped "
                         "(install Node.js 18+ with npm; make validate then installs the service)")
            return
        if not ASL_SERVICE_PACKAGE.exists():
            self.note = ("note: node_modules/ lacks amazon-states-language-service — the ASL language-service "
                         "check was skipped (run npm ci, which make validate does)")
            return
        entries = []
        for workflow in project.valid:
            if workflow.text is None:
                continue
            entries.append({"file": workflow.file, "text": substitute(workflow.text, workflow.substitutions)})
            self.workflows[workflow.file] = workflow
        self.process = subprocess.Popen(  # started now, read at the end: it runs beside the Python checks
            [node, str(ASL_SERVICE_SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=PROJECT_ROOT, text=True, encoding="utf-8",
        )
        self._input = json.dumps(entries)

    def collect(self) -> tuple[list[Problem], list[str]]:
        """Wait for the node process and turn its diagnostics into problems."""
        if self.process is None:
            return [], [self.note] if self.note else []
        out, err = self.process.communicate(self._input, timeout=120)
        if self.process.returncode != 0:
            return [Problem("local/validation/asl-service.js", "-", f"the ASL language service failed: "
                                                                    f"{err.strip().splitlines()[-1:]}",
                            "run npm ci, then make validate again")], []
        problems = []
        for result in json.loads(out or "[]"):
            workflow = self.workflows[result["file"]]
            names = set(workflow.states())
            for diagnostic in result["diagnostics"]:
                state = _state_of(diagnostic["path"], names)
                where = dotted(tuple(_after_state(diagnostic["path"])))
                location = f"{where} (line {diagnostic['line']})" if where else f"line {diagnostic['line']}"
                problems.append(Problem(workflow.file, state, f"ASL language service {diagnostic['severity']} at "
                                                              f"{location}: {diagnostic['message']}",
                                        "fix it as Workflow Studio / VS Code would ask"))
        return problems, []


def _state_of(path: list[Any], names: set[str]) -> str:
    state = "-"
    for index, part in enumerate(path[:-1]):
        if part == "States" and path[index + 1] in names:
            state = path[index + 1]
    return state


def _after_state(path: list[Any]) -> list[Any]:
    last = max((i for i, part in enumerate(path[:-1]) if part == "States"), default=-2)
    return path[last + 2:] if last >= 0 else path
