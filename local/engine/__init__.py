"""The Step Functions interpreter: moto's, with the fixes that make it answer as AWS does.

moto 5.2.5 vendors LocalStack's ASL interpreter. It runs most of the language; the modules of this package
each fix one concern of it (the docstring of every patch names the defect), and each fix has a test in
``tests/unit/test_adaptations.py`` or ``tests/functional/`` (``test_engine.py`` and one file per concern:
``test_jsonata.py``, ``test_causes.py``, ``test_json_text.py``, ``test_history.py``, ``test_virtual_time.py``,
``test_callbacks.py``, ``test_express_sync.py``, ``test_stop_execution.py``, ``test_activities.py``,
``test_tolerated_failures.py``, ``test_assign_and_output.py``):

- :mod:`~local.engine.jsonata`: JSONata and variables (moto leaves the evaluator unwired);
- :mod:`~local.engine.fields`: where a failure happened (entered event, field path), named in causes as AWS does;
- :mod:`~local.engine.jsonpath`: definite paths yield values; the parser keeps no state between definitions;
- :mod:`~local.engine.sdk`: service and error names, plain-JSON results, one client per service;
- :mod:`~local.engine.executions`: names, MockConfigFile test cases, nested starts, task failures, ends;
- :mod:`~local.engine.express`: StartSyncExecution (an Express workflow run within the call);
- :mod:`~local.engine.tolerance`: a Distributed Map's tolerated failures (JSONata limits as declared, threshold);
- :mod:`~local.engine.activities`: activity Tasks queued for workers polling GetActivityTask;
- :mod:`~local.engine.stops`: StopExecution ends an execution ``ABORTED`` at once, its task tokens closed;
- :mod:`~local.engine.virtual_time`: Waits, retries, deadlines and timestamps in virtual time
  (:mod:`~local.engine.clock`; :mod:`~local.engine.timelines`: each execution's own time);
- :mod:`~local.engine.text`: JSON text written compactly, as AWS writes it;
- :mod:`~local.engine.caches`: start-up and parse caches (speed only);
- :mod:`~local.engine.test_state`: the TestState API (one state run on the interpreter, with mocks).

The services behind the tasks (Lambda, EventBridge, S3 events, DynamoDB, stand-ins) are emulated by
:mod:`local.emulation`, which builds on this package. These two packages patch moto; elsewhere moto's
internals are only read: by the stack (``mock_aws``, the SES and Step Functions backends, EventBridge's pattern
matcher for Pipes), the server (moto's WSGI application) and validation (the definition parser).
"""

from __future__ import annotations

import threading

from local.engine.version import MOTO_VERSION

_applied = False
_apply_lock = threading.Lock()


def apply() -> None:
    """Install every interpreter fix (idempotent); call before the first execution."""
    global _applied  # noqa: PLW0603 - installed once per process
    with _apply_lock:
        if _applied:
            return
        import moto

        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(
                f"local.engine is written for moto {MOTO_VERSION}, found {moto.__version__}: "
                "re-run tests/unit/test_adaptations.py and review each adaptation before upgrading"
            )
        # Start-up caches first: importing the other modules imports moto's interpreter, and with it moto's EC2
        # region table, which the caches make cheap (about 0.4 s otherwise).
        from local.engine import caches, fast_paths

        caches.install()
        fast_paths.install()
        from local.engine import (
            activities,
            executions,
            express,
            fields,
            jsonata,
            jsonpath,
            sdk,
            stops,
            test_state,
            text,
            tolerance,
            virtual_time,
        )

        jsonata.install()
        fields.install()
        sdk.install()
        executions.install()
        express.install()
        jsonpath.install()
        virtual_time.install()
        tolerance.install()
        activities.install()
        stops.install()
        text.install()
        test_state.install()
        _applied = True


def reset() -> None:
    """Forget every execution-independent piece of engine state (the stack calls it when it stops)."""
    from local.engine import activities, executions, sdk

    activities.reset()
    executions.reset()
    sdk.reset()


__all__ = ["MOTO_VERSION", "apply", "reset"]
