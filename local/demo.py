"""``python -m local demo``: every workflow end to end on the embedded engine, triggered the way AWS triggers it.

Nothing is started with StartExecution: the demo uploads files, puts events on buses, changes table items and
publishes text messages, exactly what users and AWS services do in the cloud, and the template's rules, pipes
and subscriptions start the workflows. Each workflow's story is in its driver (``local/workflows/<name>.py``,
``play_demo``); for each it prints the trigger, the path taken, the result and the time, checks the business
outcome against the workflow's ``events/demo*.json``, and exits 0 only if every workflow ended as expected. A
workflow whose driver has no demo is listed as ``skipped: <why>``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

from local.launch import launch_stack
from local.workflows import registry, selected
from local.workflows.driver import DemoFailure, DemoOutcome, Driver


def compact_path(states: list[str]) -> str:
    """The states entered, with runs of the same state (a Map's iterations) shown once with a count."""
    parts = []
    for name, run in itertools.groupby(states):
        count = len(list(run))
        parts.append(f"{name} x{count}" if count > 1 else name)
    return " → ".join(parts)


def _print_outcome(number: int, total: int, driver: Driver, outcome: DemoOutcome) -> None:
    mark = "✔" if outcome.ok else "✘"
    print(f"{mark} [{number}/{total}] {driver.name}: {driver.demo_title}  ({outcome.seconds:.2f} s)", flush=True)
    print(f"    trigger: {outcome.trigger}")
    for execution in outcome.executions:
        print(f"    path:    {compact_path(execution.states)}  [{execution.status}]")
    if outcome.result:
        print(f"    result:  {outcome.result}")
    for problem in outcome.problems:
        print(f"    problem: {problem}")


def run_demo(args: argparse.Namespace) -> int:
    """Play every workflow's demo on a freshly launched stack; 0 when all ended as expected."""
    selected(args.template, args.only)  # an unknown name is an error before anything starts
    os.environ.setdefault("LOCAL_FUNCTION_LOG_LEVEL", "WARNING")  # the functions' INFO logs would drown the report
    started = time.perf_counter()
    print("Launching the local stack from template.yaml…", flush=True)
    with launch_stack(args) as stack:
        found = registry(stack.template.root, stack.template)
        chosen = found.select(args.only)
        print(f"  {len(stack.resources)} resources provisioned in {time.perf_counter() - started:.2f} s\n", flush=True)
        drivers = []
        for workflow in chosen:
            driver = found.driver(workflow)
            if driver is None:
                print(found.skipped(workflow))
            elif not driver.demo_title:
                print(f"skipped: {workflow}: its driver has no demo (demo_title, play_demo)")
            else:
                drivers.append(driver)
        if len(drivers) < len(chosen):
            print()
        outcomes = []
        for number, driver in enumerate(drivers, 1):
            print(f"… [{number}/{len(drivers)}] {driver.name}: {driver.demo_title}", flush=True)
            outcome = DemoOutcome(driver.name)
            began = time.perf_counter()
            try:
                driver.play_demo(stack, outcome)
            except (DemoFailure, AssertionError, TimeoutError) as error:
                outcome.problems.append(str(error))
            except Exception as error:  # a broken demo is one line of the report, never a stack trace
                outcome.problems.append(f"{type(error).__name__}: {error}")
            outcome.seconds = time.perf_counter() - began
            _print_outcome(number, len(drivers), driver, outcome)
            outcomes.append(outcome)
            print()
    failed = [o.workflow for o in outcomes if not o.ok]
    skipped = len(chosen) - len(drivers)
    total = time.perf_counter() - started
    note = f" ({skipped} skipped)" if skipped else ""
    if failed:
        print(f"Demo finished in {total:.1f} s: {len(failed)} of {len(outcomes)} workflows did not end as expected "
              f"({', '.join(failed)}){note}.")
        return 1
    if not outcomes:
        print(f"Demo finished in {total:.1f} s: no workflow was played{note}.")
        return 1
    print(f"Demo finished in {total:.1f} s: all {len(outcomes)} workflows ended as expected{note}.")
    return 0
