"""feedback-conversation's driver: a completed appointment starts an SMS conversation that waits for replies."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

from local.stack.stack import Execution, Stack
from local.stack.triggers import Trigger
from local.workflows.contracts import DuplicateResult, InputContract, new_arns
from local.workflows.driver import DEMO_TIMEOUT, DemoFailure, DemoOutcome, Driver, Journey, put_event
from local.workflows.harness import (
    PERSISTENT_THROWS,
    FaultCase,
    Harness,
    Run,
    Scenario,
    Target,
    finished,
    item_of,
    new_name,
)

WORKFLOW = "feedback-conversation"
#: The questions' task tokens: the state that waits, and what the customer is asked.
WAITS = {"WaitForRating": "the rating question", "WaitForCallbackAnswer": "the callback question"}

#: A scripted reply that never comes: the question times out.
NO_REPLY = "<no reply>"


class _FeedbackHarness(Harness):
    """Faults in every message, record, score and event of a conversation; silence past each timeout."""

    workflow = WORKFLOW
    _opted_out = {"Throw": {"Error": "PinpointSmsVoiceV2.ConflictException", "Cause": (
        "Reason: DESTINATION_PHONE_NUMBER_OPTED_OUT. The destination phone number is opted out. "
        "(Service: PinpointSmsVoiceV2, Status Code: 400, Request ID: reliability)")}}
    _sms_down = {"Throw": {"Error": "PinpointSmsVoiceV2.InternalServerException", "Cause": (
        "Internal server error (Service: PinpointSmsVoiceV2, Status Code: 500, Request ID: reliability)")}}
    scenarios = {
        "score-8": Scenario("score-8", "the customer rates 8: recorded and thanked",
                            {"status": "SUCCEEDED", "error": None, "outcome": "COMPLETED", "record": "COMPLETED",
                             "score": 8, "callback": "N", "closing": True, "requested": 0},
                            replies=(("RATING", "8"),)),
        "callback-yes": Scenario(
            "callback-yes", "the customer rates 3 with a comment and accepts a call: the support team is told",
            {"status": "SUCCEEDED", "error": None, "outcome": "COMPLETED", "record": "COMPLETED", "score": 3,
             "sentiment": "NEGATIVE", "callback": "Y", "closing": True, "requested": 1},
            replies=(("RATING", "3 I waited 40 minutes and nobody told me why"), ("CALLBACK", "1"))),
        "unreadable-then-valid": Scenario(
            "unreadable-then-valid", "an unreadable reply is asked again, then the rating counts",
            {"status": "SUCCEEDED", "error": None, "outcome": "COMPLETED", "record": "COMPLETED", "score": 8},
            replies=(("RATING", "hello?"), ("RATING", "8"))),
        "invalid-thrice": Scenario(
            "invalid-thrice", "three unreadable replies end the conversation as INVALID_REPLY",
            {"status": "SUCCEEDED", "error": None, "outcome": "INVALID_REPLY", "record": "INVALID_REPLY",
             "score": None},
            replies=(("RATING", "?"), ("RATING", "maybe"), ("RATING", "I'd say seven"))),
        "stop": Scenario("stop", "the customer replies STOP: OPTED_OUT, nothing more sent",
                         {"status": "SUCCEEDED", "error": None, "outcome": "OPTED_OUT", "record": "OPTED_OUT"},
                         replies=(("RATING", "STOP"),)),
        "opted-out-number": Scenario(
            "opted-out-number", "the number had opted out before we asked: OPTED_OUT",
            {"status": "SUCCEEDED", "error": None, "outcome": "OPTED_OUT", "record": "OPTED_OUT"},
            mocks={"AskForRating": {"0": _opted_out}}),
        "no-reply": Scenario("no-reply", "no reply within the reply timeout: NO_RESPONSE",
                             {"status": "SUCCEEDED", "error": None, "outcome": "NO_RESPONSE",
                              "record": "NO_RESPONSE"},
                             replies=(("RATING", NO_REPLY),)),
        "sms-outage": Scenario(
            "sms-outage", "the SMS service stays down: the conversation is recorded as FAILED",
            {"status": "FAILED", "error": "FeedbackConversation.SmsNotSent", "record": "FAILED",
             "failedState": "AskForRating", "failureError": "PinpointSmsVoiceV2.InternalServerException"},
            mocks={"AskForRating": {f"0-{PERSISTENT_THROWS - 1}": _sms_down}}),
    }
    targets = {
        "StartConversation": Target("score-8", "replay"),
        "AskForRating": Target("score-8", "replay"),
        "WaitForRating": Target("score-8"),
        "ScoreComment": Target("callback-yes"),
        "RecordRating": Target("callback-yes", unset=("score", "sentiment")),
        "AskAboutCallback": Target("callback-yes", "replay"),
        "WaitForCallbackAnswer": Target("callback-yes"),
        "RecordCallbackAnswer": Target("callback-yes", unset=("record", "callback")),
        "RequestCallback": Target("callback-yes", "replay"),
        "ConfirmCallback": Target("callback-yes", "replay"),
        "ThankCustomer": Target("score-8", "replay"),
        "RecordUnreadableReply": Target("unreadable-then-valid"),
        "RecordInvalidReply": Target("invalid-thrice", unset=("record",)),
        "RecordOptOut": Target("stop", unset=("record",)),
        "RecordNumberOptedOut": Target("opted-out-number", unset=("record",)),
        "RecordNoResponse": Target("no-reply", unset=("record",)),
        "RecordConversationFailure": Target("sms-outage", unset=("record", "failedState", "failureError")),
    }
    _waits = {"WaitForRating": "RATING", "WaitForCallbackAnswer": "CALLBACK"}

    def prepare(self, scenario: Scenario) -> Run:
        phone = new_phone_number()
        appointment, name = f"REL-{uuid.uuid4().hex[:16]}", new_name()
        return Run({"appointmentId": appointment, "customerName": "Reliability Customer", "customerPhone": phone},
                   name, {"appointment": appointment, "phone": phone, "execution": name},
                   {"replies": scenario.replies})

    def _question(self, run: Run, arn: str, stage: str, answered: set[str]) -> dict[str, Any] | None:
        """The next question of ``stage`` registered for replies, or None once the execution has ended."""
        ddb, table = self.stack.client("dynamodb"), self.stack.resource("FeedbackMessageLookupTable")
        sfn = self.stack.client("stepfunctions")

        def probe() -> Any:
            for message in self.stack.sent_sms:
                if message["DestinationPhoneNumber"] != run.ids["phone"] or message["MessageId"] in answered:
                    continue
                row = ddb.get_item(TableName=table, Key={"MessageId": {"S": message["MessageId"]}},
                                   ConsistentRead=True).get("Item")
                if row and row["ConversationStage"]["S"] == stage:
                    return message
            return "ended" if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING" else None

        found = self.stack.eventually(probe, timeout=10, message=f"no {stage} question for {run.ids['phone']}")
        return None if found == "ended" else found

    def let_time_out(self, run: Run, state: str) -> None:
        stage = self._waits[state]
        replies = list(run.data["replies"])
        first = next(i for i, (asked, _) in enumerate(replies) if asked == stage)
        run.data["replies"] = (*replies[:first], (stage, NO_REPLY))

    def drive(self, run: Run, arn: str, answered_by_mocks: set[str]) -> None:
        skip = [self._waits[state] for state in answered_by_mocks if state in self._waits]
        answered: set[str] = set()
        for stage, body in run.data["replies"]:
            if stage in skip:  # the mocked wait state answers this question itself
                skip.remove(stage)
                continue
            question = self._question(run, arn, stage, answered)
            if question is None:
                return
            answered.add(question["MessageId"])
            if body == NO_REPLY:  # the customer stays silent past the reply timeout (virtual time)
                self.stack.clock.advance(float(self.stack.template.parameters["FeedbackReplyTimeoutSeconds"]) + 1)
                return
            reply_to(self.stack, run.ids["phone"], question, body)

    def summary(self, run: Run, execution: Execution) -> dict[str, Any]:
        record = item_of(self.stack.client("dynamodb").get_item(
            TableName=self.stack.resource("FeedbacksTable"), Key={"AppointmentId": {"S": run.ids["appointment"]}},
            ConsistentRead=True).get("Item")) or {}
        output = execution.output or {}
        requested = [e for e in self.probe.events("custom.feedback")
                     if e["detail"].get("appointmentId") == run.ids["appointment"]]
        return {"status": execution.status, "error": execution.error, "cause": execution.cause,
                "outcome": output.get("status"), "record": record.get("Status"),
                "failedState": record.get("FailedState"), "failureError": record.get("FailureError"),
                "score": record.get("Score"), "sentiment": record.get("Sentiment"),
                "callback": record.get("CallbackRequested"), "closing": output.get("closingMessageSent"),
                "requested": len(requested),
                "sms": sum(1 for m in self.stack.sent_sms if m["DestinationPhoneNumber"] == run.ids["phone"])}

    def designed_failure(self, case: FaultCase, scenario: Scenario) -> dict[str, Any]:
        error, state = case.error.error, case.state
        recorded = {"record": "FAILED", "failedState": state, "failureError": error}
        if case.error.kind == "timeout":  # no reply in time: NO_RESPONSE, a rating already given stays
            expected = {"status": "SUCCEEDED", "error": None, "outcome": "NO_RESPONSE", "record": "NO_RESPONSE",
                        "score": scenario.normal["score"] if state == "WaitForCallbackAnswer" else None,
                        "callback": "N", "closing": False, "requested": 0}
        elif state == "StartConversation":  # the record cannot be created: nobody is messaged
            expected = {"status": "FAILED", "error": "FeedbackConversation.RecordNotSaved", "record": None, "sms": 0}
        elif state in ("AskForRating", "AskAboutCallback"):
            expected = {"status": "FAILED", "error": "FeedbackConversation.SmsNotSent", **recorded}
        elif state == "ScoreComment":  # the rating is recorded without a sentiment
            expected = {**scenario.normal, "sentiment": None}
        elif state == "RequestCallback":  # no call promised; the answer stays recorded
            expected = {"status": "FAILED", "error": "FeedbackConversation.CallbackNotRequested", **recorded,
                        "callback": "Y", "requested": 0}
        elif state in ("ConfirmCallback", "ThankCustomer"):  # the feedback stands without its closing message
            expected = {**scenario.normal, "closing": False}
        elif state == "RecordConversationFailure":  # cannot even record the failure: the original error stands
            expected = {"status": "FAILED", "error": "FeedbackConversation.SmsNotSent", "record": "IN_PROGRESS"}
        else:
            expected = {"status": "FAILED", "error": "FeedbackConversation.RecordNotSaved", **recorded}
        return expected


#: Numbers handed out in this process. The SMS outbox is shared by every conversation and a phone's questions are
#: found by number: two conversations with one number answered each other's questions and one waited for ever
#: (numbers drawn at random collided now and then).
_PHONE_NUMBERS = itertools.count(1)


def new_phone_number() -> str:
    """A US number (E.164) no other conversation of this process has."""
    return f"+1206{next(_PHONE_NUMBERS) % 10**7:07d}"


def reply_to(stack: Stack, phone: str, question: dict[str, Any], body: str, inbound_id: str | None = None) -> dict:
    """The customer's reply to ``question``, as End User Messaging publishes it to the inbound topic."""
    message = {"originationNumber": phone, "destinationNumber": question["OriginationIdentity"],
               "messageKeyword": "KEYWORD_123456789012", "messageBody": body,
               "inboundMessageId": inbound_id or str(uuid.uuid4()),
               "previousPublishedMessageId": question["MessageId"]}
    stack.client("sns").publish(TopicArn=stack.resource("FeedbackInboundSmsTopic"), Message=json.dumps(message))
    return message


def play_conversation(  # noqa: PLR0915 - one branch per kind of step
    stack: Stack, demo: dict[str, Any], suffix: str | None = None,
) -> dict[str, Any]:
    """Play the ``steps`` of ``events/demo-conversation.json``; raise :class:`DemoFailure` at the first miss.

    The appointment id gets ``suffix`` (each appointment is asked only once). Returns what the conversation
    produced: ``appointmentId``, ``execution``, ``texts`` (the SMS bodies sent), ``event`` and ``record``.
    """
    from boto3.dynamodb.types import TypeDeserializer

    original = demo["customer"]["appointmentId"]
    appointment_id = f"{original}-{suffix or uuid.uuid4().hex[:6]}"
    steps = json.loads(json.dumps(demo["steps"]).replace(original, appointment_id))
    ddb, sent_from = stack.client("dynamodb"), len(stack.sent_sms)
    lookup = stack.resource("FeedbackMessageLookupTable")
    listeners = {step["detailType"]: stack.listen(stack.resource(step["bus"]), {
        "source": [step["source"]], "detail-type": [step["detailType"]], "detail": {"appointmentId": [appointment_id]}})
        for step in steps if step["action"] == "expectEvent"}
    played: dict[str, Any] = {"appointmentId": appointment_id, "texts": []}
    latest: dict[str, Any] | None = None

    def check(what: str, actual: Any, expected: Any) -> None:
        if actual != expected:
            raise DemoFailure(f"{what}: expected {expected!r}, got {actual!r}")

    def execution() -> Execution:
        if "execution" not in played:
            started = stack.eventually(lambda: next((arn for arn in stack.executions(WORKFLOW)
                                                     if (stack.execution(arn).input or {}).get("appointmentId")
                                                     == appointment_id), None),
                                       timeout=DEMO_TIMEOUT, message="the table change started no conversation")
            played["execution"] = stack.wait(started, timeout=DEMO_TIMEOUT)
        return played["execution"]

    def plain(item: dict[str, Any]) -> dict[str, Any]:
        values = {name: TypeDeserializer().deserialize(value) for name, value in item.items()}
        return json.loads(json.dumps(values, default=lambda v: int(v) if v == int(v) else float(v)))

    for step in steps:
        action = step["action"]
        if action == "putItem":
            ddb.put_item(TableName=stack.resource(step["table"]), Item={k: {"S": v} for k, v in step["item"].items()})
        elif action == "updateItem":
            names = {f"#a{i}": name for i, name in enumerate(step["set"])}
            ddb.update_item(TableName=stack.resource(step["table"]), Key={k: {"S": v} for k, v in step["key"].items()},
                            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names))),
                            ExpressionAttributeNames=names,
                            ExpressionAttributeValues={f":v{i}": {"S": v} for i, v in enumerate(step["set"].values())})
        elif action == "expectSms":
            latest = stack.eventually(
                lambda s=step, after=sent_from: next(
                    (m for m in stack.sent_sms[after:] if m["DestinationPhoneNumber"] == s["to"]), None),
                timeout=DEMO_TIMEOUT, message=f"no SMS was sent to the customer ({step['body'][:40]}…)")
            sent_from = stack.sent_sms.index(latest) + 1
            played["texts"].append(latest["MessageBody"])
            check("SMS sent", latest["MessageBody"], step["body"])
        elif action == "reply":
            if latest is None:
                raise DemoFailure("a reply step comes before any expected SMS")
            # A person answers seconds later, when the workflow already waits with its token stored.
            stack.eventually(lambda m=latest: ddb.get_item(TableName=lookup, Key={"MessageId": {"S": m["MessageId"]}})
                             .get("Item"), timeout=DEMO_TIMEOUT, message="the workflow never waited for the reply")
            stack.client("sns").publish(TopicArn=stack.resource("FeedbackInboundSmsTopic"), Message=json.dumps({
                "originationNumber": step["from"], "destinationNumber": latest["OriginationIdentity"],
                "messageKeyword": "KEYWORD_123456789012", "messageBody": step["body"],
                "previousPublishedMessageId": latest["MessageId"], "inboundMessageId": str(uuid.uuid4()),
            }))
        elif action == "expectEvent":
            event = stack.eventually(listeners[step["detailType"]].messages, timeout=DEMO_TIMEOUT,
                                     message=f"the {step['detailType']} event never arrived")[0]
            played["event"] = event
            check(f"{step['detailType']} event", {k: event["detail"].get(k) for k in step["detail"]}, step["detail"])
        elif action == "expectItem":
            execution()
            item = ddb.get_item(TableName=stack.resource(step["table"]), ConsistentRead=True,
                                Key={k: {"S": v} for k, v in step["key"].items()}).get("Item")
            record = plain(item or {})
            played["record"] = record
            check("feedback record", {k: record.get(k) for k in step["attributes"]}, step["attributes"])
            check("replies recorded", [r.get("MessageBody") for r in record.get("Replies", [])], step["replies"])
        elif action == "expectExecution":
            ended = execution()
            check("execution status", ended.status, step["status"])
            check("execution output", ended.output, step["output"])
        else:
            raise DemoFailure(f"unknown demo step {action!r}")
    for listener in listeners.values():
        listener.close()
    return played


def _start_conversation_twice(stack: Stack) -> DuplicateResult:
    events, bus = stack.client("events"), stack.resource("ApplicationEventBus")
    phone, appointment = new_phone_number(), f"DUP-{uuid.uuid4().hex[:12]}"
    detail = {"appointmentId": appointment, "customerName": "Duplicate Check", "customerPhone": phone}
    before = set(stack.executions(WORKFLOW))
    for _ in range(2):  # the AppointmentCompleted event delivered twice
        events.put_events(Entries=[{"Source": "custom.appointments", "DetailType": "AppointmentCompleted",
                                    "Detail": json.dumps(detail), "EventBusName": bus}])
    arns = new_arns(stack, WORKFLOW, before, 2)
    question = stack.eventually(lambda: [m for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone],
                                timeout=10, message="no rating question")[0]
    _await_registration(stack, question["MessageId"])
    reply_to(stack, phone, question, "8")
    outcomes = sorted(str((finished(stack, arn).output or {}).get("status")) for arn in arns)
    questions = [m for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone
                 and m["MessageBody"].startswith("Please rate")]
    problems = []
    if outcomes != ["ALREADY_STARTED", "COMPLETED"]:
        problems.append(f"the two executions ended {outcomes}, expected one COMPLETED and one ALREADY_STARTED")
    if len(questions) != 1:
        problems.append(f"{len(questions)} rating questions sent, expected 1")
    return DuplicateResult(WORKFLOW, "same-appointment", "the same AppointmentCompleted event twice",
                           2, outcomes.count("COMPLETED"), {"outcomes": outcomes, "questionsSent": len(questions)},
                           problems)


def _await_registration(stack: Stack, message_id: str) -> None:
    ddb, table = stack.client("dynamodb"), stack.resource("FeedbackMessageLookupTable")
    stack.eventually(lambda: ddb.get_item(TableName=table, Key={"MessageId": {"S": message_id}},
                                          ConsistentRead=True).get("Item"),
                     timeout=10, message=f"question {message_id} never registered for replies")


def _reply_twice(stack: Stack) -> DuplicateResult:
    phone, appointment = new_phone_number(), f"DUP-{uuid.uuid4().hex[:12]}"
    arn = stack.start(WORKFLOW, {"appointmentId": appointment, "customerName": "Duplicate Check",
                                                 "customerPhone": phone})
    question = stack.eventually(lambda: [m for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone],
                                timeout=10, message="no rating question")[0]
    _await_registration(stack, question["MessageId"])
    inbound = str(uuid.uuid4())
    for _ in range(2):  # SNS delivers the same inbound SMS (same inboundMessageId) twice
        reply_to(stack, phone, question, "8", inbound_id=inbound)
    execution = finished(stack, arn)
    record = item_of(stack.client("dynamodb").get_item(
        TableName=stack.resource("FeedbacksTable"), Key={"AppointmentId": {"S": appointment}},
        ConsistentRead=True).get("Item")) or {}
    replies = record.get("Replies", [])
    sent = [m["MessageBody"] for m in stack.sent_sms if m["DestinationPhoneNumber"] == phone]
    problems = []
    if (execution.status, (execution.output or {}).get("score")) != ("SUCCEEDED", 8):
        problems.append(f"the conversation ended {execution.status} with {execution.output}")
    if [r.get("InboundMessageId") for r in replies] != [inbound]:
        problems.append(f"replies recorded: {[r.get('InboundMessageId') for r in replies]}, expected [{inbound}]")
    if len(sent) != 2:
        problems.append(f"{len(sent)} messages sent (question and thanks expected): {sent}")
    return DuplicateResult(WORKFLOW, "same-reply", "the same inbound SMS delivered twice", 2,
                           len(replies), {"repliesRecorded": len(replies), "messagesSent": len(sent)}, problems)


class _FeedbackConversationDriver(Driver):
    """``AppointmentCompleted`` (the bus, or the appointments table's stream through a pipe) starts it."""

    name = WORKFLOW
    demo_title = "a customer rates an appointment 3 and accepts a call"
    harness = _FeedbackHarness
    input_contract = InputContract(
        WORKFLOW, "schemas/feedback-conversation.input.schema.json",
        "workflows/feedback-conversation/events/console-start.json", "FeedbackConversation.InvalidInput",
        "Invalid input: ", ("CheckInput", "IsInputValid", "RejectInvalidInput"),
        ("appointmentId", "customerPhone", "customerName"), batch=True)
    published_sources = ("custom.feedback",)

    def play_demo(self, stack: Stack, outcome: DemoOutcome) -> None:
        demo = self.files(stack).read_event("demo-conversation.json")
        replies = [step["body"] for step in demo["steps"] if step["action"] == "reply"]
        outcome.trigger = (f"appointment {demo['customer']['appointmentId']}-… set to COMPLETED in the appointments "
                           f"table; the customer replies " + " then ".join(repr(reply) for reply in replies))
        played = play_conversation(stack, demo)
        outcome.executions.append(played["execution"])
        record = played.get("record", {})
        outcome.result = (f"score {record.get('Score')}, callback requested ({played['event']['detail-type']} on "
                          f"the application bus), {len(played['texts'])} SMS sent, status {record.get('Status')}")

    def journeys(self, stack: Stack) -> list[Journey]:
        topic, lookup = stack.resource("FeedbackInboundSmsTopic"), stack.resource("FeedbackMessageLookupTable")
        sns, ddb = stack.client("sns"), stack.client("dynamodb")

        def make_input() -> dict[str, str]:
            return {"appointmentId": f"SCENARIO-{uuid.uuid4().hex[:10]}", "customerName": "Sam",
                    "customerPhone": new_phone_number()}

        def answer(replies: list[str]) -> Callable[[str, Any], None]:
            def drive(_arn: str, payload: dict[str, str]) -> None:
                answered: set[str] = set()
                for reply in replies:
                    question = stack.eventually(lambda: next(
                        (m for m in stack.sent_sms if m["DestinationPhoneNumber"] == payload["customerPhone"]
                         and m["MessageId"] not in answered), None), timeout=30)
                    answered.add(question["MessageId"])
                    # A person answers seconds later, when the workflow already waits with its token stored.
                    stack.eventually(lambda q=question: ddb.get_item(
                        TableName=lookup, Key={"MessageId": {"S": q["MessageId"]}}).get("Item"), timeout=30)
                    sns.publish(TopicArn=topic, Message=json.dumps({
                        "originationNumber": payload["customerPhone"],
                        "destinationNumber": question["OriginationIdentity"], "messageBody": reply,
                        "previousPublishedMessageId": question["MessageId"], "inboundMessageId": str(uuid.uuid4()),
                    }))

            return drive

        return [Journey(WORKFLOW, "score 8, one stage", make_input, answer(["8"]), main=True),
                Journey(WORKFLOW, "score 3 and a callback requested", make_input, answer(["3", "1"]))]

    def duplicates(self) -> dict[str, Callable[[Stack], DuplicateResult]]:
        return {f"{WORKFLOW}:same-appointment": _start_conversation_twice, f"{WORKFLOW}:same-reply": _reply_twice}

    def fire(self, stack: Stack, trigger: Trigger, marker: str) -> None:
        if trigger.kind == "pipe":  # an appointment set to COMPLETED in the table: the stream feeds the pipe
            stack.client("dynamodb").put_item(TableName=stack.resource("FeedbackAppointmentsTable"), Item={
                "AppointmentId": {"S": marker}, "AppointmentStatus": {"S": "COMPLETED"},
                "CustomerName": {"S": "Dead Letter"}, "CustomerPhone": {"S": "+12065550199"}})
        else:
            put_event(stack, "custom.appointments", "AppointmentCompleted",
                      {"appointmentId": marker, "customerName": "Dead Letter", "customerPhone": "+12065550199"},
                      bus=stack.resource("ApplicationEventBus"))

    def answer_hint(self, state: str) -> str | None:
        if state not in WAITS:
            return None
        return (f"the customer's SMS reply to {WAITS[state]}: with `python -m local serve` running, publish it to "
                "FeedbackInboundSmsTopic as End User Messaging does (events/sns-inbound-sms-event.json); the reply "
                "receiver sends the task token back")


DRIVER = _FeedbackConversationDriver()
