"""Permissions: every call a state machine or a function makes is allowed by its policies in the template.

The local engine does not enforce IAM, and in the cloud a missing permission only shows when an execution
reaches the state. So each call is turned into the IAM action(s) it needs (the service's signing name as
prefix: ``aws-sdk:sesv2:sendEmail`` → ``ses:SendEmail``; plus what ``.sync`` integrations use behind the
scenes) and the resource it touches (built from the call's parameters with the template's values; a
parameter only known at run time makes that part a wildcard), then matched against the principal's
statements: inline ``Statement`` lists, SAM policy templates expanded from SAM's own definitions
(``data/sam-policy-templates.json``, from aws-sam-translator), and the policies of an explicit ``Role``.
Functions' calls are found by reading their code (:mod:`local.validation.lambda_code`). No policy may
allow ``"Action": "*"``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.engine.api_models import iam_prefix, operation_model
from local.stack.template import ACCOUNT_ID, PARTITION, REGION, TemplateError
from local.validation.common import JSONATA, Problem, Project, iter_states
from local.validation.integrations import Call, calls
from local.validation.lambda_code import code_calls

_POLICY_TEMPLATES = Path(__file__).with_name("data") / "sam-policy-templates.json"
_ARN = f"arn:{PARTITION}:{{service}}:{REGION}:{ACCOUNT_ID}:{{rest}}"

#: API operations authorised by another IAM action.
ACTION_OVERRIDES = {
    ("s3", "HeadObject"): ["s3:GetObject"], ("s3", "GetObjectAttributes"): ["s3:GetObject"],
    ("s3", "ListObjectsV2"): ["s3:ListBucket"], ("s3", "ListObjects"): ["s3:ListBucket"],
    ("s3", "HeadBucket"): ["s3:ListBucket"], ("s3", "ListObjectVersions"): ["s3:ListBucketVersions"],
    ("s3", "DeleteObjects"): ["s3:DeleteObject"], ("s3", "CopyObject"): ["s3:PutObject"],
    ("lambda", "Invoke"): ["lambda:InvokeFunction"], ("lambda", "InvokeWithResponseStream"): ["lambda:InvokeFunction"],
    ("dynamodb", "TransactGetItems"): ["dynamodb:GetItem"],
}
_S3_BUCKET_OPERATIONS = {"ListObjectsV2", "ListObjects", "HeadBucket", "ListObjectVersions", "ListMultipartUploads"}


def _sync_rule(name: str) -> str:
    return _ARN.format(service="events", rest=f"rule/{name}")


#: What ``.sync`` integrations call besides the operation: polling, stopping, and their managed EventBridge rule.
SYNC_EXTRAS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("ecs", "RunTask"): [("ecs:StopTask", "*"), ("ecs:DescribeTasks", "*")] + [
        (a, _sync_rule("StepFunctionsGetEventsForECSTaskRule"))
        for a in ("events:PutTargets", "events:PutRule", "events:DescribeRule")],
    ("batch", "SubmitJob"): [("batch:DescribeJobs", "*"), ("batch:TerminateJob", "*")] + [
        (a, _sync_rule("StepFunctionsGetEventsForBatchJobsRule"))
        for a in ("events:PutTargets", "events:PutRule", "events:DescribeRule")],
    ("glue", "StartJobRun"): [("glue:GetJobRun", "*"), ("glue:GetJobRuns", "*"), ("glue:BatchStopJobRun", "*")],
    ("codebuild", "StartBuild"): [("codebuild:StopBuild", "*"), ("codebuild:BatchGetBuilds", "*")] + [
        (a, _sync_rule("StepFunctionsGetEventsForCodeBuildStartBuildRule"))
        for a in ("events:PutTargets", "events:PutRule", "events:DescribeRule")],
    ("athena", "StartQueryExecution"): [("athena:GetQueryExecution", "*"), ("athena:StopQueryExecution", "*")],
}


@dataclass(frozen=True)
class Statement:
    """One IAM statement, resolved."""

    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    origin: str


@dataclass
class Principal:
    """A state machine's or function's statements, and what could not be expanded."""

    logical_id: str
    statements: list[Statement] = field(default_factory=list)
    unexpanded: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Need:
    """An action on a resource (any of ``resources``, glob patterns) that a call needs."""

    action: str
    resources: tuple[str, ...]
    why: str = ""


# --- statements ---------------------------------------------------------------------------------------------


def _list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def statements_of(document: Any, origin: str) -> list[Statement]:
    """The statements of a resolved policy document (or of a bare statement list)."""
    if isinstance(document, dict) and "Statement" in document:
        document = document["Statement"]
    found = []
    for statement in document if isinstance(document, list) else [document]:
        if not isinstance(statement, dict):
            continue
        sid = statement.get("Sid")
        found.append(Statement(
            str(statement.get("Effect", "Allow")), _list(statement.get("Action")), _list(statement.get("NotAction")),
            _list(statement.get("Resource")), _list(statement.get("NotResource")),
            f"{origin} ({sid})" if sid else origin,
        ))
    return found


@functools.lru_cache(maxsize=1)
def sam_policy_templates() -> dict[str, Any]:
    """SAM's policy templates (name → ``{"Definition", "Parameters"}``)."""
    return json.loads(_POLICY_TEMPLATES.read_text(encoding="utf-8"))["Templates"]


def _bind(value: Any, params: dict[str, Any]) -> Any:
    """Put a SAM policy template's parameter values in its definition (``Ref`` and ``${Name}`` in ``Fn::Sub``)."""
    if isinstance(value, list):
        return [_bind(v, params) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in params:
        return params[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        arg = value["Fn::Sub"]
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], _bind(arg[1], params))
        for name, param in params.items():
            if name not in variables:
                text = text.replace("${" + name + "}", str(param))
        return {"Fn::Sub": [text, variables] if variables else text}
    return {k: _bind(v, params) for k, v in value.items()}


def _policy_item(project: Project, principal: Principal, item: Any, index: int) -> None:
    template = project.template
    origin = f"{principal.logical_id}.Policies[{index}]"
    if isinstance(item, str):
        principal.unexpanded.append(item)
        return
    if not isinstance(item, dict):
        return
    if "Statement" in item:
        principal.statements += statements_of(template.resolve(item), origin)
        return
    for name, params in item.items():
        policy = sam_policy_templates().get(name)
        if policy is None:
            principal.unexpanded.append(name)
            continue
        values = template.resolve(params) if isinstance(params, dict) else {}
        missing = set(policy.get("Parameters") or {}) - set(values)
        if missing:
            principal.unexpanded.append(f"{name} (missing {', '.join(sorted(missing))})")
            continue
        principal.statements += statements_of(template.resolve(_bind(policy["Definition"], values)),
                                              f"{origin} {name}")


def _role_statements(project: Project, principal: Principal, role_ref: Any) -> None:
    template = project.template
    try:
        role = template.resolve(role_ref)
    except TemplateError:
        role = None
    resource = next((r for r in template.of_type("AWS::IAM::Role")
                     if role in (r.ref, r.attributes.get("Arn")) and not r.raw.get("Implicit")), None)
    if resource is None:
        principal.unexpanded.append(f"Role {role}")
        return
    props = template.resolve(resource.properties)
    for policy in props.get("Policies") or []:
        principal.statements += statements_of(policy.get("PolicyDocument") or {},
                                              f"{resource.logical_id}.{policy.get('PolicyName', 'Policies')}")
    principal.unexpanded += [str(arn) for arn in props.get("ManagedPolicyArns") or []]
    for attached in template.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        attached_props = template.resolve(attached.properties)
        if resource.ref in attached_props.get("Roles") or []:
            principal.statements += statements_of(attached_props.get("PolicyDocument") or {}, attached.logical_id)


def principal(project: Project, logical_id: str) -> Principal:
    """The statements a SAM state machine or function runs with."""
    found = Principal(logical_id)
    props = project.template.resources[logical_id].properties
    if props.get("Role"):
        _role_statements(project, found, props["Role"])
        return found
    policies = props.get("Policies") or []
    if isinstance(policies, dict) and "Statement" in policies:
        policies = [policies]
    for index, item in enumerate(policies if isinstance(policies, list) else [policies]):
        _policy_item(project, found, item, index)
    return found


# --- matching --------------------------------------------------------------------------------------------------


def _glob(pattern: str) -> re.Pattern:
    return re.compile("^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$", re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards."""
    return bool(_glob(pattern).match(action))


def overlap(a: str, b: str) -> bool:
    """Some string matches both glob patterns (``*``, ``?``): a resource of ``b`` may be one of ``a``."""

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*" and (match(i + 1, j) or (j < len(b) and match(i, j + 1))):
            return True
        if j < len(b) and b[j] == "*" and (match(i, j + 1) or (i < len(a) and match(i + 1, j))):
            return True
        if i < len(a) and j < len(b) and "*" not in (a[i], b[j]):
            return (a[i] == b[j] or "?" in (a[i], b[j])) and match(i + 1, j + 1)
        return False

    return match(0, 0)


def _applies(statement: Statement, action: str, resource: str) -> bool:
    if statement.actions:
        if not any(action_matches(p, action) for p in statement.actions):
            return False
    elif not statement.not_actions or any(action_matches(p, action) for p in statement.not_actions):
        return False
    if statement.resources:
        return any(overlap(pattern, resource) for pattern in statement.resources)
    return bool(statement.not_resources) and not any(_glob(p).match(resource) for p in statement.not_resources)


def allowed(statements: list[Statement], need: Need) -> bool:
    """Some statement allows the action on one of the resources and no Deny covers it (conditions ignored)."""
    for resource in need.resources:
        denied = "*" not in resource and any(
            s.effect == "Deny" and _applies(s, need.action, resource) for s in statements)
        if not denied and any(s.effect == "Allow" and _applies(s, need.action, resource) for s in statements):
            return True
    return False


# --- what calls need ----------------------------------------------------------------------------------------


def _known(value: Any) -> str | None:
    if isinstance(value, str) and not JSONATA.match(value) and "${" not in value:
        return value
    return None


def _param(params: Any, name: str) -> str | None:
    return _known(params.get(name)) if isinstance(params, dict) else None


def resource_sets(boto: str, operation: str, params: Any) -> list[tuple[str, ...]]:  # noqa: PLR0911, PLR0912
    """The resources a call touches: each entry lists alternatives, every entry is needed."""
    params = params if isinstance(params, dict) else {}
    arn = _ARN.format
    if boto == "dynamodb":
        table = _param(params, "TableName")
        if table and table.startswith("arn:"):
            return [(table,)]
        base = arn(service="dynamodb", rest=f"table/{table or '*'}")
        index = _param(params, "IndexName")
        return [(f"{base}/index/{index}",)] if index else [(base,)]
    if boto == "s3":
        bucket = _param(params, "Bucket") or "*"
        if operation in _S3_BUCKET_OPERATIONS:
            return [(f"arn:{PARTITION}:s3:::{bucket}",)]
        return [(f"arn:{PARTITION}:s3:::{bucket}/{_param(params, 'Key') or '*'}",)]
    if boto == "sns":
        return [(_param(params, "TopicArn") or _param(params, "TargetArn") or arn(service="sns", rest="*"),)]
    if boto == "sqs":
        url = _param(params, "QueueUrl")
        return [(arn(service="sqs", rest=url.rstrip("/").rsplit("/", 1)[-1] if url else "*"),)]
    if boto == "events" and operation == "PutEvents":
        entries = params.get("Entries")
        if not isinstance(entries, list):
            return [(arn(service="events", rest="event-bus/*"),)]
        buses = []
        for entry in entries:
            bus = (entry.get("EventBusName", "default") if isinstance(entry, dict) else None)
            bus = _known(bus) or "*"
            buses.append((bus if bus.startswith("arn:") else arn(service="events", rest=f"event-bus/{bus}"),))
        return list(dict.fromkeys(buses)) or [(arn(service="events", rest="event-bus/default"),)]
    if boto == "lambda":
        function = _param(params, "FunctionName") or "*"
        return [(function if function.startswith("arn:") else arn(service="lambda", rest=f"function:{function}"),)]
    if boto == "stepfunctions":
        for key in ("StateMachineArn", "ExecutionArn", "ActivityArn"):
            if key in params:
                return [(_param(params, key) or arn(service="states", rest="*"),)]
        return [("*",)]
    if boto == "ssm" and "Name" in params:
        name = _param(params, "Name") or "*"
        if name.startswith("arn:"):
            return [(name,)]
        return [(arn(service="ssm", rest=f"parameter{name if name.startswith('/') else '/' + name}"),)]
    if boto in ("sesv2", "ses"):
        sender = _param(params, "FromEmailAddress") or _param(params, "Source")
        identities = [sender, sender.rsplit("@", 1)[-1]] if sender and "@" in sender else ["*"]
        return [tuple(arn(service="ses", rest=f"identity/{i}") for i in identities)]
    if boto == "transcribe" and "TranscriptionJobName" in params:
        job = _param(params, "TranscriptionJobName") or "*"
        return [(arn(service="transcribe", rest=f"transcription-job/{job}"),)]
    if boto == "pinpoint-sms-voice-v2":
        identity = _param(params, "OriginationIdentity")
        return [(identity if identity and identity.startswith("arn:") else arn(service="sms-voice", rest="*"),)]
    return [("*",)]


def _passed_roles(params: Any) -> list[str]:
    """Role ARNs a call hands to a service (``*RoleArn`` parameters): the caller needs iam:PassRole on them."""
    found = []
    if isinstance(params, dict):
        for key, value in params.items():
            if key.rstrip(".$").endswith("RoleArn"):
                found.append(_known(value) if not key.endswith(".$") else None)
            else:
                found += _passed_roles(value)
    elif isinstance(params, list):
        for item in params:
            found += _passed_roles(item)
    return [role or "*" for role in found]


def needs_of_operation(boto: str, operation: str, params: Any, why: str = "") -> list[Need]:
    """The IAM actions and resources one API call needs."""
    actions = ACTION_OVERRIDES.get((boto, operation)) or [f"{iam_prefix(boto)}:{operation}"]
    found = [Need(action, resources, why) for action in actions for resources in resource_sets(boto, operation, params)]
    found += [Need("iam:PassRole", (role,), "a role handed to the service") for role in _passed_roles(params)]
    if boto == "rekognition" and isinstance(params, dict):
        s3_object = (params.get("Image") or {}).get("S3Object") if isinstance(params.get("Image"), dict) else None
        if isinstance(s3_object, dict):  # Rekognition reads the object with the caller's permissions
            found.append(Need("s3:GetObject", (f"arn:{PARTITION}:s3:::{_param(s3_object, 'Bucket') or '*'}/"
                                               f"{_param(s3_object, 'Name') or '*'}",), "Rekognition reads the image"))
    return found


def needs_of_call(call: Call) -> list[Need]:
    """What one Task state needs: the operation, and what its integration pattern adds."""
    if call.kind == "lambda-function":
        return [Need("lambda:InvokeFunction", (call.resource,))]
    if call.boto is None or operation_model(call.boto, call.operation or "") is None:
        return []
    found = needs_of_operation(call.boto, call.operation or "", call.params)
    if call.pattern.startswith("sync"):
        if (call.boto, call.operation) == ("stepfunctions", "StartExecution"):
            child = _param(call.params, "StateMachineArn") if isinstance(call.params, dict) else None
            name = child.rsplit(":", 1)[-1] if child else "*"
            execution = _ARN.format(service="states", rest=f"execution:{name}:*")
            found += [Need(a, (execution,), ".sync") for a in ("states:DescribeExecution", "states:StopExecution")]
            found += [Need(a, (_sync_rule("StepFunctionsGetEventsForStepFunctionsExecutionRule"),), ".sync")
                      for a in ("events:PutTargets", "events:PutRule", "events:DescribeRule")]
        for action, resource in SYNC_EXTRAS.get((call.boto, call.operation or ""), []):
            found.append(Need(action, (resource,), ".sync"))
    return found


# --- checks --------------------------------------------------------------------------------------------------


def _hint(project: Project, resource: str) -> str:
    """How to write a resource in the template: ``!Ref``/``!GetAtt`` when it is one of its resources, else ``!Sub``."""
    real = [item for item in project.template.resources.values() if not item.raw.get("Implicit")]
    for item in real:
        if item.ref == resource:
            return f"!Ref {item.logical_id}"
    for item in real:
        for attribute, value in item.attributes.items():
            if value == resource:
                return f"!GetAtt {item.logical_id}.{attribute}"
            if resource.startswith(value + "/") and attribute == "Arn":
                return f'!Sub "${{{item.logical_id}.Arn}}{resource[len(value):]}"'
    return f'!Sub "{_sub_text(real, resource)}"'


def _sub_text(resources: list[Any], resource: str) -> str:
    """A resource ARN as ``Fn::Sub`` text, to deploy in any account and region.

    Names of the template's resources become ``${Id}`` or ``${Id.Attr}``; the partition, region and account
    become pseudo parameters.
    """
    names = sorted(((value, f"${{{item.logical_id}.{attribute}}}") for item in resources
                    for attribute, value in item.attributes.items() if isinstance(value, str) and len(value) > 5),
                   key=lambda pair: -len(pair[0]))
    names = sorted([(item.ref, f"${{{item.logical_id}}}") for item in resources
                    if isinstance(item.ref, str) and len(item.ref) > 5] + names, key=lambda pair: -len(pair[0]))
    text = resource
    for value, placeholder in names:
        if value in text:
            text = text.replace(value, placeholder)
    text = re.sub(r"^arn:aws:", "arn:${AWS::Partition}:", text)
    text = text.replace(f":{REGION}:", ":${AWS::Region}:").replace(f":{ACCOUNT_ID}:", ":${AWS::AccountId}:")
    return text


def _missing(project: Project, who: Principal, need: Need) -> tuple[str, str]:
    shown = " or ".join(need.resources)
    why = f" ({need.why})" if need.why else ""
    note = f"; not expanded: {', '.join(who.unexpanded)}" if who.unexpanded else ""
    message = f"{need.action} on {shown}{why} is not allowed by {who.logical_id}'s policies{note}"
    fix = (f"add to {who.logical_id}'s Policies in template.yaml a statement with Action: {need.action}, "
           f"Resource: {_hint(project, need.resources[0])}")
    return message, fix


def check_wildcards(project: Project) -> list[Problem]:
    """No IAM policy of the template allows every action."""
    problems = []
    file = project.rel(project.template_path)
    template = project.template
    for resource in template.resources.values():
        if resource.raw.get("Implicit"):
            continue
        statements: list[Statement] = []
        if resource.type in ("AWS::Serverless::StateMachine", "AWS::Serverless::Function"):
            statements = principal(project, resource.logical_id).statements
        elif resource.type == "AWS::IAM::Role":
            for policy in template.resolve(resource.properties).get("Policies") or []:
                statements += statements_of(policy.get("PolicyDocument") or {}, resource.logical_id)
        elif resource.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            statements = statements_of(template.resolve(resource.properties).get("PolicyDocument") or {},
                                       resource.logical_id)
        for statement in statements:
            if statement.effect == "Allow" and any(a in ("*", "*:*") for a in statement.actions):
                problems.append(Problem(file, resource.logical_id, f'{statement.origin} allows "Action": "*"',
                                        "list the actions the resource really calls"))
    return problems


def check_state_machines(project: Project) -> list[Problem]:
    """Every call of every state machine is allowed by that state machine's policies."""
    problems = []
    for workflow in project.valid:
        resource = project.template.resources[workflow.logical_id]
        if resource.type != "AWS::Serverless::StateMachine":
            continue
        who = principal(project, workflow.logical_id)
        machine_arn = resource.ref
        seen = set()
        for call in calls(workflow):
            for need in needs_of_call(call):
                if (call.state, need) in seen or allowed(who.statements, need):
                    continue
                seen.add((call.state, need))
                message, fix = _missing(project, who, need)
                problems.append(Problem(workflow.file, call.state, message, fix))
        definition = workflow.resolved or {}
        for name, state in iter_states(definition.get("States") or {}):
            processor = state.get("ItemProcessor") or {}
            if state.get("Type") == "Map" and (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED":
                executions = _ARN.format(service="states", rest=f"execution:{resource.physical}/*")
                for need in (Need("states:StartExecution", (machine_arn,), "Distributed Map"),
                             Need("states:DescribeExecution", (executions,), "Distributed Map"),
                             Need("states:StopExecution", (executions,), "Distributed Map")):
                    if not allowed(who.statements, need):
                        message, fix = _missing(project, who, need)
                        problems.append(Problem(workflow.file, name, message, fix))
    return problems


def _environment(project: Project, logical_id: str) -> dict[str, str]:
    template = project.template
    globals_ = ((template.body.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    own = template.resources[logical_id].properties.get("Environment") or {}
    variables = {**(globals_.get("Variables") or {}), **(own.get("Variables") or {})}
    try:
        return {k: str(v) for k, v in template.resolve(variables).items()}
    except TemplateError:
        return {}


def check_functions(project: Project) -> list[Problem]:
    """Every AWS call in every SAM function's code is allowed by that function's policies."""
    problems = []
    globals_ = (project.template.body.get("Globals") or {}).get("Function") or {}
    for resource in project.template.of_type("AWS::Serverless::Function"):
        code_uri = resource.properties.get("CodeUri", globals_.get("CodeUri"))
        if not isinstance(code_uri, str) or not (project.root / code_uri).is_dir():
            continue
        who = principal(project, resource.logical_id)
        seen = set()
        for call in code_calls(project.root / code_uri, _environment(project, resource.logical_id)):
            for need in needs_of_operation(call.boto, call.operation, call.params, call.why):
                if need in seen or allowed(who.statements, need):
                    continue
                seen.add(need)
                message, fix = _missing(project, who, need)
                problems.append(Problem(project.rel(call.file), resource.logical_id,
                                        f"line {call.line}: {call.operation}: {message}", fix))
    return problems


def check_permissions(project: Project) -> list[Problem]:
    """State machines', functions' and wildcard checks."""
    return check_state_machines(project) + check_functions(project) + check_wildcards(project)
