"""Every adaptation of moto's Step Functions interpreter, in one place.

moto 5.2.5 vendors LocalStack's ASL interpreter. It runs most of the language, but the defects listed in
``shared/engine-facts.md`` stop real workflows. Each function below fixes one of them and names it; each
has a regression test in ``tests/unit/test_adaptations.py`` that fails if a moto upgrade changes the
behaviour the fix relies on. Nothing outside this module reaches into moto's internals.

Call :func:`apply` once, before the first execution; it is idempotent.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import hashlib
import importlib
import io
import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.response import StreamingBody

from local.engine.clock import CLOCK, VirtualEvent
from local.engine.mock_config import InvocationCountingTestCase, MockConfig

MOTO_VERSION = "5.2.5"

_applied = False
_apply_lock = threading.Lock()

#: The MockConfigFile in force (set by the stack); ``None`` means ``#TestCase`` starts are rejected.
mock_config: MockConfig | None = None


def apply() -> None:
    """Install every adaptation (idempotent)."""
    global _applied  # noqa: PLW0603 - installed once per process
    with _apply_lock:
        if _applied:
            return
        import moto

        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(
                f"local/engine/adaptations.py is written for moto {MOTO_VERSION}, found {moto.__version__}: "
                "re-run tests/unit/test_adaptations.py and review each adaptation before upgrading"
            )
        _build_ec2_region_table_with_one_session()
        _wire_jsonata_evaluator()
        _map_sdk_service_names()
        _name_sdk_errors_like_aws()
        _return_plain_json_from_sdk_tasks()
        _iso_timestamps_in_context_object()
        _unique_names_for_unnamed_executions()
        _select_mock_test_case_at_start()
        _count_mock_invocations()
        _fix_sync_start_execution()
        _unwrap_definite_jsonpath_results()
        _reset_preprocessor_state_per_parse()
        _cache_parsed_definitions()
        _cache_result_path_parsing()
        _cache_sdk_clients()
        _virtual_time()
        _quiet_failure_logs()
        _pass_the_cause_of_send_task_failure()
        _name_heartbeat_timeouts()
        _route_standins()
        _run_lambda_handlers_in_process()
        _deliver_events_to_every_target_type()
        _emit_s3_events_on_the_default_bus()
        _publish_dynamodb_stream_records()
        _signal_execution_ends()
        _make_dynamodb_item_operations_atomic()
        importlib.import_module("local.engine.test_state").install()  # TestState, its own package
        _applied = True


def _build_ec2_region_table_with_one_session() -> None:
    """Start-up: moto's EC2 region table creates three boto3 Sessions at import, about 0.4 s.

    The step functions interpreter imports it (through AWS Batch) whether or not a workflow uses EC2.
    One session answers the three region queries the same way.
    """
    import sys

    module = "moto.ec2.models.availability_zones_and_regions"
    if module in sys.modules:
        return
    shared = boto3.session.Session()
    original = boto3.Session
    boto3.Session = lambda *args, **kwargs: shared if not args and not kwargs else original(*args, **kwargs)
    try:
        importlib.import_module(module)
    finally:
        boto3.Session = original


# --- 1. JSONata and variables -----------------------------------------------------------------------------

# Intrinsic JSONata functions of Step Functions that JSONata itself lacks.
_JSONATA_INTRINSICS = {
    "$partition": "function($array,$size){$size<1?null:$map([0..$ceil($count($array)/$size)-1],"
    "function($i){[$filter($array,function($v,$j){$j>=$i*$size and $j<($i+1)*$size})]})}",
    "$range": "function($first,$last,$step){($step>0 and $first>$last) or ($step<0 and $first<$last)?[]:"
    "$map([0..$floor(($last-$first)/$step)],function($i){$first+$i*$step})}",
    "$parse": "function($v){$eval($v)}",
}


@functools.lru_cache(maxsize=4096)
def _compile_jsonata(expression: str):
    import jsonata

    return jsonata.Jsonata(expression)


def jsonata_variable_references(expression: str) -> set[str]:
    """Variables an expression names; ``$`` (the context item, as in ``items[$ > 3]``) is allowed inside.

    AWS rejects ``$`` and ``$$`` only as a whole expression; moto rejected them anywhere.
    """
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    if expression.strip() in ("$", "$$"):
        raise moto_jsonata.IllegalJSONataVariableReference(variable_reference=expression.strip())
    found = moto_jsonata._PATTERN_VARIABLE_REFERENCE.findall(expression) if expression else []
    return {name for name in found if name and isinstance(name, str) and name not in ("$", "$$")}


def _jsonata_bindings(env, expression: str, with_states: bool) -> dict[str, Any]:
    bindings: dict[str, Any] = {}
    store = env.variable_store
    bindings.update(store._outer_scope)
    bindings.update(store._inner_scope)
    if with_states:
        bindings["states"] = env.states._states_data
    references = jsonata_variable_references(expression)
    for name, body in _JSONATA_INTRINSICS.items():
        if name in references and name[1:] not in bindings:
            bindings[name[1:]] = _compile_jsonata(body).evaluate(None)
    if "$uuid" in references:
        bindings["uuid"] = _jsonata_lambda(lambda: str(uuid.uuid4()))
    if "$hash" in references:
        bindings["hash"] = _jsonata_lambda(_hash)
    return bindings


def _jsonata_lambda(function: Callable) -> Any:
    import jsonata

    return jsonata.Jsonata.JLambda(function)


def _hash(value: str, algorithm: str) -> str:

    name = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
    return hashlib.new(name[algorithm], str(value).encode()).hexdigest()


_UNDEFINED = object()


def evaluate_jsonata(expression: str, bindings: dict[str, Any]) -> Any:
    """Evaluate ``expression``; returns ``_UNDEFINED`` for JSONata's *undefined* (as opposed to null)."""
    import jsonata
    from jsonata.utils import Utils

    compiled = _compile_jsonata(expression)
    # jsonata-python keeps "the current expression" per thread; executions run on many threads.
    jsonata.Jsonata.CURRENT.jsonata = compiled
    compiled.set_output_convert_nulls(False)
    result = compiled.evaluate(None, bindings)
    if result is None:
        return _UNDEFINED
    return Utils.convert_nulls(result)


def _wire_jsonata_evaluator() -> None:
    """Defect 1: QueryLanguage JSONata and ``Assign`` fail because the evaluator (a JVM) is not wired.

    Expressions are evaluated by jsonata-python with ``$states`` and the workflow variables passed as
    bindings (LocalStack pasted their JSON text into the expression, which breaks on quotes in strings).
    """
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
    from moto.stepfunctions.parser.asl.component.common.string import string_expression as se
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def fail(env, expression: str, cause: str):
        error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
        details = EventDetails(
            evaluationFailedEventDetails=EvaluationFailedEventDetails(error=error_name.error_name, cause=cause)
        )
        env.event_manager.add_event(
            context=env.event_history_context, event_type=HistoryEventType.EvaluationFailed,
            event_details=details,
        )
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env, error_name=error_name, event_type=HistoryEventType.EvaluationFailed,
                event_details=details,
            )
        )

    def evaluate(env, expression: str, with_states: bool) -> Any:
        try:
            result = evaluate_jsonata(expression, _jsonata_bindings(env, expression, with_states))
        except FailureEventException:
            raise
        except Exception as error:  # JException and friends: report like Step Functions does
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            fail(env, expression, f"An error occurred while executing the JSONata expression '{expression}': {reason}")
        if result is _UNDEFINED:
            fail(env, expression, f"The JSONata expression '{expression}' returned nothing (undefined).")
        return result

    def jsonata_eval_body(self, env) -> None:
        env.stack.append(evaluate(env, self.expression, with_states=True))

    def variable_sample_eval_body(self, env) -> None:
        with_states = self.query_language_mode == QueryLanguageMode.JSONata
        env.stack.append(evaluate(env, self.expression, with_states=with_states))

    se.StringJSONata._eval_body = jsonata_eval_body
    se.StringVariableSample._eval_body = variable_sample_eval_body
    from moto.stepfunctions.parser.asl.static_analyser import variable_references_static_analyser
    from moto.stepfunctions.parser.asl.static_analyser.intrinsic import variable_names_intrinsic_static_analyser

    for module in (se, variable_references_static_analyser, variable_names_intrinsic_static_analyser):
        module.extract_jsonata_variable_references = jsonata_variable_references


# --- 2. aws-sdk service names and error names -------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _boto_services() -> tuple[dict[str, str], botocore.session.Session]:
    session = botocore.session.get_session()
    return {name.replace("-", ""): name for name in session.get_available_services()}, session


@functools.lru_cache(maxsize=256)
def boto_service_name(sfn_service: str) -> str:
    """The boto3 name of a Step Functions ``aws-sdk:<service>`` name.

    Step Functions names a service by its lower-cased service id without spaces or dashes
    (``eventbridge``, ``pinpointsmsvoicev2``, ``cloudwatchlogs``, ``sfn``); most equal boto3's name without
    dashes, the rest are found through the models' ``serviceId`` (read only when needed: loading every
    model costs seconds).
    """
    known = {"sfn": "stepfunctions", "states": "stepfunctions", "eventbridge": "events",
             "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2", "elasticloadbalancing": "elb"}
    if sfn_service in known:
        return known[sfn_service]
    plain, session = _boto_services()
    if sfn_service in plain:
        return plain[sfn_service]
    loader = session.get_component("data_loader")
    for boto_name in plain.values():
        service_id = loader.load_service_model(boto_name, "service-2")["metadata"].get("serviceId", "")
        if re.sub(r"[\s\-]", "", service_id).lower() == sfn_service:
            return boto_name
    return sfn_service


class _BotoServiceNames(dict):
    def get(self, key, default=None):
        return boto_service_name(key)


# Step Functions' PascalCase service prefix in error names (``DynamoDb.ConditionalCheckFailedException``).
SERVICE_ERROR_PREFIX = {
    "dynamodb": "DynamoDb", "ec2": "Ec2", "s3": "S3", "sns": "Sns", "sqs": "Sqs", "ssm": "Ssm",
    "rekognition": "Rekognition", "transcribe": "Transcribe", "translate": "Translate",
    "comprehend": "Comprehend", "eventbridge": "EventBridge", "events": "EventBridge",
    "pinpointsmsvoicev2": "PinpointSmsVoiceV2", "sfn": "Sfn", "states": "Sfn", "lambda": "Lambda",
    "ses": "Ses", "sesv2": "SesV2", "cloudwatchlogs": "CloudWatchLogs", "sts": "Sts", "kms": "Kms",
}
SINGLE_EXCEPTION_SERVICES = {"ec2": "Ec2.Ec2Exception"}


def sdk_error_name(sfn_service: str, code: str) -> str:
    """``<Service>.<Code>Exception`` as Step Functions names errors of aws-sdk integrations.

    EC2's API model declares no error shapes, so the SDK Step Functions uses has one exception for all of EC2:
    every EC2 error is ``Ec2.Ec2Exception``, its code only in the cause.
    """
    if sfn_service.lower() in SINGLE_EXCEPTION_SERVICES:
        return SINGLE_EXCEPTION_SERVICES[sfn_service.lower()]
    prefix = SERVICE_ERROR_PREFIX.get(sfn_service.lower(), sfn_service[:1].upper() + sfn_service[1:])
    code = code or prefix
    if not code.endswith("Exception"):
        code += "Exception"
    return f"{prefix}.{code}"


def _map_sdk_service_names() -> None:
    """Defect 2: ``aws-sdk:eventbridge:putEvents`` fails with "Unknown service 'eventbridge'"."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES = _BotoServiceNames()


def _name_sdk_errors_like_aws() -> None:
    """aws-sdk errors are ``<Service>.<ErrorCode>Exception`` (moto used the API name and class name)."""
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    original = sdk.StateTaskServiceAwsSdk._from_error

    def from_error(self, env, ex):
        if isinstance(ex, ClientError):
            error = sdk_error_name(self.resource.api_name, ex.response.get("Error", {}).get("Code", ""))
            meta = ex.response.get("ResponseMetadata", {})
            cause = (
                f"{ex.response.get('Error', {}).get('Message', '')} (Service: {error.split('.')[0]}, "
                f"Status Code: {meta.get('HTTPStatusCode')}, Request ID: {meta.get('RequestId')})"
            )
            return self._get_task_failure_event(env=env, error=error, cause=cause)
        return original(self, env, ex)

    sdk.StateTaskServiceAwsSdk._from_error = from_error


# --- 3. Plain JSON results ---------------------------------------------------------------------------------


def to_plain_json(value: Any) -> Any:  # noqa: PLR0911 - one return per JSON kind
    """Turn an SDK response into what Step Functions hands a state: JSON only."""
    if isinstance(value, dict):
        return {key: to_plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain_json(item) for item in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, StreamingBody | io.IOBase):
        data = value.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode()
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return [to_plain_json(item) for item in value]
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _return_plain_json_from_sdk_tasks() -> None:
    """Defect 3: datetimes and streams in SDK results break DescribeExecution and history."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    original = sdk.StateTaskServiceAwsSdk._eval_service_task

    def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        env.stack.append(to_plain_json(env.stack.pop()))

    sdk.StateTaskServiceAwsSdk._eval_service_task = eval_service_task


def _iso_timestamps_in_context_object() -> None:
    """Defect 3 (cont.): ``$$.Execution.StartTime`` is a datetime instead of an ISO 8601 string."""
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.get_start_execution_details

    def get_start_execution_details(self):
        details = original(self)
        details.start_time = to_plain_json(details.start_time)
        return details

    Execution.get_start_execution_details = get_start_execution_details


# --- 4. Executions: names, test cases --------------------------------------------------------------------


def _unique_names_for_unnamed_executions() -> None:
    """Defect 4: StartExecution without a name yields ``…:None`` and a second unnamed start collides."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution


def _select_mock_test_case_at_start() -> None:
    """Mocking: moto never loads a MockConfigFile nor reads ``stateMachineArn#TestCase``.

    An unknown test case is rejected at StartExecution with a clear ``InvalidArn``-style error.
    """
    from moto.stepfunctions.exceptions import InvalidArn
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from local.engine.mock_config import UnknownTestCase

    original_start = StepFunctionsParserBackend.start_execution
    pending = threading.local()

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        arn, _, case = state_machine_arn.partition("#")
        pending.test_case = None
        if case:
            machine = self.describe_state_machine(arn)
            if mock_config is None:
                raise InvalidArn(f"No MockConfigFile is loaded, so test case '{case}' cannot be used")
            try:
                pending.test_case = mock_config.test_case(machine.name, case)
            except UnknownTestCase as error:
                raise InvalidArn(str(error)) from error
        try:
            return original_start(self, arn, name, execution_input, trace_header)
        finally:
            pending.test_case = None

    StepFunctionsParserBackend.start_execution = start_execution

    original_start_worker = Execution._get_start_execution_worker

    def get_start_execution_worker(self):
        worker = original_start_worker(self)
        worker._mock_test_case = getattr(pending, "test_case", None)
        self.test_case = worker._mock_test_case.test_case_name if worker._mock_test_case else None
        return worker

    Execution._get_start_execution_worker = get_start_execution_worker


def _count_mock_invocations() -> None:
    """Mocking: responses are indexed by retry count, so a poll loop replays response "0" forever."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    def get_current_mocked_response(self):
        if not isinstance(self.mock_test_case, InvocationCountingTestCase):
            raise RuntimeError("execution is not running a MockConfigFile test case")
        return self.mock_test_case.next_response(self.next_state_name)

    Environment.get_current_mocked_response = get_current_mocked_response


def _fix_sync_start_execution() -> None:
    """Defect 5: ``states:startExecution(.sync|.sync:2)`` fails with ``KeyError('StateMachineArn')``.

    The optimised Step Functions integration passes the state's PascalCase parameters to boto3, which wants
    camelCase, and hands boto3's camelCase response on, where Step Functions returns PascalCase.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as sfn,
    )

    original_parameters = sfn.StateTaskServiceSfn._normalise_parameters

    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        original_parameters(self, parameters, boto_service_name, service_action_name)
        for key in list(parameters):
            parameters[key[:1].lower() + key[1:]] = parameters.pop(key)

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):
        if isinstance(response, dict):
            for key in list(response):
                response[key[:1].upper() + key[1:]] = to_plain_json(response.pop(key))

    sfn.StateTaskServiceSfn._normalise_parameters = normalise_parameters
    sfn.StateTaskServiceSfn._normalise_response = normalise_response

    original_eval = sfn.StateTaskServiceSfn._eval_service_task

    def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        original_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        normalise_response(self, env.stack[-1])

    sfn.StateTaskServiceSfn._eval_service_task = eval_service_task


# --- 5. JSONPath -----------------------------------------------------------------------------------------

_INDEFINITE = re.compile(r"\[\s*\*\s*\]|\.\*|\[[^\]]*:[^\]]*\]|\[\s*\?|\.\.|\[[^\]]*,[^\]]*\]")


@functools.lru_cache(maxsize=4096)
def _parse_jsonpath(path: str):
    from jsonpath_ng.ext import parse

    return parse(path)


def extract_json(path: str, data: Any) -> Any:
    """JSONPath as Step Functions evaluates it: a definite path yields a value, an indefinite one a list."""
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    matches = _parse_jsonpath(path).find(data)
    indefinite = bool(_INDEFINITE.search(path))
    if not matches:
        if indefinite:
            return []
        raise NoSuchJsonPathError(json_path=path, data=data)
    if indefinite:
        return [match.value for match in matches]
    return matches[0].value


def _unwrap_definite_jsonpath_results() -> None:
    """Defect 6: ``$.Items[0].id`` returns ``["x"]`` instead of ``"x"``; parsing is also cached."""
    import sys

    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.extract_json
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("moto.stepfunctions") and (
            getattr(module, "extract_json", None) is original
        ):
            module.extract_json = extract_json


def _reset_preprocessor_state_per_parse() -> None:
    """Defect 7: after one rejected definition, later valid ones are rejected (class-level parse state)."""
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original_init = Preprocessor.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._query_language_per_scope = []

    Preprocessor.__init__ = __init__


# --- 6. Speed: parsed definitions and clients --------------------------------------------------------------

#: Definitions known to parse, by SHA-256 of moto's version and the text: CreateStateMachine skips their
#: ANTLR parse (the slowest part of start-up) in later processes. The parse is deterministic, so a text that
#: parsed once with this moto parses again; executions still parse (once per process, see below).
VALID_DEFINITIONS_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sfn-local" / "valid-asl"


def _definition_key(definition: str) -> str:
    return hashlib.sha256(f"{MOTO_VERSION}\n{definition}".encode()).hexdigest()


def _parse_tree(definition: str):
    from antlr4 import CommonTokenStream, InputStream
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException, SyntaxErrorListener

    listener = SyntaxErrorListener()
    parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.state_machine()
    if listener.errors:
        raise ASLParserException(errors=listener.errors)
    return tree


def _cache_parsed_definitions() -> None:
    """Every execution re-parsed its whole definition with ANTLR and rebuilt its components: 20-50 ms each.

    The evaluation components are kept per definition text. They hold only the definition; everything an
    execution changes lives in its ``Environment`` (moto already runs one component tree on many threads for
    the iterations of a Map). Their heap keys are made deterministic so two executions starting at once cannot
    give one component two keys. CreateStateMachine consults :data:`VALID_DEFINITIONS_CACHE` before parsing.
    """
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    parse_lock = threading.Lock()

    @functools.lru_cache(maxsize=256)
    def parse_once(definition: str):
        tree = _parse_tree(definition)
        return Preprocessor().visit(tree), tree

    def parse(definition: str):
        with parse_lock:  # executions starting together would otherwise each parse the same definition
            return parse_once(definition)

    EvalComponent.heap_key = property(lambda self: f"{type(self).__name__}-{id(self)}")
    AmazonStateLanguageParser.parse = staticmethod(parse)
    original_validate = models.StepFunctionsParserBackend._validate_definition

    def validate_definition(definition: str) -> None:
        marker = VALID_DEFINITIONS_CACHE / _definition_key(definition)
        if marker.exists():
            return
        original_validate(definition)
        with contextlib.suppress(OSError):  # a read-only home only costs speed
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()

    models.StepFunctionsParserBackend._validate_definition = staticmethod(validate_definition)


def _cache_result_path_parsing() -> None:
    """ResultPath built a JSONPath parser (PLY tables) on every evaluation: about 1 ms per state."""
    import jsonpath_ng
    from moto.stepfunctions.parser.asl.component.common.path import result_path

    result_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.parse)


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
_boto_session: boto3.session.Session | None = None


def sdk_client(service: str, region: str = "us-east-1") -> Any:
    """One boto3 client per (service, region), shared by all executions (boto3 clients are thread-safe)."""
    key = (service, region)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                global _boto_session  # noqa: PLW0603 - one botocore loader keeps the service models it read
                _boto_session = _boto_session or boto3.session.Session()
                client = _boto_session.client(
                    service, region_name=region, aws_access_key_id="local", aws_secret_access_key="local",
                    config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1}),
                )
                _clients[key] = client
    return client


def _cache_sdk_clients() -> None:
    """Defect 8: a new boto3 client per Task invocation; SDK-heavy machines ran about 3x slower.

    Clients always go through moto's in-process interception (the local stack runs inside ``mock_aws``),
    also when the engine serves HTTP, so no task depends on ``MOTO_PORT``.
    """
    import sys

    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        return sdk_client(service, region)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("moto.stepfunctions") and (
            getattr(module, "boto_client_for", None) is original
        ):
            module.boto_client_for = boto_client_for


# --- 7. Virtual time -------------------------------------------------------------------------------------


def _virtual_time() -> None:
    """Defect 9: Wait states and Retry intervals sleep in real time.

    Waits and retry intervals go through :data:`local.engine.clock.CLOCK` (instant by default);
    callback, heartbeat and task timeouts wait on virtual-time events, so ``CLOCK.advance`` expires them.
    """
    import sys
    import types

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.callback import callback

    def wait_interval(self, env, wait_seconds) -> None:
        CLOCK.sleep(wait_seconds, interrupt=env.program_state_event)

    class VirtualHeartbeatEndpoint(callback.HeartbeatEndpoint):
        """Heartbeat timeouts run from the last heartbeat in virtual time."""

        def __init__(self, heartbeat_seconds: int) -> None:
            super().__init__(heartbeat_seconds)
            self._last = CLOCK.now()

        def notify(self) -> None:
            self._last = CLOCK.now()
            super().notify()

        def clear_and_wait(self) -> bool:
            with self._mutex:
                if self._next_heartbeat_event.is_set():
                    self._next_heartbeat_event.clear()
                    return True
            return self._next_heartbeat_event.wait_until(self._last + self._heartbeat_seconds)

    WaitFunction._wait_interval = wait_interval
    retrier_decl.time = types.SimpleNamespace(sleep=CLOCK.sleep, time=__import__("time").time)
    callback.Event = VirtualEvent
    callback.HeartbeatEndpoint = VirtualHeartbeatEndpoint
    execute_state.threading = types.SimpleNamespace(Event=VirtualEvent, Thread=threading.Thread)
    assert "threading" in vars(sys.modules[execute_state.__name__])


# --- 8. Logs ---------------------------------------------------------------------------------------------


def _quiet_failure_logs() -> None:
    """Defect 11: every failure logs multi-kilobyte lines; the history already records it."""
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


def _pass_the_cause_of_send_task_failure() -> None:
    """SendTaskFailure dropped its ``cause`` on the way from the API to the waiting task."""
    from moto.stepfunctions.responses import EmptyResult, StepFunctionResponse

    def send_task_failure(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure


def _name_heartbeat_timeouts() -> None:
    """A task that misses its heartbeat fails with ``States.HeartbeatTimeout`` (moto said States.Timeout)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = StateTask._from_error

    def from_error(self, env, ex):
        if isinstance(ex, HeartbeatTimeoutError):
            name = StatesErrorNameType.StatesHeartbeatTimeout
            return FailureEvent(
                env=env, error_name=StatesErrorName(typ=name), event_type=HistoryEventType.TaskTimedOut,
                event_details=EventDetails(taskTimedOutEventDetails=TaskTimedOutEventDetails(error=name.to_name())),
            )
        return original(self, env, ex)

    StateTask._from_error = from_error


# --- 9. Services moto lacks, Lambda handlers ---------------------------------------------------------------


def _route_standins() -> None:
    """Moto lacks Translate, DetectModerationLabels, End User Messaging SMS…: route them to stand-ins.

    See :mod:`local.standins`. In-process SDK calls are intercepted before moto's own dispatch.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    from local import standins

    standins.load()
    original = BotocoreStubber.process_request

    def process_request(self, request):
        target = request.headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode()
        found = standins.resolve(target)
        if found is not None:
            return standins.dispatch(found[2], request.body)
        return original(self, request)

    BotocoreStubber.process_request = process_request


#: Function name → callable(event: dict) -> (payload: str, errored: bool, logs: str); set by the stack.
lambda_handlers: dict[str, Callable[[Any], tuple[str, bool, str]]] = {}


def _run_lambda_handlers_in_process() -> None:
    """Lambda functions run their Python handler in this process (moto needs Docker, or echoes the event).

    An unhandled exception comes back as Lambda reports it (``FunctionError: Unhandled`` and a payload with
    ``errorType``), so a state's ``Catch`` on the exception's class name works. ``Event`` invocations run
    on a thread of their own, as asynchronous invocations do.
    """
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original_invoke_lambda = LambdaFunction._invoke_lambda

    def invoke_lambda(self, event=None):  # the path SNS subscriptions and event source mappings take
        handler = lambda_handlers.get(self.function_name)
        if handler is None:
            return original_invoke_lambda(self, event)
        return handler(json.loads(event) if isinstance(event, str) else event)

    original_invoke = LambdaSimpleBackend.invoke

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        name = self.get_function(function_name, qualifier).function_name
        handler = lambda_handlers.get(name)
        if handler is None:
            return original_invoke(self, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body) if body else {}
        if (headers or {}).get("X-Amz-Invocation-Type") == "Event":
            threading.Thread(target=handler, args=(event,), daemon=True).start()
            return b""
        payload, errored, _logs = handler(event)
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        return payload.encode()

    LambdaFunction._invoke_lambda = invoke_lambda
    LambdaSimpleBackend.invoke = invoke


# --- 10. Triggers: EventBridge targets, S3 notifications, DynamoDB streams ------------------------------------

#: Every event a rule could not deliver to a target: rule, target, event and error (tests, the demo).
delivery_failures: list[dict[str, Any]] = []


def _iso_event_time(event: dict[str, Any]) -> dict[str, Any]:
    event = dict(event)
    when = event.get("time")
    if isinstance(when, int | float):
        event["time"] = datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def _transformer_value(name: str, paths: dict[str, str], event: dict[str, Any], rule_arn: str) -> Any:
    builtins = {"aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
                "aws.events.event": event, "aws.events.event.json": event,
                "aws.events.event.ingestion-time": event.get("time")}
    if name in builtins:
        return builtins[name]
    try:
        return extract_json(paths[name], event)
    except Exception:  # a path that matches nothing renders as null, as in EventBridge
        return None


def render_target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str = "") -> str:
    """The text a target receives: ``Input``, ``InputPath`` or ``InputTransformer`` applied to the event.

    As in EventBridge, a placeholder outside quotes in a JSON template takes the value's JSON (a string
    gets its quotes); inside quotes, or in a plain-text template, it takes the value's text.
    """
    event = {key: value for key, value in event.items() if key != "ingestion-time"}
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(extract_json(target["InputPath"], event))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    paths = transformer.get("InputPathsMap", {})
    template = transformer.get("InputTemplate", "")
    is_json = template.lstrip()[:1] in ("{", "[")
    out, in_string, i = [], False, 0
    while i < len(template):
        char = template[i]
        if char == '"' and (i == 0 or template[i - 1] != "\\"):
            in_string = not in_string
        if char == "<":
            end = template.find(">", i)
            name = template[i + 1:end] if end > i else ""
            if name in paths or name.startswith("aws.events."):
                value = _transformer_value(name, paths, event, rule_arn)
                if is_json and not in_string:
                    out.append(json.dumps(value))
                elif is_json:
                    text = value if isinstance(value, str) else json.dumps(value)
                    out.append(json.dumps(text)[1:-1])
                else:
                    out.append(value if isinstance(value, str) else json.dumps(value))
                i = end + 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def deliver_to_target(target_arn: str, payload: str, target: dict[str, Any]) -> None:
    """Deliver one rendered event to one target, as EventBridge would; raises on failure."""
    service, region = target_arn.split(":")[2], target_arn.split(":")[3]
    if service == "states":
        sdk_client("stepfunctions", region).start_execution(stateMachineArn=target_arn, input=payload)
    elif service == "lambda":
        sdk_client("lambda", region).invoke(FunctionName=target_arn, InvocationType="Event", Payload=payload)
    elif service == "sns":
        sdk_client("sns", region).publish(TopicArn=target_arn, Message=payload)
    elif service == "sqs":
        client = sdk_client("sqs", region)
        url = client.get_queue_url(QueueName=target_arn.split(":")[5])["QueueUrl"]
        extra = {}
        if target.get("SqsParameters", {}).get("MessageGroupId"):
            extra["MessageGroupId"] = target["SqsParameters"]["MessageGroupId"]
        client.send_message(QueueUrl=url, MessageBody=payload, **extra)
    elif service == "events" and ":event-bus/" in target_arn:
        event = json.loads(payload)
        sdk_client("events", region).put_events(Entries=[{
            "Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []), "EventBusName": target_arn,
        }])
    else:
        raise NotImplementedError(f"the local engine cannot deliver events to {target_arn}")


def _dead_letter(rule, target: dict[str, Any], event: dict[str, Any], error: Exception) -> None:
    event = {key: value for key, value in event.items() if key != "ingestion-time"}
    record = {"rule": rule.arn, "target": target.get("Arn"), "event": event, "error": repr(error)}
    delivery_failures.append(record)
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq:
        logging.getLogger("local.triggers").warning("event for %s lost: %s", target.get("Arn"), error)
        return
    client = sdk_client("sqs", dlq.split(":")[3])
    url = client.get_queue_url(QueueName=dlq.split(":")[5])["QueueUrl"]
    client.send_message(
        QueueUrl=url, MessageBody=json.dumps(event),
        MessageAttributes={
            "RULE_ARN": {"DataType": "String", "StringValue": rule.arn},
            "TARGET_ARN": {"DataType": "String", "StringValue": target.get("Arn", "")},
            "ERROR_CODE": {"DataType": "String", "StringValue": type(error).__name__},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(error)[:256]},
        },
    )


def _deliver_events_to_every_target_type() -> None:
    """Rules route events to SQS and a few others only; Step Functions, Lambda and SNS targets raise.

    Targets get the event with ``Input``/``InputPath``/``InputTransformer`` applied; a delivery that still
    fails after the target's ``RetryPolicy.MaximumRetryAttempts`` goes to its dead-letter queue.
    """
    from moto.events.models import Rule

    def send_to_targets(self, original_event, transform_input=True):
        if self.state == "DISABLED" or not self.event_pattern.matches_event(original_event):
            return
        event = _iso_event_time(original_event)
        for target in self.targets:
            attempts = 1 + int((target.get("RetryPolicy") or {}).get("MaximumRetryAttempts", 2))
            for attempt in range(attempts):
                try:
                    payload = render_target_input(target, event, self.arn)
                    deliver_to_target(target["Arn"], payload, target)
                    break
                except Exception as error:
                    if attempt == attempts - 1:
                        _dead_letter(self, target, event, error)

    Rule.send_to_targets = send_to_targets


_s3_request = threading.local()


def _emit_s3_events_on_the_default_bus() -> None:
    """S3 → EventBridge went to the rules of *every* bus, skipped their input transformers, and came too early.

    moto emits ``Object Created`` inside the backend's ``put_object``, before the request handler sets the
    object's metadata (``Content-Language``, ``x-amz-meta-*``): a workflow started by the event could read the
    object without them. As in S3, the event now leaves once the request has stored the whole object.
    """
    from moto.s3 import notifications
    from moto.s3.responses import S3Response

    def send_event_bridge_message(account_id, bucket, event_name, key) -> None:
        pending = getattr(_s3_request, "pending", None)
        if pending is not None:
            pending.append((account_id, bucket, event_name, key))
        else:
            put_s3_event(account_id, bucket, event_name, key)

    def put_s3_event(account_id, bucket, event_name, key) -> None:
        from moto.events.models import events_backends

        detail = {
            "version": "0", "bucket": {"name": bucket.name},
            "object": {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""),
                       "sequencer": f"{int(datetime.datetime.now().timestamp() * 1e6):016X}"},
            "request-id": uuid.uuid4().hex[:16].upper(), "requester": account_id,
            "source-ip-address": "127.0.0.1", "reason": event_name.split(":")[1],
        }
        if key.version_id:
            detail["object"]["version-id"] = key.version_id
        events_backends[account_id][bucket.region_name].put_events([{
            "Source": "aws.s3", "DetailType": notifications._detail_type(event_name),
            "Detail": json.dumps(detail), "Resources": [bucket.arn],
        }])

    def after_the_request(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def handle(self):
            _s3_request.pending = []
            try:
                return handler(self)
            finally:
                pending, _s3_request.pending = _s3_request.pending, None
                for event in pending:
                    put_s3_event(*event)

        return handle

    notifications._send_event_bridge_message = send_event_bridge_message
    for name in ("put_object", "copy_object"):
        setattr(S3Response, name, after_the_request(getattr(S3Response, name)))


#: Table name → listeners called with each DynamoDB stream record (EventBridge Pipes, in the stack).
stream_listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}


def _publish_dynamodb_stream_records() -> None:
    """DynamoDB stream records reach Lambda event source mappings only; Pipes need them too."""
    from moto.dynamodb.models.table import StreamShard

    original = StreamShard.add

    def add(self, old, new) -> None:
        original(self, old, new)
        listeners = stream_listeners.get(self.table.name)
        if listeners and self.items:
            record = json.loads(json.dumps(self.items[-1].record, default=str))
            for listener in listeners:
                threading.Thread(target=listener, args=(record,), daemon=True).start()

    StreamShard.add = add


# --- 12. DynamoDB item operations are atomic -------------------------------------------------------------

_DYNAMODB_ITEM_OPERATIONS = ("update_item", "put_item", "get_item", "delete_item", "query", "scan",
                             "batch_get_item", "batch_write_item", "transact_write_items", "transact_get_items")


def _make_dynamodb_item_operations_atomic() -> None:
    """Moto applies an UpdateItem clause by clause to the stored item, so a concurrent read saw half of it.

    DynamoDB applies each request atomically; one lock around moto's item operations does the same.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def atomic(method: Callable) -> Callable:
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)

        return run

    for name in _DYNAMODB_ITEM_OPERATIONS:
        setattr(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name)))


# --- 11. Waiting for executions without polling ------------------------------------------------------------

_ended: dict[str, threading.Event] = {}
_ended_lock = threading.Lock()


def _end_event(execution_arn: str) -> threading.Event:
    with _ended_lock:
        return _ended.setdefault(execution_arn, threading.Event())


def wait_for_end(execution_arn: str, timeout: float) -> bool:
    """Block until the execution ends (any terminal status); False after ``timeout`` real seconds."""
    return _end_event(execution_arn).wait(timeout)


def _signal_execution_ends() -> None:
    """Tests and benchmarks polled DescribeExecution; an execution now signals its end to waiters."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self) -> None:
        try:
            original(self)
        finally:
            _end_event(self.execution.exec_arn).set()

    BaseExecutionWorkerCommunication.terminated = terminated


__all__ = ["CLOCK", "apply", "evaluate_jsonata", "extract_json", "sdk_client", "sdk_error_name", "to_plain_json"]
