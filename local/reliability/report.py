"""``python -m local report reliability``: the four checks' figures, from the code the tests run.

Every workflow of the project is taken from the registry (:mod:`local.workflows`); an aspect its driver does not
provide (no harness, no input contract, no duplicate check, a trigger it cannot fire) is reported as
``skipped: <why>``, never left out silently.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Iterable
from typing import Any

from local.figures import write_figures
from local.launch import launch_stack
from local.reliability.errors import fault_cases
from local.reliability.faults import FaultMatrix
from local.reliability.inputs import run_bad_inputs
from local.reliability.triggers import undeliverable_trigger
from local.stack.stack import Stack
from local.stack.triggers import trigger_gaps, workflow_triggers
from local.workflows import registry, selected
from local.workflows.driver import Driver


def _provides_fire(driver: Driver) -> bool:
    return type(driver).fire is not Driver.fire


def reliability_figures(stack: Stack, workflows: Iterable[str] | None = None, examples: int = 100) -> dict[str, Any]:
    """Run the fault matrix, the bad inputs, the duplicate checks and the trigger checks.

    Parameters
    ----------
    stack
        The running local stack.
    workflows
        Only these workflows (default: every workflow of the project); an unknown name raises
        :class:`~local.workflows.UnknownWorkflow`.
    examples
        Bad inputs per workflow.

    Returns
    -------
    dict
        ``faults``, ``badInput``, ``duplicates`` and ``triggers`` figures, with one row per case (JSON-ready),
        and ``skipped``: one line per aspect a driver does not provide.

    """
    found = registry(stack.template.root, stack.template)
    chosen = found.select(list(workflows) if workflows else None)
    skipped = [found.skipped(w) for w in chosen if found.driver(w) is None]
    drivers = {w: d for w in chosen if (d := found.driver(w)) is not None}
    harnessed = [w for w, d in drivers.items() if d.harness is not None]
    contracted = [w for w, d in drivers.items() if d.input_contract is not None]
    skipped += [f"skipped: {w}: no fault harness in its driver (harness)" for w in drivers if w not in harnessed]
    skipped += [f"skipped: {w}: no input contract in its driver (input_contract)" for w in drivers
                if w not in contracted]
    skipped += [f"skipped: {w}: no duplicate check in its driver (duplicates)" for w, d in drivers.items()
                if not d.duplicates()]
    began = time.monotonic()
    with FaultMatrix(stack, found) as matrix:
        faults = matrix.run_all(fault_cases(harnessed, stack.template.root))
    fault_seconds = time.monotonic() - began
    began = time.monotonic()
    bad = [run_bad_inputs(stack, workflow, examples) for workflow in contracted]
    bad_seconds = time.monotonic() - began
    duplicates = [check(stack) for d in drivers.values() for check in d.duplicates().values()]
    triggers = [t for t in workflow_triggers(stack.template) if t.workflow in chosen]
    gaps = trigger_gaps(stack.template, chosen)
    fired = [t for t in triggers if t.dead_letter and t.workflow in drivers and _provides_fire(drivers[t.workflow])]
    skipped += [f"skipped: {t.id}: its driver cannot fire it (fire)" for t in triggers
                if t.dead_letter and t not in fired]
    dead_letters = [undeliverable_trigger(stack, trigger) for trigger in fired]
    by_workflow = {}
    for workflow in harnessed:
        rows = [r for r in faults if r.case.workflow == workflow]
        by_workflow[workflow] = {
            "states": len({r.case.state for r in rows}), "pairs": len(rows), "designed": sum(r.designed for r in rows),
            "transient": sum(r.case.error.transient for r in rows),
            "permanent": sum(not r.case.error.transient for r in rows)}
    return {
        "workflows": chosen,
        "skipped": skipped,
        "faults": {"pairs": len(faults), "designed": sum(r.designed for r in faults),
                   "states": len({(r.case.workflow, r.case.state) for r in faults}),
                   "seconds": round(fault_seconds, 1), "byWorkflow": by_workflow,
                   "cases": [r.to_json() for r in faults]},
        "badInput": {"tried": sum(f.tried for f in bad), "handled": sum(f.handled for f in bad),
                     "examplesPerWorkflow": examples, "seconds": round(bad_seconds, 1),
                     "byWorkflow": {f.workflow: f.to_json() for f in bad}},
        "duplicates": {"checks": len(duplicates), "sent": sum(d.sent for d in duplicates),
                       "applied": sum(d.applied for d in duplicates), "ok": sum(d.ok for d in duplicates),
                       "rows": [d.to_json() for d in duplicates]},
        "triggers": {"count": len(triggers), "guarded": len(triggers) - len({g.split(":")[1] for g in gaps}),
                     "gaps": gaps, "fired": len(dead_letters), "deadLettered": sum(d.ok for d in dead_letters),
                     "rows": [d.to_json() for d in dead_letters]},
    }


def all_handled(figures: dict[str, Any]) -> bool:
    """Every fault ended as designed, every bad input was refused, every duplicate applied once, no trigger gap."""
    faults, bad, duplicates, triggers = (figures[k] for k in ("faults", "badInput", "duplicates", "triggers"))
    return (faults["designed"] == faults["pairs"] and bad["handled"] == bad["tried"]
            and duplicates["ok"] == duplicates["checks"] and not triggers["gaps"]
            and triggers["deadLettered"] == triggers["fired"])


def format_report(figures: dict[str, Any]) -> str:
    """The figures as text."""
    faults, bad, duplicates, triggers = (figures[k] for k in ("faults", "badInput", "duplicates", "triggers"))
    lines = [f"Reliability of {len(figures['workflows'])} workflows", *figures.get("skipped", []), "",
             f"Fault injection: {faults['pairs']} (Task state, error class) pairs over {faults['states']} Task "
             f"states; {faults['designed']} ended as designed ({faults['seconds']} s)",
             f"  {'workflow':<24}{'states':>7}{'pairs':>7}{'designed':>10}{'transient':>11}{'permanent':>11}"]
    for workflow, row in faults["byWorkflow"].items():
        lines.append(f"  {workflow:<24}{row['states']:>7}{row['pairs']:>7}{row['designed']:>10}"
                     f"{row['transient']:>11}{row['permanent']:>11}")
    lines += [f"  ✗ {c['workflow']}:{c['state']}:{c['kind']}: {'; '.join(c['problems'])}"
              for c in faults["cases"] if not c["designed"]]
    lines += ["  transient = throttling and server errors thrown twice, then answered: retried, the business "
              "outcome unchanged;", "  permanent = access denied, validation, timeouts: the designed, recorded "
              "failure outcome.", "",
              f"Bad input: {bad['tried']} generated inputs ({bad['examplesPerWorkflow']} drawn per workflow with a "
              "fixed seed, and one of each kind); "
              f"{bad['handled']} failed at once with the workflow's error naming the field ({bad['seconds']} s)"]
    for workflow, row in bad["byWorkflow"].items():
        lines.append(f"  {workflow:<24}{row['tried']:>5} tried {row['handled']:>5} handled")
        lines += [f"    ✗ {failure}" for failure in row["failures"]]
    lines += ["", f"Duplicates: {duplicates['checks']} triggers delivered twice ({duplicates['sent']} deliveries); "
                  f"{duplicates['applied']} applied"]
    for row in duplicates["rows"]:
        mark = "✓" if row["ok"] else "✗"
        lines.append(f"  {mark} {row['workflow']:<24} {row['description']}: sent {row['sent']}, applied "
                     f"{row['applied']}  {json.dumps(row['details'])}")
        lines += [f"      {problem}" for problem in row["problems"]]
    lines += ["", f"Triggers: {triggers['count']} rules and pipes start the workflows; {triggers['guarded']} with a "
                  f"retry policy and a dead-letter queue; {triggers['deadLettered']} of {triggers['fired']} "
                  "undeliverable triggers landed in their queue"]
    lines += [f"  ✗ {gap}" for gap in triggers["gaps"]]
    for row in triggers["rows"]:
        mark = "✓" if row["ok"] else "✗"
        lines.append(f"  {mark} {row['trigger']:<78} → {row['deadLetterQueue']}")
        lines += [f"      {problem}" for problem in row["problems"]]
    return "\n".join(lines)


def run_report(args: Any) -> int:
    """``python -m local report reliability``: print the figures (and write them as JSON); 0 when all held."""
    try:
        import hypothesis  # noqa: F401 - a dev dependency
    except ImportError:
        print("error: the reliability report needs the dev dependencies: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    selected(args.template, args.only)  # an unknown name is an error before the stack is launched
    warnings.filterwarnings("ignore", message="The recursion limit will not be reset")
    os.environ.setdefault("LOCAL_FUNCTION_LOG_LEVEL", "WARNING")  # the Lambda functions' logs are not figures
    with launch_stack(args) as stack:
        figures = reliability_figures(stack, args.only, args.examples)
    print(format_report(figures))
    write_figures(args.json, figures)
    return 0 if all_handled(figures) else 1
