"""Virtual time: Waits and retries take no real time yet every deadline and timestamp keeps its meaning."""

from __future__ import annotations

import datetime
import functools
import threading
import types

from local.engine.clock import CLOCK, VirtualEvent
from local.engine.timelines import MapSlots, Timeline, timeline_of, wall_datetime


def _virtual_waits_and_timeouts() -> None:
    """Defect 9: Wait states and Retry intervals sleep in real time.

    Waits and retry intervals pass on the execution's timeline (instant by default, see
    :mod:`~local.engine.timelines`); callback, heartbeat and task timeouts wait on virtual-time events, so
    ``CLOCK.advance`` expires them.
    """
    import sys

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.callback import callback

    def wait_interval(self, env, wait_seconds) -> None:
        timeline_of(env).pass_time(wait_seconds, env)

    retrying = threading.local()  # the retrier's module sleeps without its environment: keep it per thread
    original_retrier = retrier_decl.RetrierDecl._eval_body

    def retrier_eval_body(self, env) -> None:
        retrying.env = env
        try:
            original_retrier(self, env)
        finally:
            retrying.env = None

    def retry_interval(seconds: float) -> None:
        timeline_of(retrying.env).pass_time(seconds, retrying.env)

    class VirtualHeartbeatEndpoint(callback.HeartbeatEndpoint):
        """Heartbeat timeouts run from the last heartbeat in virtual time."""

        def __init__(self, heartbeat_seconds: int) -> None:
            super().__init__(heartbeat_seconds)
            self._last = CLOCK.now()

        def notify(self) -> None:
            self._last = CLOCK.now()
            super().notify()

        def clear_and_wait(self) -> bool:
            with self._mutex:
                if self._next_heartbeat_event.is_set():
                    self._next_heartbeat_event.clear()
                    return True
            return self._next_heartbeat_event.wait_until(self._last + self._heartbeat_seconds)

    original_setup = callback.CallbackEndpoint.setup_heartbeat_endpoint

    def setup_heartbeat_endpoint(self, heartbeat_seconds: int):
        # The heartbeat clock starts with the task token (its endpoint), before the token is sent anywhere: a
        # worker (or a test advancing the clock) that answers at once cannot slip in before it starts. A
        # heartbeat that arrived before the task began watching counts from when it arrived.
        endpoint = original_setup(self, heartbeat_seconds)
        endpoint._last = max(self._notify_event._created, getattr(self, "_early_heartbeat", float("-inf")))
        return endpoint

    original_notify_heartbeat = callback.CallbackEndpoint.notify_heartbeat

    def notify_heartbeat(self) -> bool:
        # moto dropped a heartbeat sent between the token's delivery and the task's heartbeat set-up (a worker
        # quicker than the engine's thread): in AWS every heartbeat after the token is issued resets the clock.
        if self._heartbeat_endpoint is None:
            self._early_heartbeat = CLOCK.now()
            return True
        return original_notify_heartbeat(self)

    callback.CallbackEndpoint.setup_heartbeat_endpoint = setup_heartbeat_endpoint
    callback.CallbackEndpoint.notify_heartbeat = notify_heartbeat
    WaitFunction._wait_interval = wait_interval
    retrier_decl.RetrierDecl._eval_body = retrier_eval_body
    retrier_decl.time = types.SimpleNamespace(sleep=retry_interval, time=__import__("time").time)
    callback.Event = VirtualEvent
    callback.HeartbeatEndpoint = VirtualHeartbeatEndpoint
    execute_state.threading = types.SimpleNamespace(Event=VirtualEvent, Thread=threading.Thread)
    assert "threading" in vars(sys.modules[execute_state.__name__])


def _a_timeline_per_line_of_execution() -> None:
    """Every environment has a timeline; a frame (branch, iteration, call) forks its parent's and joins it back."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original_init = Environment.__init__
    original_frame = Environment.as_inner_frame_of.__func__
    original_close = Environment.close_frame

    def __init__(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        context = self.event_history_context
        if getattr(context, "_timeline", None) is None:
            context._timeline = timeline_of(self)

    def as_inner_frame_of(cls, env, variable_store, event_history_frame_cache=None):
        frame = original_frame(cls, env, variable_store, event_history_frame_cache)
        frame._timeline = timeline_of(env).fork()
        if event_history_frame_cache is None:  # the frame's own history context: its events read its time
            frame.event_history_context._timeline = frame._timeline
        return frame

    def close_frame(self, frame) -> None:
        original_close(self, frame)
        timeline_of(self).join(timeline_of(frame))

    Environment.__init__ = __init__
    Environment.as_inner_frame_of = classmethod(as_inner_frame_of)
    Environment.close_frame = close_frame


def _map_iterations_side_by_side() -> None:
    """Map iterations run side by side up to MaxConcurrency in workflow time, however the threads took them."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component import (
        InlineIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )

    original_launch = InlineIterationComponent._launch_worker
    original_job = IterationWorker._eval_job

    def launch_worker(self, env, eval_input, job_pool):
        if getattr(job_pool, "_slots", None) is None and eval_input.input_items is not None:  # None: ItemReader
            items = len(eval_input.input_items)
            concurrency = eval_input.max_concurrency or items  # 0: no limit
            job_pool._slots = MapSlots(min(concurrency, items) or 1, timeline_of(env).now())
            job_pool._earliest = timeline_of(env).skipped
        return original_launch(self, env, eval_input, job_pool)

    def eval_job(self, env, job) -> None:
        slots: MapSlots | None = getattr(self._job_pool, "_slots", None)
        if slots is None:
            original_job(self, env, job)
            return
        timeline = timeline_of(env)
        slots.start(timeline, CLOCK.now() + self._job_pool._earliest)
        try:
            original_job(self, env, job)
        finally:
            slots.end(timeline)

    InlineIterationComponent._launch_worker = launch_worker
    IterationWorker._eval_job = eval_job


def _history_in_virtual_time() -> None:
    """History timestamps, start and stop dates, ``$$.State.EnteredTime`` were real time, not workflow time.

    A 60-second Wait now shows 60 seconds between its entered and exited events. Once an execution has ended
    (it timed out while a task was still running), nothing more is written to its history.
    """
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    original_add_event = EventManager.add_event

    @functools.wraps(original_add_event)
    def add_event(self, context, event_type, event_details=None, timestamp=None, update_source_event_id=True):
        timeline: Timeline | None = getattr(context, "_timeline", None)
        if timeline is not None:
            if timeline.execution.closed:
                return context.last_published_event_id
            timestamp = timestamp or timeline.wall()
        return original_add_event(self, context, event_type, event_details, timestamp, update_source_event_id)

    original_state_input = CommonStateField._eval_state_input

    def eval_state_input(self, env) -> None:
        # The state's context object was just made, with a real-time EnteredTime.
        entered = timeline_of(env).wall().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        env.states.context_object.context_object_data["State"]["EnteredTime"] = entered
        original_state_input(self, env)

    original_start = Execution.start

    def start(self) -> None:
        self.start_date = datetime.datetime.fromtimestamp(CLOCK.wall(), tz=datetime.UTC)
        original_start(self)

    original_reflect = BaseExecutionWorkerCommunication._reflect_execution_status

    def reflect_execution_status(self) -> None:
        original_reflect(self)
        timeline = timeline_of(self.execution.exec_worker.env)
        ended = timeline.execution.ended_at
        self.execution.stop_date = wall_datetime(ended) if ended is not None else timeline.wall()

    EventManager.add_event = add_event
    CommonStateField._eval_state_input = eval_state_input
    Execution.start = start
    BaseExecutionWorkerCommunication._reflect_execution_status = reflect_execution_status


def _execution_timeout_in_virtual_time() -> None:
    """Defect: an execution's ``TimeoutSeconds`` ran in real time (a 60 s Wait under a 5 s timeout succeeded).

    It is now a deadline on the execution's timelines: reached by a Wait, by the clock, or by a Task still
    running, the execution ends ``TIMED_OUT`` at that instant: the program runs on a thread of its own, watched
    for the deadline by the execution's worker. Without a deadline it runs on the worker itself.
    """
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.utils import TMP_THREADS

    from local.engine.fast_paths import CallingThread

    original_eval = Program.eval

    def eval(self, env) -> None:
        if env.is_frame():
            original_eval(self, env)  # a branch: it ends with its parent
            return
        timeline = timeline_of(env)
        execution = timeline.execution
        if self.timeout_seconds is not None:
            execution.deadline = timeline.now() + self.timeout_seconds.timeout_seconds
        env.next_state_name = self.start_at.start_at_name
        done = execution.done  # the program's end, or StopExecution (which does not wait for the program)

        def run() -> None:
            try:
                EvalComponent.eval(self, env)
            finally:
                done.set()

        if execution.deadline is None:
            # Nothing to time out: the program runs on this worker (a thread handed over to it and back cost a
            # twelfth of a short execution); StopExecution reports the end itself (local.engine.stops.stop).
            CallingThread(target=run).start()
            return
        worker = threading.Thread(target=run, daemon=True)
        TMP_THREADS.append(worker)
        worker.start()
        if not done.wait_until(execution.furthest_deadline):
            execution.time_out(execution.deadline)

    Program.eval = eval


def _timestamps_of_waits() -> None:
    """A Wait ``Timestamp`` was compared with the real local time; an unparseable JSONata one was States.Runtime.

    The timestamp is compared with the execution's virtual time; AWS fails an unparseable JSONata timestamp with
    ``States.QueryEvaluationError``.
    """
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp

    from local.engine.jsonata import raise_query_evaluation_error

    def get_wait_seconds(self, env) -> float:
        self.string.eval(env=env)
        text = env.stack.pop()
        when = self._from_timestamp_string(timestamp=text) if isinstance(text, str) else None
        if when is None:
            if isinstance(self.string, StringJSONata):
                raise_query_evaluation_error(env, "The Timestamp field cannot be parsed as an ISO-8601 extended "
                                                  f"offset date-time format string: {text}")
            from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
                FailureEventException,
            )

            raise FailureEventException(self._create_failure_event(env, text))
        return when.replace(tzinfo=datetime.UTC).timestamp() - timeline_of(env).wall().timestamp()

    Timestamp._get_wait_seconds = get_wait_seconds


def install() -> None:
    """Install virtual time."""
    _virtual_waits_and_timeouts()
    _a_timeline_per_line_of_execution()
    _map_iterations_side_by_side()
    _history_in_virtual_time()
    _execution_timeout_in_virtual_time()
    _timestamps_of_waits()
