"""One self-contained HTML report of a map: the page a partnership manager forwards.

:func:`report_html` builds the page and :func:`report` writes it atomically. The
page holds, in order: a header (title, description, period, counts, source
files), the interactive map (the very page ``ecograph render`` writes), the
flow indices of one currency with a one-line meaning each, the diagnosis table
(status counts, then every diagnosed node, most severe first), two rankings
(a centrality metric and traffic received) and the long-tail chart with its
figures.

How the page stays safe and offline
-----------------------------------
* Every string from the map goes through :func:`html.escape` and lands in the
  page as text; the report itself runs no script at all.
* The map is the page of :func:`ecograph.render.to_html` inside an
  ``<iframe sandbox="allow-scripts" srcdoc="...">``: its scripts run in an
  opaque origin of their own and cannot reach the report. A ``srcdoc``
  document inherits the report's Content-Security-Policy, so the report's
  policy allows exactly the map page's scripts (by hash, copied from the map
  page's own policy) and nothing else: no network access, no other script.
* The long-tail chart is an SVG in an ``<img>`` data URL; an SVG shown by
  ``<img>`` runs no script and loads nothing.
* Nothing in the page depends on the clock or the machine, so the same map and
  options give the same bytes.
"""

from __future__ import annotations

import base64
import functools
import html
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path

from ecograph._aliases import renamed
from ecograph._io import check_output, write_atomic
from ecograph._suggest import did_you_mean
from ecograph.analysis.centrality import METRICS, Centrality, centrality
from ecograph.analysis.diagnose import STATUSES, Diagnosis, diagnose
from ecograph.analysis.flow import FlowAnalysis, flow
from ecograph.errors import UsageError
from ecograph.formatting import format_number
from ecograph.model import Ecosystem, check_currency
from ecograph.render.describe import DEFAULT_MAX_NODES, describe
from ecograph.render.drawing import Drawing
from ecograph.render.html import to_html

__all__ = ["DEFAULT_MAX_ROWS", "FLOW_INDICES", "SECTIONS", "report", "report_html"]

#: The sections of the page: element id -> heading, in page order.
SECTIONS: Mapping[str, str] = {
    "map": "Map",
    "flow": "Flow indices",
    "diagnosis": "Diagnosis",
    "rankings": "Rankings",
    "long-tail": "Long tail",
    "economics": "What traffic earns",
}
#: Flow indices shown: key in the page -> (name, attribute of FlowAnalysis, meaning).
FLOW_INDICES: tuple[tuple[str, str, str, str], ...] = (
    (
        "tst",
        "Total system throughflow (TST)",
        "total_system_throughflow",
        "all the flow passing through nodes per period, counted at every node it passes",
    ),
    (
        "boundary",
        "Boundary input",
        "boundary_input",
        "flow entering the map from outside per period (closed imbalances included)",
    ),
    (
        "apl",
        "Average path length (APL)",
        "average_path_length",
        "how many nodes a unit of flow passes on average from entering to leaving (TST / input)",
    ),
    (
        "fci",
        "Finn cycling index (FCI)",
        "cycling_index",
        "share of throughflow that goes round in cycles: lock-in, flow coming back to where it was",
    ),
    (
        "bfi",
        "Boundary flow index (BFI)",
        "boundary_flow_index",
        "share of throughflow that is flow just arriving from outside the map",
    ),
    (
        "dfi",
        "Direct flow index (DFI)",
        "direct_flow_index",
        "share of throughflow that arrives over one pipe straight from where it entered",
    ),
    (
        "ifi",
        "Indirect flow index (IFI)",
        "indirect_flow_index",
        "share of throughflow that arrives over two or more pipes",
    ),
)
_SHARES = frozenset({"fci", "bfi", "dfi", "ifi"})
#: Most rows of the per-node diagnosis table (the least severe are left out beyond it).
DEFAULT_MAX_ROWS = 500


@functools.cache
def _css() -> str:
    return (resources.files("ecograph.render") / "assets" / "report.css").read_text(
        encoding="utf-8"
    )


def _e(value: object) -> str:
    """Text (or an attribute value) escaped for HTML."""
    return html.escape(str(value), quote=True)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _value_attr(value: float | int | None) -> str:
    """The exact number as a ``data-value`` attribute (empty when there is none)."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ' data-value="nan"' if math.isnan(value) else f' data-value="{value}"'
    return f' data-value="{value!r}"'


def _num(value: float | int | None, text: str | None = None, *, attrs: str = "") -> str:
    shown = format_number(value) if text is None else text
    return f'<td class="eg-num"{_value_attr(value)}{attrs}>{_e(shown)}</td>'


def _pct(share: float | None) -> str:
    if share is None or not math.isfinite(share):
        return "n/a"
    return f"{100 * share:.1f}%"


def _node_cell(eco: Ecosystem, node: str) -> str:
    label = eco.nodes[node].label if node in eco.nodes else node
    if label == node:
        return f'<td class="eg-node"><code class="eg-id">{_e(node)}</code></td>'
    return (
        f'<td class="eg-node"><span class="eg-label">{_e(label)}</span> '
        f'<code class="eg-id">{_e(node)}</code></td>'
    )


def _note(text: str, *, cls: str = "eg-note") -> str:
    return f'<p class="{cls}">{_e(text)}</p>'


def _section(key: str, body: Iterable[str], *, heading: str | None = None) -> str:
    title = heading if heading is not None else SECTIONS[key]
    return "\n".join([f'<section id="{key}">', f"<h2>{_e(title)}</h2>", *body, "</section>"])


# -- the parts ----------------------------------------------------------------------------------


def _unit(eco: Ecosystem, currency: str) -> str:
    unit = eco.units.get(currency)
    return f" {unit}" if unit else ""


def _header(eco: Ecosystem) -> str:
    summary = eco.summary()
    blocked: dict[str, int] = {}
    for pipe in eco.pipes:
        blocked[pipe.kind] = blocked.get(pipe.kind, 0) + (not pipe.is_open)
    meta = [
        f"<span>map <code>{_e(eco.name)}</code></span>",
        f"<span>volumes per {_e(eco.period)}</span>",
        f"<span>{_plural(len(eco.nodes), 'node')}, {_plural(len(eco.pipes), 'pipe')}</span>",
    ]
    if eco.warnings:
        meta.append(f"<span>{_plural(len(eco.warnings), 'warning')} when loading</span>")
    parts = [
        '<header id="summary">',
        f'<h1 id="title">{_e(eco.title)}</h1>',
        f'<p class="eg-meta">{"".join(meta)}</p>',
    ]
    if eco.description:
        parts.append(f'<p class="eg-description">{_e(eco.description)}</p>')
    nodes_rows = "".join(
        f'<tr data-kind="{_e(k)}"><td>{_e(k)}</td>{_num(v)}</tr>'
        for k, v in summary["nodes"].items()
    )
    pipe_rows = "".join(
        f'<tr data-currency="{_e(c)}"><td>{_e(c)}</td>{_num(v)}'
        f"<td>{_e(f'{blocked[c]:,} blocked') if blocked.get(c) else ''}</td></tr>"
        for c, v in summary["pipes"].items()
    )
    volume_rows = "".join(
        f'<tr data-currency="{_e(c)}"><td>{_e(c)}</td>{_num(v)}<td>{_e(_unit(eco, c).strip())}</td>'
        "</tr>"
        for c, v in summary["volume"].items()
    )
    empty = '<tr><td class="eg-muted">none</td></tr>'
    parts += [
        '<div class="eg-cards" id="counts">',
        f'<div class="eg-card" id="counts-nodes"><h3>Nodes by kind</h3><table>'
        f"{nodes_rows or empty}</table></div>",
        f'<div class="eg-card" id="counts-pipes"><h3>Pipes by currency</h3><table>'
        f"{pipe_rows or empty}</table></div>",
        f'<div class="eg-card" id="counts-volume"><h3>Volume per {_e(eco.period)} '
        f"(open pipes)</h3><table>{volume_rows or empty}</table></div>",
        "</div>",
    ]
    if eco.files:
        files = ", ".join(f"<code>{_e(f)}</code>" for f in eco.files)
        parts.append(f'<p class="eg-muted" id="files">From {files}</p>')
    links = "".join(f'<a href="#{key}">{_e(name)}</a>' for key, name in SECTIONS.items())
    parts += [f'<nav class="eg-contents" aria-label="Contents">{links}</nav>', "</header>"]
    return "\n".join(parts)


def _map_section(eco: Ecosystem, drawing: Drawing, page: str) -> str:
    body = []
    if drawing.notes:
        body.append(
            '<ul class="eg-notes" id="map-notes">'
            + "".join(f"<li>{_e(n)}</li>" for n in drawing.notes)
            + "</ul>"
        )
    body += [
        '<figure class="eg-map">',
        '<div class="eg-map-frame">',
        f'<iframe sandbox="allow-scripts" title="{_e(f"Interactive map: {eco.title}")}" '
        f'srcdoc="{_e(page)}"></iframe>',
        "</div>",
        "<figcaption>Interactive: drag, zoom, search and filter; click a node to light up its "
        "neighbours, double-click a group to collapse it. "
        f"{_plural(len(drawing.nodes), 'node')} and {_plural(len(drawing.edges), 'pipe')} drawn "
        f"({drawing.map_nodes:,} and {drawing.map_pipes:,} in the map).</figcaption>",
        "</figure>",
    ]
    return _section("map", body)


def _flow_section(eco: Ecosystem, kind: str, result: FlowAnalysis) -> str:
    heading = f"Flow indices: {kind}"
    if kind not in eco.currencies():
        return _section(
            "flow",
            [
                _note(
                    f"This map has no {kind} layer (no {kind} pipes or boundary flows): "
                    "there are no flow indices to show."
                )
            ],
            heading=heading,
        )
    if result.total_system_throughflow == 0:
        return _section(
            "flow",
            [
                _note(
                    f"No {kind} flows through this map (every {kind} volume is 0 or missing): "
                    "there are no flow indices to show."
                )
            ],
            heading=heading,
        )
    rows = []
    for key, name, attr, meaning in FLOW_INDICES:
        value = getattr(result, attr)
        text = format_number(value)
        if key in _SHARES and value is not None:
            text = f"{text} ({_pct(value)})"
        if key == "fci" and result.cycling_index_stderr > 0:
            text += f" ± {format_number(result.cycling_index_stderr)}"
        if key in ("tst", "boundary"):
            text += f"{_unit(eco, kind)} per {eco.period}"
        rows.append(
            f'<tr data-index="{key}"><td>{_e(name)}</td>{_num(value, text)}'
            f"<td>{_e(meaning)}</td></tr>"
        )
    body = [
        f"<p>Ecological network analysis of the {_e(kind)} pipes (Finn 1976; Fath &amp; Patten "
        "1999; as R's enaR computes them). BFI + DFI + IFI = 1 when no flow circulates in a "
        "closed loop.</p>",
        '<div class="eg-scroll"><table class="eg-table" id="flow-table">',
        '<thead><tr><th>Index</th><th class="eg-num">Value</th><th>Meaning</th></tr></thead>',
        "<tbody>",
        *rows,
        "</tbody></table></div>",
    ]
    unbalanced = [n for n, v in result.imbalance.items() if abs(v) > 1e-9 * max(1.0, abs(v))]
    if unbalanced:
        body.append(
            _note(
                f"{_plural(len(unbalanced), 'node')} do not balance (in ≠ out); the difference "
                "was closed at the boundary. 'ecograph flow' lists them.",
                cls="eg-muted",
            )
        )
    return _section("flow", body, heading=heading)


def _diagnosis_section(
    eco: Ecosystem, kind: str, result: Mapping[str, Diagnosis], max_rows: int
) -> str:
    if not result:
        return _section(
            "diagnosis",
            [_note(f"No partner, producer or channel in this map has {kind} to diagnose.")],
        )
    counts = {s: 0 for s in STATUSES}
    for d in result.values():
        counts[d.status] += 1
    count_rows = "".join(
        f'<tr data-status="{_e(s)}"><td><span class="eg-status eg-status-{_e(s)}">{_e(s)}</span>'
        f"</td>{_num(c)}</tr>"
        for s, c in counts.items()
        if c
    )
    severity = {s: i for i, s in enumerate(STATUSES)}
    ordered = sorted(result.values(), key=lambda d: severity[d.status])  # stable: map order
    shown = ordered[:max_rows]
    rows = []
    for d in shown:
        reasons = "".join(f"<li>{_e(r)}</li>" for r in d.reasons)
        received = d.evidence.get("received")
        rows.append(
            f'<tr data-node="{_e(d.node)}" data-status="{_e(d.status)}">'
            f"{_node_cell(eco, d.node)}<td>{_e(eco.nodes[d.node].kind)}</td>"
            f'<td><span class="eg-status eg-status-{_e(d.status)}">{_e(d.status)}</span></td>'
            f"{_num(received if isinstance(received, int | float) else None)}"
            f'<td><ul class="eg-reasons">{reasons}</ul></td></tr>'
        )
    body = [
        f"<p>Why each partner, producer and channel gets the {_e(kind)} it gets: its most "
        "actionable finding, in this order (empty pipe: no source reaches it; blocked pipe: "
        "sources upstream but every path shut; narrow pipe: its full pipes in hold far less "
        "than its feeders receive; poor fit: its tags miss its host's genes; overuse: draws "
        "most of what a pool carries; unprofitable: pays more for its pipes than it earns; "
        "no monetisation: converts none of what it receives). Dependence on one giant is a "
        "risk listed with the reasons, not a status.</p>",
        '<table class="eg-table" id="diagnosis-counts" style="width:auto">',
        '<thead><tr><th>Status</th><th class="eg-num">Nodes</th></tr></thead>',
        f"<tbody>{count_rows}</tbody><tfoot><tr><th>total</th>{_num(len(result))}</tr></tfoot>",
        "</table>",
        '<div class="eg-scroll"><table class="eg-table" id="diagnosis-table">',
        "<thead><tr><th>Node</th><th>Kind</th><th>Status</th>"
        f'<th class="eg-num">Received per {_e(eco.period)}</th><th>Reasons</th></tr></thead>',
        "<tbody>",
        *rows,
        "</tbody></table></div>",
    ]
    if len(ordered) > len(shown):
        left = ordered[len(shown) :]
        statuses = sorted({d.status for d in left}, key=severity.__getitem__)
        body.append(
            _note(
                f"{_plural(len(left), 'more node')} ({', '.join(statuses)}) not listed, "
                f"the least severe; 'ecograph diagnose' lists every node."
            )
        )
    return _section("diagnosis", body)


def _received(eco: Ecosystem, kind: str) -> dict[str, float]:
    from ecograph.analysis.longtail import received

    return received(eco, kind)


def _ranking_table(
    eco: Ecosystem, table_id: str, heading: str, column: str, values: Mapping[str, float]
) -> str:
    rows = "".join(
        f'<tr data-node="{_e(node)}">{_num(i)}{_node_cell(eco, node)}'
        f"<td>{_e(eco.nodes[node].kind) if node in eco.nodes else ''}</td>{_num(value)}</tr>"
        for i, (node, value) in enumerate(values.items(), start=1)
    )
    return (
        f'<div><h3>{_e(heading)}</h3><div class="eg-scroll"><table class="eg-table" '
        f'id="{table_id}"><thead><tr><th class="eg-num">#</th><th>Node</th><th>Kind</th>'
        f'<th class="eg-num">{_e(column)}</th></tr></thead><tbody>{rows}</tbody></table></div>'
        "</div>"
    )


def _rankings_section(eco: Ecosystem, kind: str, metric: str, top: int, ranking: Centrality) -> str:
    if not any(True for _ in eco.pipes_of(kind)):
        return _section(
            "rankings",
            [
                _note(
                    f"This map has no {kind} pipes: there is nothing to rank by {metric} or by "
                    f"{kind} received."
                )
            ],
        )
    body = []
    if not ranking.weighted:
        body.append(
            _note(
                f"No {kind} pipe has a volume: {metric} is measured unweighted (every "
                "connection counts 1).",
                cls="eg-muted",
            )
        )
    got = _received(eco, kind)
    order = sorted((n for n in got if got[n] > 0), key=lambda n: -got[n])[:top]  # stable
    tables = [
        _ranking_table(
            eco, "ranking-metric", f"Top {top} by {metric} ({kind})", metric, ranking.values
        )
    ]
    if order:
        tables.append(
            _ranking_table(
                eco,
                "ranking-received",
                f"Top {top} by {kind} received",
                f"{kind} per {eco.period}",
                {n: got[n] for n in order},
            )
        )
    else:
        tables.append(
            f"<div><h3>Top {top} by {_e(kind)} received</h3>"
            + _note(f"No node receives any {kind}.")
            + "</div>"
        )
    body.append(f'<div class="eg-two">{"".join(tables)}</div>')
    body.append(
        f'<p class="eg-muted">Received: boundary inflow plus the volume of open {_e(kind)} '
        f"pipes into the node, per {_e(eco.period)}. Ties keep map order.</p>"
    )
    return _section("rankings", body)


def _longtail_section(eco: Ecosystem, kind: str, top: int) -> str:
    from ecograph.analysis.longtail import DEFAULT_KINDS, longtail
    from ecograph.render.charts import chart

    heading = f"Long tail: {kind} over partners and producers"
    who = " or ".join(f"{k}s" for k in DEFAULT_KINDS)
    if not any(node.kind in DEFAULT_KINDS for node in eco.nodes.values()):
        return _section(
            "long-tail",
            [_note(f"This map has no {who}: there is no long tail to measure.")],
            heading=heading,
        )
    result = longtail(eco, currency=kind, top=top)
    if not result.total > 0:
        return _section(
            "long-tail",
            [
                _note(
                    f"No {kind} reaches the {_plural(result.n, 'node')} ({who}) of this map: "
                    "there is no long tail to measure."
                )
            ],
            heading=heading,
        )
    svg = chart(result, "svg")
    data = base64.b64encode(svg).decode("ascii")
    figures: list[tuple[str, str, float | int | None, str]] = [
        (
            "nodes",
            f"{who.capitalize()} measured",
            result.n,
            f"{result.zero:,} receive{'s' if result.zero == 1 else ''} nothing",
        ),
        ("total", f"Total {kind} received", result.total, f"per {eco.period}"),
        ("gini", "Gini coefficient", result.gini, "0 even, near 1 one node holds everything"),
        (
            "top20",
            f"Top 20% share ({result.top20_count:,} largest)",
            result.top20_share,
            _pct(result.top20_share),
        ),
        (
            "tail",
            f"Tail share beyond the top {result.top:,}",
            result.tail_share,
            _pct(result.tail_share),
        ),
        ("herfindahl", "Herfindahl index", result.herfindahl, "sum of squared shares"),
        ("nodes80", "Nodes holding 80%", result.nodes_for_80, "fewest largest nodes"),
    ]
    rows = "".join(
        f'<tr data-figure="{key}"><td>{_e(name)}</td>{_num(value)}<td>{_e(note)}</td></tr>'
        for key, name, value, note in figures
    )
    alt = (
        f"Pareto chart of {kind} received by {_plural(result.n, 'node')}, largest first, with "
        f"the cumulative share: top 20% hold {_pct(result.top20_share)}, Gini "
        f"{result.gini:.3f}"
    )
    body = [
        '<div class="eg-scroll"><table class="eg-table" id="long-tail-figures">',
        '<thead><tr><th>Figure</th><th class="eg-num">Value</th><th></th></tr></thead>',
        f"<tbody>{rows}</tbody></table></div>",
        '<figure class="eg-long-tail">',
        f'<img class="eg-chart" id="long-tail-chart" width="1200" height="720" alt="{_e(alt)}" '
        f'src="data:image/svg+xml;base64,{data}">',
        f"<figcaption>Bars: {_e(kind)} received per node, largest first; line: cumulative "
        "share; dashed line: the top-20% boundary.</figcaption>",
        "</figure>",
    ]
    return _section("long-tail", body, heading=heading)


# -- the page -------------------------------------------------------------------------------


def _economics_section(eco: Ecosystem, top: int) -> str:
    from ecograph.analysis.value import value

    priced = any(n.price is not None for n in eco.nodes.values())
    costed = any(p.cost is not None for p in eco.pipes)
    if not (priced or costed):
        return _section(
            "economics",
            [
                _note(
                    "No node has a price and no pipe a cost: nothing to earn or pay yet "
                    "(see 'ecograph value')."
                )
            ],
        )
    sheet = value(eco).nodes
    money = _unit(eco, "capital").strip()
    busy = [n for n, row in sheet.items() if row["revenue"] or row["spend"] or row["income"]]
    order = sorted(busy, key=lambda n: -sheet[n]["net"])[:top]  # stable: ties keep map order
    columns = ("revenue", "spend", "income", "net")
    rows = "".join(
        f'<tr data-node="{_e(node)}">{_node_cell(eco, node)}'
        + "".join(_num(sheet[node][c]) for c in columns)
        + "</tr>"
        for node in order
    )
    head = "".join(f'<th class="eg-num">{_e(c)}</th>' for c in columns)
    body = [
        f'<div class="eg-scroll"><table class="eg-table" id="economics-nodes"><thead><tr>'
        f"<th>Node</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>",
    ]
    relations = value(eco, by_group=True).relations
    aligned = [r for r in relations if r["aligned"]]
    if relations:
        body.append(
            f"<p>{len(aligned)} of {_plural(len(relations), 'partner')} and their hosts both "
            "come out ahead (interests aligned): "
            + (", ".join(_e(r["partner"]) for r in aligned) or "none")
            + ".</p>"
        )
    body.append(
        f'<p class="eg-muted">Per {_e(eco.period)}{", in " + _e(money) if money else ""}: '
        "revenue is the orders converted at a node times its price; spend and income are "
        "pipe costs paid and received; net = revenue + income - spend. Top "
        f"{top} by net. 'ecograph value', 'funnel' and 'cheapest' give the rest.</p>"
    )
    return _section("economics", body)


def _check(kind: str, metric: str, top: int, max_rows: int) -> None:
    check_currency(kind)
    if metric not in METRICS:
        raise UsageError(
            f"unknown metric {metric!r}{did_you_mean(metric, METRICS)}; "
            f"expected one of {', '.join(METRICS)}"
        )
    for name, value in (("top", top), ("max_rows", max_rows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{name} must be a whole number of at least 1, not {value!r}")


def report_html(
    eco: Ecosystem,
    *,
    kind: str = "traffic",
    metric: str = "pagerank",
    top: int = 10,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_rows: int = DEFAULT_MAX_ROWS,
    diagnosis: bool = True,
) -> str:
    """The report page of a map, as HTML text.

    Parameters
    ----------
    eco : Ecosystem
        The map (only read).
    kind : str, default "traffic"
        The currency of the flow indices, diagnosis, rankings and long tail.
    metric : str, default "pagerank"
        The centrality ranked (one of :data:`ecograph.analysis.centrality.METRICS`).
    top : int, default 10
        Length of each ranking, and the N of the long tail's "tail beyond the top N".
    max_nodes : int, default 2000
        Node budget of the map; above it each group's long tail is folded.
    max_rows : int, default 500
        Most nodes listed in the diagnosis table (the least severe are left out,
        with a note saying how many).
    diagnosis : bool, default True
        False leaves the diagnosis out, with a note saying so.

    Returns
    -------
    str
        One HTML document that loads nothing and runs only the map's own
        scripts. The same map and options always give the same text.

    Raises
    ------
    UsageError
        An unknown currency or metric, or a count below 1.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", title="<b>Shop</b>", nodes={
    ...     "users": Node("users", "pool", inflow={"traffic": 10.0}),
    ...     "shop": Node("shop", "partner", outflow={"traffic": 10.0})},
    ...     pipes=(Pipe("users->shop:traffic", "users", "shop", volume=10.0),))
    >>> page = report_html(eco)
    >>> '<h1 id="title">&lt;b&gt;Shop&lt;/b&gt;</h1>' in page
    True
    >>> [s for s in SECTIONS if f'<section id="{s}">' in page] == list(SECTIONS)
    True
    >>> page == report_html(eco)
    True
    """
    from ecograph._version import __version__

    _check(kind, metric, top, max_rows)
    drawing = describe(eco, max_nodes=max_nodes)
    page = to_html(drawing, embedded=True)  # the report's header names the map once
    found = re.search(r"script-src ([^;\"]*)", page)
    if found is None:  # pragma: no cover - the map page always has a policy
        raise RuntimeError("the map page has no script-src policy")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {found.group(1).strip()}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    parts: list[Callable[[], str]] = [
        lambda: _header(eco),
        lambda: _map_section(eco, drawing, page),
        lambda: _flow_section(eco, kind, flow(eco, currency=kind)),
        lambda: (
            _diagnosis_section(eco, kind, diagnose(eco, currency=kind), max_rows)
            if diagnosis
            else _section(
                "diagnosis",
                [_note("Left out of this report (--no-diagnosis); 'ecograph diagnose' gives it.")],
            )
        ),
        lambda: _rankings_section(
            eco, kind, metric, top, centrality(eco, metric, currency=kind, top=top)
        ),
        lambda: _longtail_section(eco, kind, top),
        lambda: _economics_section(eco, top),
    ]
    body = "\n".join(part() for part in parts)
    footer = (
        f"<footer>Made with ecograph {_e(__version__)} from the map "
        f"<code>{_e(eco.name)}</code>. Volumes are per {_e(eco.period)}; currencies are never "
        "added together. The map needs JavaScript; everything else is plain text.</footer>"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="ecograph {_e(__version__)}">',
            '<meta name="referrer" content="no-referrer">',
            '<link rel="icon" href="data:,">',
            f"<title>{_e(f'{eco.title} — ecosystem report')}</title>",
            f"<style>{_css()}</style>",
            "</head>",
            "<body>",
            body,
            footer,
            "</body>",
            "</html>",
            "",
        ]
    )


@renamed(kind="currency")
def report(
    eco: Ecosystem,
    path: str | os.PathLike[str],
    *,
    currency: str = "traffic",
    metric: str = "pagerank",
    top: int = 10,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_rows: int = DEFAULT_MAX_ROWS,
    diagnosis: bool = True,
) -> Path:
    """Write the report page of a map (see :func:`report_html`) to a file, atomically.

    Parameters
    ----------
    eco : Ecosystem
        The map (only read).
    path : str or path-like
        The HTML file to write. Its directory must exist; an existing file is
        replaced only once the new one is complete, and never a file of the map.
    currency, metric, top, max_nodes, max_rows, diagnosis
        As for :func:`report_html`.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    UsageError
        A bad option (see :func:`report_html`), a missing directory, a
        directory as target, or a target that is a file of the map itself.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", inflow={"traffic": 1.0}),
    ...     "b": Node("b", "partner")}, pipes=(Pipe("a->b:traffic", "a", "b", volume=1.0),))
    >>> out = report(eco, pathlib.Path(tempfile.mkdtemp()) / "report.html")
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    target = Path(path)
    check_output(target, eco.files)
    text = report_html(
        eco,
        kind=currency,
        metric=metric,
        top=top,
        max_nodes=max_nodes,
        max_rows=max_rows,
        diagnosis=diagnosis,
    )
    write_atomic(target, text.encode("utf-8"), inputs=eco.files)
    return target
