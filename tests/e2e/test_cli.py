"""``python -m local run``, as a user types it: one execution, its path and output, or one line of error."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from local.cli import main
from tests.support import ROOT


def local(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "local", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)


def test_run_prints_one_json_object_with_the_path_taken():
    """A console-style start of the EC2 enrichment with its HappyPath mocks prints status, states and output."""
    done = local("run", "ec2-enrichment", "--input", "workflows/ec2-enrichment/events/console-start.json",
                 "--case", "HappyPath", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED"
    assert result["states"][:2] == ["CheckEvent", "IsEventValid"] and result["states"][-1] == "EventEnriched"
    assert result["transitions"] >= len(result["states"])
    assert result["executionArn"].startswith("arn:aws:states:")


def test_an_unknown_test_case_is_one_line_not_a_stack_trace():
    """Asking for a test case the MockConfigFile lacks exits 2 with one line naming the known cases."""
    done = local("run", "image-catalog", "--case", "NoSuchCase")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: InvalidArn: Test case 'NoSuchCase'") and "HappyPath" in line


def test_a_test_case_naming_a_missing_state_is_refused_by_run_serve_and_validate(tmp_path):
    """A MockConfigFile mocking a state the workflow does not have is an error wherever it is loaded.

    ``run`` and ``serve`` refuse to start (exit 2, one line naming the file, the test case and the state);
    ``validate --mock-config`` reports it as a problem (exit 1).
    """
    mocks = json.loads((ROOT / "workflows/image-catalog/mock-config.json").read_text())
    case = mocks["StateMachines"]["ImageCatalogStateMachine"]["TestCases"]["HappyPath"]
    case["DetectLabelz"] = case.pop("DetectLabels")
    bad = tmp_path / "mock-config.json"
    bad.write_text(json.dumps(mocks))
    for command in (["run", "image-catalog", "--case", "HappyPath"], ["serve", "--port", "0"]):
        done = local(*command, "--mock-config", str(bad))
        assert done.returncode == 2, done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line == (f"error: {bad}: test case ImageCatalogStateMachine#HappyPath mocks state 'DetectLabelz', "
                        "which ImageCatalogStateMachine does not have")
    done = local("validate", "--check", "mocks", "--mock-config", str(bad))
    assert done.returncode == 1
    assert "DetectLabelz: test case HappyPath mocks a state that ImageCatalogStateMachine does not have" in done.stdout


def test_a_run_waiting_for_a_task_token_says_where_and_how_to_answer():
    """The feedback conversation's console input: the SMS goes out, then ``run`` reports the wait (exit 3).

    ``--json`` prints one object: status RUNNING, the path to the waiting state, and ``waitingFor`` with the
    state, how it is answered and the test cases that would answer it.
    """
    done = local("run", "feedback-conversation", "--input", "workflows/feedback-conversation/events/console-start.json",
                 "--json")
    assert done.returncode == 3, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "RUNNING" and result["states"][-1] == "WaitForRating"
    assert result["waitingFor"]["states"] == ["WaitForRating"]
    assert any("FeedbackInboundSmsTopic" in answer for answer in result["waitingFor"]["answers"])


@pytest.mark.parametrize(("given", "message"), [
    ("workflows", "workflows: is a directory, not a JSON file"),
    ("no-such-input.json", "no-such-input.json: no such file"),
    ("{BAD}", "{BAD}: not valid JSON: Expecting ',' delimiter: line 1 column 16 (char 15)"),
])
def test_an_input_file_error_names_the_file(tmp_path, monkeypatch, capsys, given, message):
    """A directory, a missing file or invalid JSON: one line naming the file, exit 2, nothing launched."""
    monkeypatch.chdir(ROOT)
    if given == "{BAD}":
        bad = tmp_path / "bad.json"
        bad.write_text('{"bucket": "b" "key": "k"}')
        given, message = str(bad), message.replace("{BAD}", str(bad))
    assert main(["run", "image-catalog", "--input", given]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"


def test_run_json_prints_json_for_an_error_too(capsys):
    """With ``--json`` an error is a JSON object on stdout (status ERROR, the error and its cause), exit 2."""
    assert main(["run", "no-such-workflow", "--json"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["error"]) == ("ERROR", "TemplateError")
    assert result["cause"].startswith("no state machine for workflow 'no-such-workflow' in template.yaml (known: ")
