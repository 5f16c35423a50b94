"""``python -m local run``, as a user types it: one execution, its path and output, or one line of error."""

from __future__ import annotations

import json
import subprocess
import sys

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
