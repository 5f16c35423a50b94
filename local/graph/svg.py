"""The SVG drawing of a definition, laid out in pure Python; :func:`layout` gives the same layout as data."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from local.graph.edges import _END, _START, _branches, _task_label, edges_of

# Geometry (pixels) and text metrics of the SVG.
_CHAR_W, _SMALL_CHAR_W = 7.0, 5.6
_NODE_H, _H_GAP, _V_GAP, _PAD, _HEADER, _MARGIN, _DOT = 46.0, 36.0, 56.0, 14.0, 24.0, 20.0, 14.0


@dataclass
class _Box:
    key: str
    name: str
    kind: str
    subtitle: str = ""
    comment: str = ""
    w: float = 0.0
    h: float = _NODE_H
    x: float = 0.0
    y: float = 0.0
    inner: list[_Scope] = field(default_factory=list)

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class _Route:
    points: list[tuple[float, float]]
    label: str
    style: str
    back: bool = False


@dataclass
class _Scope:
    boxes: dict[str, _Box]
    routes: list[_Route]
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0


def _box(name: str, state: dict[str, Any]) -> _Box:
    kind = state.get("Type", "?")
    subtitle = _task_label(state) if kind == "Task" else kind
    box = _Box(name, name, kind, subtitle, str(state.get("Comment") or ""))
    inner = [_layout(branch) for branch in _branches(state)]
    if inner:
        box.inner = inner
        box.subtitle = f"{kind} state" if kind == "Parallel" else "Map state"
        box.w = max(sum(s.w for s in inner) + _H_GAP * (len(inner) - 1) + 2 * _PAD,
                    len(name) * _CHAR_W + len(box.subtitle) * _SMALL_CHAR_W + 3 * _PAD)
        box.h = _HEADER + max(s.h for s in inner) + _PAD
    else:
        box.w = max(len(name) * _CHAR_W, len(subtitle) * _SMALL_CHAR_W) + 2 * _PAD
        if kind == "Choice":
            box.w += 2 * _PAD  # room for the pointed ends
    return box


def _order_nodes(nodes: list[str], forward: list[tuple[str, str]]) -> dict[str, int]:
    """Depth-first discovery order from the start (unreached nodes after, in definition order)."""
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target in forward:
        children[source].append(target)
    order: dict[str, int] = {}
    stack = [_START]
    while stack:
        node = stack.pop()
        if node in order:
            continue
        order[node] = len(order)
        stack.extend(reversed([c for c in children[node] if c not in order]))
    for node in nodes:
        order.setdefault(node, len(order))
    return order


def _back_edges(nodes: list[str], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges closing a cycle in a depth-first walk from the start (drawn as loops)."""
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target in edges:
        children[source].append(target)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in [_START, *nodes]:
        if root in state:
            continue
        stack = [(root, iter(children[root]))]
        state[root] = 1
        while stack:
            node, remaining = stack[-1]
            child = next(remaining, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(children[child])))
    return back


def _layout(scope: dict[str, Any]) -> _Scope:  # noqa: PLR0912, PLR0915 - the steps of one layered layout
    states = {k: v for k, v in (scope.get("States") or {}).items() if isinstance(v, dict)}
    edges = edges_of(states)
    boxes = {_START: _Box(_START, "", "start", w=_DOT, h=_DOT)}
    boxes.update({name: _box(name, state) for name, state in states.items()})
    if any(target == _END for _s, target, _l, _st in edges):
        boxes[_END] = _Box(_END, "", "end", w=_DOT, h=_DOT)
    all_edges = [(s, t, label, style) for s, t, label, style in edges]
    if scope.get("StartAt") in states:
        all_edges.insert(0, (_START, scope["StartAt"], "", "next"))
    nodes = list(boxes)
    back = _back_edges(nodes, [(s, t) for s, t, _l, _st in all_edges])
    forward = [(s, t) for s, t, _l, _st in all_edges if (s, t) not in back and s != t]

    # Layers: longest path from the sources; the end dot below everything.
    incoming = dict.fromkeys(nodes, 0)
    for _s, target in forward:
        incoming[target] += 1
    rank = _order_nodes(nodes, forward)
    layer = dict.fromkeys(nodes, 0)
    ready = sorted((n for n in nodes if incoming[n] == 0), key=rank.get)
    while ready:
        node = ready.pop(0)
        for source, target in forward:
            if source == node:
                layer[target] = max(layer[target], layer[node] + 1)
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
                    ready.sort(key=rank.get)
    if _END in boxes:
        layer[_END] = max((layer[n] for n in nodes if n != _END), default=0) + 1

    # Virtual points on edges spanning several layers.
    segments: list[tuple[str, str]] = []
    chains: dict[tuple[str, str], list[str]] = {}
    for source, target in forward:
        chain = [source]
        for step in range(layer[source] + 1, layer[target]):
            dummy = f"__{source}>{target}#{step}__"
            boxes[dummy] = _Box(dummy, "", "dummy", w=0.0, h=0.0)
            layer[dummy] = step
            rank[dummy] = rank[source]
            chain.append(dummy)
        chain.append(target)
        chains[(source, target)] = chain
        segments += list(itertools.pairwise(chain))
    depth = max(layer.values()) + 1
    layers: list[list[str]] = [sorted((n for n in boxes if layer[n] == i), key=rank.get) for i in range(depth)]

    # Crossing reduction: barycenters, down and up.
    preds: dict[str, list[str]] = {n: [] for n in boxes}
    succs: dict[str, list[str]] = {n: [] for n in boxes}
    for source, target in segments:
        preds[target].append(source)
        succs[source].append(target)
    for _round in range(4):
        for order, neighbours in ((range(1, depth), preds), (range(depth - 2, -1, -1), succs)):
            for i in order:
                position = {n: k for k, n in enumerate(layers[i - 1 if neighbours is preds else i + 1])}
                current = {n: k for k, n in enumerate(layers[i])}

                def barycenter(node: str, neighbours=neighbours, position=position, current=current) -> float:
                    near = [position[m] for m in neighbours[node] if m in position]
                    return sum(near) / len(near) if near else current[node]

                layers[i].sort(key=lambda n, b=barycenter: (b(n), current[n]))

    # Horizontal positions: towards the neighbours' centres, never overlapping.
    center = dict.fromkeys(boxes, 0.0)
    for row in layers:
        left = 0.0
        for node in row:
            center[node] = left + boxes[node].w / 2
            left += boxes[node].w + _H_GAP

    def gap(a: str, b: str) -> float:
        return boxes[a].w / 2 + boxes[b].w / 2 + (_H_GAP if boxes[a].w and boxes[b].w else _H_GAP / 2)

    def place(row: list[str], desired: dict[str, float]) -> None:
        if not row:
            return
        right = [desired[row[0]]]
        for k in range(1, len(row)):
            right.append(max(desired[row[k]], right[-1] + gap(row[k - 1], row[k])))
        left = [desired[row[-1]]]
        for k in range(len(row) - 2, -1, -1):
            left.insert(0, min(desired[row[k]], left[0] - gap(row[k], row[k + 1])))
        for k, node in enumerate(row):
            center[node] = (right[k] + left[k]) / 2

    for _round in range(6):
        for neighbours, rows in ((preds, layers[1:]), (succs, layers[-2::-1])):
            for row in rows:
                desired = {}
                for node in row:
                    near = [center[m] for m in neighbours[node]]
                    desired[node] = sum(near) / len(near) if near else center[node]
                place(row, desired)
    shift = min(center[n] - boxes[n].w / 2 for n in boxes)
    top = 0.0
    span: dict[str, tuple[float, float]] = {}  # a virtual point crosses its whole layer, clear of the boxes
    for row in layers:
        height = max(boxes[n].h for n in row)
        for node in row:
            box = boxes[node]
            box.x = center[node] - box.w / 2 - shift
            box.y = top + (height - box.h) / 2
            span[node] = (top, top + height)
        top += height + _V_GAP
    width = max(b.x + b.w for b in boxes.values())
    height = top - _V_GAP

    # Routes: down through the virtual points; loops back up on the right.
    routes = []
    labels = {(s, t): (label, style) for s, t, label, style in all_edges}
    for (source, target), chain in chains.items():
        a, b = boxes[source], boxes[target]
        points = [(a.cx, a.y + a.h), *[(boxes[d].cx, y) for d in chain[1:-1] for y in span[d]], (b.cx, b.y)]
        routes.append(_Route(points, *labels[(source, target)]))
    for index, (source, target) in enumerate(sorted(back, key=lambda e: (rank[e[0]], rank[e[1]]))):
        a, b = boxes[source], boxes[target]
        low, high = sorted((layer[source], layer[target]))
        between = [boxes[n] for n in boxes if low <= layer[n] <= high]
        x = max(bx.x + bx.w for bx in between) + 18 + 12 * index
        width = max(width, x + 8)
        # Out of the source's bottom and into the target's top, turning in the gaps between layers: the
        # horizontal runs never cross a box.
        out_y, in_y = span[source][1] + 10 + 5 * (index % 4), span[target][0] - 10 - 5 * (index % 4)
        sx, tx = a.cx + a.w / 4, b.cx + b.w / 4
        routes.append(_Route([(sx, a.y + a.h), (sx, out_y), (x, out_y), (x, in_y), (tx, in_y), (tx, b.y)],
                             *labels[(source, target)], back=True))
    for box in boxes.values():  # children of containers sit inside their header and padding
        left = box.x + (box.w - (sum(s.w for s in box.inner) + _H_GAP * (len(box.inner) - 1))) / 2
        for inner in box.inner:
            inner.x, inner.y = left, box.y + _HEADER
            left += inner.w + _H_GAP
    return _Scope(boxes, routes, width, height)


# --- SVG drawing ----------------------------------------------------------------------------------------------

_CSS = """
text { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; fill: #1a202c; }
.name { font-size: 12px; font-weight: 600; } .kind { font-size: 9.5px; fill: #4a5568; }
.label { font-size: 9.5px; fill: #2d3748; } .catch-label { font-size: 9.5px; fill: #c53030; }
.title { font-size: 14px; font-weight: 700; }
.Task { fill: #ebf4ff; stroke: #2b6cb0; } .Choice { fill: #fffaf0; stroke: #c05621; }
.Pass { fill: #f7fafc; stroke: #718096; } .Wait { fill: #faf5ff; stroke: #6b46c1; }
.Succeed { fill: #f0fff4; stroke: #2f855a; } .Fail { fill: #fff5f5; stroke: #c53030; }
.Parallel, .Map { fill: #ffffff; stroke: #4a5568; stroke-dasharray: 5 3; }
.start { fill: #2d3748; } .end { fill: #ffffff; stroke: #2d3748; stroke-width: 4; }
.edge { fill: none; stroke: #4a5568; stroke-width: 1.3; } .edge.catch { stroke: #c53030; stroke-dasharray: 4 3; }
.edge.default { stroke-dasharray: 6 3; } .bg { fill: #ffffff; opacity: 0.85; }
"""


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _draw_scope(scope: _Scope, dx: float, dy: float, out: list[str]) -> None:
    ox, oy = dx + scope.x, dy + scope.y
    for route in scope.routes:
        points = " ".join(f"{_n(ox + x)},{_n(oy + y)}" for x, y in route.points)
        marker = "catch" if route.style == "catch" else "next"
        out.append(f'<polyline class="edge {route.style}" points="{points}" marker-end="url(#arrow-{marker})"/>')
    for box in scope.boxes.values():
        _draw_box(box, ox, oy, out)
    taken = [(b.x - 2, b.y - 2, b.x + b.w + 2, b.y + b.h + 2) for b in scope.boxes.values() if b.kind != "dummy"]
    for route in scope.routes:
        if not route.label:
            continue
        width = len(route.label) * 5.2 + 6
        x, y = _label_position(route, width, taken)
        taken.append((x - width / 2, y - 8, x + width / 2, y + 4))
        x, y = ox + x, oy + y
        css = "catch-label" if route.style == "catch" else "label"
        out.append(f'<rect class="bg" x="{_n(x - width / 2)}" y="{_n(y - 8)}" width="{_n(width)}" height="12" '
                   f'rx="3"/><text class="{css}" x="{_n(x)}" y="{_n(y + 1.5)}" text-anchor="middle">'
                   f"{escape(route.label)}</text>")


def _label_position(route: _Route, width: float, taken: list[tuple[float, float, float, float]]):
    """Where a transition's label goes: along its first segments, clear of boxes and other labels if possible."""
    segments = list(itertools.pairwise(route.points))
    segments = segments[2:3] if route.back else segments[:3]
    candidates = [(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t - (0 if route.back else 4))
                  for (x1, y1), (x2, y2) in segments for t in (0.5, 0.3, 0.7, 0.15, 0.85)]
    for x, y in candidates:
        box = (x - width / 2, y - 8, x + width / 2, y + 4)
        if not any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken):
            return x, y
    return candidates[0]


def _draw_box(box: _Box, ox: float, oy: float, out: list[str]) -> None:
    x, y = ox + box.x, oy + box.y
    if box.kind == "dummy":
        return
    if box.kind in ("start", "end"):
        r = box.w / 2 - (2 if box.kind == "end" else 0)
        out.append(f'<circle class="{box.kind}" cx="{_n(x + box.w / 2)}" cy="{_n(y + box.h / 2)}" r="{_n(r)}"/>')
        return
    title = f"<title>{escape(box.comment)}</title>" if box.comment else ""
    out.append(f'<g id="state-{escape(re.sub(r"[^A-Za-z0-9_-]", "_", box.name))}">{title}')
    if box.kind == "Choice":
        points = [(x + _PAD, y), (x + box.w - _PAD, y), (x + box.w, y + box.h / 2), (x + box.w - _PAD, y + box.h),
                  (x + _PAD, y + box.h), (x, y + box.h / 2)]
        out.append(f'<polygon class="Choice" points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in points)}"/>')
    else:
        css = box.kind if box.kind in ("Task", "Pass", "Wait", "Succeed", "Fail", "Parallel", "Map") else "Pass"
        out.append(f'<rect class="{css}" x="{_n(x)}" y="{_n(y)}" width="{_n(box.w)}" height="{_n(box.h)}" '
                   f'rx="{8 if not box.inner else 6}"/>')
    if box.inner:
        out.append(f'<text class="name" x="{_n(x + _PAD)}" y="{_n(y + 16)}">{escape(box.name)}</text>'
                   f'<text class="kind" x="{_n(x + box.w - _PAD)}" y="{_n(y + 16)}" text-anchor="end">'
                   f"{escape(box.subtitle)}</text>")
        for index, inner in enumerate(box.inner):
            if index:
                sx = ox + inner.x - _H_GAP / 2
                out.append(f'<line class="edge default" x1="{_n(sx)}" y1="{_n(y + _HEADER)}" x2="{_n(sx)}" '
                           f'y2="{_n(y + box.h - _PAD / 2)}"/>')
            _draw_scope(inner, ox, oy, out)
    else:
        out.append(f'<text class="name" x="{_n(x + box.w / 2)}" y="{_n(y + 20)}" text-anchor="middle">'
                   f'{escape(box.name)}</text><text class="kind" x="{_n(x + box.w / 2)}" y="{_n(y + 34)}" '
                   f'text-anchor="middle">{escape(box.subtitle)}</text>')
    out.append("</g>")


def svg(definition: dict[str, Any], title: str = "") -> str:
    """The definition drawn as a standalone SVG document (deterministic: same definition, same bytes)."""
    scope = _layout(definition)
    top = _MARGIN + (24 if title else 0)
    scope.x, scope.y = _MARGIN, top
    width, height = scope.w + 2 * _MARGIN, scope.h + top + _MARGIN
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
           f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(title or "state machine")}">',
           f"<style>{_CSS}</style>",
           "<defs>"
           '<marker id="arrow-next" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker>'
           '<marker id="arrow-catch" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c53030"/></marker>'
           "</defs>",
           f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>']
    if title:
        out.append(f'<text class="title" x="{_n(_MARGIN)}" y="{_n(_MARGIN + 8)}">{escape(title)}</text>')
    _draw_scope(scope, 0.0, 0.0, out)
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- the layout as data (the console draws it in the browser) ---------------------------------------------------


def _scope_items(scope: _Scope, dx: float, dy: float, parent: str | None, items: list[dict[str, Any]]) -> None:
    """What :func:`_draw_scope` draws, as data, in the same order (so the same things end up on top)."""
    ox, oy = dx + scope.x, dy + scope.y
    for route in scope.routes:
        items.append({"item": "edge", "style": route.style, "back": route.back,
                      "points": [[round(ox + x, 1), round(oy + y, 1)] for x, y in route.points]})
    for box in scope.boxes.values():
        x, y = ox + box.x, oy + box.y
        if box.kind in ("start", "end"):
            items.append({"item": box.kind, "cx": round(x + box.w / 2, 1), "cy": round(y + box.h / 2, 1),
                          "r": box.w / 2 - (2 if box.kind == "end" else 0), "parent": parent})
        elif box.kind != "dummy":
            items.append({"item": "state", "name": box.name, "kind": box.kind, "subtitle": box.subtitle,
                          "comment": box.comment, "x": round(x, 1), "y": round(y, 1), "w": round(box.w, 1),
                          "h": round(box.h, 1), "container": bool(box.inner), "parent": parent})
            for index, inner in enumerate(box.inner):
                if index:
                    sx = round(ox + inner.x - _H_GAP / 2, 1)
                    items.append({"item": "separator", "x1": sx, "y1": round(y + _HEADER, 1), "x2": sx,
                                  "y2": round(y + box.h - _PAD / 2, 1)})
                _scope_items(inner, ox, oy, box.name, items)
    taken = [(b.x - 2, b.y - 2, b.x + b.w + 2, b.y + b.h + 2) for b in scope.boxes.values() if b.kind != "dummy"]
    for route in scope.routes:
        if route.label:
            width = len(route.label) * 5.2 + 6
            x, y = _label_position(route, width, taken)
            taken.append((x - width / 2, y - 8, x + width / 2, y + 4))
            items.append({"item": "label", "text": route.label, "style": route.style, "x": round(ox + x, 1),
                          "y": round(oy + y, 1), "w": round(width, 1)})


def layout(definition: dict[str, Any]) -> dict[str, Any]:
    """The picture :func:`svg` draws, as JSON-ready data: its size and the items to draw, back to front.

    Items: ``edge`` (``points``, ``style``: next, choice, default or catch), ``state`` (``name``, ``kind``,
    ``subtitle``, ``comment``, box ``x``/``y``/``w``/``h``, ``container`` for Parallel and Map, ``parent``: the
    enclosing state or None), ``start``/``end`` dots (``cx``, ``cy``, ``r``), ``separator`` lines between
    branches, and transition ``label`` texts centred on ``x`` (``y`` is the baseline's centre line).
    """
    scope = _layout(definition)
    scope.x, scope.y = _MARGIN, _MARGIN
    items: list[dict[str, Any]] = []
    _scope_items(scope, 0.0, 0.0, None, items)
    return {"width": round(scope.w + 2 * _MARGIN, 1), "height": round(scope.h + 2 * _MARGIN, 1), "items": items}


