"""Fit and overuse: does a partner fit its host's genes, fill a gap, or overuse a pool?

The article's conditions for sharing a giant's traffic: a partner must **fit
the ecosystem's genes** (a pond feeds fish, not cattle), should **fill a gap**
the host lacks (complementarity), and must **not overuse** a pool. This module
is the one definition of fit and gaps (:func:`ecograph.analysis.diagnose.diagnose`
scores ``poor-fit`` the same way, over the compiled columns); ``diagnose`` judges
overuse against a pool's whole throughflow rather than what it sends down pipes.

Words
-----
A node's ``tags`` say what it is or does; a node's ``genes`` say what an
ecosystem is made to feed. Words are compared **case-insensitively** (after
``str.casefold`` and trimming spaces): ``Retail`` and ``retail`` are one word.
Reports show each word as the map first spells it.

Host
----
The host of a node is its nearest container (``parent``, grandparent, ...)
that has genes: the pond it swims in. A node is judged against that host only.

Gaps
----
A gene of a host is *carried* when some partner, producer or channel inside
the host (at any depth) has it among its tags, and is a *gap* otherwise. A node
*fills* a gap of a host it is not inside when one of its tags is that gap: it
would complement that ecosystem.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ecograph._aliases import renamed
from ecograph._perf import gc_paused
from ecograph._suggest import did_you_mean
from ecograph.errors import UsageError
from ecograph.model import Ecosystem, check_currency
from ecograph.results import Result

__all__ = [
    "FIT_KINDS",
    "MEASURES",
    "OVERUSE_KINDS",
    "FitReport",
    "HostGenes",
    "Overuse",
    "PartnerFit",
    "PoolDraws",
    "fit",
    "host_of",
    "judge_fit",
    "similarity",
    "tag_weights",
    "word_key",
]

#: Fit measures: overlap ``|T & G| / |T|``, jaccard ``|T & G| / |T or G|``, weighted (idf Jaccard).
MEASURES: tuple[str, ...] = ("overlap", "jaccard", "weighted")
#: Node kinds judged for fit and counted as carriers of a host's genes.
FIT_KINDS: tuple[str, ...] = ("partner", "producer", "channel")
#: Node kinds judged for overuse (a channel is the ecosystem's plumbing: exempt).
OVERUSE_KINDS: tuple[str, ...] = ("partner", "producer")


def word_key(word: str) -> str:
    """The form in which tags and genes are compared: case-folded, spaces trimmed.

    Examples
    --------
    >>> word_key(" Retail "), word_key("STRASSE") == word_key("straße")
    ('retail', True)
    """
    return word.strip().casefold()


_cached_key = functools.lru_cache(maxsize=1 << 16)(word_key)


def _words(words: Iterable[str]) -> dict[str, str]:
    """``{key: first spelling}`` in the order written (duplicates dropped)."""
    out: dict[str, str] = {}
    for word in words:
        out.setdefault(_cached_key(word), word)
    return out


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"{name} must be between 0 and 1, found {value}")


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise UsageError(
            f"unknown measure {measure!r}{did_you_mean(measure, MEASURES)}; "
            f"expected one of {', '.join(MEASURES)}"
        )


def similarity(
    tags: Iterable[str],
    genes: Iterable[str],
    measure: str = "overlap",
    weights: Mapping[str, float] | None = None,
) -> float:
    """How well a set of tags matches a set of genes, in [0, 1].

    Parameters
    ----------
    tags, genes : iterable of str
        The words; compared case-insensitively (:func:`word_key`), duplicates ignored.
        Both must be non-empty.
    measure : {"overlap", "jaccard", "weighted"}, default "overlap"
        ``overlap``: the share of the tags that are genes, ``|T & G| / |T|``
        (how much of the tags the genes contain: a partner doing one thing
        the host feeds fits fully, however many genes the host has).
        ``jaccard``: ``|T & G| / |T or G|`` (``or``: union); genes the partner lacks lower it too.
        ``weighted``: weighted Jaccard ``sum(w[T & G]) / sum(w[T or G])`` with the
        word weights ``weights`` (see :func:`tag_weights`).
    weights : mapping of str to float, optional
        Positive weight per word key; required for ``weighted``, where every
        word of ``tags`` and ``genes`` must have one.

    Returns
    -------
    float

    Raises
    ------
    UsageError
        An unknown measure, empty tags or genes, or a missing or non-positive weight.

    Examples
    --------
    >>> similarity(["retail", "shoes"], ["retail", "food"])
    0.5
    >>> similarity(["retail", "shoes"], ["Retail", "food"], "jaccard")  # 1 of 3 words
    0.3333333333333333
    >>> similarity(["a", "b"], ["a", "c"], "weighted", {"a": 2.0, "b": 1.0, "c": 1.0})
    0.5
    """
    _check_measure(measure)
    return _score(set(_words(tags)), set(_words(genes)), measure, weights)


def _score(t: set[str], g: set[str], measure: str, weights: Mapping[str, float] | None) -> float:
    """:func:`similarity` of word keys (measure already checked)."""
    if not t or not g:
        raise UsageError("similarity needs at least one tag and one gene")
    common = t & g
    if measure == "overlap":
        return len(common) / len(t)
    if measure == "jaccard":
        return len(common) / len(t | g)
    if weights is None:
        raise UsageError("the weighted measure needs word weights (see tag_weights)")
    union = t | g
    missing = sorted(w for w in union if w not in weights or not weights[w] > 0)
    if missing:
        raise UsageError(f"no positive weight for: {', '.join(missing)}")
    # sort so the sums do not depend on set order (bit-for-bit reproducible)
    return sum(weights[w] for w in sorted(common)) / sum(weights[w] for w in sorted(union))


def tag_weights(eco: Ecosystem) -> dict[str, float]:
    """Word weights for the ``weighted`` measure: smoothed inverse document frequency.

    ``w(x) = ln((1 + N) / (1 + df(x))) + 1``, where ``N`` is the number of
    partners, producers and channels of the map that have tags and ``df(x)``
    how many of them carry word ``x``. This is the smoothed idf of
    scikit-learn's ``TfidfTransformer`` (``smooth_idf=True``): a word every
    partner has weighs 1, a rare one up to ``ln(1 + N) + 1``; it is finite for a
    gene no partner carries (``df = 0``) and never zero, so every word counts a
    little. Why: sharing a rare gene with the host (``attendance`` on DingTalk)
    says more about fit than sharing a word everybody has (``saas``), and
    missing a rare gene says more than missing a common one.

    Parameters
    ----------
    eco : Ecosystem

    Returns
    -------
    dict of str to float
        A weight for every word key (:func:`word_key`) used as a tag or gene
        in the map, in first-seen order.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: w
    ... nodes:
    ...   host: {kind: platform, genes: [retail, food]}
    ...   a: {kind: partner, parent: host, tags: [retail]}
    ...   b: {kind: partner, parent: host, tags: [retail, shoes]}
    ... ''')
    >>> {k: round(v, 4) for k, v in tag_weights(eco).items()}  # N = 2
    {'retail': 1.0, 'food': 2.0986, 'shoes': 1.4055}
    """
    df: dict[str, int] = {}
    n = 0
    for node in eco.nodes.values():
        if node.kind in FIT_KINDS and node.tags:
            n += 1
            for key in _words(node.tags):
                df[key] = df.get(key, 0) + 1
    words: dict[str, None] = {}
    for node in eco.nodes.values():
        for key in _words((*node.genes, *node.tags)):
            words[key] = None
    return {w: math.log((1 + n) / (1 + df.get(w, 0))) + 1.0 for w in words}


def host_of(eco: Ecosystem, node: str) -> str | None:
    """The host of ``node``: its nearest container with genes, or None.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.load("ecosystems/alibaba.yaml")
    >>> host_of(eco, "attendance-maker"), host_of(eco, "alibaba")
    ('dingtalk', None)
    """
    for ancestor in eco.ancestors_in_tree(node):
        if eco.nodes[ancestor].genes:
            return ancestor
    return None


@dataclass(frozen=True)
class PartnerFit(Result):
    """How one node fits its host's genes.

    Attributes
    ----------
    node, kind : str
    host : str or None
        Nearest container with genes (see :func:`host_of`).
    tags : tuple of str
        The node's tags (duplicates dropped, as first spelled).
    genes : tuple of str
        The host's genes (empty without a host).
    matched, missing : tuple of str
        The tags that are / are not among the genes.
    score : float or None
        The fit under ``measure``; None when not judged.
    poor_fit : bool or None
        ``score < threshold``; None when not judged.
    reason : str or None
        Why the node is not judged (no host, or no tags); None when judged.
    fills : Mapping[str, tuple of str]
        Per host the node is not inside: the gaps of that host its tags fill.
    """

    node: str
    kind: str
    host: str | None
    tags: tuple[str, ...]
    genes: tuple[str, ...]
    matched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    score: float | None = None
    poor_fit: bool | None = None
    reason: str | None = None
    fills: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def judged(self) -> bool:
        """True when the node has a host and tags, so it has a score."""
        return self.score is not None

    def rows(self) -> list[dict[str, Any]]:
        """One row: ``node`` then :meth:`to_dict`."""
        return [{"node": self.node, **self.to_dict()}]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-ready.

        Examples
        --------
        >>> PartnerFit("a", "partner", None, ("x",), (), reason="no host").to_dict()["reason"]
        'no host'
        """
        return {
            "kind": self.kind,
            "host": self.host,
            "tags": list(self.tags),
            "genes": list(self.genes),
            "matched": list(self.matched),
            "missing": list(self.missing),
            "score": self.score,
            "poor_fit": self.poor_fit,
            "judged": self.judged,
            "reason": self.reason,
            "fills": {h: list(g) for h, g in self.fills.items()},
        }


def judge_fit(
    eco: Ecosystem,
    node: str,
    *,
    measure: str = "overlap",
    threshold: float = 0.25,
    weights: Mapping[str, float] | None = None,
) -> PartnerFit:
    """Judge how one node's tags fit its host's genes (without the gaps it fills).

    Parameters
    ----------
    eco : Ecosystem
    node : str
        Any node id.
    measure : {"overlap", "jaccard", "weighted"}, default "overlap"
        See :func:`similarity`.
    threshold : float, default 0.25
        ``poor_fit`` when the score is below this.
    weights : mapping, optional
        Word weights for ``weighted``; :func:`tag_weights` of the map when omitted.

    Returns
    -------
    PartnerFit

    Raises
    ------
    UsageError
        An unknown node or measure, or a threshold outside [0, 1].

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.load("ecosystems/alibaba.yaml")
    >>> f = judge_fit(eco, "hen-seller")
    >>> f.host, f.matched, f.missing, f.score, f.poor_fit
    ('rural-taobao', (), ('live-poultry', 'livestock'), 0.0, True)
    """
    _check_measure(measure)
    _check_share("threshold", threshold)
    if node not in eco.nodes:
        raise UsageError(f"unknown node {node!r}{did_you_mean(node, eco.nodes)}")
    if measure == "weighted" and weights is None:
        weights = tag_weights(eco)
    item = eco.nodes[node]
    host = host_of(eco, node)
    genes = _words(eco.nodes[host].genes) if host is not None else {}
    return _judge(item.id, item.kind, host, _words(item.tags), genes, measure, threshold, weights)


def _judge(
    node: str,
    kind: str,
    host: str | None,
    tags: dict[str, str],
    genes: dict[str, str],
    measure: str,
    threshold: float,
    weights: Mapping[str, float] | None,
    fills: Mapping[str, tuple[str, ...]] | None = None,
) -> PartnerFit:
    """The :class:`PartnerFit` of a node, from its tags and its host's genes (word dicts)."""
    fills = dict(fills or {})
    if host is None or not tags:
        reason = (
            "no container of it has genes" if host is None else f"it has no tags to match {host}"
        )
        return PartnerFit(
            node,
            kind,
            host,
            tuple(tags.values()),
            tuple(genes.values()),
            reason=reason,
            fills=fills,
        )
    score = _score(set(tags), set(genes), measure, weights)
    return PartnerFit(
        node=node,
        kind=kind,
        host=host,
        tags=tuple(tags.values()),
        genes=tuple(genes.values()),
        matched=tuple(w for k, w in tags.items() if k in genes),
        missing=tuple(w for k, w in tags.items() if k not in genes),
        score=score,
        poor_fit=score < threshold,
        fills=fills,
    )


@dataclass(frozen=True)
class HostGenes(Result):
    """A host's genes and which of them the nodes inside it carry.

    Attributes
    ----------
    host : str
    genes : tuple of str
    carried : Mapping[str, int]
        Per gene, how many partners, producers and channels inside the host
        (at any depth) have it as a tag.
    gaps : tuple of str
        Genes nobody inside carries.
    members : int
        Partners, producers and channels inside the host.
    """

    host: str
    genes: tuple[str, ...]
    carried: dict[str, int]
    gaps: tuple[str, ...]
    members: int

    def rows(self) -> list[dict[str, Any]]:
        """One row: ``host`` then :meth:`to_dict`."""
        return [{"host": self.host, **self.to_dict()}]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-ready.

        Examples
        --------
        >>> HostGenes("h", ("a", "b"), {"a": 1, "b": 0}, ("b",), 1).to_dict()["gaps"]
        ['b']
        """
        return {
            "genes": list(self.genes),
            "carried": dict(self.carried),
            "gaps": list(self.gaps),
            "members": self.members,
        }


@dataclass(frozen=True)
class Overuse(Result):
    """A node drawing more than the allowed share of what a pool sends.

    Attributes
    ----------
    node, pool : str
    volume : float
        What flows from the pool to the node through open pipes.
    pool_sends : float
        What the pool sends down all its open pipes of the currency.
    share : float
        ``volume / pool_sends``.
    """

    node: str
    pool: str
    volume: float
    pool_sends: float
    share: float

    def rows(self) -> list[dict[str, Any]]:
        """One row: :meth:`to_dict`."""
        return [self.to_dict()]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-ready.

        Examples
        --------
        >>> Overuse("a", "p", 6.0, 10.0, 0.6).to_dict()["share"]
        0.6
        """
        return {
            "node": self.node,
            "pool": self.pool,
            "volume": self.volume,
            "pool_sends": self.pool_sends,
            "share": self.share,
        }


class PoolDraws:
    """What each pool sends down its open pipes of one currency, and to whom.

    Built once per map and currency in one pass over the pipes (parallel pipes
    are summed); :meth:`overuse` then answers per node.

    Parameters
    ----------
    eco : Ecosystem
    kind : str, default "traffic"
        The currency.

    Examples
    --------
    >>> import ecograph
    >>> draws = PoolDraws(ecograph.load("ecosystems/tencent.yaml"))
    >>> {p: round(s, 2) for p, s in draws.overuse("pinduoduo", 0.5).items()}
    {'wechat-users': 0.72}
    """

    def __init__(self, eco: Ecosystem, kind: str = "traffic") -> None:
        check_currency(kind)
        self._eco = eco
        self.sends: dict[str, float] = {}
        self.draws: dict[str, dict[str, float]] = {}
        nodes = eco.nodes
        for pipe in eco.pipes:
            if pipe.kind != kind or not pipe.is_open or nodes[pipe.from_node].kind != "pool":
                continue
            volume = pipe.volume if pipe.volume is not None else 0.0
            pool = pipe.from_node
            self.sends[pool] = self.sends.get(pool, 0.0) + volume
            into = self.draws.setdefault(pipe.to_node, {})
            into[pool] = into.get(pool, 0.0) + volume
        order = {n: i for i, n in enumerate(nodes)}
        for target, pools in self.draws.items():
            self.draws[target] = dict(sorted(pools.items(), key=lambda pv: order[pv[0]]))

    def overuse(self, node: str, threshold: float) -> dict[str, float]:
        """Pools of which ``node`` draws more than ``threshold`` of what they send.

        A channel is the ecosystem's plumbing and never overuses; pools
        inside the node (its members) or owned by it (``owner``) are its own
        and exempt. (:func:`fit`
        asks this of :data:`OVERUSE_KINDS` unless given one node.)

        Returns
        -------
        dict of str to float
            ``{pool: share}``, pools in map order.

        Examples
        --------
        >>> import ecograph
        >>> PoolDraws(ecograph.load("ecosystems/tencent.yaml")).overuse("pinduoduo", 0.8)
        {}
        """
        if self._eco.nodes[node].kind == "channel" or node not in self.draws:
            return {}
        own = set(self._eco.members(node))
        own.update(p for p in self.draws[node] if self._eco.nodes[p].owner == node)
        out: dict[str, float] = {}
        for pool, volume in self.draws[node].items():
            sends = self.sends[pool]
            if pool not in own and sends > 0 and volume / sends > threshold:
                out[pool] = volume / sends
        return out


@dataclass(frozen=True)
class FitReport(Result):
    """What :func:`fit` returns.

    Attributes
    ----------
    measure : str
    threshold, overuse_threshold : float
    kind : str
        The currency of the overuse check.
    partners : Mapping[str, PartnerFit]
        Per judged node, in map order.
    hosts : Mapping[str, HostGenes]
        Per host (node with genes), in map order.
    overuse : tuple of Overuse
        Nodes in map order, then pools in map order.
    weights : Mapping[str, float]
        The word weights (``weighted`` measure only; empty otherwise).
    """

    measure: str
    threshold: float
    overuse_threshold: float
    kind: str
    partners: dict[str, PartnerFit]
    hosts: dict[str, HostGenes]
    overuse: tuple[Overuse, ...]
    weights: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row per judged node (``node``, then its fit as in ``partners``); the hosts
        and the overuse are in ``hosts`` and ``overuse`` (each with ``rows()`` too)."""
        return [row for fit in self.partners.values() for row in fit.rows()]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-ready.

        Examples
        --------
        >>> r = FitReport("overlap", 0.25, 0.5, "traffic", {}, {}, ())
        >>> sorted(r.to_dict())
        ['hosts', 'kind', 'measure', 'overuse', 'partners', 'thresholds', 'weights']
        """
        return {
            "measure": self.measure,
            "thresholds": {"poor_fit": self.threshold, "overuse": self.overuse_threshold},
            "kind": self.kind,
            "partners": {n: f.to_dict() for n, f in self.partners.items()},
            "hosts": {h: g.to_dict() for h, g in self.hosts.items()},
            "overuse": [o.to_dict() for o in self.overuse],
            "weights": dict(self.weights),
        }


@renamed(kind="currency", partner="node")
def fit(
    eco: Ecosystem,
    *,
    node: str | None = None,
    measure: str = "overlap",
    currency: str = "traffic",
    threshold: float = 0.25,
    overuse: float = 0.5,
) -> FitReport:
    """Fit to the host's genes, the host's gaps, and overuse of pools.

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    node : str, optional
        (``partner=``, the former name, is still accepted.)
        Report on this node only (any kind): its fit, its host's genes and
        gaps, and its overuse. By default every partner, producer and channel
        (:data:`FIT_KINDS`), every host, and all overuse.
    measure : {"overlap", "jaccard", "weighted"}, default "overlap"
        How tags are matched with genes; see :func:`similarity`. ``overlap``
        is what :func:`~ecograph.analysis.diagnose.diagnose` uses. ``jaccard``
        also counts the genes a partner lacks, so its scores run lower for
        hosts with many genes; choose ``threshold`` accordingly. ``weighted``
        weighs each word by :func:`tag_weights` (rare words count more).
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency of the overuse check.
    threshold : float, default 0.25
        ``poor_fit`` when a score is below this.
    overuse : float, default 0.5
        Overuse when a partner or producer (or the ``partner`` asked about,
        unless a channel) draws more than this share of what a pool sends
        down its open pipes of ``kind``. Channels are the ecosystem's
        plumbing, and a node's own pools (its members) are its own: neither
        counts. See :class:`PoolDraws`.

    Returns
    -------
    FitReport

    Raises
    ------
    UsageError
        An unknown node, measure or currency, or a threshold outside [0, 1].

    Notes
    -----
    Overuse is computed from the declared volumes of every node's open pipes.
    ``diagnose`` applies the same test only to nodes that traffic reaches (an
    ``empty-pipe`` node has no real draw), so on a map whose pools declare
    pipe volumes but no ``inflow`` the two can differ.

    Cost: one pass over the nodes and their ancestors (O(N · depth · tags))
    and one over the pipes; no graph is built.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: pond
    ... nodes:
    ...   pond:   {kind: platform, genes: [fish, shrimp, weeds]}
    ...   users:  {kind: pool, parent: pond, inflow: 100}
    ...   carp:   {kind: partner, parent: pond, tags: [fish]}
    ...   cattle: {kind: partner, parent: pond, tags: [cattle, milk], outflow: 100}
    ... pipes:
    ...   - {from: users, to: cattle, volume: 100}
    ... ''')
    >>> r = fit(eco)
    >>> {n: (f.score, f.poor_fit) for n, f in r.partners.items()}
    {'carp': (1.0, False), 'cattle': (0.0, True)}
    >>> r.hosts["pond"].gaps
    ('shrimp', 'weeds')
    >>> [(o.node, o.pool, o.share) for o in r.overuse]
    [('cattle', 'users', 1.0)]
    """
    _check_measure(measure)
    _check_share("threshold", threshold)
    _check_share("overuse", overuse)
    check_currency(currency)
    if node is not None and node not in eco.nodes:
        raise UsageError(f"unknown node {node!r}{did_you_mean(node, eco.nodes)}")
    with gc_paused():  # ~10 small objects per node: no cycles, no need to collect
        return _fit(eco, node, measure, currency, threshold, overuse)


def _fit(
    eco: Ecosystem, partner: str | None, measure: str, kind: str, threshold: float, overuse: float
) -> FitReport:
    weights = tag_weights(eco) if measure == "weighted" else None
    nodes = eco.nodes
    host_genes = {n.id: _words(n.genes) for n in nodes.values() if n.genes}
    host_order = {h: i for i, h in enumerate(host_genes)}

    # the hosts containing each node, nearest first: memoised along the membership tree
    chains: dict[str | None, tuple[str, ...]] = {None: ()}  # x -> hosts among x and above

    def hosts_above(node: str) -> tuple[str, ...]:
        path: list[str] = []
        current = nodes[node].parent
        while current not in chains:
            assert current is not None  # None is in chains
            path.append(current)
            current = nodes[current].parent
        chain = chains[current]
        for container in reversed(path):
            if container in host_genes:
                chain = (container, *chain)
            chains[container] = chain
        return chains[nodes[node].parent]

    # hosts: carried genes and gaps, from every tagged member at any depth
    carried: dict[str, dict[str, int]] = {h: dict.fromkeys(g, 0) for h, g in host_genes.items()}
    members = dict.fromkeys(host_genes, 0)
    for item in nodes.values():
        if item.kind not in FIT_KINDS:
            continue
        tags = _words(item.tags)
        for h in hosts_above(item.id):
            members[h] += 1
            counts = carried[h]
            for key in tags:
                if key in counts:
                    counts[key] += 1
    gaps = {h: tuple(k for k, n in carried[h].items() if n == 0) for h in host_genes}
    gap_hosts: dict[str, list[str]] = {}  # gene key -> hosts where it is a gap
    for h, keys in gaps.items():
        for key in keys:
            gap_hosts.setdefault(key, []).append(h)

    targets = (
        [partner] if partner is not None else [n.id for n in nodes.values() if n.kind in FIT_KINDS]
    )
    partners: dict[str, PartnerFit] = {}
    for target in targets:
        item = nodes[target]
        above = hosts_above(target)
        host = above[0] if above else None
        tags = _words(item.tags)
        fills: dict[str, list[str]] = {}
        for key in tags:
            for h in gap_hosts.get(key, ()):
                if h not in above and h != target:
                    fills.setdefault(h, []).append(host_genes[h][key])
        partners[target] = _judge(
            target,
            item.kind,
            host,
            tags,
            host_genes[host] if host is not None else {},
            measure,
            threshold,
            weights,
            {h: tuple(fills[h]) for h in sorted(fills, key=host_order.__getitem__)},
        )

    if partner is None:
        shown_hosts = list(host_genes)
    else:
        own_host = host_of(eco, partner)
        shown_hosts = [own_host] if own_host is not None else []
    hosts = {
        h: HostGenes(
            host=h,
            genes=tuple(host_genes[h].values()),
            carried={host_genes[h][k]: n for k, n in carried[h].items()},
            gaps=tuple(host_genes[h][k] for k in gaps[h]),
            members=members[h],
        )
        for h in shown_hosts
    }

    draws = PoolDraws(eco, kind)
    found: list[Overuse] = []
    judged_for_overuse = (
        [partner]
        if partner is not None
        else [n.id for n in eco.nodes.values() if n.kind in OVERUSE_KINDS]
    )
    for target in judged_for_overuse:
        for pool, share in draws.overuse(target, overuse).items():
            found.append(Overuse(target, pool, draws.draws[target][pool], draws.sends[pool], share))
    return FitReport(
        measure=measure,
        threshold=threshold,
        overuse_threshold=overuse,
        kind=kind,
        partners=partners,
        hosts=hosts,
        overuse=tuple(found),
        weights=dict(weights or {}),
    )
