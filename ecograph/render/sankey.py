"""The Sankey view of one currency: columns, node bars and bands, before any pixel.

A Sankey diagram draws each flow as a band as wide as its volume, between
node bars as tall as their throughflow. Computed here, in Python, from a
:class:`~ecograph.render.drawing.Drawing` (so it is tested without a browser
and the static picture draws the same thing); the page's ``sankey.js`` and
:func:`sankey_layout` only turn it into pixels with the same few rules
(:func:`ecograph.render.static.sankey_image` draws them with matplotlib).

* **Bands**: the drawn pipes of one currency that carry a volume (blocked
  pipes and pipes without a volume carry nothing; the view says how many it
  left out). Pipes between the same two nodes are one band.
* **Cycles**: most Sankey code (d3-sankey among it) refuses them. Here they are
  broken for the layout only, by the Eades-Lin-Smyth feedback arc set
  heuristic weighted by volume (:func:`feedback_arcs`: the bands turned back
  carry as little as it can find, so the main flow runs left to right); each
  of them (and each self-loop) is drawn as a return loop below the columns,
  with its width, in a colour of its own.
* **Columns**: each node one column right of its furthest predecessor along
  the remaining (acyclic) flows; nodes nothing flows out of are pushed to the
  last column (sinks right), as d3-sankey's ``sankeyJustify`` does. Within a
  column, nodes are ordered by a few barycentre sweeps weighted by volume.
* **Large maps**: at most ``max_nodes`` bars. Above it the largest nodes (by
  throughflow) keep their own bar and the rest of each group is folded into
  one "+N others" bar per group (at the deepest level of the membership tree
  where the groups leave room for named bars; failing that, one per kind),
  sources, sinks and nodes with flows both ways in bars of their own.
  Flows between nodes folded into the same bar are not drawn, and the view
  says how much that is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecograph.formatting import format_number
from ecograph.render import style
from ecograph.render.drawing import Drawing, DrawnEdge, DrawnNode, Rows
from ecograph.render.layout import layered

__all__ = [
    "GEOMETRY",
    "RETURN_COLOR",
    "SANKEY_NODES",
    "Band",
    "Sankey",
    "SankeyLayout",
    "SankeyNode",
    "feedback_arcs",
    "main_currency",
    "page_data",
    "sankey",
    "sankey_currencies",
    "sankey_layout",
]

#: At most this many node bars; the rest of each group is folded into "+N others".
SANKEY_NODES = 40
#: The pixel rules the page and :func:`sankey_layout` share (the page reads them from its data).
GEOMETRY: Mapping[str, float] = {
    "bar": 14.0,  # width of a node bar
    "gap": 18.0,  # vertical gap between two bars of a column (more than a label is tall)
    "lane_gap": 8.0,  # gap between two return loops below the columns
    "left": 10.0,
    "top": 14.0,
    "bottom": 14.0,
    "label_room": 190.0,  # right of the last column: room for its labels
    "min_bar": 6.0,  # the page grows taller (and scrolls) rather than give a bar less on average
    "min_column": 150.0,  # ... or wider, rather than put columns closer than this
    "loop": 30.0,  # a return loop bends out at least this far (more for a wider band)
}
#: Colour of the return loops (pipes that close a cycle).
RETURN_COLOR = "#8250DF"


@dataclass(frozen=True, slots=True)
class SankeyNode:
    """One node bar.

    Attributes
    ----------
    id : str
        A drawn node's id, or a generated id for a "+N others" bar.
    label : str
    kind : str
        The drawn node's kind; ``"fold"`` for a "+N others" bar.
    color : str
    column : int
        0 for the leftmost column.
    index : int
        Its place in its column, 0 at the top.
    above : float
        Sum of the values of the bars above it in its column.
    value : float
        Throughflow drawn: the larger of ``inflow`` and ``outflow``.
    inflow, outflow : float
        Sums of the volumes of the bands into and out of it.
    stands_for : int
        How many map nodes the bar stands for.
    members : tuple of str
        For a "+N others" bar, the drawn nodes folded into it; else empty.
    tooltip : tuple of (str, str)
    """

    id: str
    label: str
    kind: str
    color: str
    column: int
    index: int
    above: float
    value: float
    inflow: float
    outflow: float
    stands_for: int = 1
    members: tuple[str, ...] = ()
    tooltip: Rows = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the bar as JSON-ready data."""
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "color": self.color,
            "column": self.column,
            "index": self.index,
            "above": self.above,
            "value": self.value,
            "inflow": self.inflow,
            "outflow": self.outflow,
            "stands_for": self.stands_for,
            "members": list(self.members),
            "tooltip": [list(row) for row in self.tooltip],
        }


@dataclass(frozen=True, slots=True)
class Band:
    """One band: the volume of every drawn pipe from one bar to another.

    Attributes
    ----------
    id : str
    source, target : str
        Bar ids.
    volume : float
    source_offset, target_offset : float
        Volume of the bands above it where it leaves its source and where it
        enters its target.
    lane : int
        -1 for a band drawn left to right; for a return loop (a pipe closing a
        cycle, or a self-loop), its lane below the columns (0 nearest).
    pipes : int
        Map pipes it stands for.
    tooltip : tuple of (str, str)
    """

    id: str
    source: str
    target: str
    volume: float
    source_offset: float
    target_offset: float
    lane: int = -1
    pipes: int = 1
    tooltip: Rows = ()

    @property
    def back(self) -> bool:
        """Whether it is drawn as a return loop."""
        return self.lane >= 0

    def to_dict(self) -> dict[str, Any]:
        """Return the band as JSON-ready data."""
        return {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "volume": self.volume,
            "source_offset": self.source_offset,
            "target_offset": self.target_offset,
            "lane": self.lane,
            "pipes": self.pipes,
            "tooltip": [list(row) for row in self.tooltip],
        }


@dataclass(frozen=True, slots=True)
class Sankey:
    """The Sankey view of one currency.

    Attributes
    ----------
    currency : str
    unit : str
        What a volume counts (the map's unit of the currency, else its name).
    period : str
    nodes : tuple of SankeyNode
        By column, then top to bottom.
    bands : tuple of Band
        Left-to-right bands first, then return loops by lane.
    columns : int
    notes : tuple of str
        What the view leaves out or folds.
    """

    currency: str
    unit: str
    period: str
    nodes: tuple[SankeyNode, ...]
    bands: tuple[Band, ...]
    columns: int
    notes: tuple[str, ...] = field(default=())

    def node(self, node_id: str) -> SankeyNode:
        """The bar with this id (KeyError if there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the view as JSON-ready data (what the page embeds)."""
        return {
            "currency": self.currency,
            "unit": self.unit,
            "period": self.period,
            "columns": self.columns,
            "nodes": [n.to_dict() for n in self.nodes],
            "bands": [b.to_dict() for b in self.bands],
            "notes": list(self.notes),
        }


def _carries(edge: DrawnEdge) -> bool:
    v = edge.volume
    return not edge.blocked and v is not None and math.isfinite(v) and v > 0


def sankey_currencies(drawing: Drawing) -> tuple[str, ...]:
    """The currencies that have something to draw: a pipe with a volume that is not blocked.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("k1", "a", "b", volume=5.0), Pipe("k2", "a", "b", kind="goods")))
    >>> sankey_currencies(describe(eco))
    ('traffic',)
    """
    return tuple(dict.fromkeys(e.currency for e in drawing.edges if _carries(e)))


def main_currency(drawing: Drawing) -> str | None:
    """The currency the Sankey view opens on: traffic when it has flows, else the most pipes.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "fund"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("k1", "a", "b", kind="capital", volume=5.0),))
    >>> main_currency(describe(eco))
    'capital'
    """
    present = [e.currency for e in drawing.edges if _carries(e)]
    if not present:
        return None
    if "traffic" in present:
        return "traffic"
    return max(dict.fromkeys(present), key=present.count)


def feedback_arcs(
    nodes: Sequence[str], weight: Mapping[tuple[str, str], float]
) -> set[tuple[str, str]]:
    """Arcs whose removal leaves the flows acyclic, chosen to carry little weight.

    The Eades-Lin-Smyth heuristic (Eades, Lin & Smyth 1993), weighted: take
    away sinks (placed last) and sources (placed first) while there are any,
    else the node whose weight out exceeds its weight in by most (placed
    next); the arcs that point backwards in the resulting order are returned.
    Ties keep ``nodes``' order. Self-loops are never returned (they close a
    cycle on their own). O(n^2 + m) as written here, for the few dozen
    bars of a Sankey view.

    Parameters
    ----------
    nodes : sequence of str
    weight : mapping of (source, target) to float
        The arcs and their weights (volumes).

    Returns
    -------
    set of (source, target)

    Examples
    --------
    A 2-cycle keeps its heavier arc forward; a 3-cycle loses its lightest arc:

    >>> feedback_arcs(["a", "b"], {("a", "b"): 1.0, ("b", "a"): 9.0})
    {('a', 'b')}
    >>> feedback_arcs(["x", "y", "z"], {("x", "y"): 5.0, ("y", "z"): 4.0, ("z", "x"): 2.0})
    {('z', 'x')}
    """
    succ: dict[str, dict[str, float]] = {n: {} for n in nodes}
    pred: dict[str, dict[str, float]] = {n: {} for n in nodes}
    for (s, t), w in weight.items():
        if s != t and s in succ and t in succ:
            succ[s][t] = succ[s].get(t, 0.0) + w
            pred[t][s] = pred[t].get(s, 0.0) + w
    remaining = dict.fromkeys(nodes)
    first: list[str] = []
    last: list[str] = []

    def take(n: str) -> None:
        del remaining[n]

    while remaining:
        moved = True
        while moved:
            moved = False
            for n in list(remaining):
                if n not in remaining:
                    continue
                if not any(t in remaining for t in succ[n]):
                    last.append(n)
                    take(n)
                    moved = True
                elif not any(s in remaining for s in pred[n]):
                    first.append(n)
                    take(n)
                    moved = True
        if remaining:
            best = max(
                remaining,
                key=lambda n: (
                    sum(w for t, w in succ[n].items() if t in remaining)
                    - sum(w for s, w in pred[n].items() if s in remaining)
                ),
            )
            first.append(best)
            take(best)
    place = {n: i for i, n in enumerate(first + last[::-1])}
    return {
        (s, t) for (s, t) in weight if s != t and s in place and t in place and place[s] > place[t]
    }


# -- folding --------------------------------------------------------------------------------

#: What a node is folded by: ("group", group id or None) or ("kind", kind), and its role.
Key = tuple[str, str | None, str]


_ROLES = {
    "source": "only sends (a source)",
    "sink": "only receives (a sink)",
    "through": "receives and sends",
}


def _fold(ranked: Sequence[str], keys: Mapping[str, Key], max_nodes: int) -> dict[str, Key] | None:
    """Which nodes go into which "+N others" bar; None if the keys alone leave no room."""
    count: dict[Key, int] = {}
    for n in ranked:
        count[keys[n]] = count.get(keys[n], 0) + 1
    if 2 * len(count) > max_nodes:
        return None
    kept = 0
    live = len(count)
    folded: dict[str, Key] = {}
    stop = False
    for n in ranked:
        key = keys[n]
        if not stop:
            after = live - (1 if count[key] == 1 else 0)
            if kept + 1 + after <= max_nodes:
                kept += 1
                count[key] -= 1
                live = after
                continue
            stop = True
        folded[n] = key
    # a bar standing for one node is that node
    size: dict[Key, int] = {}
    for key in folded.values():
        size[key] = size.get(key, 0) + 1
    return {n: key for n, key in folded.items() if size[key] > 1}


def _fold_plan(
    ranked: Sequence[str],
    drawn: Mapping[str, DrawnNode],
    role: Mapping[str, str],
    max_nodes: int,
) -> dict[str, Key]:
    """Fold by group at the deepest level that leaves room, else by kind.

    Sources, sinks and nodes with flow both ways are never folded together: a bar
    standing for sources and sinks at once would draw flows that do not exist.
    """
    if len(ranked) <= max_nodes:
        return {}

    def ancestor(n: str, level: int) -> str | None:
        chain = []
        up = drawn[n].parent
        while up is not None:
            chain.append(up)
            up = drawn[up].parent if up in drawn else None
        chain.reverse()  # chain[i] is at depth i
        if not chain:
            return None
        return chain[min(len(chain) - 1, level)]

    deepest = max(drawn[n].depth for n in ranked)
    for level in range(deepest, -1, -1):
        keys: dict[str, Key] = {n: ("group", ancestor(n, level), role[n]) for n in ranked}
        plan = _fold(ranked, keys, max_nodes)
        if plan is not None:
            return plan
    plan = _fold(ranked, {n: ("kind", drawn[n].kind, role[n]) for n in ranked}, max_nodes)
    return plan or {}


# -- the view -------------------------------------------------------------------------------


def sankey(drawing: Drawing, currency: str, *, max_nodes: int = SANKEY_NODES) -> Sankey:
    """The Sankey view of one currency of a drawing.

    Parameters
    ----------
    drawing : Drawing
        From :func:`ecograph.render.describe` (its long tail already folded).
    currency : str
        The currency whose flows are drawn; other currencies never mix in.
    max_nodes : int, default 40
        At most this many bars; above it the smallest nodes of each group are
        folded into one "+N others" bar per group.

    Returns
    -------
    Sankey

    Notes
    -----
    Cycle breaking and layering are O(nodes + pipes); the barycentre sweeps
    O(sweeps x pipes log nodes).

    Examples
    --------
    A pool feeding a platform that feeds two partners, one of which sends
    some traffic back (a cycle):

    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"u": Node("u", "pool"), "p": Node("p", "platform"),
    ...     "a": Node("a", "partner"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("u->p", "u", "p", volume=10.0), Pipe("p->a", "p", "a", volume=6.0),
    ...            Pipe("p->b", "p", "b", volume=4.0), Pipe("a->p", "a", "p", volume=1.0)))
    >>> view = sankey(describe(eco), "traffic")
    >>> [(n.id, n.column, n.value) for n in view.nodes]
    [('u', 0, 10.0), ('p', 1, 11.0), ('a', 2, 6.0), ('b', 2, 4.0)]
    >>> [(b.source, b.target, b.volume, b.back) for b in view.bands]
    [('u', 'p', 10.0, False), ('p', 'a', 6.0, False), ('p', 'b', 4.0, False), ('a', 'p', 1.0, True)]
    """
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 2:
        raise ValueError(f"max_nodes must be a whole number of at least 2, not {max_nodes!r}")
    units = dict(drawing.units)
    unit = units.get(currency, currency)
    period = drawing.period
    drawn = {n.id: n for n in drawing.nodes}
    edges = [e for e in drawing.edges if e.currency == currency]
    flows = [e for e in edges if _carries(e)]
    notes: list[str] = []
    blocked = sum(e.pipes for e in edges if e.blocked)
    empty = sum(e.pipes for e in edges if not e.blocked and not _carries(e))
    if blocked:
        notes.append(
            f"{blocked:,} blocked {currency} pipe{_s(blocked)} "
            f"carr{'ies' if blocked == 1 else 'y'} nothing: not drawn."
        )
    if empty:
        notes.append(
            f"{empty:,} {currency} pipe{_s(empty)} without a volume (or of volume 0): not drawn."
        )

    # -- throughflow of each drawn node, then folding ---------------------------------------
    inflow: dict[str, float] = {}
    outflow: dict[str, float] = {}
    for e in flows:
        outflow[e.source] = outflow.get(e.source, 0.0) + float(e.volume or 0.0)
        inflow[e.target] = inflow.get(e.target, 0.0) + float(e.volume or 0.0)
    order = [n.id for n in drawing.nodes if n.id in inflow or n.id in outflow]
    position = {n: i for i, n in enumerate(order)}

    def through(n: str) -> float:
        return max(inflow.get(n, 0.0), outflow.get(n, 0.0))

    # the drawing's own summaries of a long tail are folded first
    ranked = sorted(order, key=lambda n: (drawn[n].kind == "fold", -through(n), position[n]))
    role = {
        n: "source" if n not in inflow else "sink" if n not in outflow else "through" for n in order
    }
    plan = _fold_plan(ranked, drawn, role, max_nodes)
    taken = set(drawn)
    bar_of = {n: n for n in order}
    others: dict[Key, str] = {}
    folded_into: dict[str, list[str]] = {}
    for n in ranked:
        key = plan.get(n)
        if key is None:
            continue
        if key not in others:
            base = f"others:{key[1] or 'top level'}:{key[2]}"
            fresh, i = base, 1
            while fresh in taken:
                i += 1
                fresh = f"{base}#{i}"
            taken.add(fresh)
            others[key] = fresh
        bar_of[n] = others[key]
        folded_into.setdefault(others[key], []).append(n)

    # -- bands: one per (source bar, target bar) ----------------------------------------------
    volume: dict[tuple[str, str], float] = {}
    pipes: dict[tuple[str, str], int] = {}
    inside = 0.0
    for e in flows:
        s, t = bar_of[e.source], bar_of[e.target]
        if s == t and e.source != e.target:
            inside += float(e.volume or 0.0)
            continue
        volume[(s, t)] = volume.get((s, t), 0.0) + float(e.volume or 0.0)
        pipes[(s, t)] = pipes.get((s, t), 0) + e.pipes
    if inside:
        notes.append(
            f"{format_number(inside)} {unit} per {period} between nodes folded into the same "
            "'+N others' bar: not drawn."
        )
    bars = list(dict.fromkeys(bar_of[n] for n in order))
    bars = [b for b in bars if any(b in pair for pair in volume)]
    back = feedback_arcs(bars, volume)
    loops = {pair for pair in volume if pair[0] == pair[1]} | back
    forward = [pair for pair in volume if pair not in loops]

    column, columns, rank = layered(bars, forward, weight=volume, sinks_last=True)
    levels = sorted(columns)

    # -- where each band leaves and enters its bars ---------------------------------------------
    span = {pair: column[pair[0]] - column[pair[1]] for pair in loops}
    lanes = sorted(loops, key=lambda p: (span[p], column[p[1]], rank[p[1]], rank[p[0]]))
    lane = {pair: i for i, pair in enumerate(lanes)}

    source_offset, target_offset = _offsets(volume, lane, column, rank)

    # -- the bars ------------------------------------------------------------------------------
    bar_in: dict[str, float] = {}
    bar_out: dict[str, float] = {}
    for (s, t), v in volume.items():
        bar_out[s] = bar_out.get(s, 0.0) + v
        bar_in[t] = bar_in.get(t, 0.0) + v
    nodes: list[SankeyNode] = []
    for level_index, level in enumerate(levels):
        above = 0.0
        for index, b in enumerate(sorted(columns[level], key=rank.__getitem__)):
            vin, vout = bar_in.get(b, 0.0), bar_out.get(b, 0.0)
            rows: Rows = (
                (f"in per {period}", f"{format_number(vin)} {unit}"),
                (f"out per {period}", f"{format_number(vout)} {unit}"),
            )
            members = tuple(folded_into.get(b, ()))
            if members:
                count = sum(drawn[m].stands_for for m in members)
                key = next(k for k, v in others.items() if v == b)
                group = drawn[key[1]].label if key[0] == "group" and key[1] in drawn else None
                what = f"{key[1]}s" if key[0] == "kind" else "others"
                text = f"+{count:,} {what}" + (f" ({group})" if group else "")
                listed = sorted(members, key=lambda m: -through(m))
                rows = (
                    ("folded", f"{count:,} nodes with smaller {currency} flows"),
                    ("each", _ROLES[key[2]]),
                    *rows,
                    *(
                        ("largest" if k == 0 else "", drawn[m].label)
                        for k, m in enumerate(listed[:12])
                    ),
                    *((("…", f"and {len(listed) - 12:,} more"),) if len(listed) > 12 else ()),
                )
                look = style.FOLD_STYLE
                kind, color, stands = "fold", look.color, count
            else:
                node = drawn[b]
                text, kind, color, stands = node.label, node.kind, node.color, node.stands_for
                rows = (("id", b), ("kind", kind), *rows)
            nodes.append(
                SankeyNode(
                    b,
                    text,
                    kind,
                    color,
                    level_index,
                    index,
                    above,
                    max(vin, vout),
                    vin,
                    vout,
                    stands,
                    members,
                    rows,
                )
            )
            above += max(vin, vout)

    def band_rows(pair: tuple[str, str]) -> Rows:
        rows: list[tuple[str, str]] = [
            (f"volume per {period}", f"{format_number(volume[pair])} {unit}"),
            ("currency", currency),
        ]
        if pipes[pair] > 1:
            rows.append(("pipes", f"{pipes[pair]:,} pipes in one band"))
        if pair in lane:
            rows.append(
                (
                    "drawn",
                    "as a loop: it flows back into itself"
                    if pair[0] == pair[1]
                    else "as a loop back: it closes a cycle",
                )
            )
        return tuple(rows)

    ordered = sorted(volume, key=lambda p: (p in lane, lane.get(p, 0), column[p[0]], rank[p[0]]))
    band_id: dict[Pair, str] = {}
    for pair in ordered:  # "source→target", made unique should an id hold an arrow itself
        base = f"{pair[0]}\u2192{pair[1]}"
        fresh, i = base, 1
        while fresh in taken:
            i += 1
            fresh = f"{base}#{i}"
        taken.add(fresh)
        band_id[pair] = fresh
    bands = tuple(
        Band(
            band_id[(s, t)],
            s,
            t,
            volume[(s, t)],
            source_offset[(s, t)],
            target_offset[(s, t)],
            lane.get((s, t), -1),
            pipes[(s, t)],
            band_rows((s, t)),
        )
        for s, t in ordered
    )
    if others:
        folded = sum(drawn[n].stands_for for v in folded_into.values() for n in v)
        total = sum(drawn[n].stands_for for n in order)
        notes.append(
            f"{len(bars) - len(others)} largest of {total:,} nodes with {currency} flows "
            f"drawn; {folded:,} smaller ones folded into {len(others)} '+N others' "
            f"bar{_s(len(others))}."
        )
    if lanes:
        notes.append(
            f"{len(lanes)} band{_s(len(lanes))} closing a cycle drawn as "
            f"loop{_s(len(lanes))} below the columns."
        )
    return Sankey(
        currency=currency,
        unit=unit,
        period=period,
        nodes=tuple(nodes),
        bands=bands,
        columns=len(levels),
        notes=tuple(notes),
    )


Pair = tuple[str, str]


def _offsets(
    volume: Mapping[Pair, float],
    lane: Mapping[Pair, int],
    column: Mapping[str, int],
    rank: Mapping[str, float],
) -> tuple[dict[Pair, float], dict[Pair, float]]:
    """Where each band leaves its source and enters its target: the volume stacked above it.

    Bands to (from) higher bars leave (enter) higher; loops leave and enter at the bottom,
    the nearest lane first, so that they do not cross on their way down.
    """

    def key(pair: Pair, other: str) -> tuple[float, float, float]:
        if pair in lane:
            return (1.0, float(lane[pair]), 0.0)
        return (0.0, float(column[other]), rank[other])

    source_offset: dict[Pair, float] = {}
    target_offset: dict[Pair, float] = {}
    leaving: dict[str, list[Pair]] = {}
    entering: dict[str, list[Pair]] = {}
    for pair in volume:
        leaving.setdefault(pair[0], []).append(pair)
        entering.setdefault(pair[1], []).append(pair)
    for pairs in leaving.values():
        running = 0.0
        for pair in sorted(pairs, key=lambda p: key(p, p[1])):
            source_offset[pair] = running
            running += volume[pair]
    for pairs in entering.values():
        running = 0.0
        for pair in sorted(pairs, key=lambda p: key(p, p[0])):
            target_offset[pair] = running
            running += volume[pair]
    return source_offset, target_offset


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# -- pixels -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SankeyLayout:
    """A Sankey view in pixels: what the page draws in an area of a given size.

    Attributes
    ----------
    width, height : float
        The area used (at least the size asked for; more when the view needs it).
    scale : float
        Pixels per unit of volume: a band is ``volume * scale`` wide, a bar
        ``value * scale`` tall.
    step : float
        Distance between two columns.
    bars : dict of id to (x, y, width, height)
    bands : dict of id to (x0, y0, x1, y1, width, lane_y)
        Where the band's centre line leaves its source and enters its target;
        ``lane_y`` is the centre line of a return loop's lane (None for a band
        drawn left to right).
    """

    width: float
    height: float
    scale: float
    step: float
    bars: dict[str, tuple[float, float, float, float]]
    bands: dict[str, tuple[float, float, float, float, float, float | None]]


def sankey_layout(view: Sankey, width: float, height: float) -> SankeyLayout:
    """Place a Sankey view in an area of ``width`` x ``height`` pixels.

    The rules (the page's ``sankey.js`` applies the same, with the same
    :data:`GEOMETRY`): columns evenly spaced, room for labels right of the
    last; one scale for every bar and band, the largest that fits the fullest
    column with its gaps and the return loops' lanes below; each column
    centred above the lanes. The area grows when the view needs more room
    (a bar gets at least ``min_bar`` pixels on average, columns are at least
    ``min_column`` apart).

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"u": Node("u", "pool"), "a": Node("a", "partner"),
    ...     "b": Node("b", "partner")}, pipes=(Pipe("k1", "u", "a", volume=30.0),
    ...     Pipe("k2", "u", "b", volume=10.0)))
    >>> px = sankey_layout(sankey(describe(eco), "traffic"), 800, 500)
    >>> px.bars["u"][3] == 40 * px.scale, px.bands["u\u2192a"][4] == 30 * px.scale
    (True, True)
    """
    g = GEOMETRY
    per_column: dict[int, list[SankeyNode]] = {}
    for node in view.nodes:
        per_column.setdefault(node.column, []).append(node)
    loops = sorted((b for b in view.bands if b.back), key=lambda b: b.lane)
    loop_total = sum(b.volume for b in loops)
    lanes_fixed = g["lane_gap"] * len(loops)
    fullest = max((len(c) for c in per_column.values()), default=1)
    height = max(
        height,
        g["top"]
        + g["bottom"]
        + lanes_fixed
        + (fullest - 1) * g["gap"]
        + (fullest + len(loops)) * g["min_bar"],
    )
    width = max(
        width, g["left"] + g["label_room"] + g["bar"] + g["min_column"] * (view.columns - 1)
    )
    room = height - g["top"] - g["bottom"] - lanes_fixed
    scale = min(
        (
            (room - (len(c) - 1) * g["gap"]) / (sum(n.value for n in c) + loop_total)
            for c in per_column.values()
        ),
        default=1.0,
    )
    # a return loop's centre line bends out 3/4 of its reach left of its target: room for it
    reach = max(
        (0.75 * max(g["loop"], b.volume * scale) + b.volume * scale / 2 for b in loops),
        default=0.0,
    )
    left = g["left"] + reach
    step = (width - left - g["label_room"] - g["bar"]) / max(1, view.columns - 1)
    bottom = height - g["bottom"] - lanes_fixed - loop_total * scale
    bars: dict[str, tuple[float, float, float, float]] = {}
    for c, members in per_column.items():
        total = sum(n.value for n in members) * scale + (len(members) - 1) * g["gap"]
        top = g["top"] + (bottom - g["top"] - total) / 2
        for n in members:
            y = top + n.above * scale + n.index * g["gap"]
            bars[n.id] = (left + c * step, y, g["bar"], n.value * scale)
    bands: dict[str, tuple[float, float, float, float, float, float | None]] = {}
    below = 0.0
    for b in view.bands:
        sx, sy, sw, _ = bars[b.source]
        tx, ty, _, _ = bars[b.target]
        w = b.volume * scale
        lane_y = None
        if b.back:
            lane_y = bottom + g["lane_gap"] * (b.lane + 1) + below + w / 2
            below += w
        bands[b.id] = (
            sx + sw,
            sy + (b.source_offset + b.volume / 2) * scale,
            tx,
            ty + (b.target_offset + b.volume / 2) * scale,
            w,
            lane_y,
        )
    return SankeyLayout(width, height, scale, step, bars, bands)


def page_data(drawing: Drawing) -> dict[str, Any]:
    """What the page's Sankey view reads: one view per currency, and where it opens.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("k1", "a", "b", volume=5.0),))
    >>> data = page_data(describe(eco))
    >>> data["view"], data["currency"], [v["currency"] for v in data["views"]]
    ('map', 'traffic', ['traffic'])
    """
    currencies = sankey_currencies(drawing)
    start = drawing.currency or main_currency(drawing)
    return {
        "view": drawing.view,
        "currency": start,
        "views": [sankey(drawing, c).to_dict() for c in currencies],
        "geometry": dict(GEOMETRY),
        "return_color": RETURN_COLOR,
    }
