"""SDK calls against the AWS API models in botocore: unknown parameters, missing required ones, wrong types.

Step Functions checks a call's parameters only when an execution reaches the state; a misspelled ``Key``
fails in the cloud, at run time. Parameters are ``Arguments`` (JSONata; ``{% %}`` values are known only at
run time) or ``Parameters`` (JSONPath; keys ending in ``.$`` are dynamic).
"""

from __future__ import annotations

from typing import Any

from local.engine.api_models import (
    ANY_JSON,
    EXTRA_PARAMETERS,
    ShapeChecker,
    close_names,
    operation_model,
    service_model,
)
from local.validation.common import JSONATA, Problem, Project
from local.validation.integrations import Call, calls

_TOKEN = ("$states.context.Task.Token", "$$.Task.Token")


def is_dynamic(value: Any) -> bool:
    """A JSONata expression: its value, and so its type, is only known at run time."""
    return isinstance(value, str) and bool(JSONATA.match(value))


def _camel(operation: str) -> str:
    return operation[:1].lower() + operation[1:]


def check_call(file: str, call: Call) -> list[Problem]:  # noqa: PLR0911 - returns early per kind of mistake
    """Problems of one call (see the module)."""
    problems: list[Problem] = []
    if call.kind == "aws-sdk":
        model = service_model(call.boto or "")
        if model is None:
            return [Problem(file, call.state, f"aws-sdk service {call.service!r} does not exist in the AWS API "
                                              "models", "use the service name Step Functions lists (lower case, "
                                                        "no dashes: eventbridge, sfn, pinpointsmsvoicev2 …)")]
        if call.operation not in model.operation_names:
            names = [_camel(o) for o in model.operation_names]
            return [Problem(file, call.state, f"{model.metadata.get('serviceId')} has no action "
                                              f"{call.action!r}", close_names(call.action, names))]
        if call.pattern.startswith("sync"):
            problems.append(Problem(file, call.state, "aws-sdk integrations do not support .sync",
                                    "remove .sync and poll, or use the optimised integration"))
    if call.pattern == "waitForTaskToken" and not any(token in repr(call.params) for token in _TOKEN):
        problems.append(Problem(file, call.state, f".waitForTaskToken but {call.field} never pass the task "
                                                  "token, so nothing can resume the execution",
                                f"pass {'$$.Task.Token' if call.jsonpath else '$states.context.Task.Token'}"))
    if call.kind not in ("aws-sdk", "optimised") or call.boto is None:
        return problems
    operation = operation_model(call.boto, call.operation or "")
    if operation is None:
        return problems
    params = call.params if call.params is not None else {}
    if is_dynamic(params):
        return problems
    if not isinstance(params, dict):
        return [*problems, Problem(file, call.state, f"{call.field} is not an object", f"write {call.field} as an "
                                                                                       "object of parameters")]
    optimised = call.kind == "optimised"
    checker = ShapeChecker(
        call.what, "input", require=True, is_dynamic=is_dynamic, jsonpath_keys=call.jsonpath,
        any_json=ANY_JSON.get((call.boto, call.operation), set()) if optimised else set(),
        extra=EXTRA_PARAMETERS.get((call.boto, call.operation), {}) if optimised else {},
    )
    for _path, message, fix in checker.check(params, operation.input_shape, (call.field,)):
        problems.append(Problem(file, call.state, message, fix))
    return problems


def check_sdk(project: Project) -> list[Problem]:
    """Every Task state's SDK call of every workflow."""
    problems = []
    for workflow in project.valid:
        for call in calls(workflow):
            problems += check_call(workflow.file, call)
    return problems
