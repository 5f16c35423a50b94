"""Bad input: generated inputs that break a workflow's input contract must be refused at once.

Hypothesis generates inputs that break the workflow's input schema (one field missing, of another type,
blank, too long, off its pattern; non-objects, empty objects, huge strings): each execution must fail at once
with the workflow's invalid-input error and a cause that starts with the offending field. The contract — the
schema, the fields the workflow checks, its error — is in the workflow's driver
(:class:`local.workflows.contracts.InputContract`).
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.paths import PROJECT_ROOT
from local.stack.stack import Stack
from local.workflows import registry
from local.workflows.contracts import InputContract
from local.workflows.harness import finished, short


def contract_of(workflow: str, root: Path = PROJECT_ROOT) -> InputContract:
    """The workflow's input contract, from its driver."""
    driver = registry(root).driver(workflow)
    if driver is None or driver.input_contract is None:
        raise KeyError(f"{workflow} has no input contract in its driver")
    return driver.input_contract


def contracted_workflows(root: Path = PROJECT_ROOT) -> list[str]:
    """The project's workflows whose driver gives an input contract."""
    found = registry(root)
    return [w for w in found.workflows if (d := found.driver(w)) is not None and d.input_contract is not None]


#: Characters JSON Schema's ``\S`` does not count as text (what a blank field is made of).
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u2009\u2028\u2029\u202f\u205f\u3000"
_MISSING = object()
_WHOLE = "the input"


@dataclass(frozen=True)
class BadInput:
    """An input that breaks the contract: the payload, and what was broken (a field, or the input as a whole)."""

    payload: Any
    broken: str
    how: str


@dataclass
class BadInputResult:
    """How the workflow treated one bad input."""

    workflow: str
    broken: str
    how: str
    payload: str
    offending: list[str]
    status: str
    error: str | None
    cause: str | None
    problems: list[str]
    seconds: float

    @property
    def handled(self) -> bool:
        """Failed at once with the workflow's named error and a cause naming the offending field."""
        return not self.problems

    def explain(self) -> str:
        """A readable account for a failed assertion."""
        return (f"{self.workflow}: {self.how} ({self.broken}), input {self.payload}: "
                f"{'; '.join(self.problems)} [status {self.status}, error {self.error}, cause {short(self.cause)}]")


@dataclass
class BadInputFigures:
    """The bad-input cases of one workflow."""

    workflow: str
    results: list[BadInputResult]

    @property
    def tried(self) -> int:
        """Inputs started."""
        return len(self.results)

    @property
    def handled(self) -> int:
        """Inputs that failed as the contract says."""
        return sum(r.handled for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """The report's row."""
        return {"workflow": self.workflow, "tried": self.tried, "handled": self.handled,
                "kinds": _count(f"{r.how}" for r in self.results),
                "failures": [r.explain() for r in self.results if not r.handled][:20]}


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _load(relative: str, root: Path = PROJECT_ROOT) -> Any:
    return json.loads((root / relative).read_text())


def object_schema(contract: InputContract, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The schema of the input object (for a workflow accepting a batch, the object inside ``oneOf``)."""
    schema = _load(contract.schema, root)
    for option in schema.get("oneOf", []):
        if option.get("$ref", "").startswith("#/$defs/"):
            return {"$schema": schema.get("$schema"), **schema["$defs"][option["$ref"].rsplit("/", 1)[1]]}
    return schema


def contract_schema(contract: InputContract, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The input object's schema reduced to the fields the workflow checks (nested ones kept in place)."""
    full = object_schema(contract, root)

    def reduce(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
        names = [f.removeprefix(prefix) for f in contract.fields if f.startswith(prefix)]
        top = {name.split(".", 1)[0] for name in names}
        properties = {}
        for name in sorted(top):
            sub = schema.get("properties", {}).get(name, {})
            nested = [n for n in names if n.startswith(name + ".")]
            properties[name] = reduce(sub, f"{prefix}{name}.") if nested else sub
        return {"type": "object", "properties": properties,
                "required": [r for r in schema.get("required", []) if r in top]}

    return {"$schema": full.get("$schema"), **reduce(full, "")}


def _field_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split("."):
        schema = schema["properties"][part]
    return schema


def _required(schema: dict[str, Any], path: str) -> bool:
    parent, _, name = path.rpartition(".")
    return name in (_field_schema(schema, parent) if parent else schema).get("required", [])


def _with(payload: Any, path: str, value: Any) -> Any:
    result = json.loads(json.dumps(payload))
    cursor = result
    parts = path.split(".")
    for part in parts[:-1]:
        cursor = cursor[part]
    if value is _MISSING:
        cursor.pop(parts[-1], None)
    else:
        cursor[parts[-1]] = value
    return result


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _strategies() -> Any:
    from hypothesis import strategies as st

    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
               | st.text(max_size=20))
    values = st.recursive(scalars, lambda children: st.lists(children, max_size=3)
                          | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=6)
    # Up to 200,000 bytes: an execution input (like an event) is at most 256 KiB, a longer one is refused.
    huge = st.builds(lambda char, size: char * (size // len(char.encode())), st.sampled_from("x9-é ✓"),
                     st.integers(10_000, 200_000))
    return st, values, huge


def _violations(schema: dict[str, Any], required: bool) -> Any:
    """Values that break ``schema`` (a field's), with what they break."""
    st, values, huge = _strategies()
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    allowed = set(types) | ({"integer"} if "number" in types else set())
    options = [values.filter(lambda v: _json_type(v) not in allowed).map(lambda v: (v, "wrong type"))]
    if required:
        options.append(st.just((_MISSING, "missing")))
    if "string" in types:
        pattern = schema.get("pattern")
        if schema.get("minLength", 0) >= 1 or pattern == "\\S":
            options.append(st.just(("", "empty")))
        if pattern:
            options.append(st.text(alphabet=WHITESPACE, min_size=1, max_size=6).map(lambda v: (v, "blank")))
            options.append(st.text(max_size=40).filter(lambda v: not re.search(pattern, v))
                           .map(lambda v: (v, "off pattern")))
        if "maxLength" in schema:
            limit = schema["maxLength"]
            options.append(st.integers(limit + 1, limit + 3000).map(lambda n: ("x" * n, "too long")))
        options.append(huge.map(lambda v: (v, "huge string")))
    return st.one_of(options)


def bad_inputs(workflow: str, root: Path = PROJECT_ROOT) -> Any:
    """A Hypothesis strategy of inputs that break the workflow's input contract (checked against its schema)."""
    import jsonschema

    st, values, huge = _strategies()
    contract = contract_of(workflow, root)
    schema = contract_schema(contract, root)
    validator = jsonschema.validators.validator_for(schema)(schema)
    sample = _load(contract.sample, root)
    if not validator.is_valid(sample):
        raise ValueError(f"{contract.sample} does not satisfy {contract.schema}")

    def one_field(path: str) -> Any:
        return _violations(_field_schema(schema, path), _required(schema, path)).map(
            lambda broken: BadInput(_with(sample, path, broken[0]), path, broken[1]))

    fields = st.one_of([one_field(path) for path in contract.fields])
    whole = st.one_of(
        (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
         | st.text(max_size=30)).map(lambda v: BadInput(v, _WHOLE, f"{_json_type(v)} input")),
        huge.map(lambda v: BadInput(v, _WHOLE, "huge string input")),
        st.lists(values, max_size=3).map(lambda v: BadInput(v, _WHOLE, "array input")),
        st.just(BadInput({}, "", "empty object")),
        st.dictionaries(st.text(max_size=10), values, min_size=1, max_size=3).map(
            lambda v: BadInput(v, "", "object of unexpected fields")),
    )
    options = [fields, fields, whole]
    if contract.batch:
        item = st.one_of(st.just(sample), fields.map(lambda b: b.payload))
        options.append(st.lists(item, max_size=4).map(lambda items: BadInput(items, _WHOLE, f"batch of {len(items)}")))
        options.append(fields.map(lambda b: BadInput([b.payload], b.broken, f"batch of 1, {b.how}")))
    full_schema = _load(contract.schema, root)
    full = jsonschema.validators.validator_for(full_schema)(full_schema)

    def invalid(case: BadInput) -> bool:  # "against the schema": only inputs it refuses are kept
        if isinstance(case.payload, dict):
            return not validator.is_valid(case.payload)
        return not full.is_valid(case.payload) if contract.batch and isinstance(case.payload, list) else True

    return st.one_of(options).filter(invalid)


def _always_tried(workflow: str, root: Path) -> list[BadInput]:
    """Bad inputs of every kind the contract names, tried whatever the draw.

    Hash randomisation changes the mix Hypothesis draws from one process to the next; these keep each kind
    (a missing field, a wrong type, a huge string, an array, an empty object) in every run.
    """
    import jsonschema

    contract = contract_of(workflow, root)
    schema = contract_schema(contract, root)
    validator = jsonschema.validators.validator_for(schema)(schema)
    sample = _load(contract.sample, root)
    candidates = [BadInput([], _WHOLE, "array input"), BadInput({}, "", "empty object"),
                  BadInput("x" * 200_000, _WHOLE, "huge string input")]  # StartExecution refuses > 256 KiB
    for path in contract.fields:
        candidates += [BadInput(_with(sample, path, _MISSING), path, "missing"),
                       BadInput(_with(sample, path, 12345), path, "wrong type"),
                       BadInput(_with(sample, path, "x" * 200_000), path, "huge string")]
    return [c for c in candidates if not isinstance(c.payload, dict) or not validator.is_valid(c.payload)]


def offending_fields(workflow: str, payload: Any, root: Path = PROJECT_ROOT) -> list[str]:
    """The contract's fields ``payload`` breaks (``"the input"`` when it is not an object), per its schema."""
    import jsonschema

    contract = contract_of(workflow, root)
    if contract.batch and isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    if not isinstance(payload, dict):
        return [_WHOLE]
    schema = contract_schema(contract, root)
    found = []
    for error in jsonschema.validators.validator_for(schema)(schema).iter_errors(payload):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            found += [f"{path}.{name}" if path else name for name in missing]
        else:
            found.append(path)
    return [f for f in contract.fields if f in found]


def check_bad_input(stack: Stack, workflow: str, case: BadInput, timeout: float = 5.0) -> BadInputResult:
    """Start the workflow with one bad input and check how it ended.

    Parameters
    ----------
    stack
        The running local stack.
    workflow
        A workflow whose driver gives an input contract.
    case
        The input, sent as it is (``null`` stays ``null``).
    timeout
        Real seconds to wait for the end; an execution still running then is a hang, stopped and reported.

    Returns
    -------
    BadInputResult
        Handled when the execution failed with the workflow's invalid-input error, on the rejection path only,
        with a (short) cause starting with one of the fields the schema says the input breaks.

    """
    contract = contract_of(workflow, stack.template.root)
    began = time.monotonic()
    offending = offending_fields(workflow, case.payload, stack.template.root)
    arn = stack.client("stepfunctions").start_execution(  # as given: Stack.start would send null as {}
        stateMachineArn=stack.state_machine_arn(workflow), input=json.dumps(case.payload))["executionArn"]
    try:
        execution = finished(stack, arn, timeout)
    except TimeoutError:  # accepted, and now waiting (a conversation): a hang, stopped here
        execution = stack.execution(arn)
        execution.status = f"RUNNING after {timeout:g}s"
        stack.client("stepfunctions").stop_execution(executionArn=arn, error="Reliability.Hang",
                                                     cause="still running after the bounded wait")
    states = [e["stateEnteredEventDetails"]["name"] for e in execution.history
              if e["type"].endswith("StateEntered") and "stateEnteredEventDetails" in e]
    problems = []
    if (execution.status, execution.error) != ("FAILED", contract.error):
        problems.append(f"ended {execution.status} with {execution.error}, not FAILED with {contract.error}")
    cause = execution.cause or ""
    if not any(cause.startswith(f"{contract.cause_prefix}{name} ") for name in offending):
        problems.append(f"the cause does not start with {contract.cause_prefix!r} and one of {offending}")
    if len(cause) > 1000:
        problems.append(f"the cause is {len(cause)} characters long: it must not echo the input")
    if tuple(states) != contract.path:
        problems.append(f"took {states}, not {list(contract.path)}")
    text = json.dumps(case.payload)
    return BadInputResult(workflow, case.broken, case.how, short(text, 120), offending, execution.status,
                          execution.error, execution.cause, problems, time.monotonic() - began)


def run_bad_inputs(stack: Stack, workflow: str, examples: int = 100, strict: bool = False) -> BadInputFigures:
    """Generate bad inputs with Hypothesis (fixed seed) and start the workflow with each.

    Parameters
    ----------
    stack
        The running local stack.
    workflow
        A workflow whose driver gives an input contract.
    examples
        Inputs to generate (``max_examples``; ``derandomize=True``, so the same ones every run).
    strict
        Raise on the first input not refused as designed; Hypothesis then shrinks it to the smallest one.

    Returns
    -------
    BadInputFigures
        One result per input started.

    """
    from hypothesis import HealthCheck, Phase, example, given, settings

    results: list[BadInputResult] = []
    always = _always_tried(workflow, stack.template.root)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if strict else [])

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=phases,
              suppress_health_check=list(HealthCheck))
    @given(bad_inputs(workflow, stack.template.root))
    def check(case: BadInput) -> None:
        result = check_bad_input(stack, workflow, case)
        results.append(result)
        if strict and not result.handled:
            raise AssertionError(result.explain())

    for case in always:
        check = example(case)(check)
    with warnings.catch_warnings():  # JSONata raises the recursion limit on first use; Hypothesis notices
        warnings.filterwarnings("ignore", message="The recursion limit will not be reset")
        check()
    return BadInputFigures(workflow, results)
