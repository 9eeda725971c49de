"""Long tail: how a currency is spread over the partners (and producers) of a map.

The article's claim is that a platform's many small partners together carry real
traffic. :func:`longtail` measures that spread on a map: every selected node's
traffic sorted, the share held by the top 20% of nodes, the Gini coefficient,
the share of the tail beyond the top N, the Herfindahl index and how many nodes
make up 80% of the traffic. :func:`chart` draws it as a Pareto chart or a Lorenz
curve (PNG or SVG) to paste into a report.

Definitions
-----------
Let the selected nodes have traffic :math:`x_1 \\ge x_2 \\ge \\dots \\ge x_n \\ge 0`
(ties ordered by id) and total :math:`T = \\sum_i x_i`.

traffic of a node
    What it *receives* in one currency per period: its boundary ``inflow`` of
    that currency plus the ``volume`` of every **open** pipe of that currency
    into it (a pipe without a volume counts 0; blocked pipes carry nothing): the
    same definition as the ``received`` evidence of
    :func:`ecograph.analysis.diagnose.diagnose`, computed from the pipes directly
    (no graph is built).
selected nodes
    Nodes whose kind is in ``kinds`` (partners and producers by default),
    restricted to the members of ``group`` (recursively) when given. Nodes with
    zero traffic are kept: they are the end of the tail.
top-20% share
    :math:`\\sum_{i \\le k} x_i / T` with :math:`k = \\lceil n/5 \\rceil` (rounded up,
    computed exactly in integers as ``(n + 4) // 5``): 10 nodes give k = 2, 11 to
    15 give k = 3. With fewer than 5 nodes k = 1: the single largest node.
tail share beyond the top N
    :math:`\\sum_{i > N} x_i / T`: everything but the N largest (0 when N ≥ n);
    ``top_share`` is the rest, the share of the N largest.
Gini coefficient
    :math:`G = \\frac{\\sum_i \\sum_j |x_i - x_j|}{2 n^2 \\bar x}`, the mean
    absolute difference over all ordered pairs divided by twice the mean,
    computed in :math:`O(n \\log n)` as :math:`\\sum_i (2i - n - 1) x_{(i)} / (n T)`
    over the values sorted ascending. 0 when all are equal; :math:`(n-1)/n`
    when one node holds everything (so the largest possible value grows with
    n; multiply by :math:`n/(n-1)` for the bias-corrected variant that reaches
    1). One node gives 0.
Herfindahl index
    :math:`H = \\sum_i (x_i / T)^2`, from :math:`1/n` (even) to 1 (one node).
nodes for 80%
    The smallest k with :math:`\\sum_{i \\le k} x_i \\ge 0.8\\,T` (up to a relative
    rounding tolerance of 1e-12).

When the total is 0 (no traffic reaches any selected node) the Gini is 0 (all
values are equal), the shares and the Herfindahl index are undefined: ``nan``
(``null`` in JSON), and ``nodes_for_80`` is None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ecograph._aliases import renamed
from ecograph._suggest import did_you_mean
from ecograph.compiled import KIND_CODE, Layer, compiled
from ecograph.errors import UsageError
from ecograph.model import NODE_KINDS, Ecosystem, check_currency
from ecograph.results import Result

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "DEFAULT_KINDS",
    "LongTail",
    "check_kinds",
    "gini",
    "longtail",
    "received",
    "summarise",
]

#: Node kinds measured by default.
DEFAULT_KINDS: tuple[str, ...] = ("partner", "producer")


def _empty_map() -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class LongTail(Result):
    """How one currency is spread over the selected nodes (see the module notes).

    Attributes
    ----------
    values : dict of str to float
        Node id -> traffic received, largest first (ties by id).
    total : float
        Sum of ``values``.
    gini : float
        Gini coefficient, 0 (even) to (n-1)/n (one node holds everything).
    top20_share : float
        Share of ``total`` held by the top ``top20_count`` nodes (``nan`` if total is 0).
    top : int
        The N of ``tail_share``.
    tail_share : float
        Share of ``total`` held by all but the ``top`` largest nodes.
    top20_count : int
        ceil(n / 5): how many nodes are the top 20%.
    top_share : float
        Share held by the ``top`` largest nodes (1 - ``tail_share``).
    herfindahl : float
        Sum of squared shares.
    nodes_for_80 : int or None
        Fewest nodes that together hold 80% of ``total`` (None if total is 0).
    zero : int
        Nodes that receive nothing.
    kind : str
        The currency.
    kinds : tuple of str
        The node kinds selected.
    group : str or None
        The node whose members were selected, if any.
    period : str
        The period every value is per.
    title : str
        The map's title.
    labels : dict of str to str
        Node id -> label, for the selected nodes.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: m
    ... nodes:
    ...   pool: {kind: pool, inflow: 100}
    ...   a: {kind: partner}
    ...   b: {kind: partner}
    ... pipes:
    ...   - {from: pool, to: a, volume: 75}
    ...   - {from: pool, to: b, volume: 25}
    ... ''')
    >>> lt = longtail(eco)
    >>> lt.n, lt.share["a"], lt.cumulative_share["b"]
    (2, 0.75, 1.0)
    """

    values: dict[str, float]
    total: float
    gini: float
    top20_share: float
    top: int
    tail_share: float
    top20_count: int = 0
    top_share: float = math.nan
    herfindahl: float = math.nan
    nodes_for_80: int | None = None
    zero: int = 0
    kind: str = "traffic"
    kinds: tuple[str, ...] = DEFAULT_KINDS
    group: str | None = None
    period: str = "month"
    title: str = ""
    labels: dict[str, str] = field(default_factory=_empty_map)

    @property
    def n(self) -> int:
        """Number of nodes measured."""
        return len(self.values)

    @property
    def share(self) -> dict[str, float]:
        """Node id -> share of the total (``nan`` when the total is 0), largest first."""
        total = self.total
        return {k: (v / total if total > 0 else math.nan) for k, v in self.values.items()}

    @property
    def cumulative_share(self) -> dict[str, float]:
        """Node id -> share held by this node and every larger one, largest first."""
        total = self.total
        cumulative = np.cumsum(np.fromiter(self.values.values(), float, count=len(self.values)))
        if total > 0:
            shares = np.minimum(cumulative / total, 1.0)
        else:
            shares = np.full(len(self.values), math.nan)
        return dict(zip(self.values, shares.tolist(), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: the figures, then per-node columns.

        Examples
        --------
        >>> lt = LongTail({"a": 3.0, "b": 1.0}, 4.0, 0.25, 0.75, 1, 0.25)
        >>> d = lt.to_dict()
        >>> d["values"], d["share"], d["cumulative_share"]
        ({'a': 3.0, 'b': 1.0}, {'a': 0.75, 'b': 0.25}, {'a': 0.75, 'b': 1.0})
        """
        return {
            "kind": self.kind,
            "kinds": list(self.kinds),
            "group": self.group,
            "period": self.period,
            "nodes": self.n,
            "zero": self.zero,
            "total": self.total,
            "gini": self.gini,
            "top20_count": self.top20_count,
            "top20_share": self.top20_share,
            "top": self.top,
            "top_share": self.top_share,
            "tail_share": self.tail_share,
            "herfindahl": self.herfindahl,
            "nodes_for_80": self.nodes_for_80,
            "values": dict(self.values),
            "share": self.share,
            "cumulative_share": self.cumulative_share,
            "label": {k: self.labels.get(k, k) for k in self.values},
        }


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values: mean absolute difference / (2 * mean).

    Uses every ordered pair (the divisor is n², so one holder of everything among
    n gives (n-1)/n). Empty input, one value, or all zeros give 0.

    Parameters
    ----------
    values : sequence of float
        Non-negative values, any order.

    Returns
    -------
    float
        Between 0 and (n-1)/n.

    Raises
    ------
    ValueError
        When a value is negative or not finite.

    Examples
    --------
    >>> gini([5, 5, 5]), gini([0, 0, 9]), gini([1, 3])
    (0.0, 0.6666666666666666, 0.25)
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n and (not np.all(np.isfinite(x)) or x[0] < 0):
        raise ValueError("Gini needs finite, non-negative values")
    total = float(x.sum()) if n else 0.0
    if n < 2 or total <= 0:
        return 0.0
    weights = 2.0 * np.arange(1, n + 1, dtype=float) - n - 1.0
    g = float(weights @ x) / (n * total)
    return min(max(g, 0.0), (n - 1) / n)


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """The node kinds a long tail measures, checked (any engine), repeats dropped.

    Raises
    ------
    UsageError
        None given, or an unknown kind (with a did-you-mean hint).

    Examples
    --------
    >>> check_kinds(["partner", "producer", "partner"])
    ('partner', 'producer')
    """
    if isinstance(kinds, str):
        kinds = (kinds,)
    chosen = tuple(dict.fromkeys(kinds))
    if not chosen:
        raise UsageError("no node kinds given; expected some of " + ", ".join(NODE_KINDS))
    for k in chosen:
        if k not in NODE_KINDS:
            raise UsageError(
                f"unknown node kind {k!r}{did_you_mean(k, NODE_KINDS)}; "
                f"expected one of {', '.join(NODE_KINDS)}"
            )
    return chosen


def received(
    eco: Ecosystem, kind: str = "traffic", nodes: Sequence[str] | None = None
) -> dict[str, float]:
    """What each node receives of one currency: boundary inflow plus open pipes' volume in.

    Parameters
    ----------
    eco : Ecosystem
    kind : str, default "traffic"
        The currency.
    nodes : sequence of str, optional
        Only these nodes (default: every node), in this order.

    Returns
    -------
    dict
        Node id -> received per period.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: m
    ... nodes:
    ...   pool: {kind: pool, inflow: 10}
    ...   a: {kind: partner, inflow: 1}
    ... pipes:
    ...   - {from: pool, to: a, volume: 6}
    ...   - {from: pool, to: a, volume: 3, status: blocked}
    ... ''')
    >>> received(eco)
    {'pool': 10.0, 'a': 7.0}
    """
    check_currency(kind)
    layer = compiled(eco).layer(kind)
    got = _received(layer)
    if nodes is None:
        return dict(zip(layer.ids, got.tolist(), strict=True))
    rows = [layer.cm.row(n) for n in nodes]
    return dict(zip((layer.ids[i] for i in rows), got[rows].tolist(), strict=True))


def _received(layer: Layer) -> FloatArray:
    """Boundary inflow plus the volume of open pipes in, per node (cached on the layer)."""

    return layer.cached("received", lambda: layer.inflow + layer.pipe_sums[0])


@renamed(kind="currency")
def longtail(
    eco: Ecosystem,
    *,
    group: str | None = None,
    currency: str = "traffic",
    kinds: Sequence[str] = DEFAULT_KINDS,
    top: int = 10,
) -> LongTail:
    """Measure the long tail: how traffic is spread over partners and producers.

    See the module notes for the exact definitions of every figure.

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    group : str, optional
        Only the members of this node (recursively), e.g. a sub-ecosystem.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency measured (never mixed with others).
    kinds : sequence of str, default ("partner", "producer")
        Node kinds measured.
    top : int, default 10
        N for ``tail_share``: the share held by all but the N largest nodes.

    Returns
    -------
    LongTail

    Raises
    ------
    UsageError
        Unknown currency, node kind or group (with a did-you-mean hint), a
        negative ``top``, or no node of ``kinds`` in the map (or group).

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: m
    ... nodes:
    ...   pool: {kind: pool, inflow: 100}
    ...   big: {kind: partner}
    ...   mid: {kind: partner}
    ...   small: {kind: producer}
    ...   idle: {kind: producer}
    ... pipes:
    ...   - {from: pool, to: big, volume: 60}
    ...   - {from: pool, to: mid, volume: 30}
    ...   - {from: pool, to: small, volume: 10}
    ... ''')
    >>> lt = longtail(eco, top=2)
    >>> dict(lt.values)
    {'big': 60.0, 'mid': 30.0, 'small': 10.0, 'idle': 0.0}
    >>> lt.top20_count, lt.top20_share, round(lt.tail_share, 2), lt.nodes_for_80
    (1, 0.6, 0.1, 2)
    >>> lt.gini  # (|60-30|+|60-10|+|60-0|+|30-10|+|30-0|+|10-0|)*2 / (2 * 4**2 * 25)
    0.5
    """
    check_currency(currency)
    chosen = check_kinds(kinds)
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise UsageError(f"top must be a whole number >= 0, not {top!r}")
    if group is not None:
        if group not in eco.nodes:
            raise UsageError(f"unknown node {group!r}{did_you_mean(group, eco.nodes)}")
        pool = eco.members(group)
    else:
        pool = tuple(eco.nodes)
    cm = compiled(eco)
    wanted = np.zeros(len(NODE_KINDS), dtype=np.bool_)
    wanted[[KIND_CODE[k] for k in chosen]] = True
    index = cm.index
    if group is None:
        selected = cm.names(np.flatnonzero(wanted[cm.kind]))
    else:
        selected = [n for n in pool if wanted[cm.kind[index[n]]]]
    if not selected:
        where = f" among the members of {group!r}" if group is not None else ""
        raise UsageError(
            f"no {' or '.join(chosen)} nodes{where} in map {eco.name!r}; "
            "choose other node kinds (kinds=) or another group"
        )
    got = received(eco, currency, selected)
    return summarise(
        got,
        labels={n: cm.labels[index[n]] for n in got},
        currency=currency,
        kinds=chosen,
        group=group,
        top=top,
        period=eco.period,
        title=eco.title,
    )


def summarise(
    got: Mapping[str, float],
    *,
    labels: Mapping[str, str] | None = None,
    currency: str = "traffic",
    kinds: Sequence[str] = DEFAULT_KINDS,
    group: str | None = None,
    top: int = 10,
    period: str = "month",
    title: str = "",
) -> LongTail:
    """The long-tail figures of what each selected node received (any engine's sums).

    Parameters
    ----------
    got : mapping
        Node id -> received, for the selected nodes (ties are broken by id).
    labels : mapping, optional
        Node id -> label.
    currency, kinds, group, top, period, title
        As :func:`longtail` records them.

    Returns
    -------
    LongTail

    Examples
    --------
    >>> lt = summarise({"a": 1.0, "b": 3.0}, top=1)
    >>> list(lt.values), lt.top_share, lt.gini
    (['b', 'a'], 0.75, 0.25)
    """
    labels = labels or {}
    selected = list(got)
    raw = np.fromiter(got.values(), float, count=len(got))
    # largest first, ties by id (numpy compares str by code point, as Python does)
    ranks = np.lexsort((np.array(list(got)), -raw))
    order = [selected[i] for i in ranks.tolist()]
    x = raw[ranks]
    n = x.size
    total = float(x.sum())
    k20 = (n + 4) // 5
    if total > 0:
        cumulative = np.cumsum(x)
        top20_share = min(float(cumulative[k20 - 1]) / total, 1.0)
        top_share = min(float(cumulative[min(top, n) - 1]) / total, 1.0) if top else 0.0
        tail_share = max(float(x[top:].sum()) / total, 0.0)
        herfindahl = float(np.sum((x / total) ** 2))
        need = 0.8 * total * (1 - 1e-12)
        nodes_for_80: int | None = int(np.searchsorted(cumulative, need, side="left")) + 1
    else:
        top20_share = top_share = tail_share = herfindahl = math.nan
        nodes_for_80 = None
    return LongTail(
        values=dict(zip(order, x.tolist(), strict=True)),
        total=total,
        gini=gini(x),
        top20_share=top20_share,
        top=top,
        tail_share=tail_share,
        top20_count=k20,
        top_share=top_share,
        herfindahl=herfindahl,
        nodes_for_80=nodes_for_80,
        zero=int(np.count_nonzero(x == 0)),
        kind=currency,
        kinds=tuple(kinds),
        group=group,
        period=period,
        title=title,
        labels={n: labels.get(n, n) for n in order},
    )
