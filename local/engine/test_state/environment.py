"""The interpreter's environment for one TestState call: its context object, variables and ``$states``.

A TestState run is one state of an express-like execution that exists only for the call: AWS names the
state ``StateName`` and gives the context object an ``express`` execution ARN. When the caller supplies a
``context``, the state reads exactly that object: the interpreter's own bookkeeping (``State``, ``Task``,
``Map``) must not overwrite it, hence :class:`PinnedContext`.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from typing import Any

from moto.stepfunctions.parser.api import StateMachineType
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.eval.states import States

#: The name AWS gives the state under test (``$$.State.Name``, schema error paths).
STATE_NAME = "StateName"
#: Context keys the interpreter writes while it runs a state.
_MANAGED_KEYS = ("State", "Task", "Map")


class PinnedContext(dict):
    """A context object given by the caller: reads see it as given, the interpreter's writes are dropped."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in _MANAGED_KEYS:
            super().__setitem__(key, value)

    def __getitem__(self, key: str) -> Any:
        # The interpreter updates ``context["State"]["RetryCount"]`` in place: hand it a scratch copy.
        value = super().__getitem__(key)
        return copy.deepcopy(value) if key in _MANAGED_KEYS else value

    def __missing__(self, key: str) -> Any:
        return {}  # frames and retries look up Execution/State: an absent entry stays absent

    def pop(self, key: str, *default: Any) -> Any:  # noqa: D102 - dict.pop that keeps managed keys
        if key in _MANAGED_KEYS:
            return default[0] if default else None
        return super().pop(key, *default)

    def __deepcopy__(self, memo: dict) -> PinnedContext:
        return PinnedContext(copy.deepcopy(dict(self), memo))


class TestStates(States):
    """``$states`` of the state under test: a fresh input has no ``result`` or ``errorOutput`` yet.

    The interpreter resets them to null, which ``{% $states %}`` would show; AWS leaves them out.
    """

    def reset(self, input_value: Any) -> None:
        """Make ``input_value`` the state's input."""
        self._states_data["input"] = copy.deepcopy(input_value)
        self._states_data.pop("result", None)
        self._states_data.pop("errorOutput", None)

    def use_context(self, context: dict[str, Any]) -> None:
        """Read ``$$`` and ``$states.context`` from ``context``."""
        self.context_object.context_object_data = context
        self._states_data["context"] = context


class TestStateEnvironment(Environment):
    """An environment whose frames (the Task's worker, retries) keep a pinned context as given."""

    pinned: PinnedContext | None = None

    @classmethod
    def as_frame_of(cls, env: Environment, event_history_frame_cache: EventHistoryContext | None = None):
        """A frame sharing ``env``'s variables (a Task's worker)."""
        return cls.as_inner_frame_of(env=env, variable_store=env.variable_store,
                                     event_history_frame_cache=event_history_frame_cache)

    @classmethod
    def as_inner_frame_of(cls, env: Environment, variable_store, event_history_frame_cache=None):
        """A frame of ``env`` with ``variable_store``, reading a pinned context as ``env`` reads it."""
        pinned = getattr(env, "pinned", None)
        if pinned is None:  # the default context is complete: the interpreter's frames serve
            frame = super().as_inner_frame_of(env=env, variable_store=variable_store,
                                              event_history_frame_cache=event_history_frame_cache)
            frame.states = _states_like(frame.states)
            return frame
        # A pinned context may lack what the interpreter copies into frames: the frame reads the same object.
        frame = cls(
            aws_execution_details=env.aws_execution_details, execution_type=env.execution_type,
            context={"Execution": {"Input": None}},
            event_history_context=event_history_frame_cache
            or EventHistoryContext(previous_event_id=env.event_history_context.source_event_id),
            cloud_watch_logging_session=env.cloud_watch_logging_session, activity_store=env.activity_store,
            variable_store=variable_store, mock_test_case=env.mock_test_case,
        )
        frame._is_frame = True
        frame.event_manager = env.event_manager
        frame.callback_pool_manager = env.callback_pool_manager
        frame.map_run_record_pool_manager = env.map_run_record_pool_manager
        frame._program_state = copy.deepcopy(env._program_state)
        frame.states = _states_like(frame.states)
        frame.pinned = pinned
        frame.states.use_context(copy.deepcopy(pinned))
        return frame


def _states_like(states: States) -> TestStates:
    clone = TestStates.__new__(TestStates)
    clone.__dict__.update(states.__dict__)
    return clone


def default_context(account: str, region: str, role_arn: str | None, state_input: Any) -> dict[str, Any]:
    """The context object AWS builds when the caller gives none: an express execution made for the call."""
    machine = f"TestStateMachine-{uuid.uuid4().hex[:12]}"
    execution = str(uuid.uuid4())
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "Execution": {
            "Id": f"arn:aws:states:{region}:{account}:express:{machine}:{execution}",
            "Input": copy.deepcopy(state_input), "Name": execution, "RoleArn": role_arn, "StartTime": started,
        },
        "StateMachine": {"Id": f"arn:aws:states:{region}:{account}:stateMachine:{machine}", "Name": machine},
    }


def build_environment(*, account: str, region: str, role_arn: str | None, state_input: Any,
                      context: dict[str, Any] | None, variables: dict[str, Any] | None) -> TestStateEnvironment:
    """The environment the state under test runs in, with its input, context object and variables set."""
    defaults = default_context(account, region, role_arn, state_input)
    env = TestStateEnvironment(
        aws_execution_details=AWSExecutionDetails(account=account, region=region, role_arn=role_arn or ""),
        execution_type=StateMachineType.EXPRESS, context=defaults,
        event_history_context=EventHistoryContext.of_program_start(),
        cloud_watch_logging_session=None, activity_store={},
    )
    env.states = _states_like(env.states)
    if context is not None:
        env.pinned = PinnedContext(copy.deepcopy(context))
        env.states.use_context(env.pinned)
    env.states.reset(input_value=state_input)
    for name, value in (variables or {}).items():
        env.variable_store.set(name, copy.deepcopy(value))
    env.variable_store.reset_tracing()
    return env
