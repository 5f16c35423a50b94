"""EC2 enrichment: raw EC2 state changes re-published with the instance's name, so operators can act on them.

Instances are launched in the embedded EC2 (moto ``run_instances`` + ``create_tags``), so the Name tag lookup
and the default name (SSM parameter) run for real; the MockConfigFile test cases replace EC2, SSM or
EventBridge answers to force throttling, outages and a partially failed PutEvents. Every test checks the
business outcome: the name and its source, the enriched event the operators' topic receives (read through an
SQS queue subscribed to it), the path taken, the error and its cause.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import jsonschema
import pytest

from tests.support import load_json

WORKFLOW = "ec2-enrichment"
EVENTS = f"workflows/{WORKFLOW}/events"
STATE_CHANGE_SCHEMA = load_json("schemas/ec2-enrichment.ec2-state-change.schema.json")
ENRICHED_SCHEMA = load_json("schemas/ec2-enrichment.enriched-event.schema.json")
OUTPUT_SCHEMA = load_json("schemas/ec2-enrichment.output.schema.json")
SAMPLE = load_json(f"{EVENTS}/console-start.json")
DEFAULT_NAME = "unnamed-instance"  # template parameter Ec2EnrichmentDefaultInstanceName
UNKNOWN_INSTANCE = "i-0123456789abcdef0"  # never launched: EC2 knows nothing about it
HAPPY_PATH = ["CheckEvent", "IsEventValid", "PrepareLookup", "LookUpNameTag", "HasNameTag",
              "PublishEnrichedEvent", "WasEventPublished", "EventEnriched"]
DEFAULT_PATH = ["CheckEvent", "IsEventValid", "PrepareLookup", "LookUpNameTag", "HasNameTag", "ReadDefaultName",
                "PublishEnrichedEvent", "WasEventPublished", "EventEnriched"]


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Validate with the schema's own dialect (Draft 4, as the EventBridge schema registry reads it)."""
    validator = jsonschema.validators.validator_for(schema)
    assert validator is jsonschema.Draft4Validator
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(instance)


# --- helpers --------------------------------------------------------------------------------------


def launch_instance(stack, name: str | None = None) -> str:
    """Launch an instance in the embedded EC2, tagged ``Name=name`` if given; returns its id."""
    ec2 = stack.client("ec2")
    instance_id = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    if name is not None:
        ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Name", "Value": name}])
    return instance_id


def state_change(instance_id: str, state: str = "stopped") -> dict[str, Any]:
    """An EC2 Instance State-change Notification for the instance (the sample with a fresh event id)."""
    event = copy.deepcopy(SAMPLE)
    event["id"] = str(uuid.uuid4())
    event["resources"] = [f"arn:aws:ec2:us-east-1:123456789012:instance/{instance_id}"]
    event["detail"] = {"instance-id": instance_id, "state": state}
    return event


def enriched(event: dict[str, Any], name: str) -> dict[str, Any]:
    """What detail.Message of the enriched event must be: the event with detail.refined."""
    message = copy.deepcopy(event)
    message["detail"]["refined"] = {"instancename": name, "instanceid": event["detail"]["instance-id"]}
    return message


@pytest.fixture()
def operators_inbox(stack):
    """Subscribe an SQS queue to the operators' topic, as an operator's mailbox.

    ``inbox(instance_id)`` lists the enriched events (as EventBridge delivered them) received about it.
    """
    inbox = stack.inbox(stack.resource("Ec2EnrichedEventsTopic"))

    def about(instance_id: str) -> list[dict[str, Any]]:
        events = [json.loads(n["Message"]) for n in inbox.messages()]
        return [e for e in events if e["detail"]["Message"]["detail"]["instance-id"] == instance_id]

    yield about
    inbox.close()



def new_executions(stack, before: set[str]) -> list[str]:
    return [arn for arn in stack.executions(WORKFLOW) if arn not in before]


@pytest.fixture()
def trigger_rule(stack) -> str:
    return stack.resource("Ec2EnrichmentStateMachineEc2StateChanged")


# --- names ------------------------------------------------------------------------------------------


def test_named_instance_event_is_enriched_with_its_name_tag(stack, operators_inbox):
    """A stopped instance tagged Name=web-frontend-1 reaches the operators as web-frontend-1.

    The enriched event is the original event with detail.refined added, under detail.Message; the output
    records that the name came from the tag.
    """
    instance_id = launch_instance(stack, "web-frontend-1")
    event = state_change(instance_id)

    execution = stack.run(WORKFLOW, event)

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.states == HAPPY_PATH
    validate(execution.output, OUTPUT_SCHEMA)
    assert execution.output == {
        "instanceId": instance_id, "instanceName": "web-frontend-1", "nameSource": "tag", "state": "stopped",
        "sourceEventId": event["id"], "enrichedEventId": execution.output["enrichedEventId"]}
    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")
    validate(received, ENRICHED_SCHEMA)
    assert (received["source"], received["detail-type"]) == ("custom.enriched.ec2", "EnrichedEC2Event")
    assert received["id"] == execution.output["enrichedEventId"]
    assert received["detail"] == {"Message": enriched(event, "web-frontend-1")}


def test_instance_without_name_tag_gets_the_default_name(stack, operators_inbox):
    """An instance without a Name tag is published under the default name from the SSM parameter."""
    instance_id = launch_instance(stack)
    event = state_change(instance_id, "running")

    execution = stack.run(WORKFLOW, event)

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.states == DEFAULT_PATH
    assert (execution.output["instanceName"], execution.output["nameSource"]) == (DEFAULT_NAME, "default")
    assert "lookupError" not in execution.output
    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")
    validate(received, ENRICHED_SCHEMA)
    assert received["detail"]["Message"] == enriched(event, DEFAULT_NAME)


def test_default_name_is_read_from_the_parameter_at_run_time(stack):
    """Operators change the default name in Parameter Store; the next event carries it, no redeploy needed."""
    ssm, parameter = stack.client("ssm"), stack.resource("Ec2EnrichmentDefaultNameParameter")
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Value"] == DEFAULT_NAME
    ssm.put_parameter(Name=parameter, Value="untagged (ask the platform team)", Type="String", Overwrite=True)
    try:
        execution = stack.run(WORKFLOW, state_change(launch_instance(stack)))
    finally:
        ssm.put_parameter(Name=parameter, Value=DEFAULT_NAME, Type="String", Overwrite=True)
    assert execution.output["instanceName"] == "untagged (ask the platform team)"
    assert execution.output["nameSource"] == "default"


def test_unknown_instance_gets_the_default_name(stack, operators_inbox):
    """An instance EC2 does not know (terminated long ago) is not an error: it gets the default name.

    DescribeTags answers an unknown id with no tags, in AWS as in moto (DescribeInstances would raise
    InvalidInstanceID.NotFound instead).
    """
    event = state_change(UNKNOWN_INSTANCE, "terminated")
    execution = stack.run(WORKFLOW, event)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.states == DEFAULT_PATH
    assert execution.task_failures("LookUpNameTag") == []
    assert (execution.output["instanceName"], execution.output["nameSource"]) == (DEFAULT_NAME, "default")
    received = stack.eventually(lambda: operators_inbox(UNKNOWN_INSTANCE), message="operators never told")
    assert received[-1]["detail"]["Message"] == enriched(event, DEFAULT_NAME)


def test_just_terminated_instance_keeps_its_name(stack):
    """A just-terminated instance is still named: EC2 keeps listing it, tags included, for about an hour."""
    instance_id = launch_instance(stack, "batch-worker-7")
    stack.client("ec2").terminate_instances(InstanceIds=[instance_id])
    execution = stack.run(WORKFLOW, state_change(instance_id, "terminated"))
    assert (execution.output["instanceName"], execution.output["nameSource"]) == ("batch-worker-7", "tag")
    assert execution.output["state"] == "terminated"


def test_blank_name_tag_counts_as_no_name(stack):
    """A Name tag of only spaces names nothing: the default name is used."""
    execution = stack.run(WORKFLOW, state_change(launch_instance(stack, "   ")))
    assert (execution.output["instanceName"], execution.output["nameSource"]) == (DEFAULT_NAME, "default")


@pytest.mark.parametrize(("case", "name", "source"), [
    ("HappyPath", "web-frontend-1", "tag"),
    ("NoNameTag", DEFAULT_NAME, "default"),
])
def test_console_sample_is_enriched_from_recorded_ec2_answers(stack, operators_inbox, case, name, source):
    """The console sample (events/console-start.json) with EC2's recorded answers.

    HappyPath: DescribeTags finds Name=web-frontend-1, and the operators receive events/enriched-event.json
    (apart from the new event's id and time). NoNameTag: no tag, the default name.
    """
    execution = stack.run(WORKFLOW, SAMPLE, case=case)
    assert execution.status == "SUCCEEDED", execution.cause
    assert (execution.output["instanceName"], execution.output["nameSource"]) == (name, source)
    instance_id = SAMPLE["detail"]["instance-id"]
    received = stack.eventually(
        lambda: [e for e in operators_inbox(instance_id) if e["id"] == execution.output["enrichedEventId"]],
        message="operators never told")[0]
    validate(received, ENRICHED_SCHEMA)
    assert received["detail"]["Message"] == enriched(SAMPLE, name)
    if case == "HappyPath":
        expected = load_json(f"{EVENTS}/enriched-event.json")
        ignore = ("id", "time")
        assert {k: v for k, v in received.items() if k not in ignore} == {
            k: v for k, v in expected.items() if k not in ignore}


# --- retries and fallbacks ------------------------------------------------------------------------------


def test_throttled_lookup_is_retried_until_it_answers(stack, operators_inbox):
    """RetryOnThrottling: EC2 throttles DescribeTags twice (as AWS reports it), the third call finds the name.

    In AWS an EC2 error reaches Step Functions as Ec2.Ec2Exception, "Request limit exceeded." in its cause.
    """
    instance_id = launch_instance(stack)
    execution = stack.run(WORKFLOW, state_change(instance_id), case="RetryOnThrottling")
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.task_failures("LookUpNameTag") == ["Ec2.Ec2Exception"] * 2
    assert execution.states == HAPPY_PATH
    assert (execution.output["instanceName"], execution.output["nameSource"]) == ("web-frontend-1", "tag")
    assert "lookupError" not in execution.output
    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")
    assert received["detail"]["Message"]["detail"]["refined"]["instancename"] == "web-frontend-1"


def test_transient_errors_of_every_call_are_retried(stack):
    """RetryOnTransientErrors: EC2, SSM and EventBridge each fail transiently, then answer; the event goes out.

    EC2 throttled, then overloaded (both Ec2.Ec2Exception, as in AWS), SSM throttled twice,
    PutEvents an internal error then throttled.
    """
    execution = stack.run(WORKFLOW, state_change(launch_instance(stack)), case="RetryOnTransientErrors")
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.task_failures("LookUpNameTag") == ["Ec2.Ec2Exception"] * 2
    assert execution.task_failures("ReadDefaultName") == ["Ssm.ThrottlingException"] * 2
    assert execution.task_failures("PublishEnrichedEvent") == ["EventBridge.InternalException",
                                                                "EventBridge.ThrottlingException"]
    assert execution.states == DEFAULT_PATH
    assert execution.output["nameSource"] == "default"
    assert execution.output["enrichedEventId"] == "6f0c9b1e-2d3a-4c5b-8e7f-9a0b1c2d3e4f"


def test_failed_lookup_falls_back_to_the_default_name(stack, operators_inbox):
    """NameLookupFails: DescribeTags keeps failing (e.g. permission missing); the event still goes out.

    After the call and 3 retries the default name is used, and the output records why.
    """
    instance_id = launch_instance(stack, "db-primary")
    event = state_change(instance_id)
    execution = stack.run(WORKFLOW, event, case="NameLookupFails")
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.task_failures("LookUpNameTag") == ["Ec2.Ec2Exception"] * 4
    assert execution.states == [s for s in DEFAULT_PATH if s != "HasNameTag"]
    validate(execution.output, OUTPUT_SCHEMA)
    assert (execution.output["instanceName"], execution.output["nameSource"]) == (DEFAULT_NAME, "default")
    assert execution.output["lookupError"].startswith(
        "Ec2.Ec2Exception: You are not authorized to perform this operation.")
    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")
    assert received["detail"]["Message"] == enriched(event, DEFAULT_NAME)


@pytest.mark.parametrize(("case", "errors"), [
    ("DefaultNameUnavailable", ["Ssm.InternalServerErrorException"] * 3),
    ("DefaultNameMissing", ["Ssm.ParameterNotFoundException"]),
])
def test_unreadable_default_name_falls_back_to_the_instance_id(stack, operators_inbox, case, errors):
    """Neither a Name tag nor the default name: operators still hear about it, named by the instance id.

    DefaultNameUnavailable: SSM is down (the call and 2 retries). DefaultNameMissing: the parameter was
    deleted (not retried).
    """
    instance_id = launch_instance(stack)
    event = state_change(instance_id)
    execution = stack.run(WORKFLOW, event, case=case)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.task_failures("ReadDefaultName") == errors
    assert execution.states[-5:] == ["ReadDefaultName", "UseInstanceIdAsName", "PublishEnrichedEvent",
                                     "WasEventPublished", "EventEnriched"]
    validate(execution.output, OUTPUT_SCHEMA)
    assert (execution.output["instanceName"], execution.output["nameSource"]) == (instance_id, "instance-id")
    assert execution.output["defaultNameError"].startswith(errors[0] + ": ")
    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")
    assert received["detail"]["Message"] == enriched(event, instance_id)


# --- publishing -------------------------------------------------------------------------------------------


def test_partially_failed_publish_fails_the_execution(stack, operators_inbox):
    """PublishPartiallyFailed: PutEvents answers FailedEntryCount 1; the execution fails, never silently succeeds.

    The cause carries the entry's ErrorCode and ErrorMessage; operators receive nothing.
    """
    instance_id = launch_instance(stack, "web-frontend-1")
    execution = stack.run(WORKFLOW, state_change(instance_id), case="PublishPartiallyFailed")
    assert (execution.status, execution.error) == ("FAILED", "Ec2Enrichment.PublishFailed")
    assert execution.cause == (
        f"The enriched event of {instance_id} (web-frontend-1, name from tag) was not published: "
        "PutEvents rejected the entry: InternalFailure: Internal Service Failure")
    assert execution.states[-3:] == ["PublishEnrichedEvent", "WasEventPublished", "FailPublish"]
    assert operators_inbox(instance_id) == []


def test_eventbridge_outage_fails_the_execution(stack):
    """PublishUnavailable: PutEvents keeps failing; after the call and 3 retries the execution fails, named."""
    instance_id = launch_instance(stack)
    execution = stack.run(WORKFLOW, state_change(instance_id), case="PublishUnavailable")
    assert (execution.status, execution.error) == ("FAILED", "Ec2Enrichment.PublishFailed")
    assert execution.task_failures("PublishEnrichedEvent") == ["EventBridge.InternalException"] * 4
    assert execution.cause.startswith(
        f"The enriched event of {instance_id} (web-frontend-1, name from tag) was not published: "
        "EventBridge.InternalException: Internal service error")


# --- malformed events ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "problem"), [
    ({"version": "0", "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification"},
     "detail is missing"),
    ({"detail": {"state": "stopped"}}, "detail.instance-id is missing"),
    ({"detail": {"instance-id": "", "state": "stopped"}}, "detail.instance-id is missing"),
    ({"detail": {"instance-id": 42}}, "detail.instance-id is missing"),
    ({"detail": "i-0abc123def4567890"}, "detail must be an object"),
    ({"detail": None}, "detail must be an object"),
    ({"detail": {"instance-id": "web-frontend-1"}}, "detail.instance-id must be an EC2 instance id"),
    ({"detail": {"instance-id": "I-0ABC123DEF4567890"}}, "detail.instance-id must be an EC2 instance id"),
    (["i-0abc123def4567890"], "the input must be a JSON object"),
    ("i-0abc123def4567890 stopped", "the input must be a JSON object"),
    (42, "the input must be a JSON object"),
])
def test_malformed_event_fails_at_once_naming_the_field(stack, given, problem):
    """An event without a usable detail.instance-id fails before any AWS call, naming the field.

    The error is Ec2Enrichment.InvalidEvent; nothing is looked up or published.
    """
    with pytest.raises(jsonschema.ValidationError):
        validate(given, STATE_CHANGE_SCHEMA)
    execution = stack.run(WORKFLOW, given)
    assert (execution.status, execution.error) == ("FAILED", "Ec2Enrichment.InvalidEvent")
    assert execution.cause.startswith(f"Invalid event: {problem}")
    assert execution.states == ["CheckEvent", "IsEventValid", "RejectInvalidEvent"]


# --- triggers, end to end ---------------------------------------------------------------------------------


def test_state_change_on_the_default_bus_reaches_the_operators(stack, operators_inbox):
    """End to end: EC2 reports a stopped instance on the default bus; the operators receive it named.

    The trigger rule starts the workflow with the whole event, the workflow publishes the enriched event
    on the application bus, and the consumer rule delivers it to the operators' topic.
    """
    instance_id = launch_instance(stack, "web-frontend-2")
    before = set(stack.executions(WORKFLOW))
    arn = f"arn:aws:ec2:us-east-1:123456789012:instance/{instance_id}"
    stack.client("events").put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification", "Resources": [arn],
        "Detail": json.dumps({"instance-id": instance_id, "state": "stopped"})}])

    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")

    validate(received, ENRICHED_SCHEMA)
    message = received["detail"]["Message"]
    assert message["detail"] == {"instance-id": instance_id, "state": "stopped",
                                 "refined": {"instancename": "web-frontend-2", "instanceid": instance_id}}
    assert (message["source"], message["resources"]) == ("aws.ec2", [arn])
    [execution_arn] = new_executions(stack, before)
    execution = stack.wait(execution_arn)
    validate(execution.input, STATE_CHANGE_SCHEMA)
    assert {k: v for k, v in message.items() if k != "detail"} == {
        k: v for k, v in execution.input.items() if k != "detail"}
    assert execution.output["sourceEventId"] == execution.input["id"] == message["id"]


def test_other_ec2_events_do_not_start_the_workflow(stack, operators_inbox):
    """Other EC2 events (a spot interruption warning) start nothing, even with an instance id."""
    instance_id = launch_instance(stack, "spot-1")
    before = set(stack.executions(WORKFLOW))
    stack.client("events").put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "EC2 Spot Instance Interruption Warning",
        "Detail": json.dumps({"instance-id": instance_id, "instance-action": "terminate"})}])
    assert new_executions(stack, before) == []  # delivery is synchronous locally
    assert operators_inbox(instance_id) == []


def test_undeliverable_state_change_lands_in_the_dead_letter_queue(stack, trigger_rule):
    """An event the trigger rule cannot deliver (here the state machine is gone) ends in Ec2StateChangeDLQ.

    EventBridge retries per the rule's RetryPolicy, then sends the event with the rule, target and error.
    """
    events = stack.client("events")
    [target] = events.list_targets_by_rule(Rule=trigger_rule)["Targets"]
    dlq = stack.resource("Ec2StateChangeDLQ")
    stack.drain(dlq)
    missing = target["Arn"].replace(":stateMachine:", ":stateMachine:Deleted")
    events.put_targets(Rule=trigger_rule, Targets=[{**target, "Arn": missing}])
    try:
        event = state_change(launch_instance(stack, "web-frontend-3"))
        events.put_events(Entries=[{"Source": event["source"], "DetailType": event["detail-type"],
                                    "Resources": event["resources"], "Detail": json.dumps(event["detail"])}])
    finally:
        events.put_targets(Rule=trigger_rule, Targets=[target])

    [dead] = stack.drain(dlq)
    body = json.loads(dead["Body"])
    assert body["detail"] == event["detail"] and body["detail-type"] == event["detail-type"]
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["RULE_ARN"].endswith(trigger_rule) and attributes["TARGET_ARN"] == missing


def test_undeliverable_enriched_event_lands_in_the_consumer_dead_letter_queue(stack):
    """An enriched event the consumer rule cannot deliver to the topic ends in Ec2EnrichedEventsDLQ."""
    events, rule = stack.client("events"), stack.resource("Ec2EnrichedEventsRule")
    bus = stack.resource("ApplicationEventBus")
    [target] = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
    dlq = stack.resource("Ec2EnrichedEventsDLQ")
    stack.drain(dlq)
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{**target, "Arn": target["Arn"] + "-deleted"}])
    try:
        instance_id = launch_instance(stack, "web-frontend-4")
        execution = stack.run(WORKFLOW, state_change(instance_id))
    finally:
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[target])
    assert execution.status == "SUCCEEDED"  # the workflow did publish; delivery is the rule's job
    [dead] = stack.drain(dlq)
    assert json.loads(dead["Body"])["detail"]["Message"]["detail"]["refined"]["instancename"] == "web-frontend-4"


def test_demo_gives_the_documented_result(stack, operators_inbox):
    """events/demo.json, played as the demo does: the enriched event names the instance as documented."""
    demo = load_json(f"{EVENTS}/demo.json")
    instance_id = launch_instance(stack, demo["instance"]["Name"])
    event = state_change(instance_id, demo["state"])
    stack.client("events").put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification",
        "Resources": event["resources"], "Detail": json.dumps(event["detail"])}])
    [received] = stack.eventually(lambda: operators_inbox(instance_id), message="operators never told")
    refined = received["detail"]["Message"]["detail"]["refined"]
    assert refined == {"instancename": demo["expected"]["instancename"], "instanceid": instance_id}
    assert received["detail"]["Message"]["detail"]["state"] == demo["state"]


# --- samples, schemas, template ---------------------------------------------------------------------------


def test_samples_match_their_schemas_and_the_rules(stack, trigger_rule):
    """The sample events match their schemas and rules; the trigger hands the workflow the whole event."""
    from moto.events.models import EventPattern

    from local.emulation.eventbridge import render_target_input

    events = stack.client("events")
    trigger = events.describe_rule(Name=trigger_rule)
    for sample in ("ec2-instance-stopped.json", "ec2-instance-terminated.json", "console-start.json"):
        event = load_json(f"{EVENTS}/{sample}")
        validate(event, STATE_CHANGE_SCHEMA)
        assert EventPattern.load(trigger["EventPattern"]).matches_event(event)
    assert not EventPattern.load(trigger["EventPattern"]).matches_event({**SAMPLE, "source": "custom.ec2"})
    [target] = events.list_targets_by_rule(Rule=trigger_rule)["Targets"]
    assert json.loads(render_target_input(target, SAMPLE, trigger["Arn"])) == SAMPLE
    assert target["Arn"] == stack.state_machine_arn(WORKFLOW)
    assert target["DeadLetterConfig"]["Arn"] == stack.resource("Ec2StateChangeDLQ", "Arn")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 900}

    sample = load_json(f"{EVENTS}/enriched-event.json")
    validate(sample, ENRICHED_SCHEMA)
    assert sample["detail"]["Message"] == enriched(SAMPLE, "web-frontend-1")
    bus = stack.resource("ApplicationEventBus")
    consumer = events.describe_rule(Name=stack.resource("Ec2EnrichedEventsRule"), EventBusName=bus)
    assert EventPattern.load(consumer["EventPattern"]).matches_event(sample)
    [topic_target] = events.list_targets_by_rule(Rule=consumer["Name"], EventBusName=bus)["Targets"]
    assert topic_target["Arn"] == stack.resource("Ec2EnrichedEventsTopic")
    assert topic_target["DeadLetterConfig"]["Arn"] == stack.resource("Ec2EnrichedEventsDLQ", "Arn")


def test_workflow_is_express_with_logging(stack):
    """The workflow is an Express state machine logging every event (with data) to its own log group."""
    described = stack.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.state_machine_arn(WORKFLOW))
    assert described["type"] == "EXPRESS"
    props = stack.template.resources["Ec2EnrichmentStateMachine"].properties
    assert props["Logging"]["Level"] == "ALL" and props["Logging"]["IncludeExecutionData"] is True
    [destination] = stack.template.resolve(props["Logging"]["Destinations"])
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == stack.resource("Ec2EnrichmentLogGroup", "Arn")
    log_group = stack.template.resources["Ec2EnrichmentLogGroup"].properties
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert not any("Function" in r.type for r in stack.template.resources.values()
                   if r.logical_id.startswith("Ec2"))


def test_operators_email_subscription_is_provisioned(stack):
    """The operators' e-mail address (template parameter) is subscribed to their topic."""
    assert {"TopicArn": stack.resource("Ec2EnrichedEventsTopic"),
            "Endpoint": stack.template.parameters["Ec2EnrichmentOperatorsEmailAddress"]} in stack.email_subscriptions
