"""Virtual time for the local engine.

Step Functions workflows wait: Wait states, Retry back-off, callbacks that time out after a day. Locally none
of that should cost real time, yet a timeout must still mean something. The engine therefore keeps one
*virtual clock*:

* ``now()`` is real time plus every explicit :meth:`VirtualClock.advance`.
* Wait states and Retry intervals call :meth:`VirtualClock.sleep`, which sleeps ``seconds * scale`` of real
  time (``scale`` defaults to 0, like Step Functions Local's wait-time scale) and returns early if the
  execution is stopped.
* Timeouts and heartbeats (``TimeoutSeconds``, ``HeartbeatSeconds``) wait on a :class:`VirtualEvent`: they
  expire when *virtual* time reaches their deadline, either because real time passed or because a test
  called :meth:`VirtualClock.advance` (``stack.clock.advance(25 * 3600)`` lets a 24-hour callback expire).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable


class VirtualClock:
    """Real time plus explicit advances; ``scale`` shrinks the real sleep of Wait states and retries."""

    def __init__(self, scale: float = 0.0) -> None:
        self.scale = scale
        self._offset = 0.0
        self.slept = 0.0
        self._lock = threading.Lock()
        self._waiters: weakref.WeakSet[VirtualEvent] = weakref.WeakSet()

    def now(self) -> float:
        """Virtual seconds since an arbitrary origin (monotonic)."""
        return time.monotonic() + self._offset

    def wall(self) -> float:
        """Virtual wall-clock time: seconds since the epoch plus every explicit advance."""
        return time.time() + self._offset

    def to_wall(self, virtual: float) -> float:
        """The wall-clock time (seconds since the epoch) of the virtual instant ``virtual``."""
        return virtual + time.time() - time.monotonic()

    def poke(self) -> None:
        """Wake every waiter so that it re-reads its deadline (an execution's timeline moved on)."""
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.poke()

    def advance(self, seconds: float) -> None:
        """Move virtual time forward, waking every timeout that falls due."""
        if seconds < 0:
            raise ValueError("virtual time only moves forward")
        with self._lock:
            self._offset += seconds
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.poke()

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> None:
        """Sleep for ``seconds`` of workflow time: ``seconds * scale`` of real time."""
        with self._lock:
            self.slept += max(0.0, float(seconds))  # workflow time spent waiting, for the cost model
        real = max(0.0, float(seconds)) * self.scale
        if real <= 0:
            return
        if interrupt is not None:
            interrupt.wait(real)
        else:
            time.sleep(real)

    def _register(self, waiter: VirtualEvent) -> None:
        with self._lock:
            self._waiters.add(waiter)

    def _unregister(self, waiter: VirtualEvent) -> None:
        with self._lock:
            self._waiters.discard(waiter)


CLOCK = VirtualClock()


class VirtualEvent:
    """A ``threading.Event`` whose ``wait(timeout)`` measures the timeout in virtual time.

    The timeout runs from the event's creation, not from the call to ``wait``: the engine creates these
    events when a task starts or a task token is issued, so a test that advances the clock just after the
    task starts cannot slip in before the waiting thread begins to wait.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._flag = False
        self._created = CLOCK.now()

    def is_set(self) -> bool:
        """Whether the event is set (as ``threading.Event.is_set``)."""
        return self._flag

    isSet = is_set

    def set(self) -> None:
        """Set the event and wake every waiter."""
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def clear(self) -> None:
        """Reset the event."""
        with self._cond:
            self._flag = False

    def poke(self) -> None:
        """Wake waiters so they re-check their deadline (the clock moved)."""
        with self._cond:
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until set or ``timeout`` virtual seconds after the event's creation; returns the flag."""
        return self.wait_until(None if timeout is None else self._created + float(timeout))

    def wait_until(self, deadline: float | Callable[[], float] | None) -> bool:
        """Wait until the event is set (True) or virtual time reaches ``deadline`` (False).

        ``deadline`` may be a function, read again whenever the clock is advanced or poked.
        """
        with self._cond:
            if self._flag:
                return True
            if deadline is None:
                while not self._flag:
                    self._cond.wait()
                return True
            CLOCK._register(self)
            try:
                while not self._flag:
                    remaining = (deadline() if callable(deadline) else deadline) - CLOCK.now()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                return True
            finally:
                CLOCK._unregister(self)
