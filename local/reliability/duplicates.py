"""Duplicates: the same trigger delivered twice must not give two records or advance a conversation twice.

EventBridge, S3 notifications and SNS deliver at least once. Each check, in the workflow's driver
(:meth:`local.workflows.driver.Driver.duplicates`), delivers one business event twice through its real trigger
and counts what was applied (the Express enrichment is at least once by design: its consumer deduplicates on
the original event id, which the check verifies is carried).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from local.paths import PROJECT_ROOT
from local.stack.stack import Stack
from local.workflows import registry
from local.workflows.contracts import DuplicateResult


def duplicate_checks(workflows: Iterable[str] | None = None,
                     root: Path = PROJECT_ROOT) -> dict[str, Callable[[Stack], DuplicateResult]]:
    """Every duplicate check of the drivers (``workflow:what`` → check), only ``workflows``' if given."""
    found = registry(root)
    checks: dict[str, Callable[[Stack], DuplicateResult]] = {}
    for workflow in found.workflows if workflows is None else workflows:
        driver = found.driver(workflow)
        if driver is not None:
            checks.update(driver.duplicates())
    return checks


def check_duplicate(stack: Stack, name: str) -> DuplicateResult:
    """Deliver one business event twice through its real trigger and count what was applied.

    Parameters
    ----------
    stack
        The running local stack (the trigger rules live).
    name
        A duplicate check of a driver (``workflow:what``).

    Returns
    -------
    DuplicateResult
        Deliveries sent, effects applied (records, conversation steps), and what was not as designed.

    """
    checks = duplicate_checks(root=stack.template.root)
    if name not in checks:
        raise KeyError(f"no duplicate check {name!r} (known: {', '.join(sorted(checks))})")
    return checks[name](stack)
