"""Triggers: every rule and pipe that starts a state machine retries a bounded number of times, then dead-letters.

A trigger that cannot start its workflow (throttling, the state machine gone, a bad role) retries, then drops
the event unless it has a dead-letter queue it is allowed to send to. Read from the template
(:mod:`local.stack.triggers`): a SAM ``EventBridgeRule`` event (SAM names its rule ``<Machine><Event>``), an
``AWS::Events::Rule`` target or an ``AWS::Pipes::Pipe`` whose target is a state machine must have

* a bounded retry policy: ``RetryPolicy.MaximumRetryAttempts`` (rules), ``MaximumRetryAttempts`` 0 or more on
  the stream source (pipes; -1, the default, retries until the record expires);
* a dead-letter queue that is a queue of the template;
* the right to send to it: for a rule, a queue policy allowing ``events.amazonaws.com`` ``sqs:SendMessage``
  on the queue, whose ``aws:SourceArn`` condition (if any) names that rule; for a pipe, its role's policies.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from local.stack.template import TemplateError
from local.stack.triggers import Trigger, bounded, workflow_triggers
from local.validation.common import Problem, Project
from local.validation.permissions import Need, Principal, _role_statements, allowed

_SOURCE_ARN_OPERATORS = ("ArnEquals", "ArnLike", "StringEquals", "StringLike")


def _where(project: Project, trigger: Trigger) -> str:
    """Where the trigger is written: ``Machine.Events.Name`` for a SAM event, else the resource's logical id."""
    machine = project.template.resources.get(trigger.machine)
    event = trigger.name.removeprefix(trigger.machine)
    if machine is not None and event in (machine.properties.get("Events") or {}):
        return f"{trigger.machine}.Events.{event}"
    return trigger.name


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resolve(project: Project, value: Any) -> Any:
    try:
        return project.template.resolve(value)
    except TemplateError:
        return None


def _names_rule(condition: Any, rule_arn: str) -> bool:
    """The statement's ``aws:SourceArn`` condition, if it has one, matches the rule."""
    for operator, keys in (condition or {}).items():
        for key, values in (keys or {}).items():
            names_the_source = (key.lower() == "aws:sourcearn"
                                and operator.removesuffix("IfExists") in _SOURCE_ARN_OPERATORS)
            if names_the_source and not any(isinstance(v, str) and fnmatchcase(rule_arn, v) for v in _list(values)):
                return False
    return True


def _rule_may_send(project: Project, queue: str, rule: str) -> bool:
    template = project.template
    queue_arn = template.resources[queue].attributes.get("Arn", "")
    rule_arn = template.resources[rule].attributes.get("Arn", "") if rule in template.resources else ""
    for policy in template.of_type("AWS::SQS::QueuePolicy"):
        props = _resolve(project, policy.properties) or {}
        if template.resources[queue].ref not in _list(props.get("Queues")):
            continue
        for statement in _list((props.get("PolicyDocument") or {}).get("Statement")):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            services = _list((principal or {}).get("Service")) if isinstance(principal, dict) else [principal]
            actions = [str(a).lower() for a in _list(statement.get("Action"))]
            resources = [str(r) for r in _list(statement.get("Resource", "*"))]
            if (("events.amazonaws.com" in services or "*" in services)
                    and any(a in ("sqs:sendmessage", "sqs:*", "*") for a in actions)
                    and any(fnmatchcase(queue_arn, r) for r in resources)
                    and _names_rule(statement.get("Condition"), rule_arn)):
                return True
    return False


def _pipe_may_send(project: Project, queue: str, role: str | None) -> bool:
    if role is None or role not in project.template.resources:
        return False
    who = Principal(role)
    _role_statements(project, who, {"Fn::GetAtt": [role, "Arn"]})
    return allowed(who.statements, Need("sqs:SendMessage", (project.template.resources[queue].attributes["Arn"],)))


def _queue_problems(  # noqa: PLR0911 - one return per way the queue can be unusable
        project: Project, trigger: Trigger, file: str, where: str) -> list[Problem]:
    queue = trigger.dead_letter or ""
    resources = project.template.resources
    if queue not in resources:
        if queue.startswith("arn:"):  # a queue outside the template: its policy cannot be read here
            return []
        return [Problem(file, where, f"its dead-letter queue {queue} is not a resource of the template",
                        "define the queue in template.yaml and point DeadLetterConfig at it with !GetAtt Queue.Arn")]
    if resources[queue].type != "AWS::SQS::Queue":
        return [Problem(file, where, f"its dead-letter queue {queue} is a {resources[queue].type}, not a queue",
                        "point DeadLetterConfig at an AWS::SQS::Queue")]
    if resources[queue].raw.get("Implicit"):  # SAM generates the queue and its policy together
        return []
    if trigger.kind == "pipe":
        if _pipe_may_send(project, queue, trigger.role):
            return []
        return [Problem(file, where, f"its role {trigger.role} may not send to its dead-letter queue {queue}: the "
                                     "failed batch would be lost",
                        f"add to {trigger.role}'s policies a statement with Action: sqs:SendMessage, "
                        f"Resource: !GetAtt {queue}.Arn")]
    if _rule_may_send(project, queue, trigger.name):
        return []
    return [Problem(file, where, f"no queue policy lets the rule {trigger.name} send to its dead-letter queue {queue}: "
                                 "the event would be lost",
                    f"add an AWS::SQS::QueuePolicy on {queue} with a statement Effect: Allow, Principal: "
                    f"{{Service: events.amazonaws.com}}, Action: sqs:SendMessage, Resource: !GetAtt {queue}.Arn, "
                    f"Condition: {{ArnEquals: {{aws:SourceArn: !GetAtt {trigger.name}.Arn}}}}")]


def check_triggers(project: Project) -> list[Problem]:
    """One problem per trigger without a bounded retry policy, a dead-letter queue, or the right to use it."""
    problems: list[Problem] = []
    file = project.rel(project.template_path)
    for trigger in workflow_triggers(project.template):
        where = _where(project, trigger)
        what = "pipe" if trigger.kind == "pipe" else "rule"
        if not bounded(trigger):
            fix = ("set SourceParameters.DynamoDBStreamParameters.MaximumRetryAttempts (0 to 10000)"
                   if trigger.kind == "pipe" else
                   "add RetryPolicy: {MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 900} (0 to 185 attempts, "
                   "60 to 86400 seconds)")
            problems.append(Problem(file, where, f"the {what} starting {trigger.machine} has no bounded retry "
                                                 "policy", fix))
        if not trigger.dead_letter:
            problems.append(Problem(file, where, f"the {what} starting {trigger.machine} has no dead-letter queue: "
                                                 "an event it cannot deliver is lost",
                                    "add DeadLetterConfig: {Arn: !GetAtt <Queue>.Arn} with an encrypted queue of "
                                    "the template (and its policy)"))
        else:
            problems += _queue_problems(project, trigger, file, where)
    return problems
