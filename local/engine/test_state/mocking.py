"""How the interpreter's state runs once for TestState: the mock stands in for the work, Retry and Catch decide.

Everything is patched on the instances of one freshly parsed state, never on the interpreter's classes, so
executions are untouched. The state still evaluates its own paths, parameters, selectors and outputs.

* A mocked Task evaluates its ``Parameters``/``Arguments`` and then returns the mock's ``result`` or raises its
  ``errorOutput``, instead of calling the service. A mocked Map evaluates its items, their ``ItemSelector`` and
  its limits, and returns the mock as the iterations' results (a simulated ``mapIterationFailureCount`` can
  exceed its tolerated failure threshold); a mocked Parallel returns the mock as its branches' results.
* A Wait state evaluates its wait time but does not wait.
* An error that a Retrier matches ends the run as ``RETRIABLE`` while the Retrier has attempts left after
  ``retrierRetryCount`` retries (with the back-off interval the next attempt would wait); a Catcher that
  matches ends it as ``CAUGHT_ERROR`` with the Catcher's output and ``Next``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.catch.catch_outcome import CatchOutcome
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.retry.retry_outcome import RetryOutcome
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import StateParallel
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.state_pass.state_pass import StatePass
from moto.stepfunctions.parser.asl.component.state.wait.state_wait import StateWait
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from local.engine.test_state.inspection import Recorder
from local.engine.tolerance import THRESHOLD_CAUSE, THRESHOLD_ERROR, threshold_exceeded


@dataclass
class Mock:
    """The request's ``mock``: a result, or an error and cause."""

    result: Any = None
    error: str | None = None
    cause: str | None = None
    is_error: bool = False


@dataclass
class Settings:
    """What the request asks of the run besides input and context."""

    mock: Mock | None = None
    retrier_retry_count: int = 0
    map_iteration_failure_count: int | None = None
    map_item_reader_data: Any = None
    state: dict[str, Any] = field(default_factory=dict)  # the state's definition


@dataclass
class Outcome:
    """How Retry or Catch ended the run, when one did."""

    status: str | None = None
    error: str | None = None
    cause: str | None = None


def error_name(error: str | None) -> ErrorName:
    """The interpreter's name for an error, as Retry and Catch compare it (``States.*`` are its own)."""
    if error and error.startswith("States."):
        try:
            return StatesErrorName.from_name(error)
        except ValueError:
            pass
    return ErrorName(error_name=error)


def failure(env, error: str | None, cause: str | None) -> FailureEventException:
    """The failure a state reports with ``error`` and ``cause`` (what a mocked error or a threshold raises)."""
    details = TaskFailedEventDetails()
    if error is not None:
        details["error"] = error
    if cause is not None:
        details["cause"] = cause
    return FailureEventException(FailureEvent(
        env=env, error_name=error_name(error), event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(taskFailedEventDetails=details),
    ))


def error_and_cause(failure_event: FailureEvent) -> tuple[str | None, str | None]:
    """The error and cause a failure carries."""
    spec = list((failure_event.event_details or {}).values())
    details = spec[0] if spec else {}
    return details.get("error"), details.get("cause")


def _first_match(handlers: list, env, name: ErrorName) -> int | None:
    for index, handler in enumerate(handlers):
        env.stack.append(name)
        handler.error_equals.eval(env)
        if env.stack.pop():
            return index
    return None


def _handle_retry(state: ExecutionState, settings: Settings, recorder: Recorder, outcome: Outcome):
    def handle_retry(env, failure_event: FailureEvent) -> RetryOutcome:
        retriers = state.retry.retriers
        index = _first_match(retriers, env, failure_event.error_name)
        if index is None:
            return RetryOutcome.NoRetrier
        retrier = retriers[index]
        recorder.error_details["retryIndex"] = index
        done = settings.retrier_retry_count
        if done >= retrier.max_attempts.attempts:
            return RetryOutcome.CannotRetry
        interval = retrier.interval_seconds.seconds * retrier.backoff_rate.rate ** done
        interval = min(interval, retrier.max_delay_seconds.max_delays_seconds)
        recorder.error_details["retryBackoffIntervalSeconds"] = int(interval)
        outcome.status = "RETRIABLE"
        outcome.error, outcome.cause = error_and_cause(failure_event)
        env.set_ended()  # the attempt that would follow is the caller's next TestState call
        return RetryOutcome.CanRetry

    return handle_retry


def _handle_catch(state: ExecutionState, recorder: Recorder, outcome: Outcome):
    original = type(state)._handle_catch

    def handle_catch(env, failure_event: FailureEvent) -> None:
        index = _first_match(state.catch.catchers, env, failure_event.error_name)
        env.states._states_data.pop("result", None)  # a Catcher sees $states.errorOutput, not a result
        original(state, env, failure_event)
        if env.stack and env.stack[-1] == CatchOutcome.Caught:
            recorder.error_details["catchIndex"] = index
            outcome.status = "CAUGHT_ERROR"
            outcome.error, outcome.cause = error_and_cause(failure_event)

    return handle_catch


def _mocked_task(state: StateTask, mock: Mock):
    def eval_execution(env) -> None:
        state._eval_parameters(env=env)  # Parameters/Arguments are evaluated (and inspected) as for a call
        if mock.is_error:
            raise failure(env, mock.error, mock.cause)
        env.stack.append(copy.deepcopy(mock.result))

    return eval_execution


def _mocked_parallel(mock: Mock):
    def eval_execution(env) -> None:
        if mock.is_error:
            raise failure(env, mock.error, mock.cause)
        env.stack.append(copy.deepcopy(mock.result))

    return eval_execution


def _map_items(state: StateMap, settings: Settings, recorder: Recorder, env) -> Any:
    if state.item_reader is not None:
        return copy.deepcopy(settings.map_item_reader_data)
    if state.items_path is not None:
        state.items_path.eval(env=env)
    elif state.items is not None:
        state.items.eval(env=env)
    else:
        return env.stack[-1]
    items = env.stack.pop()
    if not isinstance(items, list):
        if state.items_path is not None:
            path = state.items_path.string_sampler.literal_value
            path = path[1:] if path.startswith("$$") else path
            raise failure(env, "States.Runtime", f'Reference path "{path}" must point to array.')
        raise failure(env, "States.QueryEvaluationError",
                      f"Map state input must be an array but was: {type(items).__name__}")
    if state.items_path is not None:
        recorder.record("afterItemsPath", items)
    return items


def _selected_items(state: StateMap, items: Any, env) -> list | None:
    """Each item as its iteration would receive it: the ItemSelector (or Parameters) applied with ``$$.Map.Item``."""
    selector = state.item_selector or state.parameters
    if selector is None or not isinstance(items, list):
        return None
    map_input = env.stack[-1] if env.stack else env.states.get_input()
    selected = []
    for index, item in enumerate(items):
        frame = env.open_inner_frame()
        try:
            context = frame.states.context_object.context_object_data
            dict.__setitem__(context, "Map", {"Item": {"Index": index, "Value": copy.deepcopy(item)}})
            frame.states.reset(input_value=map_input)
            frame.stack.append(copy.deepcopy(map_input))
            selector.eval(env=frame)
            selected.append(frame.stack[-1])
        finally:
            env.close_frame(frame)
    return selected


def _declared_threshold_exceeded(state: dict[str, Any], failed: int, total: int, count: int,
                                 percentage: float) -> bool:
    # TestState applies only the limits the state declares (AWS: none declared, none exceeded).
    declares = {name for name in ("ToleratedFailureCount", "ToleratedFailurePercentage")
                if name in state or f"{name}Path" in state}
    return threshold_exceeded(failed, total, count if "ToleratedFailureCount" in declares else None,
                              percentage if "ToleratedFailurePercentage" in declares else None)


def _mocked_map(state: StateMap, settings: Settings, recorder: Recorder):
    mock = settings.mock
    declared = settings.state

    def eval_execution(env) -> None:
        items = _map_items(state, settings, recorder, env)
        selected = _selected_items(state, items, env)
        if selected is not None:
            recorder.record("afterItemSelector", selected)
        state.max_concurrency_decl.eval(env=env)
        recorder.limits["maxConcurrency"] = int(env.stack.pop())
        state.tolerated_failure_count_decl.eval(env=env)
        count = int(env.stack.pop())
        state.tolerated_failure_percentage_decl.eval(env=env)
        percentage = float(env.stack.pop())
        if "ToleratedFailureCount" in declared or "ToleratedFailureCountPath" in declared:
            recorder.limits["toleratedFailureCount"] = count
        if "ToleratedFailurePercentage" in declared or "ToleratedFailurePercentagePath" in declared:
            recorder.limits["toleratedFailurePercentage"] = percentage
        if mock.is_error:  # an error raised inside the item processor fails the Map
            raise failure(env, mock.error, mock.cause)
        result = copy.deepcopy(mock.result)
        failed = settings.map_iteration_failure_count or 0
        total = len(result) if isinstance(result, list) else len(items or [])
        if failed and _declared_threshold_exceeded(declared, failed, total, count, percentage):
            raise failure(env, THRESHOLD_ERROR, THRESHOLD_CAUSE)
        env.stack.append(result)

    return eval_execution


def _recording_result(method, recorder: Recorder):
    def eval_execution(env) -> None:
        method(env)
        recorder.record("result", env.stack[-1])

    return eval_execution


def _with_retry_count(state: ExecutionState, retry_count: int):
    original = state._evaluate_with_timeout

    def evaluate(env) -> None:
        if getattr(env, "pinned", None) is None:
            env.states.context_object.context_object_data["State"]["RetryCount"] = retry_count
        original(env)

    return evaluate


def instrument(state: Any, jsonpath: bool, settings: Settings, recorder: Recorder, outcome: Outcome) -> None:
    """Make the parsed ``state`` run once as TestState runs it, recording its steps into ``recorder``."""
    if jsonpath:
        recorder.observe(state.input_path, "afterInputPath")
    if isinstance(state, StateTask):
        recorder.observe(state.parargs, "afterParameters" if jsonpath else "afterArguments")
    elif isinstance(state, StatePass):
        recorder.observe(state.parameters, "afterParameters")
        recorder.observe(state.result, "result")
        if jsonpath:
            recorder.observe(state.result_path, "afterResultPath")
    if isinstance(state, StateWait):  # the wait time is evaluated (and checked); nobody waits for it
        state.wait_function._wait_interval = lambda env, wait_seconds: None
    if not isinstance(state, ExecutionState):
        return
    recorder.observe(state.result_selector, "afterResultSelector")
    if jsonpath:
        recorder.observe(state.result_path, "afterResultPath")
    mock = settings.mock
    execution = state._eval_execution
    if mock is not None and isinstance(state, StateTask):
        execution = _mocked_task(state, mock)
    elif mock is not None and isinstance(state, StateMap):
        execution = _mocked_map(state, settings, recorder)
    elif mock is not None and isinstance(state, StateParallel):
        execution = _mocked_parallel(mock)
    state._eval_execution = _recording_result(execution, recorder)
    state._evaluate_with_timeout = _with_retry_count(state, settings.retrier_retry_count)
    if state.retry is not None:
        state._handle_retry = _handle_retry(state, settings, recorder, outcome)
    if state.catch is not None:
        state._handle_catch = _handle_catch(state, recorder, outcome)
