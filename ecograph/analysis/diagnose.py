"""Diagnosis: the article's question, asked of every partner, producer and channel.

*Why does this partner get no traffic?* Either the pipe to it is **empty** (no
pool upstream), **blocked** (water upstream, the pipe shut), or **narrow** (a
full pipe far smaller than what upstream carries); or it lives on **one giant**
alone, **overuses** a pool, or does not **fit** the genes of the ecosystem that
hosts it. Each node gets one status (the first that applies, in that order),
every finding that applies, a sentence per finding, and the numbers behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import networkx as nx

from ecograph._suggest import did_you_mean
from ecograph.analysis.fit import PoolDraws, judge_fit
from ecograph.errors import UsageError
from ecograph.graph import flow_layer
from ecograph.model import Ecosystem

__all__ = ["DIAGNOSED_KINDS", "STATUSES", "Diagnosis", "diagnose"]

#: Node kinds that get a diagnosis.
DIAGNOSED_KINDS: tuple[str, ...] = ("partner", "producer", "channel")
#: Statuses, most severe first; a node's status is the first that applies.
STATUSES: tuple[str, ...] = (
    "empty-pipe",
    "blocked-pipe",
    "narrow-pipe",
    "single-giant",
    "overuse",
    "poor-fit",
    "healthy",
)


@dataclass(frozen=True)
class Diagnosis:
    """The diagnosis of one node.

    Attributes
    ----------
    node : str
    status : str
        One of :data:`STATUSES`.
    findings : tuple of str
        Every status that applies, most severe first (``("healthy",)`` if none).
    reasons : tuple of str
        One sentence per finding.
    evidence : Mapping[str, Any]
        The numbers behind the findings (JSON-ready).
    """

    node: str
    status: str
    findings: tuple[str, ...]
    reasons: tuple[str, ...]
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"status", "reasons", "evidence", "findings"}``.

        Examples
        --------
        >>> Diagnosis("a", "healthy", ("healthy",), ("ok",)).to_dict()["status"]
        'healthy'
        """
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "evidence": dict(self.evidence),
            "findings": list(self.findings),
        }


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _giant(eco: Ecosystem, origin: str) -> str:
    chain = eco.ancestors_in_tree(origin)
    return chain[-1] if chain else origin


def _blocked_on_the_way(
    eco: Ecosystem,
    kind: str,
    target: str,
    wet: set[str],
    open_layer: nx.DiGraph,
    all_layer: nx.DiGraph,
) -> list[str]:
    """Blocked pipes between the water and ``target``: those whose opening alone
    would let traffic through if there are any, else every blocked pipe on the way."""
    blocked = [
        (u, v, key)
        for u, v, key, e in eco.graph.edges(keys=True, data=True)
        if e["kind"] == kind and e["status"] == "blocked"
    ]
    alone = sorted(
        key
        for u, v, key in blocked
        if u in wet and (v == target or target in nx.descendants(open_layer, v))
    )
    if alone:
        return alone
    wet_all = set(wet)
    for u in wet:
        wet_all |= nx.descendants(all_layer, u)
    return sorted(
        key
        for u, v, key in blocked
        if u in wet_all and (v == target or target in nx.descendants(all_layer, v))
    )


def diagnose(
    eco: Ecosystem,
    *,
    node: str | None = None,
    kind: str = "traffic",
    narrow: float = 0.5,
    saturation: float = 0.9,
    giant: float = 0.9,
    overuse: float = 0.5,
    fit: float = 0.25,
) -> dict[str, Diagnosis]:
    """Diagnose partners, producers and channels: why do they get the traffic they get?

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    node : str, optional
        Diagnose this node only (any kind); by default every node whose kind
        is in :data:`DIAGNOSED_KINDS`, in map order.
    kind : str, default "traffic"
        The currency examined.
    narrow : float, default 0.5
        ``narrow-pipe`` when the max-flow that the pipes allow into the node is
        below this share of what the nodes feeding it carry, and a pipe on the
        minimum cut is saturated.
    saturation : float, default 0.9
        A pipe is saturated when its volume is at least this share of its capacity.
    giant : float, default 0.9
        ``single-giant`` when the Herfindahl index of the node's origins,
        grouped by giant (a top-level node and everything inside it), is at
        least this; traffic the node brings itself (its own ``inflow``) counts
        as its own, not a giant's.
    overuse : float, default 0.5
        ``overuse`` when a partner or producer draws more than this share of
        what a pool sends down its pipes (channels are the ecosystem's
        plumbing and a node's own pools are its own: neither is judged).
    fit : float, default 0.25
        ``poor-fit`` when less than this share of the node's ``tags`` are among
        the ``genes`` of its host (the nearest container with genes). Judged
        only when both have some.

    Returns
    -------
    dict of str to Diagnosis

    Raises
    ------
    UsageError
        An unknown node or currency, or a threshold outside [0, 1].

    Notes
    -----
    Definitions, in the order they are tried:

    * ``empty-pipe``: no node with boundary inflow reaches the node through
      open pipes of ``kind`` ("no water").
    * ``blocked-pipe``: a source reaches it only if blocked pipes were opened
      ("water, but the pipe is shut"); the blocked pipes on those paths are named.
    * ``narrow-pipe``: see ``narrow``; the max-flow and cut come from
      :func:`ecograph.analysis.bottlenecks.bottlenecks`.
    * ``single-giant``: origin shares from
      :func:`ecograph.analysis.dependency.dependency` (``sources``), summed per giant.
    * ``overuse``: direct pipes from a pool, as a share of the pool's piped
      volume (:class:`ecograph.analysis.fit.PoolDraws`), for nodes traffic reaches.
    * ``poor-fit``: share of tags covered by the host's genes (overlap
      coefficient ``|tags & genes| / |tags|``, words compared case-insensitively:
      :func:`ecograph.analysis.fit.judge_fit`).

    Nodes with no pipe and no boundary flow of ``kind`` are not judged (a
    logistics node has no traffic to diagnose).

    Reachability is breadth-first search, O(N + E) per currency; the narrow
    check runs a max-flow only for nodes with a saturated pipe upstream.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   pool:   {kind: pool, inflow: 100}
    ...   shop:   {kind: partner, outflow: 100}
    ...   ghost:  {kind: partner}
    ...   nobody: {kind: channel}
    ... pipes:
    ...   - {from: pool, to: shop, volume: 100}
    ...   - {from: nobody, to: ghost}
    ... ''')
    >>> {n: d.status for n, d in diagnose(eco).items()}
    {'shop': 'single-giant', 'ghost': 'empty-pipe', 'nobody': 'empty-pipe'}
    """
    from ecograph.analysis.bottlenecks import bottlenecks
    from ecograph.analysis.dependency import dependency

    for name, value in (
        ("narrow", narrow),
        ("saturation", saturation),
        ("giant", giant),
        ("overuse", overuse),
        ("fit", fit),
    ):
        if not 0.0 <= value <= 1.0:
            raise UsageError(f"--{name} must be between 0 and 1, found {value}")
    if node is not None and node not in eco.nodes:
        raise UsageError(f"unknown node {node!r}{did_you_mean(node, eco.nodes)}")
    targets = (
        [node]
        if node is not None
        else [n.id for n in eco.nodes.values() if n.kind in DIAGNOSED_KINDS]
    )
    open_layer = flow_layer(eco.graph, kind)
    all_layer = flow_layer(eco.graph, kind, include_blocked=True)
    sources = [n for n, d in open_layer.nodes(data=True) if d["inflow"] > 0]
    wet: set[str] = set()
    for s in sources:
        if s not in wet:
            wet |= nx.descendants(open_layer, s) | {s}
    wet_if_opened: set[str] = set()
    for s in sources:
        if s not in wet_if_opened:
            wet_if_opened |= nx.descendants(all_layer, s) | {s}
    received = {
        n: d["inflow"] + sum(e["volume"] for _, _, e in open_layer.in_edges(n, data=True))
        for n, d in open_layer.nodes(data=True)
    }
    saturated_heads = {
        v
        for _, v, e in eco.graph.edges(data=True)
        if e["kind"] == kind
        and e["status"] == "open"
        and e["capacity"] != float("inf")
        and e["capacity"] > 0
        and e["volume"] >= saturation * e["capacity"]
    }
    draws = PoolDraws(eco, kind)

    touched = {n for edge in all_layer.edges for n in edge}
    touched |= {n for n, d in all_layer.nodes(data=True) if d["inflow"] or d["outflow"]}
    if node is not None and node not in touched:
        raise UsageError(
            f"node {node!r} has no {kind} pipes or boundary flow; choose another --kind"
        )
    out: dict[str, Diagnosis] = {}
    for target in targets:
        if target not in touched:
            continue
        findings: list[str] = []
        reasons: list[str] = []
        evidence: dict[str, Any] = {"received": received.get(target, 0.0)}

        if target not in wet:
            if target in wet_if_opened:
                blocked = _blocked_on_the_way(eco, kind, target, wet, open_layer, all_layer)
                findings.append("blocked-pipe")
                reasons.append(
                    "traffic is upstream but every path to it is blocked, at: " + ", ".join(blocked)
                )
                evidence["blocked_pipes"] = blocked
            else:
                feeders = sorted(open_layer.predecessors(target))
                findings.append("empty-pipe")
                reasons.append(
                    "no pool or other source reaches it: "
                    + (
                        f"the nodes feeding it ({', '.join(feeders)}) receive no {kind} themselves"
                        if feeders
                        else f"no open {kind} pipe leads to it"
                    )
                )
                evidence["feeders"] = feeders
        else:
            upstream = nx.ancestors(open_layer, target)
            if target in saturated_heads or upstream & saturated_heads:
                supply = sum(received[u] for u in open_layer.predecessors(target))
                cut = bottlenecks(eco, target, kind=kind, threshold=saturation)
                flow = float(cut["max_flow"])
                saturated_keys = {p["key"] for p in cut["saturated"]}
                cut_full = [p["key"] for p in cut["min_cut"] if p["key"] in saturated_keys]
                if cut_full and flow < narrow * supply:
                    findings.append("narrow-pipe")
                    reasons.append(
                        f"the pipes allow at most {_fmt(flow)} while the nodes feeding it carry "
                        f"{_fmt(supply)}; full pipe(s) on the cut: {', '.join(cut_full)}"
                    )
                    evidence.update(max_flow=flow, upstream_supply=supply, cut=cut_full)
            origins = dependency(eco, target, kind=kind).sources
            per_giant: dict[str, float] = {}
            for origin, share in origins.items():
                owner = target if origin == target else _giant(eco, origin)
                per_giant[owner] = per_giant.get(owner, 0.0) + share
            concentration = sum(share * share for share in per_giant.values())
            evidence["origins"] = dict(origins)
            evidence["giants"] = per_giant
            evidence["giant_concentration"] = concentration
            top_giant, top_share = max(per_giant.items(), key=lambda gs: gs[1])
            if concentration >= giant and top_giant != target:
                findings.append("single-giant")
                reasons.append(
                    f"its {kind} depends on one giant: {top_share:.0%} originates in "
                    f"{top_giant} (Herfindahl index over giants {concentration:.2f})"
                )
            drawn = draws.overuse(target, overuse)
            if drawn:
                findings.append("overuse")
                reasons.append(
                    "draws "
                    + ", ".join(f"{share:.0%} of what pool {p} sends" for p, share in drawn.items())
                )
                evidence["overuse"] = drawn
        judged = judge_fit(eco, target, threshold=fit)
        if judged.score is not None:
            evidence["fit"] = {
                "host": judged.host,
                "score": judged.score,
                "overlap": sorted(judged.matched),
            }
            if judged.poor_fit:
                findings.append("poor-fit")
                reasons.append(
                    f"only {judged.score:.0%} of its tags ({', '.join(sorted(judged.tags))}) are "
                    f"among the genes of its host {judged.host} ({', '.join(sorted(judged.genes))})"
                )
        if not findings:
            findings.append("healthy")
            reasons.append(f"receives {_fmt(received.get(target, 0.0))} {kind} per {eco.period}")
        out[target] = Diagnosis(
            node=target,
            status=findings[0],
            findings=tuple(findings),
            reasons=tuple(reasons),
            evidence=MappingProxyType(evidence),
        )
    return out
