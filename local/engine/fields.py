"""Where a failure happened, for causes worded as AWS words them: the state's entered event and the field.

AWS writes "An error occurred while executing the state 'S' (entered at the event id #N)", N being the id of the
state's StateEntered event, and names the field of a failing JSONata expression by its path in the state:
``'Output'``, ``'Output/result'``, ``'Arguments/FunctionName'``, ``'Assign/result'``, ``'Items'``. The interpreter's
components know neither, so each state records its entered event, and each component that stands for a field its
name, on the environment while it evaluates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def field_path(env: Any) -> str | None:
    """The path of the field being evaluated in ``env`` (``"Output/result"``), or None outside any field."""
    names = getattr(env, "_field_names", None)
    return "/".join(name for _, name in names) if names else None


def _record_field(cls: type, name_of: Callable[[Any], str]) -> None:
    """Every ``_eval_body`` of ``cls`` and its subclasses records ``name_of(component)`` while it runs."""
    classes = [cls]
    while classes:
        klass = classes.pop()
        classes.extend(klass.__subclasses__())
        original = klass.__dict__.get("_eval_body")
        if original is None or getattr(original, "_records_field", False):
            continue

        def _eval_body(self, env, _original=original):
            names = env.__dict__.setdefault("_field_names", [])
            if names and names[-1][0] is self:  # a subclass calling its base's body: one field
                _original(self, env)
                return
            names.append((self, name_of(self)))
            try:
                _original(self, env)
            finally:
                names.pop()

        _eval_body._records_field = True
        klass._eval_body = _eval_body


def _name_the_state_entered_event() -> None:
    """Defect: a failure after the task's own events named the last event (``#5``), not the state's entry (``#2``)."""
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original_state_input = CommonStateField._eval_state_input
    original_failure = FailureEvent.__init__
    original_frame = Environment.as_inner_frame_of.__func__

    def eval_state_input(self, env) -> None:
        # Called right after the StateEntered event was added.
        env.event_history_context._entered_event_id = env.event_history_context.last_published_event_id
        original_state_input(self, env)

    def failure_init(self, env, *args, **kwargs) -> None:
        original_failure(self, env, *args, **kwargs)
        entered = getattr(env.event_history_context, "_entered_event_id", None)
        if entered is not None:
            self.source_event_id = entered

    def as_inner_frame_of(cls, env, variable_store, event_history_frame_cache=None):
        frame = original_frame(cls, env, variable_store, event_history_frame_cache)
        if event_history_frame_cache is None:  # a task's call or a branch starts inside the state that opened it
            entered = getattr(env.event_history_context, "_entered_event_id", None)
            frame.event_history_context._entered_event_id = entered
        return frame

    CommonStateField._eval_state_input = eval_state_input
    FailureEvent.__init__ = failure_init
    Environment.as_inner_frame_of = classmethod(as_inner_frame_of)


def install() -> None:
    """Record the entered event of every state and the field of every component that stands for one."""
    _name_the_state_entered_event()
    from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
    from moto.stepfunctions.parser.asl.component.common.assign.assign_template_binding import (
        AssignTemplateBinding,
    )
    from moto.stepfunctions.parser.asl.component.common.jsonata.jsonata_template_binding import (
        JSONataTemplateBinding,
    )
    from moto.stepfunctions.parser.asl.component.common.outputdecl import Output
    from moto.stepfunctions.parser.asl.component.common.parargs import Arguments, Parargs
    from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import Heartbeat
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import Timeout
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison import (
        ConditionJSONataLit,
        ConditionStringJSONata,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_selector import ItemSelector
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.items.items import Items
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.max_concurrency import MaxConcurrencyDecl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountDecl,
        ToleratedFailurePercentageDecl,
    )
    from moto.stepfunctions.parser.asl.component.state.fail.cause_decl import CauseDecl
    from moto.stepfunctions.parser.asl.component.state.fail.error_decl import ErrorDecl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    fixed = {
        Output: "Output", AssignDecl: "Assign", Items: "Items", ItemSelector: "ItemSelector",
        Timeout: "TimeoutSeconds", Heartbeat: "HeartbeatSeconds", MaxConcurrencyDecl: "MaxConcurrency",
        ToleratedFailureCountDecl: "ToleratedFailureCount",
        ToleratedFailurePercentageDecl: "ToleratedFailurePercentage",
        CauseDecl: "Cause", ErrorDecl: "Error", ConditionJSONataLit: "Condition", ConditionStringJSONata: "Condition",
    }
    for cls, name in fixed.items():
        _record_field(cls, lambda _component, name=name: name)
    _record_field(Parargs, lambda component: "Arguments" if isinstance(component, Arguments) else "Parameters")
    _record_field(WaitFunction, lambda component: "Timestamp" if isinstance(component, Timestamp) else "Seconds")
    _record_field(JSONataTemplateBinding, lambda component: component.identifier)
    _record_field(AssignTemplateBinding, lambda component: component.identifier)
