"""A TestState request read and checked as AWS checks it, before anything runs.

The order of the checks is AWS's where two could apply: the definition, the state named by ``stateName``,
what ``stateConfiguration`` needs, which states need a mock (Map, Parallel, Activity, ``.sync``,
``.waitForTaskToken``) and which take none (Pass, Fail, Succeed, Choice, Wait), the role, the mock itself
and last the context object. Each refusal carries AWS's error code and, where AWS's text is known, its text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import AWSError

from local.engine.api_models import parse_resource
from local.engine.test_state import mock_validation
from local.engine.test_state.environment import STATE_NAME
from local.engine.test_state.mocking import Mock, Settings

STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")
_CONTEXT_FIELDS: dict[str, dict[str, str]] = {
    "Execution": {"Id": "string", "Input": "any", "Name": "string", "RoleArn": "string", "StartTime": "string",
                  "RedriveCount": "number", "RedriveTime": "string"},
    "State": {"EnteredTime": "string", "Name": "string", "RetryCount": "number"},
    "StateMachine": {"Id": "string", "Name": "string"},
    "Task": {"Token": "string"},
}


class ValidationException(AWSError):
    """The request is refused (HTTP 400 ``ValidationException``)."""

    TYPE = "ValidationException"


class InvalidDefinition(AWSError):
    """The definition is refused (``InvalidDefinition``)."""

    TYPE = "InvalidDefinition"


class InvalidExecutionInput(AWSError):
    """The input is not JSON (``InvalidExecutionInput``)."""

    TYPE = "InvalidExecutionInput"


@dataclass
class TestStateRequest:
    """Everything a run needs, read from a checked request."""

    __test__ = False  # not a pytest test class

    state: dict[str, Any]
    state_type: str
    query_language: str | None  # the definition's own QueryLanguage (the state inherits it)
    jsonpath: bool
    role_arn: str | None
    input: Any
    inspection_level: str
    variables: dict[str, Any] | None
    context: dict[str, Any] | None
    settings: Settings = field(default_factory=Settings)
    component: Any = None  # the interpreter's state, parsed for this request only

    def wrapper_definition(self) -> str:
        """A state machine holding only the state under test, named as AWS names it."""
        wrapper: dict[str, Any] = {"StartAt": STATE_NAME, "States": {STATE_NAME: self.state}}
        if self.query_language:
            wrapper["QueryLanguage"] = self.query_language
        return json.dumps(wrapper)


def _json(text: Any, what: str, error: type[AWSError], message: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError) as problem:
        raise error(message.format(what=what, problem=problem)) from problem


def _schema_error(detail: str) -> InvalidDefinition:
    return InvalidDefinition(f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {detail}'")


def _find_state(states: dict[str, Any], name: str, path: str) -> tuple[dict[str, Any], str] | None:
    """The state called ``name`` anywhere in ``states`` (branches, item processors) and its JSON path."""
    for state_name, state in (states or {}).items():
        if not isinstance(state, dict):
            continue
        where = f"{path}/States/{state_name}"
        if state_name == name:
            return state, where
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                found = _find_state(branch.get("States") or {}, name, f"{where}/Branches/{index}")
                if found:
                    return found
        for key in ("ItemProcessor", "Iterator"):
            processor = state.get(key)
            if isinstance(processor, dict):
                found = _find_state(processor.get("States") or {}, name, f"{where}/{key}")
                if found:
                    return found
    return None


def _select_state(definition: Any, state_name: str | None) -> tuple[dict[str, Any], str, str | None]:
    if not isinstance(definition, dict):
        raise InvalidDefinition("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
                                "The definition must be a JSON object'")
    if state_name is None:
        if "Type" not in definition and "States" in definition:
            raise ValidationException("stateName must be specified to test a state of a state machine definition")
        return definition, f"/States/{STATE_NAME}", None
    if not isinstance(definition.get("States"), dict):
        raise ValidationException("State not found in definition")
    found = _find_state(definition["States"], state_name, "")
    if found is None:
        raise ValidationException("State not found in definition")
    language = definition.get("QueryLanguage")
    return found[0], found[1], language if isinstance(language, str) else None


def _check_schema(state: dict[str, Any], path: str) -> str:
    state_type = state.get("Type")
    if state_type not in STATE_TYPES:
        raise _schema_error(f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}] "
                            f"at {path}/Type")
    if state_type == "Parallel" and not state.get("Branches"):
        raise _schema_error(f"Value cannot be empty at {path}/Branches")
    return state_type


def _parse_with_interpreter(definition: str) -> Any:
    """The interpreter's components for ``definition``, parsed afresh (the run patches them)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    from local.engine.caches import parse_tree

    try:
        tree = parse_tree(definition)
        return Preprocessor().visit(tree).states.states[STATE_NAME]  # with the engine's fixes (tolerance …)
    except ASLParserException as problem:
        raise InvalidDefinition(f"Invalid State Machine Definition: '{problem}'") from problem
    except Exception as problem:  # the interpreter rejects a field value (ValueError, KeyError …)
        raise InvalidDefinition(f"Invalid State Machine Definition: '{type(problem).__name__}: {problem}'") \
            from problem


def _needs_mock(state: dict[str, Any], state_type: str) -> str | None:
    if state_type in ("Map", "Parallel"):
        return ("TestState API does not support Map or Parallel states. Supported state types include: "
                "[Task, Wait, Pass, Succeed, Fail, Choice]")
    if state_type == "Task" and isinstance(state.get("Resource"), str):
        kind, _service, _action, pattern = parse_resource(state["Resource"])
        if kind == "activity" or pattern:
            return ("TestState API supports Activity tasks and the .sync and .waitForTaskToken service "
                    "integration patterns only when a mock is specified")
    return None


def _read_mock(raw: dict[str, Any], reveal_secrets: bool) -> tuple[Mock, str]:
    if reveal_secrets:
        raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")
    if "result" in raw and "errorOutput" in raw:
        raise ValidationException("A test mock should have only one of the following fields: [result, errorOutput].")
    mode = raw.get("fieldValidationMode") or "STRICT"
    if mode not in VALIDATION_MODES:
        raise ValidationException(f"Invalid fieldValidationMode '{mode}': use one of {', '.join(VALIDATION_MODES)}")
    if "errorOutput" in raw:
        error = raw.get("errorOutput") or {}
        return Mock(error=error.get("error"), cause=error.get("cause"), is_error=True), mode
    if "result" not in raw:
        raise ValidationException("A test mock should have one of the following fields: [result, errorOutput].")
    return Mock(result=_json(raw["result"], "result", ValidationException, "Mocked result must be valid JSON")), mode


def _check_mock_fits(request: TestStateRequest, mode: str) -> None:
    mock, state = request.settings.mock, request.state
    failures = request.settings.map_iteration_failure_count
    try:
        if request.state_type == "Map" and not mock.is_error:
            mock_validation.check_map_result(state, mock.result)
            if failures is not None and isinstance(mock.result, list) and failures > len(mock.result):
                raise mock_validation.MockResultError(
                    "Map iteration failure count must be less than or equal to the number of Map iterations")
        elif request.state_type == "Parallel" and not mock.is_error:
            mock_validation.check_parallel_result(state, mock.result)
        elif request.state_type == "Task" and not mock.is_error:
            mock_validation.check_task_result(state.get("Resource"), mock.result, mode)
    except mock_validation.MockResultError as problem:
        raise ValidationException(str(problem)) from problem


def _check_context(context: Any, state: dict[str, Any], state_type: str) -> None:
    prefix = "Invalid Context object provided: "
    if not isinstance(context, dict):
        raise ValidationException(f"{prefix}the context object must be a JSON object")
    for key, value in context.items():
        if key == "Map":
            raise ValidationException(f"{prefix}'Map' field is not supported when mocking a Context object")
        if key not in _CONTEXT_FIELDS:
            raise ValidationException(f"{prefix}Field '{key}' is not allowed")
        if not isinstance(value, dict):
            raise ValidationException(f"{prefix}{key} must be an object")
        for name, item in value.items():
            wanted = _CONTEXT_FIELDS[key].get(name)
            if wanted is None:
                raise ValidationException(f"{prefix}Field '{name}' is not allowed")
            number = isinstance(item, int | float) and not isinstance(item, bool)
            if (wanted == "string" and not isinstance(item, str)) or (wanted == "number" and not number):
                raise ValidationException(f"{prefix}{key}.{name} must be a {wanted}")
    if "Task" in context:
        pattern = parse_resource(state["Resource"])[3] if isinstance(state.get("Resource"), str) else ""
        if state_type != "Task" or not pattern:
            raise ValidationException(f"{prefix}Context object contains 'Task' when state is not a Task state with a "
                                      "'.sync' or '.waitForTaskToken' service integration pattern")


def _configuration(raw: dict[str, Any], mocked: bool, settings: Settings) -> None:
    names = {"mapIterationFailureCount": "MapIterationFailureCount", "errorCausedByState": "ErrorCausedByState",
             "retrierRetryCount": "RetrierRetryCount", "mapItemReaderData": "MapItemReaderData"}
    for key, name in names.items():
        if raw.get(key) is not None and not mocked:
            raise ValidationException(f"TestState does not support {name} when a mock is not specified.")
    settings.retrier_retry_count = int(raw.get("retrierRetryCount") or 0)
    settings.map_iteration_failure_count = raw.get("mapIterationFailureCount")
    settings.map_item_reader_data = _json(raw.get("mapItemReaderData"), "mapItemReaderData", ValidationException,
                                          "mapItemReaderData must be valid JSON: {problem}")


def parse_request(params: dict[str, Any]) -> TestStateRequest:
    """Read and check a TestState request (the API's parameters); raise AWS's error when it is refused."""
    definition = _json(params.get("definition"), "definition", InvalidDefinition,
                       "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {problem}'")
    state_name = params.get("stateName")
    state, path, language = _select_state(definition, state_name)
    state_type = _check_schema(state, path)
    state_language = state.get("QueryLanguage") or language or "JSONPath"
    level = params.get("inspectionLevel") or "INFO"
    if level not in INSPECTION_LEVELS:
        raise ValidationException(f"Invalid inspectionLevel '{level}': use one of {', '.join(INSPECTION_LEVELS)}")
    state_input = _json(params.get("input") or "{}", "input", InvalidExecutionInput,
                        "Invalid State Machine Execution Input: '{problem}'")
    variables = _json(params.get("variables"), "variables", ValidationException,
                      "Invalid variables provided: {problem}")
    if variables is not None and not isinstance(variables, dict):
        raise ValidationException("Invalid variables provided: variables must be a JSON object")
    context = _json(params.get("context"), "context", ValidationException,
                    "Invalid Context object provided: {problem}")
    raw_mock = params.get("mock")
    request = TestStateRequest(state=state, state_type=state_type, query_language=language,
                               jsonpath=state_language != "JSONata", role_arn=params.get("roleArn"),
                               input=state_input, inspection_level=level, variables=variables, context=context)
    request.component = _parse_with_interpreter(request.wrapper_definition())
    _configuration(params.get("stateConfiguration") or {}, raw_mock is not None, request.settings)
    request.settings.state = state
    if raw_mock is None:
        if context is not None:
            raise ValidationException("TestState does not support Context when a mock is not specified.")
        refusal = _needs_mock(state, state_type)
        if refusal:
            raise InvalidDefinition(refusal)
        if state_type == "Task" and not request.role_arn:
            raise ValidationException("RoleArn must be specified when testing a Task state")
        return request
    if state_type not in ("Task", "Map", "Parallel"):
        raise ValidationException(f"State type '{state_type}' is not supported when a mock is specified")
    request.settings.mock, mode = _read_mock(raw_mock, bool(params.get("revealSecrets")))
    _check_mock_fits(request, mode)
    if context is not None:
        _check_context(context, state, state_type)
    return request
