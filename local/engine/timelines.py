"""Each execution's own virtual time: Waits skip ahead on it, deadlines are kept on it.

The :data:`~local.engine.clock.CLOCK` is shared by every execution (tests advance it to expire callbacks). A Wait
must not move it: another execution's timeouts would fire. Each line of an execution (the execution itself, every
Parallel branch and Map iteration) therefore has a :class:`Timeline`: the clock plus the time its own Waits and
retry intervals skipped. A branch starts where its parent stood and the parent resumes at the latest of its
branches, so a 60-second Wait in one branch does not make a Task running in another branch time out.

An execution's ``TimeoutSeconds`` is a deadline on its timelines (:class:`ExecutionTime`): a Wait that would cross
it ends at the deadline and the execution ends ``TIMED_OUT`` there; a Task still running when the furthest timeline
reaches it is abandoned the same way. StopExecution ends it ``ABORTED`` the same way, at the instant it is called.
History timestamps are read from the timeline of the line that writes them.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

from local.engine.clock import CLOCK, VirtualEvent


def wall_datetime(virtual: float) -> datetime.datetime:
    """The UTC datetime of the virtual instant ``virtual``."""
    return datetime.datetime.fromtimestamp(CLOCK.to_wall(virtual), tz=datetime.UTC)


class ExecutionTime:
    """What all timelines of one execution share: its deadline, its furthest skip, whether it has ended."""

    def __init__(self, root_env: Any) -> None:
        self.root_env = root_env
        self.deadline: float | None = None
        self.furthest_skip = 0.0
        self.closed = False
        self.ended_at: float | None = None
        self.aborted: tuple[str | None, str | None] | None = None  # StopExecution's (error, cause)
        self.done = VirtualEvent()  # set when the execution's program ends or is stopped
        self._reported = False
        self._lock = threading.Lock()

    def report_once(self) -> bool:
        """True for the first caller only: the end is reported by the worker or by StopExecution, not both.

        A second report would rewrite the stop date (moto writes the real time, then the virtual one) under a
        DescribeExecution running meanwhile.
        """
        with self._lock:
            first, self._reported = not self._reported, True
            return first

    def furthest_deadline(self) -> float:
        """The deadline in clock time, as the furthest timeline reaches it (for :meth:`VirtualEvent.wait_until`)."""
        return (self.deadline if self.deadline is not None else float("inf")) - self.furthest_skip

    def time_out(self, at: float) -> None:
        """End the execution ``TIMED_OUT`` at the virtual instant ``at`` (once; not if it has already ended)."""
        from moto.stepfunctions.parser.api import ExecutionTimedOutEventDetails, HistoryEventType
        from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

        env = self.root_env
        with self._lock:
            if self.closed or not env.is_running():
                return
            self.closed = True  # from now on the execution's lines write nothing more to the history
            self.ended_at = at
        env.set_timed_out()
        EventManager.add_event.__wrapped__(
            env.event_manager, context=env.event_history_context, event_type=HistoryEventType.ExecutionTimedOut,
            event_details=EventDetails(executionTimedOutEventDetails=ExecutionTimedOutEventDetails()),
            timestamp=wall_datetime(at),
        )


    def abort(self, at: float, error: str | None, cause: str | None) -> bool:
        """End the execution ``ABORTED`` at ``at`` (StopExecution); False if it had already ended.

        What it was waiting for (a task token, an activity, a ``.sync`` child, a Wait, Map iterations, a call) is
        abandoned: its lines write nothing more to the history; the caller reports the end at once.
        """
        from moto.stepfunctions.parser.api import ExecutionAbortedEventDetails, HistoryEventType
        from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager

        env = self.root_env
        with env._state_mutex:  # the program cannot end meanwhile (set_ended takes the same lock)
            with self._lock:
                if self.closed or not env.is_running():
                    return False
                self.closed = True
                self.ended_at = at
                self.aborted = (error, cause)
            env.set_stop(stop_date=wall_datetime(at), cause=cause, error=error)
        details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        EventManager.add_event.__wrapped__(  # AWS links it to no earlier event (previousEventId 0)
            env.event_manager, context=EventHistoryContext.of_program_start(),
            event_type=HistoryEventType.ExecutionAborted,
            event_details=EventDetails(executionAbortedEventDetails=ExecutionAbortedEventDetails(**details)),
            timestamp=wall_datetime(at),
        )
        self.done.set()
        return True


class Timeline:
    """One line of an execution: the clock plus the seconds its Waits and retry intervals skipped."""

    def __init__(self, execution: ExecutionTime, skipped: float = 0.0) -> None:
        self.execution = execution
        self.skipped = skipped

    def now(self) -> float:
        """Virtual time on this line."""
        return CLOCK.now() + self.skipped

    def wall(self) -> datetime.datetime:
        """Virtual wall-clock time on this line (history timestamps, ``$$.State.EnteredTime``)."""
        return wall_datetime(self.now())

    def fork(self) -> Timeline:
        """A line that starts here (a Parallel branch, a Map iteration, a Task's call)."""
        return Timeline(self.execution, self.skipped)

    def join(self, other: Timeline) -> None:
        """Resume after ``other`` ended: at the later of the two."""
        self.skipped = max(self.skipped, other.skipped)

    def pass_time(self, seconds: float, env: Any) -> None:
        """Let ``seconds`` of workflow time pass (a Wait, a retry interval).

        They take ``seconds * CLOCK.scale`` of real time (none by default) and are skipped on this line. A wait
        that would cross the execution's deadline ends there and times the execution out.
        """
        seconds = max(0.0, float(seconds))
        start = self.now()
        target = start + seconds
        deadline = self.execution.deadline
        crossing = deadline is not None and target > deadline
        end = deadline if crossing else target
        CLOCK.sleep(end - start, interrupt=env.program_state_event)
        if not env.is_running():
            return  # stopped, failed elsewhere or timed out meanwhile: no more time passes here
        self.skipped += max(0.0, end - self.now())
        self.execution.furthest_skip = max(self.execution.furthest_skip, self.skipped)
        if crossing:
            self.execution.time_out(end)
        CLOCK.poke()


class MapSlots:
    """When each iteration of an inline Map starts in workflow time: once one of ``MaxConcurrency`` slots is free.

    Waits take no real time, so the interpreter's worker threads are no measure of that: one thread may run several
    iterations one after the other while, in workflow time, they ran side by side.
    """

    def __init__(self, concurrency: int, start: float) -> None:
        self._free = [start] * max(1, concurrency)
        self._lock = threading.Lock()

    def start(self, timeline: Timeline, earliest: float) -> None:
        """Start an iteration on ``timeline``: at the earliest free slot, not before ``earliest``."""
        with self._lock:
            self._free.sort()
            slot = self._free.pop(0)
        timeline.skipped = max(slot, earliest) - CLOCK.now()

    def end(self, timeline: Timeline) -> None:
        """The iteration on ``timeline`` ended: its slot is free from now on."""
        with self._lock:
            self._free.append(timeline.now())


def timeline_of(env: Any) -> Timeline:
    """The timeline of an interpreter environment (every environment gets one when it is made)."""
    timeline = getattr(env, "_timeline", None)
    if timeline is None:
        timeline = env._timeline = Timeline(ExecutionTime(env))
    return timeline
