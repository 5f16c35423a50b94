"""``python -m local test-state``: one state of a workflow through the TestState API, on the local stack."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from local.launch import launch_stack


def _json_file(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: the {what} is not JSON: {error}") from error


def run_test_state(args: argparse.Namespace) -> int:
    """TestState one state of a workflow on the local stack; print the response as the AWS CLI does."""
    request: dict[str, Any] = {"input": json.dumps(_json_file(args.input, "input")), "stateName": args.state,
                               "inspectionLevel": args.inspection_level}
    if args.mock:
        mock = _json_file(args.mock, "mock")
        if isinstance(mock, dict) and "result" in mock and not isinstance(mock["result"], str):
            mock["result"] = json.dumps(mock["result"])  # the API takes the result as JSON text
        request["mock"] = mock
    for option, key in ((args.variables, "variables"), (args.context, "context")):
        if option:
            request[key] = json.dumps(_json_file(option, key))
    if args.state_configuration:
        request["stateConfiguration"] = _json_file(args.state_configuration, "state configuration")
    with launch_stack(args) as stack:
        sfn = stack.client("stepfunctions")
        machine = sfn.describe_state_machine(stateMachineArn=stack.state_machine_arn(args.workflow))
        response = sfn.test_state(definition=machine["definition"], roleArn=machine["roleArn"], **request)
    response.pop("ResponseMetadata", None)
    print(json.dumps(response, indent=4, ensure_ascii=False))
    return 0
