"""MockConfigFile test cases: they name real states and responses, and every ``Return`` looks like the real API.

A mock that no longer matches the API it stands for makes a test pass that the cloud would fail. Each
``Return`` is checked against the output shape of the operation its state calls, as the TestState API's
``fieldValidationMode`` does: by default like ``PRESENT`` (no unknown field, every present field of the right
type), with ``strict`` like ``STRICT`` (required fields too). ``Throw`` responses are not checked.

Mocks of Lambda states (``lambda:invoke``: ``{"StatusCode": …, "Payload": …}``) are checked against the
handler's result schema when its module docstring names one, on a line
``Result schema: schemas/<name>.schema.json``.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path
from typing import Any

from local.engine.api_models import ANY_JSON, ShapeChecker, describe, has_type, operation_model
from local.validation.common import Problem, Project, Workflow
from local.validation.integrations import Call, calls

_SCHEMA_LINE = re.compile(r"(?:Result|Response) schema:\s*`{0,2}(schemas/[\w.\-/]+\.json)")
#: What optimised integrations add to the API's result.
_SDK_METADATA: dict[str, str | None] = {"SdkHttpMetadata": None, "SdkResponseMetadata": None}
_LAMBDA_RESULT = {"StatusCode": "integer", "Payload": None, "ExecutedVersion": "string", "FunctionError": "string",
                  "LogResult": "string", "SdkHttpMetadata": "structure", "SdkResponseMetadata": "structure"}


def _never_dynamic(_value: Any) -> bool:
    return False


def check_references(project: Project, raw: dict[str, Any], file: str) -> list[Problem]:
    """Test cases name state machines and states that exist, and responses MockedResponses defines."""
    problems: list[Problem] = []
    responses = raw.get("MockedResponses") or {}
    for machine, body in (raw.get("StateMachines") or {}).items():
        workflow = project.workflow(machine)
        if workflow is None or workflow.definition is None:
            if workflow is None:
                problems.append(Problem(file, "-", f"state machine {machine!r} is not a state machine logical id "
                                                   "of the template", "use the logical id from template.yaml"))
            continue
        states = workflow.states()
        for case, mapping in (body.get("TestCases") or {}).items():
            for state, response in mapping.items():
                if state not in states:
                    problems.append(Problem(file, state, f"test case {case} mocks a state that {machine} does not "
                                                         "have", "rename it to an existing state or remove it"))
                elif states[state].get("Type") != "Task":
                    problems.append(Problem(file, state, f"test case {case} mocks a {states[state].get('Type')} "
                                                         "state", "only Task states can be mocked: remove it"))
                if response not in responses:
                    problems.append(Problem(file, state, f"test case {case} uses mocked response {response!r}, "
                                                         "which MockedResponses does not define",
                                            "define it or fix the name"))
    return problems


@functools.lru_cache(maxsize=32)
def _handler_schema(root: Path, module: Path) -> tuple[str, dict[str, Any]] | None:
    try:
        docstring = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        return None
    match = _SCHEMA_LINE.search(docstring)
    if not match:
        return None
    path = root / match.group(1)
    try:
        return match.group(1), json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return match.group(1), {}


def function_of(project: Project, reference: Any) -> str | None:
    """The logical id of the template function a name or ARN (possibly qualified) designates."""
    if not isinstance(reference, str):
        return None
    for resource in project.template.of_type("AWS::Serverless::Function", "AWS::Lambda::Function"):
        arn = resource.attributes.get("Arn", "")
        if reference in (resource.ref, arn) or (arn and reference.startswith(arn + ":")):
            return resource.logical_id
    return None


def handler_module(project: Project, logical_id: str) -> Path | None:
    """The handler's source file (``CodeUri`` + the module part of ``Handler``)."""
    props = project.template.resources[logical_id].properties
    globals_ = (project.template.body.get("Globals") or {}).get("Function") or {}
    code_uri, handler = props.get("CodeUri", globals_.get("CodeUri")), props.get("Handler", globals_.get("Handler"))
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        return None
    module = handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
    path = project.root / code_uri / module
    return path if path.exists() else None


def _payload_problems(project: Project, file: str, call: Call, label: str, payload: Any) -> list[Problem]:
    reference = call.resource if call.kind == "lambda-function" else (call.params or {}).get("FunctionName") \
        if isinstance(call.params, dict) else None
    function = function_of(project, reference)
    module = handler_module(project, function) if function else None
    found = _handler_schema(project.root, module) if module else None
    if not found:
        return []
    schema_file, schema = found
    if not schema:
        return [Problem(project.rel(module), function or "-", f"the docstring names {schema_file}, which is "
                                                               "missing or not JSON", "fix the path")]
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = next(iter(sorted(validator.iter_errors(payload), key=lambda e: list(e.path))), None)
    if error is None:
        return []
    where = "Payload" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
    return [Problem(file, call.state, f"{label}: {where} does not match {function}'s result schema "
                                      f"{schema_file}: {error.message}", "make the mock return what the handler "
                                                                          "returns")]


def _return_problems(  # noqa: PLR0911 - one branch per kind of integration
        project: Project, file: str, call: Call, label: str, value: Any, strict: bool) -> list[Problem]:
    if call.pattern == "waitForTaskToken":
        return []  # the result is whatever SendTaskSuccess is given
    if call.kind == "lambda-function":
        return _payload_problems(project, file, call, label, value)
    if call.kind == "optimised" and call.boto == "lambda" and call.operation == "Invoke":
        problems = []
        if not isinstance(value, dict):
            return [Problem(file, call.state, f"{label}: a lambda:invoke result is an object, not {describe(value)}",
                            'return {"StatusCode": 200, "Payload": …}')]
        for key, item in value.items():
            expected = _LAMBDA_RESULT.get(key, "unknown")
            if expected == "unknown":
                problems.append(Problem(file, call.state, f"{label}: {key} is not a field of a lambda:invoke result",
                                        "keep StatusCode, Payload, ExecutedVersion, FunctionError, LogResult"))
            elif expected and not has_type(item, expected):
                wanted = {"integer": "an integer", "structure": "an object"}.get(expected, "a string")
                problems.append(Problem(file, call.state, f"{label}: {key} is {describe(item)}, not {wanted}",
                                        "fix its type"))
        if strict:
            problems += [Problem(file, call.state, f"{label}: a lambda:invoke result has {key}", f"add {key}")
                         for key in ("StatusCode", "Payload") if key not in value]
        if "Payload" in value:
            problems += _payload_problems(project, file, call, label, value["Payload"])
        return problems
    if call.kind not in ("aws-sdk", "optimised") or call.boto is None:
        return []
    operation_name = call.operation or ""
    any_json: set[tuple] = set()
    if call.boto == "stepfunctions" and operation_name == "StartExecution" and call.pattern.startswith("sync"):
        operation_name = "DescribeExecution"  # .sync returns the child execution's description
        any_json = {("Output",)} if call.pattern == "sync:2" else set()
    operation = operation_model(call.boto, operation_name)
    if operation is None or operation.output_shape is None:
        return []
    optimised = call.kind == "optimised"
    checker = ShapeChecker(f"{call.what}", "output", require=strict, is_dynamic=_never_dynamic,
                           any_json=any_json or (ANY_JSON.get((call.boto, operation_name), set()) if optimised
                                                 else set()),
                           extra=_SDK_METADATA if optimised else {})
    return [Problem(file, call.state, f"{label}: {message}", fix)
            for _path, message, fix in checker.check(value, operation.output_shape, ())]


def check_mocks(project: Project, strict: bool = False, files: list[Path] | None = None) -> list[Problem]:
    """Every ``workflows/*/mock-config.json`` (or ``files``): references, then each ``Return`` against its API."""
    problems: list[Problem] = []
    for path in files if files is not None else sorted(project.root.glob("workflows/*/mock-config.json")):
        file = project.rel(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            problems.append(Problem(file, "-", f"not valid JSON: {error}", "fix the JSON syntax"))
            continue
        except OSError as error:
            problems.append(Problem(file, "-", f"cannot be read: {error.strerror}", "pass an existing file"))
            continue
        problems += check_references(project, raw, file)
        responses = raw.get("MockedResponses") or {}
        seen: set[tuple[str, str, str]] = set()
        calls_of: dict[str, dict[str, Call]] = {}
        for machine, body in (raw.get("StateMachines") or {}).items():
            workflow: Workflow | None = project.workflow(machine)
            if workflow is None or workflow.definition is None:
                continue
            by_state = calls_of.setdefault(machine, {c.state: c for c in calls(workflow)})
            for mapping in (body.get("TestCases") or {}).values():
                for state, response in mapping.items():
                    if (machine, state, response) in seen or state not in by_state or response not in responses:
                        continue
                    seen.add((machine, state, response))
                    for attempt, entry in (responses[response] or {}).items():
                        if isinstance(entry, dict) and "Return" in entry:
                            label = f"mocked response {response} ({attempt})"
                            problems += _return_problems(project, file, by_state[state], label, entry["Return"],
                                                         strict)
    return problems
