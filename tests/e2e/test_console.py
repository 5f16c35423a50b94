"""The console in a real browser: headless Chromium (Debian's package, driven by Playwright) on ``serve``'s console.

Each test does what a person does on the page — open the listing, pick a sample input, start, click a state,
answer a task token — and checks what the page shows against what the Step Functions API and the tables say.
The graph contract: every state drawn carries ``data-state`` and ``data-status``. Without Chromium or Playwright
the browser tests are skipped, saying why.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from urllib.parse import quote

import pytest

from local.console.browser import launch, unavailable
from local.stack.template import Template
from tests.conftest import ROOT

EXPECT_TIMEOUT_MS = 20_000  # bound of every wait on the page (executions end in well under a second)
ROLE = "arn:aws:iam::123456789012:role/console-test"
FEEDBACK_EVENTS = ROOT / "workflows/feedback-conversation/events"

# One worker takes the whole module: Chromium (module fixture) starts once.
pytestmark = pytest.mark.xdist_group("console")


@pytest.fixture(scope="module")
def browser():
    reason = unavailable()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture(scope="module")
def console(served) -> str:
    return served["console"]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def execution_url(console: str, arn: str) -> str:
    return f"{console}executions/{quote(arn, safe='')}"


def machine_url(console: str, arn: str) -> str:
    return f"{console}state-machines/{quote(arn, safe='')}"


def state(page, name: str):
    return page.locator(f'svg.graph g.state[data-state="{name}"]')


def open_execution(page, console: str, arn: str, final: bool = True):
    page.goto(execution_url(console, arn))
    if final:
        expect(page.locator("main#app")).to_have_attribute("data-loaded", "final")
    return page


def appointment() -> dict[str, str]:
    return {"appointmentId": f"APT-UI-{uuid.uuid4().hex[:8]}", "customerName": "Jane Doe",
            "customerPhone": "+14255550182"}


# --- without a browser ----------------------------------------------------------------------------------------


def test_serve_first_line_names_the_console_and_serves_it(served):
    """``serve``'s first line gains ``console``: the endpoint's ``/_console/``, which answers with the page."""
    assert served["console"] == served["endpoint"] + "/_console/"
    with urllib.request.urlopen(served["console"], timeout=10) as response:
        assert response.status == 200
        assert "<main id=\"app\"" in response.read().decode()


def test_another_site_cannot_call_the_api_from_a_browser(served):
    """A page of another origin posting StartExecution is refused, and no answer allows other origins."""
    arn = served["resources"]["ImageCatalogStateMachine"]
    request = urllib.request.Request(served["endpoint"] + "/", method="POST", data=json.dumps(
        {"stateMachineArn": arn, "input": "{}"}).encode(), headers={
        "Origin": "http://attacker.example", "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.StartExecution"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert "access-control-allow-origin" not in {k.lower() for k in refused.value.headers}


# --- in the browser -------------------------------------------------------------------------------------------


def test_listing_shows_every_state_machine_with_diagram_and_recent_executions(page, console, served, client):
    """Every machine of the template and one made through the API, each with its diagram; its execution is listed."""
    sfn = client("stepfunctions")
    name = f"ConsoleListed{uuid.uuid4().hex[:6]}"
    created = sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(
        {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=created, name=f"listed-{uuid.uuid4().hex[:6]}")["executionArn"]
    template = Template(ROOT / "template.yaml")
    template_machines = [served["resources"][r.logical_id] for r in template.of_type("AWS::Serverless::StateMachine")]
    assert template_machines

    page.goto(console)

    for arn in [*template_machines, created]:
        row = page.locator(f'tr[data-state-machine="{arn}"]')
        expect(row.locator("a").first).to_have_attribute("href", machine_url("/_console/", arn))
        expect(row.locator("svg.graph g.state").first).to_be_visible()
    row = page.locator(f'tr[data-state-machine="{created}"]')
    expect(row.locator('g.state[data-state="Hello"]')).to_have_count(1)
    expect(row.locator(f'a[href="{execution_url("/_console/", started)}"]')).to_be_visible()


def test_image_catalog_started_from_the_page_with_its_sample_input(page, console, served, client):
    """Pick the sample input and the HappyPath test case, start: the page follows the execution to SUCCEEDED.

    The input sent is the sample file's; selecting a state shows its input and output; the Map's state counts
    its three iterations.
    """
    arn = served["resources"]["ImageCatalogStateMachine"]
    sample = (ROOT / "workflows/image-catalog/events/console-start.json").read_text()
    page.goto(machine_url(console, arn))
    expect(page.locator("#start-sample")).to_have_value("console-start.json")
    expect(page.locator("#start-input")).to_have_value(sample)
    page.select_option("#start-test-case", "HappyPath")

    page.click("#start-execution")

    page.wait_for_url(f"{console}executions/**")
    expect(page.locator("#execution-status")).to_have_attribute("data-status", "SUCCEEDED")
    execution_arn = page.locator("dd.mono").first.text_content()
    described = client("stepfunctions").describe_execution(executionArn=execution_arn)
    assert described["stateMachineArn"] == arn
    assert json.loads(described["input"]) == json.loads(sample)
    assert page.url == execution_url(console, execution_arn)
    expect(state(page, "ImageCatalogued")).to_have_attribute("data-status", "succeeded")
    expect(state(page, "IndexLabel")).to_have_attribute("data-count", "3")

    state(page, "DetectLabels").click()

    inspector = page.locator("#inspector")
    expect(inspector.locator(".inspector-body")).to_have_attribute("data-selected-state", "DetectLabels")
    expect(inspector.locator('[data-fact="status"]')).to_have_text("succeeded")
    expect(inspector.locator("pre").first).to_contain_text('"key": "uploads/demo-beach.png"')
    expect(inspector.locator("pre").last).to_contain_text('"Name": "Dog"')
    assert "Dog" in json.loads(described["output"])["labels"]


def test_inspector_colours_a_succeeded_execution(page, console, served, client):
    """A catalogued image: the path taken is green, the branches not taken are not entered."""
    sfn = client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=served["resources"]["ImageCatalogStateMachine"] + "#HappyPath",
                              input=json.dumps({"bucket": "local-imageingestionbucket",
                                                "key": "uploads/colours.png"}))["executionArn"]

    open_execution(page, console, arn)

    for name in ("CheckModeration", "AnalyseImage", "DetectText", "IndexLabels", "ImageCatalogued"):
        expect(state(page, name)).to_have_attribute("data-status", "succeeded")
    for name in ("SaveRejectedImage", "NotifyModerators", "ImageRejected", "FailImage"):
        expect(state(page, name)).to_have_attribute("data-status", "not-entered")
    expect(page.locator("#execution-status")).to_have_attribute("data-status", "SUCCEEDED")


def test_inspector_colours_a_caught_error_and_the_failure_it_leads_to(page, console, served, client):
    """An image that does not exist: Rekognition's error is caught (orange), the workflow ends in its Fail state (red).

    Selecting the state that met the error shows the error's name and cause.
    """
    sfn = client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=served["resources"]["ImageCatalogStateMachine"],
                              input=json.dumps({"bucket": "local-imageingestionbucket",
                                                "key": f"uploads/missing-{uuid.uuid4().hex[:6]}.png"}))["executionArn"]

    open_execution(page, console, arn)

    expect(page.locator("#execution-status")).to_have_attribute("data-status", "FAILED")
    expect(state(page, "CheckModeration")).to_have_attribute("data-status", "caught")
    expect(state(page, "NoteUnreadableImage")).to_have_attribute("data-status", "succeeded")
    expect(state(page, "FailImage")).to_have_attribute("data-status", "failed")
    expect(state(page, "AnalyseImage")).to_have_attribute("data-status", "not-entered")
    state(page, "CheckModeration").click()
    inspector = page.locator("#inspector")
    expect(inspector).to_contain_text("Rekognition.InvalidS3ObjectException")
    expect(inspector).to_contain_text("Unable to get object metadata from S3")
    expect(page.locator(".io")).to_contain_text("ImageCatalog.ImageUnreadable")


def test_inspector_shows_the_task_token_a_conversation_waits_on(page, console, served, client):
    """A conversation waiting for the rating: its wait state is 'waiting' and the page shows the token it waits on."""
    customer = appointment()
    arn = client("stepfunctions").start_execution(
        stateMachineArn=served["resources"]["FeedbackConversationStateMachine"],
        input=json.dumps(customer))["executionArn"]

    open_execution(page, console, arn, final=False)

    expect(state(page, "WaitForRating")).to_have_attribute("data-status", "waiting")
    expect(state(page, "AskForRating")).to_have_attribute("data-status", "succeeded")
    expect(state(page, "ReadRating")).to_have_attribute("data-status", "not-entered")
    token = page.locator('.token-box[data-token-state="WaitForRating"] .task-token')
    expect(token).to_be_visible()
    rows = client("dynamodb").scan(TableName=served["resources"]["FeedbackMessageLookupTable"], ConsistentRead=True,
                                   FilterExpression="AppointmentId = :a",
                                   ExpressionAttributeValues={":a": {"S": customer["appointmentId"]}})["Items"]
    assert token.text_content() == rows[0]["TaskToken"]["S"]
    client("stepfunctions").send_task_failure(taskToken=token.text_content(), error="Console.Test")  # let it end


def answer(page, waiting_state: str, message: str, stage: str) -> None:
    """Answer the conversation's question from the page: the sample reply, with the customer's words."""
    box = page.locator(f'.token-box[data-token-state="{waiting_state}"]')
    box.locator("select").select_option("reply-task-output.json")
    reply = json.loads(box.locator("textarea").input_value())
    assert reply == json.loads((FEEDBACK_EVENTS / "reply-task-output.json").read_text())
    box.locator("textarea").fill(json.dumps({**reply, "messageBody": message, "conversationStage": stage,
                                             "inboundMessageId": str(uuid.uuid4())}))
    box.locator(".send-success").click()


def test_feedback_conversation_taken_to_its_end_from_the_page(page, console, served, client):
    """Start the conversation from its sample, answer '3 …' then '1' from the page: the customer is called back.

    The conversation records the score and the callback request, and ends COMPLETED.
    """
    customer = appointment()
    page.goto(machine_url(console, served["resources"]["FeedbackConversationStateMachine"]))
    sample = json.loads(page.locator("#start-input").input_value())
    assert sample == json.loads((FEEDBACK_EVENTS / "console-start.json").read_text())
    page.fill("#start-input", json.dumps({**sample, "appointmentId": customer["appointmentId"]}))
    page.click("#start-execution")
    page.wait_for_url(f"{console}executions/**")

    expect(state(page, "WaitForRating")).to_have_attribute("data-status", "waiting")
    answer(page, "WaitForRating", "3 I waited 40 minutes and nobody told me why", "RATING")
    expect(state(page, "WaitForCallbackAnswer")).to_have_attribute("data-status", "waiting")
    expect(state(page, "WaitForRating")).to_have_attribute("data-status", "succeeded")
    answer(page, "WaitForCallbackAnswer", "1", "CALLBACK")

    expect(page.locator("#execution-status")).to_have_attribute("data-status", "SUCCEEDED")
    for name in ("RecordRating", "RequestCallback", "ConfirmCallback", "ConversationEnded"):
        expect(state(page, name)).to_have_attribute("data-status", "succeeded")
    expect(state(page, "ThankCustomer")).to_have_attribute("data-status", "not-entered")
    output = json.loads(page.locator("#execution-output").text_content())
    assert output == {"appointmentId": customer["appointmentId"], "status": "COMPLETED", "score": 3,
                      "callbackRequested": "Y", "closingMessageSent": True}
    record = client("dynamodb").get_item(TableName=served["resources"]["FeedbacksTable"], ConsistentRead=True,
                                         Key={"AppointmentId": {"S": customer["appointmentId"]}})["Item"]
    assert (record["Status"]["S"], record["Score"]["N"], record["CallbackRequested"]["S"]) == ("COMPLETED", "3", "Y")


def test_markup_in_an_execution_stays_text(page, console, client):
    """An input holding ``<img src=x onerror=…>`` is shown as those characters: no element made, nothing run.

    The same text reaches the output, a state's input in the inspector, and the execution's error cause.
    """
    payload = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>"
    sfn = client("stepfunctions")
    machine = sfn.create_state_machine(name=f"ConsoleEscaping{uuid.uuid4().hex[:6]}", roleArn=ROLE,
                                       definition=json.dumps({"QueryLanguage": "JSONata", "StartAt": "Echo", "States": {
                                           "Echo": {"Type": "Pass", "Next": "Refuse"},
                                           "Refuse": {"Type": "Fail", "Error": "Console.Refused",
                                                      "Cause": "{% $states.input.note %}"}}}))["stateMachineArn"]
    page.goto(machine_url(console, machine))
    page.fill("#start-input", json.dumps({"note": payload}))
    page.click("#start-execution")
    page.wait_for_url(f"{console}executions/**")
    expect(page.locator("#execution-status")).to_have_attribute("data-status", "FAILED")

    state(page, "Echo").click()

    assert json.loads(page.locator("#execution-input").text_content()) == {"note": payload}
    expect(page.locator("#inspector")).to_contain_text(payload)
    expect(page.locator(".io")).to_contain_text(payload)
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("window.__pwned") is None
