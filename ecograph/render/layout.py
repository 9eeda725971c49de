"""Where each drawn node goes: deterministic positions computed from the membership tree.

Two layouts, both pure functions of the drawn nodes (same map, same picture):

``force``
    Rings relaxed: each group sits at the centre of its members, placed on
    concentric rings around it (largest members innermost), and groups nest
    inside the rings of their own group (:func:`ring_layout`); then
    :func:`force_layout` lets the pipes pull their ends together while springs
    keep every member at its ring's distance from its group and no two nodes
    come closer than the rings put them. The page opens on exactly these
    positions (its physics starts only when asked), and the PNG/SVG picture
    draws them too. Each level of nesting can double the radius of its rings,
    so a tree deeper than rings can hold (past ``MAX_EXTENT`` screen units) is
    laid out ``hierarchical`` instead: positions are always finite.
``hierarchical``
    A tidy tree, top down: platform above its sub-ecosystems above their
    partners; a group's leaf members wrap into rows of at most ``WRAP``.

Coordinates are screen units with y pointing down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BACK_SHARE_LIMIT",
    "KIND_LAYER",
    "LayoutChoice",
    "choose_layout",
    "crossings",
    "curves_apart",
    "flow_layout",
    "force_layout",
    "hierarchical_layout",
    "layered",
    "ring_layout",
]

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
    rings = _rings(order, parent, size)
    return hierarchical_layout(order, parent, size) if rings is None else rings


def _rings(
    order: Sequence[str], parent: Mapping[str, str | None], size: Mapping[str, float]
) -> dict[str, tuple[float, float]] | None:
    """The ring positions; None when the tree is too deep for rings."""
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
            return None
    positions: dict[str, tuple[float, float]] = {}
    stack: list[tuple[str | None, float, float]] = [(None, 0.0, 0.0)]
    while stack:
        node, x, y = stack.pop()
        for kid in children.get(node, []):
            dx, dy = offsets[kid]
            positions[kid] = (round(x + dx, 2), round(y + dy, 2))
            stack.append((kid, x + dx, y + dy))
    return positions


#: Relaxation steps of :func:`force_layout`.
FORCE_STEPS = 30
#: How strongly a member is held at its ring's distance from its group, per step.
HOLD = 0.35
#: How strongly a pipe pulls its two ends together, per step.
PULL = 0.005
#: How strongly the top-level nodes and groups drift towards their centre, per step.
GRAVITY = 0.2
#: Room around a node in the relaxation, in multiples of its radius (plus PAD + GAP / 2).
ROOM_SCALE = 2.0
#: Most rounds of pushing apart what still overlaps after the steps.
SETTLE = 40
#: How much longer than two touching nodes a pipe may stay without pulling.
LINK_SLACK = 80.0
#: The farthest a node moves in one step (screen units).
STEP_LIMIT = 40.0


def force_layout(
    order: Sequence[str],
    parent: Mapping[str, str | None],
    size: Mapping[str, float],
    links: Sequence[tuple[str, str]],
    *,
    steps: int = FORCE_STEPS,
) -> dict[str, tuple[float, float]]:
    """The ring positions relaxed: pipes pull their ends together, groups hold their members.

    Starts from :func:`ring_layout`. First each group's rings, with everything
    inside them, are turned as a whole around the group (outermost groups
    first) to whichever of :data:`TURNS` angles makes its pipes to the rest of
    the map shortest. Then ``steps`` steps, each of which (1) moves every
    member towards its ring's distance from its group (a spring of stiffness
    :data:`HOLD` whose rest length is that distance, so a group keeps its
    members around it), (2) pulls the two ends of every pipe towards each
    other (stiffness :data:`PULL`, only while they are more than
    :data:`LINK_SLACK` farther apart than two touching nodes), with moves
    shrinking linearly to nothing over the steps and each at most
    :data:`STEP_LIMIT`, (3) draws the top-level nodes and groups towards their
    centre (:data:`GRAVITY`, each group carrying its members), (4) pushes
    apart, as wholes, every group and a sibling (another member of its own
    group) whose discs overlap (a group's disc holds every member and its
    room, plus ``2 * GAP`` for the outlines), and (5) every two nodes closer
    than their room (:data:`ROOM_SCALE` times their radii plus ``2 * PAD +
    GAP``: room for their labels); then (4) and (5) again until nothing
    overlaps (at most :data:`SETTLE` rounds). No randomness: the same map gives
    the same positions. Each step costs O(n + m) plus the pairs of nearby
    nodes, found with a k-d tree (:class:`scipy.spatial.cKDTree`), and the
    pairs of sibling groups.

    Parameters
    ----------
    order, parent, size
        As for :func:`ring_layout`.
    links : sequence of (source, target)
        The drawn pipes (ends that are not in ``order`` are ignored).
    steps : int, default FORCE_STEPS

    Returns
    -------
    dict of id to (x, y)
        Rounded to 0.01; the positions of :func:`hierarchical_layout` for a
        tree too deep for rings, as :func:`ring_layout`.

    Examples
    --------
    >>> order = ["g", "h", "g0", "g1", "g2", "g3", "h0", "h1", "h2", "h3"]  # two groups of four
    >>> parent = {"g": None, "h": None} | {m: m[0] for m in order[2:]}
    >>> size = dict.fromkeys(order, 10.0)
    >>> pos = force_layout(order, parent, size, [("g2", "h0")])  # a pipe between the groups
    >>> alone = force_layout(order, parent, size, [])
    >>> math.dist(pos["g2"], pos["h0"]) < math.dist(alone["g2"], alone["h0"])  # turned to it
    True
    >>> all(math.dist(pos[m], pos[parent[m]]) < math.dist(pos[m], pos[other])
    ...     for m in order[2:] for other in "gh" if other != parent[m])  # groups hold
    True
    >>> min(math.dist(pos[a], pos[b]) for a in order for b in order if a < b) >= (
    ...     ROOM_SCALE * (10 + 10) + 2 * PAD + GAP - 0.5)  # never too close
    True
    >>> force_layout(order, parent, size, [("g2", "h0")]) == pos  # no randomness
    True
    """
    from scipy.spatial import cKDTree

    start = _rings(order, parent, size)
    if start is None:
        return hierarchical_layout(order, parent, size)
    n = len(order)
    if n < 2:
        return start
    index = {node: i for i, node in enumerate(order)}
    ring = np.array([start[node] for node in order], dtype=np.float64)
    pos = ring.copy()
    room = np.array([size[node] for node in order], dtype=np.float64) * ROOM_SCALE + PAD + GAP / 2
    up = np.array([-1 if (p := parent[node]) is None else index[p] for node in order], np.int64)
    member = np.flatnonzero(up >= 0)
    group = up[member]
    rest = np.linalg.norm(ring[member] - ring[group], axis=1)
    # each group's disc: its own room and every member's, around it (members of members too)
    below, above = [], []
    depth = np.zeros(n, np.int64)
    for m in range(n):
        over = int(up[m])
        while over >= 0:
            depth[m] += 1
            below.append(m)
            above.append(over)
            over = int(up[over])
    inner, outer = np.array(below, np.int64), np.array(above, np.int64)

    def extents() -> np.ndarray:
        extent = room.copy()
        np.maximum.at(extent, outer, np.linalg.norm(pos[inner] - pos[outer], axis=1) + room[inner])
        return extent

    roots = np.flatnonzero(up < 0)
    levels = [np.flatnonzero(depth == d) for d in range(1, int(depth.max()) + 1)]
    # siblings that must not overlap as wholes: every group with each other child of its parent
    is_group = np.zeros(n, np.bool_)
    is_group[group] = True
    siblings: dict[int, list[int]] = {}
    for i in range(n):
        siblings.setdefault(int(up[i]), []).append(i)
    disc_pairs = {
        (min(g, x), max(g, x))
        for kids in siblings.values()
        for g in kids
        if is_group[g]
        for x in kids
        if x != g
    }
    discs = np.array(sorted(disc_pairs), dtype=np.int64).reshape(-1, 2)
    pairs = {
        (min(index[s], index[t]), max(index[s], index[t]))
        for s, t in links
        if s in index and t in index and s != t
    }
    ends = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    a, b = ends[:, 0], ends[:, 1]
    touching = room[a] + room[b] + LINK_SLACK
    if len(ends) and len(inner):
        _turn(pos, inner, outer, depth, a, b)
    reach = 2 * float(room.max())
    # a fixed direction per node for pushing apart two nodes at the same place
    angle = np.arange(n) * 2.399963
    nudge = np.column_stack([np.cos(angle), np.sin(angle)])

    def along(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        length = np.linalg.norm(d, axis=1)
        return length, d / np.where(length > 0, length, 1.0)[:, None]

    def apart(i: np.ndarray, j: np.ndarray, need: np.ndarray) -> np.ndarray | None:
        """Half the overlap of each pair closer than ``need``, as moves per node; None: none."""
        d = pos[j] - pos[i]
        length = np.linalg.norm(d, axis=1)
        over = length < need
        if not over.any():
            return None
        i, j, d, length, need = i[over], j[over], d[over], length[over], need[over]
        unit = np.where((length > 1e-9)[:, None], d / np.maximum(length, 1e-9)[:, None], nudge[i])
        push = ((need - length) / 2)[:, None] * unit
        shift = np.zeros_like(pos)
        np.add.at(shift, i, -push)
        np.add.at(shift, j, push)
        count = np.bincount(np.concatenate([i, j]), minlength=n)
        out: np.ndarray = shift / np.maximum(count, 1)[:, None]
        return out

    def settle(rounds: int) -> None:
        """Push apart overlapping sibling groups (as wholes), then overlapping nodes."""
        for _ in range(rounds):
            moved = False
            if len(discs):
                extent = extents()
                need = extent[discs[:, 0]] + extent[discs[:, 1]] + 2 * GAP  # room for outlines
                shift = apart(discs[:, 0], discs[:, 1], need)
                if shift is not None:
                    for level in levels:
                        shift[level] += shift[up[level]]
                    pos[:] += shift
                    moved = True
            close = cKDTree(pos).query_pairs(reach, output_type="ndarray")
            if len(close):
                shift = apart(close[:, 0], close[:, 1], room[close[:, 0]] + room[close[:, 1]])
                if shift is not None:
                    pos[:] += shift
                    moved = True
            if not moved:
                return

    for step in range(steps):
        cool = 1.0 - step / steps
        move = np.zeros_like(pos)
        if len(member):
            length, unit = along(pos[member] - pos[group])
            pull = (HOLD * (length - rest))[:, None] * unit
            np.add.at(move, member, -pull)
            np.add.at(move, group, pull * 0.25)
        if len(ends):
            length, unit = along(pos[b] - pos[a])
            pull = (PULL * np.maximum(length - touching, 0.0))[:, None] * unit
            np.add.at(move, a, pull)
            np.add.at(move, b, -pull)
        length = np.linalg.norm(move, axis=1)
        limit = STEP_LIMIT * cool
        move *= np.minimum(1.0, limit / np.where(length > 0, length, 1.0))[:, None]
        pos += move * cool
        # the top-level nodes and groups drift together, each group carrying its members
        if len(roots) > 1:
            shift = np.zeros_like(pos)
            shift[roots] = GRAVITY * cool * (pos[roots].mean(axis=0) - pos[roots])
            for level in levels:
                shift[level] += shift[up[level]]
            pos += shift
        settle(2)
    settle(SETTLE)  # then until nothing overlaps (or SETTLE rounds)
    return {
        node: (round(float(x), 2), round(float(y), 2))
        for node, (x, y) in zip(order, pos, strict=True)
    }


#: How many angles each group's rings are tried at.
TURNS = 16


def _turn(
    pos: np.ndarray,
    inner: np.ndarray,
    outer: np.ndarray,
    depth: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> None:
    """Turn each group's rings, with everything inside them, around the group (in place).

    Outermost groups first, each to the one of :data:`TURNS` angles that makes its
    pipes to nodes outside it shortest in all (ties: the smallest turn).
    """
    n = len(pos)
    by_group = np.argsort(outer, kind="stable")
    starts = np.searchsorted(outer[by_group], np.arange(n + 1))
    groups = np.unique(outer)
    groups = groups[np.argsort(depth[groups], kind="stable")]
    angles = 2 * np.pi * np.arange(TURNS) / TURNS
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    mask = np.zeros(n, np.bool_)
    for g in groups.tolist():
        members = inner[by_group[starts[g] : starts[g + 1]]]
        mask[members] = True
        cross = np.flatnonzero(mask[a] != mask[b])
        if len(cross):
            inside = np.where(mask[a[cross]], a[cross], b[cross])
            outside = np.where(mask[a[cross]], b[cross], a[cross])
            rel = pos[inside] - pos[g]
            x = pos[g, 0] + cos * rel[:, 0] - sin * rel[:, 1]
            y = pos[g, 1] + sin * rel[:, 0] + cos * rel[:, 1]
            total = np.hypot(x - pos[outside, 0], y - pos[outside, 1]).sum(axis=1)
            k = int(np.argmin(total))
            if total[k] < total[0] - 1e-9:
                rel = pos[members] - pos[g]
                c, s_ = math.cos(angles[k]), math.sin(angles[k])
                pos[members, 0] = pos[g, 0] + c * rel[:, 0] - s_ * rel[:, 1]
                pos[members, 1] = pos[g, 1] + s_ * rel[:, 0] + c * rel[:, 1]
        mask[members] = False


def crossings(
    positions: Mapping[str, tuple[float, float]], links: Sequence[tuple[str, str]]
) -> int:
    """How many pairs of pipes cross, drawn as straight lines between node centres.

    Parallel pipes (same two nodes, either direction) count as one line, loops
    and pipes with an end not in ``positions`` as none. Two lines cross when
    they share no end and each one's ends lie strictly on opposite sides of
    the other (touching or running along each other is not crossing).
    Vectorised over blocks of lines: O(m²) comparisons at numpy speed, lines
    whose bounding boxes are apart dismissed first.

    Parameters
    ----------
    positions : mapping of id to (x, y)
    links : sequence of (source, target)

    Returns
    -------
    int

    Examples
    --------
    >>> square = {"a": (0, 0), "b": (1, 0), "c": (1, 1), "d": (0, 1)}
    >>> crossings(square, [("a", "c"), ("b", "d")])  # the two diagonals
    1
    >>> crossings(square, [("a", "b"), ("c", "d"), ("a", "c"), ("c", "a")])
    0
    """
    pairs = sorted(
        {(min(s, t), max(s, t)) for s, t in links if s != t and s in positions and t in positions}
    )
    if len(pairs) < 2:
        return 0
    ids = {node: i for i, node in enumerate(positions)}
    xy = np.array(list(positions.values()), dtype=np.float64)
    ends = np.array([(ids[s], ids[t]) for s, t in pairs], dtype=np.int64)
    p, q = xy[ends[:, 0]], xy[ends[:, 1]]
    low, high = np.minimum(p, q), np.maximum(p, q)
    order = np.argsort(low[:, 0], kind="stable")
    ends, p, q, low, high = ends[order], p[order], q[order], low[order], high[order]
    m = len(ends)

    def side(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sign: np.ndarray = np.sign(
            (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1])
            - (a[..., 1] - o[..., 1]) * (b[..., 0] - o[..., 0])
        )
        return sign

    total = 0
    block = max(1, 2_000_000 // m)
    for start in range(0, m, block):
        rows = np.arange(start, min(m, start + block))
        # partners j > i whose box starts (sorted by left edge) before i's box ends
        last = np.searchsorted(low[:, 0], high[rows, 0], side="right")
        width = int((last - rows).max()) if len(rows) else 0
        if width <= 1:
            continue
        j = rows[:, None] + np.arange(1, width)[None, :]
        valid = j < last[:, None]
        i = np.broadcast_to(rows[:, None], j.shape)[valid]
        j = j[valid]
        keep = (low[j, 1] <= high[i, 1]) & (low[i, 1] <= high[j, 1])
        keep &= (ends[i, 0] != ends[j, 0]) & (ends[i, 0] != ends[j, 1])
        keep &= (ends[i, 1] != ends[j, 0]) & (ends[i, 1] != ends[j, 1])
        i, j = i[keep], j[keep]
        a, b, c, d = p[i], q[i], p[j], q[j]
        hit = (side(a, b, c) * side(a, b, d) < 0) & (side(c, d, a) * side(c, d, b) < 0)
        total += int(np.count_nonzero(hit))
    return total


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


def layered(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    start: Mapping[str, int] | None = None,
    weight: Mapping[tuple[str, str], float] | None = None,
    sinks_last: bool = False,
) -> tuple[dict[str, int], dict[int, list[str]], dict[str, float]]:
    """Layers of an acyclic graph by longest path, ordered within by barycentre sweeps.

    What the flow view and the Sankey view share. Each node sits one layer right
    of its furthest predecessor, and never left of ``start`` (0 by default);
    with ``sinks_last`` a node with predecessors and no successor moves to the
    last layer. Within a layer, four pairs of barycentre sweeps (left to right
    over predecessors, then right to left over successors) order the nodes, each
    neighbour weighted by ``weight`` of its edge (1 by default).

    Parameters
    ----------
    nodes : sequence of str
        In the order ties keep.
    edges : sequence of (source, target)
        Acyclic, each pair once, between ``nodes``.

    Returns
    -------
    layer : dict of node to int
    layers : dict of int to list of str
        The members of each layer, in their order.
    rank : dict of node to float
        Each node's place within its layer.

    Examples
    --------
    >>> edges = [("a", "b"), ("b", "c"), ("a", "d")]
    >>> layered(["a", "b", "c", "d"], edges)[1]  # d has one predecessor, a: layer 1
    {0: ['a'], 1: ['b', 'd'], 2: ['c']}
    >>> layered(["a", "b", "c", "d"], edges, sinks_last=True)[1]  # a sink goes last
    {0: ['a'], 1: ['b'], 2: ['c', 'd']}
    """
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        succ[s].append(t)
        pred[t].append(s)
    layer = {n: (start or {}).get(n, 0) for n in nodes}
    indegree = {n: len(pred[n]) for n in nodes}
    ready = [n for n in nodes if indegree[n] == 0]
    for node in ready:  # the list grows while it is read (Kahn's order)
        for t in succ[node]:
            layer[t] = max(layer[t], layer[node] + 1)
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    if sinks_last:
        last = max(layer.values(), default=0)
        for n in nodes:
            if not succ[n] and pred[n]:
                layer[n] = last
    layers: dict[int, list[str]] = {}
    for n in nodes:
        layers.setdefault(layer[n], []).append(n)
    keys = sorted(layers)
    rank = {n: float(i) for members in layers.values() for i, n in enumerate(members)}

    def sweep(sequence: Sequence[int], near: Mapping[str, list[str]], outward: bool) -> None:
        for level in sequence:
            members = layers[level]
            centre = {}
            for n in members:
                pairs = [
                    (1.0 if weight is None else weight[(n, m) if outward else (m, n)], rank[m])
                    for m in near[n]
                ]
                total = sum(w for w, _ in pairs)
                centre[n] = sum(w * r for w, r in pairs) / total if total else rank[n]
            members.sort(key=lambda n: (centre[n], rank[n]))
            for i, n in enumerate(members):
                rank[n] = float(i)

    for _ in range(4):
        sweep(keys[1:], pred, outward=False)
        sweep(keys[-2::-1], succ, outward=True)
    return layer, layers, rank


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
    forward = [(n, t) for n in nodes for t in succ[n] if (n, t) not in back]
    # a node is never left of its kind's usual layer (pools and funds first, producers last)
    start = {n: KIND_LAYER.get(kind[n], 2) for n in nodes}
    _, layers, _ = layered(nodes, forward, start=start)
    keys = sorted(layers)
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


#: The flow view is chosen only when at most this share of its currency's volume runs back.
BACK_SHARE_LIMIT = 0.2


@dataclass(frozen=True, slots=True)
class LayoutChoice:
    """What ``layout="auto"`` chose, and the measures it compared.

    Attributes
    ----------
    layout : {"force", "flow"}
    reason : str
        One sentence for the page.
    force_crossings, flow_crossings : int
        Pipe crossings in each layout (:func:`crossings`).
    back_share : float
        Share of the laid-out currency's volume carried by the flow view's
        back-edges (pipes against the layers), in [0, 1].
    """

    layout: str
    reason: str
    force_crossings: int
    flow_crossings: int
    back_share: float


def choose_layout(
    force: Mapping[str, tuple[float, float]],
    flow: Mapping[str, tuple[float, float]],
    links: Sequence[tuple[str, str]],
    flows: Sequence[tuple[str, str, float | None]],
    back: set[tuple[str, str]],
    currency: str | None,
) -> LayoutChoice:
    """Force or flow, whichever reads better by two counts.

    The flow view is chosen when (1) its currency's pipes mostly run forward:
    the back-edges carry at most :data:`BACK_SHARE_LIMIT` of that currency's
    drawn volume (of its pipes by number when none has a volume), and (2) it
    crosses no more pipes than the force view (:func:`crossings`, over every
    drawn pipe: ties go to the flow view, which also shows the direction).
    Otherwise, and when no pipe has a currency to lay out, the force view.

    Parameters
    ----------
    force, flow : mapping of id to (x, y)
        The positions of :func:`force_layout` and :func:`flow_layout`.
    links : sequence of (source, target)
        Every drawn pipe.
    flows : sequence of (source, target, volume or None)
        The drawn pipes of the flow view's currency.
    back : set of (source, target)
        The flow view's back-edges.
    currency : str or None
        The flow view's currency (None: no pipe to lay out).

    Returns
    -------
    LayoutChoice

    Examples
    --------
    >>> chain = ["u", "c", "a"]
    >>> force = {"u": (0, 0), "c": (50, 80), "a": (-50, 80)}
    >>> flow = {"u": (0, 0), "c": (260, 0), "a": (520, 0)}
    >>> links = [("u", "c"), ("c", "a")]
    >>> choice = choose_layout(force, flow, links, [(*p, 10.0) for p in links], set(), "traffic")
    >>> choice.layout, choice.back_share
    ('flow', 0.0)
    >>> cycle = [("u", "c", 10.0), ("c", "a", 10.0), ("a", "u", 10.0)]
    >>> choose_layout(force, flow, links, cycle, {("a", "u")}, "traffic").layout
    'force'
    """
    if currency is None or not flows:
        return LayoutChoice("force", "Force view: no pipe to lay out as a flow.", 0, 0, 0.0)
    in_force, in_flow = crossings(force, links), crossings(flow, links)
    volume = [v if v is not None and v > 0 else 0.0 for _s, _t, v in flows]
    weight = volume if sum(volume) > 0 else [1.0] * len(flows)
    against = sum(w for (s, t, _v), w in zip(flows, weight, strict=True) if (s, t) in back)
    share = against / sum(weight)
    what = f"{currency} volume" if sum(volume) > 0 else f"{currency} pipes"
    counts = (
        f"{in_flow:,} pipe crossing{'s' if in_flow != 1 else ''} in the flow view, "
        f"{in_force:,} in the force view"
    )
    runs = f"{share:.0%} of the {what} runs back against the flow"
    if share <= BACK_SHARE_LIMIT and in_flow <= in_force:
        return LayoutChoice(
            "flow", f"Flow view chosen (layout auto): {counts}; {runs}.", in_force, in_flow, share
        )
    why = runs if share > BACK_SHARE_LIMIT else counts
    if share > BACK_SHARE_LIMIT and in_flow > in_force:
        why = f"{runs}, and {counts}"
    return LayoutChoice(
        "force", f"Force view chosen (layout auto): {why}.", in_force, in_flow, share
    )
