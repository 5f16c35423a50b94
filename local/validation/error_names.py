"""Retry and Catch lists naming errors the state's integration never raises.

A Retry on ``S3.SlowDownException`` looks right and never fires: ``aws-sdk:s3`` tasks report S3's SlowDown as
``S3.S3Exception`` (the AWS SDK for Java v2 has an exception only for the codes S3's API model declares), and
an optimised ``dynamodb:updateItem`` reports a throttle as ``DynamoDB.ProvisionedThroughputExceededException``,
not ``DynamoDb.…`` (the aws-sdk spelling). Nothing fails until the day the service throttles, and then the
retrier is skipped. Each ``<Service>.<Name>`` in a Task's ``ErrorEquals`` is compared with the name Step
Functions reports for that code of that integration (:func:`local.engine.error_names.task_error_name`).

Not checked: ``States.*`` names; names of no service (``CallAnalysis.Failed``: a Task never raises them, but they
harm nothing); Tasks invoking a Lambda function, whose errors take whatever name the function gives them.
"""

from __future__ import annotations

from local.engine.api_models import service_label
from local.engine.error_names import JAVA_V1, Integration, integration, task_error_name
from local.engine.sdk import SERVICE_ERROR_PREFIX, _service_error_prefix
from local.validation.common import JSONATA, Problem, Project, iter_states

#: The prefixes of every service's error names the engine knows, either SDK's, lower-cased.
_SERVICE_PREFIXES = frozenset({p.lower() for p in SERVICE_ERROR_PREFIX.values()}
                              | {entry[0].lower() for entry in JAVA_V1.values()})


def _own_prefixes(found: Integration) -> set[str]:
    """The prefixes that mean the integration's own service, whatever their case or SDK (``dynamodb``)."""
    prefixes = {found.prefix.lower(), found.service.lower(), _service_error_prefix(found.service).lower()}
    if found.service in JAVA_V1:
        prefixes.add(JAVA_V1[found.service][0].lower())
    return prefixes


def _kinds(found: Integration) -> str:
    return "aws-sdk integrations" if found.kind == "aws-sdk" else "optimised integrations"


def error_name_problem(resource: str, name: str) -> tuple[str, str] | None:  # noqa: PLR0911 - one per mistake
    """``(problem, fix)`` when a Task on ``resource`` can never raise error ``name``, else None.

    Parameters
    ----------
    resource : str
        The Task's ``Resource``.
    name : str
        One name of a Retry's or Catch's ``ErrorEquals``.

    Returns
    -------
    tuple of (str, str) or None
        What is wrong (``which aws-sdk:s3:headObject never raises: AWS reports S3 SlowDown as S3.S3Exception…``)
        and the fix (``write "S3.S3Exception"``).

    """
    found = integration(resource)
    prefix, dot, rest = name.partition(".")
    if found is None or found.invokes_a_function or not dot or not rest or prefix == "States" or name in found.own:
        return None
    what = resource.split(":::", 1)[-1]
    label = service_label(found.boto)
    if prefix.lower() not in _own_prefixes(found):
        if prefix.lower() in _SERVICE_PREFIXES:
            return (f"which {what} never raises: it is an error of another service, and this state calls {label}",
                    f'remove "{name}", or name the {label} error it stands for ({found.prefix}.…)')
        return None
    code = rest.removesuffix("Exception") or rest
    expected = task_error_name(resource, code)
    if expected == name:
        return None
    never = f"which {what} never raises: "
    if prefix != found.prefix and f"{found.prefix}.{rest}" == expected:
        return f"{never}{_kinds(found)} name {label}'s errors {found.prefix}.…, not {prefix}.…", f'write "{expected}"'
    if expected == found.generic:
        return (f"{never}AWS reports {label} {code} as {expected}, the SDK's exception for every code {label}'s API "
                "model does not declare", f'write "{expected}"')
    return f"{never}AWS reports {label} {rest} as {expected}", f'write "{expected}"'


def check_error_names(project: Project) -> list[Problem]:
    """Every ``ErrorEquals`` of every Task state's Retry and Catch (see the module)."""
    problems = []
    for workflow in project.valid:
        for state_name, state in iter_states((workflow.resolved or workflow.definition or {}).get("States") or {}):
            resource = state.get("Resource")
            if state.get("Type") != "Task" or not isinstance(resource, str) or JSONATA.match(resource):
                continue
            for field in ("Retry", "Catch"):
                for index, rule in enumerate(state.get(field) or []):
                    names = rule.get("ErrorEquals") if isinstance(rule, dict) else None
                    for name in names if isinstance(names, list) else []:
                        found = error_name_problem(resource, name) if isinstance(name, str) else None
                        if found:
                            problems.append(Problem(workflow.file, state_name,
                                                    f'{field}[{index}].ErrorEquals names "{name}", {found[0]}',
                                                    found[1]))
    return problems
