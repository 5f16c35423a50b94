"""``python -m local new NAME`` in a copy of the project: right after it, everything includes the new workflow.

It validates, its tests pass, the generic reliability checks and the demo include it. The copy holds the
project's code and tests (``.venv`` and ``node_modules`` linked); everything runs from it, in processes of its
own, as a user would run it after the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local.scaffold.files import Names
from tests.support import ROOT
from tests.support.project import copy_project

#: A name no workflow of the project has yet (a project may already hold an order-notification).
NAME = next(name for name in ["order-notification", *(f"order-notification-{n}" for n in range(2, 100))]
            if not (ROOT / "workflows" / name).exists())
NAMES = Names(NAME)

# One worker takes the whole module: the scaffolded copy (module fixture) is made once.
pytestmark = pytest.mark.xdist_group("new-workflow")


def run(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root), "LOCAL_FUNCTION_LOG_LEVEL": "WARNING"}
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project with a new workflow scaffolded (:data:`NAME`)."""
    root = copy_project(tmp_path_factory.mktemp("project"), code=True)
    done = run(root, sys.executable, "-m", "local", "new", NAME)
    assert done.returncode == 0, done.stderr
    assert f"Created workflow {NAME}" in done.stdout
    return root


def test_new_workflow_has_every_file_and_keeps_the_templates_comments(project):
    """The folder, schemas, driver and tests exist; template.yaml gains the resources and keeps every line it had."""
    folder = project / "workflows" / NAME
    for file in ("statemachine.asl.json", "mock-config.json", "README.md", "diagram.svg", "events/console-start.json",
                 f"events/{NAME}-requested.json", "events/demo.json"):
        assert (folder / file).is_file(), file
    assert "stateDiagram-v2" in (folder / "README.md").read_text()
    for schema in ("input", "requested", "output"):
        assert (project / "schemas" / f"{NAME}.{schema}.schema.json").is_file()
    assert (project / f"local/workflows/{NAMES.module}.py").is_file()
    assert (project / f"tests/workflows/test_{NAMES.module}.py").is_file()
    before, after = (ROOT / "template.yaml").read_text().splitlines(), (project / "template.yaml").read_text()
    assert all(line in after.splitlines() for line in before)  # comments and layout kept
    assert f"  # --- {NAME} resources" in after and f"  {NAMES.machine}:\n" in after
    definition = json.loads((folder / "statemachine.asl.json").read_text())
    assert definition["States"]["PublishMessage"]["Retry"]


def test_new_workflow_validates_and_is_lint_clean(project):
    """``validate`` (every check: permissions, triggers, cfn-lint, diagrams…) and ruff pass with it included."""
    done = run(project, sys.executable, "-m", "local", "validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(list(ROOT.glob('workflows/*/statemachine.asl.json'))) + 1} workflows" in done.stdout
    ruff = run(project, str(Path(sys.executable).with_name("ruff")), "check", "local", "tests")
    assert ruff.returncode == 0, ruff.stdout


def test_new_workflows_tests_and_the_reliability_checks_pass(project):
    """Its scenario tests, the registry and security tests, and the reliability checks generated for it."""
    # One process: two xdist workers would each start a stack for these few tests.
    done = run(project, sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
               f"tests/workflows/test_{NAMES.module}.py", "tests/unit/test_registry.py", "tests/unit/test_security.py",
               "tests/reliability", "-k", f"{NAME} or {NAMES.module} or registry or security")
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_demo_and_cost_include_the_new_workflow(project):
    """``demo --only`` plays it end to end from its trigger; ``cost --only`` prices its journey."""
    demo = run(project, sys.executable, "-m", "local", "demo", "--only", NAME)
    assert demo.returncode == 0, demo.stdout
    assert f"✔ [1/1] {NAME}:" in demo.stdout
    cost = run(project, sys.executable, "-m", "local", "cost", "--only", NAME)
    assert cost.returncode == 0, cost.stdout + cost.stderr
    assert f"{NAME} / request published" in cost.stdout


def test_the_same_name_twice_or_a_bad_name_is_refused(project):
    """Nothing is overwritten: an existing workflow's name, or a name that is not lower-case words, exits 2."""
    again = run(project, sys.executable, "-m", "local", "new", NAME)
    assert again.returncode == 2 and f"already has {NAMES.topic}" in again.stderr
    bad = run(project, sys.executable, "-m", "local", "new", "Order_Notification")
    assert bad.returncode == 2 and "is not a workflow name" in bad.stderr
