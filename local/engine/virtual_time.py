"""Virtual time: Waits and retry intervals take no real time; timeouts expire in virtual time."""

from __future__ import annotations

import threading

from local.engine.clock import CLOCK, VirtualEvent


def _virtual_time() -> None:
    """Defect 9: Wait states and Retry intervals sleep in real time.

    Waits and retry intervals go through :data:`local.engine.clock.CLOCK` (instant by default);
    callback, heartbeat and task timeouts wait on virtual-time events, so ``CLOCK.advance`` expires them.
    """
    import sys
    import types

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.callback import callback

    def wait_interval(self, env, wait_seconds) -> None:
        CLOCK.sleep(wait_seconds, interrupt=env.program_state_event)

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

    WaitFunction._wait_interval = wait_interval
    retrier_decl.time = types.SimpleNamespace(sleep=CLOCK.sleep, time=__import__("time").time)
    callback.Event = VirtualEvent
    callback.HeartbeatEndpoint = VirtualHeartbeatEndpoint
    execute_state.threading = types.SimpleNamespace(Event=VirtualEvent, Thread=threading.Thread)
    assert "threading" in vars(sys.modules[execute_state.__name__])


def install() -> None:
    """Install virtual time."""
    _virtual_time()
