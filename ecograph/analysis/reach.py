"""Reach: where a node's traffic goes, in how many hops, how much of it, and how much could.

The article's first question about a pool or a platform: which partners does
it reach, and with how much water? :func:`reach` answers in three ways:

- ``hops``: nodes reachable over open pipes of the currency, with the number
  of pipes on the shortest way there;
- ``traffic``: how much of the traffic leaving the source arrives at each node
  when every node passes on what it receives in the proportions of its
  outgoing volumes (proportional flow tracing, cycles solved exactly);
- ``max_flow``: the most the source could deliver to one target under the
  pipes' capacities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ecograph._aliases import renamed
from ecograph.analysis._linalg import FlowArrays, layer_arrays, tidy
from ecograph.errors import UsageError
from ecograph.results import Result

if TYPE_CHECKING:
    from ecograph.model import Ecosystem

__all__ = ["Reach", "reach"]


@dataclass(frozen=True)
class Reach(Result):
    """What :func:`reach` found.

    Attributes
    ----------
    source : str
    kind : str
        The currency traced.
    hops : dict of str to int
        Node -> fewest pipes from the source (the source itself is 0), in
        breadth-first order, limited to ``hops`` when that was given.
    traffic : dict of str to float
        Node -> traffic from the source arriving there, for every node the
        source reaches (0.0 where only empty pipes lead). The source appears
        only if some of its traffic comes back to it around a cycle. ``inf``
        for the nodes of a closed loop (flow circulating with no boundary
        inflow or outflow) that the source is part of; JSON writes null.
    leaving : dict of str to float
        Node -> part of the source's traffic that leaves the map there (its
        boundary outflow share); these add up to what left the source.
    sent : float
        Traffic that left the source through its pipes.
    target : str or None
    max_flow : float or None
        Most the source could deliver to ``target`` under capacities (``inf``
        when a path of unbounded pipes joins them; JSON writes it as null).
    cost_per_unit : float or None
        What one unit costs on the cheapest route from the source to
        ``target`` (the pipes' ``cost`` along it, capacities respected; the
        first unit of :func:`ecograph.cheapest`); None when nothing can arrive.
    """

    source: str
    kind: str
    hops: dict[str, int]
    traffic: dict[str, float]
    leaving: dict[str, float] = field(default_factory=dict)
    sent: float = 0.0
    target: str | None = None
    max_flow: float | None = None
    cost_per_unit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: ``source``, ``hops``, ``traffic`` (+ ``max_flow`` and
        ``cost_per_unit`` with a target).

        Examples
        --------
        >>> Reach("a", "traffic", {"a": 0}, {}).to_dict()
        {'source': 'a', 'hops': {'a': 0}, 'traffic': {}}
        """
        out: dict[str, Any] = {
            "source": self.source,
            "hops": dict(self.hops),
            "traffic": dict(self.traffic),
        }
        if self.target is not None:
            out["max_flow"] = self.max_flow
            out["cost_per_unit"] = self.cost_per_unit
        return out


@renamed(kind="currency")
def reach(
    eco: Ecosystem,
    source: str,
    *,
    hops: int | None = None,
    currency: str = "traffic",
    to: str | None = None,
) -> Reach:
    """Trace where the traffic leaving ``source`` goes.

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    source : str
        The node (a pool, a platform, a partner...) whose traffic is traced.
    hops : int, optional
        Keep only nodes at most this many pipes away in ``hops``; all reachable
        nodes when omitted. ``traffic`` is always traced to the end.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency; other currencies are ignored.
    to : str, optional
        Also compute the maximum flow from ``source`` to this node.

    Returns
    -------
    Reach

    Raises
    ------
    UsageError
        An unknown node or currency, a negative ``hops``, or ``to == source``.

    Examples
    --------
    A pool feeds a platform that keeps 20 and passes 60 on to a shop and 20
    to an app; the app sends 10 back to the platform:

    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   pool:     {kind: pool, inflow: 100}
    ...   platform: {kind: platform, outflow: 30}
    ...   shop:     {kind: partner, outflow: 60}
    ...   app:      {kind: partner, outflow: 10}
    ... pipes:
    ...   - {from: pool, to: platform, volume: 100}
    ...   - {from: platform, to: shop, volume: 60}
    ...   - {from: platform, to: app, volume: 20}
    ...   - {from: app, to: platform, volume: 10}
    ... ''')
    >>> r = reach(eco, "pool")
    >>> r.hops
    {'pool': 0, 'platform': 1, 'shop': 2, 'app': 2}
    >>> dict(r.traffic)
    {'platform': 110.0, 'shop': 60.0, 'app': 20.0}
    >>> reach(eco, "pool", hops=1).to_dict()["hops"]
    {'pool': 0, 'platform': 1}

    The platform sees 110 because the 10 that come back from the app pass it
    a second time; everything that left the pool leaves the map somewhere:

    >>> sum(r.leaving.values()), r.sent
    (100.0, 100.0)

    Notes
    -----
    *Hops*: one breadth-first search over the open pipes of the currency,
    ``O(n + m)`` (compiled: :func:`scipy.sparse.csgraph.breadth_first_order`).

    *Traffic*: with throughflow ``T`` (see :mod:`ecograph.analysis._linalg`
    for how unbalanced nodes are closed) and routing fractions
    ``P[i, j] = F[i, j] / T[i]``, the traffic of source ``s`` passing node
    ``j`` is row ``s`` of the integral flow matrix ``N = (I - P)^{-1}``
    (Leontief inverse; Fath & Patten 1999) scaled by ``T[s]``. It counts every
    passage: traffic that cycles back passes a node again, exactly as the
    declared volumes count it (if the source is the only inflow of a balanced
    map, the traced traffic equals the observed throughflow). One sparse solve
    of ``(I - P)^T x = e_s``: sparse LU in the topological order of the
    strongly connected components (fill-in stays inside them) when they are
    small, else GMRES (see :class:`ecograph.analysis._linalg.Solver`).

    *Max-flow*: :func:`ecograph.analysis.bottlenecks.max_flow` with this one
    source (exact integer Dinic in scipy after scaling the capacities, igraph
    otherwise; ``inf`` when unbounded pipes alone join the two).
    """
    arrays = layer_arrays(eco, currency)
    s = arrays.position(source)
    t = arrays.position(to) if to is not None else None
    if hops is not None and hops < 0:
        raise UsageError(f"hops must be 0 or more, not {hops}")
    if t is not None and t == s:
        raise UsageError("the target of max-flow must differ from the source")

    order, depth = arrays.hop_distances(s)
    near = depth <= hops if hops is not None else np.ones(len(order), dtype=np.bool_)
    hop_map = dict(zip(arrays.names(order[near]), depth[near].tolist(), strict=True))

    arrived, leaving, sent = _trace(arrays, s)
    arrived, leaving = tidy(arrived), tidy(leaving)
    back_to_source = bool(np.isin(arrays.structure_t[[s]].indices, order).any())
    reached = order if back_to_source else order[1:]
    traffic = dict(zip(arrays.names(reached), arrived[reached].tolist(), strict=True))
    left = np.flatnonzero(leaving > 0)
    leaving_map = dict(zip(arrays.names(left), leaving[left].tolist(), strict=True))

    max_flow = cost_per_unit = None
    if to is not None:
        from ecograph.analysis.bottlenecks import max_flow as bottleneck_max_flow
        from ecograph.analysis.cheapest import cheapest

        max_flow = bottleneck_max_flow(eco, to, sources=[source], currency=currency)
        if max_flow > 0:  # the cost of the first unit: the cheapest route's, per unit
            first = cheapest(eco, to, demand=0.0, sources=[source], currency=currency).marginal_cost
            cost_per_unit = float(first) if first is not None else None
    return Reach(
        source=source,
        kind=currency,
        hops=hop_map,
        traffic=traffic,
        leaving=leaving_map,
        sent=sent,
        target=to,
        max_flow=max_flow,
        cost_per_unit=cost_per_unit,
    )


def _trace(arrays: FlowArrays, s: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Traffic of ``s`` arriving at each node, leaving the map at each node, and sent."""
    n = arrays.n
    sent = float(arrays.pipe_out[s])
    if sent == 0.0:
        return np.zeros(n), np.zeros(n), 0.0
    if arrays.closed[s]:
        # flow circulates in the loop for ever and never leaves: unbounded arrivals
        arrived = np.where(arrays.components == arrays.components[s], math.inf, 0.0)
        return arrived, np.zeros(n), sent
    e = np.zeros(n)
    e[s] = 1.0
    T_s = float(arrays.throughflow[s])
    passing = arrays.solve(e, transpose=True) * T_s  # each node's throughflow from s
    passing = np.maximum(passing, 0.0)
    arrived = passing.copy()
    arrived[s] -= T_s
    arrived[s] = max(arrived[s], 0.0)
    # what leaves at each node: its passing traffic times its leak fraction;
    # the source's own first pass sent `sent`, not T_s, so it leaks nothing then
    T = arrays.throughflow
    leak = np.divide(arrays.boundary_out, T, out=np.zeros(n), where=T > 0)
    leaving = arrived * leak
    return arrived, leaving, sent
