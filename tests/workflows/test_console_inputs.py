"""Every workflow's console inputs (``events/console-start*.json``) run as they are, as ``python -m local run``.

What a sample refers to (an uploaded image, a recording) is seeded from the workflow's folder
(``events/seed.json``) with its triggers paused, so seeding starts nothing by itself. A workflow that waits for
a person (the feedback conversation) is reported waiting in its task-token state, with how to answer it.
"""

from __future__ import annotations

import json

import pytest

from local.runner import run_until_settled
from tests.support import ROOT

SAMPLES = sorted(ROOT.glob("workflows/*/events/console-start*.json"))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_console_sample_runs_as_it_is(stack, sample):
    """The sample starts an execution that succeeds, or that waits for a person's answer and says how to give it."""
    workflow = sample.parts[-3]
    before = set(stack.executions(workflow))
    stack.seed(workflow)
    assert set(stack.executions(workflow)) == before, "seeding started the workflow"
    execution, waiting = run_until_settled(stack, workflow, json.loads(sample.read_text()), None, timeout=30)
    if workflow == "feedback-conversation":
        assert execution.status == "RUNNING" and waiting is not None
        assert waiting.states == ["WaitForRating"] and execution.states[-1] == "WaitForRating"
        assert "FeedbackInboundSmsTopic" in waiting.answers[0]
        stack.client("stepfunctions").stop_execution(executionArn=execution.arn)
    else:
        assert (execution.status, execution.error, waiting) == ("SUCCEEDED", None, None), execution.cause


def test_image_sample_is_catalogued_from_the_seeded_image(stack):
    """The image console input refers to uploads/demo-beach.png: seeded with its labels, it is APPROVED."""
    stack.seed("image-catalog")
    sample = json.loads((ROOT / "workflows/image-catalog/events/console-start.json").read_text())
    execution, _ = run_until_settled(stack, "image-catalog", sample, None, timeout=30)
    assert execution.output["status"] == "APPROVED"
    assert execution.output["labels"] == ["Beach", "Sea", "Sun", "Sky"]
