"""Run the state under test once on the interpreter and answer as TestState answers.

``status`` is ``SUCCEEDED`` (with ``output`` and, unless the state ends the machine, ``nextState``),
``FAILED`` (``error``, ``cause``), ``RETRIABLE`` (a Retrier would try again: ``error``, ``cause``) or
``CAUGHT_ERROR`` (a Catcher took the error: its ``output``, ``nextState``, ``error``, ``cause``);
``inspectionData`` comes with the DEBUG and TRACE inspection levels.
"""

from __future__ import annotations

import logging
from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException

from local.engine.test_state.environment import build_environment
from local.engine.test_state.inspection import Recorder, inspection_data, to_json_text
from local.engine.test_state.mocking import Outcome, instrument
from local.engine.test_state.request import TestStateRequest

LOG = logging.getLogger(__name__)


def _variables(env) -> dict[str, Any]:
    store = env.variable_store
    return {**store._outer_scope, **store._inner_scope}


def run(request: TestStateRequest, account: str, region: str) -> dict[str, Any]:
    """The TestState response for a checked ``request``."""
    state = request.component
    recorder, outcome = Recorder(), Outcome()
    recorder.record("input", request.input)
    instrument(state, request.jsonpath, request.settings, recorder, outcome)
    env = build_environment(account=account, region=region, role_arn=request.role_arn, state_input=request.input,
                            context=request.context, variables=request.variables)
    env.next_state_name = state.name
    response: dict[str, Any] = {}
    try:
        state.eval(env)
    except FailureEventException as failed:
        error, cause = failed.extract_error_cause_pair() or (None, None)
        response = {"status": "FAILED", "error": error, "cause": cause}
    except Exception as problem:  # the interpreter could not run the state: report it as Step Functions would
        LOG.warning("TestState could not run the state: %r", problem)
        response = {"status": "FAILED", "error": "States.Runtime", "cause": f"{type(problem).__name__}: {problem}"}
    if not response:
        if outcome.status == "RETRIABLE":
            response = {"status": "RETRIABLE", "error": outcome.error, "cause": outcome.cause}
        else:
            response = {"status": outcome.status or "SUCCEEDED", "output": to_json_text(env.states.get_input())}
            if outcome.status == "CAUGHT_ERROR":
                response.update(error=outcome.error, cause=outcome.cause)
            if env.is_running() and env.next_state_name and env.next_state_name != state.name:
                response["nextState"] = env.next_state_name
    if request.inspection_level in ("DEBUG", "TRACE"):
        response["inspectionData"] = inspection_data(request.state_type, request.state, request.jsonpath, recorder,
                                                     _variables(env))
    return {key: value for key, value in response.items() if value is not None}
