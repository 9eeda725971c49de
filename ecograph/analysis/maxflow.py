"""The max-flow kernel shared by bottlenecks, cheapest and reach: a compiled layer's
capacities to a maximum flow and its residual picture (the cut).

Capacities are scaled to whole numbers where they allow it, so that scipy's Dinic
(int32) or igraph's push-relabel compute exactly; networkx's preflow-push or
Edmonds-Karp is the fallback and the reference.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from ecograph.compiled import Layer, compiled
from ecograph.errors import UsageError
from ecograph.model import Ecosystem

__all__ = ["ENGINES", "Cut", "node_row", "reachable", "resolve", "solve", "whole_factor"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def node_row(arr: Layer, node: str, role: str) -> int:
    return arr.cm.row(node, role)


def reachable(n: int, tails: IntArray, heads: IntArray, starts: Iterable[int]) -> BoolArray:
    """Nodes reachable from any of ``starts`` along arcs ``tails[i] -> heads[i]``.

    Examples
    --------
    >>> reachable(4, np.array([0, 1, 3]), np.array([1, 2, 0]), [0]).tolist()
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
class Cut:
    """A maximum flow's residual picture over nodes ``0..n`` (``n`` is the super-source)."""

    value: float
    engine: str
    #: Nodes reachable from the super-source in the residual graph.
    from_source: BoolArray
    #: Nodes that reach the target in the residual graph (the target side of the cut).
    to_target: BoolArray


def whole_factor(values: FloatArray, limit: float) -> float | None:
    """The least ``10**k`` (k <= 6) making every value whole and below ``limit``, or None.

    A value counts as whole within a relative 1e-9, so that 1.1 counts as a
    number with one decimal although ``1.1 * 10`` is not exactly 11 in floating
    point.

    Examples
    --------
    >>> whole_factor(np.array([1.1, 2.0]), 1e6), whole_factor(np.array([1 / 3]), 1e6)
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


def solve(
    arr: Layer, target: int, sources: IntArray, *, engine: str | None = None
) -> tuple[float, Cut | None]:
    """The max-flow and its residual picture; ``(inf, None)`` if unbounded, 0 without sources.

    ``engine`` forces one of :data:`ENGINES` (tests compare them); by default
    scipy when the capacities scale to exact int32 numbers, else igraph when
    installed, else networkx.
    """
    n = arr.n
    if not len(sources):
        return 0.0, None
    live = arr.live
    tails, heads, cap = arr.src[live], arr.dst[live], arr.capacity[live]
    unbounded = np.isinf(cap)
    if reachable(n, tails[unbounded], heads[unbounded], sources.tolist())[target]:
        return math.inf, None
    # No pipe can carry more than the max-flow, so capping every capacity just above a
    # bound of it changes neither the max-flow nor the residual reachability.
    ceiling = math.ceil(_upper_bound(n, tails, heads, cap, sources, target)) + 1.0
    cap = np.minimum(cap, ceiling)
    all_tails = np.concatenate([tails, np.full(len(sources), n, np.int64)])
    all_heads = np.concatenate([heads, sources])
    all_cap = np.concatenate([cap, np.full(len(sources), ceiling)])  # unlimited sources
    factor = whole_factor(all_cap, _INT32)
    if engine is None:
        if factor is not None:
            engine = "scipy"
        else:
            engine = "igraph" if importlib.util.find_spec("igraph") else "networkx"
    if engine != "scipy":
        factor = whole_factor(all_cap, _EXACT)
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
    from_source = reachable(n + 1, r_tails, r_heads, [n])
    to_target = reachable(n + 1, r_heads, r_tails, [target])
    value = float(F[[n], :].sum()) / (factor or 1.0)
    return value, Cut(value, engine, from_source, to_target)


# -- the analysis -------------------------------------------------------------------------


def resolve(
    eco: Ecosystem, to: str, sources: Iterable[str] | None, kind: str
) -> tuple[Layer, int, IntArray]:
    arr = compiled(eco).layer(kind)
    target = node_row(arr, to, "target")
    if sources is None:
        src = [i for i in np.flatnonzero(arr.inflow > 0).tolist() if i != target]
    else:
        if isinstance(sources, str):
            sources = [sources]
        src = sorted({node_row(arr, s, "source") for s in sources})
        if target in src:
            raise UsageError(f"the target {to!r} cannot also be a source")
    return arr, target, np.asarray(src, dtype=np.int64)
