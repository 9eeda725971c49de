"""Dependency: what a node's traffic passed through, what it cannot do without, where it comes from.

The founder's question from the other end: my traffic, whose is it? For one
target node :func:`dependency` reports

- ``shares``: the fraction of the target's traffic that passed through each
  upstream node (total dependency coefficients, Szyrmer & Ulanowicz 1987);
- ``loss_if_removed``: the traffic the target loses if that node (or, with
  ``group=True``, a whole sub-ecosystem with its members) disappears and every
  other node keeps routing as before: the same definition read as an amount;
- ``dominators``: nodes that every path from where traffic enters the map to
  the target passes through (single points of failure);
- ``sources``: which boundary inflows the target's traffic started from, and
  their Herfindahl concentration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecograph._aliases import renamed
from ecograph.analysis._linalg import (
    FlowArrays,
    compiled_graph,
    layer_arrays,
    sampled_visits,
    sampled_walk_pairs,
    solve_subsystem,
    tidy,
)
from ecograph.compiled import DOMAINS, compiled
from ecograph.results import Result

if TYPE_CHECKING:
    from ecograph.model import Ecosystem

__all__ = ["Dependency", "dependency"]

#: Random walks used for upstream nodes in components larger than EXACT_LIMIT.
DEFAULT_SAMPLES = 200_000


@dataclass(frozen=True)
class Dependency(Result):
    """What :func:`dependency` found.

    Attributes
    ----------
    target : str
    kind : str
    group : bool
        True when ``shares`` and ``loss_if_removed`` are keyed by groups
        (nodes with members: platforms, sub-ecosystems), False for nodes.
    shares : dict of str to float
        Upstream node (or group) -> fraction in [0, 1] of the target's
        throughflow that passed through it. Nodes with no path of open pipes
        to the target are absent.
    dominators : tuple of str
        Nodes on every path to the target, from the source side to the target.
    loss_if_removed : dict of str to float
        Same keys as ``shares``: throughflow the target loses if that node (or
        group) is removed, routing elsewhere unchanged.
    concentration : float
        Herfindahl index of ``sources`` (1.0: a single origin).
    sources : dict of str to float
        Origin (node with boundary inflow) -> fraction of the target's
        throughflow that entered the map there; the fractions add up to 1.
    throughflow : float
        The target's throughflow.
    exact : bool
        False when some shares were estimated by random walks (upstream nodes
        in strongly connected components too large to invert).
    private_share : float
        Fraction of the target's throughflow that entered the map at private
        pools (``domain: private``: fans, group chats): the traffic that is
        its own or a friend's rather than bought or shared from a giant.
    """

    target: str
    kind: str
    group: bool
    shares: dict[str, float]
    dominators: tuple[str, ...]
    loss_if_removed: dict[str, float]
    concentration: float
    sources: dict[str, float]
    throughflow: float = 0.0
    exact: bool = True
    private_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data with the keys of the issue, plus ``exact``.

        Examples
        --------
        >>> d = Dependency("t", "traffic", False, {"a": 1.0}, ("a",), {"a": 5.0}, 1.0, {"a": 1.0})
        >>> d.to_dict()["dominators"]
        ['a']
        """
        return {
            "target": self.target,
            "shares": dict(self.shares),
            "dominators": list(self.dominators),
            "loss_if_removed": dict(self.loss_if_removed),
            "concentration": self.concentration,
            "sources": dict(self.sources),
            "exact": self.exact,
            "private_share": self.private_share,
        }


@renamed(kind="currency", target="node")
def dependency(
    eco: Ecosystem,
    node: str,
    *,
    currency: str = "traffic",
    group: bool = False,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Dependency:
    """How much of ``target``'s traffic depends on each upstream node or group.

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    node : str
        (``target=``, the former name, is still accepted.)
        The node whose traffic is examined.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency; other currencies are ignored.
    group : bool, default False
        Key ``shares`` and ``loss_if_removed`` by groups instead of nodes: each
        node that has members (via ``parent``) stands for itself and all its
        members, removed together. Groups that contain the target are left out.
    samples : int, default 200000
        Random walks for upstream nodes in strongly connected components of
        more than 2,000 nodes (see Notes); unused otherwise.
    seed : int, default 0
        Seed of those walks.

    Returns
    -------
    Dependency

    Raises
    ------
    UsageError
        An unknown node or currency, or a target in a closed loop.

    Examples
    --------
    Two pools feed a shop, one directly and one through a platform:

    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   wechat:   {kind: pool, inflow: 30}
    ...   taobao:   {kind: pool, inflow: 10}
    ...   platform: {kind: platform}
    ...   shop:     {kind: partner, outflow: 40}
    ... pipes:
    ...   - {from: wechat, to: platform, volume: 30}
    ...   - {from: platform, to: shop, volume: 30}
    ...   - {from: taobao, to: shop, volume: 10}
    ... ''')
    >>> d = dependency(eco, "shop")
    >>> dict(d.shares)
    {'wechat': 0.75, 'taobao': 0.25, 'platform': 0.75}
    >>> dict(d.loss_if_removed)
    {'wechat': 30.0, 'taobao': 10.0, 'platform': 30.0}
    >>> d.dominators, dict(d.sources), d.concentration
    ((), {'wechat': 0.75, 'taobao': 0.25}, 0.625)

    Without the Taobao pipe, WeChat and the platform are single points of
    failure:

    >>> dependency(eco, "platform").dominators
    ('wechat',)

    Notes
    -----
    With throughflow ``T``, routing fractions ``P = diag(1/T) F`` and the
    integral flow matrix ``N = (I - P)^{-1}`` (see
    :mod:`ecograph.analysis._linalg` for unbalanced maps), the traffic of
    target ``t`` that passed through ``i`` is what first reached ``i``
    (``T_i / N_ii``) times every way on from ``i`` to ``t`` (``N_it``):

    ``share_i = T_i N_it / (N_ii T_t)``

    which is enaR's total dependency coefficient ``TDC`` (``enaFlow``, after
    Szyrmer & Ulanowicz 1987, as in Kay, Graham & Ulanowicz 1989). Splitting
    every walk into the target at its first visit to ``i`` shows it is also
    exactly the share of ``T_t`` lost when ``i`` is removed (its row, column
    and boundary inflow zeroed) while every other node keeps its routing
    fractions; ``loss_if_removed`` is that amount. The tests compute both
    readings independently and check they agree. A group's loss is computed
    the second way (one solve on the target's upstream nodes without the
    group).

    ``sources``: ``z'_o N_ot / T_t`` for each origin ``o`` (``z'`` boundary
    inflow after closing imbalances); ``T = N^T z'`` makes them add up to 1.
    ``concentration`` is their Herfindahl index ``sum(source^2)``;
    ``private_share`` the sum over the origins that are private pools.

    ``dominators``: the dominator tree of the open pipes of the currency
    (whatever their volume) with a virtual super-source linked to every
    origin (or, in a map without flow figures, every node no pipe reaches);
    the target's dominators are its ancestors in that tree. Built once per
    map and currency by igraph (Lengauer-Tarjan), or by
    :func:`networkx.immediate_dominators` (Cooper-Harvey-Kennedy) without
    igraph; since networkx 3.6 that result omits the start node, which is
    never needed here.

    Cost: one sparse solve for column ``t`` of ``N`` (block-triangular LU or
    GMRES, see :class:`ecograph.analysis._linalg.Solver`), ``N_ii``
    per strongly connected component (1 off cycles, dense inverse up to
    2,000 nodes), one breadth-first search and one dominator tree ``O(m
    alpha(m))``. Upstream nodes in larger components get ``share_i``
    estimated by ``samples`` walks that trace units of the target's
    throughflow back to where they entered (standard error at most
    ``sqrt(s (1 - s) / samples)``); ``exact`` is then False. With ``group=True``
    each upstream group costs one more solve (or, in the sampled case, is
    read from the same walks).
    """
    arrays = layer_arrays(eco, currency)
    t = arrays.position(node)
    if arrays.closed[t]:
        raise arrays.closed_loop_error(t, "target")
    n = arrays.n
    T = arrays.throughflow
    T_t = float(T[t])
    upstream = arrays.reachable(t, reverse=True)
    upstream[t] = False
    if T_t > 0:
        e = np.zeros(n)
        e[t] = 1.0
        into_t = np.maximum(arrays.solve(e), 0.0)  # N[:, t]
    else:
        into_t = np.zeros(n)

    origins = arrays.origins
    from_origin = np.zeros(len(origins))
    if T_t > 0:
        from_origin = tidy(arrays.boundary_in[origins] * into_t[origins] / T_t)
    keep = from_origin > 0
    sources = dict(zip(arrays.names(origins[keep]), from_origin[keep].tolist(), strict=True))
    concentration = float(np.square(from_origin[keep]).sum())
    private = compiled(eco).domain[origins] == DOMAINS.index("private")
    private_share = float(tidy(np.array([math.fsum(from_origin[private].tolist())]))[0])

    positions = np.flatnonzero(upstream)
    if group:
        keys, share_values, exact = _group_shares(
            eco, arrays, t, upstream, into_t, samples=samples, seed=seed
        )
    else:
        share_values, exact = _node_shares(arrays, t, positions, into_t, samples=samples, seed=seed)
        keys = arrays.names(positions)
    share_values = tidy(np.clip(share_values, 0.0, 1.0))
    shares = dict(zip(keys, share_values.tolist(), strict=True))
    losses = dict(zip(keys, tidy(share_values * T_t).tolist(), strict=True))
    return Dependency(
        target=node,
        kind=currency,
        group=group,
        shares=shares,
        dominators=tuple(arrays.names(_dominators(arrays, t))),
        loss_if_removed=losses,
        concentration=concentration,
        sources=sources,
        throughflow=T_t,
        exact=exact,
        private_share=private_share,
    )


def _node_shares(
    arrays: FlowArrays,
    t: int,
    positions: np.ndarray,
    into_t: np.ndarray,
    *,
    samples: int,
    seed: int,
) -> tuple[np.ndarray, bool]:
    """Total dependency coefficients of ``positions`` on ``t``; exact or partly sampled."""
    T = arrays.throughflow
    T_t = float(T[t])
    if T_t == 0 or len(positions) == 0:
        return np.zeros(len(positions)), True
    diag, known = arrays.integral_diagonal(positions)
    values = np.zeros(len(positions))
    values[known] = T[positions[known]] * into_t[positions[known]] / (diag[known] * T_t)
    if known.all():
        return values, True
    nodes, counts = sampled_visits(arrays, t, samples, seed)
    estimate = np.zeros(arrays.n)
    estimate[nodes] = counts / samples
    values[~known] = estimate[positions[~known]]
    return values, False


def knockout_loss(arrays: FlowArrays, t: int, removed: np.ndarray) -> float:
    """Throughflow ``t`` loses when the nodes of ``removed`` are taken out, routing held fixed.

    The second reading of the total dependency coefficient: solve the flow
    equations again without the removed nodes (their pipes and boundary
    inflow gone, every other node still passing on the same fractions of its
    original throughflow) and compare. Only nodes upstream of ``t`` matter.
    """
    T_t = float(arrays.throughflow[t])
    if T_t == 0:
        return 0.0
    keep = arrays.reachable(t, reverse=True) & ~removed
    if not keep[t]:
        return T_t
    e = np.zeros(arrays.n)
    e[t] = 1.0
    into_t = solve_subsystem(arrays, keep, e)
    remaining = float((arrays.boundary_in[keep] * into_t[keep]).sum())
    return max(T_t - remaining, 0.0)


def _groups(eco: Ecosystem, arrays: FlowArrays) -> list[tuple[str, np.ndarray]]:
    """Each node with members, with the positions of itself and all its members."""
    out: list[tuple[str, np.ndarray]] = []
    parents = {node.parent for node in eco.nodes.values() if node.parent is not None}
    for node in eco.nodes:
        if node in parents:
            members = [node, *eco.members(node)]
            out.append((node, np.array([arrays.index[m] for m in members], dtype=np.int64)))
    return out


def _group_shares(
    eco: Ecosystem,
    arrays: FlowArrays,
    t: int,
    upstream: np.ndarray,
    into_t: np.ndarray,
    *,
    samples: int,
    seed: int,
) -> tuple[list[str], np.ndarray, bool]:
    T_t = float(arrays.throughflow[t])
    chosen: list[tuple[str, np.ndarray]] = [
        (name, members)
        for name, members in _groups(eco, arrays)
        if t not in members and upstream[members].any()
    ]
    keys = [name for name, _ in chosen]
    values = np.zeros(len(chosen))
    if T_t == 0 or not chosen:
        return keys, values, True
    if arrays.exact_diagonal(np.flatnonzero(upstream)).all():
        for k, (_, members) in enumerate(chosen):
            removed = np.zeros(arrays.n, dtype=np.bool_)
            removed[members] = True
            values[k] = knockout_loss(arrays, t, removed) / T_t
        return keys, values, True
    walks = _sampled_group_visits(arrays, t, chosen, samples, seed)
    return keys, walks, False


def _sampled_group_visits(
    arrays: FlowArrays,
    t: int,
    chosen: Sequence[tuple[str, np.ndarray]],
    samples: int,
    seed: int,
) -> np.ndarray:
    """Share of traced-back units of ``t``'s throughflow that passed through each group."""
    walk, node = sampled_walk_pairs(arrays, t, samples, seed)
    out = np.zeros(len(chosen))
    for k, (_, members) in enumerate(chosen):
        inside = np.zeros(arrays.n, dtype=np.bool_)
        inside[members] = True
        out[k] = len(np.unique(walk[inside[node]])) / samples
    return out


def _dominators(arrays: FlowArrays, t: int) -> list[int]:
    """Dominators of ``t`` from the origins, from the source side to ``t``."""
    origins = arrays.origins
    if t in set(origins.tolist()) or len(origins) == 0:
        return []
    idom = _dominator_tree(arrays)
    n = arrays.n
    chain: list[int] = []
    d = idom.get(t)
    while d is not None and d != n:
        chain.append(d)
        d = idom.get(d)
    return chain[::-1]


def _dominator_tree(arrays: FlowArrays) -> Mapping[int, int]:
    """Immediate dominator of every node reached from the super-source ``n`` (cached)."""
    cached: dict[int, int] | None = arrays.memo.get("idom")
    if cached is not None:
        return cached
    n = arrays.n
    graph = compiled_graph(arrays)
    if graph is None:  # without igraph
        S = arrays.structure.tocoo()
        origins = arrays.origins
        rows = np.concatenate([S.row.astype(np.int64), np.full(len(origins), n, np.int64)])
        cols = np.concatenate([S.col.astype(np.int64), origins])
        tree = _networkx_dominators(n, rows, cols)
    else:
        raw = np.asarray(graph.dominator(n, mode="out"), dtype=np.float64)
        ok = np.isfinite(raw) & (raw >= 0)
        nodes, parents = np.flatnonzero(ok).tolist(), raw[ok].astype(np.int64).tolist()
        tree = dict(zip(nodes, parents, strict=True))
    arrays.memo["idom"] = tree
    return tree


def _networkx_dominators(n: int, rows: np.ndarray, cols: np.ndarray) -> dict[int, int]:
    import networkx as nx

    G = nx.DiGraph()
    G.add_node(n)
    G.add_edges_from(zip(rows.tolist(), cols.tolist(), strict=True))
    idom: dict[int, int] = nx.immediate_dominators(G, n)
    idom.pop(n, None)  # networkx < 3.6 lists the start node as its own dominator
    return idom
