"""Where things go in a static drawing: labels that never overlap, group outlines, pipe shapes.

The rules are shared by the two static drawings of a map, so that both read the
same way: the matplotlib picture (:mod:`ecograph.render.static`, PNG/SVG files)
and the notebook's light view (:mod:`ecograph.render.svg`). Everything here is
plain geometry in pixels with y pointing down; the caller measures text in its
own way (matplotlib's renderer, or a font-metrics estimate) and passes the
measure in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ecograph.render.drawing import DrawnNode

__all__ = [
    "LABEL_CHARS",
    "LABEL_LIMIT",
    "SHORT_CHARS",
    "Boxes",
    "Disc",
    "Pieces",
    "PlacedLabel",
    "clips",
    "hull",
    "outline",
    "pipe_shape",
    "place_labels",
    "shade",
    "shorten",
]

#: A label longer than this many characters is shortened with an ellipsis.
LABEL_CHARS = 24
#: The shorter text tried when the full one has no room.
SHORT_CHARS = 10
#: At most this many nodes are tried for a label, the largest first.
LABEL_LIMIT = 300

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Point = tuple[float, float]


class Disc(Protocol):
    """Anything drawn as a disc: a centre and a radius (a :class:`DrawnNode` is one)."""

    @property
    def x(self) -> float: ...

    @property
    def y(self) -> float: ...

    @property
    def size(self) -> float: ...


def shorten(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, the last one an ellipsis when cut.

    Examples
    --------
    >>> shorten("淘宝搜索与推荐 Taobao search", 8)
    '淘宝搜索与推荐…'
    >>> shorten("short", 8)
    'short'
    """
    if len(text) <= chars:
        return text
    return text[: chars - 1].rstrip() + "\u2026"


class Boxes:
    """Boxes already taken, in a grid of cells so a test looks only at its neighbours.

    Examples
    --------
    >>> taken = Boxes()
    >>> taken.add((0.0, 0.0, 10.0, 10.0))
    >>> taken.free((5.0, 5.0, 20.0, 20.0)), taken.free((10.0, 0.0, 20.0, 10.0))
    (False, True)
    """

    def __init__(self, cell: float = 64.0) -> None:
        self.cell = cell
        self.grid: dict[tuple[int, int], list[Box]] = {}

    def _cells(self, b: Box) -> Iterator[tuple[int, int]]:
        c = self.cell
        for gx in range(math.floor(b[0] / c), math.floor(b[2] / c) + 1):
            for gy in range(math.floor(b[1] / c), math.floor(b[3] / c) + 1):
                yield gx, gy

    def free(self, b: Box) -> bool:
        """Whether ``b`` shares no area with a box taken."""
        for key in self._cells(b):
            for o in self.grid.get(key, ()):
                if b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]:
                    return False
        return True

    def add(self, b: Box) -> None:
        """Take ``b``."""
        for key in self._cells(b):
            self.grid.setdefault(key, []).append(b)


def hull(points: Iterable[Point]) -> list[Point]:
    """The convex hull of ``points``, counter-clockwise (Andrew's monotone chain).

    Examples
    --------
    >>> hull([(0, 0), (2, 0), (1, 1), (2, 2), (0, 2)])
    [(0, 0), (2, 0), (2, 2), (0, 2)]
    """
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def outline(members: Iterable[Disc], pad: float = 16.0) -> list[Point]:
    """A group's outline: the hull of its members' discs, each grown by ``pad``.

    Fewer than three points when the members give no area.

    Examples
    --------
    >>> from types import SimpleNamespace as Disc
    >>> ring = outline([Disc(x=0.0, y=0.0, size=4.0)], pad=6.0)
    >>> len(ring), max(x for x, _ in ring)
    (12, 10.0)
    """
    ring = []
    for node in members:
        r = node.size + pad
        ring += [
            (node.x + r * math.cos(k * math.pi / 6), node.y + r * math.sin(k * math.pi / 6))
            for k in range(12)
        ]
    return hull(ring)


def shade(color: str) -> str:
    """A colour darkened enough to read as text on white (as the page does).

    Examples
    --------
    >>> shade("#0072B2")
    '#003f62'
    """
    value = int(color[1:7], 16)
    r, g, b = (round(((value >> s) & 255) * 0.55) for s in (16, 8, 0))
    return f"#{r:02x}{g:02x}{b:02x}"


def pipe_shape(
    a: Disc, b: Disc, curve: float, *, head: float
) -> tuple[list[Point], list[Point], Point] | None:
    """A pipe's polyline (from ``a``'s rim to the arrowhead), arrowhead and middle.

    The curve is the quadratic Bezier through the control point ``curve`` times
    the length away from the middle, on the same side as the page bends it for
    the same sign; None when the two nodes overlap.

    Examples
    --------
    >>> from ecograph.render.drawing import DrawnNode
    >>> a = DrawnNode("a", "a", "pool", None, 0, 0.0, 0.0, 10.0, None, "#000", "dot")
    >>> b = DrawnNode("b", "b", "pool", None, 0, 100.0, 0.0, 10.0, None, "#000", "dot")
    >>> line, tip, middle = pipe_shape(a, b, 0.0, head=8.0)
    >>> [round(v) for v in line[0] + line[-1]], [round(v) for v in tip[0]], middle
    ([12, 0, 80, 0], [88, 0], (50.0, 0.0))
    """
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy)
    if length <= a.size + b.size + head:
        return None
    cx, cy = (a.x + b.x) / 2 + curve * dy, (a.y + b.y) / 2 - curve * dx
    samples = 24
    points: list[Point] = []
    for i in range(samples + 1):
        t = i / samples
        x = (1 - t) ** 2 * a.x + 2 * (1 - t) * t * cx + t * t * b.x
        y = (1 - t) ** 2 * a.y + 2 * (1 - t) * t * cy + t * t * b.y
        if math.hypot(x - a.x, y - a.y) >= a.size and math.hypot(x - b.x, y - b.y) >= b.size:
            points.append((x, y))
    if len(points) < 2:
        return None
    tip = points[-1]
    ux, uy = tip[0] - points[-2][0], tip[1] - points[-2][1]
    norm = math.hypot(ux, uy) or 1.0
    ux, uy = ux / norm, uy / norm
    base = (tip[0] - head * ux, tip[1] - head * uy)
    half = head * 0.45
    arrow = [
        tip,
        (base[0] - half * uy, base[1] + half * ux),
        (base[0] + half * uy, base[1] - half * ux),
    ]
    line = [p for p in points[:-1] if math.hypot(p[0] - tip[0], p[1] - tip[1]) > head] + [base]
    middle = (0.25 * a.x + 0.5 * cx + 0.25 * b.x, 0.25 * a.y + 0.5 * cy + 0.25 * b.y)
    return line, arrow, middle


class Pieces:
    """Straight pieces of the pipes (pixels) in a grid of cells, and whether a box crosses one.

    Examples
    --------
    >>> Pieces([[(0.0, 0.0), (100.0, 100.0)]]).crosses((40.0, 40.0, 60.0, 60.0))
    True
    >>> Pieces([[(0.0, 0.0), (100.0, 100.0)]]).crosses((60.0, 0.0, 90.0, 20.0))
    False
    """

    def __init__(self, lines: Sequence[Sequence[tuple[float, float]]], cell: float = 48.0) -> None:
        self.cell = cell
        self.pieces: list[tuple[float, float, float, float]] = []
        self.grid: dict[tuple[int, int], list[int]] = {}
        for line in lines:
            for a, b in itertools.pairwise(line):
                k = len(self.pieces)
                self.pieces.append((a[0], a[1], b[0], b[1]))
                steps = max(1, math.ceil(math.hypot(b[0] - a[0], b[1] - a[1]) / (cell / 2)))
                cells = {
                    (
                        math.floor((a[0] + (b[0] - a[0]) * i / steps) / cell),
                        math.floor((a[1] + (b[1] - a[1]) * i / steps) / cell),
                    )
                    for i in range(steps + 1)
                }
                for key in cells:
                    self.grid.setdefault(key, []).append(k)

    def crosses(self, box: Box) -> bool:
        c = self.cell
        seen: set[int] = set()
        for gx in range(math.floor(box[0] / c), math.floor(box[2] / c) + 1):
            for gy in range(math.floor(box[1] / c), math.floor(box[3] / c) + 1):
                for k in self.grid.get((gx, gy), ()):
                    if k not in seen:
                        seen.add(k)
                        if clips(self.pieces[k], box):
                            return True
        return False


def clips(piece: tuple[float, float, float, float], box: Box) -> bool:
    """Whether a straight piece crosses or lies in a box (Liang-Barsky clipping).

    Examples
    --------
    >>> box = (4.0, 0.0, 6.0, 10.0)
    >>> clips((0.0, 5.0, 10.0, 5.0), box), clips((0.0, 5.0, 3.0, 5.0), box)
    (True, False)
    """
    x, y, x1, y1 = piece
    dx, dy = x1 - x, y1 - y
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x - box[0]), (dx, box[2] - x), (-dy, y - box[1]), (dy, box[3] - y)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            if r > t1:
                return False
            t0 = max(t0, r)
        else:
            if r < t0:
                return False
            t1 = min(t1, r)
    return True


@dataclass(frozen=True, slots=True)
class PlacedLabel:
    """A label :func:`place_labels` found room for.

    Attributes
    ----------
    id : str
        The node (or group) it names.
    text : str
        What is drawn: the full text, or a shortened one ending in an ellipsis.
    full : str
        The full text.
    x, y : float
        Top-left corner of the text's box, in pixels (y down).
    width, height : float
        Size of the text, as measured.
    group : bool
        True for a group outline's name (drawn bold, in the group's colour).
    color : str
    """

    id: str
    text: str
    full: str
    x: float
    y: float
    width: float
    height: float
    group: bool
    color: str


#: Text colour of node labels.
LABEL_COLOR = "#1f2328"


def place_labels(
    nodes: Sequence[DrawnNode],
    centre: Mapping[str, Point],
    radius: Mapping[str, float],
    texts: Mapping[str, str],
    outlines: Mapping[str, Sequence[Point]],
    measure: Callable[[str, bool], tuple[float, float]],
    *,
    gap: float = 2.0,
    taken: Iterable[Box] = (),
    within: Box | None = None,
    pipes: Sequence[Sequence[Point]] = (),
) -> list[PlacedLabel]:
    """Name the group outlines, then label nodes from the largest down, never overlapping.

    As on the page: a group's name goes above its outline, else below it, else
    inside its top, else left or right of it, else inside its bottom, else
    the nearest free spot around its top (a group
    whose name finds no room is labelled as a node); a node's label tries below
    its node, right, above, left, then the four corners, first in full (up to
    :data:`LABEL_CHARS`), then shortened to :data:`SHORT_CHARS`; with no room it
    is left out. Nodes are obstacles too.

    Parameters
    ----------
    nodes : sequence of DrawnNode
        The nodes drawn (their depth and colour are read).
    centre, radius : mapping of node id
        Where each node is drawn and how big, in pixels (y down).
    texts : mapping of node id to str
        The full label of each node.
    outlines : mapping of group id to polygon
        The group outlines drawn, in pixels; the group's node must be in ``nodes``.
    measure : callable
        ``measure(text, bold) -> (width, height)`` in pixels.
    gap : float
        Space between a node (or outline) and its label.
    taken : iterable of box
        Boxes (x0, y0, x1, y1) no label may cover (a legend, a title).
    within : box, optional
        Labels must lie wholly inside it.
    pipes : sequence of polylines, optional
        The pipes drawn, in pixels (the flow view): a label first tries only
        spots that cross no pipe, then any free spot.

    Returns
    -------
    list of PlacedLabel
        Group names first, then node labels, most important first.

    Notes
    -----
    Nodes are ranked by drawn radius, then depth, and at most
    :data:`LABEL_LIMIT` are tried. Each test looks only at the boxes in the
    neighbouring cells of a grid, so placing n labels costs O(n) on a spread map.

    Examples
    --------
    >>> from ecograph.render.drawing import DrawnNode
    >>> a = DrawnNode("a", "Alpha", "pool", None, 0, 0.0, 0.0, 5.0, None, "#000", "dot")
    >>> b = DrawnNode("b", "Beta", "pool", None, 0, 12.0, 0.0, 5.0, None, "#000", "dot")
    >>> placed = place_labels([a, b], {"a": (0, 0), "b": (12, 0)}, {"a": 5, "b": 5},
    ...                       {"a": "Alpha", "b": "Beta"}, {}, lambda t, bold: (6 * len(t), 10))
    >>> [(p.text, p.x, p.y) for p in placed]  # Beta has no room below: it goes right
    [('Alpha', -15.0, 7.0), ('Beta', 19.0, -5.0)]
    """
    by_id = {n.id: n for n in nodes}
    placed = Boxes()
    for box in taken:
        placed.add(box)
    out: list[PlacedLabel] = []

    crossing = Pieces(pipes) if pipes else None

    def place(node: str, full: str, spots: Sequence[Any], group: bool) -> None:
        candidates = [shorten(full, LABEL_CHARS)]
        if shorten(full, SHORT_CHARS) != candidates[0]:
            candidates.append(shorten(full, SHORT_CHARS))
        for strict in [True, False] if crossing is not None else [False]:
            for text in candidates:
                w, h = measure(text, group)
                for spot in spots:
                    x0, y0 = spot(w, h)
                    box = (x0 - 1, y0 - 1, x0 + w + 1, y0 + h + 1)
                    if within is not None and not (
                        within[0] <= box[0] and within[1] <= box[1]
                        and box[2] <= within[2] and box[3] <= within[3]
                    ):  # fmt: skip
                        continue
                    if strict and crossing is not None and crossing.crosses(box):
                        continue
                    if placed.free(box):
                        placed.add(box)
                        color = shade(by_id[node].color) if group else LABEL_COLOR
                        out.append(PlacedLabel(node, text, full, x0, y0, w, h, group, color))
                        return

    for group, ring in sorted(outlines.items(), key=lambda item: by_id[item[0]].depth):
        top = min(ring, key=lambda p: p[1])
        bottom = max(ring, key=lambda p: p[1])
        left = min(ring, key=lambda p: p[0])
        right = max(ring, key=lambda p: p[0])
        place(
            group,
            texts[group],
            [
                lambda w, h, t=top: (t[0] - w / 2, t[1] - gap - h),
                lambda w, h, b=bottom: (b[0] - w / 2, b[1] + gap),
                lambda w, h, t=top: (t[0] - w / 2, t[1] + gap),
                lambda w, h, p=left: (p[0] - gap - w, p[1] - h / 2),
                lambda w, h, p=right: (p[0] + gap, p[1] - h / 2),
                lambda w, h, b=bottom: (b[0] - w / 2, b[1] - gap - h),
                # a crowded outline (nested in another): the nearest free spot around its top
                *[
                    lambda w, h, t=top, i=i, j=j: (
                        t[0] - w / 2 + i * w / 2,
                        t[1] - gap - h + j * (h + gap),
                    )
                    for j, i in sorted(
                        ((j, i) for j in range(-3, 5) for i in range(-2, 3)),
                        key=lambda ji: (abs(ji[0]) + abs(ji[1]), ji),
                    )
                ],
            ],
            True,
        )
    named = {label.id for label in out}
    for n in nodes:
        (cx, cy), r = centre[n.id], radius[n.id] * 0.8
        if r >= 1.5:
            placed.add((cx - r, cy - r, cx + r, cy + r))
    order = sorted(nodes, key=lambda n: (-radius[n.id], n.depth))
    for n in order[: max(LABEL_LIMIT, len(outlines))]:
        if n.id in named:
            continue  # an expanded group: its outline carries the name
        (cx, cy), r = centre[n.id], radius[n.id]
        place(
            n.id,
            texts[n.id],
            [
                lambda w, h, cx=cx, cy=cy, r=r: (cx - w / 2, cy + r + gap),
                lambda w, h, cx=cx, cy=cy, r=r: (cx + r + gap, cy - h / 2),
                lambda w, h, cx=cx, cy=cy, r=r: (cx - w / 2, cy - r - gap - h),
                lambda w, h, cx=cx, cy=cy, r=r: (cx - r - gap - w, cy - h / 2),
                # then the four corners, diagonally off the node
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx + d, cy - d - h),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx - d - w, cy - d - h),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx + d, cy + d),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx - d - w, cy + d),
            ],
            False,
        )
    return out
