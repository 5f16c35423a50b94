"""The console's routes and read-only helpers, called without a browser on the session's stack.

The helpers answer what the Step Functions API does not: a state machine's workflow folder and sample inputs,
its MockConfigFile test cases, the layout of a definition, the task tokens an execution waits on. The routes
are the contract scripts and tests rely on; the endpoint refuses other sites' pages.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from werkzeug.test import Client

from local.console import helpers
from local.server import LocalServer
from tests.conftest import ROOT

IMAGE_CATALOG = ROOT / "workflows" / "image-catalog"
LOCAL = "http://127.0.0.1:8083/"  # the Host the requests are addressed to


@pytest.fixture(scope="module")
def server(stack):
    served = LocalServer(stack=stack)  # never started: the tests call its WSGI application directly
    yield served
    served._server.server_close()


@pytest.fixture(scope="module")
def http(server):
    return Client(server.app)


def get(http, path: str, **headers: str):
    return http.get(path, base_url=LOCAL, headers=headers)


def sfn_call(http, action: str, body: dict, **headers: str):
    return http.post("/", base_url=LOCAL, data=json.dumps(body), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{action}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/states/aws4_request, "
                         "SignedHeaders=host, Signature=0", **headers})


# --- helpers -------------------------------------------------------------------------------------------------


def test_workflow_folder_comes_from_the_templates_definition_uri(stack):
    """Each template machine maps to the folder of its DefinitionUri; a machine made through the API to none."""
    for folder in sorted((ROOT / "workflows").glob("*/statemachine.asl.json")):
        arn = stack.state_machine_arn(folder.parent.name)
        assert helpers.workflow_folder(stack.template, arn) == folder.parent
        assert helpers.workflow_folder(stack.template, arn + "#HappyPath") == folder.parent
    assert helpers.workflow_folder(stack.template, "arn:aws:states:us-east-1:123456789012:stateMachine:Other") is None


def test_samples_are_the_workflows_events_as_written_console_inputs_first(stack, http):
    """The image catalog's samples: every events/*.json file, its text unchanged, console-start.json first."""
    arn = stack.state_machine_arn("image-catalog")
    answer = get(http, f"/_console/api/samples?stateMachineArn={quote(arn)}").get_json()

    assert answer["workflow"] == "image-catalog"
    names = [s["name"] for s in answer["samples"]]
    assert names[0] == "console-start.json"
    assert sorted(names) == sorted(p.name for p in (IMAGE_CATALOG / "events").glob("*.json"))
    for sample in answer["samples"]:
        assert sample["input"] == (IMAGE_CATALOG / "events" / sample["name"]).read_text()


def test_a_machine_without_a_folder_has_no_samples(http):
    answer = get(http, "/_console/api/samples?stateMachineArn=arn:aws:states:us-east-1:123456789012:"
                       "stateMachine:MadeByHand").get_json()
    assert answer == {"workflow": None, "samples": []}


def test_test_cases_are_the_mock_configs_with_their_mocked_states(stack, http):
    """The test cases offered at Start execution are the machine's MockConfigFile test cases, with what each mocks."""
    arn = stack.state_machine_arn("image-catalog")
    answer = get(http, f"/_console/api/test-cases?stateMachineArn={quote(arn)}").get_json()

    config = json.loads((IMAGE_CATALOG / "mock-config.json").read_text())
    cases = config["StateMachines"]["ImageCatalogStateMachine"]["TestCases"]
    assert answer["testCases"] == [{"name": name, "mocks": cases[name]} for name in sorted(cases)]


def test_layout_is_the_diagrams_layout_of_the_posted_definition(http):
    """POSTing a definition returns the picture `graph` draws: every state, nested ones inside their container."""
    definition = (IMAGE_CATALOG / "statemachine.asl.json").read_text()
    answer = http.post("/_console/api/layout", base_url=LOCAL, data=definition,
                       content_type="application/json")

    assert answer.status_code == 200
    states = {item["name"]: item for item in answer.get_json()["items"] if item["item"] == "state"}
    parsed = json.loads(definition)
    assert set(parsed["States"]) <= set(states)
    assert states["DetectLabels"]["parent"] == "AnalyseImage" and states["IndexLabel"]["parent"] == "IndexLabels"
    assert states["AnalyseImage"]["container"] is True and states["CheckModeration"]["container"] is False


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ("{not json", "application/json", 400),
    ('{"StartAt": "A"}', "application/json", 400),
    ('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}', "application/x-www-form-urlencoded", 415),
])
def test_layout_refuses_what_is_not_a_definition_sent_as_json(http, body, content_type, status):
    answer = http.post("/_console/api/layout", base_url=LOCAL, data=body, content_type=content_type)
    assert answer.status_code == status
    assert answer.get_json()["message"]


def test_task_tokens_name_the_state_waiting_on_each(stack, http):
    """A conversation waiting for its rating: one token, the one in the message-lookup row, held by WaitForRating."""
    customer = {"appointmentId": "APT-CONSOLE-TOKENS", "customerName": "Jane Doe", "customerPhone": "+14255550199"}
    arn = stack.start("feedback-conversation", customer)
    stack.wait_for_state(arn, "WaitForRating")
    ddb = stack.client("dynamodb")

    def lookup_row():
        return ddb.scan(TableName=stack.resource("FeedbackMessageLookupTable"), ConsistentRead=True,
                        FilterExpression="AppointmentId = :a",
                        ExpressionAttributeValues={":a": {"S": customer["appointmentId"]}})["Items"]

    row = stack.eventually(lookup_row, message="the question was never registered")[0]
    answer = get(http, f"/_console/api/task-tokens?executionArn={quote(arn)}").get_json()
    assert answer == {"taskTokens": [{"token": row["TaskToken"]["S"], "state": "WaitForRating"}]}

    stack.client("stepfunctions").send_task_failure(taskToken=row["TaskToken"]["S"], error="Console.Test")
    assert stack.wait(arn).status == "FAILED"  # the conversation records the failure, then fails
    assert get(http, f"/_console/api/task-tokens?executionArn={quote(arn)}").get_json() == {"taskTokens": []}


def test_task_tokens_of_an_unknown_execution_is_not_found(http):
    arn = "arn:aws:states:us-east-1:123456789012:execution:ImageCatalogStateMachine:no-such-execution"
    assert get(http, f"/_console/api/task-tokens?executionArn={quote(arn)}").status_code == 404


# --- routes ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/_console/",
    "/_console/state-machines/" + quote("arn:aws:states:us-east-1:123456789012:stateMachine:Any", safe=""),
    "/_console/executions/" + quote("arn:aws:states:us-east-1:123456789012:execution:Any:run-1", safe=""),
])
def test_page_routes_serve_the_console_with_a_strict_content_policy(http, path):
    answer = get(http, path)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert '<main id="app"' in answer.get_data(as_text=True)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe" not in policy


def test_static_files_are_served_and_nothing_else(http):
    assert get(http, "/_console/static/app.js").mimetype == "text/javascript"
    assert get(http, "/_console/static/console.css").mimetype == "text/css"
    for path in ("/_console/static/../app.py", "/_console/static/%2e%2e/app.py", "/_console/static/missing.js",
                 "/_console/elsewhere", "/_console/api/nothing"):
        assert get(http, path).status_code == 404, path
    assert get(http, "/_console").headers["Location"] == "/_console/"


def test_console_refuses_names_other_than_loopback(http):
    """A site that points its own name at 127.0.0.1 (DNS rebinding) still cannot read the console."""
    answer = http.get("/_console/api/config", base_url="http://attacker.example:8083/")
    assert answer.status_code == 403
    assert get(http, "/_console/api/config").get_json() == {"region": "us-east-1", "accountId": "123456789012"}


def test_api_answers_same_origin_pages_without_allowing_other_origins(http):
    """The console's own page may call the API; no answer carries CORS headers, another origin is refused."""
    same = sfn_call(http, "ListStateMachines", {}, Origin="http://127.0.0.1:8083")
    assert same.status_code == 200 and json.loads(same.get_data())["stateMachines"]
    assert not [name for name, _value in same.headers if name.lower().startswith("access-control-")]
    for origin in ("http://attacker.example", "null", "http://127.0.0.1:9999", "http://attacker.example:8083"):
        assert sfn_call(http, "ListStateMachines", {}, Origin=origin).status_code == 403, origin
    assert sfn_call(http, "ListStateMachines", {}).status_code == 200  # SDKs and the CLI send no Origin


def test_api_refuses_a_page_of_another_site_renamed_to_loopback(http):
    """DNS rebinding: the page's origin and Host are the attacker's name, resolved to 127.0.0.1; it is refused."""
    answer = http.post("/", base_url="http://attacker.example:8083/", data="{}", headers={
        "Origin": "http://attacker.example:8083", "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    assert answer.status_code == 403
