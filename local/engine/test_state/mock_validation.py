"""A mocked result checked against the API it stands for, as TestState's ``fieldValidationMode`` does.

``STRICT`` (the default): the output shape's required members are present and every present member has the
right type; ``PRESENT``: only present members are checked; ``NONE``: nothing is. Members the API does not
have are accepted (AWS's forward compatibility). Names are compared as Step Functions writes them: the
model's member name with a capital first letter (``executionArn`` → ``ExecutionArn``).

The output shapes come from the botocore models the pre-deploy checks read (:mod:`local.engine.api_models`);
the integration behind a ``Resource`` is resolved as they resolve it (:func:`local.engine.api_models.parse_resource`).
Map and Parallel results are checked for their shape: an array (a Map with a ``ResultWriter``: an object),
one item per Parallel branch.
"""

from __future__ import annotations

from typing import Any

from local.engine.api_models import (
    ANY_JSON,
    OPTIMISED_SERVICES,
    has_type,
    is_sdk_service,
    operation_model,
    parse_resource,
    pascal,
)

PREFIX = "Mock result schema validation error: "
_EXPECTED = {"string": "a string", "timestamp": "a string", "blob": "a string", "integer": "a number",
             "long": "a number", "float": "a number", "double": "a number", "boolean": "a boolean",
             "list": "an array", "map": "an object", "structure": "an object"}


class MockResultError(ValueError):
    """The mocked result does not fit the state (the message is AWS's)."""


def _sfn_cased(name: str) -> str:
    return name[:1].upper() + name[1:]


def _check_limits(value: Any, shape: Any, name: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("string", "blob"):
        if low is not None and len(value) < low:
            raise MockResultError(f"{PREFIX}Field '{name}' is smaller than the minimum length")
        if high is not None and len(value) > high:
            raise MockResultError(f"{PREFIX}Field '{name}' exceeds the maximum length")
    elif shape.type_name in ("integer", "long", "float", "double"):
        if low is not None and value < low:
            raise MockResultError(f"{PREFIX}Field '{name}' is less than the minimum value")
        if high is not None and value > high:
            raise MockResultError(f"{PREFIX}Field '{name}' exceeds the maximum value")


def _check(value: Any, shape: Any, name: str, path: tuple, strict: bool, any_json: set[tuple]) -> None:
    if path in any_json or shape.type_name == "document":
        return
    if not has_type(value, shape.type_name, numeric_timestamps=False):  # AWS wants ISO 8601 text
        if not path:
            raise MockResultError(f"{PREFIX}The mocked result must be {_EXPECTED[shape.type_name]}")
        raise MockResultError(f"{PREFIX}Field '{name}' must be {_EXPECTED.get(shape.type_name, 'valid')}")
    if shape.type_name == "structure":
        _check_structure(value, shape, path, strict, any_json)
    elif shape.type_name == "list":
        for item in value:
            _check(item, shape.member, name, (*path, "*"), strict, any_json)
    elif shape.type_name == "map":
        for item in value.values():
            _check(item, shape.value, name, (*path, "*"), strict, any_json)
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        raise MockResultError(f"{PREFIX}Field '{name}' is not an expected value")
    else:
        _check_limits(value, shape, name)


def _check_structure(value: dict[str, Any], shape: Any, path: tuple, strict: bool, any_json: set[tuple]) -> None:
    members = {_sfn_cased(member): (member, member_shape) for member, member_shape in shape.members.items()}
    if strict:
        for required in shape.required_members:
            if _sfn_cased(required) not in value:
                raise MockResultError(f"{PREFIX}Required field '{_sfn_cased(required)}' is missing")
    for key, item in value.items():
        if key in members:  # a member the API does not have is accepted, as AWS accepts it
            member, member_shape = members[key]
            _check(item, member_shape, key, (*path, member), strict, any_json)


def output_shape(resource: str) -> tuple[Any, set[tuple]] | None:
    """The output shape a Task's ``Resource`` returns, with the members that hold any JSON; None if unknown.

    A Lambda function ARN returns the function's own result, ``.waitForTaskToken`` whatever the callback
    sends, other ``.sync`` integrations a description that depends on the job: none of those is checked.
    """
    kind, service, action, pattern = parse_resource(resource)
    if kind == "aws-sdk" and is_sdk_service(service):
        from local.engine.sdk import boto_service_name

        boto, operation, any_json = boto_service_name(service), pascal(action), set()
    elif kind == "optimised":
        boto, operation = OPTIMISED_SERVICES.get(service, service), pascal(action)
        any_json = ANY_JSON.get((boto, operation), set())
    else:
        return None
    if pattern == "waitForTaskToken":
        return None
    if pattern.startswith("sync"):
        if (boto, operation) != ("stepfunctions", "StartExecution"):
            return None
        operation = "DescribeExecution"  # .sync returns the child execution's description
        any_json = {("output",)} if pattern == "sync:2" else set()
    model = operation_model(boto, operation)
    if model is None or model.output_shape is None:
        return None
    return model.output_shape, any_json


def check_task_result(resource: str, result: Any, mode: str) -> None:
    """Raise :class:`MockResultError` when ``result`` does not fit the API behind ``resource`` (``mode``)."""
    if mode == "NONE" or not isinstance(resource, str):
        return
    found = output_shape(resource)
    if found is None:
        return
    shape, any_json = found
    _check(result, shape, "", (), mode == "STRICT", any_json)


def check_map_result(state: dict[str, Any], result: Any) -> None:
    """A Map's mocked result: its iterations' results (an array), or the ``ResultWriter``'s object."""
    if "ResultWriter" in state:
        if not isinstance(result, dict):
            raise MockResultError("Mocked result must be a JSON object.")
    elif not isinstance(result, list):
        raise MockResultError("Mocked result must be an array.")


def check_parallel_result(state: dict[str, Any], result: Any) -> None:
    """A Parallel's mocked result: one item per branch."""
    if not isinstance(result, list):
        raise MockResultError("Mocked result must be an array.")
    if len(result) != len(state.get("Branches") or []):
        raise MockResultError("Mocked result must contain the same number of items as number of Parallel branches.")
