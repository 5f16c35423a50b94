"""What every check shares: the problem line, the project as read once, and walks over definitions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.stack.template import Template, TemplateError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")
#: A whole-string JSONata expression, as Step Functions requires it.
JSONATA = re.compile(r"^\{%(.*)%\}$", re.DOTALL)
#: The project's root (where package.json and node_modules/ live), whatever template is validated.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, printed as ``<file>: <State>: <problem> — <what to change>``.

    Parameters
    ----------
    file : str
        The file to edit, relative to the project root.
    state : str
        The state (or resource, function, test case) concerned; ``-`` for the whole file.
    message : str
        What is wrong.
    fix : str
        What to change.

    """

    file: str
    state: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.state}: {self.message}" + (f" — {self.fix}" if self.fix else "")


def iter_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state of a definition, nested ones (Parallel branches, Map processors) included.

    Parameters
    ----------
    states : dict
        A ``States`` object.

    Yields
    ------
    tuple of (str, dict)
        The state's name and body, parents before their children.

    """
    for name, state in (states or {}).items():
        if not isinstance(state, dict):
            continue
        yield name, state
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from iter_states(branch.get("States") or {})
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, dict):
            yield from iter_states(processor.get("States") or {})


def query_language(definition: dict[str, Any], state: dict[str, Any]) -> str:
    """``JSONata`` or ``JSONPath``: the state's own ``QueryLanguage``, else the definition's (default JSONPath)."""
    return state.get("QueryLanguage") or definition.get("QueryLanguage") or "JSONPath"


def state_fields(state: dict[str, Any]) -> dict[str, Any]:
    """The state's fields without its nested states (those are states of their own)."""
    fields = {k: v for k, v in state.items() if k not in ("Branches", "ItemProcessor", "Iterator")}
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if isinstance(processor, dict):
        fields["ItemProcessor"] = {k: v for k, v in processor.items() if k != "States"}
    return fields


def walk_strings(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every string inside ``value`` (keys excluded) with its path of keys and indexes."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, (*path, index))


def substitute(text: str, values: dict[str, Any]) -> str:
    """Replace every ``${Name}`` of ``values`` in ``text``, as CloudFormation does with DefinitionSubstitutions."""
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    return text


@dataclass
class Workflow:
    """One state machine of the template with its definition as read from disk."""

    logical_id: str
    name: str
    file: str
    path: Path | None
    text: str | None = None
    definition: dict[str, Any] | None = None
    substitutions: dict[str, Any] = field(default_factory=dict)
    raw_substitutions: dict[str, Any] = field(default_factory=dict)

    @property
    def resolved(self) -> dict[str, Any] | None:
        """The definition with the local stack's substitution values (what Step Functions is given)."""
        if self.text is None:
            return None
        try:
            return json.loads(substitute(self.text, self.substitutions))
        except json.JSONDecodeError:
            return None

    def states(self) -> dict[str, dict[str, Any]]:
        """Every state by name, nested ones included."""
        return dict(iter_states((self.definition or {}).get("States") or {}))


class Project:
    """The template and every state machine's definition, read once for all checks.

    Parameters
    ----------
    template_path : Path
        The SAM template; its folder is the project root the relative paths in problems start from.

    """

    def __init__(self, template_path: Path) -> None:
        self.template_path = Path(template_path)
        self.root = self.template_path.parent
        self.load_problems: list[Problem] = []
        self.template = Template(self.template_path)
        self.workflows: list[Workflow] = []
        for resource in self.template.of_type("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            self.workflows.append(self._workflow(resource.logical_id))

    def _workflow(self, logical_id: str) -> Workflow:
        props = self.template.resources[logical_id].properties
        uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
        raw_subs = props.get("DefinitionSubstitutions") or {}
        try:
            values = self.template.resolve(raw_subs)
        except TemplateError as error:
            values = {}
            self.load_problems.append(Problem(self.template_path.name, logical_id,
                                              f"DefinitionSubstitutions cannot be resolved: {error}",
                                              "fix the intrinsic function"))
        if not isinstance(uri, str):
            inline = props.get("Definition")
            text = json.dumps(inline, indent=2) if inline is not None else None
            return Workflow(logical_id, logical_id, f"{self.template_path.name}#{logical_id}", None, text,
                            inline if isinstance(inline, dict) else None, values, raw_subs)
        path = self.root / uri
        parts = Path(uri).parts
        name = parts[1] if len(parts) >= 2 and parts[0] == "workflows" else logical_id
        workflow = Workflow(logical_id, name, uri, path, substitutions=values, raw_substitutions=raw_subs)
        if not path.exists():
            self.load_problems.append(Problem(uri, "-", f"DefinitionUri of {logical_id} points to a missing file",
                                              "create it or fix DefinitionUri in the template"))
            return workflow
        workflow.text = path.read_text(encoding="utf-8")
        try:
            definition = json.loads(workflow.text)
        except json.JSONDecodeError as error:
            self.load_problems.append(Problem(uri, "-", f"not valid JSON: {error}", "fix the JSON syntax"))
            return workflow
        if isinstance(definition, dict):
            workflow.definition = definition
        else:
            self.load_problems.append(Problem(uri, "-", "the definition is not a JSON object",
                                              "write {\"StartAt\": …, \"States\": {…}}"))
        return workflow

    def rel(self, path: Path) -> str:
        """``path`` relative to the project root, for problem lines."""
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def workflow(self, logical_id: str) -> Workflow | None:
        """The workflow of a state machine logical id."""
        return next((w for w in self.workflows if w.logical_id == logical_id), None)

    @property
    def valid(self) -> list[Workflow]:
        """Workflows whose definition could be read."""
        return [w for w in self.workflows if w.definition is not None]


def state_of_path(path: list | tuple, names: set[str] | None = None) -> str:
    """The innermost state a JSON path of a definition lies in (``-`` outside every state)."""
    state = "-"
    items = list(path)
    for index, part in enumerate(items[:-1]):
        if part == "States" and isinstance(items[index + 1], str):
            state = items[index + 1]
    if names is not None and state not in names:
        return "-"
    return state
