"""A Distributed Map's tolerated failures: ``ToleratedFailureCount`` and ``ToleratedFailurePercentage``, as AWS.

Two defects of moto, shared by executions and TestState (which parses its state with the same preprocessor):

* a JSONata ``ToleratedFailureCount`` (``"{% 2 %}"``) was built as a *percentage* (and the count left at 0); a
  JSONata ``ToleratedFailurePercentage`` lost its decimals;
* the threshold was never applied: a Map Run whose child executions failed still succeeded. AWS fails the Map
  Run with ``States.ExceedToleratedFailureThreshold`` once the failed (or timed out) items exceed the tolerated
  count or percentage (either, when both are given); given neither, any failed item fails it.
"""

from __future__ import annotations

THRESHOLD_ERROR = "States.ExceedToleratedFailureThreshold"
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


def threshold_exceeded(failed: int, total: int, count: int | None, percentage: float | None) -> bool:
    """Whether ``failed`` of ``total`` items exceed the tolerated ``count`` or ``percentage`` (None: not given)."""
    exceeded = count is not None and failed > count
    return exceeded or (percentage is not None and total > 0 and failed * 100.0 / total > percentage)


def _jsonata_tolerances_as_declared() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map import tolerated_failure as tf
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def visit_count(self, ctx):
        return tf.ToleratedFailureCountStringJSONata(string_jsonata=self.visitString_jsonata(ctx=ctx.string_jsonata()))

    def percentage(self, env) -> float:
        self.string_jsonata.eval(env=env)
        return float(env.stack.pop())

    Preprocessor.visitTolerated_failure_count_string_jsonata = visit_count
    tf.ToleratedFailurePercentageStringJSONata._eval_tolerated_failure_percentage = percentage


def _threshold_fails_the_map_run() -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountDecl,
        ToleratedFailurePercentageDecl,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original_props = StateMap.from_state_props

    def from_state_props(self, state_props) -> None:
        original_props(self, state_props)
        # The Map Run reads only the values; which of them the state declares decides how they apply.
        self.iteration_component._declared_tolerance = (
            state_props.get(ToleratedFailureCountDecl) is not None,
            state_props.get(ToleratedFailurePercentageDecl) is not None,
        )

    original_map_run = DistributedIterationComponent._map_run

    def map_run(self, env, eval_input) -> None:
        original_map_run(self, env, eval_input)
        record = eval_input.map_run_record
        counts = record.item_counter
        failed = counts.failed.get() + counts.timed_out.get()
        count_declared, percentage_declared = getattr(self, "_declared_tolerance", (False, False))
        count = record.tolerated_failure_count if count_declared else None
        percentage = record.tolerated_failure_percentage if percentage_declared or not count_declared else None
        if failed and threshold_exceeded(failed, counts.total.get(), count, percentage):
            name = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
            raise FailureEventException(FailureEvent(
                env=env, error_name=name, event_type=HistoryEventType.MapRunFailed,
                event_details=EventDetails(mapRunFailedEventDetails=MapRunFailedEventDetails(
                    error=THRESHOLD_ERROR, cause=THRESHOLD_CAUSE)),
            ))

    StateMap.from_state_props = from_state_props
    DistributedIterationComponent._map_run = map_run


def install() -> None:
    """Install the tolerated failure fixes."""
    _jsonata_tolerances_as_declared()
    _threshold_fails_the_map_run()
