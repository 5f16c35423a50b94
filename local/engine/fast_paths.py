"""Speed: the interpreter does the same work with less copying (behaviour unchanged).

Measured on ``python -m local bench`` (py-spy, yappi): moto's interpreter deep-copies a state's input, result,
parameters and context several times per state with ``copy.deepcopy``, about 800 calls per EC2 enrichment
execution. What it copies is JSON (dicts, lists, strings, numbers, booleans, null) and a few small program
state objects, for which :func:`json_copy` gives the same copy three to four times faster.

jsonata-python looks names up recursively (:func:`_look_jsonata_names_up_without_recursion`).

Each fast path has a test in ``tests/unit/test_fast_paths.py``.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import threading
import types
from typing import Any

#: Values ``copy.deepcopy`` returns unchanged or that nothing mutates in place.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes, datetime.datetime, datetime.date, decimal.Decimal})

#: moto's program state classes (plain attributes only), filled by :func:`_copy_json_quickly`.
_PLAIN_OBJECTS: tuple[type, ...] = ()


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data; anything else is copied by ``copy.deepcopy``.

    Unlike ``copy.deepcopy`` the copy shares nothing between two places that shared a value in the original:
    JSON has no shared values, and a state that changes one place in place must not change the other.
    """
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    if isinstance(value, _PLAIN_OBJECTS):
        clone = object.__new__(kind)
        clone.__dict__.update(json_copy(vars(value)))
        return clone
    return copy.deepcopy(value)


#: The interpreter modules whose ``copy.deepcopy`` calls copy state data.
_COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map",
)


def _copy_json_quickly() -> None:
    """``copy.deepcopy`` of each state's data, about 800 calls per execution: :func:`json_copy` instead."""
    import importlib

    from moto.stepfunctions.parser.asl.eval import program_state

    global _PLAIN_OBJECTS  # noqa: PLW0603 - set once, when the interpreter is patched
    base = program_state.ProgramState
    _PLAIN_OBJECTS = tuple(cls for cls in vars(program_state).values()
                           if isinstance(cls, type) and issubclass(cls, base) and cls is not base)
    fast_copy = types.SimpleNamespace(**{**{name: getattr(copy, name) for name in copy.__all__}, "deepcopy": json_copy})
    for name in _COPYING_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "copy", None) is copy:
            module.copy = fast_copy


def _look_jsonata_names_up_without_recursion() -> None:
    """jsonata-python looks every name up through a chain of frames, recursively, twice per evaluation step.

    Every step asks for its entry and exit hooks (none are set), so each lookup walks to the root frame:
    about 2,000 lookups per EC2 enrichment execution. The same walk, as a loop; and two helpers that imported
    their own package on every call (about 50 times per evaluation) use it as imported once.
    """
    from jsonata import jsonata, utils

    missing = utils.Utils.NONE

    def lookup(self, name: str) -> Any:
        frame = self
        while frame is not None:
            value = frame.bindings.get(name, missing)
            if value is not missing:
                return value
            frame = frame.parent
        return None

    jsonata.Jsonata.Frame.lookup = lookup

    # Two helpers called at every function argument imported their own package on each call.
    from jsonata import functions, signature

    callable_type = jsonata.Jsonata.JFunctionCallable
    utils.Utils.is_function = staticmethod(lambda value: isinstance(value, callable_type))
    symbols = ((str, "s"), (bool, "b"), ((int, float), "n"), (list, "a"), (dict, "o"))

    def get_symbol(self, value: Any) -> str:
        if value is None:
            return "m"
        if isinstance(value, callable_type) or functions.Functions.is_lambda(value) or \
                functions.Functions.is_regex(value):
            return "f"
        return next((symbol for kinds, symbol in symbols if isinstance(value, kinds)), "m")

    signature.Signature.get_symbol = get_symbol


class _ExecutionIndex:
    """A state machine's executions by name and by ARN, kept up to date from its (append-only) list."""

    def __init__(self, executions: list[Any]) -> None:
        self.executions, self.seen = executions, 0
        self.by_name: dict[str, Any] = {}
        self.by_arn: dict[str, Any] = {}

    def update(self) -> _ExecutionIndex:
        for execution in self.executions[self.seen:]:
            self.by_name.setdefault(execution.name, execution)  # the first one, as moto's scan finds it
            self.by_arn.setdefault(execution.execution_arn, execution)
        self.seen = len(self.executions)
        return self


_PLAIN_VALUES = (str, int, float, bool, dict)
_ROUTINE = frozenset({"_outer_instance", "id", "position", "value", "type", "steps"})


def _plain(node: Any, kind: str) -> bool:
    """Whether a jsonata-python AST node is of ``kind`` with nothing but its name (no predicate, stage, group…)."""
    return getattr(node, "type", None) == kind and all(
        not value for name, value in vars(node).items() if name not in _ROUTINE)


def _reference_plan(expression: Any) -> tuple[str, tuple[str, ...]] | None:
    """``$name`` or ``$name.key.key…`` (a variable and field names): the variable and the keys; else None."""
    ast = expression.ast
    if _plain(ast, "variable") and ast.value:
        return ast.value, ()
    steps = getattr(ast, "steps", None)
    if _plain(ast, "path") and steps and _plain(steps[0], "variable") and steps[0].value and all(
            _plain(step, "name") and isinstance(step.value, str) for step in steps[1:]):
        return steps[0].value, tuple(step.value for step in steps[1:])
    return None


def _read_plain_references_directly() -> None:
    """A third of a workflow's JSONata expressions only read a variable or a field of one (``$states.input``).

    jsonata-python evaluates each through a frame of every variable and its generic path machinery, about
    20 µs. When the expression is exactly ``$name`` or ``$name.key…``, the variable is bound and every step is
    an object, and the value read is a string, number, boolean or object, the value is read directly: what
    jsonata-python returns then (a list, a missing key or anything else takes its own way, arrays flattening
    and singletons unwrapping as JSONata says).
    """
    from jsonata import jsonata

    original = jsonata.Jsonata.evaluate
    missing = object()

    def read(plan: tuple[str, tuple[str, ...]], bindings: dict[str, Any]) -> Any:
        value = bindings.get(plan[0], missing)
        for key in plan[1]:
            if type(value) is not dict:
                return missing
            value = value.get(key, missing)
        return value if type(value) in _PLAIN_VALUES else missing

    def evaluate(self, input: Any, bindings: Any = None) -> Any:
        plan = self.__dict__.get("_local_reference_plan", missing)
        if plan is missing:
            plan = self._local_reference_plan = _reference_plan(self) if self.errors is None else None
        if plan is not None and input is None and type(bindings) is dict:
            value = read(plan, bindings)
            if value is not missing:
                return value
        return original(self, input, bindings)

    jsonata.Jsonata.evaluate = evaluate


def _find_executions_by_index() -> None:
    """StartExecution and DescribeExecution scanned every execution of the state machine, one by one.

    The scans found the first execution with the name (idempotency check) or with the ARN; over a test
    session or a load of thousands of executions each call grew longer. A per-machine index of its executions
    (an append-only list) answers the same.
    """
    import weakref

    from moto.stepfunctions.exceptions import ExecutionAlreadyExists, ExecutionDoesNotExist
    from moto.stepfunctions.models import StateMachine, StepFunctionBackend

    indexes: weakref.WeakKeyDictionary[Any, _ExecutionIndex] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def index(machine: Any) -> _ExecutionIndex:
        with lock:
            found = indexes.get(machine)
            if found is None or found.executions is not machine.executions or found.seen > len(found.executions):
                found = indexes[machine] = _ExecutionIndex(machine.executions)
            return found.update()

    def handle_name_input_idempotency(self, name: str, execution_input: str) -> Any:
        execution = index(self).by_name.get(name)
        if execution is None:
            return None
        if execution_input == execution.execution_input and execution.status == "RUNNING":
            return execution  # the same name and input while it runs: the same execution
        raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")

    def describe_execution(self, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        execution = index(self._get_state_machine_for_execution(execution_arn)).by_arn.get(execution_arn)
        if execution is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return execution

    StateMachine._handle_name_input_idempotency = handle_name_input_idempotency
    StepFunctionBackend.describe_execution = describe_execution


class CallingThread:
    """A stand-in for ``threading.Thread`` that runs its target on the thread that starts it."""

    def __init__(self, target: Any = None, args: Any = (), kwargs: Any = None, daemon: Any = None, **_: Any) -> None:
        self._target, self._args, self._kwargs = target, tuple(args), dict(kwargs or {})

    def start(self) -> None:
        """Run the target now; an exception it raises is reported as a thread's would be, and not raised."""
        try:
            self._target(*self._args, **self._kwargs)
        except SystemExit:
            pass
        except BaseException:  # what a thread does with an exception it does not handle: report it, carry on
            import sys

            threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), None)))

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for: the target ended in :meth:`start`."""
        return None

    def is_alive(self) -> bool:
        """Never: the target ended in :meth:`start`."""
        return False


def _run_untimed_steps_on_the_calling_thread() -> None:
    """Each execution started a thread for its program and one per state attempt, only to wait for it.

    moto runs the program, and each Task, Parallel or Map attempt, on a thread of its own so that the caller can
    stop waiting at the machine's or the state's ``TimeoutSeconds``. Without one (a state's default is 99,999,999
    seconds, about three years) the caller waits for it to end anyway: the step now runs on the caller's thread.
    Steps with a timeout or a heartbeat keep their thread, and so their timeout.
    """
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.component.program import program
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state

    calling_thread = threading.local()

    def thread(real: Any) -> Any:
        def make(*args: Any, **kwargs: Any) -> Any:
            if getattr(calling_thread, "next", False):
                calling_thread.next = False
                return CallingThread(*args, **kwargs)
            return real(*args, **kwargs)

        return make

    def untimed(state: Any) -> bool:
        timeout = state.timeout
        return (state.heartbeat is None and isinstance(timeout, TimeoutSeconds)
                and timeout.timeout_seconds == TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS)

    original_attempt = execute_state.ExecutionState._evaluate_with_timeout
    original_program = program.Program.eval

    def evaluate_with_timeout(self, env: Any) -> None:
        calling_thread.next = untimed(self)
        try:
            original_attempt(self, env)
        finally:
            calling_thread.next = False

    def program_eval(self, env: Any) -> None:
        calling_thread.next = self.timeout_seconds is None
        try:
            original_program(self, env)
        finally:
            calling_thread.next = False

    execute_state.Thread = thread(execute_state.Thread)
    execute_state.ExecutionState._evaluate_with_timeout = evaluate_with_timeout
    program.threading = types.SimpleNamespace(**{**vars(threading), "Thread": thread(threading.Thread)})
    program.Program.eval = program_eval


def _poll_sync_children_after_the_first_interval() -> None:
    """A ``.sync`` task looked at its child job once at once, then every half second.

    A child's Wait takes no real time here, so a child that waits a minute in AWS could end before that first
    look, and its ``.sync`` parent ended with the child's result where AWS ends it with the task token's answer
    (SendTaskSuccess from the child's worker, within that minute). Before the engine got faster, the first
    look almost always found the child still starting; now it is always taken after the first half second,
    as AWS, which learns of a child's end from its events, never answers at once.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback,
    )

    original = callback.StateTaskServiceCallback._eval_sync

    def eval_sync(self, env: Any, sync_resolver: Any, timeout_seconds: Any, callback_endpoint: Any,
                  heartbeat_endpoint: Any) -> Any:
        looked: list[bool] = []

        def after_the_first_interval() -> Any:
            if not looked:
                looked.append(True)
                return None  # nothing yet: the loop waits its interval (and for a token) before looking
            return sync_resolver()

        return original(self, env=env, sync_resolver=after_the_first_interval, timeout_seconds=timeout_seconds,
                        callback_endpoint=callback_endpoint, heartbeat_endpoint=heartbeat_endpoint)

    callback.StateTaskServiceCallback._eval_sync = eval_sync


def freeze_long_lived_objects() -> None:
    """Keep what lives long out of the garbage collector's full passes (the stack calls it once started).

    Full collections rescanned everything: what start-up built (API models, backends, modules: about 300,000
    objects) and what executions leave behind (moto keeps each execution with its history and environment),
    0.1-0.3 s each, about 0.3 ms of every EC2 enrichment execution. Start-up's objects are frozen (never
    scanned again; reference counting still frees them), and a full pass waits for 100 middle-generation passes
    instead of 10 (Python's own rule still holds it back until the heap has grown by a quarter).
    """
    import gc

    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, 100))


def install() -> None:
    """Install the interpreter fast paths."""
    _copy_json_quickly()
    _look_jsonata_names_up_without_recursion()
    _read_plain_references_directly()
    _find_executions_by_index()
    _run_untimed_steps_on_the_calling_thread()
    _poll_sync_children_after_the_first_interval()
