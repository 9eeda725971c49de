"""Diagnosis: the article's question, asked of every partner, producer and channel.

*Why does this firm get the traffic it gets, and what is wrong with it?* Every
finding that applies to a node is listed with its evidence and a severity; the
node's **status** is the most actionable finding, in the order of
:data:`STATUSES`; dependence on one giant is a **risk** reported beside the
status, never in its place (the article recommends growing under a giant:
大树底下好乘凉). The definitions, each with the article's sentence it comes
from, are in :func:`diagnose` and the README.

Everything is computed in one pass per currency over the compiled map
(:mod:`ecograph.compiled`): reachability with and without blocked pipes, the
origins of every node's traffic per giant (one linear solve with a right-hand
side per giant), pool draws as sums over pipes, fit by one walk up the
membership tree, the value sheet (:func:`ecograph.analysis.value.value`) and
sums over the pipes into each node for the narrow pipes; no max-flow.
``diagnose(eco)[n] == diagnose(eco, node=n)`` for every ``n``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ecograph._aliases import CURRENCY, renamed
from ecograph._suggest import did_you_mean
from ecograph.analysis._linalg import DIRECT_LIMIT, FlowArrays, layer_arrays, tidy
from ecograph.analysis.fit import word_key
from ecograph.analysis.maxflow import reachable
from ecograph.analysis.value import value
from ecograph.compiled import KIND_CODE, CompiledMap, Layer, compiled
from ecograph.errors import UsageError
from ecograph.model import CURRENCIES, check_currency
from ecograph.results import Result, frame

if TYPE_CHECKING:
    from ecograph.model import Ecosystem

__all__ = [
    "DIAGNOSED_KINDS",
    "RISKS",
    "STATUSES",
    "Diagnoses",
    "Diagnosis",
    "Finding",
    "Risk",
    "diagnose",
    "empty_pipes",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Node kinds that get a diagnosis.
DIAGNOSED_KINDS: tuple[str, ...] = ("partner", "producer", "channel")
#: Findings, most actionable first; a node's status is the first that applies.
STATUSES: tuple[str, ...] = (
    "empty-pipe",
    "blocked-pipe",
    "narrow-pipe",
    "poor-fit",
    "overuse",
    "unprofitable",
    "no-monetisation",
    "healthy",
)
#: Risks, reported beside the status.
RISKS: tuple[str, ...] = ("single-giant",)
#: Kinds judged for overuse and no-monetisation (a channel is the ecosystem's plumbing:
#: it passes traffic on rather than using or selling to it).
_FIRM_KINDS = ("partner", "producer")
_FIRM_CODES = frozenset(KIND_CODE[k] for k in _FIRM_KINDS)
#: Most rounds of the block iteration for the origins per giant before falling back to
#: one solve per giant.
_MAX_ROUNDS = 500


@dataclass(frozen=True)
class Finding(Result):
    """One thing wrong with a node.

    Attributes
    ----------
    finding : str
        One of :data:`STATUSES` other than ``healthy``.
    severity : float
        How much of the problem there is, in [0, 1] (see :func:`diagnose`).
    reason : str
        One sentence.
    evidence : dict
        The numbers behind it (JSON-ready).
    """

    finding: str
    severity: float
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"finding", "severity", "reason", "evidence"}``.

        Examples
        --------
        >>> Finding("poor-fit", 1.0, "no tag fits").to_dict()["severity"]
        1.0
        """
        return {
            "finding": self.finding,
            "severity": self.severity,
            "reason": self.reason,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class Risk(Result):
    """A risk beside the status: the node's traffic originates in one giant.

    Attributes
    ----------
    risk : str
        One of :data:`RISKS`.
    giant : str
        The top-level node most of the traffic originates in.
    share : float
        The share of the node's traffic that originates in it.
    concentration : float
        Herfindahl index of the origins grouped per giant.
    """

    risk: str
    giant: str
    share: float
    concentration: float

    def to_dict(self) -> dict[str, Any]:
        """``{"risk", "share", "giant", "concentration"}``.

        Examples
        --------
        >>> Risk("single-giant", "toutiao", 1.0, 1.0).to_dict()["giant"]
        'toutiao'
        """
        return {
            "risk": self.risk,
            "share": self.share,
            "giant": self.giant,
            "concentration": self.concentration,
        }


@dataclass(frozen=True)
class Diagnosis(Result):
    """The diagnosis of one node.

    Attributes
    ----------
    node : str
    status : str
        One of :data:`STATUSES`: the first finding, or ``healthy``.
    findings : tuple of Finding
        Every finding that applies, in :data:`STATUSES` order (empty when healthy).
    risks : tuple of Risk
    evidence : dict
        What the node receives and where it comes from (JSON-ready):
        ``received``, and for nodes traffic reaches ``giants`` (share of its
        traffic per giant, ``own`` for what starts at the node or its own
        pools) and ``giant_concentration`` (their Herfindahl index).
    reasons : tuple of str
        One sentence per finding, then per risk; one saying what it receives
        when healthy.
    """

    node: str
    status: str
    findings: tuple[Finding, ...] = ()
    risks: tuple[Risk, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"status", "findings", "risks", "reasons", "evidence"}``.

        Examples
        --------
        >>> Diagnosis("a", "healthy", reasons=("receives 1",)).to_dict()["reasons"]
        ['receives 1']
        """
        return {
            "status": self.status,
            "findings": [f.to_dict() for f in self.findings],
            "risks": [r.to_dict() for r in self.risks],
            "reasons": list(self.reasons),
            "evidence": dict(self.evidence),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per finding (one ``healthy`` row when there is none): ``node``,
        ``status``, ``finding``, ``severity``, ``reason``, ``risks``.

        Examples
        --------
        >>> d = Diagnosis("a", "poor-fit", (Finding("poor-fit", 0.5, "no tag fits"),))
        >>> d.rows()
        [{'node': 'a', 'status': 'poor-fit', 'finding': 'poor-fit', 'severity': 0.5, \
'reason': 'no tag fits', 'risks': ''}]
        """
        risks = "; ".join(r.risk for r in self.risks)
        found = self.findings or (Finding("healthy", 0.0, "; ".join(self.reasons)),)
        return [
            {
                "node": self.node,
                "status": self.status,
                "finding": f.finding,
                "severity": f.severity,
                "reason": f.reason,
                "risks": risks,
            }
            for f in found
        ]


class Diagnoses(dict[str, Diagnosis]):
    """What :func:`diagnose` returns: node id to :class:`Diagnosis`, with the result methods.

    A ``dict`` (so ``for node in diagnoses``, ``diagnoses[node]`` and ``.items()``
    work as they always did; it is not frozen, as no dict is), plus the three ways
    out every :class:`~ecograph.results.Result` has.

    Examples
    --------
    >>> d = Diagnoses({"a": Diagnosis("a", "poor-fit", (Finding("poor-fit", 0.5, "no tag"),)),
    ...                "b": Diagnosis("b", "healthy", reasons=("receives 3",))})
    >>> [row["finding"] for row in d.rows()], d.to_dict()["b"]["status"]
    (['poor-fit', 'healthy'], 'healthy')
    """

    def to_dict(self) -> dict[str, Any]:
        """``{node: Diagnosis.to_dict()}``: what ``diagnose --format json`` prints."""
        return {node: d.to_dict() for node, d in self.items()}

    def rows(self) -> list[dict[str, Any]]:
        """Every diagnosis's :meth:`Diagnosis.rows`, node after node."""
        return [row for d in self.values() for row in d.rows()]

    def to_frame(self) -> Any:
        """:meth:`rows` as a :class:`pandas.DataFrame` (pandas imported only now)."""
        return frame(self.rows(), ["node", "status", "finding", "severity", "reason", "risks"])


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


# -- the layer-wide pass ---------------------------------------------------------------------


class _Pass:
    """What the diagnosis needs of one currency, for every node at once (thresholds aside).

    Built once per map and currency and kept in the compiled layer's cache.
    """

    def __init__(self, eco: Ecosystem, layer: Layer) -> None:
        cm = layer.cm
        n = cm.n
        self.cm, self.layer = cm, layer
        self.arrays: FlowArrays = layer_arrays(eco, layer.kind)
        src, dst = layer.src, layer.dst
        self.sources, self.wet, self.wet_if_opened = layer.cached(
            "wetness", lambda: _wetness(layer)
        )
        into, _ = layer.pipe_sums
        self.received: FloatArray = layer.inflow + into
        touched = np.zeros(n, np.bool_)
        touched[src] = True
        touched[dst] = True
        touched |= (layer.inflow != 0) | (layer.outflow != 0)
        self.touched = touched
        self.roots = _roots(cm)
        self.giant_cols, self.own_cols, self.X = self._origins()
        self._self_share: dict[int, float] = {}

    def _origins(self) -> tuple[IntArray, dict[int, list[tuple[int, int]]], FloatArray]:
        """Traffic arriving at every node from each giant, and from each owner's own pools.

        Column ``c`` of ``X`` solves ``(I - P)^T x = z'_c`` where ``z'_c`` is the
        boundary inflow of the origins of one giant (``giant_cols``), or of the
        pools with boundary inflow that one node owns within one giant
        (``own_cols``: node -> ``[(giant, column)]``); ``x[t]`` is then the part
        of ``T_t`` that entered the map at those origins.
        """
        arrays, cm = self.arrays, self.cm
        origins = arrays.origins
        z = arrays.boundary_in
        giants = np.unique(self.roots[origins])
        pairs: dict[tuple[int, int], list[int]] = {}
        pools = origins[cm.kind[origins] == KIND_CODE["pool"]]
        for o in pools.tolist():
            for w in _owners_of(cm, o):
                if w != o:
                    pairs.setdefault((w, int(self.roots[o])), []).append(o)
        B = np.zeros((arrays.n, len(giants) + len(pairs)))
        where = np.searchsorted(giants, self.roots[origins])
        B[origins, where] = z[origins]
        own_cols: dict[int, list[tuple[int, int]]] = {}
        for j, ((w, g), os) in enumerate(pairs.items(), start=len(giants)):
            own_cols.setdefault(w, []).append((g, j))
            B[os, j] = z[os]
        return giants.astype(np.int64), own_cols, _solve_block(arrays, B)

    def self_share(self, t: int) -> float:
        """``z'_t N_tt``: the part of ``T_t`` that entered the map at ``t`` itself."""
        z = float(self.arrays.boundary_in[t])
        if z <= 1e-9 * float(self.arrays.throughflow[t]):
            return 0.0  # none, or the rounding noise of a balanced map
        found = self._self_share.get(t)
        if found is None:
            values, known = self.arrays.integral_diagonal(np.array([t], np.int64))
            if known[0]:
                diagonal = float(values[0])
            else:  # a component too large to invert: column t of N
                e = np.zeros(self.arrays.n)
                e[t] = 1.0
                diagonal = float(self.arrays.solve(e)[t])
            found = self._self_share[t] = z * diagonal
        return found


def _wetness(layer: Layer) -> tuple[IntArray, BoolArray, BoolArray]:
    """The sources (boundary inflow), the nodes they reach through open pipes ("wet"), and
    the nodes they would reach if blocked pipes were opened."""
    n, open_, src, dst = layer.n, layer.is_open, layer.src, layer.dst
    sources = np.flatnonzero(layer.inflow > 0).astype(np.int64)
    wet = reachable(n, src[open_], dst[open_], sources.tolist())
    return sources, wet, reachable(n, src, dst, sources.tolist())


def empty_pipes(eco: Ecosystem) -> BoolArray:
    """Per pipe of the map (map order): whether it is open and holds no water.

    A pipe is empty when it is open and its volume is declared 0, or when it
    leads into a node whose diagnosis in the pipe's currency is ``empty-pipe``
    (:func:`diagnose`): no node with boundary ``inflow`` reaches it, even
    through blocked pipes. A blocked pipe is never empty: it is blocked.
    Costs two breadth-first searches per currency (shared with
    :func:`diagnose`, kept in the layer's cache).

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   pool:   {kind: pool, inflow: 100}
    ...   shop:   {kind: partner}
    ...   idle:   {kind: partner}
    ...   ghost:  {kind: partner}
    ...   nobody: {kind: channel}
    ... pipes:
    ...   - {from: pool, to: shop, volume: 100}
    ...   - {from: pool, to: idle, volume: 0}
    ...   - {from: nobody, to: ghost}
    ... ''')
    >>> empty_pipes(eco).tolist()
    [False, True, True]
    """
    cm = compiled(eco)
    out = np.zeros(len(cm.keys), np.bool_)
    for currency in CURRENCIES:
        layer = cm.layer(currency)
        if not len(layer.rows):
            continue
        wetness: tuple[IntArray, BoolArray, BoolArray] = layer.cached(
            "wetness", functools.partial(_wetness, layer)
        )
        reached = wetness[2]
        zero = layer.volume_given & (layer.volume == 0)
        out[layer.rows] = layer.is_open & (zero | ~reached[layer.dst])
    return out


def _owners_of(cm: CompiledMap, pool: int) -> list[int]:
    """The pool itself, then the nodes it belongs to: its ``owner`` and its containers."""
    out = [pool]
    owner = int(cm.owner[pool])
    if owner >= 0:
        out.append(owner)
    up = int(cm.parent[pool])
    while up >= 0:
        if up != owner:
            out.append(up)
        up = int(cm.parent[up])
    return out


def _roots(cm: CompiledMap) -> IntArray:
    """Row of the top-level container of each node (itself at the top)."""
    root = np.arange(cm.n, dtype=np.int64)
    while True:
        up = cm.parent[root]
        has = up >= 0
        if not has.any():
            return root
        root[has] = up[has]


def _solve_block(arrays: FlowArrays, B: FloatArray) -> FloatArray:
    """``(I - P)^T X = B`` for every column of ``B``.

    Small systems: one direct solve per column. Large ones: the Neumann series
    ``X = B + P^T X`` iterated on all columns at once (one sparse product per
    round for every giant), to the solver's relative residual of 1e-12; a
    system that converges slowly (loops that pass on almost everything) falls
    back to one solve per column.
    """
    n, cols = B.shape
    if n == 0 or cols == 0:
        return np.zeros((n, cols))
    if n <= DIRECT_LIMIT or cols == 1:
        return np.column_stack([arrays.solve(B[:, j], transpose=True) for j in range(cols)])
    Pt = sp.csr_array(arrays.routing.T)
    X = B.copy()
    norm = np.linalg.norm(B, axis=0)
    for _ in range(_MAX_ROUNDS):
        nxt: FloatArray = np.asarray(B + Pt @ X, dtype=np.float64)
        change = np.linalg.norm(nxt - X, axis=0)
        X = nxt
        if (change <= 1e-13 * np.maximum(norm, 1e-300)).all():
            return X
    return np.column_stack([arrays.solve(B[:, j], transpose=True) for j in range(cols)])


# -- per node --------------------------------------------------------------------------------


def _hosts(cm: CompiledMap) -> IntArray:
    """Row of each node's nearest container with genes, -1 for none."""
    has_genes = np.fromiter((bool(g) for g in cm.genes), np.bool_, cm.n)
    host = np.full(cm.n, -1, np.int64)
    current = cm.parent.copy()
    todo = np.flatnonzero(current >= 0)
    while len(todo):
        up = current[todo]
        hit = has_genes[up]
        host[todo[hit]] = up[hit]
        todo = todo[~hit]
        current[todo] = cm.parent[current[todo]]
        todo = todo[current[todo] >= 0]
    return host


@renamed(**CURRENCY)
def diagnose(
    eco: Ecosystem,
    *,
    node: str | None = None,
    currency: str = "traffic",
    narrow: float = 0.5,
    saturation: float = 0.9,
    giant: float = 0.9,
    overuse: float = 0.5,
    fit: float = 0.25,
) -> Diagnoses:
    """Diagnose partners, producers and channels: why do they get the traffic they get?

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    node : str, optional
        Diagnose this node only (any kind); by default every node whose kind
        is in :data:`DIAGNOSED_KINDS`, in map order.
    currency : str, default "traffic"
        The currency examined.
    narrow : float, default 0.5
        ``narrow-pipe`` when the capacity of the open pipes into the node is
        below this share of what the nodes feeding it receive.
    saturation : float, default 0.9
        A pipe is full when its volume is at least this share of its capacity.
    giant : float, default 0.9
        The ``single-giant`` risk when the Herfindahl index of the node's
        origins, grouped by giant, is at least this.
    overuse : float, default 0.5
        ``overuse`` when a partner or producer draws more than this share of a
        pool's throughflow.
    fit : float, default 0.25
        ``poor-fit`` when less than this share of the node's ``tags`` are among
        the ``genes`` of its host.

    Returns
    -------
    Diagnoses
        A dict of node id to :class:`Diagnosis`, in map order, with the methods of
        every result (``to_dict``, ``rows``, ``to_frame``). Nodes with no pipe and
        no boundary flow of ``currency`` are left out (a logistics node has no
        traffic to diagnose).

    Raises
    ------
    UsageError
        An unknown node or currency, a threshold outside [0, 1], or a ``node``
        without pipes or boundary flow of ``currency``.

    Notes
    -----
    The findings, in the order the status takes them (severity in brackets):

    * ``empty-pipe`` [1]: no node with boundary ``inflow`` reaches the node
      through open pipes — 流量管道里要么没有水 ("the pipe holds no water").
      Evidence: ``feeders``, the nodes with an open pipe into it.
    * ``blocked-pipe`` [1]: a source would reach it if blocked pipes were
      opened — 要么有水却堵塞了 ("or there is water but the pipe is blocked").
      Evidence: ``blocked_pipes``, the blocked pipes whose opening alone would
      let water through (from a wet node to a node that reaches it), else
      every blocked pipe on the way.
    * ``narrow-pipe`` [``1 - in_capacity / supply``]: an open pipe into the
      node is full (``volume >= saturation * capacity``), and all its open
      pipes in together hold less than ``narrow`` times ``supply``, what the
      nodes feeding it receive — the same sentence: water upstream, but the
      pipe too narrow to let it through. Judged on the node's own pipes: a
      narrow pipe further up is the diagnosis of the node it leads into.
      Evidence: ``full_pipes`` (where), ``upstream_supply``, ``in_capacity``
      (an unbounded pipe in makes it ``inf``: never narrow).
    * ``poor-fit`` [``1 - score``]: less than ``fit`` of its tags are among the
      genes of its host (its nearest container with genes; words compared
      case-insensitively; judged when both have some) — 你的服务或者产品,需要符合这个
      生态的基因,土鸡蛋卖的好,不代表母鸡也会卖得好 ("your product must fit the
      ecosystem's genes: eggs selling well does not mean hens will").
    * ``overuse`` [the largest share]: a partner or producer draws, through
      its open pipes from a pool, more than ``overuse`` of the pool's
      throughflow (everything the pool carries, ``max(in, out)`` including
      its boundary flows, so what leaves the map there counts). Pools the node
      owns (``owner``, or nested inside it) are its own and never overused
      by it — 不要过度使用生态流量 ("do not overuse the ecosystem's traffic").
      Evidence: ``pools``, ``{pool: share}``.
    * ``unprofitable`` [loss / spend]: it pays more for its pipes than it
      earns (``net < 0`` in :func:`ecograph.analysis.value.value`: revenue
      from conversions plus pipe income, minus pipe spend) — 流量管道也是一条利益
      管道 ("a pipe of traffic is a pipe of money too").
    * ``no-monetisation`` [1]: a partner or producer receives ``currency`` and
      converts none of it: the map gives a ``conversion`` on some open pipe
      that brings it ``currency``, and every such conversion is 0 —
      有的拥有庞大的用户群体,却无法变现 ("some have huge numbers of users and
      cannot turn them into money").

    The risk ``single-giant``: the Herfindahl index of where the node's
    traffic entered the map (proportional tracing, as
    :func:`ecograph.analysis.dependency.dependency` ``sources``), grouped per
    giant (the top-level container of the origin), is at least ``giant`` —
    and the largest group is not the node's own (what enters at the node
    itself or at pools it owns counts as ``own``). Reported beside the status:
    大树底下好乘凉 ("it is cool under a big tree") is advice, not a fault.

    Cost, per currency and for every node at once: two breadth-first
    searches, one block solve for the origins (a right-hand side per giant and
    per node that owns a pool), sums over the pipes (``O(m)``), one walk up
    the membership tree per level of nesting and the value sheet; then
    ``O(1)`` array look-ups per node, and one breadth-first search per node
    with a blocked pipe. The threshold-free part is kept in the compiled
    layer's cache, so a second call on the same map (another threshold,
    another node) costs only the look-ups.

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
    {'shop': 'overuse', 'ghost': 'empty-pipe', 'nobody': 'empty-pipe'}
    >>> [r.to_dict() for r in diagnose(eco, node="shop")["shop"].risks]
    [{'risk': 'single-giant', 'share': 1.0, 'giant': 'pool', 'concentration': 1.0}]
    """
    for name, share in (
        ("narrow", narrow),
        ("saturation", saturation),
        ("giant", giant),
        ("overuse", overuse),
        ("fit", fit),
    ):
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"{name} must be between 0 and 1, found {share}")
    check_currency(currency)
    if node is not None and node not in eco.nodes:
        raise UsageError(f"unknown node {node!r}{did_you_mean(node, eco.nodes)}")
    cm = compiled(eco)
    layer = cm.layer(currency)
    state = layer.cached("diagnosis", lambda: _Pass(eco, layer))
    if node is not None:
        row = cm.index[node]
        if not state.touched[row]:
            raise UsageError(
                f"node {node!r} has no {currency} pipes or boundary flow; choose another currency="
            )
        rows = np.array([row], np.int64)
    else:
        codes = np.array([KIND_CODE[k] for k in DIAGNOSED_KINDS])
        rows = np.flatnonzero(np.isin(cm.kind, codes) & state.touched).astype(np.int64)
    judge = _Judge(eco, state, narrow, saturation, giant, overuse, fit, rows)
    return Diagnoses({cm.ids[t]: judge.one(t) for t in rows.tolist()})


class _Judge:
    """The thresholded findings for a set of target rows, from a :class:`_Pass`: every
    test that can be is done for all the rows at once, over arrays."""

    def __init__(
        self,
        eco: Ecosystem,
        state: _Pass,
        narrow: float,
        saturation: float,
        giant: float,
        overuse: float,
        fit: float,
        rows: IntArray,
    ) -> None:
        self.eco, self.state = eco, state
        self.narrow, self.giant, self.overuse, self.fit = narrow, giant, overuse, fit
        cm, layer = state.cm, state.layer
        self.cm, self.layer = cm, layer
        self.kind = layer.kind
        n = cm.n
        finite = np.isfinite(layer.capacity)
        self.full = (
            layer.is_open
            & layer.volume_given
            & finite
            & (layer.capacity > 0)
            & (layer.volume >= saturation * np.where(finite, layer.capacity, 0.0))
        )
        self.sheet: dict[str, dict[str, float]] = (
            value(eco, currency=self.kind).nodes if len(rows) else {}
        )
        self.hosts = _hosts(cm)
        self._keys: dict[tuple[str, ...], dict[str, None]] = {}
        carrying = layer.is_open & (layer.volume > 0) & ~np.isnan(layer.conversion)
        self.conversion_given = np.bincount(layer.dst[carrying], minlength=n) > 0
        self.in_pipes = _by_head(layer, rows)
        # narrow: full pipes in, what the feeders receive, the pipes' capacity in
        live = layer.live
        self.n_full = np.bincount(layer.dst[self.full], minlength=n)
        pairs = np.unique(layer.src[live] * n + layer.dst[live])
        self.supply = np.bincount(
            pairs % n, weights=state.received[pairs // n], minlength=n
        ).astype(np.float64)
        self.in_capacity = np.bincount(
            layer.dst[live], weights=layer.capacity[live], minlength=n
        ).astype(np.float64)
        self.shares = self._giant_shares(rows)
        self.drawn = self._pool_draws(rows)

    def _giant_shares(self, rows: IntArray) -> dict[int, tuple[dict[str, float], float]]:
        """Per wet row with throughflow: share of its traffic per giant and ``own``, and
        their Herfindahl index."""
        state = self.state
        arrays = state.arrays
        T = arrays.throughflow
        rows = rows[state.wet[rows] & (T[rows] > 0) & ~arrays.closed[rows]]
        if not len(rows):
            return {}
        giants = state.giant_cols
        amounts = np.asarray(state.X[np.ix_(rows, np.arange(len(giants)))], dtype=np.float64)
        own = np.array([state.self_share(t) for t in rows.tolist()], dtype=np.float64)
        has = np.flatnonzero(own > 0)  # an origin itself: its giant has a column
        mine = np.searchsorted(giants, state.roots[rows[has]])
        amounts[has, mine] -= own[has]
        for i, t in enumerate(rows.tolist()):
            for g, j in state.own_cols.get(t, ()):
                x = float(state.X[t, j])
                amounts[i, int(np.searchsorted(giants, g))] -= x
                own[i] += x
        shares = tidy(np.column_stack([amounts, own]) / T[rows][:, None])
        # shares at or below 1e-9 are rounding noise (the last bits of a balanced map)
        shares[shares <= 1e-9] = 0.0
        concentration = tidy(np.square(shares).sum(axis=1)).tolist()
        names = [*self.cm.names(giants), "own"]
        out: dict[int, tuple[dict[str, float], float]] = {}
        nonzero = shares.nonzero()
        starts = np.searchsorted(nonzero[0], np.arange(len(rows) + 1)).tolist()
        cols, values = nonzero[1].tolist(), shares[nonzero].tolist()
        for i, t in enumerate(rows.tolist()):
            lo, hi = starts[i], starts[i + 1]
            out[t] = (
                {names[c]: v for c, v in zip(cols[lo:hi], values[lo:hi], strict=True)},
                concentration[i],
            )
        return out

    def _pool_draws(self, rows: IntArray) -> dict[int, dict[int, float]]:
        """Per row of a partner or producer: share of each pool's throughflow it draws
        through open pipes, pools it owns left out."""
        layer, cm = self.layer, self.cm
        firm = np.zeros(cm.n, np.bool_)
        codes = [KIND_CODE[k] for k in _FIRM_KINDS]
        firm[rows[np.isin(cm.kind[rows], codes) & self.state.wet[rows]]] = True
        pick = layer.live[
            firm[layer.dst[layer.live]] & (cm.kind[layer.src[layer.live]] == KIND_CODE["pool"])
        ]
        pools, takers = layer.src[pick], layer.dst[pick]
        own = cm.owner[pools] == takers
        up = cm.parent[pools]
        while (up >= 0).any():
            own |= up == takers
            up = np.where(up >= 0, cm.parent[np.maximum(up, 0)], -1)
        pools, takers, volume = pools[~own], takers[~own], layer.volume[pick][~own]
        T = self.state.arrays.throughflow
        out: dict[int, dict[int, float]] = {}
        for p, t, v in zip(pools.tolist(), takers.tolist(), volume.tolist(), strict=True):
            if T[p] > 0:
                into = out.setdefault(t, {})
                into[p] = into.get(p, 0.0) + v
        return {t: {p: v / float(T[p]) for p, v in sorted(d.items())} for t, d in out.items()}

    def one(self, t: int) -> Diagnosis:
        state = self.state
        findings: list[Finding] = []
        evidence: dict[str, Any] = {"received": float(state.received[t])}
        risks: tuple[Risk, ...] = ()
        if not state.wet[t]:
            findings.append(self._blocked(t) if state.wet_if_opened[t] else self._empty(t))
        else:
            narrow = self._narrow(t) if self.n_full[t] else None
            if narrow is not None:
                findings.append(narrow)
            risks = self._giants(t, evidence)
        poor = self._fit(t)
        if poor is not None:
            findings.append(poor)
        over = self._overuse(t)
        if over is not None:
            findings.append(over)
        loss = self._unprofitable(t)
        if loss is not None:
            findings.append(loss)
        if state.wet[t] and self.cm.kind[t] in _FIRM_CODES:
            none = self._no_monetisation(t)
            if none is not None:
                findings.append(none)
        reasons = [f.reason for f in findings]
        if not findings:
            reasons.append(f"receives {_fmt(state.received[t])} {self.kind} per {self.eco.period}")
        reasons += [
            f"risk: {r.share:.0%} of its {self.kind} originates in one giant, {r.giant} "
            f"(Herfindahl index over giants {r.concentration:.2f})"
            for r in risks
        ]
        return Diagnosis(
            node=self.cm.ids[t],
            status=findings[0].finding if findings else "healthy",
            findings=tuple(findings),
            risks=risks,
            evidence=dict(evidence),
            reasons=tuple(reasons),
        )

    # -- findings ------------------------------------------------------------------------

    def _empty(self, t: int) -> Finding:
        layer = self.layer
        pipes = self.in_pipes.get(t, _NONE)
        pipes = pipes[layer.is_open[pipes]]
        feeders = self.cm.names(sorted(set(layer.src[pipes].tolist()) - {t}))
        reason = "no pool or other source reaches it: " + (
            f"the nodes feeding it ({', '.join(feeders)}) receive no {self.kind} themselves"
            if feeders
            else f"no open {self.kind} pipe leads to it"
        )
        return Finding("empty-pipe", 1.0, reason, dict({"feeders": feeders}))

    def _blocked(self, t: int) -> Finding:
        layer, state = self.layer, self.state
        n = layer.n
        open_ = layer.is_open
        upstream = reachable(n, layer.dst[open_], layer.src[open_], [t])
        blocked = ~open_
        alone = blocked & state.wet[layer.src] & upstream[layer.dst]
        if not alone.any():
            upstream_all = reachable(n, layer.dst, layer.src, [t])
            alone = blocked & state.wet_if_opened[layer.src] & upstream_all[layer.dst]
        keys = sorted(layer.keys[i] for i in np.flatnonzero(alone).tolist())
        reason = "traffic is upstream but every path to it is blocked, at: " + ", ".join(keys)
        return Finding("blocked-pipe", 1.0, reason, dict({"blocked_pipes": keys}))

    def _narrow(self, t: int) -> Finding | None:
        layer = self.layer
        supply = float(self.supply[t])
        in_capacity = float(self.in_capacity[t])
        if not in_capacity < self.narrow * supply:
            return None
        pipes = self.in_pipes.get(t, _NONE)
        keys = [layer.keys[i] for i in pipes[self.full[pipes]].tolist()]
        reason = (
            f"its pipes in hold at most {_fmt(in_capacity)} while the nodes feeding it "
            f"receive {_fmt(supply)}; full: {', '.join(keys)}"
        )
        evidence = {"full_pipes": keys, "upstream_supply": supply, "in_capacity": in_capacity}
        severity = 1.0 - in_capacity / supply
        return Finding("narrow-pipe", severity, reason, dict(evidence))

    def _giants(self, t: int, evidence: dict[str, Any]) -> tuple[Risk, ...]:
        found = self.shares.get(t)
        if not found or not found[0]:
            return ()
        shares, concentration = found
        evidence["giants"] = shares
        top, share = max(shares.items(), key=lambda gs: gs[1])
        evidence["giant_concentration"] = concentration
        if concentration >= self.giant and top != "own":
            return (Risk("single-giant", top, share, concentration),)
        return ()

    def _fit(self, t: int) -> Finding | None:
        host = int(self.hosts[t])
        cm = self.cm
        if host < 0 or not cm.tags[t]:
            return None
        tags = self._words(cm.tags[t])
        genes = self._words(cm.genes[host])
        matched = [w for w in tags if w in genes]
        score = len(matched) / len(tags)
        if not score < self.fit:
            return None
        spelled = {word_key(w): w for w in reversed(cm.tags[t])}
        reason = (
            f"only {score:.0%} of its tags ({', '.join(sorted(spelled.values()))}) are among "
            f"the genes of its host {cm.ids[host]} ({', '.join(sorted(cm.genes[host]))})"
        )
        overlap = sorted(spelled[k] for k in matched)
        evidence = {"host": cm.ids[host], "score": score, "overlap": overlap}
        return Finding("poor-fit", 1.0 - score, reason, dict(evidence))

    def _words(self, words: tuple[str, ...]) -> dict[str, None]:
        """The keys of ``words`` (:func:`ecograph.analysis.fit.word_key`), in order, once."""
        found = self._keys.get(words)
        if found is None:
            found = self._keys[words] = dict.fromkeys(map(word_key, words))
        return found

    def _overuse(self, t: int) -> Finding | None:
        drawn = self.drawn.get(t)
        if not drawn:
            return None
        over = {self.cm.ids[p]: s for p, s in drawn.items() if s > self.overuse}
        if not over:
            return None
        reason = "draws " + ", ".join(
            f"{s:.0%} of everything pool {p} carries" for p, s in over.items()
        )
        return Finding("overuse", max(over.values()), reason, dict({"pools": over}))

    def _unprofitable(self, t: int) -> Finding | None:
        row = self.sheet[self.cm.ids[t]]
        spend, earned = row["spend"], row["revenue"] + row["income"]
        if not (spend > 0 and row["net"] < 0):
            return None
        reason = (
            f"pays {_fmt(spend)} per {self.eco.period} for its pipes and earns {_fmt(earned)} "
            "(revenue plus pipe income)"
        )
        evidence = {
            "spend": spend,
            "revenue": row["revenue"],
            "income": row["income"],
            "net": row["net"],
        }
        return Finding("unprofitable", min(1.0, -row["net"] / spend), reason, dict(evidence))

    def _no_monetisation(self, t: int) -> Finding | None:
        if not self.conversion_given[t]:
            return None
        row = self.sheet[self.cm.ids[t]]
        if not (row["received"] > 0 and row["converted"] == 0):
            return None
        reason = (
            f"receives {_fmt(row['received'])} {self.kind} per {self.eco.period} and converts "
            "none of it (conversion 0 on its pipes)"
        )
        evidence = {"received": row["received"], "converted": 0.0}
        return Finding("no-monetisation", 1.0, reason, dict(evidence))


_NONE = np.zeros(0, np.int64)


def _by_head(layer: Layer, rows: IntArray) -> dict[int, IntArray]:
    """Positions (in the layer) of the pipes into each of ``rows``, in map order."""
    wanted = np.zeros(layer.n, np.bool_)
    wanted[rows] = True
    pick = np.flatnonzero(wanted[layer.dst])
    order = np.argsort(layer.dst[pick], kind="stable")
    pick = pick[order]
    heads = layer.dst[pick]
    bounds = np.flatnonzero(np.diff(heads)) + 1
    return {
        int(group_heads[0]): group
        for group_heads, group in zip(
            np.split(heads, bounds), np.split(pick.astype(np.int64), bounds), strict=True
        )
        if len(group)
    }
