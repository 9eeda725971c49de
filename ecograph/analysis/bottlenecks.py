"""Bottleneck pipes: what limits the traffic that can reach a node.

For a target node and its sources (by default every node with boundary
``inflow`` of the currency), :func:`bottlenecks` reports the maximum flow under
pipe capacities, the minimum cut that sets it, the pipes running near capacity,
the blocked pipes with water upstream, the empty pipes (no water upstream), and
how much widening each cut pipe would add. :func:`max_flow` gives the number
alone.

Pipes are reported one by one, parallel pipes separately, each with its
``key``. Blocked pipes carry nothing. A pipe without ``capacity`` is unbounded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecograph._aliases import renamed
from ecograph.analysis.maxflow import Cut, reachable, resolve, solve
from ecograph.compiled import Layer
from ecograph.errors import UsageError
from ecograph.model import Ecosystem
from ecograph.results import MappingResult

__all__ = ["Bottlenecks", "bottlenecks", "max_flow"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@renamed(kind="currency")
def max_flow(
    eco: Ecosystem,
    to: str,
    *,
    sources: Iterable[str] | None = None,
    currency: str = "traffic",
) -> float:
    """The most that the sources could deliver to ``to`` per period under pipe capacities.

    Parameters
    ----------
    eco : Ecosystem
    to : str
        Target node id.
    sources : iterable of str, optional
        Source node ids; by default every node (other than ``to``) with boundary
        ``inflow`` of ``kind``. Sources are unlimited supplies.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        Currency; other currencies' pipes are ignored.

    Returns
    -------
    float
        ``inf`` when a path of unbounded pipes joins a source to the target,
        0.0 when there are no sources.

        A plain number, as :func:`networkx.maximum_flow_value` and igraph's
        ``Graph.maxflow_value`` return: it goes straight into arithmetic and
        comparisons (``max_flow(eco, "shop") > 100``), JSON and DataFrames, and it is
        all :func:`ecograph.compare` needs per target. The minimum cut and the pipes
        around it are :func:`bottlenecks` (whose ``max_flow`` field is this number),
        as networkx's ``minimum_cut`` and igraph's ``Graph.maxflow`` are beside
        their value-only functions.

    See Also
    --------
    bottlenecks : the same max-flow with its minimum cut, saturated, blocked and empty
        pipes, and what widening each cut pipe would add.

    Examples
    --------
    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={"pool": Node("pool", "pool", inflow={"traffic": 9.0}),
    ...                             "shop": Node("shop", "partner")},
    ...     pipes=(Pipe("a", "pool", "shop", capacity=3.0),
    ...            Pipe("b", "pool", "shop", capacity=2.0)))
    >>> max_flow(eco, "shop")
    5.0
    """
    arr, target, src = resolve(eco, to, sources, currency)
    value, cut = solve(arr, target, src)
    if cut is None:
        return value
    cut_pipes = _cut_mask(arr, cut)
    return math.fsum(arr.capacity[cut_pipes].tolist())


def _cut_mask(arr: Layer, cut: Cut) -> BoolArray:
    side = cut.to_target[: arr.n]
    mask: BoolArray = arr.is_open & ~side[arr.src] & side[arr.dst]
    return mask


@dataclass(frozen=True)
class Bottlenecks(MappingResult):
    """What :func:`bottlenecks` found (each field as its Returns section describes).

    ``rows()`` and ``to_frame()`` list the pipes of every list, one row per pipe, with a
    ``section`` column (``min_cut``, ``saturated``, ``blocked``, ``empty``,
    ``widening``).
    """

    key_name: ClassVar[str] = "pipe"

    target: str
    kind: str
    sources: list[str]
    supply: float
    max_flow: float
    min_cut: list[dict[str, Any]]
    saturated: list[dict[str, Any]]
    blocked: list[dict[str, Any]]
    empty: list[dict[str, Any]]
    widening: list[dict[str, Any]]


@renamed(kind="currency")
def bottlenecks(
    eco: Ecosystem,
    to: str,
    *,
    sources: Iterable[str] | None = None,
    currency: str = "traffic",
    threshold: float = 0.9,
) -> Bottlenecks:
    """Find the pipes that limit the traffic reaching ``to``.

    Parameters
    ----------
    eco : Ecosystem
    to : str
        The target node id.
    sources : iterable of str, optional
        Where the traffic comes from. By default every node other than ``to``
        with boundary ``inflow`` of ``kind`` (joined by a super-source). Sources
        are unlimited supplies: the max-flow is what the pipes allow.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency; pipes of other currencies are ignored.
    threshold : float, default 0.9
        A pipe is saturated when its volume is at least this share of its capacity.

    Returns
    -------
    Bottlenecks
        ``target``, ``kind``, ``sources`` (ids), ``supply`` (the sources'
        boundary inflow), ``max_flow`` (``inf`` if unbounded) and lists of
        pipes, each a dict with ``key``, ``from``, ``to``:

        ``min_cut``
            The pipes of the minimum cut nearest the target, with ``capacity``.
            Their capacities add up to ``max_flow``.
        ``saturated``
            Open pipes with a volume and a capacity, ``volume >= threshold *
            capacity``, with ``volume`` and ``capacity``.
        ``blocked``
            Blocked pipes whose tail gets water (is reached from a source through
            open pipes), with ``capacity`` and ``raises_max_flow`` (whether opening
            it would add to ``max_flow``).
        ``empty``
            Open pipes whose tail gets no water from any source, with ``volume``
            and ``capacity``.
        ``widening``
            For each cut pipe, ``gain_per_unit``: how much ``max_flow`` rises per
            unit of capacity added to that pipe alone (1 or 0); on maps where
            some pipe has a ``cost``, also ``cost_per_unit``: what each unit of
            the traffic that widening brings costs at least on its way (the
            cheapest residual path through the pipe after the cheapest maximum
            flow, see :func:`ecograph.analysis.cheapest.widening_costs`; ``inf``
            where the gain is 0).

        Only pipes leading toward the target are listed: their head is the
        target or reaches it through pipes of ``kind`` (open or blocked). Lists
        are in file order. Unbounded capacities are ``inf``.

    Raises
    ------
    UsageError
        Unknown node or currency, a target among the sources, a threshold <= 0.

    Notes
    -----
    Max-flow runs on the open pipes of ``kind`` (blocked pipes carry nothing),
    from a super-source with unlimited arcs to the sources. A path of unbounded
    pipes from a source makes ``max_flow`` infinite and the cut empty. Otherwise
    every capacity is capped just above a finite bound of the max-flow (the
    target's in-capacity, the sources' out-capacity or all finite capacity,
    whichever is least): no pipe can carry more than the max-flow, so the cap
    changes neither the max-flow nor the cut, and unbounded pipes are never cut.

    Exact arithmetic: capacities are multiplied by the least ``10**k`` (k <= 6)
    that makes them whole numbers. When these fit in int32, scipy's
    :func:`~scipy.sparse.csgraph.maximum_flow` (Dinic, O(V^2 E), fast in
    practice) solves in exact integers. When they do not (capacities above about
    2e9 in total, or more than six decimals), igraph's push-relabel solves in
    floating point, exact for whole numbers below 2**53 (networkx's preflow-push
    if igraph is not installed); for capacities that are not decimals,
    saturation is then decided with a tolerance of 1e-9 of the bound.

    From the maximum flow, the residual graph gives two node sets in
    O(V + E): ``R_s``, reached from the super-source, and ``R_t``, which reach
    the target. Both are the same for every maximum flow. The reported cut is
    the set of open pipes from outside ``R_t`` into it, the minimum cut nearest
    the target (as :func:`networkx.minimum_cut` chooses); its capacity, summed
    from the pipes' own capacities, is ``max_flow``.

    ``gain_per_unit`` is computed from the residual graph, not by re-solving:
    adding capacity to a cut pipe ``u -> v`` opens an augmenting path exactly
    when ``u`` is in ``R_s`` (``v`` is in ``R_t`` by construction), so the
    max-flow rises at rate 1 for small widenings if so and 0 otherwise. A pipe
    with gain 0 shares the bottleneck with other pipes that must be widened
    too. The rate holds up to the residual capacity of that path.

    Examples
    --------
    Two pools feed a shop through a platform; the platform's pipe to the shop
    is the bottleneck (capacity 4 < 10 + 6 arriving):

    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={
    ...     "users": Node("users", "pool", inflow={"traffic": 10.0}),
    ...     "fans": Node("fans", "pool", inflow={"traffic": 6.0}),
    ...     "hub": Node("hub", "platform"),
    ...     "shop": Node("shop", "partner"),
    ...     "farm": Node("farm", "producer")},
    ...     pipes=(Pipe("u", "users", "hub", volume=10.0, capacity=10.0),
    ...            Pipe("f", "fans", "hub", volume=6.0),
    ...            Pipe("s", "hub", "shop", volume=4.0, capacity=4.0),
    ...            Pipe("x", "farm", "shop", volume=0.0, capacity=5.0),
    ...            Pipe("b", "users", "shop", capacity=3.0, status="blocked")))
    >>> r = bottlenecks(eco, "shop")
    >>> r["max_flow"], [p["key"] for p in r["min_cut"]]
    (4.0, ['s'])
    >>> [p["key"] for p in r["saturated"]], [p["key"] for p in r["empty"]]
    (['u', 's'], ['x'])
    >>> r["blocked"][0]["raises_max_flow"], r["widening"][0]["gain_per_unit"]
    (True, 1.0)
    """
    if not threshold > 0:
        raise UsageError(f"threshold must be above 0, got {threshold!r}")
    arr, target, src = resolve(eco, to, sources, currency)
    n = arr.n
    value, cut = solve(arr, target, src)
    nodes = arr.ids
    keys = arr.keys
    src_ids = arr.cm.names(arr.src)
    dst_ids = arr.cm.names(arr.dst)
    open_ = arr.is_open
    toward = reachable(n, arr.dst, arr.src, [target])  # heads that lead to the target
    head_ok = toward[arr.dst]
    wet = reachable(n, arr.src[open_], arr.dst[open_], src.tolist())

    def base(i: int) -> dict[str, Any]:
        return {"key": keys[i], "from": src_ids[i], "to": dst_ids[i]}

    def cap(i: int) -> float:
        return float(arr.capacity[i])

    min_cut: list[dict[str, Any]] = []
    widening: list[dict[str, Any]] = []
    raises: BoolArray = np.zeros(len(keys), np.bool_)
    if cut is not None:
        cut_idx = np.flatnonzero(_cut_mask(arr, cut)).tolist()
        value = math.fsum(arr.capacity[cut_idx].tolist())
        r_s = cut.from_source[:n]
        r_t = cut.to_target[:n]
        raises = r_s[arr.src] & r_t[arr.dst]
        priced = bool((~np.isnan(arr.cost)).any())
        if priced and cut_idx:
            from ecograph.analysis.cheapest import widening_costs

            unit_costs = widening_costs(arr, target, src, np.asarray(cut_idx, np.int64)).tolist()
        for j, i in enumerate(cut_idx):
            min_cut.append({**base(i), "capacity": cap(i)})
            widening.append({**base(i), "gain_per_unit": float(raises[i])})
            if priced:
                widening[-1]["cost_per_unit"] = unit_costs[j] if raises[i] else math.inf

    finite = np.isfinite(arr.capacity)
    sat = open_ & head_ok & arr.volume_given & finite
    sat &= arr.volume >= threshold * np.where(finite, arr.capacity, 0.0)
    saturated = [
        {**base(i), "volume": float(arr.volume[i]), "capacity": cap(i)}
        for i in np.flatnonzero(sat).tolist()
    ]
    blk = ~open_ & head_ok & wet[arr.src]
    blocked = [
        {**base(i), "capacity": cap(i), "raises_max_flow": bool(raises[i])}
        for i in np.flatnonzero(blk).tolist()
    ]
    emp = open_ & head_ok & ~wet[arr.src]
    empty = [
        {
            **base(i),
            "volume": float(arr.volume[i]) if arr.volume_given[i] else None,
            "capacity": cap(i),
        }
        for i in np.flatnonzero(emp).tolist()
    ]
    supply = math.fsum(arr.inflow[src].tolist())
    return Bottlenecks(
        target=to,
        kind=currency,
        sources=[nodes[i] for i in src.tolist()],
        supply=supply,
        max_flow=value,
        min_cut=min_cut,
        saturated=saturated,
        blocked=blocked,
        empty=empty,
        widening=widening,
    )
