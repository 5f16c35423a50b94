"""The template-driven local stack: read ``template.yaml``, provision it, run and trigger workflows."""

from local.stack.stack import Execution, Stack
from local.stack.template import Template, TemplateError

__all__ = ["Execution", "Stack", "Template", "TemplateError"]
