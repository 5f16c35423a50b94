"""Feedback conversation over HTTP on ``python -m local serve``: triggered and answered as in AWS.

Only HTTP calls to the served endpoint: an appointment set to COMPLETED in the appointments table (stream →
EventBridge Pipe → workflow) or an ``AppointmentCompleted`` event on the application bus starts the
conversation; the customer's reply, published to the inbound SMS topic, reaches the reply receiver (Lambda,
run inside the serve process) and resumes it. The question's ``MessageId`` is read from the message-lookup
table, as the phone would know it from the SMS.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

POLL_TIMEOUT = 30.0


def poll(probe: Callable[[], Any], what: str) -> Any:
    """Call ``probe`` with short sleeps until it returns something truthy (bounded)."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {POLL_TIMEOUT}s"
        time.sleep(0.05)


def wait_for_end(sfn, arn: str) -> dict[str, Any]:
    """DescribeExecution once the execution has left RUNNING (bounded)."""
    def ended() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=arn)
        return described if described["status"] != "RUNNING" else None

    return poll(ended, f"{arn} still RUNNING")


def appointment() -> dict[str, str]:
    return {"appointmentId": f"APT-E2E-{uuid.uuid4().hex[:8]}", "customerName": "Jane Doe",
            "customerPhone": f"+1425555{random.randrange(10**6):06d}"}


def answer(served, client, customer: dict[str, str], body: str) -> str:
    """Reply ``body`` to the question the conversation waits on; returns the execution's ARN."""
    ddb, resources = client("dynamodb"), served["resources"]

    def question() -> dict[str, Any] | None:
        items = ddb.scan(TableName=resources["FeedbackMessageLookupTable"], ConsistentRead=True,
                         FilterExpression="AppointmentId = :a",
                         ExpressionAttributeValues={":a": {"S": customer["appointmentId"]}})["Items"]
        return items[0] if items else None

    row = poll(question, "the conversation never asked its question")
    client("sns").publish(TopicArn=resources["FeedbackInboundSmsTopic"], Message=json.dumps({
        "originationNumber": customer["customerPhone"], "destinationNumber": "+12065550100",
        "messageKeyword": "KEYWORD_123456789012", "messageBody": body,
        "previousPublishedMessageId": row["MessageId"]["S"], "inboundMessageId": str(uuid.uuid4()),
    }))
    return row["ExecutionArn"]["S"]


def feedback(served, client, customer: dict[str, str]) -> dict[str, Any]:
    return client("dynamodb").get_item(TableName=served["resources"]["FeedbacksTable"], ConsistentRead=True,
                                       Key={"AppointmentId": {"S": customer["appointmentId"]}})["Item"]


def test_appointment_completed_in_table_then_sms_reply_over_http(served, client):
    """End to end on the endpoint: table item SCHEDULED → COMPLETED starts the workflow; a reply of 9 completes it."""
    customer = appointment()
    ddb, table = client("dynamodb"), served["resources"]["FeedbackAppointmentsTable"]
    ddb.put_item(TableName=table, Item={
        "AppointmentId": {"S": customer["appointmentId"]}, "CustomerName": {"S": customer["customerName"]},
        "CustomerPhone": {"S": customer["customerPhone"]}, "AppointmentStatus": {"S": "SCHEDULED"}})
    ddb.update_item(TableName=table, Key={"AppointmentId": {"S": customer["appointmentId"]}},
                    UpdateExpression="SET AppointmentStatus = :done",
                    ExpressionAttributeValues={":done": {"S": "COMPLETED"}})

    arn = answer(served, client, customer, "9 friendly staff")
    ended = wait_for_end(client("stepfunctions"), arn)

    assert json.loads(ended["input"]) == customer
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"appointmentId": customer["appointmentId"], "status": "COMPLETED",
                                           "score": 9, "callbackRequested": "N", "closingMessageSent": True}
    record = feedback(served, client, customer)
    assert (record["Status"]["S"], record["Score"]["N"], record["CallbackRequested"]["S"]) == ("COMPLETED", "9", "N")
    assert record["Replies"]["L"][0]["M"]["Comment"]["S"] == "friendly staff"
    assert record["Sentiment"]["S"] == "POSITIVE"


def test_appointment_completed_event_then_stop_over_http(served, client):
    """An AppointmentCompleted event put on the application bus over HTTP starts it; STOP ends it OPTED_OUT."""
    customer = appointment()
    response = client("events").put_events(Entries=[{
        "EventBusName": served["resources"]["ApplicationEventBus"], "Source": "custom.appointments",
        "DetailType": "AppointmentCompleted", "Detail": json.dumps(customer)}])
    assert response["FailedEntryCount"] == 0

    arn = answer(served, client, customer, "STOP")
    ended = wait_for_end(client("stepfunctions"), arn)

    assert json.loads(ended["input"]) == customer
    assert json.loads(ended["output"])["status"] == "OPTED_OUT"
    assert feedback(served, client, customer)["Status"]["S"] == "OPTED_OUT"
