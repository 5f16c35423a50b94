"""``python -m local validate``: catch on the laptop what Step Functions would only report in the cloud.

Every problem is one line: ``file: state: what is wrong — what to change``. The checks:

* the definition is JSON and the ASL interpreter accepts it, with its substitutions applied;
* every ``${Name}`` in a definition is provided by ``DefinitionSubstitutions``, every provided name is used,
  and placeholders appear only inside JSON strings;
* every state a MockConfigFile test case mocks exists in its state machine, and every state machine it
  names exists in the template.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.stack.template import Template, TemplateError

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


@dataclass(frozen=True)
class Problem:
    """One finding: where, and what to change."""

    file: str
    state: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.state}: {self.message}"


def iter_states(states: dict[str, Any]):
    """Every state of a definition, nested ones (Parallel branches, Map processors) included."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from iter_states(branch.get("States", {}))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from iter_states(processor.get("States", {}))


def _strings_outside(text: str) -> str:
    """The definition's text with every JSON string blanked out (to find placeholders outside strings)."""
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def check_definition(template: Template, logical_id: str) -> tuple[list[Problem], dict[str, Any] | None]:
    resource = template.resources[logical_id]
    props = resource.properties
    uri = props.get("DefinitionUri")
    file = str(uri) if uri else f"template.yaml#{logical_id}"
    problems: list[Problem] = []
    if not uri:
        return problems, props.get("Definition")
    path = template.root / str(uri)
    if not path.exists():
        return [Problem(file, "-", "DefinitionUri points to a missing file")], None
    text = path.read_text()
    if _PLACEHOLDER.search(_strings_outside(text)):
        problems.append(Problem(file, "-", "a ${placeholder} stands outside a JSON string — Workflow Studio "
                                           "cannot open it; quote it"))
    used = set(_PLACEHOLDER.findall(text))
    provided = set((props.get("DefinitionSubstitutions") or {}).keys())
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as error:
        return [*problems, Problem(file, "-", f"not valid JSON: {error}")], None
    states_using = {
        name: set(_PLACEHOLDER.findall(json.dumps(state))) for name, state in iter_states(definition.get("States", {}))
    }
    for name in sorted(used - provided):
        where = ", ".join(s for s, names in states_using.items() if name in names) or "-"
        problems.append(Problem(file, where, f"${{{name}}} is not provided by DefinitionSubstitutions of "
                                             f"{logical_id} — add it to the template"))
    for name in sorted(provided - used):
        problems.append(Problem(file, "-", f"DefinitionSubstitutions provides {name}, which the definition never "
                                           f"uses — remove it"))
    substituted = text
    for name, value in template.resolve(props.get("DefinitionSubstitutions") or {}).items():
        substituted = substituted.replace("${" + name + "}", str(value))
    try:
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

        from local.engine import adaptations

        adaptations.apply()
        AmazonStateLanguageParser.parse(substituted)
    except Exception as error:
        problems.append(Problem(file, "-", f"the ASL interpreter rejects the definition: {error}"))
    return problems, definition


def check_mock_configs(template: Template, definitions: dict[str, dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    for path in sorted(template.root.glob("workflows/*/mock-config.json")):
        file = str(path.relative_to(template.root))
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            problems.append(Problem(file, "-", f"not valid JSON: {error}"))
            continue
        responses = raw.get("MockedResponses", {})
        for machine, body in (raw.get("StateMachines") or {}).items():
            if machine not in definitions:
                problems.append(Problem(file, "-", f"state machine {machine!r} is not a state machine logical id "
                                                   "of the template"))
                continue
            states = dict(iter_states(definitions[machine].get("States", {})))
            for case, mapping in (body.get("TestCases") or {}).items():
                for state, response in mapping.items():
                    if state not in states:
                        problems.append(Problem(file, state, f"test case {case} mocks a state that {machine} "
                                                             "does not have"))
                    elif states[state].get("Type") != "Task":
                        problems.append(Problem(file, state, f"test case {case} mocks a {states[state].get('Type')} "
                                                             "state; only Task states can be mocked"))
                    if response not in responses:
                        problems.append(Problem(file, state, f"test case {case} uses mocked response {response!r}, "
                                                             "which MockedResponses does not define"))
    return problems


def validate_project(template_path: Path) -> list[Problem]:
    """Run every check; returns the problems found (empty when the project is ready to deploy)."""
    try:
        template = Template(template_path)
    except TemplateError as error:
        return [Problem(template_path.name, "-", str(error))]
    problems: list[Problem] = []
    definitions: dict[str, dict[str, Any]] = {}
    for resource in template.of_type("AWS::Serverless::StateMachine"):
        found, definition = check_definition(template, resource.logical_id)
        problems += found
        if definition is not None:
            definitions[resource.logical_id] = definition
    problems += check_mock_configs(template, definitions)
    return problems


def run_validation(template_path: Path) -> int:
    problems = validate_project(template_path)
    for problem in problems:
        print(problem)
    count = len(problems)
    print(f"validate: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
    return 1 if problems else 0
