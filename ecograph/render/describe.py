"""From a map to a :class:`~ecograph.render.drawing.Drawing`: what to draw, before any pixel.

Everything the page and the static picture show is decided here: which nodes
are drawn (the long tail of large maps folded), their size, colour, shape and
position; each pipe's width, colour, dash pattern and curve; the groups and
which start collapsed; the legend and the notes. The result is frozen plain
data, so it is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from ecograph._suggest import did_you_mean
from ecograph.analysis.diagnose import empty_pipes
from ecograph.errors import UsageError
from ecograph.model import CURRENCIES, Ecosystem
from ecograph.render import style, tooltips
from ecograph.render.drawing import Drawing, DrawnEdge, DrawnNode, Fold, Group
from ecograph.render.fold import plan_folds
from ecograph.render.layout import (
    choose_layout,
    curves_apart,
    flow_layout,
    force_layout,
    hierarchical_layout,
)
from ecograph.render.legend import legend_entries, notes_for
from ecograph.render.metrics import bottleneck_pipes, node_totals, size_values
from ecograph.render.pipes import EdgePlan, plan_pipes
from ecograph.render.sankey import sankey_currencies
from ecograph.render.style import compact
from ecograph.render.table import Floats, PipeTable, pipe_table

__all__ = [
    "DEFAULT_MAX_NODES",
    "HIGHLIGHTS",
    "LAYOUTS",
    "OVERVIEW_ABOVE",
    "OVERVIEW_NODES",
    "VIEWS",
    "describe",
    "overview_depth",
]

#: Node budget: larger maps fold the long tail of each group.
DEFAULT_MAX_NODES = 2000
#: Edge budget: at most this many edges per node of the budget (and at least the floor).
EDGE_BUDGET_PER_NODE = 3
EDGE_BUDGET_FLOOR = 1000
#: Pipe labels are drawn on the map only when it has at most this many pipes.
EDGE_LABEL_LIMIT = 400
LAYOUTS = ("auto", "force", "hierarchical", "flow")
#: How much a back-edge of the flow view bends.
BACK_EDGE_CURVE = 0.45
HIGHLIGHTS = ("bottlenecks", "blocked", "empty")
#: The views a page can open on: the map, or the Sankey view of one currency's flows.
VIEWS = ("map", "sankey")
#: A drawing of more nodes than this opens on its overview (deep groups collapsed)
#: unless ``collapse`` or ``depth`` says what to show.
OVERVIEW_ABOVE = 300
#: How many nodes the overview shows at most (whole levels of the tree).
OVERVIEW_NODES = 150


def _flow_currency(currencies: Sequence[str]) -> str | None:
    """The currency a flow view lays out: traffic when drawn, else the most common."""
    if not currencies:
        return None
    if "traffic" in currencies:
        return "traffic"
    return max(dict.fromkeys(currencies), key=currencies.count)


def overview_depth(depths: Iterable[int], limit: int | None = None) -> int | None:
    """The deepest level to show so that at most ``limit`` nodes are visible.

    Groups at the returned depth and deeper start collapsed, so the nodes at
    that depth or above are what shows (at least the top level). None when
    every node fits: nothing needs collapsing.

    Examples
    --------
    >>> overview_depth([0, 1, 1, 2, 2, 2, 2], limit=4)  # 1 + 2 nodes fit, 1 + 2 + 4 do not
    1
    >>> overview_depth([0, 1, 1], limit=4) is None
    True
    """
    limit = OVERVIEW_NODES if limit is None else limit
    per_level: dict[int, int] = {}
    for d in depths:
        per_level[d] = per_level.get(d, 0) + 1
    shown, best = 0, 0
    for level in sorted(per_level):
        shown += per_level[level]
        if shown > limit:
            return best
        best = level
    return None


def _fresh(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}#{n}"
    taken.add(candidate)
    return candidate


def _check_options(
    eco: Ecosystem,
    *,
    highlight: str | None,
    to: str | None,
    collapse: Iterable[str],
    depth: int | None,
    max_nodes: int,
    layout: str,
    view: str,
    currency: str | None,
) -> None:
    if view not in VIEWS:
        raise UsageError(
            f"unknown view {view!r}{did_you_mean(view, VIEWS)}; expected one of {', '.join(VIEWS)}"
        )
    if currency is not None and currency not in CURRENCIES:
        raise UsageError(
            f"unknown currency {currency!r}{did_you_mean(currency, CURRENCIES)}; "
            f"expected one of {', '.join(CURRENCIES)}"
        )
    if layout not in LAYOUTS:
        raise UsageError(
            f"unknown layout {layout!r}{did_you_mean(layout, LAYOUTS)}; "
            f"expected one of {', '.join(LAYOUTS)}"
        )
    if highlight is not None and highlight not in HIGHLIGHTS:
        raise UsageError(
            f"unknown highlight {highlight!r}{did_you_mean(highlight, HIGHLIGHTS)}; "
            f"expected one of {', '.join(HIGHLIGHTS)}"
        )
    if highlight == "bottlenecks" and to is None:
        raise UsageError("highlight='bottlenecks' needs to=NODE: the node the traffic must reach")
    if to is not None and highlight != "bottlenecks":
        raise UsageError("to=NODE is used with highlight='bottlenecks' only")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise UsageError(f"max_nodes must be a whole number of at least 1, not {max_nodes!r}")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise UsageError(f"depth must be a whole number of at least 0, not {depth!r}")
    for group in collapse:
        if not eco.children(group):  # children() raises for an unknown id, with a suggestion
            raise UsageError(f"cannot collapse {group!r}: it has no members")


def _weights(eco: Ecosystem, table: PipeTable) -> Floats:
    """Rank for folding: the node's share of each currency's flow, summed over currencies."""
    through = table.through()
    totals = through.sum(axis=0)
    share = (through / np.where(totals > 0, totals, 1.0)).sum(axis=1)
    users = np.fromiter((node.users or 0.0 for node in eco.nodes.values()), np.float64)
    # users only break ties between nodes that carry nothing
    weights: Floats = share + users * 1e-18
    return weights


def _whole(positions: Any) -> Any:
    """Positions (or positions and back-edges) in whole screen units: what vis-network's
    ``getPositions()`` reports, so the page shows exactly what the drawing says."""
    if isinstance(positions, tuple):
        return _whole(positions[0]), positions[1]
    return {n: (float(round(x)), float(round(y))) for n, (x, y) in positions.items()}


def _depths(parent: Mapping[str, str | None]) -> dict[str, int]:
    depth: dict[str, int] = {}
    for start in parent:
        chain = []
        node: str | None = start
        while node is not None and node not in depth:
            chain.append(node)
            node = parent[node]
        base = -1 if node is None else depth[node]
        for i, item in enumerate(reversed(chain)):
            depth[item] = base + 1 + i
    return depth


def describe(
    eco: Ecosystem,
    *,
    size_by: str = "users",
    highlight: str | None = None,
    to: str | None = None,
    collapse: Iterable[str] = (),
    depth: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    layout: str = "auto",
    view: str = "map",
    currency: str | None = None,
) -> Drawing:
    """Decide what the map looks like: nodes, pipes, groups, styles, legend, folded tail.

    Parameters
    ----------
    eco : Ecosystem
        The map. It is only read.
    size_by : str, default "users"
        Node size metric (area grows with the value): ``users``, ``volume``
        (traffic through the node), ``pipes`` (pipes in and out), or a metric
        of :mod:`ecograph.analysis` (computed only when asked for): ``degree``,
        ``pagerank``, ``betweenness``... of the traffic layer, or
        ``throughflow`` (see :func:`ecograph.render.metrics.size_values`).
    highlight : {None, "bottlenecks", "blocked", "empty"}
        The pipes that stand out, everything else dimmed (on the page, the
        legend's mark of the same name starts ticked): ``"bottlenecks"`` the
        pipes of a minimum cut between the map's sources and ``to``;
        ``"blocked"`` the blocked pipes; ``"empty"`` the empty ones (open, but
        volume 0 or into a node no source reaches, as ``diagnose`` calls a
        node's pipe empty: :func:`ecograph.analysis.diagnose.empty_pipes`).
    to : str, optional
        The target node of ``highlight="bottlenecks"``.
    collapse : iterable of str
        Groups (nodes with members) that start collapsed into one node.
    depth : int, optional
        Show this many levels of nesting: groups at depth ``depth`` or deeper
        start collapsed (0: only top-level nodes show). Without ``collapse``
        and ``depth``, a drawing of more than :data:`OVERVIEW_ABOVE` nodes
        opens on its overview: the depth from :func:`overview_depth`.
    max_nodes : int, default 2000
        Node budget. Above it, each group's long tail (its smallest leaf
        members by volume) is folded into one summary node "+N partners, V traffic".
    layout : {"auto", "force", "hierarchical", "flow"}
        ``force``: groups at the centre of rings of their members, relaxed so
        that pipes pull their ends together
        (:func:`ecograph.render.layout.force_layout`); ``hierarchical``:
        platform above sub-ecosystem above partner; ``flow``: layers from
        sources (pools, funds) on the left to sinks on the right along the
        traffic (else the most common currency), pipes that close a cycle drawn
        as arcs (see :func:`ecograph.render.layout.flow_layout`); ``auto``: flow
        when it reads better than force — at most 20% of its currency's volume
        runs back against the layers and it crosses no more pipes than force
        (:func:`ecograph.render.layout.choose_layout`) — else force; the
        drawing says which and why (``layout_reason``). Whatever the layout,
        the page opens on exactly these positions, as the PNG/SVG draws them.
    view : {"map", "sankey"}
        What the page opens on: the map, or the Sankey view of one currency's
        flows (see :func:`ecograph.render.sankey.sankey`); the page switches
        between them.
    currency : str, optional
        The currency the Sankey view opens on; by default traffic when it has
        flows, else the currency with the most pipes. It must have a pipe
        with a volume.

    Returns
    -------
    Drawing

    Raises
    ------
    UsageError
        For an unknown option value, node or metric.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
    ...     "u": Node("u", "pool", parent="p", users=1e6), "a": Node("a", "partner", parent="p")},
    ...     pipes=(Pipe("u->a:traffic", "u", "a", volume=10.0),
    ...            Pipe("u->a:capital", "u", "a", kind="capital", volume=3.0)))
    >>> d = describe(eco)
    >>> [(n.id, n.shape) for n in d.nodes]
    [('p', 'hexagon'), ('u', 'triangleDown'), ('a', 'dot')]
    >>> [(e.source, e.target, e.currency, e.curve) for e in d.edges]
    [('u', 'a', 'traffic', -0.18), ('u', 'a', 'capital', 0.18)]
    >>> d.groups[0].id, d.groups[0].members
    ('p', ('u', 'a'))
    """
    collapse = tuple(collapse)
    _check_options(
        eco,
        highlight=highlight,
        to=to,
        collapse=collapse,
        depth=depth,
        max_nodes=max_nodes,
        layout=layout,
        view=view,
        currency=currency,
    )
    table = pipe_table(eco)
    values, meaning = size_values(eco, size_by, table)
    cut: frozenset[str] = frozenset()
    flow: float | None = None
    if highlight == "bottlenecks" and to is not None:
        cut, flow = bottleneck_pipes(eco, to)
    empty = empty_pipes(eco)
    plans = plan_folds(eco, _weights(eco, table), max_nodes)

    taken = set(eco.nodes) | set(map(attrgetter("key"), eco.pipes))
    index = {node_id: i for i, node_id in enumerate(table.ids)}
    fold_of = np.full(len(table.ids), -1, dtype=np.int64)
    fold_ids = [_fresh(f"fold:{plan.group or 'top level'}", taken) for plan in plans]
    for f, plan in enumerate(plans):
        fold_of[[index[node_id] for node_id in plan.ids]] = f
    pipe_plan = plan_pipes(
        eco,
        table,
        fold_of,
        fold_ids,
        cut=cut,
        budget=max(EDGE_BUDGET_FLOOR, EDGE_BUDGET_PER_NODE * max_nodes),
        taken=taken,
        empty=empty,
        keep_empty=highlight == "empty",
    )

    # -- nodes ------------------------------------------------------------------------------
    parent: dict[str, str | None] = {}
    label: dict[str, str] = {}
    kind: dict[str, str] = {}
    value: dict[str, float | None] = {}
    stands_for: dict[str, int] = {}
    rows: dict[str, tuple[tuple[str, str], ...]] = {}
    own_metric = size_by in ("users", "pipes")
    for i, (node_id, node) in enumerate(eco.nodes.items()):
        if fold_of[i] >= 0:
            continue
        parent[node_id] = node.parent
        label[node_id] = node.label
        kind[node_id] = node.kind
        value[node_id] = values[node_id]
        stands_for[node_id] = 1
        metric = None if own_metric else (size_by, values[node_id])
        rows[node_id] = tooltips.node_rows(eco, node, node_totals(table, i), metric)
    folds: list[Fold] = []
    for f, plan in enumerate(plans):
        fid = fold_ids[f]
        kinds: dict[str, int] = {}
        for node_id in plan.ids:
            kinds[eco.nodes[node_id].kind] = kinds.get(eco.nodes[node_id].kind, 0) + 1
        volume = pipe_plan.fold_volume[f]
        what = f"{next(iter(kinds))}s" if len(kinds) == 1 else "members"
        shown = next(iter(volume.items()), None)
        parent[fid] = plan.group
        label[fid] = f"+{len(plan.ids):,} {what}" + (
            f", {compact(shown[1])} {shown[0]}" if shown else ""
        )
        kind[fid] = "fold"
        member_values = [v for v in (values[n] for n in plan.ids) if v is not None]
        value[fid] = sum(member_values) if member_values else None
        stands_for[fid] = len(plan.ids)
        group_label = eco.nodes[plan.group].label if plan.group is not None else None
        rows[fid] = tooltips.fold_rows(
            group_label,
            kinds,
            volume,
            plan.ids,
            {n: eco.nodes[n].label for n in plan.ids[:12]},
            period=eco.period,
        )
        folds.append(
            Fold(
                plan.group,
                fid,
                tuple(kinds.items()),
                tuple(volume.items()),
                pipe_plan.fold_pipes[f],
                plan.ids,
            )
        )
    labels_on = len(eco.pipes) <= EDGE_LABEL_LIMIT
    edges = pipe_plan.edges

    def edge_tooltip(e: EdgePlan) -> tuple[tuple[str, str], ...]:
        if e.pipe is not None:
            return tooltips.pipe_rows(eco, e.pipe, bottleneck_to=to if e.bottleneck else None)
        return tooltips.rolled_rows(
            label[e.source],
            label[e.target],
            e.currency,
            e.volume,
            e.pipes,
            e.pipes if e.blocked else 0,
            period=eco.period,
        )

    order = list(parent)
    depth_of = _depths(parent)
    scaled = style.scale_sizes(value)
    size = {
        n: scaled[n] or style.KIND_STYLES.get(kind[n], style.FOLD_STYLE).default_size for n in order
    }
    back: set[tuple[str, str]] = set()
    flow_currency = None
    reason = None
    links = [(e.source, e.target) for e in edges]
    if layout in ("flow", "auto"):
        flow_currency = _flow_currency([e.currency for e in edges])
        flows = [(e.source, e.target) for e in edges if e.currency == flow_currency]
        position, back = _whole(flow_layout(order, kind, flows, size))
    if layout in ("force", "auto"):
        forced = _whole(force_layout(order, parent, size, links))
        if layout == "auto":
            choice = choose_layout(
                forced,
                position,
                links,
                [(e.source, e.target, e.volume) for e in edges if e.currency == flow_currency],
                back,
                flow_currency,
            )
            layout, reason = choice.layout, choice.reason
        if layout == "force":
            position, back, flow_currency = forced, set(), None
    elif layout == "hierarchical":
        position = _whole(hierarchical_layout(order, parent, size))
    nodes = []
    for node_id in order:
        look = style.KIND_STYLES.get(kind[node_id], style.FOLD_STYLE)
        x, y = position[node_id]
        nodes.append(
            DrawnNode(
                node_id,
                label[node_id],
                kind[node_id],
                parent[node_id],
                depth_of[node_id],
                x,
                y,
                size[node_id],
                value[node_id],
                look.color,
                look.shape,
                stands_for[node_id],
                rows[node_id],
            )
        )

    widths = style.scale_widths((e.currency, e.volume) for e in edges)
    curves = curves_apart([(e.source, e.target) for e in edges])
    drawn_edges = []
    for edge, width, curve in zip(edges, widths, curves, strict=True):
        if edge.currency == flow_currency and (edge.source, edge.target) in back:
            curve = curve or BACK_EDGE_CURVE  # against the flow: an arc, not a straight line
        look_c = style.CURRENCY_STYLES[edge.currency]
        color = (
            style.BOTTLENECK_COLOR
            if edge.bottleneck
            else style.BLOCKED_COLOR
            if edge.blocked
            else look_c.color
        )
        drawn_edges.append(
            DrawnEdge(
                edge.id,
                edge.source,
                edge.target,
                edge.currency,
                edge.volume,
                width,
                color,
                look_c.dashes,
                curve,
                edge.blocked,
                edge.bottleneck,
                edge.pipes,
                edge.pipe.label if edge.pipe is not None and labels_on else None,
                edge_tooltip(edge),
                edge.empty,
            )
        )

    overview = None
    if not collapse and depth is None and len(order) > OVERVIEW_ABOVE:
        depth = overview = overview_depth(depth_of.values())
    groups = _groups(order, parent, label, kind, depth_of, set(collapse), depth)
    notes = notes_for(
        eco, folds, drawn_edges, to, flow, max_nodes, len(nodes), pipe_plan, highlight
    )
    if reason is not None:
        notes = (reason, *notes)
    if flow_currency is not None:
        against = sum(
            1 for e in edges if e.currency == flow_currency and (e.source, e.target) in back
        )
        notes += (
            f"Flow view: {flow_currency} runs from sources (left) to sinks (right)"
            + (
                f"; {against} pipe{'s' if against != 1 else ''} closing a cycle "
                f"arc{'' if against != 1 else 's'} back."
                if against
                else "."
            ),
        )
    if overview is not None:
        notes += (
            f"Opened on the overview: groups {'at' if overview == 0 else 'below'} "
            f"the top level{'' if overview == 0 else f' (depth {overview} and deeper)'} "
            "are collapsed; double-click one to open it, or use Expand all.",
        )
    drawing = Drawing(
        title=eco.title,
        name=eco.name,
        period=eco.period,
        files=tuple(eco.files),
        description=eco.description,
        nodes=tuple(nodes),
        edges=tuple(drawn_edges),
        groups=groups,
        folds=tuple(folds),
        legend=legend_entries(eco, nodes, drawn_edges, to),
        size_by=size_by,
        size_text=(
            f"Node size: {meaning} (area grows with the value; "
            "a node without a value has its kind's usual size)"
        ),
        width_text=f"Pipe width: volume per {eco.period}, scaled within each currency",
        layout=layout,
        physics=False,
        map_nodes=len(eco.nodes),
        map_pipes=len(eco.pipes),
        max_nodes=max_nodes,
        notes=notes,
        units=tuple((c, eco.units[c]) for c in CURRENCIES if c in eco.units),
        view=view,
        currency=currency,
        layout_reason=reason,
        highlight=highlight,
    )
    if view == "sankey" or currency is not None:
        _check_sankey(drawing, currency)
    return drawing


def _check_sankey(drawing: Drawing, currency: str | None) -> None:
    drawable = sankey_currencies(drawing)
    if currency is not None and currency not in drawable:
        raise UsageError(
            f"the Sankey view has no {currency} flows to draw: no {currency} pipe with a volume "
            + (f"(flows to draw: {', '.join(drawable)})" if drawable else "(nor of any currency)")
        )
    if not drawable:
        raise UsageError("the Sankey view has nothing to draw: no pipe has a volume")


def _groups(
    order: list[str],
    parent: Mapping[str, str | None],
    label: Mapping[str, str],
    kind: Mapping[str, str],
    depth_of: Mapping[str, int],
    collapse: set[str],
    depth: int | None,
) -> tuple[Group, ...]:
    children: dict[str, list[str]] = {}
    for node_id in order:
        p = parent[node_id]
        if p is not None:
            children.setdefault(p, []).append(node_id)
    out = []
    for node_id in order:
        if node_id not in children:
            continue
        members: list[str] = []
        stack = list(reversed(children[node_id]))
        while stack:
            current = stack.pop()
            members.append(current)
            stack.extend(reversed(children.get(current, [])))
        collapsed = node_id in collapse or (depth is not None and depth_of[node_id] >= depth)
        out.append(
            Group(
                node_id, label[node_id], kind[node_id], depth_of[node_id], tuple(members), collapsed
            )
        )
    out.sort(key=lambda g: g.depth)
    return tuple(out)
