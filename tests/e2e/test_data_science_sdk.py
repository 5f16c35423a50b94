"""The Step Functions Data Science SDK (``stepfunctions`` 2.3.0) driving a workflow on the served endpoint.

Data scientists start and inspect workflows from notebooks with it. It is an optional extra (it needs
``sagemaker<3``); ``make test`` installs it, and the test is skipped where it is missing.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.datascience


@pytest.fixture(scope="module")
def workflow_module():
    """``stepfunctions.workflow``, imported by the worker that runs the test (with sagemaker: seconds), or a skip."""
    return pytest.importorskip("stepfunctions.workflow", reason="pip install -e '.[datascience]'")


def test_notebook_user_attaches_executes_and_reads_the_history(served, client, workflow_module):
    """A notebook attaches to the image catalog, runs it on an uploaded image and reads output and events.

    ``Workflow.attach`` reads the definition through DescribeStateMachine, ``execute`` starts it,
    ``get_output(wait=True)`` polls to the end, and ``list_events`` pages through the execution history. The
    local Rekognition stand-in reads what the image shows from its ``labels`` metadata.
    """
    resources = served["resources"]
    bucket, key = resources["ImageIngestionBucket"], f"notebook/{uuid.uuid4().hex[:8]}.png"
    client("s3").put_object(Bucket=bucket, Key=key, Metadata={"labels": "Dog:98.2,Beach:96.1"},
                            Body=(ROOT / "workflows/image-catalog/events/demo-beach.png").read_bytes())
    sfn = client("stepfunctions")

    workflow = workflow_module.Workflow.attach(resources["ImageCatalogStateMachine"], client=sfn)
    assert workflow.definition.to_dict()["StartAt"] == "CheckInput"
    execution = workflow.execute(inputs={"bucket": bucket, "key": key})
    output = execution.get_output(wait=True)

    assert (output["status"], output["labels"]) == ("APPROVED", ["Dog", "Beach"])
    assert execution.describe()["status"] == "SUCCEEDED"
    events = execution.list_events()
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered[:2] == ["CheckInput", "IsInputValid"] and "SaveApprovedImage" in entered
    assert events[-1]["type"] == "ExecutionSucceeded"
