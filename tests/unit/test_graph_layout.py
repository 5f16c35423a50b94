"""``graph.layout``: the picture ``python -m local graph`` draws, as data for the console to draw in the browser."""

from __future__ import annotations

import json
import re

import pytest

from local import graph
from local.graph.svg import _n
from tests.conftest import ROOT

WORKFLOWS = sorted(p.parent.name for p in (ROOT / "workflows").glob("*/statemachine.asl.json"))


def all_states(scope: dict) -> dict[str, str | None]:
    """Every state of a definition, nested ones included → the Parallel or Map state holding it."""
    found: dict[str, str | None] = {}

    def walk(states: dict, parent: str | None) -> None:
        for name, state in states.items():
            found[name] = parent
            for branch in state.get("Branches", []) + [b for b in (state.get("ItemProcessor"), state.get("Iterator"))
                                                       if b]:
                walk(branch["States"], name)

    walk(scope["States"], None)
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_layout_places_every_state_where_the_svg_draws_it(workflow):
    """Each state of the definition is laid out once, inside its container, at the box the diagram draws."""
    definition = json.loads((ROOT / "workflows" / workflow / "statemachine.asl.json").read_text())
    drawn = graph.svg(definition)  # no title: the same margins as the layout
    laid_out = graph.layout(definition)

    states = [item for item in laid_out["items"] if item["item"] == "state"]
    assert {s["name"]: s["parent"] for s in states} == all_states(definition)
    for state in states:
        group = drawn.split(f'<g id="state-{re.sub(r"[^A-Za-z0-9_-]", "_", state["name"])}">', 1)[1]
        shape = re.search(r'<(rect|polygon) class="[A-Za-z]+" (?:x="([\d.]+)" y="([\d.]+)"|points="([\d.]+),([\d.]+))',
                          group)
        x, y = (float(shape[2]), float(shape[3])) if shape[1] == "rect" else (float(shape[4]) - 14, float(shape[5]))
        assert (x, y) == pytest.approx((state["x"], state["y"]), abs=0.1), state["name"]
    assert f'width="{_n(laid_out["width"])}"' in drawn.split(">", 1)[0]
    assert len([i for i in laid_out["items"] if i["item"] == "edge"]) == drawn.count("<polyline")
    assert [i["text"] for i in laid_out["items"] if i["item"] == "label"] == [
        t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        for t in re.findall(r'<text class="(?:catch-)?label"[^>]*>([^<]*)</text>', drawn)]
