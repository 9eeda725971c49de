"""Where each drawn node goes: deterministic positions computed from the membership tree.

Two layouts, both pure functions of the drawn nodes (same map, same picture):

``force``
    Rings: each group sits at the centre of its members, placed on concentric
    rings around it (largest members innermost), and groups nest inside the
    rings of their own group. The page starts its physics from these positions,
    so it settles in a few steps. O(n) after sorting. Each level of nesting
    can double the radius of its rings, so a tree deeper than rings can hold
    (past ``MAX_EXTENT`` screen units) is laid out ``hierarchical`` instead:
    positions are always finite.
``hierarchical``
    A tidy tree, top down: platform above its sub-ecosystems above their
    partners; a group's leaf members wrap into rows of at most ``WRAP``.

Coordinates are screen units with y pointing down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["KIND_LAYER", "curves_apart", "flow_layout", "hierarchical_layout", "ring_layout"]

#: Room around each node for its label.
PAD = 22.0
#: Gap between rings and between neighbours.
GAP = 18.0
#: Leaf members per row in the hierarchical layout.
WRAP = 12
LEVEL_GAP = 170.0
ROW_GAP = 70.0
#: The largest radius the ring layout may reach before it gives way to the tree layout.
MAX_EXTENT = 1e6


def _children(
    order: Sequence[str], parent: Mapping[str, str | None]
) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for node in order:
        out.setdefault(parent[node], []).append(node)
    return out


def _post_order(children: Mapping[str | None, list[str]]) -> list[str]:
    out: list[str] = []
    stack: list[tuple[str | None, bool]] = [(None, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if node is not None:
                out.append(node)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children.get(node, [])))
    return out


def ring_layout(
    order: Sequence[str], parent: Mapping[str, str | None], size: Mapping[str, float]
) -> dict[str, tuple[float, float]]:
    """Positions with every group at the centre of rings of its members.

    Parameters
    ----------
    order : sequence of str
        Node ids in file order (ties keep this order).
    parent : mapping of id to id or None
        The drawn membership tree.
    size : mapping of id to float
        Node radius.

    Returns
    -------
    dict of id to (x, y)
        Finite: when the rings of a deep tree would grow past ``MAX_EXTENT``,
        the positions of :func:`hierarchical_layout`.

    Examples
    --------
    >>> chain = [f"n{i}" for i in range(1500)]
    >>> deep = ring_layout(chain, {n: (chain[i - 1] if i else None) for i, n in
    ...                    enumerate(chain)}, {n: 10.0 for n in chain})
    >>> all(math.isfinite(x) and math.isfinite(y) for x, y in deep.values())
    True
    >>> pos = ring_layout(["p", "a", "b"], {"p": None, "a": "p", "b": "p"},
    ...                   {"p": 20.0, "a": 10.0, "b": 10.0})
    >>> pos["p"]
    (0.0, 0.0)
    >>> round(math.dist(pos["a"], pos["p"])) == round(math.dist(pos["b"], pos["p"])) > 40
    True
    """
    children = _children(order, parent)
    index = {node: i for i, node in enumerate(order)}
    radius: dict[str | None, float] = {}
    offsets: dict[str, tuple[float, float]] = {}
    for node in [*_post_order(children), None]:
        own = 0.0 if node is None else size[node] + PAD
        kids = sorted(children.get(node, []), key=lambda c: (-radius[c], index[c]))
        if not kids:
            radius[node] = own
            continue
        if node is None and len(kids) == 1:
            offsets[kids[0]] = (0.0, 0.0)
            radius[node] = radius[kids[0]]
            continue
        ring_radius = own + GAP + radius[kids[0]] if own else radius[kids[0]] + GAP
        outer = ring_radius
        start = 0
        ring_number = 0
        while start < len(kids):
            widest = radius[kids[start]]
            circumference = 2 * math.pi * ring_radius
            end, used = start, 0.0
            while end < len(kids):
                need = 2 * radius[kids[end]] + GAP
                if end > start and used + need > circumference:
                    break
                used += need
                end += 1
            ring = kids[start:end]
            angle = -math.pi / 2 + ring_number * 0.61
            for kid in ring:
                share = (2 * radius[kid] + GAP) / used * 2 * math.pi
                if len(ring) == 1:
                    share = 0.0
                angle += share / 2
                offsets[kid] = (ring_radius * math.cos(angle), ring_radius * math.sin(angle))
                angle += share / 2
            outer = ring_radius + widest
            ring_radius = outer + GAP + (radius[kids[end]] if end < len(kids) else 0.0)
            start = end
            ring_number += 1
        radius[node] = outer
        if not outer <= MAX_EXTENT:  # too deep for rings (inf and nan included)
            return hierarchical_layout(order, parent, size)
    positions: dict[str, tuple[float, float]] = {}
    stack: list[tuple[str | None, float, float]] = [(None, 0.0, 0.0)]
    while stack:
        node, x, y = stack.pop()
        for kid in children.get(node, []):
            dx, dy = offsets[kid]
            positions[kid] = (round(x + dx, 2), round(y + dy, 2))
            stack.append((kid, x + dx, y + dy))
    return positions


def curves_apart(pairs: Sequence[tuple[str, str]]) -> list[float]:
    """Signed roundness per edge, so parallel edges between two nodes are drawn apart.

    Parameters
    ----------
    pairs : sequence of (source, target)

    Returns
    -------
    list of float
        0 for an edge alone between its two nodes (drawn straight); for k
        edges between the same two nodes (either direction), roundness
        0, +0.18, -0.18, +0.36... (odd k) or +0.18, -0.18, +0.36... (even k).
        The sign is the side seen from the pair's first node (in sorted
        order), so a reversed edge gets the opposite sign: in vis-network,
        positive is ``curvedCW`` and negative ``curvedCCW`` seen from source
        to target.

    Examples
    --------
    >>> curves_apart([("a", "b"), ("b", "a"), ("a", "c")])
    [0.18, 0.18, 0.0]
    >>> curves_apart([("a", "b"), ("a", "b"), ("a", "b")])
    [0.0, 0.18, -0.18]
    """
    by_pair: dict[tuple[str, str], list[int]] = {}
    for i, (source, target) in enumerate(pairs):
        by_pair.setdefault((min(source, target), max(source, target)), []).append(i)
    curves = [0.0] * len(pairs)
    for (low, _high), members in by_pair.items():
        if len(members) == 1:
            continue
        odd = len(members) % 2
        for slot, i in enumerate(members):
            if odd:  # 0, +1, -1, +2, -2...
                step, sign = (slot + 1) // 2, (1.0 if slot % 2 else -1.0)
            else:  # +1, -1, +2, -2...
                step, sign = slot // 2 + 1, (-1.0 if slot % 2 else 1.0)
            if pairs[i][0] != low:
                sign = -sign
            curves[i] = round(sign * min(0.9, 0.18 * step), 3) if step else 0.0
    return curves


def hierarchical_layout(
    order: Sequence[str], parent: Mapping[str, str | None], size: Mapping[str, float]
) -> dict[str, tuple[float, float]]:
    """Positions of a top-down tidy tree: each level of nesting one row lower.

    Parameters
    ----------
    order, parent, size
        As for :func:`ring_layout`.

    Returns
    -------
    dict of id to (x, y)

    Examples
    --------
    >>> pos = hierarchical_layout(["p", "s", "a"], {"p": None, "s": "p", "a": "s"},
    ...                           {"p": 20.0, "s": 15.0, "a": 10.0})
    >>> pos["p"][1] < pos["s"][1] < pos["a"][1]
    True
    """
    children = _children(order, parent)
    cell = 2 * max(size.values(), default=10.0) + 2 * PAD
    width: dict[str | None, float] = {}
    for node in [*_post_order(children), None]:
        kids = children.get(node, [])
        groups = [k for k in kids if children.get(k)]
        leaves = [k for k in kids if not children.get(k)]
        spans = sum(width[g] for g in groups) + min(len(leaves), WRAP) * cell
        width[node] = max(cell, spans)
    positions: dict[str, tuple[float, float]] = {}
    stack: list[tuple[str | None, float, float]] = [(None, 0.0, -LEVEL_GAP)]
    while stack:
        node, left, y = stack.pop()
        kids = children.get(node, [])
        groups = [k for k in kids if children.get(k)]
        leaves = [k for k in kids if not children.get(k)]
        x = left
        for group in groups:
            positions[group] = (round(x + width[group] / 2, 2), y + LEVEL_GAP)
            stack.append((group, x, y + LEVEL_GAP))
            x += width[group]
        columns = min(len(leaves), WRAP)
        for i, leaf in enumerate(leaves):
            row, column = divmod(i, WRAP)
            # stagger alternate rows so labels of neighbours do not collide
            shift = cell / 2 if row % 2 and columns == WRAP else 0.0
            positions[leaf] = (
                round(x + (column + 0.5) * cell + shift, 2),
                y + LEVEL_GAP + row * ROW_GAP,
            )
    return positions


#: The leftmost layer of each kind in the flow layout: sources left, sinks right.
KIND_LAYER = {
    "pool": 0,
    "fund": 0,
    "platform": 1,
    "sub-ecosystem": 1,
    "channel": 2,
    "partner": 3,
    "producer": 4,
}
#: Distance between the layers of the flow layout.
LAYER_GAP = 260.0


def flow_layout(
    order: Sequence[str],
    kind: Mapping[str, str],
    flows: Sequence[tuple[str, str]],
    size: Mapping[str, float],
) -> tuple[dict[str, tuple[float, float]], set[tuple[str, str]]]:
    """Positions of a layered drawing from sources (left) to sinks (right), and its back-edges.

    Cycles are broken for the layout only: a depth-first search from the
    sources, in map order, turns each pipe that closes a cycle into a back-edge
    (drawn, but ignored when layering). Each node then sits one layer right of
    its furthest predecessor (longest path) and never left of its kind's usual
    layer (:data:`KIND_LAYER`: pools and funds first, producers last); empty
    layers are dropped. Within a layer, nodes are ordered by
    a few barycentre sweeps to shorten crossings, then spaced by their size.

    Parameters
    ----------
    order : sequence of str
        The drawn nodes, in map order.
    kind : mapping of id to kind
    flows : sequence of (source, target)
        The pipes of the laid-out currency, between drawn nodes.
    size : mapping of id to radius

    Returns
    -------
    positions : dict of id to (x, y)
    back : set of (source, target)
        The pipes that run against the layers (they close cycles).

    Examples
    --------
    >>> pos, back = flow_layout(["u", "p", "a"], {"u": "pool", "p": "platform", "a": "partner"},
    ...                         [("u", "p"), ("p", "a"), ("a", "u")], {"u": 10, "p": 10, "a": 10})
    >>> pos["u"][0] < pos["p"][0] < pos["a"][0], back
    (True, {('a', 'u')})
    """
    nodes = list(order)
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    has_in = set()
    for s, t in flows:
        if s != t and s in succ and t in succ and t not in succ[s]:
            succ[s].append(t)
            has_in.add(t)
    # cycle breaking: iterative DFS, sources first; an edge into the stack is a back-edge
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    roots = [n for n in nodes if n not in has_in] + [n for n in nodes if n in has_in]
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
            elif state[nxt] == 1:
                back.add((node, nxt))
    forward = {n: [t for t in succ[n] if (n, t) not in back] for n in nodes}
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for s in nodes:
        for t in forward[s]:
            pred[t].append(s)
    # longest path layering (Kahn's order)
    indegree = {n: len(pred[n]) for n in nodes}
    ready = [n for n in nodes if indegree[n] == 0]
    # a node is never left of its kind's usual layer (pools and funds first, producers last)
    layer = {n: KIND_LAYER.get(kind[n], 2) for n in nodes}
    i = 0
    while i < len(ready):
        node = ready[i]
        i += 1
        for t in forward[node]:
            layer[t] = max(layer[t], layer[node] + 1)
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    layers: dict[int, list[str]] = {}
    for n in nodes:
        layers.setdefault(layer[n], []).append(n)
    keys = sorted(layers)
    rank = {n: float(i) for members in layers.values() for i, n in enumerate(members)}

    def sweep(sequence: Sequence[int], neighbours: Mapping[str, list[str]]) -> None:
        for level in sequence:
            members = layers[level]
            centre = {}
            for n in members:
                near = neighbours[n]
                centre[n] = sum(rank[m] for m in near) / len(near) if near else rank[n]
            members.sort(key=lambda n: (centre[n], rank[n]))
            for i, n in enumerate(members):
                rank[n] = float(i)

    for _ in range(4):
        sweep(keys[1:], pred)
        sweep(keys[-2::-1], forward)
    # layers far enough apart that the picture is wider than tall, as a flow reads
    heights = {n: 2 * size[n] + PAD + GAP for n in nodes}
    tallest = max((sum(heights[n] for n in layers[k]) for k in keys), default=0.0)
    gap = max(LAYER_GAP, 1.4 * tallest / max(1, len(keys)))
    positions: dict[str, tuple[float, float]] = {}
    for column, level in enumerate(keys):
        members = layers[level]
        y = -sum(heights[n] for n in members) / 2
        for n in members:
            positions[n] = (round(column * gap, 2), round(y + heights[n] / 2, 2))
            y += heights[n]
    return positions, back
