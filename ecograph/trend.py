"""Trends over a series of maps, and whether the strong get stronger.

:func:`trend` runs the single-map analyses on every snapshot of a
:class:`~ecograph.series.Series` (:func:`~ecograph.analysis.longtail.longtail`,
:func:`~ecograph.analysis.flow.flow`, :func:`~ecograph.analysis.value.value`, and
for chosen nodes :func:`~ecograph.analysis.dependency.dependency` and
:func:`~ecograph.analysis.diagnose.diagnose`), lines the figures up by date,
and measures the change from each snapshot to the next: growth rates, the
partners that enter and leave (and what they carried), and :func:`gibrat`.

Do the strong get stronger?
---------------------------
The article says the giants' partners grow unevenly: 强者恒大. Gibrat's law (1931)
is the null hypothesis: a firm's growth rate does not depend on its size. For the
partners (and producers) present with some traffic in two consecutive snapshots,
with sizes :math:`s_0` and :math:`s_1` (what each receives, in one currency),
ordinary least squares fits

.. math:: \\log(s_1 / s_0) = a + b \\log s_0 + \\varepsilon

``b > 0``: the large grow faster, **the strong get stronger**; ``b < 0``: **the small
catch up**; ``b = 0``: Gibrat's law. The verdict is said only when the
``confidence`` interval of ``b`` (Student's t with n - 2 degrees of freedom)
lies wholly on one side of 0. Equivalently, :math:`s_1 \\propto s_0^{1+b}`.

Caveats the result carries with it: only **survivors** enter the fit. Partners
that leave the map (or fall to zero) between two snapshots are counted with
what they carried, and so are those that enter; when many small partners exit,
the small survivors look better than the small partners did (survivorship
bias), so read ``b < 0`` with the exits beside it. Sizes are flows per period of
the map, so the slope is the same whatever the unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecograph._suggest import did_you_mean
from ecograph.analysis.dependency import dependency
from ecograph.analysis.diagnose import diagnose
from ecograph.analysis.flow import flow
from ecograph.analysis.longtail import DEFAULT_KINDS, LongTail, longtail, received
from ecograph.analysis.value import root_rows, value
from ecograph.compiled import KIND_CODE, compiled
from ecograph.errors import UsageError
from ecograph.model import Ecosystem, check_currency
from ecograph.series import Series, Snapshot

__all__ = ["MEASURES", "Gibrat", "Trend", "giant_of", "gibrat", "trend"]

#: The figures of every snapshot that have a growth rate and can be charted.
MEASURES: tuple[str, ...] = (
    "received",
    "partners",
    "gini",
    "top20_share",
    "tail_share",
    "herfindahl",
    "herfindahl_by_giant",
    "pool_users",
    "boundary_input",
    "total_system_throughflow",
    "average_path_length",
    "cycling_index",
    "direct_flow_index",
    "indirect_flow_index",
    "revenue",
)
#: The figures of a chosen node in every snapshot.
NODE_MEASURES: tuple[str, ...] = ("received", "rank", "share", "dependency", "revenue", "net")


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Gibrat:
    """Growth against size between two snapshots (see the module notes).

    Attributes
    ----------
    n : int
        Partners in the fit: present, with traffic, in both snapshots.
    slope, intercept : float or None
        ``b`` and ``a`` of ``log(s1/s0) = a + b log(s0)``; None with fewer than 2
        partners or all of one size.
    stderr : float or None
        Standard error of ``slope`` (None with fewer than 3 partners).
    low, high : float or None
        The ``confidence`` interval of ``slope``.
    r : float or None
        Correlation of log growth with log size.
    p_value : float or None
        Two-sided p-value of ``slope = 0``.
    confidence : float
    verdict : str
        ``strong-get-stronger``, ``small-catch-up``, ``no-size-effect`` or
        ``too-few`` (fewer than 3 partners, or no spread of sizes).
    exits, entries : int
        Partners in the first snapshot only, in the second only.
    exits_carried, entries_carried : float
        What they received (in the snapshot they are in).
    zero : int
        Partners in both snapshots but with no traffic in one of them (left out of
        the fit: a log of 0 has no value).

    Examples
    --------
    >>> g = gibrat({"a": 10, "b": 100, "c": 1000}, {"a": 10, "b": 1000, "c": 100000})
    >>> g.n, round(g.slope, 6), g.verdict
    (3, 1.0, 'strong-get-stronger')
    """

    n: int
    slope: float | None
    intercept: float | None
    stderr: float | None
    low: float | None
    high: float | None
    r: float | None
    p_value: float | None
    confidence: float
    verdict: str
    exits: int = 0
    exits_carried: float = 0.0
    entries: int = 0
    entries_carried: float = 0.0
    zero: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data.

        Examples
        --------
        >>> sorted(gibrat({}, {}).to_dict())[:3]
        ['confidence', 'entries', 'entries_carried']
        """
        return {
            "n": self.n,
            "slope": self.slope,
            "intercept": self.intercept,
            "stderr": self.stderr,
            "low": self.low,
            "high": self.high,
            "r": self.r,
            "p_value": self.p_value,
            "confidence": self.confidence,
            "verdict": self.verdict,
            "exits": self.exits,
            "exits_carried": self.exits_carried,
            "entries": self.entries,
            "entries_carried": self.entries_carried,
            "zero": self.zero,
        }


def gibrat(
    before: Mapping[str, float],
    after: Mapping[str, float],
    *,
    confidence: float = 0.95,
) -> Gibrat:
    """Regress log growth on log size for the partners in both ``before`` and ``after``.

    Parameters
    ----------
    before, after : Mapping[str, float]
        Partner id -> size (traffic received) in two consecutive snapshots.
    confidence : float, default 0.95
        Level of the slope's interval, in (0, 1).

    Returns
    -------
    Gibrat

    Raises
    ------
    UsageError
        ``confidence`` outside (0, 1).

    Notes
    -----
    Ordinary least squares in closed form: with :math:`x = \\log s_0`,
    :math:`y = \\log(s_1/s_0)`, :math:`b = S_{xy}/S_{xx}`, :math:`a = \\bar y - b
    \\bar x`, standard error :math:`\\sqrt{\\mathrm{SSR}/((n-2) S_{xx})}`, interval
    :math:`b \\pm t_{n-2,(1+c)/2}\\,\\mathrm{se}`. O(n).

    Examples
    --------
    Sizes 10, 100 and 1000 that grow 2-fold, 3-fold and 1.5-fold: no clear
    size effect among three partners; the one that left is counted apart:

    >>> g = gibrat({"a": 10, "b": 100, "c": 1000, "gone": 5}, {"a": 20, "b": 300, "c": 1500})
    >>> round(g.slope, 3), g.verdict, g.exits, g.exits_carried
    (-0.062, 'no-size-effect', 1, 5.0)
    """
    if not (0 < confidence < 1) or isinstance(confidence, bool):
        raise UsageError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    both = [k for k in before if k in after]
    exits = [k for k in before if k not in after]
    entries = [k for k in after if k not in before]
    s0 = np.fromiter((before[k] for k in both), dtype=float, count=len(both))
    s1 = np.fromiter((after[k] for k in both), dtype=float, count=len(both))
    alive = (s0 > 0) & (s1 > 0)
    n = int(alive.sum())
    out: dict[str, Any] = dict.fromkeys(
        ("slope", "intercept", "stderr", "low", "high", "r", "p_value")
    )
    verdict = "too-few"
    if n >= 3:  # scipy.stats takes a while to import: only when an interval is due
        from scipy import stats
    if n >= 2:
        x = np.log(s0[alive])
        y = np.log(s1[alive]) - x
        dx, dy = x - x.mean(), y - y.mean()
        sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
        if sxx > 0:
            slope = sxy / sxx
            out["slope"] = slope
            out["intercept"] = float(y.mean() - slope * x.mean())
            out["r"] = sxy / math.sqrt(sxx * syy) if syy > 0 else 0.0
            if n >= 3:
                ssr = max(syy - slope * sxy, 0.0)
                stderr = math.sqrt(ssr / ((n - 2) * sxx))
                half = float(stats.t.ppf((1 + confidence) / 2, n - 2)) * stderr
                out["stderr"], out["low"], out["high"] = stderr, slope - half, slope + half
                if stderr > 0:
                    out["p_value"] = float(2 * stats.t.sf(abs(slope) / stderr, n - 2))
                else:
                    out["p_value"] = 0.0 if slope != 0 else 1.0
                if out["low"] > 0:
                    verdict = "strong-get-stronger"
                elif out["high"] < 0:
                    verdict = "small-catch-up"
                else:
                    verdict = "no-size-effect"
    return Gibrat(
        n=n,
        confidence=confidence,
        verdict=verdict,
        exits=len(exits),
        exits_carried=float(sum(float(before[k]) for k in exits)),
        entries=len(entries),
        entries_carried=float(sum(float(after[k]) for k in entries)),
        zero=len(both) - n,
        **{k: _finite(v) for k, v in out.items()},
    )


def giant_of(eco: Ecosystem, node: str) -> str:
    """The giant a node belongs to: its top-level container (itself when top-level).

    Examples
    --------
    >>> from ecograph.model import Node
    >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
    ...     "a": Node("a", "partner", parent="p"), "b": Node("b", "partner")})
    >>> giant_of(eco, "a"), giant_of(eco, "b")
    ('p', 'b')
    """
    chain = eco.ancestors_in_tree(node)
    return chain[-1] if chain else node


def _giants(eco: Ecosystem, nodes: Sequence[str]) -> dict[str, str]:
    """:func:`giant_of` of many nodes at once, from the compiled columns."""
    cm = compiled(eco)
    roots = root_rows(cm)
    rows = np.fromiter((cm.index[n] for n in nodes), dtype=np.int64, count=len(nodes))
    return dict(zip(nodes, cm.names(roots[rows]), strict=True))


@dataclass(frozen=True)
class Trend:
    """What :func:`trend` found: figures per snapshot, per chosen node, and their growth.

    Attributes
    ----------
    title, period : str
    kind : str
        The currency of the long tail, the node figures and the regression.
    group : str or None
    units : Mapping[str, str]
    snapshots : tuple of dict
        Per snapshot, oldest first: ``date``, ``label``, ``file``, every one of
        :data:`MEASURES`, ``nodes_for_80``, and ``totals``: per currency in the map,
        its ``boundary_input`` and ``total_system_throughflow``.
    nodes : Mapping[str, tuple of dict]
        Per chosen node, per snapshot: ``date``, ``present``, ``received``,
        ``rank`` (1 = the largest of the partners measured; None when not one of
        them), ``share`` of the partners' total, ``top_giant`` and
        ``dependency`` (the share of its traffic that entered the map inside
        that giant; ``"own"`` for its own inflow), ``status`` (its diagnosis),
        ``revenue`` and ``net``. ``top_giant``, ``dependency`` and ``status`` are None
        where the node is absent, or where the currency does not reach it at all.
    growth : dict
        ``periods``: per pair of consecutive snapshots ``from``, ``to``, the
        growth rate of every measure (``after / before - 1``; None when before is
        0 or either is undefined) and of each chosen node's traffic, ``entries``
        and ``exits`` (partner -> what it carried), ``gibrat`` and
        ``gibrat_by_giant``; ``gibrat_pooled``: one regression over the pairs of
        every period.
    """

    title: str
    period: str
    kind: str
    group: str | None
    units: Mapping[str, str]
    snapshots: tuple[dict[str, Any], ...]
    nodes: Mapping[str, tuple[dict[str, Any], ...]]
    growth: dict[str, Any]

    def series_of(self, measure: str) -> list[float | None]:
        """The values of one of :data:`MEASURES` (or ``node:ID``) in snapshot order.

        Examples
        --------
        >>> t = Trend("t", "month", "traffic", None, {}, ({"date": "2024", "gini": 0.5},),
        ...           {"a": ({"date": "2024", "received": 3.0},)}, {})
        >>> t.series_of("gini"), t.series_of("node:a")
        ([0.5], [3.0])
        """
        if measure.startswith("node:"):
            return [row.get("received") for row in self.nodes[measure[5:]]]
        return [s.get(measure) for s in self.snapshots]

    def to_dict(self) -> dict[str, Any]:
        """``{"title", "period", "kind", "group", "units", "snapshots", "nodes", "growth"}``.

        Examples
        --------
        >>> Trend("t", "month", "traffic", None, {}, (), {}, {}).to_dict()["snapshots"]
        []
        """
        return {
            "title": self.title,
            "period": self.period,
            "kind": self.kind,
            "group": self.group,
            "units": dict(self.units),
            "snapshots": [dict(s) for s in self.snapshots],
            "nodes": {k: [dict(r) for r in v] for k, v in self.nodes.items()},
            "growth": self.growth,
        }


def _rate(before: Any, after: Any) -> float | None:
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return None
    if not (math.isfinite(before) and math.isfinite(after)) or before == 0:
        return None
    return float(after) / float(before) - 1.0


def _in_snapshot(snapshot: Snapshot, exc: UsageError) -> UsageError:
    return UsageError(f"snapshot {snapshot.date} ({snapshot.file}): {exc}")


def _measure(snapshot: Snapshot, kind: str, group: str | None) -> tuple[dict[str, Any], LongTail]:
    eco = snapshot.map
    try:
        lt = longtail(eco, group=group, currency=kind, kinds=DEFAULT_KINDS)
    except UsageError as exc:
        raise _in_snapshot(snapshot, exc) from None
    by_giant: dict[str, float] = {}
    for node, g in _giants(eco, list(lt.values)).items():
        by_giant[g] = by_giant.get(g, 0.0) + lt.values[node]
    cm = compiled(eco)
    pools = cm.kind == KIND_CODE["pool"]
    users = cm.users[pools]
    totals: dict[str, dict[str, float | None]] = {}
    chosen = None
    for currency in cm.currencies():
        result = flow(eco, currency=currency)
        totals[currency] = {
            "boundary_input": result.boundary_input,
            "total_system_throughflow": result.total_system_throughflow,
        }
        if currency == kind:
            chosen = result
    if chosen is None:
        chosen = flow(eco, currency=kind)
    sheet = value(eco, currency=kind)
    row: dict[str, Any] = {
        "date": snapshot.date,
        "label": snapshot.label,
        "file": snapshot.file,
        "received": lt.total,
        "partners": lt.n,
        "gini": lt.gini,
        "top20_share": _finite(lt.top20_share),
        "tail_share": _finite(lt.tail_share),
        "herfindahl": _finite(lt.herfindahl),
        "herfindahl_by_giant": (
            sum((v / lt.total) ** 2 for v in by_giant.values()) if lt.total > 0 else None
        ),
        "nodes_for_80": lt.nodes_for_80,
        "pool_users": float(np.nansum(users)) if np.any(~np.isnan(users)) else None,
        "boundary_input": chosen.boundary_input,
        "total_system_throughflow": chosen.total_system_throughflow,
        "average_path_length": chosen.average_path_length,
        "cycling_index": chosen.cycling_index,
        "direct_flow_index": chosen.direct_flow_index,
        "indirect_flow_index": chosen.indirect_flow_index,
        "revenue": float(sum(r["revenue"] for r in sheet.nodes.values())),
        "totals": totals,
    }
    return row, lt


def _node_row(
    snapshot: Snapshot, node: str, kind: str, lt: LongTail, ranks: Mapping[str, int]
) -> dict[str, Any]:
    eco = snapshot.map
    row: dict[str, Any] = {"date": snapshot.date, "present": node in eco.nodes}
    if not row["present"]:
        row.update(dict.fromkeys(("received", "rank", "share", "top_giant", "dependency")))
        row.update(dict.fromkeys(("status", "revenue", "net")))
        return row
    sheet = value(eco, currency=kind)[node]
    got = received(eco, kind, [node])[node]
    row["received"] = got
    row["rank"] = ranks.get(node)
    row["share"] = got / lt.total if node in ranks and lt.total > 0 else None
    try:
        dep = dependency(eco, node, currency=kind)
        status: str | None = diagnose(eco, node=node, currency=kind)[node].status
    except UsageError as exc:
        if got != 0:
            raise _in_snapshot(snapshot, exc) from None
        # the currency does not reach the node at all (no pipe of it, no inflow):
        # nothing depends on anything and there is nothing to diagnose
        row.update(top_giant=None, dependency=None, status=None)
        row["revenue"], row["net"] = float(sheet["revenue"]), float(sheet["net"])
        return row
    by_giant: dict[str, float] = {}
    for origin, share in dep.sources.items():
        g = "own" if origin == node else giant_of(eco, origin)
        by_giant[g] = by_giant.get(g, 0.0) + share
    if by_giant:
        top = min(by_giant, key=lambda g: (-by_giant[g], g))
        row["top_giant"], row["dependency"] = top, by_giant[top]
    else:
        row["top_giant"], row["dependency"] = None, None
    row["status"] = status
    row["revenue"], row["net"] = float(sheet["revenue"]), float(sheet["net"])
    return row


def trend(
    series: Series,
    *,
    nodes: Sequence[str] = (),
    kind: str = "traffic",
    group: str | None = None,
    confidence: float = 0.95,
) -> Trend:
    """Figures of every snapshot of a series, their growth, and whether the strong get stronger.

    Parameters
    ----------
    series : Series
        From :func:`ecograph.load_series`.
    nodes : sequence of str
        Nodes followed one by one (each must be in at least one snapshot).
    kind : str, default "traffic"
        The currency of the long tail, the node figures and the regression
        (``totals`` cover every currency of each map).
    group : str, optional
        Measure only the members of this node (in every snapshot).
    confidence : float, default 0.95
        Level of the slope's interval in :func:`gibrat`.

    Returns
    -------
    Trend

    Raises
    ------
    UsageError
        An unknown currency, a node in no snapshot, a group missing from a snapshot,
        a snapshot without partners or producers (naming the snapshot).

    Examples
    --------
    >>> import ecograph
    >>> s = ecograph.load_series("ecosystems/series/rural-taobao.yaml")
    >>> t = trend(s, nodes=["pinduoduo"])
    >>> [row["date"] for row in t.snapshots]
    ['2017', '2018', '2019']
    >>> [row["received"] for row in t.nodes["pinduoduo"]]
    [50000000.0, 150000000.0, 300000000.0]
    >>> t.growth["periods"][0]["nodes"]["pinduoduo"]
    2.0
    """
    check_currency(kind)
    for node in nodes:
        if not any(node in s.map.nodes for s in series.snapshots):
            everywhere = {n for s in series.snapshots for n in s.map.nodes}
            raise UsageError(
                f"unknown node {node!r}: in no snapshot of the series"
                + did_you_mean(node, everywhere)
            )
    rows: list[dict[str, Any]] = []
    tails: list[LongTail] = []
    followed: dict[str, list[dict[str, Any]]] = {n: [] for n in dict.fromkeys(nodes)}
    for snapshot in series.snapshots:
        row, lt = _measure(snapshot, kind, group)
        rows.append(row)
        tails.append(lt)
        ranks = {n: i + 1 for i, n in enumerate(lt.values)}
        for node in followed:
            followed[node].append(_node_row(snapshot, node, kind, lt, ranks))
    periods: list[dict[str, Any]] = []
    pooled_before: dict[str, float] = {}  # keyed by period and partner
    pooled_after: dict[str, float] = {}
    for i in range(1, len(rows)):
        a, b = tails[i - 1], tails[i]
        before, after = dict(a.values), dict(b.values)
        for k in before:
            pooled_before[f"{i}\x00{k}"] = before[k]
        for k in after:
            pooled_after[f"{i}\x00{k}"] = after[k]
        eco0, eco1 = series.snapshots[i - 1].map, series.snapshots[i].map
        # partners by their giant in the first snapshot; entries by their giant in the second
        giants0, giants1 = _giants(eco0, list(before)), _giants(eco1, list(after))
        by_giant: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
        for k, v in before.items():
            by_giant.setdefault(giants0[k], ({}, {}))[0][k] = v
        for k, v in after.items():
            if k in before:
                by_giant[giants0[k]][1][k] = v
            else:
                by_giant.setdefault(giants1[k], ({}, {}))[1][k] = v
        periods.append(
            {
                "from": rows[i - 1]["date"],
                "to": rows[i]["date"],
                "measures": {m: _rate(rows[i - 1][m], rows[i][m]) for m in MEASURES},
                "nodes": {
                    n: _rate(followed[n][i - 1]["received"], followed[n][i]["received"])
                    for n in followed
                },
                "entries": {k: v for k, v in after.items() if k not in before},
                "exits": {k: v for k, v in before.items() if k not in after},
                "gibrat": gibrat(before, after, confidence=confidence).to_dict(),
                "gibrat_by_giant": {
                    g: gibrat(b0, b1, confidence=confidence).to_dict()
                    for g, (b0, b1) in sorted(by_giant.items())
                },
            }
        )
    # exits and entries of the pooled fit are counted per period (an id that leaves and
    # comes back counts in each period it does)
    pooled = gibrat(pooled_before, pooled_after, confidence=confidence) if periods else None
    growth = {"periods": periods, "gibrat_pooled": pooled.to_dict() if pooled else None}
    return Trend(
        title=series.title,
        period=series.period,
        kind=kind,
        group=group,
        units=dict(series.units),
        snapshots=tuple(rows),
        nodes={n: tuple(r) for n, r in followed.items()},
        growth=growth,
    )
