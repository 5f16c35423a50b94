"""``${Placeholders}``: all provided by ``DefinitionSubstitutions``, all used, only inside JSON strings.

A placeholder nobody substitutes reaches Step Functions as the literal text ``${Name}``; one outside a string
makes the file invalid JSON for Workflow Studio.
"""

from __future__ import annotations

import json
import re

from local.validation.common import PLACEHOLDER, Problem, Project, iter_states


def _strings_outside(text: str) -> str:
    """The text with every JSON string blanked out (to find placeholders outside strings)."""
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def check_substitutions(project: Project) -> list[Problem]:
    """Every workflow's placeholders against its state machine's ``DefinitionSubstitutions``."""
    problems: list[Problem] = []
    for workflow in project.workflows:
        if workflow.text is None or workflow.path is None:
            continue
        file, text = workflow.file, workflow.text
        if PLACEHOLDER.search(_strings_outside(text)):
            problems.append(Problem(file, "-", "a ${placeholder} stands outside a JSON string, so Workflow Studio "
                                               "cannot open the file", 'quote it ("${Name}") and convert it in '
                                                                       "JSONata ($number('${Name}'))"))
        used = set(PLACEHOLDER.findall(text))
        provided = set(workflow.raw_substitutions)
        states_using = {
            name: set(PLACEHOLDER.findall(json.dumps(state)))
            for name, state in iter_states((workflow.definition or {}).get("States") or {})
        }
        for name in sorted(used - provided):
            where = next((s for s, names in states_using.items() if name in names), "-")
            problems.append(Problem(file, where, f"${{{name}}} is not provided by DefinitionSubstitutions of "
                                                 f"{workflow.logical_id}", f"add {name} to DefinitionSubstitutions "
                                                                           "in template.yaml"))
        for name in sorted(provided - used):
            problems.append(Problem(file, "-", f"DefinitionSubstitutions of {workflow.logical_id} provides {name}, "
                                               "which the definition never uses",
                                    "remove it from template.yaml or use it"))
    return problems
