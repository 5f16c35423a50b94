"""Lambda functions created through the Lambda API run as Lambda runs them: their handler from their zip.

Each test deploys a small function with ``CreateFunction`` (a zip, a Python runtime), as a user of ``serve``
would, and invokes it from a state machine or the Invoke API. The template's own functions run in-process and
are covered by the workflow tests.
"""

from __future__ import annotations

import base64
import json
import os

from tests.functional.conftest import zip_of
from tests.support.engine import execute, machine


def invoke_machine(stack, resource: str = "arn:aws:states:::lambda:invoke", **task) -> str:
    """A one-state machine invoking the function named in the input, catching every error."""
    state = {"Type": "Task", "Resource": resource, "End": True,
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], **task}
    if resource == "arn:aws:states:::lambda:invoke":
        state.setdefault("Parameters", {"FunctionName.$": "$.function", "Payload.$": "$.event"})
    return machine(stack, {"StartAt": "Invoke", "States": {"Invoke": state, "Failed": {"Type": "Pass", "End": True}}})


def test_function_runs_its_handler_from_the_zip_with_its_environment(stack, deploy):
    """The handler in the zip runs, in a process of its own, with the function's environment variables."""
    name = deploy("import os\n\ndef handler(event, context):\n"
                  "    return {'greeting': os.environ['GREETING'] + ' ' + event['name'], 'pid': os.getpid(),\n"
                  "            'function': context.function_name, 'root': os.environ['LAMBDA_TASK_ROOT']}\n",
                  environment={"GREETING": "hello"})
    result = execute(stack, invoke_machine(stack), {"function": name, "event": {"name": "Ada"}})
    assert result.status == "SUCCEEDED"
    payload = result.output["Payload"]
    assert payload["greeting"] == "hello Ada"
    assert payload["function"] == name
    assert payload["pid"] != os.getpid()
    assert result.output["StatusCode"] == 200


def test_unhandled_exception_is_caught_by_its_class_name(stack, deploy):
    """An exception the handler raises fails the Task with the exception's name, Lambda's error JSON as cause."""
    name = deploy("class PaymentDeclined(Exception):\n    pass\n\n"
                  "def handler(event, context):\n    raise PaymentDeclined('card declined')\n")
    arn = machine(stack, {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                   "Parameters": {"FunctionName": name, "Payload": {}},
                   "Catch": [{"ErrorEquals": ["PaymentDeclined"], "Next": "Declined"}]},
        "Declined": {"Type": "Pass", "End": True}}})
    result = execute(stack, arn)
    assert result.states == ["Charge", "Declined"]
    assert result.output["Error"] == "PaymentDeclined"
    cause = json.loads(result.output["Cause"])
    assert (cause["errorType"], cause["errorMessage"]) == ("PaymentDeclined", "card declined")
    assert cause["stackTrace"] == ['  File "/var/task/handler.py", line 5, in handler\n'
                                   "    raise PaymentDeclined('card declined')\n"]
    assert result.output["Cause"] == json.dumps(cause, separators=(",", ":")), "lambda:invoke writes compact JSON"


def test_lambda_resource_reports_the_error_payload_as_the_function_wrote_it(stack, deploy):
    """With ``Resource: <function ARN>`` the cause is the runtime's own JSON text, not re-serialised."""
    name = deploy("def handler(event, context):\n    raise ValueError('bad input')\n")
    arn = stack.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    result = execute(stack, invoke_machine(stack, resource=arn))
    assert result.output["Error"] == "ValueError"
    assert result.output["Cause"].startswith('{"errorMessage": "bad input", "errorType": "ValueError", ')


def test_function_that_outlives_its_timeout_fails_as_lambda_reports_it(stack, deploy):
    """A function that runs past its Timeout is stopped; the Task fails with Sandbox.Timedout."""
    name = deploy("import time\n\ndef handler(event, context):\n    time.sleep(30)\n", timeout=1)
    result = execute(stack, invoke_machine(stack), {"function": name, "event": {}}, timeout=20)
    assert result.output["Error"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in json.loads(result.output["Cause"])["errorMessage"]


def test_result_over_256_kib_fails_the_state_with_data_limit_exceeded(stack, deploy):
    """A function result larger than a state may hold fails the Task with States.DataLimitExceeded."""
    name = deploy("def handler(event, context):\n    return 'a' * (257 * 1024)\n")
    result = execute(stack, invoke_machine(stack), {"function": name, "event": {}})
    assert result.output == {
        "Error": "States.DataLimitExceeded",
        "Cause": "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes "
                 "service limit.",
    }


def test_missing_function_is_resource_not_found_naming_latest(stack):
    """Invoking a function that does not exist fails with Lambda.ResourceNotFoundException, as AWS words it."""
    result = execute(stack, invoke_machine(stack), {"function": "no-such-function", "event": {}})
    assert result.output["Error"] == "Lambda.ResourceNotFoundException"
    assert result.output["Cause"].startswith(
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function:$LATEST "
        "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ")
    assert result.output["Cause"].endswith("; Proxy: null)")


def test_function_of_another_runtime_gets_one_clear_error(stack, deploy):
    """A Node.js function cannot run locally: the invocation fails with an error naming its runtime."""
    name = deploy("exports.handler = async () => 1;", runtime="nodejs20.x")
    result = execute(stack, invoke_machine(stack), {"function": name, "event": {}})
    assert result.output["Error"] == "Lambda.InvalidRuntimeException"
    assert "Runtime nodejs20.x" in result.output["Cause"]
    assert "Python functions (python3.x runtimes) only" in result.output["Cause"]


def test_warm_environment_keeps_module_state_until_the_code_changes(stack, deploy):
    """Module-level state survives between invocations, as in a warm Lambda environment; new code starts afresh."""
    lam = stack.client("lambda")
    name = deploy("calls = 0\n\ndef handler(event, context):\n    global calls\n    calls += 1\n    return calls\n")
    counts = [json.loads(lam.invoke(FunctionName=name)["Payload"].read()) for _ in range(3)]
    assert counts == [1, 2, 3]
    lam.update_function_code(FunctionName=name, ZipFile=zip_of("def handler(event, context):\n    return 'v2'\n"))
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "v2"


def test_bytes_returned_by_the_handler_are_the_payload_unchanged(stack, deploy):
    """A handler returning bytes hands them over as they are: JSON text in bytes arrives as that JSON value."""
    name = deploy("def handler(event, context):\n    return b'\"HelloWorld!\"'\n")
    result = execute(stack, invoke_machine(stack), {"function": name, "event": {}})
    assert result.output["Payload"] == "HelloWorld!"


def test_log_tail_holds_the_function_output(stack, deploy):
    """With LogType Tail the answer carries the end of the invocation's log: what the function printed."""
    name = deploy("def handler(event, context):\n    print('charging', event['order'])\n    return 'ok'\n")
    answer = stack.client("lambda").invoke(FunctionName=name, Payload=b'{"order": "o-7"}', LogType="Tail")
    log = base64.b64decode(answer["LogResult"]).decode()
    assert "charging o-7" in log
    assert log.startswith("START RequestId: ")
    assert "REPORT RequestId: " in log


def test_import_error_is_reported_as_lambda_runtime_error(stack, deploy):
    """A handler module that cannot be imported fails every invocation with Runtime.ImportModuleError."""
    name = deploy("import no_such_module\n\ndef handler(event, context):\n    return 1\n")
    result = execute(stack, invoke_machine(stack), {"function": name, "event": {}})
    assert result.output["Error"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'handler': No module named 'no_such_module'" in result.output["Cause"]
