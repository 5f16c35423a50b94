"""The registry of workflows: derived from template.yaml and workflows/*, every workflow with its driver."""

from __future__ import annotations

import pytest

from local.cli import main
from local.paths import workflow_names
from local.stack.template import Template
from local.workflows import UnknownWorkflow, registry
from local.workflows.driver import Driver
from tests.support import ROOT


def test_every_workflow_of_the_project_has_a_driver():
    """Each state machine of the template with a folder under workflows/ has ``local/workflows/<name>.py``.

    A new workflow without one fails here (and every tool says ``skipped: <name>: no driver``).
    """
    found = registry()
    assert found.missing == {}
    assert found.workflows == list(Template(ROOT / "template.yaml").workflows())
    assert sorted(found.workflows) == workflow_names()
    for name, driver in found.drivers.items():
        assert isinstance(driver, Driver) and driver.name == name


def test_every_driver_provides_every_aspect():
    """The project's drivers give a demo, journeys with one main path, a harness, a contract and duplicates.

    An aspect left out would be reported as skipped by its tool; for the project's own workflows none is.
    """
    for name, driver in registry().drivers.items():
        assert driver.demo_title, name
        assert type(driver).play_demo is not Driver.play_demo, name
        assert type(driver).journeys is not Driver.journeys, name
        assert driver.harness is not None and driver.harness.workflow == name
        assert driver.input_contract is not None and driver.input_contract.workflow == name
        assert driver.duplicates() and all(key.startswith(f"{name}:") for key in driver.duplicates())
        assert type(driver).fire is not Driver.fire, name


def test_only_with_an_unknown_name_is_an_error_naming_the_known_ones():
    """``--only`` must name a workflow of the project: anything else is refused, listing the known ones."""
    found = registry()
    assert found.select(None) == found.workflows
    assert found.select(["image-catalog"]) == ["image-catalog"]
    with pytest.raises(UnknownWorkflow, match=r"unknown workflow no-such-thing \(known: ec2-enrichment, "):
        found.select(["no-such-thing"])


@pytest.mark.parametrize("command", ["demo", "bench", "cost"])
def test_tools_refuse_an_unknown_workflow_with_exit_code_2(command, capsys):
    """``demo``, ``bench`` and ``cost`` exit 2 with one line before launching anything."""
    assert main([command, "--only", "no-such-thing"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: unknown workflow no-such-thing (known: ")


def test_a_workflow_without_driver_is_reported_with_the_reason(tmp_path):
    """A project whose workflow has no driver module: the registry names it and says why."""
    template = (ROOT / "template.yaml").read_text()
    (tmp_path / "template.yaml").write_text(template.replace("workflows/image-catalog/", "workflows/photo-album/"))
    (tmp_path / "workflows" / "photo-album").mkdir(parents=True)
    (tmp_path / "workflows" / "photo-album" / "statemachine.asl.json").write_text("{}")
    found = registry(tmp_path)
    assert "photo-album" in found.workflows and found.driver("photo-album") is None
    assert found.skipped("photo-album") == "skipped: photo-album: no driver (local/workflows/photo_album.py)"
