"""Which field of a state an expression belongs to, for causes worded as AWS words them.

AWS names the field of a failing JSONata expression by its path in the state: ``'Output'``, ``'Output/result'``,
``'Arguments/FunctionName'``, ``'Assign/result'``, ``'Items'``. The interpreter's components do not know their
path, so each component that stands for a field records its name on the environment while it evaluates.
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


def install() -> None:
    """Record the field of every component that stands for one."""
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
