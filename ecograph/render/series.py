"""Pictures of a series: line charts of a trend, and one page with a time slider.

:func:`trend_chart` draws chosen measures of a :class:`~ecograph.trend.Trend`
over time (one panel per measure, PNG or SVG, with the long-tail chart's fonts,
Chinese included). :func:`series_page` draws every snapshot of a series with the
map page of :func:`ecograph.render.to_html` and puts them behind a slider:

* positions are laid out once on the union of all snapshots (every node of every
  snapshot, each with its latest parent), so a node stands in the same place in
  every snapshot, and the page's physics is off so that it stays there;
* nodes that entered since the previous snapshot are marked ``+`` (a legend
  entry and a tooltip row say so); nodes that left are drawn once more, grey and
  marked ``-``, in the snapshot they left;
* the pages of the snapshots are embedded as JSON text and shown one at a time
  in an ``<iframe sandbox="allow-scripts" srcdoc>`` (as the report does): the map's
  scripts run in an origin of their own; the outer page runs one small script of
  its own and its policy, which the frame inherits, allows by hash only that and
  the scripts the map pages' own policies name. No request leaves the page.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render.charts import CHART_FORMATS, CHART_SIZE
from ecograph.render.describe import DEFAULT_MAX_NODES, describe
from ecograph.render.drawing import Drawing, DrawnNode, LegendEntry
from ecograph.render.html import embed_json, to_html
from ecograph.render.static import picture_style
from ecograph.series import Series
from ecograph.trend import MEASURES, Trend

__all__ = [
    "ENTERED_COLOR",
    "LEFT_COLOR",
    "render_series",
    "series_drawings",
    "series_page",
    "trend_chart",
]

#: Fill of a node drawn in the snapshot it left.
LEFT_COLOR = "#c8c8c8"
#: Legend colour of the mark of a node that entered.
ENTERED_COLOR = "#2e7d32"
_DPI = 150

_LABELS = {
    "received": "received by partners",
    "partners": "partners and producers",
    "gini": "Gini",
    "top20_share": "top-20% share",
    "tail_share": "tail share",
    "herfindahl": "Herfindahl",
    "herfindahl_by_giant": "Herfindahl by giant",
    "pool_users": "pool users",
    "boundary_input": "boundary inflow",
    "total_system_throughflow": "total system throughflow",
    "average_path_length": "average path length",
    "cycling_index": "Finn cycling index",
    "direct_flow_index": "direct flow index",
    "indirect_flow_index": "indirect flow index",
    "revenue": "revenue",
}


def _printable(text: str) -> str:
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


def trend_chart(
    result: Trend,
    measures: Sequence[str] = ("received", "gini"),
    fmt: str = "svg",
    *,
    title: str | None = None,
) -> bytes:
    """Line charts of measures over the snapshots of a trend, one panel each.

    Parameters
    ----------
    result : Trend
        From :func:`ecograph.trend`.
    measures : sequence of str
        Names of :data:`ecograph.trend.MEASURES`, or ``node:ID`` for what a
        followed node received; one panel per name, top to bottom.
    fmt : {"svg", "png"}
    title : str, optional
        Default: the series' title.

    Returns
    -------
    bytes
        The image file (:data:`~ecograph.render.charts.CHART_SIZE` wide; taller
        with more than two panels). Labels are text, never markup.

    Raises
    ------
    ValueError
        An unknown format or measure, or no measure.

    Examples
    --------
    >>> from ecograph.trend import Trend
    >>> t = Trend("t", "month", "traffic", None, {},
    ...           ({"date": "2023", "gini": 0.4}, {"date": "2024", "gini": 0.5}), {}, {})
    >>> trend_chart(t, ["gini"], "png")[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    if fmt not in CHART_FORMATS:
        raise ValueError(f"format must be one of {', '.join(CHART_FORMATS)}, not {fmt!r}")
    if not measures:
        raise ValueError("name at least one measure")
    for m in measures:
        if m.startswith("node:"):
            if m[5:] not in result.nodes:
                raise ValueError(f"node {m[5:]!r} is not followed by this trend")
        elif m not in MEASURES:
            raise ValueError(f"unknown measure {m!r}; expected one of {', '.join(MEASURES)}")
    dates = [_printable(str(s["date"])) for s in result.snapshots]
    width, height = CHART_SIZE
    rows = len(measures)
    tall = height * max(1.0, rows / 2)
    with picture_style():
        fig = Figure(figsize=(width / _DPI, tall / _DPI), dpi=_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
        for ax, m in zip(axes, measures, strict=True):
            values = [float("nan") if v is None else float(v) for v in result.series_of(m)]
            ax.plot(range(len(dates)), values, marker="o", color="#1f77b4")
            if m.startswith("node:"):
                name = f"{_printable(m[5:])}: {result.kind} received per {result.period}"
            else:
                name = _LABELS[m] + (
                    f" ({result.kind} per {result.period})"
                    if m in ("received", "boundary_input", "total_system_throughflow")
                    else ""
                )
            ax.set_title(name, fontsize=9, loc="left")
            ax.grid(True, alpha=0.3)
            ax.margins(x=0.08, y=0.25)
            ax.yaxis.set_major_formatter(FuncFormatter(_tick))
            for x, v in enumerate(values):
                if v == v:  # not nan
                    ax.annotate(
                        f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}",
                        (x, v),
                        textcoords="offset points",
                        xytext=(0, 6),
                        ha="center",
                        fontsize=7,
                    )
        axes[-1].set_xticks(range(len(dates)), dates)
        axes[-1].set_xlabel("snapshot")
        fig.suptitle(_printable(title or result.title), fontsize=11)
        out = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, dpi=_DPI, metadata=metadata)
    return out.getvalue()


def _tick(value: float, _position: Any) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


# -- the page ------------------------------------------------------------------------------


def _union(series: Series) -> Ecosystem:
    """Every node and pipe of every snapshot, the latest definition winning."""
    nodes: dict[str, Node] = {}
    pipes: dict[str, Pipe] = {}
    for snapshot in series.snapshots:
        nodes.update(snapshot.map.nodes)
        pipes.update((p.key, p) for p in snapshot.map.pipes)
    # a parent taken from one snapshot and a child's from another may close a loop
    for node_id in list(nodes):
        seen = {node_id}
        parent = nodes[node_id].parent
        while parent is not None:
            if parent in seen:
                nodes[node_id] = dataclasses.replace(nodes[node_id], parent=None)
                break
            seen.add(parent)
            parent = nodes[parent].parent
    last = series.snapshots[-1].map
    return Ecosystem(
        name=last.name,
        title=series.title,
        period=series.period,
        nodes=nodes,
        pipes=tuple(pipes.values()),
        units=dict(series.units),
    )


def _mark(node: DrawnNode, sign: str, text: str, **changes: Any) -> DrawnNode:
    return dataclasses.replace(
        node, label=f"{sign} {node.label}", tooltip=(("change", text), *node.tooltip), **changes
    )


def series_drawings(
    series: Series,
    *,
    size_by: str = "users",
    collapse: Iterable[str] = (),
    depth: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    layout: str = "force",
) -> list[Drawing]:
    """One drawing per snapshot, with stable positions and entering and leaving nodes marked.

    Options are those of :func:`ecograph.render.describe`; every snapshot is
    drawn with them, its own figures and the positions of the union layout.

    Examples
    --------
    >>> import ecograph
    >>> s = ecograph.load_series("ecosystems/series/rural-taobao.yaml")
    >>> first, second, third = series_drawings(s)
    >>> [n.label for n in second.nodes if n.id == "shaanxi-eggs"]
    ['+ 陕西山区土鸡蛋 mountain eggs']
    >>> [n.color for n in third.nodes if n.id == "hen-seller"] == [LEFT_COLOR]
    True
    >>> pos = lambda d, i: [(n.x, n.y) for n in d.nodes if n.id == i]
    >>> pos(first, "pinduoduo") == pos(third, "pinduoduo")
    True
    """
    options: dict[str, Any] = {
        "size_by": size_by,
        "collapse": tuple(collapse),
        "depth": depth,
        "max_nodes": max_nodes,
        "layout": layout,
    }
    union = describe(_union(series), **options)
    options["layout"] = union.layout  # what "auto" chose for the union, for every snapshot
    where = {n.id: (n.x, n.y) for n in union.nodes}
    out: list[Drawing] = []
    previous: Drawing | None = None
    previous_ids: set[str] = set()
    for i, snapshot in enumerate(series.snapshots):
        drawing = describe(snapshot.map, **options)
        ids = set(snapshot.map.nodes)
        nodes: list[DrawnNode] = []
        entered = 0
        for n in drawing.nodes:
            x, y = where.get(n.id, (n.x, n.y))
            moved = dataclasses.replace(n, x=x, y=y)
            if previous is not None and n.kind != "fold" and n.id not in previous_ids:
                moved = _mark(moved, "+", f"entered in {snapshot.date}")
                entered += 1
            nodes.append(moved)
        if previous is not None:
            for n in previous.nodes:
                if n.kind != "fold" and n.id not in ids and n.id in previous_ids:
                    x, y = where.get(n.id, (n.x, n.y))
                    ghost = dataclasses.replace(
                        n, x=x, y=y, parent=None, color=LEFT_COLOR, label=n.label.removeprefix("+ ")
                    )
                    nodes.append(_mark(ghost, "-", f"left in {snapshot.date}"))
        left = len(nodes) - len(drawing.nodes)
        legend = (
            LegendEntry(
                "mark",
                "entered",
                "+ entered since the previous snapshot",
                ENTERED_COLOR,
                "dot",
                (),
                entered,
            ),
            LegendEntry(
                "mark", "left", "- left since the previous snapshot", LEFT_COLOR, "dot", (), left
            ),
        )
        notes = (f"snapshot {i + 1} of {len(series.snapshots)}: {snapshot.date}",)
        out.append(
            dataclasses.replace(
                drawing,
                title=f"{series.title} — {snapshot.label}",
                nodes=tuple(nodes),
                physics=False,
                legend=(*drawing.legend, *legend) if previous is not None else drawing.legend,
                notes=(*notes, *drawing.notes),
            )
        )
        previous, previous_ids = drawing, ids
    return out


_POLICY = re.compile(r"script-src ([^;\"]*)")
_OUTER_JS = """(function () {
  "use strict";
  var pages = JSON.parse(document.getElementById("series-pages").textContent);
  var dates = JSON.parse(document.getElementById("series-dates").textContent);
  var slider = document.getElementById("series-slider");
  var shown = document.getElementById("series-date");
  var frame = document.getElementById("series-frame");
  function show(i) {
    i = Math.max(0, Math.min(pages.length - 1, i));
    slider.value = String(i);
    shown.textContent = dates[i];
    frame.srcdoc = pages[i];
  }
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  document.getElementById("series-prev").addEventListener("click", function () {
    show(Number(slider.value) - 1);
  });
  document.getElementById("series-next").addEventListener("click", function () {
    show(Number(slider.value) + 1);
  });
  frame.addEventListener("load", function () {
    document.body.setAttribute("data-ready", "true");
  });
  show(Number(slider.value));
})();
"""
_CSS = """body{margin:0;font-family:system-ui,"Noto Sans CJK SC",sans-serif;display:flex;
flex-direction:column;height:100vh}
#series-bar{display:flex;gap:.8em;align-items:center;padding:.5em 1em;border-bottom:1px solid #ddd}
#series-bar h1{font-size:1.05em;margin:0 1em 0 0}
#series-slider{flex:1;max-width:40em}
#series-date{font-weight:bold;min-width:6em}
#series-frame{flex:1;border:0;width:100%}
"""


def _hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def series_page(drawings: Sequence[Drawing], dates: Sequence[str], *, title: str) -> str:
    """One HTML page with a slider over the map pages of ``drawings``.

    Parameters
    ----------
    drawings : sequence of Drawing
        From :func:`series_drawings`, oldest first.
    dates : sequence of str
        The snapshots' dates, shown beside the slider.
    title : str

    Returns
    -------
    str
        A self-contained page: the first snapshot shows, the slider (or the
        arrow buttons) shows the others.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> from ecograph.render import describe
    >>> d = describe(Ecosystem("m", nodes={"a": Node("a", "pool")}))
    >>> page = series_page([d, d], ["2023", "2024"], title="<b>m</b>")
    >>> "<title>&lt;b&gt;m&lt;/b&gt;</title>" in page, 'max="1"' in page
    (True, True)
    """
    if len(drawings) != len(dates) or not drawings:
        raise ValueError("one date per drawing, and at least one drawing")
    pages = [to_html(d) for d in drawings]
    allowed = {_hash(_OUTER_JS)}
    for page in pages:  # the map pages' own scripts, by the hashes their policy names
        found = _POLICY.search(page)
        if found is None:
            raise RuntimeError("a map page has no script-src policy")
        allowed.update(found.group(1).split())
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join(sorted(allowed))}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    last = len(drawings) - 1
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title, quote=True)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<div id="series-bar">'
        f"<h1>{html.escape(title, quote=True)}</h1>"
        '<button id="series-prev" type="button" aria-label="Previous snapshot">◀</button>'
        f'<input id="series-slider" type="range" min="0" max="{last}" step="1" value="0" '
        'aria-label="Snapshot">'
        '<button id="series-next" type="button" aria-label="Next snapshot">▶</button>'
        '<span id="series-date"></span></div>\n'
        '<iframe id="series-frame" sandbox="allow-scripts" title="Snapshot map"></iframe>\n'
        f'<script type="application/json" id="series-pages">{embed_json(pages)}</script>\n'
        f'<script type="application/json" id="series-dates">{embed_json(list(dates))}</script>\n'
        f"<script>{_OUTER_JS}</script>\n</body>\n</html>\n"
    )


def render_series(series: Series, output: str, **options: Any) -> list[Drawing]:
    """Write the slider page of a series to ``output`` (atomically); return its drawings.

    ``options`` are those of :func:`series_drawings`.

    Examples
    --------
    >>> import ecograph, tempfile, pathlib
    >>> s = ecograph.load_series("ecosystems/series/rural-taobao.yaml")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.html"
    >>> len(render_series(s, str(out))), out.read_text("utf-8").startswith("<!DOCTYPE html>")
    (3, True)
    """
    from ecograph._io import write_atomic

    drawings = series_drawings(series, **options)
    page = series_page(drawings, series.dates, title=series.title)
    write_atomic(output, page.encode("utf-8"), inputs=series.files)
    return drawings
