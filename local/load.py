"""Load on the served endpoint: bursts of business events through ``python -m local serve``, over HTTP only.

Two loads, each timed from the first request to the last outcome checked:

* **EC2 burst** (:func:`ec2_burst`): EC2 state-change events put on the default bus in ``PutEvents`` batches of
  10, each enriched by the Express workflow and delivered to the operators' topic; an SQS queue subscribed to
  the topic plays the consumer and counts the distinct original event ids (and checks the names).
* **Feedback conversations** (:func:`feedback_conversations`): ``AppointmentCompleted`` events start
  conversations; their customers answer in shuffled order from several threads (ratings, low scores followed
  by yes or no to the callback, and now and then another customer's number answering a question that is not
  theirs, which must be ignored); each conversation must end in its own correct feedback record.

``python -m local report load`` starts a ``serve`` process and prints the figures; ``tests/e2e/test_load.py``
runs the same functions against the test session's endpoint.
"""

from __future__ import annotations

import collections
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from local.aws import CREDENTIALS, ClientFactory, endpoint_clients
from local.figures import write_figures
from local.paths import PROJECT_ROOT
from local.workflows import selected

#: The workflows a load exists for, and what it is.
LOADS = {"ec2-enrichment": "a burst of EC2 state changes", "feedback-conversation": "interleaved SMS conversations"}
POLL_SECONDS = 0.05
BATCH = 10  # PutEvents takes at most 10 entries


@dataclass
class LoadResult:
    """Figures of one load: what was sent, what arrived as expected, how long it took."""

    name: str
    sent: int
    delivered: int
    correct: int
    seconds: float
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every item sent arrived once and as expected."""
        return self.sent == self.delivered == self.correct and not self.problems

    def line(self) -> str:
        """One line for people: ``ec2 burst: 1000 sent, 1000 delivered, 1000 correct in 18.2 s (55/s)``."""
        rate = self.sent / self.seconds if self.seconds else 0.0
        extra = f", {self.duplicates} duplicates" if self.duplicates else ""
        return (f"{self.name}: {self.sent} sent, {self.delivered} delivered, {self.correct} correct{extra} "
                f"in {self.seconds:.1f} s ({rate:.0f}/s)")


def _put_in_batches(client: ClientFactory, entries: list[dict[str, Any]]) -> list[str]:
    """PutEvents in batches of 10; returns the event ids in order (every entry must be accepted)."""
    ids: list[str] = []
    events = client("events")
    for start in range(0, len(entries), BATCH):
        response = events.put_events(Entries=entries[start:start + BATCH])
        if response["FailedEntryCount"]:
            raise RuntimeError(f"PutEvents refused entries: {response['Entries']}")
        ids.extend(entry["EventId"] for entry in response["Entries"])
    return ids


# --- EC2 burst ------------------------------------------------------------------------------------------------


class _TopicConsumer:
    """An SQS queue subscribed to a topic, drained by a thread while the load runs.

    Draining as messages arrive matters locally: moto's SQS looks at every message of a queue on each send and
    receive, so a queue left to fill up makes the consumer quadratic.
    """

    def __init__(self, client: ClientFactory, topic_arn: str, on_message: Callable[[dict[str, Any]], None]) -> None:
        self.sqs, self.sns, self.on_message = client("sqs"), client("sns"), on_message
        self.queue = self.sqs.create_queue(QueueName=f"load-consumer-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.subscription = self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self.stop.is_set():
            messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                time.sleep(POLL_SECONDS / 2)
                continue
            self.sqs.delete_message_batch(QueueUrl=self.queue, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            for message in messages:
                self.on_message(json.loads(message["Body"]))

    def close(self) -> None:
        """Stop draining, unsubscribe and delete the queue."""
        self.stop.set()
        self.thread.join(timeout=10)
        self.sns.unsubscribe(SubscriptionArn=self.subscription)
        self.sqs.delete_queue(QueueUrl=self.queue)


def ec2_burst(client: ClientFactory, resources: dict[str, str], events: int = 1000,
              timeout: float = 120.0) -> LoadResult:
    """Put EC2 state changes on the default bus at once and count the enriched events delivered.

    Half the instances have a Name tag, half have none (the default name from Parameter Store). An enriched event
    counts as delivered when it reaches the operators' topic (``Ec2EnrichedEventsTopic``) and names an event
    sent here (its ``detail.Message.id``), and as correct when it carries the instance's expected name.

    Parameters
    ----------
    client : callable
        boto3 client factory aimed at the endpoint (:func:`local.aws.endpoint_clients`).
    resources : dict
        The ``serve`` first line's ``resources`` (logical id → name or ARN).
    events : int
        State changes to put, in ``PutEvents`` batches of 10.
    timeout : float
        Real seconds to wait for the deliveries after the last batch.

    Returns
    -------
    LoadResult
        Sent, delivered (distinct original ids), correct (right name), duplicates, seconds, problems.

    """
    ec2 = client("ec2")
    default_name = client("ssm").get_parameter(Name=resources["Ec2EnrichmentDefaultNameParameter"])["Parameter"]
    names: dict[str, str] = {}
    for index in range(10):
        instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        if index % 2 == 0:
            ec2.create_tags(Resources=[instance], Tags=[{"Key": "Name", "Value": f"load-{index}"}])
        names[instance] = f"load-{index}" if index % 2 == 0 else default_name["Value"]
    instances = list(names)

    delivered: dict[str, dict[str, Any]] = {}
    messages = [0]
    lock = threading.Lock()

    def on_message(envelope: dict[str, Any]) -> None:
        original = json.loads(envelope["Message"])["detail"]["Message"]
        with lock:
            messages[0] += 1
            delivered[original["id"]] = original

    started = time.monotonic()
    consumer = _TopicConsumer(client, resources["Ec2EnrichedEventsTopic"], on_message)
    try:
        entries = [{
            "Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification",
            "Resources": [f"arn:aws:ec2:us-east-1:123456789012:instance/{instances[i % len(instances)]}"],
            "Detail": json.dumps({"instance-id": instances[i % len(instances)],
                                  "state": ("stopped", "running", "stopping", "pending")[i % 4]}),
        } for i in range(events)]
        sent = _put_in_batches(client, entries)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with lock:
                if set(sent) <= set(delivered):
                    break
            time.sleep(POLL_SECONDS)
        seconds = time.monotonic() - started
    finally:
        consumer.close()

    with lock:
        mine = {event_id: delivered[event_id] for event_id in sent if event_id in delivered}
        duplicates = messages[0] - len(delivered)
    correct = sum(1 for event in mine.values()
                  if event["detail"]["refined"]["instancename"] == names[event["detail"]["instance-id"]])
    problems = [f"{len(sent) - len(mine)} events never delivered"] if len(mine) < len(sent) else []
    return LoadResult("ec2-enrichment burst", len(sent), len(mine), correct, round(seconds, 2), duplicates, problems)


# --- feedback conversations -------------------------------------------------------------------------------------


@dataclass
class _Conversation:
    """One customer of the load and what they answer."""

    appointment_id: str
    phone: str
    rating: str
    callback: str | None  # the answer to the callback question ("1"/"0"), None when the score is 5 or more

    @property
    def expected(self) -> dict[str, Any]:
        """The feedback record this conversation must end with."""
        return {"Status": "COMPLETED", "Score": int(self.rating.split()[0]),
                "CallbackRequested": "Y" if self.callback == "1" else "N",
                "Replies": [self.rating] + ([self.callback] if self.callback else [])}


def _conversations(count: int, run: str) -> list[_Conversation]:
    """A mix: high scores (with and without comment), low scores then yes, low scores then no."""
    plans = [("9", None), ("3 waited far too long", "1"), ("2", "0"), ("7 friendly staff", None),
             ("4", "1"), ("10", None), ("1 nobody told me anything", "0"), ("6", None)]
    return [
        _Conversation(f"LOAD-{run}-{i:04d}", f"+1206{_run_number(run)}{i:04d}", *plans[i % len(plans)])
        for i in range(count)
    ]


def _run_number(run: str) -> str:
    """Three digits from the run id, so that two runs on one endpoint use different phone numbers."""
    return f"{int(run, 16) % 1000:03d}"


def _scan(ddb: Any, table: str, prefix: str, attributes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every item of ``table`` whose AppointmentId starts with ``prefix`` (consistent, all pages).

    With ``attributes``, only those of each item (a projection: the load's polls read less).
    """
    items, args = [], {"TableName": table, "ConsistentRead": True, "FilterExpression": "begins_with(#p, :p)",
                       "ExpressionAttributeNames": {"#p": "AppointmentId"},
                       "ExpressionAttributeValues": {":p": {"S": prefix}}}
    if attributes:
        args["ExpressionAttributeNames"].update({f"#a{i}": name for i, name in enumerate(attributes)})
        args["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(attributes)))
    while True:
        page = ddb.scan(**args)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _check_record(item: dict[str, Any] | None, conversation: _Conversation) -> str | None:
    """Why the feedback record is not the one the conversation must end with, or None when it is."""
    if item is None:
        return f"{conversation.appointment_id}: no feedback record"
    got = {"Status": item["Status"]["S"], "Score": int(item["Score"]["N"]) if "Score" in item else None,
           "CallbackRequested": item["CallbackRequested"]["S"],
           "Replies": [reply["M"]["MessageBody"]["S"] for reply in item["Replies"]["L"]]}
    return None if got == conversation.expected else f"{conversation.appointment_id}: {got} != {conversation.expected}"


def feedback_conversations(client: ClientFactory, resources: dict[str, str], conversations: int = 200,
                           timeout: float = 120.0, repliers: int = 4, seed: int = 7) -> LoadResult:
    """Start feedback conversations at once, answer them interleaved, and check every feedback record.

    Each question is answered once it is registered for replies (its row in the message-lookup table, where the
    phone would know it from the SMS). Answers of all conversations go out shuffled, from ``repliers`` threads;
    every tenth conversation's rating question is first answered from the number of another customer of the
    load, with another score, which must change nothing.

    Parameters
    ----------
    client : callable
        boto3 client factory aimed at the endpoint (:func:`local.aws.endpoint_clients`).
    resources : dict
        The ``serve`` first line's ``resources`` (logical id → name or ARN).
    conversations : int
        Appointments completed at once (``AppointmentCompleted`` events, batches of 10).
    timeout : float
        Real seconds to wait for every conversation to end.
    repliers : int
        Threads publishing the customers' replies.
    seed : int
        Seed of the order the replies go out in.

    Returns
    -------
    LoadResult
        Started (sent), ended (delivered), ended with the expected record (correct), seconds, the first problems.

    """
    run = uuid.uuid4().hex[:6]
    plan = _conversations(conversations, run)
    by_id = {c.appointment_id: c for c in plan}
    position = {c.appointment_id: index for index, c in enumerate(plan)}
    prefix = f"LOAD-{run}-"
    ddb, sns = client("dynamodb"), client("sns")
    topic, lookup, feedbacks = (resources["FeedbackInboundSmsTopic"], resources["FeedbackMessageLookupTable"],
                                resources["FeedbacksTable"])
    shuffle = random.Random(seed).shuffle

    def publish(sender: str, body: str, message_id: str) -> None:
        sns.publish(TopicArn=topic, Message=json.dumps({
            "originationNumber": sender, "destinationNumber": "+12065550100", "messageKeyword": "KEYWORD_LOAD",
            "messageBody": body, "inboundMessageId": str(uuid.uuid4()), "previousPublishedMessageId": message_id}))

    started = time.monotonic()
    _put_in_batches(client, [{
        "EventBusName": resources["ApplicationEventBus"], "Source": "custom.appointments",
        "DetailType": "AppointmentCompleted",
        "Detail": json.dumps({"appointmentId": c.appointment_id, "customerName": "Load Test",
                              "customerPhone": c.phone}),
    } for c in plan])

    answered: set[str] = set()
    strangers = 0
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=repliers) as pool:
        while time.monotonic() < deadline:
            replies: list[tuple[str, str, str]] = []
            for row in _scan(ddb, lookup, prefix, ("MessageId", "AppointmentId", "ConversationStage")):
                message_id = row["MessageId"]["S"]
                if message_id in answered:
                    continue
                answered.add(message_id)
                conversation = by_id[row["AppointmentId"]["S"]]
                stage = row["ConversationStage"]["S"]
                body = conversation.rating if stage == "RATING" else conversation.callback or "0"
                index = position[conversation.appointment_id]
                if stage == "RATING" and index % 10 == 0:  # another customer's phone answers first
                    other = plan[(index + 1) % len(plan)]
                    replies.append((other.phone, "10 not my appointment", message_id))
                    strangers += 1
                replies.append((conversation.phone, body, message_id))
            strange = [r for r in replies if "not my appointment" in r[1]]
            rest = [r for r in replies if "not my appointment" not in r[1]]
            shuffle(rest)
            list(pool.map(lambda reply: publish(*reply), strange))  # before the owner's answer
            list(pool.map(lambda reply: publish(*reply), rest))
            # The records can only all be final once a round finds no question left to answer: the scans are the
            # load's own cost on the endpoint (a third of its work when both tables were read every round).
            if not replies:
                records = _scan(ddb, feedbacks, prefix, ("AppointmentId", "Status"))
                if len(records) == len(plan) and all(r["Status"]["S"] != "IN_PROGRESS" for r in records):
                    break
            time.sleep(POLL_SECONDS * 2)
    seconds = time.monotonic() - started

    records = {item["AppointmentId"]["S"]: item for item in _scan(ddb, feedbacks, prefix)}
    problems = [p for c in plan if (p := _check_record(records.get(c.appointment_id), c))]
    finished = sum(1 for r in records.values() if r["Status"]["S"] != "IN_PROGRESS")
    result = LoadResult("feedback conversations", len(plan), finished, len(plan) - len(problems),
                        round(seconds, 2), problems=problems[:5])
    result.problems += [] if strangers else ["no reply from another number was played"]
    return result


# --- the endpoint ------------------------------------------------------------------------------------------------


@contextmanager
def served(startup_timeout: float = 60.0, extra_args: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Run ``python -m local serve --port 0`` in its own process for the duration of the ``with`` block.

    Function logs are kept at WARNING and serve's stderr is discarded, so no pipe can fill up and block it.

    Parameters
    ----------
    startup_timeout : float
        Real seconds to wait for the first line.
    extra_args : list of str, optional
        More ``serve`` arguments (``--template FILE``, ``--parameter NAME=VALUE``).

    Yields
    ------
    dict
        The first line: ``endpoint`` and ``resources``.

    """
    env = {**os.environ, **CREDENTIALS, "PYTHONUNBUFFERED": "1", "LOCAL_FUNCTION_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "local", "serve", "--port", "0", *(extra_args or [])],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(startup_timeout)
    try:
        if not line or not line[0]:
            raise TimeoutError(f"serve printed no first line within {startup_timeout}s")
        # Keep reading what serve prints after its first line: a full pipe would block its threads.
        threading.Thread(target=collections.deque, args=(process.stdout, 0), daemon=True).start()
        yield json.loads(line[0])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def run_load(client: ClientFactory, resources: dict[str, str], events: int = 1000,
             conversations: int = 200) -> list[LoadResult]:
    """Run both loads, one after the other, on one endpoint.

    Parameters
    ----------
    client : callable
        boto3 client factory aimed at the endpoint (:func:`local.aws.endpoint_clients`).
    resources : dict
        The ``serve`` first line's ``resources``.
    events : int
        EC2 state changes in the burst (0: skip it).
    conversations : int
        Feedback conversations (0: skip them).

    Returns
    -------
    list of LoadResult
        One per load run.

    """
    results = []
    if events:
        results.append(ec2_burst(client, resources, events))
    if conversations:
        results.append(feedback_conversations(client, resources, conversations))
    return results


def run_report(args: Any) -> int:
    """Serve, load and print the figures: ``python -m local report load``.

    The loads exist for the workflows of :data:`LOADS`; every other workflow of the project is listed as
    ``skipped``.

    Parameters
    ----------
    args : argparse.Namespace
        ``template``, ``only``, ``events``, ``conversations`` and ``json`` (a file for the figures, or None).

    Returns
    -------
    int
        0 when everything sent arrived once and as expected, else 1.

    """
    chosen = selected(args.template, args.only)
    for workflow in chosen:
        if workflow not in LOADS:
            print(f"skipped: {workflow}: no load defined (local/load.py loads {', '.join(LOADS)})")
    events = args.events if "ec2-enrichment" in chosen else 0
    conversations = args.conversations if "feedback-conversation" in chosen else 0
    with served(extra_args=["--template", args.template]) as first:
        results = run_load(endpoint_clients(first["endpoint"]), first["resources"], events, conversations)
    for result in results:
        print(result.line())
        for problem in result.problems:
            print(f"  problem: {problem}")
    write_figures(args.json, [asdict(r) | {"ok": r.ok} for r in results])
    return 0 if all(r.ok for r in results) else 1
