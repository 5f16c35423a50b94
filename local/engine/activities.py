"""Activities: a Task on an activity waits for a worker polling GetActivityTask, as in AWS.

moto gave each execution an empty activity store, so every activity Task failed at once (``States.Runtime``,
from an ``ActivityDoesNotExist`` that could not even be raised), and it has no GetActivityTask. Now an
activity created with CreateActivity queues the tasks of every execution; GetActivityTask hands the oldest open
one to its worker (long polling up to 60 seconds, as AWS does; ``ActivityStarted`` records the worker's name)
and the worker answers with SendTaskSuccess/Failure/Heartbeat.
"""

from __future__ import annotations

import threading
import time

#: GetActivityTask waits this long (real seconds) for a task before answering without one, as AWS does.
LONG_POLL_SECONDS = 60.0


class _ActivityQueues:
    """Each existing activity's queue of tasks, shared by every execution (moto gave each execution its own)."""

    def __init__(self) -> None:
        self._queues: dict[str, object] = {}
        self._lock = threading.Lock()

    def get(self, arn: str, default=None):
        from moto.stepfunctions.parser.backend.activity import Activity
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        parts = arn.split(":")
        if len(parts) != 7:
            return default
        backend = stepfunctions_parser_backends[parts[4]][parts[3]]
        with self._lock:
            if arn not in backend.activities:
                self._queues.pop(arn, None)  # deleted: its tasks go with it
                return default
            return self._queues.setdefault(arn, Activity(arn=arn, name=parts[6]))

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()


QUEUES = _ActivityQueues()


def _open_endpoint(backend, token: str):
    """The callback endpoint of an activity task whose execution still waits for it, else None."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.asl.eval.callback.callback import ActivityCallbackEndpoint

    for execution in backend._get_executions(ExecutionStatus.RUNNING):
        env = getattr(execution.exec_worker, "env", None)
        endpoint = env.callback_pool_manager.get(token) if env is not None else None
        if isinstance(endpoint, ActivityCallbackEndpoint) and endpoint.consumer_error is None:
            return endpoint
    return None


def _shared_activity_queues() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackPoolManager

    original_init = CallbackPoolManager.__init__

    def __init__(self, activity_store) -> None:
        original_init(self, activity_store=QUEUES)

    CallbackPoolManager.__init__ = __init__


def _get_activity_task() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def get_activity_task(self) -> ActionResult:
        arn = self._get_param("activityArn")
        self.stepfunction_backend.describe_activity(arn)  # ActivityDoesNotExist, InvalidArn as moto answers them
        deadline = time.monotonic() + LONG_POLL_SECONDS
        while time.monotonic() < deadline:
            queue = QUEUES.get(arn)
            try:
                task = queue.get_task() if queue is not None else None
            except IndexError:  # nothing queued yet
                task = None
            endpoint = _open_endpoint(self.stepfunction_backend, task.task_token) if task is not None else None
            if endpoint is not None:  # a task of a stopped or ended execution is dropped
                endpoint.notify_activity_task_start(worker_name=self._get_param("workerName"))
                return ActionResult({"taskToken": task.task_token, "input": task.task_input})
            if task is None:
                time.sleep(0.02)
        return ActionResult({})

    StepFunctionResponse.get_activity_task = get_activity_task


def install() -> None:
    """Install activities."""
    _shared_activity_queues()
    _get_activity_task()


def reset() -> None:
    """Forget every queued activity task."""
    QUEUES.clear()
