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

import importlib.util
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from ecograph.compiled import Layer, compiled
from ecograph.errors import UsageError
from ecograph.model import Ecosystem

__all__ = ["bottlenecks", "max_flow"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Capacities are scaled by 10**k, k up to this, to make them whole numbers.
_MAX_DECIMALS = 6
#: Whole numbers below this are exact in floating point.
_EXACT = 2.0**53


def _node_index(arr: Layer, node: str, role: str) -> int:
    return arr.cm.row(node, role)


def _reachable(n: int, tails: IntArray, heads: IntArray, starts: Iterable[int]) -> BoolArray:
    """Nodes reachable from any of ``starts`` along arcs ``tails[i] -> heads[i]``.

    Examples
    --------
    >>> _reachable(4, np.array([0, 1, 3]), np.array([1, 2, 0]), [0]).tolist()
    [True, True, True, False]
    """
    starts = np.fromiter(starts, np.int64)
    out = np.zeros(n, np.bool_)
    if not len(starts):
        return out
    root = n
    rows = np.concatenate([tails, np.full(len(starts), root)])
    cols = np.concatenate([heads, starts])
    graph = sp.csr_array((np.ones(len(rows), np.int8), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(graph, root, directed=True, return_predecessors=False)
    out[order[order < n]] = True
    return out


# -- the max-flow kernel -----------------------------------------------------------------

#: scipy's maximum_flow works in int32: capacities and flows must stay below this.
_INT32 = float(2**31 - 1)
#: Whole numbers below this are exact in float64 arithmetic.
_EXACT = 2.0**53
#: Capacities are scaled by 10**k, k up to this, to make them whole numbers.
_MAX_DECIMALS = 6
#: Max-flow engines, in order of preference.
ENGINES = ("scipy", "igraph", "networkx")


@dataclass(frozen=True)
class _Cut:
    """A maximum flow's residual picture over nodes ``0..n`` (``n`` is the super-source)."""

    value: float
    engine: str
    #: Nodes reachable from the super-source in the residual graph.
    from_source: BoolArray
    #: Nodes that reach the target in the residual graph (the target side of the cut).
    to_target: BoolArray


def _whole_factor(values: FloatArray, limit: float) -> float | None:
    """The least ``10**k`` (k <= 6) making every value whole and below ``limit``, or None.

    A value counts as whole within a relative 1e-9, so that 1.1 counts as a
    number with one decimal although ``1.1 * 10`` is not exactly 11 in floating
    point.

    Examples
    --------
    >>> _whole_factor(np.array([1.1, 2.0]), 1e6), _whole_factor(np.array([1 / 3]), 1e6)
    (10.0, None)
    """
    top = float(values.max()) if len(values) else 0.0
    for k in range(_MAX_DECIMALS + 1):
        factor = 10.0**k
        if top * factor >= limit:
            return None
        scaled = values * factor
        whole = np.round(scaled)
        if np.all(np.abs(scaled - whole) <= 1e-9 * np.maximum(whole, 1.0)):
            return factor
    return None


def _upper_bound(
    n: int, tails: IntArray, heads: IntArray, cap: FloatArray, sources: IntArray, target: int
) -> float:
    """A finite upper bound of the max-flow (no unbounded path joins sources and target)."""
    bounded = np.isfinite(cap)
    bound = float(cap[bounded].sum())
    into = heads == target
    if bounded[into].all():
        bound = min(bound, float(cap[into].sum()))
    is_source = np.zeros(n, np.bool_)
    is_source[sources] = True
    out = is_source[tails] & ~is_source[heads]
    if bounded[out].all():
        bound = min(bound, float(cap[out].sum()))
    return bound


def _net_flow(
    engine: str, n: int, tails: IntArray, heads: IntArray, cap: FloatArray, target: int
) -> sp.csr_array:
    """Net flow ``F`` (``F[u, v] = -F[v, u]``) of a maximum flow from node ``n`` to ``target``."""
    size = (n + 1, n + 1)
    if engine == "scipy":
        from scipy.sparse.csgraph import maximum_flow

        C = sp.csr_array((cap, (tails, heads)), shape=size)  # parallel arcs summed
        C.sum_duplicates()
        # a pair may not carry more than the max-flow either: keep the sums in int32
        C.data = np.minimum(C.data, cap.max(initial=0.0)).astype(np.int32)
        flow: sp.csr_array = maximum_flow(C, n, target, method="dinic").flow
        return sp.csr_array(flow, dtype=np.float64)
    if engine == "igraph":
        import igraph

        graph = igraph.Graph(n=n + 1, edges=np.column_stack([tails, heads]), directed=True)
        per_arc = np.asarray(graph.maxflow(n, target, capacity=cap.tolist()).flow)
        A = sp.csr_array((per_arc, (tails, heads)), shape=size)
        return sp.csr_array(A - A.T)
    import networkx as nx
    from networkx.algorithms.flow import edmonds_karp, preflow_push

    G = nx.DiGraph()
    G.add_nodes_from(range(n + 1))
    for u, v, c in zip(tails.tolist(), heads.tolist(), cap.tolist(), strict=True):
        if G.has_edge(u, v):
            G[u][v]["capacity"] += c
        else:
            G.add_edge(u, v, capacity=c)
    # preflow-push is the fastest, but its relabelling can fail on capacities that are
    # not whole numbers (floating-point leftovers); Edmonds-Karp only adds and compares
    whole = bool(np.all(cap == np.round(cap)))
    R = (preflow_push if whole else edmonds_karp)(G, n, target, capacity="capacity")
    rows, cols, vals = zip(*((u, v, d["flow"]) for u, v, d in R.edges(data=True)), strict=True)
    return sp.csr_array((np.asarray(vals, np.float64), (rows, cols)), shape=size)


def _max_flow(
    arr: Layer, target: int, sources: IntArray, *, engine: str | None = None
) -> tuple[float, _Cut | None]:
    """The max-flow and its residual picture; ``(inf, None)`` if unbounded, 0 without sources.

    ``engine`` forces one of :data:`ENGINES` (tests compare them); by default
    scipy when the capacities scale to exact int32 numbers, else igraph when
    installed, else networkx.
    """
    n = arr.n
    if not len(sources):
        return 0.0, None
    live = arr.cached("live", lambda: np.flatnonzero(arr.is_open & (arr.src != arr.dst)))
    tails, heads, cap = arr.src[live], arr.dst[live], arr.capacity[live]
    unbounded = np.isinf(cap)
    if _reachable(n, tails[unbounded], heads[unbounded], sources.tolist())[target]:
        return math.inf, None
    # No pipe can carry more than the max-flow, so capping every capacity just above a
    # bound of it changes neither the max-flow nor the residual reachability.
    ceiling = math.ceil(_upper_bound(n, tails, heads, cap, sources, target)) + 1.0
    cap = np.minimum(cap, ceiling)
    all_tails = np.concatenate([tails, np.full(len(sources), n, np.int64)])
    all_heads = np.concatenate([heads, sources])
    all_cap = np.concatenate([cap, np.full(len(sources), ceiling)])  # unlimited sources
    factor = _whole_factor(all_cap, _INT32)
    if engine is None:
        if factor is not None:
            engine = "scipy"
        else:
            engine = "igraph" if importlib.util.find_spec("igraph") else "networkx"
    if engine != "scipy":
        factor = _whole_factor(all_cap, _EXACT)
    elif factor is None:
        raise ValueError("capacities too large or too fine for exact int32 arithmetic")
    tol = 0.5 if factor is not None else 1e-9 * ceiling
    scaled = np.round(all_cap * factor) if factor is not None else all_cap
    F = _net_flow(engine, n, all_tails, all_heads, scaled, target)
    C = sp.csr_array((scaled, (all_tails, all_heads)), shape=F.shape)
    if engine == "scipy":
        C.data = np.minimum(C.data, scaled.max(initial=0.0))
    residual = sp.coo_array(C - F)
    arcs = residual.data > tol
    r_tails, r_heads = residual.row[arcs].astype(np.int64), residual.col[arcs].astype(np.int64)
    from_source = _reachable(n + 1, r_tails, r_heads, [n])
    to_target = _reachable(n + 1, r_heads, r_tails, [target])
    value = float(F[[n], :].sum()) / (factor or 1.0)
    return value, _Cut(value, engine, from_source, to_target)


# -- the analysis -------------------------------------------------------------------------


def _resolve(
    eco: Ecosystem, to: str, sources: Iterable[str] | None, kind: str
) -> tuple[Layer, int, IntArray]:
    arr = compiled(eco).layer(kind)
    target = _node_index(arr, to, "target")
    if sources is None:
        src = [i for i in np.flatnonzero(arr.inflow > 0).tolist() if i != target]
    else:
        if isinstance(sources, str):
            sources = [sources]
        src = sorted({_node_index(arr, s, "source") for s in sources})
        if target in src:
            raise UsageError(f"the target {to!r} cannot also be a source")
    return arr, target, np.asarray(src, dtype=np.int64)


def max_flow(
    eco: Ecosystem,
    to: str,
    *,
    sources: Iterable[str] | None = None,
    kind: str = "traffic",
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
    kind : str, default "traffic"
        Currency; other currencies' pipes are ignored.

    Returns
    -------
    float
        ``inf`` when a path of unbounded pipes joins a source to the target,
        0.0 when there are no sources.

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
    arr, target, src = _resolve(eco, to, sources, kind)
    value, cut = _max_flow(arr, target, src)
    if cut is None:
        return value
    cut_pipes = _cut_mask(arr, cut)
    return math.fsum(arr.capacity[cut_pipes].tolist())


def _cut_mask(arr: Layer, cut: _Cut) -> BoolArray:
    side = cut.to_target[: arr.n]
    mask: BoolArray = arr.is_open & ~side[arr.src] & side[arr.dst]
    return mask


def bottlenecks(
    eco: Ecosystem,
    to: str,
    *,
    sources: Iterable[str] | None = None,
    kind: str = "traffic",
    threshold: float = 0.9,
) -> dict[str, Any]:
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
    kind : str, default "traffic"
        The currency; pipes of other currencies are ignored.
    threshold : float, default 0.9
        A pipe is saturated when its volume is at least this share of its capacity.

    Returns
    -------
    dict
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
    arr, target, src = _resolve(eco, to, sources, kind)
    n = arr.n
    value, cut = _max_flow(arr, target, src)
    nodes = arr.ids
    keys = arr.keys
    src_ids = arr.cm.names(arr.src)
    dst_ids = arr.cm.names(arr.dst)
    open_ = arr.is_open
    toward = _reachable(n, arr.dst, arr.src, [target])  # heads that lead to the target
    head_ok = toward[arr.dst]
    wet = _reachable(n, arr.src[open_], arr.dst[open_], src.tolist())

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
    return {
        "target": to,
        "kind": kind,
        "sources": [nodes[i] for i in src.tolist()],
        "supply": supply,
        "max_flow": value,
        "min_cut": min_cut,
        "saturated": saturated,
        "blocked": blocked,
        "empty": empty,
        "widening": widening,
    }
