"""The engine's fast paths give the answers moto gave without them.

They are in ``local/engine/fast_paths.py``, ``local/emulation/fast_paths.py`` and the start-up caches of
``local/engine/caches.py``.

Each test states what a caller sees — a copy, a lookup, a request as moto reads it, a signed SNS envelope, an
SQS queue's deduplication — and checks it against moto's own code or AWS's documented behaviour.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime
import decimal
import json
import os
import random
import string
import uuid

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import example, given, settings
from hypothesis import strategies as st

from local.engine.fast_paths import json_copy

# --- interpreter ------------------------------------------------------------------------------------------------


def test_json_copy_equals_a_deep_copy_and_shares_nothing():
    """State data copied for a state is equal to the original, and changing the copy leaves the original alone."""
    shared = {"k": [1, 2]}
    original = {"text": "é", "n": 3, "f": 2.5, "ok": True, "none": None, "d": decimal.Decimal("1.5"),
                "when": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC), "list": [shared, shared, [{"x": 1}]],
                "set": {1, 2}}
    copied = json_copy(original)

    assert copied == copy.deepcopy(original)
    copied["list"][0]["k"].append(3)
    copied["list"][2][0]["x"] = 2
    assert original["list"][0] == {"k": [1, 2]} and original["list"][2] == [{"x": 1}]
    assert copied["list"][1] == {"k": [1, 2]}  # JSON has no shared values: the two places are two values
    assert copied["set"] == {1, 2} and copied["set"] is not original["set"]


def test_json_copy_copies_program_states_attribute_by_attribute(stack):
    """An execution's program state (running, stopped with a cause…) copies as ``copy.deepcopy`` copies it."""
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramRunning, ProgramStopped

    running = ProgramRunning()
    running.next_state_name = "Next"
    stopped = ProgramStopped(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), "Err", "why")
    failed = ProgramError({"error": "E", "cause": "C"})
    for state in (running, stopped, failed):
        copied = json_copy(state)
        assert type(copied) is type(state) and copied is not state
        assert vars(copied) == vars(copy.deepcopy(state))
    assert json_copy(failed).error is not failed.error


def test_jsonata_names_resolve_through_nested_scopes(stack):
    """Variables resolve from the innermost scope outwards, a null binding included (lambdas, blocks, bindings)."""
    from jsonata import jsonata

    frame = jsonata.Jsonata.Frame(None)
    frame.bind("a", 1)
    frame.bind("b", None)
    child = jsonata.Jsonata.Frame(frame)
    child.bind("b", 2)
    grandchild = jsonata.Jsonata.Frame(child)
    assert [grandchild.lookup(name) for name in ("a", "b", "c")] == [1, 2, None]
    assert jsonata.Jsonata.Frame(frame).lookup("b") is None

    expression = jsonata.Jsonata("( $y := 2; $f := function($x) { ( $y := $x * 10; $y + $z ) }; [$f(3), $y] )")
    assert expression.evaluate(None, {"z": 5}) == [35, 2]


@pytest.mark.parametrize(("expression", "expected"), [
    ("$order", {"id": "o-1", "lines": [{"sku": "a"}], "one": [5], "qty": 2, "ok": True, "none": None}),
    ("$order.id", "o-1"), ("$order.qty", 2), ("$order.ok", True),
    ("$order.lines.sku", "a"),  # a path through an array maps over it, and a single result is unwrapped
    ("$order.one", [5]),  # an array of the data stays an array
    ("$order.missing", None), ("$order.none", "null"), ("$nothing", None),
    ("$orders.id", ["o-1", "o-2"]),  # a variable holding an array: each item's field
])
def test_jsonata_references_read_as_jsonata_reads_them(stack, expression, expected):
    """Reading a variable or a field of one gives JSONata's answer: arrays map, singletons unwrap, missing is none."""
    from jsonata import jsonata

    order = {"id": "o-1", "lines": [{"sku": "a"}], "one": [5], "qty": 2, "ok": True, "none": None}
    compiled = jsonata.Jsonata(expression)
    compiled.set_output_convert_nulls(False)
    result = compiled.evaluate(None, {"order": order, "orders": [order, {"id": "o-2"}]})
    if expected == "null":  # JSON null as jsonata-python hands it back, before the engine converts it
        from jsonata.utils import Utils

        assert result is Utils.NULL_VALUE
    else:
        assert result == expected
    if expression == "$order":
        assert result is order  # the bound object itself, as jsonata-python hands it back


def test_jsonata_functions_check_their_arguments(stack):
    """Built-in functions accept the argument types of their signatures and refuse the others by name."""
    from jsonata import jexception, jsonata

    expression = "[$type(x), $trim(' a '), $string(n), $map(l, function($v) { $v * 2 }), $count(l), $exists(m)]"
    assert jsonata.Jsonata(expression).evaluate({"x": True, "n": 1.5, "l": [1, 2]}) == [
        "boolean", "a", "1.5", 2, 4, 2, False]  # a function's array result flattens into the constructor
    with pytest.raises(jexception.JException) as refused:
        jsonata.Jsonata("$trim(5)").evaluate(None)
    assert refused.value.error == "T0410"


def test_start_execution_keeps_aws_idempotency_over_many_executions(stack):
    """StartExecution names: a running execution's name and input give that execution, anything else refused.

    Other input, or an execution of that name that has ended, is ExecutionAlreadyExists; DescribeExecution finds
    each execution by its ARN, among many.
    """
    sfn, sqs = stack.client("stepfunctions"), stack.client("sqs")
    queue = sqs.create_queue(QueueName=f"fast-paths-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    waiting = {"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}}}}}
    machine = sfn.create_state_machine(name=f"fast-paths-{uuid.uuid4().hex[:8]}", definition=json.dumps(waiting),
                                       roleArn="arn:aws:iam::123456789012:role/fast-paths")["stateMachineArn"]
    arns = [sfn.start_execution(stateMachineArn=machine, name=f"run-{i}", input="{}")["executionArn"]
            for i in range(30)]

    assert sfn.start_execution(stateMachineArn=machine, name="run-7", input="{}")["executionArn"] == arns[7]
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=machine, name="run-7", input='{"other": 1}')
    assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    assert [sfn.describe_execution(executionArn=arn)["name"] for arn in arns[::7]] == [
        "run-0", "run-7", "run-14", "run-21", "run-28"]
    with pytest.raises(ClientError) as missing:
        sfn.describe_execution(executionArn=arns[0].replace("run-0", "run-99"))
    assert missing.value.response["Error"]["Code"] == "ExecutionDoesNotExist"

    tokens: list[str] = []

    def every_token() -> bool:
        tokens.extend(json.loads(message["Body"])["token"] for message in stack.drain(queue))
        return len(tokens) == len(arns)

    stack.eventually(every_token, message="the waiting executions never all sent their tokens")
    for token in tokens:
        sfn.send_task_success(taskToken=token, output="{}")
    assert {stack.wait(arn).status for arn in arns} == {"SUCCEEDED"}
    with pytest.raises(ClientError) as ended:
        sfn.start_execution(stateMachineArn=machine, name="run-3", input="{}")
    assert ended.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


# --- requests ------------------------------------------------------------------------------------------------------


BOTOCORES_FORM = "application/x-www-form-urlencoded; charset=utf-8"
REQUESTS = [
    ("POST", "https://states.us-east-1.amazonaws.com/", {"Content-Type": "application/x-amz-json-1.0",
                                                          "X-Amz-Target": "AWSStepFunctions.ListStateMachines"},
     b"{}"),
    ("POST", "https://ec2.us-east-1.amazonaws.com/", {"Content-Type": "application/x-www-form-urlencoded"},
     "Action=DescribeTags&Version=2016-11-15&Filter.1.Name=resource-id"),
    ("GET", "https://bucket.s3.amazonaws.com/key/with:colon", {"User-Agent": "x", "Content-Length": "0"}, None),
    ("GET", "https://s3.amazonaws.com/bucket?list-type=2&prefix=a%2Fb", {}, b""),
    ("PUT", "https://bucket.s3.amazonaws.com/k", {"x-amz-meta-my_key": "v", "Content-Type": "image/png",
                                                  "Transfer-Encoding": "chunked"}, b"\x89PNG"),
    ("POST", "https://sqs.us-east-1.amazonaws.com/", {"Content-Type": "application/x-www-form-urlencoded"}, b""),
    ("POST", "http://localhost:8083/", {"Content-Type": "application/json", "Host": "example.com"}, b'{"a": 1}'),
    ("PUT", "https://bucket.s3.amazonaws.com/%C3%A9t%C3%A9", {}, b"x"),  # quoted path: werkzeug's builder
    ("POST", "https://events.us-east-1.amazonaws.com/", {"Content-Type": "application/x-amz-json-1.1"}, b'{"E": []}'),
    ("POST", "https://sqs.us-east-1.amazonaws.com/", {"Content-Type": "text/plain; charset=utf-8"}, "Action=X"),
    ("POST", "https://sqs.us-east-1.amazonaws.com/", {}, b"Action=ListQueues"),  # a body without a content type
    ("POST", "https://s3.amazonaws.com/bucket", {"Content-Type": "multipart/form-data; boundary=b"},
     b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--b\r\nContent-Disposition: form-data; '
     b'name="file"; filename="f.txt"\r\n\r\nhello\r\n--b--\r\n'),
    ("POST", "https://sqs.us-east-1.amazonaws.com/", {"Content-Type": " Application/X-WWW-Form-URLencoded ; a=b"},
     b"Action=ListQueues&Version=2012-11-05"),
    # Forms as botocore sends them, with what a form can hold: repeats, blanks, spaces, escapes, bytes no UTF-8.
    ("POST", "https://sns.us-east-1.amazonaws.com/", {"Content-Type": BOTOCORES_FORM},
     "Action=Publish&Message=caf%C3%A9+au+lait&Message=again&Subject=&Flag&a%26b=c%3Dd&x=%FF%FE&y=%zz"),
    ("POST", "https://ec2.us-east-1.amazonaws.com/", {"Content-Type": BOTOCORES_FORM},
     b"Action=DescribeTags&Value=\xff\xfe"),  # no UTF-8: werkzeug's parser gives an empty form
    ("POST", "https://ec2.us-east-1.amazonaws.com/", {"Content-Type": BOTOCORES_FORM}, b""),
    ("POST", "https://ec2.us-east-1.amazonaws.com/", {"Content-Type": "application/x-www-form-urlencoded"},
     "Action=DescribeTags&Filter.1.Name=tag%3AName&Filter.1.Value.1=web%201&&=v&k="),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), REQUESTS)
def test_requests_reach_moto_as_werkzeug_builds_them(stack, method, url, headers, body):
    """Method, path, query, headers, body and form of an intercepted request are what werkzeug's builder gives."""
    from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, Request

    from local.emulation import fast_paths

    prepared = AWSPreparedRequest(method, url, headers, body, stream_output=False)
    fast = Request.from_primitives(method, url, prepared.headers, body)
    slow = fast_paths.werkzeug_from_primitives(Request, method, url, prepared.headers, body)
    skip = ("wsgi.input", "werkzeug.request")

    assert [(k, v) for k, v in fast.environ.items() if k not in skip] == [
        (k, v) for k, v in slow.environ.items() if k not in skip]
    assert fast.environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] == slow.environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY]
    assert list(fast.headers) == list(slow.headers) and fast.data == slow.data and fast.get_data() == slow.get_data()
    assert fast.form == slow.form and fast.args == slow.args and fast.raw_url == slow.raw_url
    assert {k: f.read() for k, f in fast.files.items()} == {k: f.read() for k, f in slow.files.items()}
    assert type(fast.form) is type(slow.form) and fast.stream.read() == slow.stream.read()
    # The form read before the body (as moto's query parsers read it): the same form, then the same body.
    fast = Request.from_primitives(method, url, prepared.headers, body)
    slow = fast_paths.werkzeug_from_primitives(Request, method, url, prepared.headers, body)
    assert list(fast.form.items(multi=True)) == list(slow.form.items(multi=True))
    assert fast.get_data() == slow.get_data() and fast.data == slow.data and fast.values == slow.values


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\r\n b"])
def test_header_values_with_line_breaks_are_refused_as_werkzeug_refuses_them(stack, value):
    """A header value holding a line break is left to werkzeug's builder, which refuses it with its own error."""
    from moto.core.request import Request

    from local.emulation import fast_paths

    url, headers = "https://sqs.us-east-1.amazonaws.com/", {"Content-Type": "application/json", "X-Note": value}
    with pytest.raises(ValueError) as slow:
        fast_paths.werkzeug_from_primitives(Request, "POST", url, headers, b"{}")
    with pytest.raises(ValueError) as fast:
        Request.from_primitives("POST", url, headers, b"{}")
    assert str(fast.value) == str(slow.value)


def test_header_dictionaries_behave_as_botocores(stack):
    """Case-insensitive headers as botocore keeps them: every operation gives what its own ``HeadersDict`` gives.

    A header keeps the spelling it was first set with, iterates in the order set, and is found in any case.
    """
    from collections.abc import MutableMapping

    from botocore.awsrequest import HeadersDict

    from local.emulation import fast_requests

    botocores = type("BotocoresHeadersDict", (MutableMapping,), dict(fast_requests.botocore_header_methods))
    names = ["Content-Type", "content-type", "CONTENT-TYPE", "X-Amz-Date", "x-amz-date", "Authorization", "ü-Ä"]
    draw = random.Random(7)
    for _ in range(200):
        fast, slow = HeadersDict(), botocores()
        for _ in range(12):
            name, other, value = draw.choice(names), draw.choice(names), draw.choice(["a", b"b", "", "c d"])
            operation = draw.choice(["set", "set", "set", "del", "pop", "setdefault", "update"])
            outcomes = []
            for headers in (fast, slow):
                try:
                    if operation == "set":
                        headers[name] = value
                    elif operation == "del":
                        del headers[name]
                    elif operation == "pop":
                        outcomes.append(headers.pop(name, None))
                    elif operation == "setdefault":
                        outcomes.append(headers.setdefault(name, value))
                    else:
                        headers.update({name: value, other: value * 2})
                except KeyError:
                    outcomes.append(KeyError)
            assert outcomes[: len(outcomes) // 2] == outcomes[len(outcomes) // 2:]
            assert list(fast.items()) == list(slow.items()) and repr(fast) == repr(slow) and len(fast) == len(slow)
            assert all((n in fast) == (n in slow) and fast.get(n, 0) == slow.get(n, 0) for n in names)
            assert list(fast.copy().items()) == list(slow.copy().items()) and fast == dict(slow.items())


def test_access_keys_are_read_from_requests_as_moto_reads_them(stack):
    """The access key of a SigV4 or SigV2 header, or of the query string, or moto's stand-in without either."""
    from moto.core.responses import BaseResponse

    from local.emulation import fast_requests

    cases = [
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFASTPATHS0000001/20261127/us-east-1/sqs/aws4_request, "
                           "SignedHeaders=host, Signature=0"}, {}),
        ({"Authorization": "AWS AKIAFASTPATHS0000002:c2lnbmF0dXJl"}, {}),
        ({"Authorization": "Bearer token"}, {"AWSAccessKeyId": ["AKIAFASTPATHS0000003"]}),
        ({}, {"AWSAccessKeyId": ["AKIAFASTPATHS0000004"]}),
        ({}, {}),
        # Keys moto's pattern does not take (not 20 capitals and digits), as test set-ups and the engine use.
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/states/aws4_request, "
                           "SignedHeaders=host, Signature=0"}, {}),
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/ec2/aws4_request, "
                           "SignedHeaders=host, Signature=0"}, {"AWSAccessKeyId": ["AKIAFASTPATHS0000005"]}),
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/ec2/aws4_request, "
                           "SignedHeaders=host, Signature=0"}, {"AWSAccessKeyId": []}),
    ]
    for headers, querystring in cases * 2:  # the second round answers from the kept results
        response = BaseResponse()
        response.headers, response.querystring = headers, querystring
        assert response.get_access_key() == fast_requests.moto_get_access_key(response)


def test_date_headers_are_the_ones_werkzeug_writes(stack):
    """The ``Date`` of an answer is werkzeug's text for that second, whatever the time zone or the second before."""
    from moto.core import responses

    from local.emulation import fast_requests

    utc, plus_two = datetime.UTC, datetime.timezone(datetime.timedelta(hours=2))
    start = datetime.datetime(2026, 11, 27, 23, 59, 58, 999_000, tzinfo=utc)
    moments = [start + datetime.timedelta(milliseconds=step) for step in range(0, 3000, 250)]
    moments += [moment.astimezone(plus_two) for moment in moments] + [start.replace(tzinfo=None), None, 0]
    for moment in moments:
        assert responses.http_date(moment) == fast_requests.moto_http_date(moment)


#: Calls of each plain-body protocol, as Task states make them: (service, operation, parameters).
ENGINE_CALLS = [
    ("events", "put_events", {"Entries": [{"Source": "fast.paths", "DetailType": "Check", "Detail": '{"a": [1]}'}]}),
    ("dynamodb", "get_item", {"TableName": "fast-paths-missing", "Key": {"Id": {"S": "x"}}}),  # an error answer
    ("ec2", "describe_tags", {"Filters": [{"Name": "resource-type", "Values": ["instance"]}]}),
    ("sns", "list_topics", {}),  # query protocol
    ("ssm", "get_parameter", {"Name": "/fast-paths/missing"}),
    ("stepfunctions", "list_state_machines", {"maxResults": 5}),
]


def _as_sent(client, operation, parameters):
    """The request ``client`` hands to moto for the call and what the call gives, with time and ids made even."""
    import re

    seen = []
    client.meta.events.register_first("before-send", lambda request, **_: seen.append(request))
    try:
        answer = getattr(client, operation)(**parameters)
    except ClientError as error:
        answer = error.response
    [request] = seen
    uuid_or_date = r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|\d{8}(T\d{6}Z)?"
    even = lambda text: re.sub(uuid_or_date, "<varies>", text)  # noqa: E731
    headers = [(name, even(value if isinstance(value, str) else value.decode()))
               for name, value in request.headers.items() if name != "amz-sdk-invocation-id"]
    meta = answer.pop("ResponseMetadata")
    meta = {key: value for key, value in meta.items() if key not in ("RequestId", "HTTPHeaders")}
    return (request.method, request.url, request.body, headers, type(request.headers).__name__,
            even(json.dumps(answer, default=str)), list(meta.items()))


@pytest.mark.parametrize(("service", "operation", "parameters"), ENGINE_CALLS, ids=[c[0] for c in ENGINE_CALLS])
def test_engine_calls_reach_moto_as_botocore_would_send_them(stack, service, operation, parameters):
    """A Task state's SDK call hands moto the request botocore's own handlers would: same URL, body and headers.

    The engine's clients skip botocore's signing, request preparation and retry checks (they never retry); the
    request moto gets and the answer the task gets are those of a client of the same configuration that does not.
    """
    from local.emulation import fast_requests
    from local.engine import sdk

    direct, standard = sdk.make_sdk_client(service), sdk.make_sdk_client(service)
    fast_requests.send_straight_to_moto(direct)
    sent = []
    original = fast_requests.direct_request
    fast_requests.direct_request = lambda *args: sent.append(args) or original(*args)
    try:
        assert _as_sent(direct, operation, parameters) == _as_sent(standard, operation, parameters)
    finally:
        fast_requests.direct_request = original
    assert len(sent) == 1  # the direct client did send it directly


def test_engine_clients_with_handlers_of_their_own_take_botocores_way(stack):
    """A handler registered on signing or retries of an engine client is honoured: that call is not sent directly."""
    from local.emulation import fast_requests
    from local.engine import sdk

    client = sdk.make_sdk_client("events")
    fast_requests.send_straight_to_moto(client)
    created, checked = [], []
    client.meta.events.register("request-created.eventbridge.ListRules", lambda **_: created.append(1))
    client.meta.events.register("needs-retry.eventbridge.ListEventBuses", lambda **_: checked.append(1))
    client.list_rules()
    client.list_event_buses()
    client.list_archives()
    assert created == [1] and checked == [1]
    assert fast_requests._standard_handlers(client.meta.events, "eventbridge", "ListArchives")
    assert not fast_requests._standard_handlers(client.meta.events, "eventbridge", "ListRules")


def test_in_process_requests_carry_aws_shaped_authorization(stack):
    """Requests moto answers in-process still carry X-Amz-Date and a SigV4 Authorization header.

    Moto reads the credential scope (access key, date, region, service) and the signed headers from it.
    """
    client = boto3.client("sqs", region_name="eu-west-1", aws_access_key_id="AKIAFASTPATHS0000001",
                          aws_secret_access_key="secret")
    seen = []
    client.meta.events.register_first("before-send", lambda request, **_: seen.append(dict(request.headers)))
    queue = client.create_queue(QueueName=f"fast-paths-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    headers = seen[-1]
    date = headers["X-Amz-Date"].decode() if isinstance(headers["X-Amz-Date"], bytes) else headers["X-Amz-Date"]
    authorization = headers["Authorization"]
    authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential=AKIAFASTPATHS0000001/{date[:8]}/eu-west-1/sqs/"
                                    "aws4_request, SignedHeaders=")
    assert "host" in authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert ":eu-west-1:" in client.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]


def test_in_process_authorization_names_the_headers_botocore_signs(stack):
    """The in-process Authorization header is botocore's, signed headers included; only the signature is unchecked."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("POST", "https://sqs.us-east-1.amazonaws.com/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues", "User-Agent": "u",
        "Expect": "100-continue"})
    signer = SigV4Auth(Credentials("AKIAFASTPATHS0000001", "secret", "token"), "sqs", "us-east-1")
    signer.add_auth(request)
    fast = request.headers["Authorization"]
    del request.headers["Authorization"]
    signer._inject_signature_to_request(request, "0" * 64)

    assert fast == request.headers["Authorization"]
    assert request.headers["X-Amz-Security-Token"] == "token" and "X-Amz-Date" in request.headers


def test_requests_that_leave_the_process_are_signed(stack):
    """A client aimed at another endpoint (the ``serve`` endpoint, say) signs with SigV4 as botocore does."""
    from botocore.awsrequest import AWSResponse

    client = boto3.client("sqs", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="AKIAFASTPATHS0000001", aws_secret_access_key="secret")
    seen = []

    def answer(request, **_):
        seen.append(request.headers["Authorization"])
        return AWSResponse(request.url, 200, {}, None)

    client.meta.events.register_first("before-send", answer)
    with pytest.raises(Exception):  # noqa: B017 - the canned answer does not parse; the request was sent
        client.list_queues()
    signature = (seen[0].decode() if isinstance(seen[0], bytes) else seen[0]).rsplit("Signature=", 1)[1]
    assert len(signature) == 64 and set(signature) <= set(string.hexdigits) and signature != "0" * 64


def test_unknown_aws_urls_get_motos_answer(stack):
    """A request for an AWS URL no local service serves is refused as moto refuses it."""
    from moto.core.botocore_stubber import BotocoreStubber

    request = AWSPreparedRequest("GET", "https://no-such-service.us-east-1.amazonaws.com/x", {}, None, False)
    assert BotocoreStubber().process_request(request) == (404, {}, "Not yet implemented")


def test_request_ids_draw_from_motos_random_source_as_before(stack):
    """Request ids come from moto's random source exactly as ``random.choice`` per character drew them."""
    from moto.moto_api._internal import mock_random

    state = mock_random.getstate()
    try:
        mock_random.seed(42)
        drawn = mock_random.get_random_string(length=52)
        expected = random.Random(42)
        pool = string.ascii_letters + string.digits
        assert drawn == "".join(expected.choice(pool) for _ in range(52))
        assert mock_random.get_random_string(length=8, include_digits=False, lower_case=True).islower()
    finally:
        mock_random.setstate(state)


def test_xml_responses_carry_their_request_id(stack):
    """A query-protocol (XML) answer's RequestId is the response's request id header; JSON bodies are unchanged."""
    sns = stack.client("sns")
    response = sns.list_topics()
    assert response["ResponseMetadata"]["RequestId"] == response["ResponseMetadata"]["HTTPHeaders"][
        "x-amzn-requestid"]
    assert len(response["ResponseMetadata"]["RequestId"]) == 52


# --- services ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", [None, "Order shipped"])
def test_sns_envelopes_verify_with_the_certificate_they_name(stack, subject):
    """An SNS notification delivered to a queue verifies with the certificate at its SigningCertURL.

    SHA256withRSA over the fields AWS signs, the Subject included when given; one certificate for every message.
    """
    from moto.sns.models import sns_backends

    sns = stack.client("sns")
    topic = sns.create_topic(Name=f"fast-paths-{uuid.uuid4().hex[:8]}")["TopicArn"]
    inbox = stack.inbox(topic)
    try:
        for body in ("first", "second"):
            sns.publish(TopicArn=topic, Message=body, **({"Subject": subject} if subject else {}))
        first, second = stack.eventually(lambda: (m := inbox.messages()) and len(m) == 2 and m)
    finally:
        inbox.close()

    assert first["SigningCertURL"] == second["SigningCertURL"]
    key_name = first["SigningCertURL"].rsplit("/", 1)[1]
    pem = sns_backends["123456789012"]["us-east-1"]._message_public_keys[key_name]
    certificate = x509.load_pem_x509_certificate(pem)
    for envelope in (first, second):
        signed = ["Message", "MessageId", *(["Subject"] if subject else []), "Timestamp", "TopicArn", "Type"]
        assert ("Subject" in envelope) is bool(subject)
        text = "".join(f"{name}\n{envelope[name]}\n" for name in signed)
        certificate.public_key().verify(base64.b64decode(envelope["Signature"]), text.encode(),
                                        padding.PKCS1v15(), hashes.SHA256())


def test_sqs_deduplicates_by_content_only_on_queues_that_ask(stack):
    """Content-based deduplication drops a FIFO duplicate; a standard queue keeps both and delivers, however full."""
    sqs = stack.client("sqs")
    name = f"fast-paths-{uuid.uuid4().hex[:8]}"
    fifo = sqs.create_queue(QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true",
                                                                   "ContentBasedDeduplication": "true"})["QueueUrl"]
    standard = sqs.create_queue(QueueName=name)["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    for i in range(120):
        sqs.send_message(QueueUrl=standard, MessageBody="same" if i < 2 else f"m{i}")

    counts = {url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] for url in (fifo, standard)}
    assert counts == {fifo: "1", standard: "120"}
    received = sqs.receive_message(QueueUrl=standard, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert len(received) == 10 and all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in received)
    plain_fifo = sqs.create_queue(QueueName=f"{name}-plain.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=plain_fifo, MessageBody="x", MessageGroupId="g")
    assert refused.value.response["Error"]["Code"] in ("InvalidParameterValue", "InvalidParameterValueException")


# --- start-up ------------------------------------------------------------------------------------------------------


def test_ec2_instance_type_offerings_are_the_files_moto_reads(stack):
    """Every location type and region lists the offerings of its file, each with its LocationType."""
    import moto
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS
    from moto.utilities.utils import load_resource

    root = os.path.join(os.path.dirname(moto.__file__), "ec2", "resources", "instance_type_offerings")
    assert sorted(INSTANCE_TYPE_OFFERINGS) == sorted(os.listdir(root))
    for location_type in os.listdir(root):
        offerings = INSTANCE_TYPE_OFFERINGS[location_type]
        assert sorted(offerings) == sorted(name.split(".")[0] for name in os.listdir(os.path.join(root, location_type)))
        for name in os.listdir(os.path.join(root, location_type)):
            expected = [offering | {"LocationType": location_type} for offering in
                        load_resource(os.path.join("ec2", "resources", "instance_type_offerings", location_type, name))]
            assert offerings.get(name.split(".")[0]) == expected
    assert stack.client("ec2").describe_instance_type_offerings(
        Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])["InstanceTypeOfferings"] == [
        {"InstanceType": "t3.micro", "LocationType": "region", "Location": "us-east-1"}]


def test_api_models_read_from_the_cache_are_the_files_json(tmp_path, monkeypatch):
    """API models of botocore and moto (gzip and plain JSON) read back from the cache equal the files' JSON.

    The second read comes from the cache (the file is not opened again); a file changed since it was cached is
    read again; a cache that cannot be written only costs speed.
    """
    import gzip

    import botocore
    import moto

    from local.engine import caches

    monkeypatch.setattr(caches, "API_MODELS_CACHE", tmp_path / "models")
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    files = [(os.path.join(data, "ec2", "2016-11-15", "service-2.json.gz"), gzip.open),
             (os.path.join(data, "endpoints.json"), open),
             (os.path.join(os.path.dirname(moto.__file__), "sqs", "2012-11-05", "service-2.moto-extras.json.gz"),
              gzip.open)]

    def never_opened(*_args):
        raise AssertionError("the file was read again")

    for path, open_method in files:
        with open_method(path, "rb") as file:
            expected = json.loads(file.read().decode("utf-8"))
        first = caches.read_api_model(path, open_method)
        again = caches.read_api_model(path, never_opened)
        assert first == again == expected
        assert list(again) == list(expected)  # key order, which botocore's shapes keep
        assert again is not first

    changed = tmp_path / "service-2.json"
    changed.write_text('{"version": "1.0"}')
    assert caches.read_api_model(str(changed), open) == {"version": "1.0"}
    changed.write_text('{"version": "2.0", "metadata": {}}')
    assert caches.read_api_model(str(changed), open) == {"version": "2.0", "metadata": {}}

    (tmp_path / "blocked").write_text("a file where the cache's folder would be")
    monkeypatch.setattr(caches, "API_MODELS_CACHE", tmp_path / "blocked" / "models")
    assert caches.read_api_model(str(changed), open) == {"version": "2.0", "metadata": {}}


def test_sessions_share_one_model_loader_and_moto_keeps_its_extras(stack):
    """Every session reads each API model once; moto's request parsers still see moto's additions to them."""
    from moto.core.utils import get_service_model

    first, second = boto3.session.Session(), boto3.session.Session()
    loader = first._session.get_component("data_loader")
    assert loader is second._session.get_component("data_loader")
    assert len(loader.search_paths) == len(set(loader.search_paths))
    assert "query" in get_service_model("sqs").metadata["protocols"]  # moto's extras for SQS
    assert "query" not in first.client("sqs", region_name="us-east-1").meta.service_model.metadata.get(
        "protocols", [])


def test_rules_deliver_to_topics_and_dead_letter_what_they_cannot(stack):
    """A rule's SNS target gets the event as the topic's message; a deleted topic's events are dead-lettered.

    Once the topic is gone, the event goes to the rule's dead-letter queue, after the retries, with the error
    the SNS API gives (NotFoundException).
    """
    sqs, sns, events = stack.client("sqs"), stack.client("sns"), stack.client("events")
    topic = sns.create_topic(Name=f"fast-paths-{uuid.uuid4().hex[:8]}")["TopicArn"]
    dlq = sqs.create_queue(QueueName=f"fast-paths-dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"fast-paths-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["fast.paths"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic, "DeadLetterConfig": {"Arn": dlq_arn},
                                            "RetryPolicy": {"MaximumRetryAttempts": 1}}])
    inbox = stack.inbox(topic)
    try:
        events.put_events(Entries=[{"Source": "fast.paths", "DetailType": "Delivered", "Detail": '{"n": 1}'}])
        (envelope,) = stack.eventually(inbox.messages)
    finally:
        inbox.close()
    assert json.loads(envelope["Message"])["detail"] == {"n": 1} and envelope["TopicArn"] == topic

    sns.delete_topic(TopicArn=topic)
    events.put_events(Entries=[{"Source": "fast.paths", "DetailType": "Lost", "Detail": '{"n": 2}'}])
    (lost,) = stack.eventually(lambda: sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"]).get("Messages"))
    assert json.loads(lost["Body"])["detail"] == {"n": 2}
    assert lost["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NotFoundException"


def test_every_rule_gets_an_envelope_of_its_own(stack):
    """An event matched by two rules reaches both queues whole, and moto's envelope template stays blank.

    PutEvents fills a copy of moto's envelope per rule; the copy is a JSON copy now (it was ``copy.deepcopy``).
    """
    from moto.events.utils import _BASE_EVENT_MESSAGE

    blank = copy.deepcopy(_BASE_EVENT_MESSAGE)
    sqs, events = stack.client("sqs"), stack.client("events")
    source = f"fast.paths.{uuid.uuid4().hex[:8]}"
    queues = []
    for name in ("first", "second"):
        queue = sqs.create_queue(QueueName=f"fast-paths-{name}-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{source}-{name}".replace(".", "-"), EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=f"{source}-{name}".replace(".", "-"), Targets=[{"Id": name, "Arn": arn}])
        queues.append(queue)
    events.put_events(Entries=[{"Source": source, "DetailType": "Copied", "Detail": '{"n": [1, 2]}',
                                "Resources": ["arn:aws:s3:::bucket"]}])
    delivered = [json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"]) for queue in queues]

    assert [(e["source"], e["detail-type"], e["detail"], e["resources"]) for e in delivered] == [
        (source, "Copied", {"n": [1, 2]}, ["arn:aws:s3:::bucket"])] * 2
    assert delivered[0]["id"] == delivered[1]["id"] and blank == _BASE_EVENT_MESSAGE


EVENT = {"version": "0", "id": "e1", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
         "account": "123456789012", "time": 1767225600.5, "region": "us-east-1",
         "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
         "detail": {"instance-id": "i-1", "state": "stopped", "tags": {"Name": "web"}, "cpu": 2, "spot": False,
                    "zones": ["a", "b"], "nothing": None, "empty": {}}}


@pytest.mark.parametrize("pattern", [
    {}, {"source": ["aws.ec2"]}, {"source": ["aws.s3"]}, {"detail": {"state": ["stopped", "terminated"]}},
    {"detail": {"tags": {"Name": [{"prefix": "we"}]}}}, {"detail": {"cpu": [{"numeric": [">", 1]}]}},
    {"detail": {"spot": [False]}}, {"detail": {"zones": ["b"]}}, {"detail": {"nothing": [None]}},
    {"detail": {"missing": [{"exists": False}]}}, {"detail": {"state": [{"anything-but": "running"}]}},
    {"resources": [{"suffix": "/i-1"}]}, {"$or": [{"source": ["aws.s3"]}, {"detail": {"cpu": [2]}}]},
    {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]},
    {"detail": {"state": ["running"]}}, {"detail": {"cpu": [{"numeric": [">", 2]}]}},
    {"detail": {"instance-id": [{"exists": False}]}}, {"detail": {"tags": {"Name": [{"prefix": "db"}]}}},
    {"detail": {"spot": [True]}}, {"detail": {"zones": ["c"]}}, {"resources": [{"suffix": "/i-2"}]},
])
def test_rules_match_events_as_moto_matched_them(stack, pattern):
    """A rule's pattern matches an event (EC2 state change, every kind of JSON value) exactly when moto said so."""
    from moto.events.models import EventPattern

    from local.emulation import fast_services

    rule_pattern = EventPattern.load(json.dumps(pattern))
    assert rule_pattern.matches_event(copy.deepcopy(EVENT)) == fast_services.moto_matches_event(rule_pattern, EVENT)


@contextlib.contextmanager
def motos_serializer():
    """Moto's own structure serializers, for as long as the block runs."""
    from unittest import mock

    from moto.core import serialize

    from local.emulation import fast_responses

    with mock.patch.object(serialize.ResponseSerializer, "_serialize_type_structure",
                           fast_responses.moto_serialize_structure), \
            mock.patch.object(serialize.BaseJSONSerializer, "_serialize_type_structure",
                              fast_responses.moto_serialize_json_structure):
        yield


_ATTRIBUTE_VALUES = st.recursive(
    st.one_of(
        st.builds(lambda s: {"S": s}, st.text(max_size=8)),
        st.builds(lambda n: {"N": str(n)}, st.integers(-10**6, 10**6)),
        st.builds(lambda b: {"B": b}, st.one_of(st.binary(max_size=8), st.text(max_size=8))),
        st.builds(lambda v: {"SS": v}, st.lists(st.text(max_size=4), max_size=3)),
        st.builds(lambda v: {"NS": [str(n) for n in v]}, st.lists(st.integers(), max_size=3)),
        st.builds(lambda v: {"BS": v}, st.lists(st.binary(max_size=4), max_size=3)),
        st.just({"NULL": True}), st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"S": None}), st.just({"s": "lower-case member name"}), st.just({"S": 7}),
    ),
    lambda children: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=4), children, max_size=3)),
        st.builds(lambda v: {"L": v}, st.lists(children, max_size=3))),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)  # the same items every run
@example(items=[{"": {"S": "top-level empty name"}, "m": {"M": {"": {"S": "empty key"}, "k": {"NULL": True}}}}])
@given(items=st.lists(st.dictionaries(st.text(max_size=6), _ATTRIBUTE_VALUES, max_size=4), max_size=4))
def test_dynamodb_items_are_written_as_motos_serializer_wrote_them(stack, items):
    """Items a Scan answers (every attribute type, nested maps and lists, odd values) are the same JSON text."""
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model

    operation = get_service_model("dynamodb").operation_model("Scan")
    result = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
    fast = JSONSerializer(operation, value_picker=XFormedAttributePicker()).serialize(copy.deepcopy(result))
    with motos_serializer():
        moto = JSONSerializer(operation, value_picker=XFormedAttributePicker()).serialize(copy.deepcopy(result))
    assert fast["body"] == moto["body"]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@example(names=["DescribeTagsResponse", "item", "a b", "?pi", "!x", "a<b", "a/b", 'a"b', "a=b", "tab\tname", "é", ""])
@given(names=st.lists(st.one_of(st.text(max_size=6), st.sampled_from(["requestId", "tagSet", "key", "value"]),
                                st.integers(), st.none(), st.binary(max_size=3)), max_size=8))
def test_xml_names_are_checked_as_xmltodict_checks_them(stack, names):
    """Each element or attribute name, asked twice: accepted or refused with xmltodict's own error, every time."""
    import xmltodict

    from local.emulation import fast_responses

    def outcome(check, name, kind):
        try:
            return check(name, kind)
        except ValueError as error:
            return ("ValueError", str(error))

    for name in names * 2:
        for kind in ("element", "attribute"):
            assert outcome(xmltodict._validate_name, name, kind) == outcome(
                fast_responses.xmltodict_validate_name, name, kind)


def test_api_answers_are_the_ones_motos_serializer_wrote(stack):
    """After a call analysis and an image moderation ran: histories, descriptions, scans and listings are the same.

    JSON (Step Functions, DynamoDB, EventBridge, SSM) and query protocols (EC2, SNS, SQS) alike.

    Each answer is asked for twice, through the engine's serializer and through moto's own, and compared as the
    SDK reads it (every member, nested details, timestamps).
    """
    from local.workflows import registry

    journeys, _ = registry(stack.template.root, stack.template).journeys(
        stack, ["call-center-analysis", "image-catalog"], main_only=True)
    arns = [journey.run(stack) for journey in journeys]
    sfn, ddb, events, ssm, ec2, sns, sqs = (stack.client(name) for name in (
        "stepfunctions", "dynamodb", "events", "ssm", "ec2", "sns", "sqs"))
    machine = sfn.describe_execution(executionArn=arns[0])["stateMachineArn"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "fast-paths"}]}])["Instances"][0]["InstanceId"]
    calls = [*((sfn.get_execution_history, {"executionArn": arn, "maxResults": 1000}) for arn in arns),
             *((sfn.describe_execution, {"executionArn": arn}) for arn in arns),
             (sfn.describe_state_machine, {"stateMachineArn": machine}),
             (sfn.list_executions, {"stateMachineArn": machine}), (sfn.list_state_machines, {}),
             (ddb.scan, {"TableName": stack.resource("ImageCatalogTable")}),
             (ddb.describe_table, {"TableName": stack.resource("ImageCatalogTable")}),
             (events.list_rules, {}), (ssm.describe_parameters, {}),
             (ec2.describe_tags, {"Filters": [{"Name": "resource-id", "Values": [instance]}]}),
             (ec2.describe_instances, {}), (sns.list_topics, {}), (sns.list_subscriptions, {}),
             (sqs.list_queues, {})]

    def answers() -> list:
        return [{k: v for k, v in call(**kwargs).items() if k != "ResponseMetadata"} for call, kwargs in calls]

    fast = answers()
    with motos_serializer():
        assert answers() == fast
    assert len(fast[0]["events"]) > 20 and fast[len(arns) * 2 + 3]["Items"]
    assert [tag["Value"] for tag in fast[-5]["Tags"]] == ["fast-paths"]
