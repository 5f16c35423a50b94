"""StartSyncExecution: an Express workflow run to its end within the call, answered as AWS answers it."""

from __future__ import annotations

import copy
import datetime
import json
import math
import uuid
from typing import Any

from moto.core.exceptions import AWSError
from moto.stepfunctions.exceptions import InvalidArn, InvalidExecutionInput
from moto.stepfunctions.parser.backend.execution import SyncExecution

from local.engine import executions
from local.engine.mock_config import UnknownTestCase
from local.engine.text import compact_json

#: What AWS bills an Express execution for: memory in 64 MB chunks, duration in 100 ms steps (at least one each).
BILLING_MEMORY_CHUNK_MB = 64
BILLING_DURATION_STEP_MS = 100


class StateMachineTypeNotSupported(AWSError):
    """StartSyncExecution on a Standard state machine."""

    TYPE = "StateMachineTypeNotSupported"
    STATUS = 400


class MockableSyncExecution(SyncExecution):
    """A synchronous execution that can run a MockConfigFile test case."""

    test_case = None

    def _get_start_execution_worker(self):
        worker = super()._get_start_execution_worker()
        worker._mock_test_case = self.test_case
        return worker


def billing_details(start: datetime.datetime, stop: datetime.datetime) -> dict[str, int]:
    """``billingDetails`` of a synchronous Express execution that ran from ``start`` to ``stop`` (workflow time).

    The memory an execution uses is not observable locally: it is billed as the smallest chunk, as a small
    execution is in AWS.
    """
    milliseconds = max(0.0, (stop - start).total_seconds() * 1000)
    steps = max(1, math.ceil(milliseconds / BILLING_DURATION_STEP_MS))
    return {"billedMemoryUsedInMB": BILLING_MEMORY_CHUNK_MB,
            "billedDurationInMilliseconds": steps * BILLING_DURATION_STEP_MS}


def run_sync_execution(backend: Any, state_machine_arn: str, name: str | None, execution_input: str | None,
                       trace_header: str | None = None) -> Any:
    """Run an Express execution to its end and return it (a moto ``SyncExecution``).

    ``<stateMachineArn>#<TestCase>`` runs a MockConfigFile test case, as StartExecution does.
    """
    state_machine_arn, _, case = state_machine_arn.partition("#")
    state_machine = backend.describe_state_machine(state_machine_arn)
    if state_machine.type != "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    input_text = "{}" if execution_input is None else execution_input
    try:
        json.loads(input_text)
    except ValueError as error:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from error
    name = name or str(uuid.uuid4())
    arn = (f"arn:{backend.partition}:states:{backend.region_name}:{backend.account_id}:express:"
           f"{state_machine.name}:{name}:{uuid.uuid4()}")
    # A snapshot of the definition, as StartExecution takes (without the live executions of the machine).
    snapshot = copy.deepcopy(state_machine, {id(state_machine.executions): [],
                                             id(state_machine.backend): state_machine.backend})
    execution = MockableSyncExecution(
        name=name, sm_type=snapshot.sm_type, role_arn=snapshot.roleArn, exec_arn=arn,
        account_id=backend.account_id, region_name=backend.region_name, state_machine=snapshot,
        start_date=datetime.datetime.now(tz=datetime.UTC), cloud_watch_logging_session=None,
        input_data=input_text, trace_header=trace_header, activity_store={},
    )
    if case:
        if executions.mock_config is None:
            raise InvalidArn(f"No MockConfigFile is loaded, so test case '{case}' cannot be used")
        try:
            execution.test_case = executions.mock_config.test_case(state_machine.name, case)
        except UnknownTestCase as error:
            raise InvalidArn(str(error)) from error
    execution.start()  # the sync worker evaluates in this thread: it returns once the execution has ended
    return execution


def sync_execution_answer(execution: Any) -> dict[str, Any]:
    """The StartSyncExecution response for an ended execution."""
    answer: dict[str, Any] = {
        "executionArn": execution.exec_arn, "stateMachineArn": execution.state_machine.arn,
        "name": execution.name, "startDate": execution.start_date, "stopDate": execution.stop_date,
        "status": getattr(execution.sync_execution_status, "value", execution.sync_execution_status),
        "input": compact_json(execution.input_data),
        "inputDetails": {"included": True},
        "billingDetails": billing_details(execution.start_date, execution.stop_date),
    }
    if answer["status"] == "SUCCEEDED":
        answer["output"] = compact_json(execution.output)
        answer["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        if getattr(execution, key) is not None:
            answer[key] = getattr(execution, key)
    if execution.trace_header:
        answer["traceHeader"] = execution.trace_header
    return answer


def _start_sync_execution() -> None:
    """Defect 12: StartSyncExecution answered HTTP 500 (moto does not implement it)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def start_sync_execution(self):
        execution = run_sync_execution(
            self.stepfunction_backend, self._get_param("stateMachineArn"), self._get_param("name"),
            self._get_param("input"), self._get_param("traceHeader"),
        )
        return ActionResult(sync_execution_answer(execution))

    StepFunctionResponse.start_sync_execution = start_sync_execution
    _route_the_sync_endpoint()


def _route_the_sync_endpoint() -> None:
    """The SDKs send StartSyncExecution to ``sync-states.<region>.amazonaws.com``, which moto did not intercept."""
    import re

    from moto import backend_index
    from moto.stepfunctions import urls

    sync_base = r"https?://sync-states\.(.+)\.amazonaws.com"
    if sync_base not in urls.url_bases:
        urls.url_bases.append(sync_base)
        backend_index.backend_url_patterns.append(("stepfunctions", re.compile(sync_base)))


def _express_machines_run_as_express() -> None:
    """The moto state machines told the interpreter they were all STANDARD (``sm_type``), whatever their type."""
    from moto.stepfunctions.models import StateMachine

    original = StateMachine.__init__

    def __init__(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        self.sm_type = self.type

    StateMachine.__init__ = __init__


def install() -> None:
    """Serve StartSyncExecution; Express machines run as Express."""
    _express_machines_run_as_express()
    _start_sync_execution()
