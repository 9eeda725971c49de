"""The funnel of one node: per source pool, what its traffic costs and turns into there.

The article asks which traffic is the cheapest and the most valuable
(如何获得最便宜、最有价值的流量). :func:`funnel` answers for one node: for each
pool whose traffic reaches it, how many visits arrive, how many convert into
orders, what they earn, what the node pays for them and what the whole route
costs, per visit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ecograph._aliases import renamed
from ecograph.analysis._linalg import Solver, layer_arrays, tidy
from ecograph.compiled import DOMAINS, KIND_CODE, compiled
from ecograph.formatting import plain
from ecograph.results import MappingResult

if TYPE_CHECKING:
    from ecograph.model import Ecosystem

__all__ = ["Funnel", "funnel"]

_FIELDS = ("visits", "converted", "revenue", "cost_paid", "cost_route")


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _row(values: dict[str, float]) -> dict[str, float]:
    out = dict(values)
    out["cost_per_visit"] = _ratio(values["cost_paid"], values["visits"])
    out["revenue_per_visit"] = _ratio(values["revenue"], values["visits"])
    return out


@dataclass(frozen=True)
class Funnel(MappingResult):
    """What :func:`funnel` found (each field as its Returns section describes).

    ``rows()`` and ``to_frame()``: one row per pool (column ``pool``), without the
    total.
    """

    key_name: ClassVar[str] = "pool"

    target: str
    price: float | None
    sources: dict[str, dict[str, Any]]
    total: dict[str, float]

    def rows(self) -> list[dict[str, Any]]:
        """One row per pool: ``pool`` then the figures of ``sources``."""
        return [
            {"pool": pool, **plain(figures, finite=False)} for pool, figures in self.sources.items()
        ]


@renamed(kind="currency", target="node")
def funnel(eco: Ecosystem, node: str, *, currency: str = "traffic") -> Funnel:
    """Per source pool: visits arriving at ``target``, orders, revenue and cost.

    Parameters
    ----------
    eco : Ecosystem
    node : str
        (``target=``, the former name, is still accepted.)
        The node whose traffic is examined (a shop, a partner, a producer).
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency traced.

    Returns
    -------
    Funnel
        ``target``; ``price`` (the target's price, None when not given);
        ``sources``: per pool (in map order), a dict with ``users`` (the
        pool's users, None when not given), ``domain`` (``public``,
        ``private`` or None), ``visits``, ``converted``, ``revenue``,
        ``cost_paid``, ``cost_route``, ``cost_per_visit`` and
        ``revenue_per_visit`` (``nan``, null in JSON, without visits);
        ``total``: the same sums over the listed pools.

    Notes
    -----
    *Which pools*: the nodes of kind ``pool`` with boundary inflow (after the
    imbalance of each node is closed, see :mod:`ecograph.analysis._linalg`)
    from which an open pipe path leads to ``target``.

    *Tracing* (proportional flow tracing, as :func:`~ecograph.analysis.reach`
    traces, cycles solved exactly): every node passes on what passes it in the
    proportions of its outgoing pipe volumes, ``P[u, v] = F[u, v] / T[u]``
    (``T`` the throughflow); the traffic originating at pool ``s`` passing node
    ``u`` is ``x_s[u] = z_s N[s, u]`` with ``N = (I - P)^{-1}`` and ``z_s`` the
    pool's boundary inflow, and the share of pipe ``p: u -> v`` (volume
    ``f_p``) originating at ``s`` is ``x_s[u] f_p / T[u]``. Traffic that
    enters a pool through a pipe belongs to the pool it originated at. For a
    pool no pipe feeds this is exactly ``reach(eco, s).traffic``.

    With that, for each pool ``s`` (sums over pipes ``p`` of the currency):

    - ``visits``: its traffic arriving at ``target`` through the pipes into
      it, ``sum_{p -> target} x_s[u] f_p / T[u]`` (traffic that comes back
      round a cycle is counted at each arrival);
    - ``converted``: the same weighted by each arriving pipe's ``conversion``
      (none: 0), so parallel pipes convert separately;
    - ``revenue``: ``converted`` times the target's ``price`` (none: 0);
    - ``cost_paid``: what the target pays for those visits: arriving pipes'
      ``cost`` where the target pays (``paid_by: to``);
    - ``cost_route``: what the route costs, whoever pays: on every pipe, the
      pool's traffic on it that goes on to reach the target (the share
      ``r[v]`` of a unit at the pipe's head ``v`` that ever arrives at the
      target, ``r[target] = 1``) times the pipe's ``cost``;
    - ``cost_per_visit = cost_paid / visits``, ``revenue_per_visit =
      revenue / visits``.

    Each sum is ``z_s (N w)[s]`` for a per-node weight ``w``: one sparse solve
    of ``(I - P) y = w`` per measure serves every pool at once (plus one
    solve for ``r``), so the cost does not grow with the number of pools.

    Examples
    --------
    Fans (private, free) and search (public, 0.5 a visit) both send 100 visits
    to a shop that converts 10% of fans and 2% of search visitors at 50 each:

    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: shop
    ... nodes:
    ...   brand:  {kind: partner}
    ...   fans:   {kind: pool, parent: brand, domain: private, inflow: 100}
    ...   search: {kind: pool, domain: public, inflow: 100}
    ...   shop:   {kind: partner, parent: brand, price: 50, outflow: 200}
    ... pipes:
    ...   - {from: fans, to: shop, volume: 100, conversion: 0.1}
    ...   - {from: search, to: shop, volume: 100, conversion: 0.02, cost: 0.5}
    ... ''')
    >>> r = funnel(eco, "shop")
    >>> {s: (v["converted"], v["revenue"], v["cost_per_visit"]) for s, v in r["sources"].items()}
    {'fans': (10.0, 500.0, 0.0), 'search': (2.0, 100.0, 0.5)}
    >>> r["total"]["revenue"], r["total"]["cost_paid"]
    (600.0, 50.0)
    """
    cm = compiled(eco)
    t = cm.row(node, "target")
    arrays = layer_arrays(eco, currency)
    layer = cm.layer(currency)
    n = cm.n
    live = layer.is_open & (layer.src != layer.dst)
    u, v = layer.src[live], layer.dst[live]
    f = layer.volume[live]
    conv = np.nan_to_num(layer.conversion[live], nan=0.0)
    cost = np.nan_to_num(layer.cost[live], nan=0.0)
    paid_by_to = ~layer.paid_by_from[live]
    T = arrays.throughflow
    inv_T = np.divide(1.0, T, out=np.zeros(n), where=T > 0)
    inv_T[arrays.closed] = 0.0
    share = f * inv_T[u]  # P per pipe
    into = v == t

    def per_node(weights: np.ndarray) -> np.ndarray:
        return np.bincount(u, weights=weights, minlength=n).astype(np.float64)

    # r: share of a unit at each node that ever arrives at the target
    P = arrays.routing
    keep = np.ones(n)
    keep[t] = 0.0
    Q = sp.csr_array(P @ sp.diags_array(keep))
    solver = Solver(Q, arrays.components) if n else None
    r = solver.solve(np.asarray(P[:, [t]].toarray()).ravel()) if solver is not None else np.zeros(n)
    r = np.clip(r, 0.0, 1.0)
    r[t] = 1.0
    weights = {
        "visits": per_node(np.where(into, share, 0.0)),
        "converted": per_node(np.where(into, share * conv, 0.0)),
        "cost_paid": per_node(np.where(into & paid_by_to, share * cost, 0.0)),
        "cost_route": per_node(share * cost * r[v]),
    }
    z = arrays.boundary_in
    pool = cm.kind == KIND_CODE["pool"]
    upstream = arrays.reachable(t, reverse=True)
    rows = np.flatnonzero(pool & (z > 0) & upstream & (np.arange(n) != t))
    sums = {
        name: tidy(z[rows] * arrays.solve(w)[rows]) if len(rows) else np.zeros(0)
        for name, w in weights.items()
    }
    price = float(cm.price[t])
    unit_price = 0.0 if math.isnan(price) else price
    sources: dict[str, Any] = {}
    for i, row in enumerate(rows.tolist()):
        values = {name: float(max(sums[name][i], 0.0)) for name in ("visits", "converted")}
        values["revenue"] = float(tidy(np.array([values["converted"] * unit_price]))[0])
        values["cost_paid"] = float(max(sums["cost_paid"][i], 0.0))
        values["cost_route"] = float(max(sums["cost_route"][i], 0.0))
        users = float(cm.users[row])
        domain = int(cm.domain[row])
        sources[cm.ids[row]] = {
            "users": None if math.isnan(users) else users,
            "domain": DOMAINS[domain] if domain >= 0 else None,
            **_row(values),
        }
    total = {name: math.fsum(s[name] for s in sources.values()) for name in _FIELDS}
    return Funnel(
        target=node,
        price=None if math.isnan(price) else price,
        sources=sources,
        total=_row(total),
    )
