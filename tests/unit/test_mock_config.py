"""MockConfigFile test cases are checked against the template's state machines when they are loaded."""

from __future__ import annotations

import json

import pytest

from local.engine.mock_config import MockConfig
from local.stack.template import Template
from tests.support import ROOT

STATES = Template(ROOT / "template.yaml").state_names()


def config(machine: str, state: str) -> MockConfig:
    return MockConfig({"StateMachines": {machine: {"TestCases": {"Typo": {state: "Answer"}}}},
                       "MockedResponses": {"Answer": {"0": {"Return": {}}}}}, "typo.json")


def test_the_projects_test_cases_name_only_real_states():
    """Every workflow's mock-config.json names state machines and states the template's definitions have."""
    merged = MockConfig.from_files(sorted(ROOT.glob("workflows/*/mock-config.json")))
    assert merged.unknown_references(STATES) == []


def test_state_names_include_states_inside_parallel_and_map():
    """A Map's processor states count: ``IndexLabel`` runs inside the image catalog's ``IndexLabels`` Map."""
    assert {"IndexLabels", "IndexLabel"} <= STATES["ImageCatalogStateMachine"]


@pytest.mark.parametrize(("machine", "state", "message"), [
    ("ImageCatalogStateMachine", "DetectLabel",
     "typo.json: test case ImageCatalogStateMachine#Typo mocks state 'DetectLabel', which ImageCatalogStateMachine "
     "does not have"),
    ("ImageCatalog", "DetectLabels",
     "typo.json: test cases for state machine 'ImageCatalog', which the template does not define (known: "),
])
def test_a_test_case_naming_what_does_not_exist_is_reported(machine, state, message):
    """A misspelt state or state machine would make the mock silently unused: it is named, with its file."""
    [problem] = config(machine, state).unknown_references(STATES)
    assert problem.startswith(message)


def test_inline_json_round_trip_keeps_sources():
    """Merged files keep where each test case came from, for the message."""
    merged = MockConfig(json.loads(json.dumps(config("Nope", "X").raw)), "other.json")
    assert merged.unknown_references(STATES)[0].startswith("other.json: ")
