"""A static picture of a drawing (PNG or SVG) with matplotlib, for slides and reports.

Same nodes, colours, shapes, sizes, pipe widths, dash patterns, curves and
marks as the page, at the drawing's precomputed positions, with the groups
that start collapsed collapsed. matplotlib is imported only here (and in the
long-tail chart, which draws under the same :func:`picture_style`).

Every text a picture holds (labels, titles, legends, ticks) is drawn as plain
text: mathtext is off (``text.parse_math``), so a label such as ``$\\frac{`` or
``$x$`` is drawn with its dollar signs, never parsed as TeX.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from ecograph.errors import UsageError
from ecograph.render import style
from ecograph.render.collapse import visible
from ecograph.render.drawing import Drawing, DrawnNode, LegendEntry

__all__ = ["FORMATS", "picture_style", "to_image"]

FORMATS = ("png", "svg")
#: matplotlib fonts tried, in order, for labels in Chinese and other CJK scripts.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Arial Unicode MS",
)
#: Above this many visible nodes only groups and the largest nodes are labelled.
LABEL_LIMIT = 300


def chart_fonts() -> list[str]:
    """Font families for matplotlib pictures: DejaVu Sans, then every CJK font installed.

    Examples
    --------
    >>> chart_fonts()[0]
    'DejaVu Sans'
    """
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in CJK_FONTS if name in names)]


@contextlib.contextmanager
def picture_style() -> Iterator[None]:
    """The matplotlib settings of every picture ecograph draws (maps and charts).

    Inside it: fonts with CJK glyphs, a deterministic SVG (fixed hash salt),
    no warnings about missing glyphs, and every text drawn as plain text —
    mathtext off, so ``$`` in a label or title is a dollar sign, never TeX.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> with picture_style():  # as mathtext, "${$ costs $5$" would not parse
    ...     fig = Figure()
    ...     _ = fig.suptitle("${$ costs $5$")
    ...     fig.savefig(io.BytesIO(), format="svg")
    >>> fig.texts[0].get_text()
    '${$ costs $5$'
    """
    import matplotlib

    settings: dict[Any, Any] = {
        "font.family": chart_fonts(),
        "svg.hashsalt": "ecograph",
        "text.parse_math": False,
        "text.usetex": False,
    }
    with matplotlib.rc_context(settings), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing")
        yield


def _hull(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _labelled(nodes: Sequence[DrawnNode], groups: set[str]) -> set[str]:
    if len(nodes) <= LABEL_LIMIT:
        return {n.id for n in nodes}
    largest = sorted(nodes, key=lambda n: -n.size)[:LABEL_LIMIT]
    return {n.id for n in largest} | {n.id for n in nodes if n.id in groups}


def to_image(drawing: Drawing, fmt: str = "png") -> bytes:
    """Draw a drawing as a PNG or SVG image.

    Parameters
    ----------
    drawing : Drawing
    fmt : {"png", "svg"}

    Returns
    -------
    bytes
        The image file's content.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...                 pipes=(Pipe("p", "a", "b", volume=1.0),))
    >>> to_image(describe(eco), "png")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    if fmt not in FORMATS:
        raise UsageError(f"to_image(): fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    nodes, edges = visible(drawing)
    shown = {n.id: n for n in nodes}
    collapsed = {g.id for g in drawing.groups if g.collapsed}
    xs = [n.x for n in nodes] or [0.0]
    ys = [n.y for n in nodes] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 200.0)
    inches = min(40.0, max(10.0, span / 90.0))
    points_per_unit = inches * 72.0 / (span * 1.25)

    with picture_style():
        fig = Figure(figsize=(inches * 1.25, inches), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_autoscale_on(False)

        # group outlines, outermost first
        for group in drawing.groups:
            if group.id not in shown or group.id in collapsed:
                continue
            ring = []
            for member in (group.id, *group.members):
                node = shown.get(member)
                if node is None:
                    continue
                r = node.size + 16
                ring += [
                    (node.x + r * math.cos(k * math.pi / 6), node.y + r * math.sin(k * math.pi / 6))
                    for k in range(12)
                ]
            outline = _hull(ring)
            if len(outline) >= 3:
                ax.add_patch(
                    Polygon(
                        outline,
                        closed=True,
                        facecolor=shown[group.id].color + "12",
                        edgecolor=shown[group.id].color + "73",
                        linewidth=1.0,
                        zorder=0,
                    )
                )

        # pipes: one collection of lines and one of arrowheads, whatever their number
        lines, tips, line_colors, tip_colors, widths, dashes, marks = [], [], [], [], [], [], []
        for edge in edges:
            a, b = shown[edge.source], shown[edge.target]
            shape = _pipe(a, b, edge.curve, head=7.0 + 1.2 * edge.width)
            if shape is None:
                continue
            line, tip, middle = shape
            lines.append(line)
            tips.append(tip)
            line_colors.append(edge.color)
            tip_colors.append(edge.color)
            widths.append(max(0.6, edge.width * 0.6))
            dashes.append((0, tuple(d / 2 for d in edge.dashes)) if edge.dashes else "solid")
            if edge.blocked:
                marks.append(middle)
        ax.add_collection(
            LineCollection(
                lines,
                colors=line_colors,
                linewidths=widths,
                linestyles=dashes,
                alpha=0.9,
                zorder=1,
                capstyle="butt",
            ),
            autolim=False,
        )
        ax.add_collection(
            PolyCollection(tips, facecolors=tip_colors, edgecolors="none", zorder=1),
            autolim=False,
        )
        if marks:
            ax.scatter(
                [m[0] for m in marks],
                [m[1] for m in marks],
                marker="X",
                s=64,
                c=style.BLOCKED_COLOR,
                zorder=3,
            )

        # nodes: one scatter per marker shape
        by_marker: dict[str, list[DrawnNode]] = {}
        for node in nodes:
            by_marker.setdefault(_marker(node.kind), []).append(node)
        for marker, group_nodes in by_marker.items():
            ax.scatter(
                [n.x for n in group_nodes],
                [n.y for n in group_nodes],
                s=[(2 * n.size * points_per_unit) ** 2 for n in group_nodes],
                marker=marker,
                c=[n.color for n in group_nodes],
                edgecolors="#3d444d",
                linewidths=[2.0 if n.id in collapsed else 0.6 for n in group_nodes],
                zorder=2,
            )
        labelled = _labelled(nodes, {g.id for g in drawing.groups})
        for node in nodes:
            if node.id in labelled:
                text = node.label + (
                    f" (+{len(_members(drawing, node.id)):,})" if node.id in collapsed else ""
                )
                ax.text(
                    node.x,
                    node.y + node.size + 4,
                    text,
                    ha="center",
                    va="top",
                    fontsize=7,
                    zorder=4,
                )
        pad = 60.0
        ax.set_xlim(min(xs) - pad, max(xs) + pad)
        ax.set_ylim(max(ys) + pad, min(ys) - pad)  # y points down, as on screen

        handles = [_handle(entry) for entry in drawing.legend]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        subtitle = f"volumes per {drawing.period}"
        ax.set_title(f"{drawing.title}\n{subtitle}", fontsize=12)
        fig.text(
            0.01,
            0.005,
            "\n".join((drawing.size_text, drawing.width_text, *drawing.notes)),
            fontsize=7,
            color="#59636e",
            va="bottom",
        )
        out = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, dpi=150, metadata=metadata)
    return out.getvalue()


def _marker(kind: str) -> str:
    return style.KIND_STYLES.get(kind, style.FOLD_STYLE).marker


Point = tuple[float, float]


def _pipe(
    a: DrawnNode, b: DrawnNode, curve: float, *, head: float
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
    >>> line, tip, middle = _pipe(a, b, 0.0, head=8.0)
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


def _handle(entry: LegendEntry) -> Any:
    from matplotlib.lines import Line2D

    label = f"{entry.text} ({entry.count:,})"
    if entry.shape == "line":
        return Line2D(
            [],
            [],
            color=entry.color,
            linewidth=2.5,
            linestyle=(0, tuple(d / 2 for d in entry.dashes)) if entry.dashes else "solid",
            marker="X" if entry.key == "blocked" else None,
            markersize=8,
            label=label,
        )
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=style.KIND_STYLES.get(entry.key, style.FOLD_STYLE).marker,
        markersize=9,
        color=entry.color,
        markeredgecolor="#3d444d",
        markeredgewidth=0.6,
        label=label,
    )


def _members(drawing: Drawing, group: str) -> tuple[str, ...]:
    for g in drawing.groups:
        if g.id == group:
            return g.members
    return ()
