"""The light view of a map: one inline SVG with no script, for notebooks and READMEs.

A notebook cell that shows a map keeps this instead of the interactive page
(which carries its drawing library, about 600 KB, in every cell): a few tens of
KB of plain SVG drawn from the same :class:`~ecograph.render.drawing.Drawing`,
with the page's shapes, colours, pipe widths and dash patterns, group outlines
with their names, and the most important labels placed by the same rules as
the static picture (:mod:`ecograph.render.placement`). Every node and pipe has
its tooltip as an SVG ``<title>`` (shown on hover). It holds no script, no
event handler and no link, so it shows the same in an untrusted notebook, on
GitHub or nbviewer, and can run nothing; every text from the map is escaped.

Text is measured without a browser: ASCII from the wider of Helvetica's
(metric-compatible with Arial and Liberation Sans, the first fonts the SVG asks
for) and DejaVu Sans' advance widths, one em for wide East Asian characters,
with a small margin.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ecograph.render import style
from ecograph.render.collapse import carried_sizes, visible
from ecograph.render.drawing import Drawing, DrawnEdge, LegendEntry
from ecograph.render.placement import outline, pipe_shape, place_labels, shorten

__all__ = ["EDGE_LIMIT", "FONT_FAMILY", "HOW_TO_PAGE", "LABEL_PX", "WIDTH", "text_width", "to_svg"]

#: Width of the view in pixels (it shrinks to fit a narrower cell).
WIDTH = 960
#: Width of the legend column at the right.
LEGEND_WIDTH = 210
#: Tallest the map area may be, in pixels.
MAP_HEIGHT = 760
#: Most pipes drawn: above it, the widest (blocked and bottleneck ones first), and a note.
EDGE_LIMIT = 200
#: Size of node labels and group names.
LABEL_PX = 11.0
#: Fonts asked for: Arial's metrics first (:func:`text_width` allows for DejaVu's), then CJK.
FONT_FAMILY = (
    "Arial, Helvetica, 'Liberation Sans', 'Noto Sans CJK SC', 'Noto Sans SC', "
    "'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"
)
#: What the footer says when the view was not written to a file.
HOW_TO_PAGE = 'Interactive page (search, collapse, zoom): ecograph.render(eco, "map.html")'

_BORDER = "#3d444d"
_MUTED = "#59636e"
_PAD = 36.0  # room around the map for labels
_GROW = 0.22  # nodes are drawn at least this fraction of their size
_LINE = 1.3  # line height, in ems

# advance widths of printable ASCII (32..126), regular and bold, 1/1000 em: the wider of
# Helvetica's (Arial, Liberation Sans) and DejaVu Sans' (the usual fallback on Linux), so a
# label measured here is never narrower than drawn with either
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 556, 1015, 684, 686, 722,
    770, 667, 611, 778, 752, 295, 500, 667, 557, 863, 748, 787, 667, 787, 722, 667, 611, 732,
    684, 989, 685, 667, 685, 390, 337, 390, 838, 556, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838,
)  # fmt: skip
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 611, 1000, 774, 762, 734,
    830, 683, 683, 821, 837, 372, 556, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
    774, 1103, 771, 724, 725, 457, 365, 457, 838, 556, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
    582, 712, 365, 712, 838,
)  # fmt: skip
# characters XML 1.0 does not allow (they would make the SVG unreadable as XML)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def text_width(text: str, px: float, *, bold: bool = False) -> float:
    """Estimated width of ``text`` drawn at ``px`` pixels, with a 4 % margin.

    ASCII from the wider of Helvetica's and DejaVu Sans' advance widths; wide
    and full-width East Asian characters one em; combining marks nothing;
    anything else 0.65 em.

    Examples
    --------
    >>> round(text_width("Taobao", 10.0), 1)  # (611 + 613 + 612 + 635 + 613 + 612) / 100 * 1.04
    38.4
    >>> text_width("淘宝", 10.0)
    20.8
    """
    table = _BOLD if bold else _REGULAR
    units = 0.0
    for c in text:
        code = ord(c)
        if 32 <= code <= 126:
            units += table[code - 32]
        elif unicodedata.combining(c):
            continue
        elif unicodedata.east_asian_width(c) in ("W", "F"):
            units += 1000
        else:
            units += 650
    return round(units / 1000 * px * 1.04, 3)


def _text(value: str) -> str:
    """``value`` safe as SVG text or attribute: escaped, characters XML refuses spelt out."""
    shown = _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return html.escape(shown, quote=True)


def _i(points: Iterable[tuple[float, float]]) -> str:
    """Points in whole pixels, for shapes that do not need finer."""
    return " ".join(f"{round(x)},{round(y)}" for x, y in points)


def _n(value: float) -> str:
    """A coordinate, short: one decimal, no trailing zero."""
    out = f"{value:.1f}"
    return out[:-2] if out.endswith(".0") else out


@dataclass(frozen=True, slots=True)
class _Disc:
    x: float
    y: float
    size: float


def _shape(shape: str, x: float, y: float, r: float, attrs: str) -> str:
    """The SVG element of a vis-network node shape of radius ``r`` (as the page draws it)."""
    if shape in ("dot", "circle"):
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}"{attrs}/>'
    if shape == "square":
        return (
            f'<rect x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" '
            f'height="{_n(2 * r)}"{attrs}/>'
        )
    points: list[tuple[float, float]]
    if shape == "hexagon":
        points = [
            (x + r * math.cos(k * math.pi / 3), y + r * math.sin(k * math.pi / 3)) for k in range(6)
        ]
    elif shape == "diamond":
        points = [(x, y + r), (x + r, y), (x, y - r), (x - r, y)]
    elif shape == "star":
        n = r * 0.82
        cy = y + 0.1 * n
        points = [
            (
                x + (1.3 * n if k % 2 == 0 else 0.5 * n) * math.sin(k * math.pi / 5),
                cy - (1.3 * n if k % 2 == 0 else 0.5 * n) * math.cos(k * math.pi / 5),
            )
            for k in range(10)
        ]
    elif shape in ("triangle", "triangleDown"):
        n = r * 1.15
        side = 2 * n
        low = math.sqrt(3) / 6 * side
        high = math.sqrt(side * side - n * n) - low
        sign = 1.0 if shape == "triangle" else -1.0
        cy = y + sign * 0.275 * n
        points = [(x, cy - sign * high), (x + n, cy + sign * low), (x - n, cy + sign * low)]
    else:
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}"{attrs}/>'
    coords = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
    return f'<polygon points="{coords}"{attrs}/>'


#: Tooltip rows the light view leaves out (the page shows them): what the first line
#: or the group outline already says, where the figure comes from, where it is defined.
_SKIP = frozenset({"label", "pipe", "from", "to", "member of", "source", "defined at"})
#: A tooltip value longer than this is shortened (the page shows it whole).
_VALUE_CHARS = 120


def _title(first: str, rows: Iterable[tuple[str, str]]) -> str:
    lines = [first, *(f"{k}: {shorten(v, _VALUE_CHARS)}" for k, v in rows if k not in _SKIP)]
    return "<title>" + _text("\n".join(lines)) + "</title>"


def _wrap(text: str, px: float, width: float, *, bold: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (at spaces, else anywhere); linear."""
    lines: list[str] = []
    line, line_w = "", 0.0
    space = text_width(" ", px, bold=bold)
    for word in text.split(" "):
        w = text_width(word, px, bold=bold)
        if line and line_w + space + w <= width:
            line, line_w = f"{line} {word}", line_w + space + w
            continue
        if line:
            lines.append(line)
        if w <= width:
            line, line_w = word, w
            continue
        line, line_w = "", 0.0  # a word wider than a line is cut anywhere
        for c in word:
            cw = text_width(c, px, bold=bold)
            if line and line_w + cw > width:
                lines.append(line)
                line, line_w = "", 0.0
            line, line_w = line + c, line_w + cw
    if line:
        lines.append(line)
    return lines


def _legend_mark(entry: LegendEntry, x: float, y: float) -> str:
    if entry.shape != "line":
        attrs = f' fill="{entry.color}" stroke="{_BORDER}" stroke-width="0.6"'
        return _shape(entry.shape, x + 9, y, 5.5, attrs)
    dash = (
        f' stroke-dasharray="{" ".join(_n(d / 2) for d in entry.dashes)}"' if entry.dashes else ""
    )
    line = (
        f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" '
        f'stroke="{entry.color}" stroke-width="2.5"{dash}/>'
    )
    if entry.key == "blocked":
        line += _cross(x + 9, y)
    return line


def _cross(x: float, y: float) -> str:
    return (
        f'<path d="M{_n(x - 3.5)} {_n(y - 3.5)}L{_n(x + 3.5)} {_n(y + 3.5)}'
        f'M{_n(x - 3.5)} {_n(y + 3.5)}L{_n(x + 3.5)} {_n(y - 3.5)}" '
        f'stroke="{style.BLOCKED_COLOR}" stroke-width="2"/>'
    )


def _edge_rows(edge: DrawnEdge) -> tuple[tuple[str, str], ...]:
    if edge.tooltip:
        return edge.tooltip
    return (
        ("pipes", f"{edge.pipes:,} rolled up"),
        ("currency", edge.currency),
        ("volume", style.compact(edge.volume)),
        ("status", "blocked" if edge.blocked else "open"),
    )


def to_svg(drawing: Drawing, *, footer: str | None = None, width: int = WIDTH) -> str:
    """The light view of a drawing: one SVG document, no script, a few tens of KB.

    A header (title, counts, period), the map as the page opens it (groups that
    start collapsed are collapsed, drawn as big as what they carry; at most
    :data:`EDGE_LIMIT` pipes, the widest, and a note saying so), a legend, and
    a footer saying how to get the interactive page.

    Parameters
    ----------
    drawing : Drawing
        What to draw (see :func:`ecograph.render.describe`).
    footer : str, optional
        The last line: where the interactive page was written, say; by default
        it says how to write one (:data:`HOW_TO_PAGE`).
    width : int, default 960
        Width in pixels; the SVG scales down to fit a narrower cell.

    Returns
    -------
    str
        An SVG document (``<svg xmlns=...>``), also valid inline in HTML.

    Notes
    -----
    Labels are placed by :func:`ecograph.render.placement.place_labels` (group
    names, then nodes by drawn size; below, right, above, left; full, then
    shortened; else left out) with text widths from :func:`text_width`, at
    11 px. Linear in the nodes and pipes drawn.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render import describe
    >>> eco = Ecosystem("m", title="<b>Shop</b>", nodes={
    ...     "u": Node("u", "pool", label="Users"), "s": Node("s", "partner", label="Shop & co")},
    ...     pipes=(Pipe("u->s:traffic", "u", "s", volume=5.0),))
    >>> svg = to_svg(describe(eco))
    >>> root = ET.fromstring(svg)
    >>> root.tag
    '{http://www.w3.org/2000/svg}svg'
    >>> sorted(t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
    ...        if t.get("data-node"))
    ['Shop & co', 'Users']
    >>> "<b>" in svg, "&lt;b&gt;Shop&lt;/b&gt;" in svg, "<script" in svg
    (False, True, False)
    """
    nodes, edges = visible(drawing)
    shown_pipes = len(edges)
    if len(edges) > EDGE_LIMIT:  # the widest, blocked and bottleneck pipes first
        keep = sorted(
            range(len(edges)),
            key=lambda i: (-edges[i].bottleneck, -edges[i].blocked, -edges[i].width, i),
        )[:EDGE_LIMIT]
        edges = tuple(edges[i] for i in sorted(keep))
    collapsed = {g.id for g in drawing.groups if g.collapsed}
    members = {g.id: g.members for g in drawing.groups}
    carried = carried_sizes(drawing)
    size = {n.id: carried.get(n.id, n.size) if n.id in collapsed else n.size for n in nodes}
    map_w = width - LEGEND_WIDTH
    out: list[str] = []

    # header
    px = LABEL_PX
    top = 10.0
    title = _text(drawing.title)
    for k, line in enumerate(_wrap(drawing.title, 16.0, width - 20, bold=True) or [""]):
        out.append(
            f'<text x="10" y="{_n(top + 15 + 20 * k)}" font-size="16" font-weight="bold" '
            f'fill="#1f2328">{_text(line)}</text>'
        )
    top += 20 * k
    counts = (
        f"{drawing.map_nodes:,} nodes · {drawing.map_pipes:,} pipes · volumes per {drawing.period}"
    )
    if (len(nodes), len(edges)) != (drawing.map_nodes, drawing.map_pipes):
        counts += f" · showing {len(nodes):,} nodes, {shown_pipes:,} pipes"
    header_lines = _wrap(counts, px, width - 20)
    y = top + 15 + 6
    for line in header_lines:
        y += px * _LINE
        out.append(
            f'<text x="10" y="{_n(y)}" font-size="{_n(px)}" fill="{_MUTED}">{_text(line)}</text>'
        )
    map_top = y + 8

    # the map: drawing units to pixels, the whole map in view. Nodes and pipes shrink
    # less than the distances between them (``grow``), so the margin makes room for
    # the drawn nodes, their outlines and their labels.
    xs, ys = [n.x for n in nodes] or [0.0], [n.y for n in nodes] or [0.0]
    x0, y0 = min(xs), min(ys)
    span_x, span_y = max(max(xs) - x0, 1.0), max(max(ys) - y0, 1.0)
    big = max(size.values(), default=0.0)
    rough = min(
        (map_w - 2 * _PAD) / (span_x + 2 * big), (MAP_HEIGHT - 2 * _PAD) / (span_y + 2 * big)
    )
    grow = max(min(rough, 1.0), _GROW)
    radius = {n.id: max(2.5, size[n.id] * grow) for n in nodes}
    ring_pad = max(6.0, 16 * grow)
    margin = _PAD + max(radius.values(), default=0.0) + ring_pad
    scale = max(min((map_w - 2 * margin) / span_x, (MAP_HEIGHT - 2 * margin) / span_y, 1.0), 1e-3)
    map_h = span_y * scale + 2 * margin
    off_x = (map_w - span_x * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return off_x + (x - x0) * scale, map_top + margin + (y - y0) * scale

    centre = {n.id: at(n.x, n.y) for n in nodes}
    discs = {n.id: _Disc(*centre[n.id], radius[n.id]) for n in nodes}
    shown = {n.id: n for n in nodes}

    # group outlines, outermost first
    outlines: dict[str, list[tuple[float, float]]] = {}
    for group in drawing.groups:
        if group.id not in shown or group.id in collapsed or drawing.layout == "flow":
            continue
        ring = outline((discs[m] for m in (group.id, *group.members) if m in discs), pad=ring_pad)
        if len(ring) >= 3:
            outlines[group.id] = ring
            color = shown[group.id].color
            coords = _i(ring)
            out.append(
                f'<polygon points="{coords}" fill="{color}" fill-opacity="0.07" '
                f'stroke="{color}" stroke-opacity="0.45"/>'
            )

    # pipes
    names = {n.id: n.label for n in nodes}
    marks = []
    out.append('<g fill="none" stroke-opacity="0.85">')
    for edge in edges:
        w = max(0.8, edge.width * grow * 0.6)
        if edge.bottleneck:
            w = max(w, 2.5)
        shape = pipe_shape(discs[edge.source], discs[edge.target], edge.curve, head=4.0 + 1.6 * w)
        if shape is None:
            continue
        path, tip, middle = shape
        path = [path[0], path[-1]] if edge.curve == 0 else [*path[:-1:4], path[-1]]
        dash = (
            f' stroke-dasharray="{" ".join(_n(d * 0.5) for d in edge.dashes)}"'
            if edge.dashes
            else ""
        )
        out.append(
            f"<g>{_title(f'{names[edge.source]} → {names[edge.target]}', _edge_rows(edge))}"
            f'<polyline points="{_i(path)}" stroke="{edge.color}" stroke-width="{_n(w)}"{dash}/>'
            f'<polygon points="{_i(tip)}" fill="{edge.color}" stroke="none"/></g>'
        )
        if edge.blocked:
            marks.append(_cross(*middle))
    out.append("</g>")
    out.extend(marks)

    # nodes
    out.append(f'<g stroke="{_BORDER}" stroke-width="0.6">')
    for n in nodes:
        x, y = centre[n.id]
        shut = n.id in collapsed
        attrs = f' fill="{n.color}"' + (' stroke-width="2" stroke-dasharray="4 2"' if shut else "")
        rows = n.tooltip or (("kind", n.kind),)
        if shut:
            rows = (*rows, ("collapsed", f"{len(members[n.id]):,} members drawn inside"))
        out.append(f"<g>{_title(n.label, rows)}{_shape(n.shape, x, y, radius[n.id], attrs)}</g>")
    out.append("</g>")

    # labels
    texts = {
        n.id: n.label + (f" (+{len(members[n.id]):,})" if n.id in collapsed else "") for n in nodes
    }
    line_h = px * _LINE

    def measure(text: str, bold: bool) -> tuple[float, float]:
        return text_width(text, px, bold=bold), line_h

    placed = place_labels(
        nodes,
        centre,
        radius,
        texts,
        outlines,
        measure,
        # nodes are obstacles before the group names too: a name never covers a node
        taken=[
            (x - r * 0.8, y - r * 0.8, x + r * 0.8, y + r * 0.8)
            for (x, y), r in ((centre[n.id], radius[n.id]) for n in nodes)
        ],
        within=(0.0, map_top, float(map_w), map_top + map_h),
    )
    # a white halo under every label (drawn as its own text: a renderer that drops
    # paint-order would paint a stroke over the letters), then the labels
    out.append(
        f'<g font-size="{_n(px)}" fill="#ffffff" stroke="#ffffff" stroke-width="3" '
        'stroke-linejoin="round">'
    )
    for label in placed:
        weight = ' font-weight="bold"' if label.group else ""
        out.append(
            f'<text x="{_n(label.x)}" y="{_n(label.y + px)}"{weight}>{_text(label.text)}</text>'
        )
    out.append(f'</g><g font-size="{_n(px)}">')
    for label in placed:
        weight = ' font-weight="bold"' if label.group else ""
        full = f"<title>{_text(label.full)}</title>" if label.text != label.full else ""
        out.append(
            f'<text x="{_n(label.x)}" y="{_n(label.y + px)}" fill="{label.color}"{weight} '
            f'data-node="{_text(label.id)}">{full}{_text(label.text)}</text>'
        )
    out.append("</g>")

    # legend
    ly = map_top + 4
    lx = map_w + 8.0
    section = None
    for entry in drawing.legend:
        if entry.section != section:
            section = entry.section
            heading = {"kind": "Nodes", "currency": "Pipes", "mark": "Marks"}.get(section, section)
            ly += 6 if section != drawing.legend[0].section else 0
            ly += line_h
            out.append(
                f'<text x="{_n(lx)}" y="{_n(ly)}" font-size="{_n(px)}" font-weight="bold" '
                f'fill="#1f2328">{_text(heading)}</text>'
            )
        ly += line_h + 2
        out.append(_legend_mark(entry, lx, ly - px * 0.35))
        text = f"{entry.text} ({entry.count:,})"
        for k, part in enumerate(_wrap(text, px, LEGEND_WIDTH - 36)):
            if k:
                ly += line_h
            out.append(
                f'<text x="{_n(lx + 24)}" y="{_n(ly)}" font-size="{_n(px)}" fill="#1f2328">'
                f"{_text(part)}</text>"
            )
    legend_bottom = ly + 6

    # footer
    left_out = (
        [
            f"This view draws the {len(edges):,} widest of those {shown_pipes:,} pipes "
            "(blocked and bottleneck pipes first); the interactive page draws them all."
        ]
        if len(edges) < shown_pipes
        else []
    )
    fy = max(map_top + map_h, legend_bottom) + 4
    lines = [
        *(
            part
            for text in (drawing.size_text, drawing.width_text, *drawing.notes, *left_out)
            for part in _wrap(text, px, width - 20)
        ),
    ]
    for line in lines:
        fy += line_h
        out.append(
            f'<text x="10" y="{_n(fy)}" font-size="{_n(px)}" fill="{_MUTED}">{_text(line)}</text>'
        )
    for line in _wrap(HOW_TO_PAGE if footer is None else footer, px, width - 20):
        fy += line_h
        out.append(
            f'<text x="10" y="{_n(fy)}" font-size="{_n(px)}" fill="#1f2328">{_text(line)}</text>'
        )
    height = math.ceil(fy + 8)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto" '
        f'font-family="{_text(FONT_FAMILY)}" role="img" aria-label="{title}">'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
    )
    return head + "".join(out) + "</svg>"
