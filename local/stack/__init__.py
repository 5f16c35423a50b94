"""The template-driven local stack: read ``template.yaml``, provision it, run and trigger workflows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local.stack.template import Template, TemplateError

if TYPE_CHECKING:
    from local.stack.stack import Execution, Stack

__all__ = ["Execution", "Stack", "Template", "TemplateError"]


def __getattr__(name: str) -> Any:
    # The stack brings the engine (moto, its interpreter) with it: commands that only read the project, such as
    # ``new`` and ``fmt``, start without it.
    if name in ("Execution", "Stack"):
        from local.stack import stack

        return getattr(stack, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
