"""``python -m local new NAME``: a new workflow, every file in place, working from the first run.

It writes the workflow's folder (definition, MockConfigFile test cases, console input and trigger event, demo
data, README with its diagram), its schemas, its driver (``local/workflows/<name>.py``) and its tests, and
inserts its resources and outputs into ``template.yaml`` as text, between ``# --- <name> resources`` markers,
so the file's comments and layout stay as they are. Nothing is written unless all of it can be: an existing
file or logical id of the same name is an error. Right after, ``make validate``, ``make test`` and ``make demo``
pass with the new workflow included.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from local.graph import render_workflow
from local.scaffold import code, files, texts
from local.scaffold.files import Names
from local.stack.template import TemplateError, load_yaml, parse_yaml
from local.validation.fmt import canonical

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
#: Longest name: its logical ids (``<Name>StateMachineRequested``…) and generated code stay readable.
MAX_NAME = 32
#: What the new workflow's template blocks need from the template.
REQUIRED = {"Parameters": ["LogRetentionDays"], "Resources": ["ApplicationEventBus"]}


class ScaffoldError(ValueError):
    """The workflow cannot be created as asked (a bad name, something of that name exists)."""


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _section_end(lines: list[str], key: str) -> int | None:
    """The index after the last non-blank line of top-level section ``key:`` (None without the section)."""
    tops = [i for i, line in enumerate(lines) if re.match(r"^[A-Za-z][A-Za-z0-9]*:", line)]
    start = next((i for i in tops if lines[i].startswith(f"{key}:")), None)
    if start is None:
        return None
    end = next((i for i in tops if i > start), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def insert_blocks(template: str, resources: str, outputs: str) -> str:
    """``template`` with ``resources`` at the end of ``Resources:`` and ``outputs`` at the end of ``Outputs:``."""
    lines = template.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    end = _section_end(lines, "Resources")
    if end is None:
        raise ScaffoldError("the template has no Resources section")
    lines[end:end] = [resources]
    end = _section_end(lines, "Outputs")
    if end is None:
        lines += ["\nOutputs:\n", outputs]
    else:
        lines[end:end] = [outputs]
    return "".join(lines)


def planned_files(root: Path, names: Names) -> dict[Path, str]:
    """Every file to write (template.yaml included, with its new blocks), by path."""
    folder = root / "workflows" / names.name
    template_path = root / "template.yaml"
    template = template_path.read_text(encoding="utf-8")
    body = load_yaml(template_path)
    for section, keys in REQUIRED.items():
        missing = [key for key in keys if key not in (body.get(section) or {})]
        if missing:
            raise ScaffoldError(f"template.yaml has no {section} {', '.join(missing)}: the new workflow uses it")
    bus = "            EventBusName: !Ref ApplicationEventBus\n"
    planned = {
        folder / "statemachine.asl.json": canonical(files.definition(names)),
        folder / "mock-config.json": _json(files.mock_config(names)),
        folder / "events" / "console-start.json": _json(files.console_start()),
        folder / "events" / f"{names.name}-requested.json": _json(files.trigger_event(names)),
        folder / "events" / "demo.json": _json(files.demo(names)),
        folder / "README.md": texts.fill(texts.README, names),
        root / "local" / "workflows" / f"{names.module}.py": texts.fill(code.DRIVER, names),
        root / "tests" / "workflows" / f"test_{names.module}.py": texts.fill(code.TESTS, names),
        template_path: insert_blocks(template, texts.fill(texts.RESOURCES, names).replace("__BUS__", bus),
                                     texts.fill(texts.OUTPUTS, names)),
    }
    for file, schema in files.schemas(names).items():
        planned[root / "schemas" / file] = _json(schema)
    return planned


def scaffold(root: Path, name: str) -> list[Path]:
    """Create workflow ``name`` in the project at ``root``; the paths written (template.yaml last)."""
    if not NAME.match(name) or len(name) > MAX_NAME:
        raise ScaffoldError(f"{name!r} is not a workflow name: lower-case words joined by hyphens "
                            f"(order-notification), at most {MAX_NAME} characters")
    names = Names(name)
    root = Path(root)
    body = load_yaml(root / "template.yaml")
    taken = [lid for lid in names.logical_ids if lid in (body.get("Resources") or {})]
    if taken:
        raise ScaffoldError(f"template.yaml already has {', '.join(taken)}: choose another name")
    planned = planned_files(root, names)
    existing = [str(p.relative_to(root)) for p in planned if p.exists() and p.name != "template.yaml"]
    if existing or (root / "workflows" / name).exists():
        raise ScaffoldError(f"workflow {name} exists already ({', '.join(existing) or f'workflows/{name}/'})")
    try:  # the new template must still read as YAML and hold the new resources
        parsed = parse_yaml(planned[root / "template.yaml"])
    except TemplateError as error:
        raise ScaffoldError(f"template.yaml would not be valid YAML with the new resources: {error}") from error
    if not set(names.logical_ids) <= set(parsed.get("Resources") or {}):
        raise ScaffoldError("the new resources would not land in template.yaml's Resources section")
    written = []
    for path, content in sorted(planned.items(), key=lambda item: item[0].name == "template.yaml"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    render_workflow(root / "workflows" / name)  # diagram.svg and the README's Mermaid block
    return written


def run_new(args: argparse.Namespace) -> int:
    """``python -m local new NAME``: create the workflow and say what was made and what to change next."""
    root = Path(args.template).resolve().parent
    try:
        written = scaffold(root, args.name)
    except TemplateError as error:
        raise ScaffoldError(str(error)) from error
    names = Names(args.name)
    print(f"Created workflow {args.name}:")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(f"  workflows/{args.name}/diagram.svg")
    print(f"  template.yaml: {', '.join(names.logical_ids)} (between the '# --- {args.name} resources' markers) "
          f"and 2 outputs")
    print("\nNext: make validate && make test && make demo (the new workflow is included), then change it: "
          "README.md, \"Adding a workflow\".")
    return 0
