"""``python -m local bench``: how fast the local loop is, measured (a benchmark, not a test).

For each workflow's main path on the embedded engine: sequential executions per second with p50/p95
latency (start to end), and throughput with 8 concurrent executions. Start-up (import plus provisioning of
``template.yaml``) is timed in fresh interpreters. A reference pair of machines (5 Pass/Choice states; two SDK
tasks) runs on this engine and on stock moto without the project's adaptations, each in fresh interpreters, in
alternating rounds, giving the speed-up as the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local.figures import write_figures
from local.launch import launch_stack
from local.paths import PROJECT_ROOT
from local.stack.stack import Stack
from local.workflows import registry, selected
from local.workflows.driver import Journey

CONCURRENCY = 8

# --- reference machines, identical on both engines --------------------------------------------------------

PASS_CHOICE = {
    "Comment": "Reference: five Pass/Choice states.",
    "StartAt": "Receive",
    "States": {
        "Receive": {"Type": "Pass", "Result": {"amount": 42}, "ResultPath": "$.order", "Next": "IsLarge"},
        "IsLarge": {"Type": "Choice", "Choices": [
            {"Variable": "$.order.amount", "NumericGreaterThan": 100, "Next": "Large"}], "Default": "Small"},
        "Large": {"Type": "Pass", "Result": "large", "ResultPath": "$.size", "Next": "Done"},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}

TWO_SDK_TASKS = {
    "Comment": "Reference: look a tag up, then publish an event (the EC2 enrichment in miniature).",
    "StartAt": "DescribeTags",
    "States": {
        "DescribeTags": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeTags",
            "Parameters": {"Filters": [{"Name": "resource-id", "Values.$": "States.Array($.id)"}]},
            "ResultPath": "$.tags", "Next": "Publish",
        },
        "Publish": {
            "Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"Source": "bench", "DetailType": "Reference", "Detail.$": "$.tags"}]},
            "End": True,
        },
    },
}
REFERENCE_MACHINES = {"pass_choice": PASS_CHOICE, "two_sdk_tasks": TWO_SDK_TASKS}
ROLE = "arn:aws:iam::123456789012:role/bench"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- workflows' main paths --------------------------------------------------------------------------------


def _latency_ms(stack: Stack, journey: Journey) -> float:
    """One execution of the journey, start to end, in milliseconds."""
    started = time.perf_counter()
    journey.run(stack)
    return (time.perf_counter() - started) * 1000


def _measure(run: Callable[[], float], seconds: float, minimum: int) -> dict[str, float]:
    """Sequential runs for about ``seconds`` (at least ``minimum``), then 8 threads for as long."""
    for _ in range(2):
        run()  # warm-up: first parse, first client, first handler import
    latencies: list[float] = []
    began = time.perf_counter()
    while len(latencies) < minimum or time.perf_counter() - began < seconds:
        latencies.append(run())
    sequential = time.perf_counter() - began
    total = max(minimum, len(latencies))
    began = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(lambda _: run(), range(total)))
    concurrent = time.perf_counter() - began
    return {
        "executions": len(latencies),
        "executions_per_second": round(len(latencies) / sequential, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "concurrent_executions_per_second": round(total / concurrent, 1),
    }


# --- start-up and the reference machines, each in a fresh interpreter ----------------------------------------

_STARTUP_PROBE = """
import time
began = time.perf_counter()
from local.stack import Stack
stack = Stack.launch({template!r})
print(time.perf_counter() - began)
stack.stop()
"""


def _startup_seconds(template: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _STARTUP_PROBE.format(template=str(template))],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=120)
        times.append(round(float(done.stdout.strip().splitlines()[-1]), 3))
    return times


def _reference_runner(machines: dict[str, dict], seconds: float, stock: bool) -> dict[str, float]:
    """Sequential executions/s of each reference machine, waiting as a client of that engine can.

    Stock moto can only be polled (with a short sleep: a busy poll starves the execution thread); this engine
    signals each execution's end.
    """
    import boto3

    client = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="bench",
                          aws_secret_access_key="bench")
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    results = {}
    for name, definition in machines.items():
        arn = client.create_state_machine(name=f"bench-{name}-{uuid.uuid4().hex[:6]}",
                                          definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]

        def run(arn: str = arn, name: str = name) -> None:
            # Named: stock moto gives every unnamed execution the same ARN (see local.engine.executions).
            execution = client.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex,
                                               input=json.dumps({"id": instance}))
            if not stock:
                from local.engine import executions

                executions.wait_for_end(execution["executionArn"], 30)
            while (status := client.describe_execution(executionArn=execution["executionArn"])["status"]) == "RUNNING":
                time.sleep(0.001)
            if status != "SUCCEEDED":
                raise RuntimeError(f"reference machine {name} ended {status}")

        run()
        count, began = 0, time.perf_counter()
        while count < 5 or time.perf_counter() - began < seconds:
            run()
            count += 1
        results[name] = round(count / (time.perf_counter() - began), 1)
    return results


#: Rounds of the reference machines; each round runs both engines, each in a fresh interpreter, one after the other.
REFERENCE_ROUNDS = 3

_REFERENCE_PROBE = {
    # As a user's test session: the project's template provisioned on the engine.
    "engine": (
        "import json\n"
        "from local.bench import REFERENCE_MACHINES, _reference_runner\n"
        "from local.stack import Stack\n"
        "with Stack.launch({template!r}):\n"
        "    print(json.dumps(_reference_runner(REFERENCE_MACHINES, {seconds}, stock=False)))\n"
    ),
    # No adaptation may leak in: moto as it is installed.
    "stock": (
        "import json\n"
        "from moto import mock_aws\n"
        "from local.bench import REFERENCE_MACHINES, _reference_runner\n"
        "with mock_aws(config={{'stepfunctions': {{'execute_state_machine': True}}}}):\n"
        "    print(json.dumps(_reference_runner(REFERENCE_MACHINES, {seconds}, stock=True)))\n"
    ),
}


def _reference_in_fresh_interpreter(engine: str, template: Path, seconds: float) -> dict[str, float]:
    """Run :func:`_reference_runner` on ``engine`` (``engine`` or ``stock``) in an interpreter of its own.

    Both engines start alike, with an empty heap: the workflows measured before would otherwise leave this
    engine's interpreter holding their executions (a garbage collector with more to scan) and not stock moto's.
    """
    code = _REFERENCE_PROBE[engine].format(template=str(template), seconds=seconds)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "LOCAL_FUNCTION_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=600, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"reference machines on {engine} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _reference(template: Path, seconds: float, rounds: int = REFERENCE_ROUNDS) -> dict[str, Any]:
    """Each machine's executions/s on both engines (median of the rounds) and the speed-up between the medians.

    The rounds alternate the engines, so a slow spell of a shared machine weighs on both alike.
    """
    runs: dict[str, list[dict[str, float]]] = {"engine": [], "stock": []}
    for _ in range(rounds):
        for engine, results in runs.items():
            results.append(_reference_in_fresh_interpreter(engine, template, seconds))
    result: dict[str, Any] = {}
    for name in REFERENCE_MACHINES:
        local = statistics.median(run[name] for run in runs["engine"])
        stock = statistics.median(run[name] for run in runs["stock"])
        result[name] = {"executions_per_second": local, "stock_executions_per_second": stock,
                        "speedup_vs_stock": round(local / stock, 2),
                        "rounds": {engine: [run[name] for run in runs[engine]] for engine in runs}}
    result["speedup_vs_stock"] = round(statistics.geometric_mean(
        [result[name]["speedup_vs_stock"] for name in REFERENCE_MACHINES]), 2)
    return result


# --- Lambda cold start: handler import time and package size ------------------------------------------------

_IMPORT_PROBE = """
import importlib.util, sys, time
sys.path.insert(0, {code_dir!r})
began = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", {source!r})
sys.modules["handler"] = module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - began) * 1000)
"""


def _distribution_bytes(requirement: str, seen: set[str]) -> int:
    """Installed size of a distribution and what it requires (as ``sam build`` would package it)."""
    import re
    from importlib import metadata

    name = re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0]
    if not name or name.lower() in seen or name.lower() in {"boto3", "botocore", "s3transfer", "jmespath"}:
        return 0  # the Lambda runtime provides boto3 and its dependencies
    seen.add(name.lower())
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0
    size = sum(f.size or 0 for f in dist.files or [])
    extras = set(re.findall(r"\[(.*?)\]", requirement)[0].split(",")) if "[" in requirement else set()
    for required in dist.requires or []:
        marker = required.split(";", 1)[1] if ";" in required else ""
        if "extra ==" in marker and not any(f'"{extra.strip()}"' in marker for extra in extras):
            continue
        size += _distribution_bytes(required.split(";")[0], seen)
    return size


def _lambda_cold_starts(stack: Stack, runs: int = 3) -> dict[str, Any]:
    """Import time of each handler module in fresh interpreters (median) and its package size."""
    results = {}
    for logical_id, function in sorted(stack.provisioner.functions.items()):
        source = function.code_dir / (function.module_name.replace(".", "/") + ".py")
        # As the Lambda runtime sets it up: the function's variables, tracing on (Tracing: Active).
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **function.environment,
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": function.name,
               "LAMBDA_TASK_ROOT": str(function.code_dir), "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench"}
        times = []
        for _ in range(runs):
            done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE.format(code_dir=str(function.code_dir),
                                                                               source=str(source))],
                                  env=env, capture_output=True, text=True, check=True, timeout=60)
            times.append(float(done.stdout.strip().splitlines()[-1]))
        files = [p for p in function.code_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        code = sum(p.stat().st_size for p in files)
        requirements = function.code_dir / "requirements.txt"
        seen: set[str] = set()
        dependencies = sum(_distribution_bytes(line, seen) for line in requirements.read_text().splitlines()
                           if line.strip() and not line.startswith("#")) if requirements.exists() else 0
        results[logical_id] = {"import_ms": round(statistics.median(times), 1), "code_bytes": code,
                               "package_bytes": code + dependencies}
    return results


# --- the command ---------------------------------------------------------------------------------------------


def run_bench(args: argparse.Namespace) -> int:
    """Measure, print a table and optionally write JSON; 0 unless a measurement failed."""
    selected(args.template, args.only)  # an unknown name is an error before anything is measured
    os.environ.setdefault("LOCAL_FUNCTION_LOG_LEVEL", "WARNING")
    template = Path(args.template).resolve()
    print("Timing start-up in fresh interpreters…", flush=True)
    startup_runs = _startup_seconds(template, args.startup_runs)
    report: dict[str, Any] = {"startup_seconds": round(statistics.median(startup_runs), 3),
                              "startup_runs": startup_runs, "workflows": {}, "reference": {},
                              "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    with launch_stack(args) as stack:
        journeys, skipped = registry(stack.template.root, stack.template).journeys(stack, args.only, main_only=True)
        report["skipped"] = skipped
        for line in skipped:
            print(line, flush=True)
        for journey in journeys:
            print(f"Running {journey.workflow} ({journey.name})…", flush=True)
            report["workflows"][journey.workflow] = {
                "path": journey.name, **_measure(lambda j=journey: _latency_ms(stack, j), args.seconds, 20)}
        print("Timing the Lambda handlers' imports in fresh interpreters…", flush=True)
        report["lambda_functions"] = _lambda_cold_starts(stack)
    print(f"Running the reference machines on this engine and on stock moto ({REFERENCE_ROUNDS} rounds)…", flush=True)
    report["reference"] = _reference(template, args.seconds)
    _print_report(report)
    write_figures(args.json, report)
    return 0


def _print_report(report: dict[str, Any]) -> None:
    print(f"\nStart-up (import + provisioning template.yaml): {report['startup_seconds']:.2f} s "
          f"(median of {report['startup_runs']})\n")
    print(f"{'workflow (main path)':<44} {'exec/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'8 concurrent/s':>15}")
    for name, row in report["workflows"].items():
        label = f"{name} ({row['path']})"
        print(f"{label:<44} {row['executions_per_second']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
              f"{row['concurrent_executions_per_second']:>15}")
    print(f"\n{'Lambda function':<44} {'import ms':>10} {'package MB':>11}")
    for name, row in report.get("lambda_functions", {}).items():
        print(f"{name:<44} {row['import_ms']:>10} {row['package_bytes'] / 1e6:>11.1f}")
    print(f"\n{'reference machine':<44} {'this engine/s':>14} {'stock moto/s':>13} {'speed-up':>9}")
    for name in REFERENCE_MACHINES:
        row = report["reference"][name]
        print(f"{name:<44} {row['executions_per_second']:>14} {row['stock_executions_per_second']:>13} "
              f"{row['speedup_vs_stock']:>8}x")

