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
import functools
import io
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ecograph.errors import EcographWarning, UsageError
from ecograph.render import style
from ecograph.render.collapse import visible
from ecograph.render.drawing import Drawing, DrawnNode, LegendEntry

__all__ = [
    "FORMATS",
    "GlyphWarning",
    "chart_fonts",
    "missing_glyphs",
    "picture_labels",
    "picture_pipes",
    "picture_style",
    "save_picture",
    "to_image",
]

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
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
#: At most this many nodes are tried for a label, the largest first.
LABEL_LIMIT = 300


class GlyphWarning(EcographWarning):
    """A picture holds characters that no installed font can draw (they become boxes)."""


@functools.cache
def _refresh_fonts() -> int:
    """Add the system fonts that matplotlib's font cache does not know yet; how many.

    matplotlib lists the installed fonts once and caches the list; a font
    installed afterwards stays unknown to it. The refreshed list is saved where
    matplotlib keeps its cache, so later runs find the fonts at once.
    """
    import matplotlib
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {Path(f.fname) for f in manager.ttflist}
    added = 0
    for path in font_manager.findSystemFonts():
        if Path(path) in known:
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # not a font matplotlib can read
            continue
        added += 1
    if added:
        cache = Path(
            matplotlib.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json"
        )
        with contextlib.suppress(OSError):
            font_manager.json_dump(manager, cache)
    return added


def chart_fonts() -> list[str]:
    """Font families for matplotlib pictures: DejaVu Sans, then every CJK font installed.

    When matplotlib's font cache knows no CJK font, the fonts installed since it
    was built are added first (see :func:`missing_glyphs` for what is left).

    Examples
    --------
    >>> chart_fonts()[0]
    'DejaVu Sans'
    """
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names.intersection(CJK_FONTS) and _refresh_fonts():
        names = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in CJK_FONTS if name in names)]


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def missing_glyphs(texts: Iterable[str]) -> str:
    """The characters of ``texts`` that none of :func:`chart_fonts` can draw, sorted.

    Examples
    --------
    >>> missing_glyphs(["plain ASCII", "Ümlaut"])
    ''
    >>> missing_glyphs(["\U0001fb8f"])  # a symbol no font here has
    '\U0001fb8f'
    """
    from matplotlib import font_manager

    wanted = {c for text in texts for c in text if ord(c) > 126 and c.isprintable()}
    wanted -= {c for c in wanted if c.isspace()}
    if not wanted:
        return ""
    for family in chart_fonts():
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        wanted = {c for c in wanted if ord(c) not in _charmap(path)}
        if not wanted:
            return ""
    return "".join(sorted(wanted))


def save_picture(fig: Any, fmt: str, **options: Any) -> bytes:
    """Save a matplotlib figure drawn under :func:`picture_style`, as PNG or SVG bytes.

    Warns once (:class:`GlyphWarning`) when some of its text cannot be drawn by
    any installed font, instead of letting boxes pass silently.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> with picture_style():
    ...     fig = Figure()
    ...     _ = fig.suptitle("淘宝 Taobao")
    ...     save_picture(fig, "png")[:4]
    b'\x89PNG'
    """
    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible()]
    missing = missing_glyphs(texts)
    if missing:
        sample = "".join(missing[:5])
        warnings.warn(
            GlyphWarning(
                f"no installed font can draw {len(missing)} character"
                f"{'s' if len(missing) != 1 else ''} of this picture (such as {sample!r}): "
                "they are drawn as boxes; install a CJK font (Debian: fonts-noto-cjk)"
            ),
            stacklevel=2,
        )
    out = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(out, format=fmt, metadata=metadata, **options)
    return out.getvalue()


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
    if fmt not in FORMATS:
        raise UsageError(f"to_image(): fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    with picture_style():
        fig, _labels, _pipes = _figure(drawing)
        return save_picture(fig, fmt, dpi=150, bbox_inches="tight", pad_inches=0.25)


def picture_labels(drawing: Drawing) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The labels :func:`to_image` draws: text and box (x0, y0, x1, y1, in pixels at 100 dpi).

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", label="Users"),
    ...                             "b": Node("b", "partner", label="Shop")},
    ...                 pipes=(Pipe("p", "a", "b", volume=1.0),))
    >>> sorted(text for text, _box in picture_labels(describe(eco)))
    ['Shop', 'Users']
    """
    with picture_style():
        fig, labels, _pipes = _figure(drawing)
        renderer = fig.canvas.get_renderer()
        out = []
        for text in labels:
            box = text.get_window_extent(renderer)
            out.append((text.get_text(), (box.x0, box.y0, box.x1, box.y1)))
        return out


def picture_pipes(drawing: Drawing) -> list[list[tuple[float, float]]]:
    """The pipes :func:`to_image` draws, as lines in the pixels of :func:`picture_labels`.

    A straight pipe is its two ends (its source's rim, its arrowhead's base) and the
    arrowhead's tip; a curved one 25 points or fewer along its curve, then the tip.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...                 pipes=(Pipe("p", "a", "b", volume=1.0),))
    >>> [len(line) for line in picture_pipes(describe(eco))]
    [3]
    """
    with picture_style():
        _fig, _labels, pipes = _figure(drawing)
        return pipes


def _figure(drawing: Drawing) -> tuple[Any, list[Any], list[list[tuple[float, float]]]]:
    """The picture of a drawing, its labels and its pipes in display pixels (call under
    :func:`picture_style`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    nodes, edges = visible(drawing)
    shown = {n.id: n for n in nodes}
    collapsed = {g.id for g in drawing.groups if g.collapsed}
    # a highlight: its pipes and their ends stand out, everything else dimmed (as on the page)
    lit = {e.id for e in edges if _marked(e, drawing.highlight)}
    if drawing.highlight is None:
        dim: set[str] = set()
    else:
        ends = {end for e in edges if e.id in lit for end in (e.source, e.target)}
        dim = {n.id for n in nodes if n.id not in ends}
    xs = [n.x for n in nodes] or [0.0]
    ys = [n.y for n in nodes] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 200.0)
    inches = min(40.0, max(10.0, span / 90.0))
    points_per_unit = inches * 72.0 / (span * 1.25)

    fig = Figure(figsize=(inches * 1.25, inches), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_autoscale_on(False)

    # group outlines, outermost first
    outlines: dict[str, list[tuple[float, float]]] = {}
    for group in drawing.groups:
        if group.id not in shown or group.id in collapsed or drawing.layout == "flow":
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
            outlines[group.id] = outline
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
    marks_alpha: list[float] = []
    paths: list[list[Point]] = []  # the pipes' lines, straight ones by their two ends
    for edge in edges:
        a, b = shown[edge.source], shown[edge.target]
        shape = _pipe(a, b, edge.curve, head=7.0 + 1.2 * edge.width)
        if shape is None:
            continue
        line, tip, middle = shape
        lines.append(line)
        paths.append([*(line if edge.curve else [line[0], line[-1]]), tip[0]])  # to its tip
        tips.append(tip)
        color = edge.color
        if edge.id in lit and drawing.highlight == "empty":
            color = style.EMPTY_COLOR
        alpha = 0.9 if drawing.highlight is None or edge.id in lit else style.DIMMED
        line_colors.append(to_rgba(color, alpha))
        tip_colors.append(to_rgba(color, alpha))
        bold = edge.bottleneck or edge.id in lit
        widths.append(max(0.6, (max(edge.width, 4.0) if bold else edge.width) * 0.6))
        dashes.append((0, tuple(d / 2 for d in edge.dashes)) if edge.dashes else "solid")
        if edge.blocked:
            marks.append(middle)
            marks_alpha.append(1.0 if drawing.highlight is None or edge.id in lit else style.DIMMED)
    ax.add_collection(
        LineCollection(
            lines,
            colors=line_colors,
            linewidths=widths,
            linestyles=dashes,
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
            c=[to_rgba(style.BLOCKED_COLOR, a) for a in marks_alpha],
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
            c=[to_rgba(n.color, style.DIMMED if n.id in dim else 1.0) for n in group_nodes],
            edgecolors=[
                to_rgba("#3d444d", style.DIMMED if n.id in dim else 1.0) for n in group_nodes
            ],
            linewidths=[2.0 if n.id in collapsed else 0.6 for n in group_nodes],
            zorder=2,
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
    # settle the layout, then place the labels where they overlap nothing
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    texts = {
        n.id: n.label + (f" (+{len(_members(drawing, n.id)):,})" if n.id in collapsed else "")
        for n in nodes
    }
    radius = {n.id: n.size * points_per_unit * fig.dpi / 72.0 for n in nodes}
    pipes = paths if drawing.layout == "flow" else []
    labels = _place_labels(fig, ax, nodes, texts, radius, outlines, shown, dim, pipes)
    to_px = ax.transData.transform
    pixels = [[(float(x), float(y)) for x, y in to_px(line)] for line in paths]
    return fig, labels, pixels


#: A label longer than this many characters is shortened with an ellipsis.
LABEL_CHARS = 24
#: The shorter text tried when the full one has no room.
SHORT_CHARS = 10

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels


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


class _Placed:
    """Boxes already taken, in a grid of cells so a test looks only at its neighbours."""

    def __init__(self, cell: float = 64.0) -> None:
        self.cell = cell
        self.grid: dict[tuple[int, int], list[Box]] = {}

    def _cells(self, b: Box) -> Iterator[tuple[int, int]]:
        c = self.cell
        for gx in range(math.floor(b[0] / c), math.floor(b[2] / c) + 1):
            for gy in range(math.floor(b[1] / c), math.floor(b[3] / c) + 1):
                yield gx, gy

    def free(self, b: Box) -> bool:
        for key in self._cells(b):
            for o in self.grid.get(key, ()):
                if b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]:
                    return False
        return True

    def add(self, b: Box) -> None:
        for key in self._cells(b):
            self.grid.setdefault(key, []).append(b)


def _place_labels(
    fig: Any,
    ax: Any,
    nodes: Sequence[DrawnNode],
    texts: dict[str, str],
    radius: dict[str, float],
    outlines: dict[str, list[tuple[float, float]]],
    shown: dict[str, DrawnNode],
    dim: set[str] = frozenset(),  # type: ignore[assignment]
    pipes: Sequence[Sequence[Point]] = (),
) -> list[Any]:
    """Name the group outlines, then label nodes from the largest down, never overlapping.

    As on the page: a label tries below its node, right, above, left, first in
    full (up to :data:`LABEL_CHARS`), then shortened; with no room it is left
    out; then the four corners, diagonally off the node. Nodes are obstacles
    too, and so are the legend, the title and the notes; the labels of ``dim``
    nodes are drawn faint. Given ``pipes`` (polylines in data coordinates: the
    flow view), a label first tries only spots that cross no pipe, then any
    free spot. Returns the text artists drawn.
    """
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    from_px = ax.transData.inverted().transform
    probe = Text(0, 0, "", figure=fig, fontsize=7)
    sizes: dict[tuple[str, bool], tuple[float, float]] = {}

    def measure(text: str, bold: bool) -> tuple[float, float]:
        key = (text, bold)
        if key not in sizes:
            probe.set_text(text)
            probe.set_fontweight("bold" if bold else "normal")
            extent = probe.get_window_extent(renderer)
            sizes[key] = (extent.width, extent.height)
        return sizes[key]

    placed = _Placed()
    # the legend, the title and the notes are obstacles too: no label is drawn over them
    for artist in (ax.get_legend(), ax.title, *fig.texts):
        if artist is None or not artist.get_visible():
            continue
        extent = artist.get_window_extent(renderer)
        if extent.width > 0 and extent.height > 0:
            placed.add((extent.x0, extent.y0, extent.x1, extent.y1))
    drawn: list[Any] = []
    gap = 2.0
    pieces = _Pieces([[tuple(to_px(p)) for p in line] for line in pipes]) if pipes else None

    def place(full: str, spots: Sequence[Any], bold: bool, color: str, alpha: float = 1.0) -> bool:
        candidates = [shorten(full, LABEL_CHARS)]
        if shorten(full, SHORT_CHARS) != candidates[0]:
            candidates.append(shorten(full, SHORT_CHARS))
        tries = [
            (text, spot, strict)
            for strict in ([True, False] if pieces is not None else [False])
            for text in candidates
            for spot in spots
        ]
        for text, spot, strict in tries:
            w, h = measure(text, bold)
            x0, y0 = spot(w, h)
            box = (x0 - 1, y0 - 1, x0 + w + 1, y0 + h + 1)
            if strict and pieces is not None and pieces.crosses(box):
                continue
            if placed.free(box):
                placed.add(box)
                x, y = from_px((x0, y0))
                drawn.append(
                    ax.text(
                        x,
                        y,
                        text,
                        ha="left",
                        va="bottom",
                        fontsize=7,
                        fontweight="bold" if bold else "normal",
                        color=color,
                        alpha=alpha,
                        zorder=4,
                        clip_on=False,
                    )
                )
                return True
        return False

    # group names: above the outline's top, else below its bottom, else inside its top
    for group, outline in sorted(outlines.items(), key=lambda item: shown[item[0]].depth):
        px = [tuple(to_px(p)) for p in outline]
        top = max(px, key=lambda p: p[1])  # display y points up
        bottom = min(px, key=lambda p: p[1])
        place(
            shown[group].label,
            [
                lambda w, h, t=top: (t[0] - w / 2, t[1] + gap),
                lambda w, h, b=bottom: (b[0] - w / 2, b[1] - gap - h),
                lambda w, h, t=top: (t[0] - w / 2, t[1] - gap - h),
            ],
            True,
            _shade(shown[group].color),
        )
    centre = {n.id: tuple(to_px((n.x, n.y))) for n in nodes}
    for n in nodes:
        c, r = centre[n.id], radius[n.id] * 0.8
        if r >= 1.5:
            placed.add((c[0] - r, c[1] - r, c[0] + r, c[1] + r))
    order = sorted(nodes, key=lambda n: (-n.size, n.depth))[: max(LABEL_LIMIT, len(outlines))]
    for n in order:
        if n.id in outlines:
            continue  # an expanded group: its outline carries the name
        (cx, cy), r = centre[n.id], radius[n.id]
        place(
            texts[n.id],
            [
                lambda w, h, cx=cx, cy=cy, r=r: (cx - w / 2, cy - r - gap - h),
                lambda w, h, cx=cx, cy=cy, r=r: (cx + r + gap, cy - h / 2),
                lambda w, h, cx=cx, cy=cy, r=r: (cx - w / 2, cy + r + gap),
                lambda w, h, cx=cx, cy=cy, r=r: (cx - r - gap - w, cy - h / 2),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx + d, cy - d - h),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx - d - w, cy - d - h),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx + d, cy + d),
                lambda w, h, cx=cx, cy=cy, d=r * 0.72 + gap: (cx - d - w, cy + d),
            ],
            False,
            "#1f2328",
            0.35 if n.id in dim else 1.0,
        )
    return drawn


class _Pieces:
    """Straight pieces of the pipes (display pixels) in a grid of cells, and whether a box
    crosses one."""

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
                        if _clips(self.pieces[k], box):
                            return True
        return False


def _clips(piece: tuple[float, float, float, float], box: Box) -> bool:
    """Whether a straight piece crosses or lies in a box (Liang-Barsky clipping)."""
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


def _shade(color: str) -> str:
    """A colour darkened enough to read as text on white (as the page does)."""
    value = int(color[1:7], 16)
    r, g, b = (round(((value >> s) & 255) * 0.55) for s in (16, 8, 0))
    return f"#{r:02x}{g:02x}{b:02x}"


def _marked(edge: Any, highlight: str | None) -> bool:
    """Whether a drawn edge is one that ``highlight`` makes stand out."""
    if highlight == "bottlenecks":
        return bool(edge.bottleneck)
    if highlight in ("blocked", "empty"):
        return bool(getattr(edge, highlight))
    return False


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
