"""The pure helpers behind the engine's AWS-faithful answers: causes, billing, JSON text, workflow time."""

from __future__ import annotations

import datetime

import pytest

from local.engine.express import billing_details
from local.engine.jsonata import _partition
from local.engine.jsonpath import missing_path_cause
from local.engine.text import compact_json
from local.engine.timelines import ExecutionTime, MapSlots, Timeline


@pytest.mark.parametrize(("path", "data", "cause"), [
    ("$.a", {}, "Invalid path '$.a' : No results for path: $['a']"),
    ("$.a.b", {"a": {}}, "Invalid path '$.a.b' : No results for path: $['a']['b']"),
    ("$.no.such.path", {"x": 1}, "Invalid path '$.no.such.path' : Missing property in path $['no']"),
    ("$.items[0]", {}, None),  # not a plain dotted path: the interpreter's own wording stays
])
def test_missing_jsonpath_causes_read_as_jayway_words_them(path, data, cause):
    """A missing last property is "No results", a missing property on the way "Missing property in path"."""
    assert missing_path_cause(path, data) == cause


@pytest.mark.parametrize(("milliseconds", "billed"), [(0, 100), (1, 100), (100, 100), (101, 200), (2050, 2100)])
def test_express_duration_is_billed_in_100_ms_steps(milliseconds, billed):
    """At least one 100 ms step; memory is one 64 MB chunk."""
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    details = billing_details(start, start + datetime.timedelta(milliseconds=milliseconds))
    assert details == {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": billed}


def test_partition_rejects_a_size_below_one():
    """``$partition`` needs a positive whole size."""
    assert _partition([1, 2, 3], 2) == [[1, 2], [3]]
    with pytest.raises(ValueError, match="positive integer"):
        _partition([1], 0)


def test_compact_json_keeps_characters():
    """No spaces after separators, characters beyond ASCII as they are."""
    assert compact_json({"a": [1, {"b": "Zoë"}]}) == '{"a":[1,{"b":"Zoë"}]}'


def test_map_slots_start_iterations_when_a_slot_frees():
    """Two slots, three iterations of 10 s: the third starts when the first slot is free again."""
    line = Timeline(ExecutionTime(root_env=None))
    begin = line.now()
    slots = MapSlots(2, begin)
    first, second, third = line.fork(), line.fork(), line.fork()
    slots.start(first, begin)
    slots.start(second, begin)
    first.skipped += 10
    slots.end(first)
    slots.start(third, begin)
    assert third.now() == pytest.approx(begin + 10, abs=0.5)
    assert second.now() == pytest.approx(begin, abs=0.5)
