"""A static picture of a drawing (PNG or SVG) with matplotlib, for slides and reports.

Same nodes, colours, shapes, sizes, pipe widths, dash patterns, curves and
marks as the page, at the drawing's precomputed positions, with the groups
that start collapsed collapsed; a drawing that opens on its Sankey view is
pictured as that view (:func:`sankey_image`), placed as the page places
it. matplotlib is imported only here (and in the long-tail chart, which
draws under the same :func:`picture_style`).

Every text a picture holds (labels, titles, legends, ticks) is drawn as plain
text: mathtext is off (``text.parse_math``), so a label such as ``$\\frac{`` or
``$x$`` is drawn with its dollar signs, never parsed as TeX.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ecograph.errors import EcographWarning, UsageError
from ecograph.render import style
from ecograph.render.collapse import visible
from ecograph.render.drawing import Drawing, DrawnNode, LegendEntry
from ecograph.render.placement import Point, pipe_shape, place_labels, shorten
from ecograph.render.placement import outline as group_outline
from ecograph.render.sankey import (
    GEOMETRY,
    RETURN_COLOR,
    Sankey,
    main_currency,
    sankey,
    sankey_layout,
)

__all__ = [
    "FORMATS",
    "SANKEY_SIZE",
    "GlyphWarning",
    "chart_fonts",
    "missing_glyphs",
    "picture_labels",
    "picture_pipes",
    "picture_style",
    "sankey_image",
    "sankey_picture",
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


def to_image(drawing: Drawing, fmt: str = "png") -> bytes:
    """Draw a drawing as a PNG or SVG image (its Sankey view if it opens on that view).

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
    if drawing.view == "sankey":  # a drawing that opens on its Sankey view is pictured as it
        return sankey_picture(drawing, fmt)
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
        members = (group.id, *group.members)
        outline = group_outline(shown[m] for m in members if m in shown)
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
        shape = pipe_shape(a, b, edge.curve, head=7.0 + 1.2 * edge.width)
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
    labels = _place_labels(fig, ax, nodes, texts, radius, outlines, dim, pipes)
    to_px = ax.transData.transform
    pixels = [[(float(x), float(y)) for x, y in to_px(line)] for line in paths]
    return fig, labels, pixels


def _place_labels(
    fig: Any,
    ax: Any,
    nodes: Sequence[DrawnNode],
    texts: dict[str, str],
    radius: dict[str, float],
    outlines: dict[str, list[tuple[float, float]]],
    dim: set[str] = frozenset(),  # type: ignore[assignment]
    pipes: Sequence[Sequence[Point]] = (),
) -> list[Any]:
    """Place the labels by :func:`ecograph.render.placement.place_labels`; the text artists.

    Display pixels point up; the placement works with y down, so y is negated
    on the way in and out. The legend, the title and the notes are obstacles;
    the labels of ``dim`` nodes are drawn faint. Given ``pipes`` (polylines in
    data coordinates: the flow view), a label first tries only spots that
    cross no pipe, then any free spot.
    """
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    from_px = ax.transData.inverted().transform
    probe = Text(0, 0, "", figure=fig, fontsize=7)

    @functools.cache
    def measure(text: str, bold: bool) -> tuple[float, float]:
        probe.set_text(text)
        probe.set_fontweight("bold" if bold else "normal")
        extent = probe.get_window_extent(renderer)
        return extent.width, extent.height

    def down(point: Any) -> tuple[float, float]:
        x, y = to_px(point)
        return float(x), -float(y)

    taken = []  # the legend, the title and the notes: no label is drawn over them
    for artist in (ax.get_legend(), ax.title, *fig.texts):
        if artist is None or not artist.get_visible():
            continue
        extent = artist.get_window_extent(renderer)
        if extent.width > 0 and extent.height > 0:
            taken.append((extent.x0, -extent.y1, extent.x1, -extent.y0))
    labels = place_labels(
        nodes,
        {n.id: down((n.x, n.y)) for n in nodes},
        radius,
        texts,
        {g: [down(p) for p in ring] for g, ring in outlines.items()},
        measure,
        taken=taken,
        pipes=[[down(p) for p in line] for line in pipes],
    )
    return [
        ax.text(
            *from_px((label.x, -(label.y + label.height))),
            label.text,
            ha="left",
            va="bottom",
            fontsize=7,
            fontweight="bold" if label.group else "normal",
            color=label.color,
            alpha=0.35 if label.id in dim and not label.group else 1.0,
            zorder=4,
            clip_on=False,
        )
        for label in labels
    ]


def _marked(edge: Any, highlight: str | None) -> bool:
    """Whether a drawn edge is one that ``highlight`` makes stand out."""
    if highlight == "bottlenecks":
        return bool(edge.bottleneck)
    if highlight in ("blocked", "empty"):
        return bool(getattr(edge, highlight))
    return False


def _marker(kind: str) -> str:
    return style.KIND_STYLES.get(kind, style.FOLD_STYLE).marker


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


#: Size of a Sankey picture in pixels (PNG at 100 dpi; SVG the same in points x 0.72).
SANKEY_SIZE: tuple[int, int] = (1400, 900)
_PICTURE_DPI = 100
#: Room above the view for its title, and per line of notes below it.
_TITLE_ROOM, _NOTE_LINE = 44.0, 18.0


def sankey_image(view: Sankey, fmt: str = "png", *, title: str | None = None) -> bytes:
    """Draw a Sankey view as a PNG or SVG picture, as the page draws it.

    The view is placed by :func:`ecograph.render.sankey.sankey_layout` in
    :data:`SANKEY_SIZE` pixels (bands drawn as the page does: one stroke as
    wide as the volume); labels are shortened with an ellipsis to the room
    before the next column; the view's notes are written under it. Drawn under
    :func:`picture_style`: CJK fonts, text as text (never TeX), a warning
    instead of silent boxes when no font has a glyph.

    Parameters
    ----------
    view : Sankey
    fmt : {"png", "svg"}
    title : str, optional
        Default: the currency, its unit and period.

    Returns
    -------
    bytes

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("k1", "a", "b", volume=5.0),))
    >>> sankey_image(sankey(describe(eco), "traffic"), "png")[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    if fmt not in FORMATS:
        raise UsageError(f"sankey_image(): fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    g = GEOMETRY
    width, height = SANKEY_SIZE
    notes_room = _NOTE_LINE * len(view.notes) + (8.0 if view.notes else 0.0)
    px = sankey_layout(view, width, height - _TITLE_ROOM - notes_room)
    total_h = px.height + _TITLE_ROOM + notes_room
    heading = title or (
        f"{view.currency} per {view.period}"
        + (f" ({view.unit})" if view.unit != view.currency else "")
        + ": band width is volume"
    )
    color = {n.id: n.color for n in view.nodes}
    with picture_style():
        fig = Figure(figsize=(px.width / _PICTURE_DPI, total_h / _PICTURE_DPI), dpi=_PICTURE_DPI)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, px.width)
        ax.set_ylim(px.height + notes_room, -_TITLE_ROOM)
        ax.set_axis_off()
        points = 72.0 / _PICTURE_DPI  # a pixel in points: the unit of matplotlib line widths
        for band in view.bands:
            x0, y0, x1, y1, w, lane = px.bands[band.id]
            if lane is None:
                xm = (x0 + x1) / 2
                verts = [(x0, y0), (xm, y0), (xm, y1), (x1, y1)]
                codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4]
                stroke, alpha = color[band.source], 0.38
            else:
                r = max(g["loop"], w)
                verts = [
                    (x0, y0), (x0 + r, y0), (x0 + r, lane), (x0, lane),
                    (x1, lane), (x1 - r, lane), (x1 - r, y1), (x1, y1),
                ]  # fmt: skip
                codes = [MplPath.MOVETO, *[MplPath.CURVE4] * 3, MplPath.LINETO]
                codes += [MplPath.CURVE4] * 3
                stroke, alpha = RETURN_COLOR, 0.22
            path = MplPath(verts, codes)
            ax.add_patch(
                PathPatch(
                    path,
                    fill=False,
                    edgecolor=stroke,
                    alpha=alpha,
                    linewidth=w * points,
                    capstyle="butt",
                    gid=f"band:{band.id}",
                )
            )
            if lane is not None:
                ax.add_patch(
                    PathPatch(path, fill=False, edgecolor=RETURN_COLOR, linewidth=1.2 * points,
                              linestyle=(0, (5, 4)))
                )  # fmt: skip
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        for node in view.nodes:
            x, y, w, h = px.bars[node.id]
            ax.add_patch(
                Rectangle((x, y), w, h, facecolor=node.color, edgecolor="#1f2328", linewidth=0.35)
            )
            room = (g["label_room"] if node.column == view.columns - 1 else px.step - g["bar"]) - 10
            text = ax.text(
                x + w + 4, y + h / 2, node.label, va="center", ha="left",
                fontsize=12 * points, color="#1f2328",
            )  # fmt: skip
            if text.get_window_extent(renderer).width > room:  # the longest cut that fits
                lo, hi = 1, len(node.label) - 1
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    text.set_text(shorten(node.label, mid))
                    if text.get_window_extent(renderer).width <= room:
                        lo = mid
                    else:
                        hi = mid - 1
                text.set_text(shorten(node.label, lo))
        ax.text(g["left"], -_TITLE_ROOM / 2, heading, va="center", fontsize=15 * points,
                fontweight="bold", color="#1f2328")  # fmt: skip
        for i, note in enumerate(view.notes):
            ax.text(g["left"], px.height + 8 + (i + 0.5) * _NOTE_LINE, note, va="center",
                    fontsize=12 * points, color="#59636e")  # fmt: skip
        return save_picture(fig, fmt, dpi=_PICTURE_DPI)


def sankey_picture(drawing: Drawing, fmt: str = "png") -> bytes:
    """The picture of a drawing's Sankey view, on the currency it opens on.

    What :func:`to_image` draws for a drawing made with ``view="sankey"``:
    :func:`sankey_image` of :func:`ecograph.render.sankey.sankey`, titled with the
    map's title, the currency and the period.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("k1", "a", "b", volume=5.0),))
    >>> b"<svg" in sankey_picture(describe(eco, view="sankey"), "svg")
    True
    """
    currency = drawing.currency or main_currency(drawing)
    if currency is None:
        raise UsageError("the Sankey view has nothing to draw: no pipe has a volume")
    heading = f"{drawing.title}: {currency} per {drawing.period}"
    return sankey_image(sankey(drawing, currency), fmt, title=heading)
