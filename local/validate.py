"""``python -m local validate``: kept as the entry point; the checks live in :mod:`local.validation`."""

from __future__ import annotations

from local.validation import CHECKS, Report, run_validation, validate_project
from local.validation.common import Problem, iter_states

__all__ = ["CHECKS", "Problem", "Report", "iter_states", "run_validation", "validate_project"]
