"""Executions: names, MockConfigFile test cases, nested starts, task failures and heartbeats, their end."""

from __future__ import annotations

import logging
import threading
import uuid

from local.engine.mock_config import InvocationCountingTestCase, MockConfig
from local.engine.sdk import to_plain_json
from local.engine.timelines import timeline_of

#: The MockConfigFile in force (set by the stack); ``None`` means ``#TestCase`` starts are rejected.
mock_config: MockConfig | None = None


def _iso_timestamps_in_context_object() -> None:
    """Defect 3 (cont.): ``$$.Execution.StartTime`` is a datetime instead of an ISO 8601 string."""
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.get_start_execution_details

    def get_start_execution_details(self):
        details = original(self)
        details.start_time = to_plain_json(details.start_time)
        return details

    Execution.get_start_execution_details = get_start_execution_details


def _redrive_count_in_context_object() -> None:
    """``$$.Execution.RedriveCount`` was missing: 0 for a Standard execution never redriven (Express has none)."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment

    def get_evaluation_environment(self):
        env = original(self)
        if env.is_standard_workflow():
            env.states.context_object.context_object_data["Execution"].setdefault("RedriveCount", 0)
        return env

    ExecutionWorker._get_evaluation_environment = get_evaluation_environment


def _unique_names_for_unnamed_executions() -> None:
    """Defect 4: StartExecution without a name yields ``…:None`` and a second unnamed start collides."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution


def _select_mock_test_case_at_start() -> None:
    """Mocking: moto never loads a MockConfigFile nor reads ``stateMachineArn#TestCase``.

    An unknown test case is rejected at StartExecution with a clear ``InvalidArn``-style error.
    """
    from moto.stepfunctions.exceptions import InvalidArn
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from local.engine.mock_config import UnknownTestCase

    original_start = StepFunctionsParserBackend.start_execution
    pending = threading.local()

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        arn, _, case = state_machine_arn.partition("#")
        pending.test_case = None
        if case:
            machine = self.describe_state_machine(arn)
            if mock_config is None:
                raise InvalidArn(f"No MockConfigFile is loaded, so test case '{case}' cannot be used")
            try:
                pending.test_case = mock_config.test_case(machine.name, case)
            except UnknownTestCase as error:
                raise InvalidArn(str(error)) from error
        try:
            return original_start(self, arn, name, execution_input, trace_header)
        finally:
            pending.test_case = None

    StepFunctionsParserBackend.start_execution = start_execution

    original_start_worker = Execution._get_start_execution_worker

    def get_start_execution_worker(self):
        worker = original_start_worker(self)
        worker._mock_test_case = getattr(pending, "test_case", None)
        self.test_case = worker._mock_test_case.test_case_name if worker._mock_test_case else None
        return worker

    Execution._get_start_execution_worker = get_start_execution_worker


def _count_mock_invocations() -> None:
    """Mocking: responses are indexed by retry count, so a poll loop replays response "0" forever."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    def get_current_mocked_response(self):
        if not isinstance(self.mock_test_case, InvocationCountingTestCase):
            raise RuntimeError("execution is not running a MockConfigFile test case")
        return self.mock_test_case.next_response(self.next_state_name)

    Environment.get_current_mocked_response = get_current_mocked_response


def _fix_sync_start_execution() -> None:
    """Defect 5: ``states:startExecution(.sync|.sync:2)`` fails with ``KeyError('StateMachineArn')``.

    The optimised Step Functions integration passes the state's PascalCase parameters to boto3, which wants
    camelCase, and hands boto3's camelCase response on, where Step Functions returns PascalCase.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as sfn,
    )

    original_parameters = sfn.StateTaskServiceSfn._normalise_parameters

    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        original_parameters(self, parameters, boto_service_name, service_action_name)
        for key in list(parameters):
            parameters[key[:1].lower() + key[1:]] = parameters.pop(key)

    def pascal_case(key: str) -> str:
        return key[:1].upper() + key[1:]

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):
        if isinstance(response, dict):
            for key in list(response):
                value = to_plain_json(response.pop(key))
                if key.endswith("Details") and isinstance(value, dict):  # {"included": true} -> {"Included": true}
                    value = {pascal_case(inner): item for inner, item in value.items()}
                response[pascal_case(key)] = value

    sfn.StateTaskServiceSfn._normalise_parameters = normalise_parameters
    sfn.StateTaskServiceSfn._normalise_response = normalise_response

    original_eval = sfn.StateTaskServiceSfn._eval_service_task

    def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        original_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        normalise_response(self, env.stack[-1])

    sfn.StateTaskServiceSfn._eval_service_task = eval_service_task


def _quiet_failure_logs() -> None:
    """Defect 11: every failure logs multi-kilobyte lines; the history already records it."""
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


def _pass_the_cause_of_send_task_failure() -> None:
    """SendTaskFailure dropped its ``cause`` on the way from the API to the waiting task.

    Without an error or a cause, AWS's Catch sees ``null`` for them, also through a Parallel or Map state (the
    branch's failure lost them, and the Parallel state's Catch saw ``""``).
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.responses import EmptyResult, StepFunctionResponse

    def send_task_failure(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure

    original_details = FailureEventException.get_execution_failed_event_details

    def get_execution_failed_event_details(self):
        details = original_details(self)
        spec = next(iter((self.failure_event.event_details or {}).values()), {})
        if details is not None:
            for key in ("error", "cause"):
                if key in spec and spec[key] is None:
                    details[key] = None
        return details

    FailureEventException.get_execution_failed_event_details = get_execution_failed_event_details


def _heartbeat_timeouts_as_aws_reports_them() -> None:
    """A task that misses its heartbeat fails with ``States.Timeout``, as AWS's executions report it.

    The documentation names the error ``States.HeartbeatTimeout``; the executions AWS records say
    ``States.Timeout``, which a ``Catch``/``Retry`` on ``States.Timeout`` matches. A ``Catch``/``Retry`` on
    ``States.HeartbeatTimeout`` matches it too (and not a task's own TimeoutSeconds), as the documentation says.
    """
    from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    class HeartbeatTimeoutName(StatesErrorName):
        """``States.Timeout``, also matched by ``States.HeartbeatTimeout`` in Catch and Retry."""

        def matches(self, error_name: str | None) -> bool:
            return error_name in (self.error_name, StatesErrorNameType.StatesHeartbeatTimeout.to_name())

        def __eq__(self, other):  # ``name in ErrorEquals`` asks the subclass first when it defines __eq__
            return isinstance(other, StatesErrorName) and self.matches(other.error_name)

        __hash__ = None

    original = StateTask._from_error

    def from_error(self, env, ex):
        if isinstance(ex, HeartbeatTimeoutError):
            name = StatesErrorNameType.StatesTimeout
            return FailureEvent(
                env=env, error_name=HeartbeatTimeoutName(typ=name), event_type=HistoryEventType.TaskTimedOut,
                event_details=EventDetails(taskTimedOutEventDetails=TaskTimedOutEventDetails(error=name.to_name())),
            )
        return original(self, env, ex)

    StateTask._from_error = from_error


def _describe_executions_as_aws() -> None:
    """DescribeExecution and ListExecutions lacked what AWS gives: ``stopDate`` when TIMED_OUT, ``inputDetails``.

    The result of ``states:startExecution.sync`` (a DescribeExecution) thus shows ``InputDetails`` too.
    """
    from moto.stepfunctions.responses import StepFunctionResponse

    original_describe = StepFunctionResponse.describe_execution
    original_list = StepFunctionResponse.list_executions

    def describe_execution(self):
        result = original_describe(self)
        response = result.result
        if response.get("status") == "TIMED_OUT" and "stopDate" not in response:
            response["stopDate"] = self.stepfunction_backend.describe_execution(response["executionArn"]).stop_date
        response.setdefault("inputDetails", {"included": True})
        return result

    def list_executions(self):
        result = original_list(self)
        for item in result.result.get("executions", []):
            if item.get("status") == "TIMED_OUT" and "stopDate" not in item:
                item["stopDate"] = self.stepfunction_backend.describe_execution(item["executionArn"]).stop_date
        return result

    StepFunctionResponse.describe_execution = describe_execution
    StepFunctionResponse.list_executions = list_executions


def _history_pages_as_aws() -> None:
    """GetExecutionHistory ignored ``reverseOrder``, ``maxResults``, ``nextToken`` and ``includeExecutionData``.

    A client asking for the last event got the first. As in AWS, pages hold 100 events unless ``maxResults`` (at
    most 1,000) says otherwise, and ``includeExecutionData: false`` leaves inputs and outputs out.
    """
    import base64

    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.get_execution_history

    def get_execution_history(self):
        result = original(self)
        events = list(result.result.get("events", []))
        if self._get_param("reverseOrder"):
            events.reverse()
        if self._get_param("includeExecutionData") is False:
            for event in events:
                for details in event.values():
                    if isinstance(details, dict):
                        for key in ("input", "inputDetails", "output", "outputDetails"):
                            details.pop(key, None)
        token = self._get_param("nextToken")
        start = int(base64.b64decode(token).decode()) if token else 0
        size = min(int(self._get_param("maxResults") or 100), 1000)
        page = {"events": events[start:start + size]}
        if start + size < len(events):
            page["nextToken"] = base64.b64encode(str(start + size).encode()).decode()
        result.result.clear()
        result.result.update(page)
        return result

    StepFunctionResponse.get_execution_history = get_execution_history


_ended: dict[str, threading.Event] = {}
_ended_lock = threading.Lock()


def _end_event(execution_arn: str) -> threading.Event:
    with _ended_lock:
        event = _ended.get(execution_arn)
        if event is None:  # made once per execution (``setdefault`` would make a spare one at every call)
            event = _ended[execution_arn] = threading.Event()
        return event


def wait_for_end(execution_arn: str, timeout: float) -> bool:
    """Block until the execution ends (any terminal status); False after ``timeout`` real seconds."""
    return _end_event(execution_arn).wait(timeout)


def _signal_execution_ends() -> None:
    """Tests and benchmarks polled DescribeExecution; an execution now signals its end to waiters.

    Its end is reported once: by its worker when the program ends, or by StopExecution, whichever comes first.
    """
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self) -> None:
        if not timeline_of(self.execution.exec_worker.env).execution.report_once():
            return
        try:
            original(self)
        finally:
            _end_event(self.execution.exec_arn).set()

    BaseExecutionWorkerCommunication.terminated = terminated


def install() -> None:
    """Install the execution adaptations."""
    _iso_timestamps_in_context_object()
    _redrive_count_in_context_object()
    _unique_names_for_unnamed_executions()
    _select_mock_test_case_at_start()
    _count_mock_invocations()
    _fix_sync_start_execution()
    _quiet_failure_logs()
    _pass_the_cause_of_send_task_failure()
    _heartbeat_timeouts_as_aws_reports_them()
    _signal_execution_ends()
    _describe_executions_as_aws()
    _history_pages_as_aws()


def reset() -> None:
    """Forget the MockConfigFile and the end signals of past executions."""
    global mock_config  # noqa: PLW0603 - the stack sets the file in force
    mock_config = None
    with _ended_lock:
        _ended.clear()
