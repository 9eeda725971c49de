"""What is visible when some groups are collapsed: the rule the page applies, in Python.

A collapsed group stands for all its members: a member is drawn as its
outermost collapsed container; pipes inside one collapsed group disappear;
pipes that cross its border are rolled up, one drawn pipe per (source,
target, currency, blocked) with volumes and pipe counts summed. The page's
script applies the same rule when a group is collapsed or expanded; the
static picture uses this module for the groups that start collapsed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from ecograph.render import style
from ecograph.render.drawing import Drawing, DrawnEdge, DrawnNode
from ecograph.render.layout import curves_apart

__all__ = ["carried_sizes", "visible"]


def visible(
    drawing: Drawing, collapsed: Iterable[str] | None = None
) -> tuple[tuple[DrawnNode, ...], tuple[DrawnEdge, ...]]:
    """The nodes and pipes drawn when ``collapsed`` groups are collapsed.

    Parameters
    ----------
    drawing : Drawing
    collapsed : iterable of str, optional
        Group ids; default: the groups the drawing starts collapsed.

    Returns
    -------
    nodes : tuple of DrawnNode
        The visible nodes, in drawing order.
    edges : tuple of DrawnEdge
        The visible pipes: the drawing's own where both ends are visible,
        then rolled-up pipes (``id`` starting with ``collapsed:``).

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"u": Node("u", "pool"), "s": Node("s", "sub-ecosystem"),
    ...     "a": Node("a", "partner", parent="s"), "b": Node("b", "partner", parent="s")},
    ...     pipes=(Pipe("p1", "u", "a", volume=2.0), Pipe("p2", "u", "b", volume=3.0),
    ...            Pipe("p3", "a", "b", volume=1.0)))
    >>> nodes, edges = visible(describe(eco), ["s"])
    >>> [n.id for n in nodes]
    ['u', 's']
    >>> [(e.source, e.target, e.volume, e.pipes) for e in edges]
    [('u', 's', 5.0, 2)]
    """
    shut = {g.id for g in drawing.groups if g.collapsed} if collapsed is None else set(collapsed)
    parent = {n.id: n.parent for n in drawing.nodes}

    def rep(node: str) -> str:
        out = node
        up = parent[node]
        while up is not None:
            if up in shut:
                out = up
            up = parent[up]
        return out

    reps = {n: rep(n) for n in parent}
    nodes = tuple(n for n in drawing.nodes if reps[n.id] == n.id)
    direct: list[DrawnEdge] = []
    rolled: dict[tuple[str, str, str, bool], list[DrawnEdge]] = {}
    for edge in drawing.edges:
        source, target = reps[edge.source], reps[edge.target]
        if (source, target) == (edge.source, edge.target):
            direct.append(edge)
        elif source != target:
            rolled.setdefault((source, target, edge.currency, edge.blocked), []).append(edge)
    tops: dict[str, float] = {}
    for edge in drawing.edges:
        if edge.volume is not None:
            tops[edge.currency] = max(tops.get(edge.currency, 0.0), edge.volume)
    extra = []
    for (source, target, currency, blocked), parts in rolled.items():
        given = [e.volume for e in parts if e.volume is not None and not e.blocked]
        volume = sum(given) if given else None
        bottleneck = any(e.bottleneck for e in parts)
        look = style.CURRENCY_STYLES[currency]
        width = style.scale_widths([(currency, tops.get(currency)), (currency, volume)])[1]
        extra.append(
            DrawnEdge(
                f"collapsed:{source}->{target}:{currency}" + (":blocked" if blocked else ""),
                source,
                target,
                currency,
                volume,
                width,
                style.BOTTLENECK_COLOR
                if bottleneck
                else style.BLOCKED_COLOR
                if blocked
                else look.color,
                look.dashes,
                0.0,
                blocked,
                bottleneck,
                sum(e.pipes for e in parts),
                empty=all(e.empty for e in parts),
            )
        )
    edges = (*direct, *extra)
    curves = curves_apart([(e.source, e.target) for e in edges])
    return nodes, tuple(
        e if e.curve == c else dataclasses.replace(e, curve=c)
        for e, c in zip(edges, curves, strict=True)
    )


def carried_sizes(drawing: Drawing) -> dict[str, float]:
    """How big each group is drawn when collapsed: as big as what it carries.

    The page's rule: a collapsed group's area is its own plus its members'
    (each drawn at its size), its radius at most five times its own size and
    at most 80.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> from ecograph.render import describe
    >>> d = describe(Ecosystem("m", nodes={"s": Node("s", "sub-ecosystem"),
    ...     "a": Node("a", "partner", parent="s"), "b": Node("b", "partner", parent="s")}))
    >>> [n.size for n in d.nodes]
    [20.0, 11.0, 11.0]
    >>> round(carried_sizes(d)["s"], 3)  # sqrt(20**2 + 11**2 + 11**2)
    25.338
    """
    size = {n.id: n.size for n in drawing.nodes}
    return {
        g.id: min(
            math.sqrt(size[g.id] ** 2 + sum(size[m] ** 2 for m in g.members)),
            5 * size[g.id],
            80.0,
        )
        for g in drawing.groups
    }
