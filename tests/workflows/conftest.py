"""Fixtures of the workflow tests: the TestState tests' client and deployed definition."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sfn(stack):
    """The Step Functions client of the session's stack."""
    return stack.client("stepfunctions")


@pytest.fixture(scope="module")
def definition(request, stack, sfn) -> str:
    """The deployed definition of the test module's ``WORKFLOW``, placeholders filled, as TestState takes it."""
    arn = stack.state_machine_arn(request.module.WORKFLOW)
    return sfn.describe_state_machine(stateMachineArn=arn)["definition"]
