"""EventBridge Pipes from a DynamoDB stream to a Step Functions target, simulated.

A pipe filters each stream record with its ``FilterCriteria`` (EventBridge event patterns, matched by
moto's own matcher), renders ``TargetParameters.InputTemplate`` (``<$.json.path>`` placeholders) and starts
the target state machine (``FIRE_AND_FORGET``, batch size 1). Records are delivered as soon as moto appends
them to the table's stream.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from local.engine import adaptations

LOG = logging.getLogger("local.pipes")
_PLACEHOLDER = re.compile(r'("?)<(\$[^>]*)>("?)')


def render_input_template(template: str, record: dict[str, Any]) -> str:
    """Fill ``<$.path>`` placeholders: a quoted one takes the value's text, a bare one its JSON."""

    def fill(match: re.Match) -> str:
        value = adaptations.extract_json(match.group(2), record)
        if match.group(1) and match.group(3):
            text = value if isinstance(value, str) else json.dumps(value)
            return json.dumps(text)
        return match.group(1) + json.dumps(value) + match.group(3)

    return _PLACEHOLDER.sub(fill, template)


class LocalPipe:
    """One ``AWS::Pipes::Pipe`` with a DynamoDB stream source and a state machine target."""

    def __init__(self, name: str, props: dict[str, Any]) -> None:
        from moto.events.models import EventPattern

        self.name = name
        self.source = props["Source"]
        self.target = props["Target"]
        if ":dynamodb:" not in self.source or ":states:" not in self.target:
            raise ValueError(f"pipe {name}: only DynamoDB stream → Step Functions pipes are simulated")
        self.table = self.source.split(":table/", 1)[1].split("/", 1)[0]
        filters = (props.get("SourceParameters") or {}).get("FilterCriteria", {}).get("Filters", [])
        self.patterns = [EventPattern.load(f["Pattern"]) for f in filters]
        self.template = (props.get("TargetParameters") or {}).get("InputTemplate")
        self.started: list[str] = []
        self.failures: list[str] = []

    def attach(self) -> None:
        """Listen to the source table's stream records."""
        adaptations.stream_listeners.setdefault(self.table, []).append(self.on_record)

    def on_record(self, record: dict[str, Any]) -> None:
        """Filter one stream record and start the target with the rendered input."""
        if self.patterns and not any(pattern.matches_event(record) for pattern in self.patterns):
            return
        payload = render_input_template(self.template, record) if self.template else json.dumps([record])
        try:
            response = adaptations.sdk_client("stepfunctions").start_execution(
                stateMachineArn=self.target, input=payload
            )
            self.started.append(response["executionArn"])
        except Exception as error:  # a pipe retries, then drops; locally we record it
            LOG.warning("pipe %s could not start %s: %s", self.name, self.target, error)
            self.failures.append(str(error))
