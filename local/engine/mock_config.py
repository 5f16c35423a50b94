"""MockConfigFile support in the Step Functions Local format, unchanged.

A MockConfigFile maps ``StateMachines → <name> → TestCases → <case> → {State: MockedResponseName}`` and
``MockedResponses → <name> → {"0": {"Return": …}, "1-2": {"Throw": {"Error": …, "Cause": …}}}``. An execution
chooses a test case by being started on ``<stateMachineArn>#<TestCaseName>``.

As in Step Functions Local, every *invocation* of a mocked state consumes the next response, so a retry and
a poll loop (Wait → GetTranscriptionJob → Choice → Wait) both advance through the numbered responses.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponse,
    MockedResponseReturn,
    MockedResponseThrow,
    MockTestCase,
    StateMockedResponses,
    _parse_mocked_response_range,
)


class MockConfigError(ValueError):
    """The MockConfigFile is malformed or does not define what an execution asked for."""


class UnknownTestCase(MockConfigError):
    """An execution was started with ``#TestCase`` that the MockConfigFile does not define."""


class MockConfig:
    """A parsed MockConfigFile (one or several files merged)."""

    def __init__(self, raw: dict[str, Any] | None = None, source: str = "<memory>") -> None:
        self.raw: dict[str, Any] = {"StateMachines": {}, "MockedResponses": {}}
        self.sources: list[str] = []
        self._case_sources: dict[tuple[str, str], str] = {}
        if raw:
            self.merge(raw, source)

    @classmethod
    def from_files(cls, paths: list[Path | str]) -> MockConfig:
        """Merge several MockConfigFiles into one; duplicate names are an error."""
        config = cls()
        for name in paths:
            path = Path(name)
            try:
                raw = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                raise MockConfigError(f"{path}: cannot read MockConfigFile: {error}") from error
            config.merge(raw, str(path))
        return config

    def merge(self, raw: dict[str, Any], source: str) -> None:
        """Add another MockConfigFile; names must not collide."""
        if not isinstance(raw, dict):
            raise MockConfigError(f"{source}: a MockConfigFile is a JSON object")
        for machine, body in (raw.get("StateMachines") or {}).items():
            cases = self.raw["StateMachines"].setdefault(machine, {"TestCases": {}})["TestCases"]
            for case, states in (body.get("TestCases") or {}).items():
                if case in cases:
                    raise MockConfigError(f"{source}: test case {machine}#{case} is defined twice")
                cases[case] = states
                self._case_sources[(machine, case)] = source
        for name, responses in (raw.get("MockedResponses") or {}).items():
            if name in self.raw["MockedResponses"]:
                raise MockConfigError(f"{source}: mocked response {name!r} is defined twice")
            self.raw["MockedResponses"][name] = responses
        self.sources.append(source)
        self._check(source)

    def _check(self, source: str) -> None:
        for machine, body in self.raw["StateMachines"].items():
            for case, states in body["TestCases"].items():
                for state, response in states.items():
                    if response not in self.raw["MockedResponses"]:
                        raise MockConfigError(
                            f"{source}: test case {machine}#{case} maps state {state!r} to mocked "
                            f"response {response!r}, which MockedResponses does not define"
                        )

    def unknown_references(self, states_of: dict[str, set[str]]) -> list[str]:
        """Test cases naming a state machine or a state that does not exist, one line each.

        Parameters
        ----------
        states_of
            State machine name (locally: its logical id) → the names of its states, nested ones included.

        Returns
        -------
        list of str
            ``<file>: …`` for each unknown state machine and each unknown state; empty when every test case can
            be used (a mock of a missing state would silently never be used).

        """
        problems = []
        known = ", ".join(sorted(states_of)) or "none"
        for machine, body in self.raw["StateMachines"].items():
            sources = sorted({s for (m, _), s in self._case_sources.items() if m == machine})
            if machine not in states_of:
                problems.append(f"{', '.join(sources)}: test cases for state machine {machine!r}, which the template "
                                f"does not define (known: {known})")
                continue
            for case, mapping in body["TestCases"].items():
                for state in mapping:
                    if state not in states_of[machine]:
                        problems.append(f"{self._case_sources.get((machine, case), '<memory>')}: test case "
                                        f"{machine}#{case} mocks state {state!r}, which {machine} does not have")
        return problems

    def test_cases(self, state_machine: str) -> list[str]:
        """Names of the test cases of ``state_machine``, sorted."""
        return sorted(self.raw["StateMachines"].get(state_machine, {}).get("TestCases", {}))

    def test_case(self, state_machine: str, test_case: str) -> InvocationCountingTestCase:
        """Build a fresh (per execution) test case, or raise :class:`UnknownTestCase`."""
        cases = self.raw["StateMachines"].get(state_machine, {}).get("TestCases", {})
        if test_case not in cases:
            known = ", ".join(sorted(cases)) or "none"
            raise UnknownTestCase(
                f"Test case '{test_case}' is not defined for state machine '{state_machine}' in the "
                f"MockConfigFile (known test cases: {known})"
            )
        state_responses = [
            StateMockedResponses(state, name, _responses(name, self.raw["MockedResponses"][name]))
            for state, name in cases[test_case].items()
        ]
        return InvocationCountingTestCase(state_machine, test_case, state_responses)


def _responses(name: str, raw: dict[str, Any]) -> list[MockedResponse]:
    responses: list[MockedResponse] = []
    for key, body in raw.items():
        try:
            start, end = _parse_mocked_response_range(key)
        except RuntimeError as error:
            raise MockConfigError(f"mocked response {name!r}: {error}") from error
        if "Return" in body:
            responses.append(MockedResponseReturn(start, end, body["Return"]))
        elif "Throw" in body:
            throw = body["Throw"]
            responses.append(MockedResponseThrow(start, end, throw.get("Error"), throw.get("Cause")))
        else:
            raise MockConfigError(f"mocked response {name!r}[{key}] needs Return or Throw")
    return responses


class InvocationCountingTestCase(MockTestCase):
    """A test case that hands out a state's responses by invocation, not by retry count."""

    def __init__(self, state_machine: str, test_case: str, responses: list[StateMockedResponses]) -> None:
        super().__init__(state_machine, test_case, responses)
        self._invocations: dict[str, int] = {}
        self._lock = threading.Lock()

    def next_response(self, state_name: str) -> MockedResponse:
        """The response for this invocation of ``state_name``: invocations, not retries, advance it."""
        with self._lock:
            index = self._invocations.get(state_name, 0)
            self._invocations[state_name] = index + 1
        responses = self.state_mocked_responses[state_name].mocked_responses
        if index >= len(responses):
            raise MockConfigError(
                f"Test case '{self.test_case_name}' has no mocked response for invocation {index} of state "
                f"'{state_name}' (it defines {len(responses)})"
            )
        return responses[index]
