"""The Step Functions API itself, as a service: what it refuses at StartExecution, and task tokens under load."""

from __future__ import annotations

import functools
import json
import re

#: Step Functions' limit on an execution's input (and any state's data): 256 KiB of UTF-8.
MAX_INPUT_BYTES = 256 * 1024
# Characters a state machine or execution name must not hold (white space, brackets, wildcards, specials,
# control characters), from the StartExecution API reference.
_INVALID_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def _refuse_invalid_executions_at_start() -> None:
    """StartExecution refuses what AWS refuses, with AWS's error codes (moto accepted, or answered an empty code).

    Input that is not JSON is ``InvalidExecutionInput``; input over 256 KiB is ``ValidationException`` (the API's
    length constraint; moto accepted it and the execution failed later); a name longer than 80 characters or
    holding a character names cannot hold is ``InvalidName``.
    """
    from moto.stepfunctions.exceptions import InvalidExecutionInput, InvalidName, ValidationException
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    @functools.wraps(original)
    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        if name is not None and (not 1 <= len(name) <= 80 or _INVALID_NAME.search(name)):
            raise InvalidName(f"Invalid Name: '{name}'")
        if execution_input is not None:
            if len(execution_input.encode("utf-8")) > MAX_INPUT_BYTES:
                raise ValidationException(
                    "1 validation error detected: Value at 'input' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_INPUT_BYTES}")
            try:
                json.loads(execution_input)
            except ValueError as error:
                raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from None
        return original(self, state_machine_arn, name, execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution


def _task_tokens_skip_executions_still_starting() -> None:
    """SendTaskSuccess/Failure/Heartbeat failed with States.Runtime when another execution was still starting.

    moto looks a token up in every running execution's environment; one created but not yet running has none
    (``'NoneType' object has no attribute 'callback_pool_manager'``). Such an execution holds no token.
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend._get_executions

    def get_executions(self, execution_status=None):
        return [execution for execution in original(self, execution_status)
                if getattr(getattr(execution, "exec_worker", None), "env", None) is not None]

    StepFunctionsParserBackend._get_executions = get_executions


def install() -> None:
    """Install the Step Functions API adaptations."""
    _refuse_invalid_executions_at_start()
    _task_tokens_skip_executions_still_starting()
