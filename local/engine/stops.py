"""StopExecution: the execution ends ``ABORTED`` at once, whatever it waits for, as in AWS.

moto only flagged the execution stopped and let its worker notice at the next state, so an execution whose Task
waited for a task token (an activity, a ``.sync`` child, a Wait with a wait-time scale, Map iterations) stayed
``RUNNING`` until that wait ended; the ``error`` and ``cause`` given to StopExecution were dropped; a later
SendTaskSuccess with the token of the stopped task was accepted (or refused with ``InvalidToken``). Now:

* the execution ends at the instant StopExecution is called: ``ABORTED`` with that ``stopDate``, the given
  ``error`` and ``cause`` in DescribeExecution and in the ``ExecutionAborted`` event, the last of its history
  (nothing the abandoned task does afterwards is recorded);
* its task tokens are closed: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat with one of them are
  refused with ``TaskTimedOut`` ("the task associated with the token has already been closed").

An answer finds its token through the execution that issued it (:func:`_token_holder`), not by looking in
every execution of the account.
"""

from __future__ import annotations

import time
import weakref

from local.engine.clock import CLOCK
from local.engine.executions import wait_for_end
from local.engine.timelines import timeline_of, wall_datetime

#: Real seconds StopExecution waits for a just-started execution's worker, and for the stopped one's end report.
_STARTING_SECONDS = 5.0


def _environment(execution):
    """The execution's interpreter environment, once its worker has made it (bounded wait)."""
    deadline = time.monotonic() + _STARTING_SECONDS
    while True:
        worker = execution.exec_worker
        env = getattr(worker, "env", None)
        if env is not None or time.monotonic() > deadline:
            return env
        time.sleep(0.01)


def _close_task_tokens(env) -> None:
    """Every task token the execution issued and nobody answered is closed: answers get ``TaskTimedOut``."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout

    for endpoint in list(env.callback_pool_manager._pool.values()):  # moto 5.2.5: token → CallbackEndpoint
        if endpoint.get_outcome() is None and endpoint.consumer_error is None:
            endpoint.report(CallbackConsumerTimeout())


def stop(execution, error: str | None, cause: str | None):
    """Stop a running ``execution`` now; returns its stop date (the earlier one if it had already ended)."""
    env = _environment(execution)
    if env is None:
        return execution.stop_date
    timeline = timeline_of(env)
    run = timeline.execution
    at = CLOCK.now() + max(timeline.skipped, run.furthest_skip)  # where its furthest line stands
    if run.abort(at, error, cause):
        _close_task_tokens(env)
        # Reported here: the program may run on the execution's worker, still inside a task that does not stop.
        # Had the worker ended just now and begun its report, that report is waited for, so that StopExecution
        # never answers before DescribeExecution shows ABORTED.
        execution.exec_worker._execution_communication.terminated()
        wait_for_end(execution.exec_arn, _STARTING_SECONDS)
        return wall_datetime(at)
    return execution.stop_date


def _stop_execution_as_aws() -> None:
    """StopExecution passes its ``error`` and ``cause`` and ends the execution at once."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def stop_execution(self) -> ActionResult:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        return ActionResult({"stopDate": stop(execution, self._get_param("error"), self._get_param("cause"))})

    StepFunctionResponse.stop_execution = stop_execution


def _aborted_status_with_error_and_cause() -> None:
    """DescribeExecution of a stopped execution: ``ABORTED`` with StopExecution's error and cause.

    The abandoned task may still fail its (already stopped) program later; the status stays ``ABORTED``.
    """
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication._reflect_execution_status

    def reflect_execution_status(self) -> None:
        original(self)
        aborted = timeline_of(self.execution.exec_worker.env).execution.aborted
        if aborted is not None:
            self.execution.exec_status = ExecutionStatus.ABORTED
            self.execution.error, self.execution.cause = aborted
            self.execution.output = None

    BaseExecutionWorkerCommunication._reflect_execution_status = reflect_execution_status


#: Each task token's pool (the callback pool of the environment that issued it), noted when issued.
_pools_by_token: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _note_the_issuer_of_each_task_token() -> None:
    """Speed: an answer to a task token looked it up in every execution of the account and region.

    That scan took 1.1 ms per SendTaskSuccess once a ``serve`` had run 1,500 executions. Each token's pool, and
    each pool's execution, are now noted (weakly) when issued, for :func:`_token_holder`.
    """
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackPoolManager
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_environment = ExecutionWorker._get_evaluation_environment

    def get_evaluation_environment(self):
        env = original_environment(self)
        execution = getattr(self._execution_communication, "execution", None)
        if execution is not None:
            env.callback_pool_manager.owner = weakref.ref(execution)
        return env

    def noting_the_pool(original):
        def add(self, callback_id, *args, **kwargs):
            endpoint = original(self, callback_id, *args, **kwargs)
            _pools_by_token[callback_id] = self
            return endpoint

        return add

    ExecutionWorker._get_evaluation_environment = get_evaluation_environment
    CallbackPoolManager.add = noting_the_pool(CallbackPoolManager.add)
    CallbackPoolManager.add_activity_task = noting_the_pool(CallbackPoolManager.add_activity_task)


def _token_holder(backend, token: str):
    """The execution of ``backend`` whose current environment issued the token, and its pool; or None."""
    pool = _pools_by_token.get(token)
    owner = getattr(pool, "owner", None)
    execution = owner() if owner is not None else None
    # What the scan below finds: an execution of one of the backend's state machines (identity checks, in C)
    # whose environment (a redriven execution has a new one) holds the token.
    if (execution is not None and getattr(execution.exec_worker, "env", None) is not None
            and execution.exec_worker.env.callback_pool_manager is pool
            and any(execution in machine.executions for machine in backend.state_machines)):
        return execution, pool
    for execution in backend._get_executions():  # a token of no noted pool: look everywhere, as moto did
        env = getattr(execution.exec_worker, "env", None)
        if env is not None and env.callback_pool_manager.get(token) is not None:
            return execution, env.callback_pool_manager
    return None


def _closed_tokens_answered_with_task_timed_out() -> None:
    """Answers to a task token whose task has ended are refused with ``TaskTimedOut``, as AWS refuses them.

    moto looked only at running executions for SendTaskSuccess and SendTaskHeartbeat (the token of a stopped
    execution was ``InvalidToken``), and its own ``TaskTimedOut``/``TaskDoesNotExist`` could not be raised (no
    message): a token whose task had timed out made SendTaskFailure answer HTTP 500. A heartbeat for a task
    without ``HeartbeatSeconds`` is accepted (moto said ``InvalidToken``).
    """
    from moto.stepfunctions.parser import api
    from moto.stepfunctions.parser.api import ExecutionStatus, InvalidToken, SendTaskFailureOutput
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure, CallbackOutcomeSuccess
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class TaskTimedOut(api.TaskTimedOut):
        """The token's task has ended (timed out, answered, or its execution stopped)."""

        def __init__(self) -> None:
            super().__init__("Task Timed Out: 'Provided task does not exist anymore'", "TaskTimedOut")

    def open_task(backend, token: str):
        """The pool holding the token's open task; ``TaskTimedOut`` if it has ended, ``InvalidToken`` if unknown."""
        found = _token_holder(backend, token)
        if found is None:
            raise InvalidToken()
        execution, pool = found
        if pool.get(token).consumer_error is not None or execution.exec_status != ExecutionStatus.RUNNING:
            raise TaskTimedOut()
        return pool

    def send_task_success(self, task_token, outcome):
        open_task(self, task_token).notify(task_token, CallbackOutcomeSuccess(callback_id=task_token, output=outcome))

    def send_task_failure(self, task_token, error=None, cause=None):
        open_task(self, task_token).notify(
            task_token, CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause))
        return SendTaskFailureOutput()

    def send_task_heartbeat(self, task_token):
        open_task(self, task_token).heartbeat(task_token)

    StepFunctionsParserBackend.send_task_success = send_task_success
    StepFunctionsParserBackend.send_task_failure = send_task_failure
    StepFunctionsParserBackend.send_task_heartbeat = send_task_heartbeat


def _no_wait_for_a_token_once_the_attempt_has_ended() -> None:
    """Defect: a task attempt abandoned as it began to wait crashed its listener thread (``TypeError``).

    moto evaluates a component only while its environment runs; a Task whose attempt ended (StopExecution, the
    execution's or the Task's ``TimeoutSeconds``) between taking its result and evaluating its timeout
    evaluated no timeout and took the value below it (the task's input) as the number of seconds to wait for
    its token. An ended attempt now does not wait: its outcome is discarded anyway.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )

    original = StateTaskServiceCallback._eval_wait_for_task_token

    def eval_wait_for_task_token(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint):
        if not env.is_running():  # ended for good: nothing will answer, and the timeout may not be one
            return None
        return original(self, env=env, timeout_seconds=timeout_seconds, callback_endpoint=callback_endpoint,
                        heartbeat_endpoint=heartbeat_endpoint)

    StateTaskServiceCallback._eval_wait_for_task_token = eval_wait_for_task_token


def install() -> None:
    """Install StopExecution as AWS answers it."""
    _stop_execution_as_aws()
    _aborted_status_with_error_and_cause()
    _note_the_issuer_of_each_task_token()
    _closed_tokens_answered_with_task_timed_out()
    _no_wait_for_a_token_once_the_attempt_has_ended()
