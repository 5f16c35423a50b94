"""The TestState API, answered locally with AWS's semantics.

TestState runs one state (a single state definition, or the state ``stateName`` of a whole definition) with a
given input, context object and variables, optionally with a mocked result or error, and answers its status,
output or error, next state and, at the DEBUG and TRACE inspection levels, the data at every step of its input
and output processing. moto answers ``TestState`` with an error; :func:`install` gives its Step Functions
responses an implementation, so it works in process (boto3 inside ``mock_aws``) and on the served endpoint.

The state runs on the interpreter executions use (moto's vendored ASL interpreter with this project's
adaptations), parsed afresh for each call:

* :mod:`.request`: the request read and checked (AWS's validation errors, in AWS's order);
* :mod:`.mock_validation`: a mocked result against the API model it stands for (``fieldValidationMode``);
* :mod:`.environment`: the context object, variables and ``$states`` of the run;
* :mod:`.mocking`: the state's instances patched to run once (mocks, Retry and Catch outcomes);
* :mod:`.inspection`: ``inspectionData``;
* :mod:`.runner`: the run and the response.

A Task without a mock calls the local services, as an execution would.
"""

from __future__ import annotations

import threading
from typing import Any

_installed = False
_lock = threading.Lock()


def test_state(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """Answer one TestState request (the API's parameters); raises AWS's error when the request is refused."""
    from local.engine.test_state.request import parse_request
    from local.engine.test_state.runner import run

    return run(parse_request(params), account, region)


test_state.__test__ = False  # not a pytest test


def install() -> None:
    """Give moto's Step Functions responses the ``TestState`` action (idempotent)."""
    global _installed  # noqa: PLW0603 - installed once per process
    with _lock:
        if _installed:
            return
        from moto.core.responses import ActionResult
        from moto.stepfunctions.responses import StepFunctionResponse

        def test_state_action(self) -> ActionResult:
            params = {name: self._get_param(name) for name in (
                "definition", "roleArn", "input", "inspectionLevel", "revealSecrets", "variables", "stateName",
                "mock", "context", "stateConfiguration")}
            return ActionResult(test_state(params, self.current_account, self.region))

        StepFunctionResponse.test_state = test_state_action
        _route_the_sync_host()
        _installed = True


def _route_the_sync_host() -> None:
    """SDKs send TestState (and StartSyncExecution) to ``sync-states.<region>.amazonaws.com``: route it in process.

    Over HTTP a client aimed at ``--endpoint-url`` must not prefix the host (``AWS_DISABLE_HOST_PREFIX_INJECTION``
    or ``Config(inject_host_prefix=False)``): ``sync-127.0.0.1`` does not resolve.
    """
    import re

    from moto import backend_index
    from moto.stepfunctions import urls

    sync_host = r"https?://sync-states\.(.+)\.amazonaws.com"
    if sync_host not in urls.url_bases:
        urls.url_bases.append(sync_host)
        backend_index.backend_url_patterns.append(("stepfunctions", re.compile(sync_host)))
