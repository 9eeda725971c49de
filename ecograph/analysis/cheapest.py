"""The cheapest traffic: least-cost delivery of a demand to a node, within capacities.

The article's question for a small firm, "how do I get the cheapest traffic?",
as a minimum-cost flow: deliver ``demand`` units per period to a target from
its sources (by default, as for :func:`~ecograph.analysis.bottlenecks.bottlenecks`,
every node with boundary inflow of the currency) through open pipes, each
carrying at most its ``capacity``, paying each pipe's ``cost`` per unit
carried, at the least total cost. A pipe without ``cost`` is free, a blocked
pipe carries nothing, and when the pipes cannot carry the whole demand the
most they can (the max-flow) is delivered and the shortfall reported.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ecograph._aliases import renamed
from ecograph.analysis._linalg import tidy
from ecograph.analysis.maxflow import resolve, solve, whole_factor
from ecograph.compiled import Layer
from ecograph.errors import UsageError
from ecograph.model import Ecosystem
from ecograph.results import MappingResult

__all__ = ["ENGINES", "Cheapest", "cheapest"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Min-cost flow engines: OR-Tools' network simplex in exact integers (when
#: installed and the figures scale to whole numbers), else HiGHS' LP solver.
ENGINES = ("ortools", "highs")
#: OR-Tools works in int64 and multiplies costs by the node count inside its
#: cost-scaling; keep every scaled product well inside that.
_INT_LIMIT = 2.0**62


def _check_demand(demand: Any) -> float:
    if isinstance(demand, bool) or not isinstance(demand, int | float | np.number):
        raise UsageError(f"demand must be a number, got {demand!r}")
    value = float(demand)
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"demand must be a finite number, 0 or more; got {value!r}")
    return value


def _arcs(
    arr: Layer, sources: IntArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]:
    """The network: open pipes plus a super-source (node ``n``) with an arc to each source.

    Returns tails, heads, capacities (``inf`` for unbounded pipes and the
    source arcs), unit costs (0 where not given) and the layer position of each
    pipe arc (-1 for source arcs).
    """
    n = arr.n
    live = arr.live
    k = len(sources)
    tails = np.concatenate([arr.src[live], np.full(k, n, np.int64)])
    heads = np.concatenate([arr.dst[live], sources])
    cap = np.concatenate([arr.capacity[live], np.full(k, np.inf)])
    cost = np.concatenate([np.nan_to_num(arr.cost[live], nan=0.0), np.zeros(k)])
    where = np.concatenate([live, np.full(k, -1, np.int64)])
    return tails, heads, cap, cost, where


def _solve_ortools(
    n: int,
    tails: IntArray,
    heads: IntArray,
    cap: FloatArray,
    cost: FloatArray,
    target: int,
    amount: float,
) -> tuple[float, FloatArray] | None:
    """A maximum flow of at most ``amount`` from node ``n`` to ``target`` at least cost, in
    exact integers: (its value, per-arc flow); None when the figures do not scale to int64
    (then HiGHS solves).

    OR-Tools' ``solve_max_flow_with_min_cost`` delivers as much of the supply as the
    capacities allow, so no separate max-flow is needed.
    """
    from ortools.graph.python import min_cost_flow

    f = whole_factor(np.append(cap, amount), _INT_LIMIT / max(n + 2, 2))
    g = whole_factor(cost, _INT_LIMIT / max(n + 2, 2))
    if f is None or g is None:
        return None
    scaled_cap = np.round(cap * f).astype(np.int64)
    scaled_cost = np.round(cost * g).astype(np.int64)
    supply = round(amount * f)
    # the total cost must fit too: at most every arc full at its cost
    if float(np.dot(scaled_cap.astype(np.float64), scaled_cost.astype(np.float64))) >= _INT_LIMIT:
        return None
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, scaled_cap, scaled_cost)
    supplies = np.zeros(n + 1, np.int64)
    supplies[n] = supply
    supplies[target] = -supply
    smcf.set_nodes_supplies(np.arange(n + 1), supplies)
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        return None
    flows = np.asarray(smcf.flows(np.arange(len(tails))), np.float64) / f
    return smcf.maximum_flow() / f, flows


def _solve_highs(
    n: int,
    tails: IntArray,
    heads: IntArray,
    cap: FloatArray,
    cost: FloatArray,
    target: int,
    amount: float,
) -> FloatArray:
    """Per-arc flow of a min-cost flow by scipy's HiGHS linear programming (floating point)."""
    from scipy.optimize import linprog

    m = len(tails)
    arcs = np.arange(m)
    # node balance: what arrives minus what leaves
    A = sp.csr_array(
        (
            np.concatenate([np.ones(m), -np.ones(m)]),
            (np.concatenate([heads, tails]), np.concatenate([arcs, arcs])),
        ),
        shape=(n + 1, m),
    )
    b = np.zeros(n + 1)
    b[n] = -amount
    b[target] = amount
    res = linprog(cost, A_eq=A, b_eq=b, bounds=np.column_stack([np.zeros(m), cap]), method="highs")
    if res.status != 0:  # pragma: no cover - the amount is a feasible max-flow
        raise UsageError(f"the min-cost flow solver failed: {res.message}")
    return np.clip(np.asarray(res.x, np.float64), 0.0, cap)


def _cancel_cycles(n: int, tails: IntArray, heads: IntArray, flow: FloatArray) -> FloatArray:
    """The same flow with its cycles removed (an optimal flow's cycles all cost 0).

    A min-cost flow may route units round a cycle of free pipes; that changes
    neither what is delivered nor the cost, but it is not a route anybody would
    report. While the pipes carrying flow hold a strongly connected component of
    more than one node, one cycle in it is found by a breadth-first search and
    its smallest flow taken off every arc on it (each round empties an arc).
    """
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    flow = flow.copy()
    tol = 1e-9 * max(float(flow.max(initial=0.0)), 1.0)
    for _ in range(len(flow)):
        on = np.flatnonzero(flow > tol)
        size = n + 1
        support = sp.csr_array((np.ones(len(on)), (tails[on], heads[on])), shape=(size, size))
        count, labels = connected_components(support, directed=True, connection="strong")
        if count == size:
            break
        inside = on[labels[tails[on]] == labels[heads[on]]]
        if not len(inside):
            break
        arc = int(inside[0])
        u, v = int(tails[arc]), int(heads[arc])
        # a path v -> u inside the component closes the cycle with the arc u -> v
        same = inside[labels[tails[inside]] == labels[u]]
        local = sp.csr_array((np.ones(len(same)), (tails[same], heads[same])), shape=(size, size))
        _, pred = breadth_first_order(local, v, directed=True, return_predecessors=True)
        cycle = [arc]
        node = u
        while node != v:
            before = int(pred[node])
            between = same[(tails[same] == before) & (heads[same] == node)]
            cycle.append(int(between[np.argmax(flow[between])]))
            node = before
        cycle_arcs = np.asarray(cycle, np.int64)
        flow[cycle_arcs] -= float(flow[cycle_arcs].min())
        flow[np.abs(flow) <= tol] = 0.0
    return flow


def _marginal(
    n: int,
    tails: IntArray,
    heads: IntArray,
    cap: FloatArray,
    cost: FloatArray,
    flow: FloatArray,
    target: int,
) -> float:
    """Cost per unit of the next unit: the cheapest augmenting path in the residual graph."""
    return float(_residual_distances(n, tails, heads, cap, cost, flow, n)[target])


def _residual_distances(
    n: int,
    tails: IntArray,
    heads: IntArray,
    cap: FloatArray,
    cost: FloatArray,
    flow: FloatArray,
    start: int,
    *,
    reverse: bool = False,
) -> FloatArray:
    """Least cost from ``start`` to every node of ``0..n`` in the residual graph of
    ``flow`` (to ``start`` from every node with ``reverse``)."""
    tol = 1e-9 * max(float(flow.max(initial=1.0)), 1.0)
    spare = flow < cap - tol  # unbounded pipes and the source arcs always have spare
    back = flow > tol
    rows = np.concatenate([tails[spare], heads[back]])
    cols = np.concatenate([heads[spare], tails[back]])
    weight = np.concatenate([cost[spare], -cost[back]])
    if reverse:
        rows, cols = cols, rows
    if not len(rows):
        out = np.full(n + 1, math.inf)
        out[start] = 0.0
        return out
    # Bellman-Ford in whole numbers when the costs are decimals: a zero-cost cycle
    # (0.07 + 0.01 - 0.08) must not look negative by a rounding error
    g = whole_factor(np.abs(weight), 2.0**53 / max(n + 1, 1))
    if g is not None:
        return _bellman_ford(n + 1, rows, cols, np.round(weight * g), start) / g
    slack = 1e-12 * float(np.abs(weight).max(initial=0.0)) * (n + 1)
    return _bellman_ford(n + 1, rows, cols, weight, start, slack=slack)


def widening_costs(arr: Layer, target: int, sources: IntArray, pipes: IntArray) -> FloatArray:
    """For pipes of ``arr`` (layer positions): the least cost per unit of the traffic that
    widening each one alone would add to ``target``, after the cheapest maximum flow.

    With a min-cost maximum flow and its residual graph, a unit through a widened pipe
    ``u -> v`` costs at least ``d_s(u) + cost + d_t(v)``: the cheapest residual path from
    the sources to ``u``, the pipe, and the cheapest from ``v`` to the target. ``inf``
    where no such path exists (widening the pipe alone adds nothing).
    """
    n = arr.n
    tails, heads, cap, cost, _ = _arcs(arr, sources)
    value = solve(arr, target, sources)[0]
    flow = np.zeros(len(tails))
    if math.isfinite(value) and value > 0:
        capped = np.minimum(cap, value)
        got = None
        if importlib.util.find_spec("ortools"):
            got = _solve_ortools(n, tails, heads, capped, cost, target, value)
        flow = (
            got[1]
            if got is not None
            else _solve_highs(n, tails, heads, capped, cost, target, value)
        )
    from_source = _residual_distances(n, tails, heads, cap, cost, flow, n)
    to_target = _residual_distances(n, tails, heads, cap, cost, flow, target, reverse=True)
    unit = np.nan_to_num(arr.cost[pipes], nan=0.0)
    out: FloatArray = from_source[arr.src[pipes]] + unit + to_target[arr.dst[pipes]]
    return tidy(out)


def _bellman_ford(
    n: int, tails: IntArray, heads: IntArray, weight: FloatArray, source: int, *, slack: float = 0.0
) -> FloatArray:
    """Shortest distances from ``source`` with negative arc weights (no negative cycle).

    Vectorised Bellman-Ford: each round relaxes every arc at once (arcs grouped by head,
    one ``minimum.reduceat``) and the rounds stop when nothing changes, after as many
    rounds as the shortest paths have arcs (at most ``n``). scipy's ``bellman_ford``
    always runs ``n`` rounds, which is quadratic on large maps. A distance only
    changes when it improves by more than ``slack`` (rounding in float weights).

    Examples
    --------
    >>> _bellman_ford(3, np.array([0, 0, 1]), np.array([1, 2, 2]),
    ...               np.array([4.0, 1.0, -5.0]), 0).tolist()
    [0.0, 4.0, -1.0]
    """
    dist = np.full(n, math.inf)
    dist[source] = 0.0
    if not len(tails):
        return dist
    order = np.argsort(heads, kind="stable")
    tails, heads, weight = tails[order], heads[order], weight[order]
    starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
    targets = heads[starts]
    for _ in range(n):
        best = np.minimum.reduceat(dist[tails] + weight, starts)
        better = best < dist[targets] - slack
        if not better.any():
            break
        dist[targets[better]] = best[better]
    return dist


@dataclass(frozen=True)
class Cheapest(MappingResult):
    """What :func:`cheapest` found (each field as its Returns section describes).

    ``rows()`` and ``to_frame()``: the pipes that carry flow and the flow of each
    source, one row each, with a ``section`` column (``pipes``, ``by_source``).
    """

    key_name: ClassVar[str] = "source"

    target: str
    kind: str
    sources: list[str]
    demand: float
    delivered: float
    shortfall: float
    total_cost: float
    cost_per_unit: float
    marginal_cost: float
    pipes: list[dict[str, Any]]
    by_source: list[dict[str, Any]]


@renamed(kind="currency")
def cheapest(
    eco: Ecosystem,
    to: str,
    *,
    demand: float,
    sources: Iterable[str] | None = None,
    currency: str = "traffic",
    engine: str | None = None,
) -> Cheapest:
    """The least-cost way to deliver ``demand`` units per period to ``to``.

    Parameters
    ----------
    eco : Ecosystem
    to : str
        The target node id.
    demand : float
        Units per period to deliver (finite, 0 or more).
    sources : iterable of str, optional
        Where the traffic may come from: unlimited supplies. By default every
        node other than ``to`` with boundary ``inflow`` of ``kind`` (as
        :func:`~ecograph.analysis.bottlenecks.bottlenecks`).
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency; pipes of other currencies are ignored.
    engine : {"ortools", "highs"}, optional
        Force a solver (tests compare them); see Notes for the default.

    Returns
    -------
    Cheapest
        ``target``, ``kind``, ``sources``; ``demand``; ``delivered`` (the
        demand, or the max-flow when the pipes cannot carry it all);
        ``shortfall`` (``demand - delivered``); ``total_cost``;
        ``cost_per_unit`` (``total_cost / delivered``, ``nan`` — null in JSON —
        when nothing is delivered); ``marginal_cost``: what one more unit
        would cost per unit at the margin (the cheapest augmenting path after
        the optimal flow; ``inf`` — null in JSON — when not one more unit can
        be delivered); ``pipes``: every pipe that carries flow, in map order,
        with ``key``, ``from``, ``to``, ``flow``, ``unit_cost`` and ``cost``
        (``flow * unit_cost``); ``by_source``: per source, ``source`` and
        ``flow`` (the units it delivers, 0 for those that send nothing).

    Raises
    ------
    UsageError
        Unknown node or currency, a target among the sources, a demand that is
        negative, not finite or not a number.

    Notes
    -----
    A minimum-cost flow: a super-source with an arc to each source, supply
    ``delivered`` there and demand ``delivered`` at the target; each open pipe
    is an arc with its capacity (unbounded pipes and the source arcs capped at
    ``demand``: a flow without cycles never carries more on one arc) and unit
    cost (0 when not given); costs are never negative, so there is no negative
    cycle. ``delivered`` is ``min(demand, max-flow)``. An optimal flow may
    also circulate round cycles of free pipes; those cycles are cancelled
    before the pipes are reported (which changes neither amount nor cost).

    Engines: OR-Tools' ``SimpleMinCostFlow`` (cost-scaling push-relabel,
    ``O(n^2 m log(nC))``, in practice near-linear on these maps) in exact
    int64 arithmetic after scaling capacities and costs by the least ``10**k``
    (k <= 6) that makes them whole, as ``bottlenecks`` does; its
    ``solve_max_flow_with_min_cost`` delivers the demand or, when the pipes
    cannot carry it, the max-flow, in one solve. It is chosen when installed
    (``pip install ecograph[fast]``) and the scaled figures fit. Otherwise the
    max-flow comes from :func:`~ecograph.analysis.bottlenecks.max_flow`'s exact
    kernel and scipy's HiGHS solves the min-cost flow as a linear program
    (dual simplex, floating point, feasible to about 1e-7 relative). The
    optimum cost is unique; the flows may differ between engines when several
    routes cost the same.

    ``marginal_cost`` is the right derivative of the least cost as a function
    of the demand: the length of the cheapest path from the super-source to
    the target in the residual graph (forward arcs with spare capacity at
    their cost, arcs carrying flow backwards at minus their cost), found by a
    vectorised Bellman-Ford that stops when no distance changes, in whole
    numbers when the costs are decimals (the residual graph of an optimal flow
    has no negative cycle). It holds for as much more as that path can carry;
    with whole capacities and demand it is exactly the cost of one more unit
    (the tests check it against a second solve).

    Examples
    --------
    Fans cost nothing but the pipe from them is narrow; paid promotion costs
    0.5 a visit; search traffic costs 0.2 but passes a platform pipe of 6:

    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={
    ...     "fans": Node("fans", "pool", inflow={"traffic": 100.0}),
    ...     "search": Node("search", "pool", inflow={"traffic": 100.0}),
    ...     "shop": Node("shop", "partner")},
    ...     pipes=(Pipe("free", "fans", "shop", capacity=4.0),
    ...            Pipe("organic", "search", "shop", capacity=6.0, cost=0.2),
    ...            Pipe("ads", "search", "shop", cost=0.5)))
    >>> r = cheapest(eco, "shop", demand=12)
    >>> r["delivered"], r["total_cost"], r["marginal_cost"]
    (12.0, 2.2, 0.5)
    >>> [(p["key"], p["flow"]) for p in r["pipes"]]
    [('free', 4.0), ('organic', 6.0), ('ads', 2.0)]
    """
    amount_wanted = _check_demand(demand)
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    arr, target, src = resolve(eco, to, sources, currency)
    n = arr.n
    tails, heads, cap, cost, where = _arcs(arr, src)
    flow = np.zeros(len(tails))
    delivered = 0.0
    if amount_wanted > 0 and len(src):
        # no arc can carry more than the demand: cap the unbounded ones there
        capped = np.minimum(cap, amount_wanted)
        use = engine
        if use is None:
            use = "ortools" if importlib.util.find_spec("ortools") else "highs"
        got = None
        if use == "ortools":
            got = _solve_ortools(n, tails, heads, capped, cost, target, amount_wanted)
            if got is None and engine == "ortools":
                raise UsageError("capacities, costs or demand do not scale to exact integers")
        if got is not None:
            delivered, flow = got
        else:
            delivered = min(amount_wanted, solve(arr, target, src)[0])
            if delivered > 0:
                flow = _solve_highs(n, tails, heads, capped, cost, target, delivered)
    flow = _cancel_cycles(n, tails, heads, flow)
    source_arc = where < 0
    marginal = _marginal(n, tails, heads, cap, cost, flow, target) if len(src) else math.inf
    flow = tidy(flow)
    carried = flow * cost
    total = math.fsum(carried.tolist())
    on = np.flatnonzero((flow > 0) & ~source_arc)
    on = on[np.argsort(where[on], kind="stable")]
    keys = arr.keys
    pipe_rows = where[on]
    src_ids = arr.cm.names(arr.src[pipe_rows])
    dst_ids = arr.cm.names(arr.dst[pipe_rows])
    pipes = [
        {
            "key": keys[i],
            "from": a,
            "to": b,
            "flow": float(flow[j]),
            "unit_cost": float(cost[j]),
            "cost": float(carried[j]),
        }
        for j, i, a, b in zip(on.tolist(), pipe_rows.tolist(), src_ids, dst_ids, strict=True)
    ]
    from_source = flow[source_arc]
    by_source = [
        {"source": name, "flow": amount}
        for name, amount in zip(arr.cm.names(src), from_source.tolist(), strict=True)
    ]
    delivered = float(tidy(np.array([delivered]))[0])
    total = float(tidy(np.array([total]))[0])
    return Cheapest(
        target=to,
        kind=currency,
        sources=arr.cm.names(src),
        demand=amount_wanted,
        delivered=delivered,
        shortfall=amount_wanted - delivered,
        total_cost=total,
        cost_per_unit=total / delivered if delivered > 0 else math.nan,
        marginal_cost=float(tidy(np.array([marginal]))[0]),
        pipes=pipes,
        by_source=by_source,
    )
