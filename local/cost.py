"""``python -m local cost``: what each workflow costs per million business events, from real local executions.

Every business path of the workflows' drivers (``journeys``) runs on the embedded engine; from each execution's
history come the state transitions (retries included, as Step Functions bills them) and the service calls, from
the in-process Lambda runtime the invocations and their run time, and from the virtual clock the time spent
waiting (a workflow whose driver has no journey is listed as ``skipped: <why>``). Those counts
are priced with ``local/prices.json`` for a Standard and for an Express workflow. A workflow's figure is the
mean of its paths (each path equally likely), and the recommendation is the cheaper type the workflow can use:
Express cannot wait for callbacks (``.waitForTaskToken``) or jobs (``.sync``) and stops after 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from local.figures import write_figures
from local.launch import launch_stack
from local.paths import workflow_files
from local.stack.stack import Stack, billed_transitions
from local.workflows import registry, selected
from local.workflows.driver import Journey

PRICES_FILE = Path(__file__).with_name("prices.json")
MILLION = 1_000_000


@dataclass
class PathUsage:
    """What one business event on one path used."""

    workflow: str
    path: str
    state_transitions: int
    sdk_calls: dict[str, int]
    lambda_invocations: int
    lambda_gb_seconds: float
    waited_seconds: float
    callbacks: int
    express_duration_seconds: float = 0.0
    standard_per_million: float = 0.0
    express_per_million: float | None = None
    express_blocked_by: list[str] = field(default_factory=list)


def _usage(stack: Stack, path: Journey, prices: dict[str, Any]) -> PathUsage:
    """Run the path once and count what it used."""
    from local.engine.clock import CLOCK
    from local.stack.functions import LocalFunction

    memory = {f.name: f.memory_mb for f in stack.provisioner.functions.values()}
    invoked_before, slept_before = len(LocalFunction.invocations), CLOCK.slept
    arn = path.run(stack)
    invocations = LocalFunction.invocations[invoked_before:]
    waited = CLOCK.slept - slept_before
    history = stack.execution(arn).history

    scheduled = [e for e in history if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled")]
    calls: dict[str, int] = {}
    callbacks = 0
    for event in scheduled:
        details = event.get("taskScheduledEventDetails") or {}
        resource = f"{details.get('resourceType', 'lambda')}:{details.get('resource', 'invoke')}"
        callbacks += resource.endswith(".waitForTaskToken")
        calls[resource] = calls.get(resource, 0) + 1
    overhead = prices["model"]["lambda_overhead_ms"]
    gb_seconds = sum(
        math.ceil(record.duration_ms + overhead) / 1000 * memory.get(record.function_name, 128) / 1024
        for record in invocations
    )
    return PathUsage(
        workflow=path.workflow, path=path.name,
        state_transitions=billed_transitions(history),
        sdk_calls=dict(sorted(calls.items())), lambda_invocations=len(invocations),
        lambda_gb_seconds=round(gb_seconds, 6), waited_seconds=round(waited, 3), callbacks=callbacks,
    )


def _price(usage: PathUsage, prices: dict[str, Any], architecture: str, express_blockers: list[str]) -> None:
    sfn, lam, model = prices["step_functions"], prices["lambda"], prices["model"]
    lambda_cost = usage.lambda_invocations * lam["per_request"] + usage.lambda_gb_seconds * lam["per_gb_second"][
        architecture]
    usage.standard_per_million = round(MILLION * (usage.state_transitions * sfn["standard_per_state_transition"]
                                                  + lambda_cost), 2)
    calls = sum(usage.sdk_calls.values())
    duration = usage.waited_seconds + calls * model["sdk_call_latency_ms"] / 1000
    rounding = sfn["express_duration_rounding_ms"] / 1000
    usage.express_duration_seconds = round(math.ceil(duration / rounding) * rounding, 3)
    blockers = list(express_blockers)
    if usage.express_duration_seconds > sfn["express_max_duration_seconds"]:
        blockers.append(f"runs {usage.express_duration_seconds:.0f} s, longer than Express's 5 minutes")
    usage.express_blocked_by = blockers
    gb = math.ceil(model["express_memory_mb"] / sfn["express_memory_chunk_mb"]) * sfn["express_memory_chunk_mb"] / 1024
    express = sfn["express_per_request"] + usage.express_duration_seconds * gb * sfn["express_per_gb_second"]
    usage.express_per_million = None if blockers else round(MILLION * (express + lambda_cost), 2)


def _express_blockers(definition: dict[str, Any]) -> list[str]:
    """Integration patterns Express workflows do not support, found anywhere in the definition."""
    text = json.dumps(definition)
    found = []
    if ".waitForTaskToken" in text:
        found.append("waits for callbacks (.waitForTaskToken)")
    if '.sync"' in text or ".sync:2" in text:
        found.append("waits for jobs (.sync)")
    if any(_on_a_cycle(definition["States"], name) for name, state in definition["States"].items()
           if state.get("Type") == "Wait"):
        found.append("polls a job in a Wait loop, which can outlast 5 minutes")
    return found


def _on_a_cycle(states: dict[str, Any], start: str) -> bool:
    """Whether ``start`` can reach itself through Next, Choices, Default and Catch."""

    def targets(name: str) -> list[str]:
        state = states.get(name, {})
        found = [state.get("Next"), state.get("Default")]
        found += [choice.get("Next") for choice in state.get("Choices", [])]
        found += [catcher.get("Next") for catcher in state.get("Catch", [])]
        return [t for t in found if t]

    seen, frontier = set(), targets(start)
    while frontier:
        name = frontier.pop()
        if name == start:
            return True
        if name not in seen:
            seen.add(name)
            frontier.extend(targets(name))
    return False


def run_cost(args: argparse.Namespace) -> int:
    """Run every path, price it, print a table and optionally write JSON."""
    selected(args.template, args.only)  # an unknown name is an error before anything runs
    os.environ.setdefault("LOCAL_FUNCTION_LOG_LEVEL", "WARNING")
    prices = json.loads(PRICES_FILE.read_text())
    report: dict[str, Any] = {"prices": {k: prices[k] for k in ("region", "currency", "checked", "sources")},
                              "model": prices["model"], "workflows": {}}
    with launch_stack(args) as stack:
        template = stack.template
        journeys, report["skipped"] = registry(template.root, template).journeys(stack, args.only)
        for line in report["skipped"]:
            print(line, flush=True)
        for path in journeys:
            resource = template.workflows()[path.workflow]
            definition = workflow_files(path.workflow, template.root).read_definition()
            architecture = "arm64"  # the template's Globals
            usage = _usage(stack, path, prices)
            _price(usage, prices, architecture, _express_blockers(definition))
            entry = report["workflows"].setdefault(path.workflow, {
                "template_type": resource.properties.get("Type", "STANDARD"), "paths": []})
            entry["paths"].append(asdict(usage))
    for entry in report["workflows"].values():
        standard = statistics.mean(p["standard_per_million"] for p in entry["paths"])
        express_values = [p["express_per_million"] for p in entry["paths"]]
        express = None if None in express_values else statistics.mean(express_values)
        cheaper = "EXPRESS" if express is not None and express < standard else "STANDARD"
        entry.update(standard_per_million=round(standard, 2),
                     express_per_million=None if express is None else round(express, 2),
                     recommended_type=cheaper, template_uses_recommended=entry["template_type"] == cheaper)
    _print(report)
    write_figures(args.json, report)
    return 0


def _print(report: dict[str, Any]) -> None:
    print(f"\nCost per million business events, {report['prices']['region']} on-demand prices "
          f"(checked {report['prices']['checked']}), Step Functions + Lambda only\n")
    header = (f"{'workflow / path':<58} {'trans.':>6} {'calls':>5} {'λ inv.':>6} {'waits s':>8} "
              f"{'Standard $':>11} {'Express $':>10}")
    print(header)
    for name, entry in report["workflows"].items():
        for usage in entry["paths"]:
            express = "n/a" if usage["express_per_million"] is None else f"{usage['express_per_million']:.2f}"
            label = f"{name} / {usage['path']}"
            print(f"{label[:58]:<58} {usage['state_transitions']:>6} {sum(usage['sdk_calls'].values()):>5} "
                  f"{usage['lambda_invocations']:>6} {usage['waited_seconds']:>8} "
                  f"{usage['standard_per_million']:>11.2f} {express:>10}")
    print("\nRecommendation (mean of each workflow's paths):")
    for name, entry in report["workflows"].items():
        express = "n/a" if entry["express_per_million"] is None else f"${entry['express_per_million']:.2f}"
        blockers = sorted({b for p in entry["paths"] for b in p["express_blocked_by"]})
        why = f" (Express not possible: {'; '.join(blockers)})" if blockers else ""
        verdict = "the template uses it" if entry["template_uses_recommended"] else \
            f"the template uses {entry['template_type']}"
        print(f"  {name}: Standard ${entry['standard_per_million']:.2f}, Express {express} per million → "
              f"{entry['recommended_type']}; {verdict}{why}")
