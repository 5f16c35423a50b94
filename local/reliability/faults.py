"""The fault matrix: every Task state made to fail with every class of error its API returns.

Each case is a MockConfigFile test case built at run time and merged with the workflows' own. A *transient*
class (throttling, server error) is thrown twice, then the state gets its normal answer: the workflow must
retry and end exactly as its scenario ends without faults. A *permanent* class is thrown at every attempt:
the workflow must end in its designed, recorded outcome (a status in its table, the execution failed with the
workflow's named error, a fallback). Only the faulted state is mocked: every other state calls the local
services, so records, events and messages are real. What each workflow's scenarios are and how they end is
its driver's harness (:class:`local.workflows.harness.Harness`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from local.engine import executions, sdk
from local.engine.mock_config import MockConfig
from local.stack.stack import Execution, Stack
from local.workflows import Registry, registry
from local.workflows.harness import (
    PERSISTENT_THROWS,
    TRANSIENT_THROWS,
    FaultCase,
    Harness,
    Probe,
    Run,
    Scenario,
    differences,
    short,
)

# --- what an execution did -----------------------------------------------------------------------------------


@dataclass
class Call:
    """One call a Task state made: its parameters and, if it succeeded, its result (JSON texts)."""

    state: str
    resource_type: str
    resource: str
    parameters: str
    output: str | None = None


def _back_to(by_id: dict[int, dict[str, Any]], event: dict[str, Any], kind: str) -> dict[str, Any] | None:
    cursor: dict[str, Any] | None = event
    while cursor is not None and cursor["type"] != kind:
        cursor = by_id.get(cursor.get("previousEventId"))
    return cursor


def _state_of(by_id: dict[int, dict[str, Any]], event: dict[str, Any]) -> str | None:
    entered = _back_to(by_id, event, "TaskStateEntered")
    return entered["stateEnteredEventDetails"]["name"] if entered else None


def task_calls(history: list[dict[str, Any]]) -> list[Call]:
    """The calls of every Task state, in order, with their results."""
    by_id = {event["id"]: event for event in history}
    calls: dict[int, Call] = {}
    for event in history:
        if event["type"] == "TaskScheduled":
            details = event["taskScheduledEventDetails"]
            calls[event["id"]] = Call(_state_of(by_id, event) or "", details["resourceType"], details["resource"],
                                      details.get("parameters") or "{}")
        elif event["type"] == "TaskSucceeded":
            scheduled = _back_to(by_id, event, "TaskScheduled")
            if scheduled and scheduled["id"] in calls:
                calls[scheduled["id"]].output = event["taskSucceededEventDetails"].get("output")
    return list(calls.values())


@dataclass
class Baseline:
    """A scenario's fault-free run: its identifiers and every call its Task states made."""

    run: Run
    calls: list[Call]


@dataclass
class FaultResult:
    """How one fault case ended, against how it was designed to end."""

    case: FaultCase
    scenario: str
    expected: dict[str, Any]
    observed: dict[str, Any]
    problems: list[str]
    seconds: float = 0.0

    @property
    def designed(self) -> bool:
        """The case ended as designed."""
        return not self.problems

    def explain(self) -> str:
        """A readable account for a failed assertion."""
        mode = "thrown twice, then answered" if self.case.error.transient else "thrown at every attempt"
        lines = [f"{self.case.id} ({self.case.error.error}, {mode}) in scenario {self.scenario!r}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append(f"  observed: {json.dumps({k: short(v) for k, v in self.observed.items()}, default=str)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The report's row."""
        return {"workflow": self.case.workflow, "state": self.case.state, "kind": self.case.error.kind,
                "error": self.case.error.error, "transient": self.case.error.transient, "scenario": self.scenario,
                "designed": self.designed, "problems": self.problems, "seconds": round(self.seconds, 3)}


def _rewrite(text: str, old: Run, new: Run) -> str:
    for key in sorted(old.ids, key=lambda k: -len(old.ids[k])):
        text = text.replace(old.ids[key], new.ids[key])
    return text


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()



class FaultMatrix:
    """Runs fault cases on a local stack, with the generated MockConfigFile test cases installed.

    Use as a context manager: the workflows' own test cases stay available, the generated ones are added to a
    copy that is installed for the duration, and the probe queue is removed at the end.
    """

    def __init__(self, stack: Stack, workflows: Registry | None = None) -> None:
        self.stack = stack
        self.registry = workflows or registry(stack.template.root, stack.template)
        self.probe: Probe | None = None
        self._config: Any = None
        self._previous: Any = None
        self._cases = 0
        self._harnesses: dict[str, Harness] = {}
        self._baselines: dict[tuple[str, str], Baseline] = {}

    def __enter__(self) -> FaultMatrix:
        self._previous = executions.mock_config
        self._config = MockConfig(json.loads(json.dumps(self._previous.raw)) if self._previous else None)
        executions.mock_config = self._config
        drivers = self.registry.drivers.values()
        self.probe = Probe(self.stack, [s for d in drivers for s in d.published_sources],
                           [t for d in drivers for t in d.published_topics])
        return self

    def __exit__(self, *exc: object) -> None:
        executions.mock_config = self._previous
        if self.probe:
            self.probe.close()

    # --- test cases --------------------------------------------------------------------------------------------

    def test_case(self, machine: str, states: dict[str, dict[str, Any]]) -> str:
        """Add a test case mocking ``states`` (state → MockedResponse) and return its name."""
        self._cases += 1
        name = f"Reliability{self._cases:04d}"
        self._config.merge({
            "StateMachines": {machine: {"TestCases": {name: {state: f"{name}{state}" for state in states}}}},
            "MockedResponses": {f"{name}{state}": responses for state, responses in states.items()},
        }, "reliability")
        return name

    def harness(self, workflow: str) -> Harness:
        """The workflow's harness (one per matrix)."""
        if workflow not in self._harnesses:
            driver = self.registry.driver(workflow)
            if driver is None or driver.harness is None:
                raise KeyError(f"{workflow} has no fault harness in its driver")
            self._harnesses[workflow] = driver.harness(self)
        return self._harnesses[workflow]

    # --- running -------------------------------------------------------------------------------------------------

    def _execute(self, harness: Harness, run: Run, states: dict[str, dict[str, Any]],
                 answered_by_mocks: set[str]) -> Execution:
        case = self.test_case(harness.machine, states) if states else None
        arn = self.stack.start(harness.workflow, run.input, case=case, name=run.name)
        harness.drive(run, arn, answered_by_mocks)
        return harness.wait(arn)

    def baseline(self, harness: Harness, scenario: Scenario) -> Baseline:
        """The scenario's fault-free run (once per matrix); it must end as the scenario says."""
        key = (harness.workflow, scenario.name)
        if key not in self._baselines:
            run = harness.prepare(scenario)
            execution = self._execute(harness, run, dict(scenario.mocks), set())
            problems = differences(scenario.normal, harness.summary(run, execution))
            if problems:
                raise RuntimeError(f"{harness.workflow} scenario {scenario.name!r} does not end as designed "
                                   f"without faults: {'; '.join(problems)} (cause: {execution.cause})")
            self._baselines[key] = Baseline(run, task_calls(execution.history))
        return self._baselines[key]

    def _replay(self, call: Call, old: Run, new: Run) -> Any:
        service = call.resource_type.split(":", 1)[-1]
        params = json.loads(_rewrite(call.parameters, old, new))
        if call.resource_type == "events":  # the optimised integration takes Detail as JSON, the API as text
            for entry in params.get("Entries", []):
                if not isinstance(entry.get("Detail"), str):
                    entry["Detail"] = json.dumps(entry.get("Detail"))
        client = self.stack.client(sdk.boto_service_name(service))
        method = _camel_to_snake(call.resource.split(".", 1)[0])
        if call.resource_type.startswith("aws-sdk:"):  # sent as Step Functions sends it: a JSON Body as JSON text
            operation = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[method])
            params = sdk.to_sdk_request(params, operation.input_shape)
        response = getattr(client, method)(**params)
        response.pop("ResponseMetadata", None)
        return sdk.to_plain_json(response)

    def _answers(self, harness: Harness, state: str, how: str, baseline: Baseline, run: Run) -> list[Any]:
        if how == "job":
            return [harness.job_answer(run)]
        calls = [call for call in baseline.calls if call.state == state and call.output is not None]
        if not calls:
            raise RuntimeError(f"{harness.workflow}: the fault-free run never called {state}")
        if how == "replay":
            return [self._replay(call, baseline.run, run) for call in calls]
        return [json.loads(_rewrite(call.output, baseline.run, run)) for call in calls]

    @staticmethod
    def _returns(answers: list[Any], start: int) -> dict[str, Any]:
        responses = {str(start + i): {"Return": answer} for i, answer in enumerate(answers)}
        last = start + len(answers)
        responses[f"{last}-{last + PERSISTENT_THROWS}"] = {"Return": answers[-1]}
        return responses

    def run(self, case: FaultCase) -> FaultResult:
        """Run one fault case and compare its business outcome with the designed one.

        Parameters
        ----------
        case
            The state and the class of error. A transient class is thrown twice, then the state gets its
            normal answer; a permanent class at every attempt; a timeout is reached in virtual time.

        Returns
        -------
        FaultResult
            Expected and observed outcomes, and the differences (none when the case ended as designed).

        """
        began = time.monotonic()
        harness = self.harness(case.workflow)
        target = harness.targets.get(case.state)
        if target is None:
            return FaultResult(case, "", {}, {}, [f"no scenario of {case.workflow} reaches {case.state}"])
        scenario = harness.scenarios[target.scenario]
        throw = {"Throw": {"Error": case.error.error, "Cause": case.error.cause}}
        states = dict(scenario.mocks)
        answered: set[str] = set()
        if case.error.kind == "timeout":  # States.* errors cannot be mocked: the virtual clock runs out instead
            run = harness.prepare(scenario)
            harness.let_time_out(run, case.state)
            expected = harness.designed_failure(case, scenario)
        elif case.error.transient:
            baseline = self.baseline(harness, scenario)
            run = harness.prepare(scenario)
            for other in target.also:
                states[other] = self._returns(self._answers(harness, other, "replay", baseline, run), 0)
            answers = self._answers(harness, case.state, target.answer, baseline, run)
            states[case.state] = {f"0-{TRANSIENT_THROWS - 1}": throw, **self._returns(answers, TRANSIENT_THROWS)}
            answered.add(case.state)
            expected = {k: v for k, v in scenario.normal.items() if k not in target.unset}
        else:
            run = harness.prepare(scenario)
            states[case.state] = {f"0-{PERSISTENT_THROWS - 1}": throw}
            expected = harness.designed_failure(case, scenario)
        execution = self._execute(harness, run, states, answered)
        observed = harness.summary(run, execution)
        problems = differences(expected, observed)
        failures = execution.task_failures(case.state)
        if case.error.error not in failures:
            problems.append(f"{case.state} never failed with {case.error.error} (its attempts: {failures})")
        return FaultResult(case, scenario.name, expected, observed, problems, time.monotonic() - began)

    def run_all(self, cases: Iterable[FaultCase]) -> list[FaultResult]:
        """Run every case, in order."""
        return [self.run(case) for case in cases]
