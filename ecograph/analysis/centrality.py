"""Centrality: which nodes (or sub-ecosystems) hold the central positions in the flow.

:func:`centrality` ranks nodes by one of :data:`METRICS` on one currency layer
of the map: open pipes of that currency, parallel pipes summed into one
connection whose weight is their total volume (the graph of
:func:`ecograph.flow_layer`). Blocked pipes carry nothing and are left out.

Volume weighting
----------------
Metrics that take weights use the summed ``volume`` of each connection, so a
pipe that carries twice the traffic counts twice. Path metrics (betweenness,
closeness) need a *length*: a connection's length is ``1 / volume``. A wide pipe
is a short road, so shortest paths follow the main arteries of traffic; this is
the standard reading of flow weights as distances (Newman 2001; Brandes 2001;
Opsahl, Agneessens & Skvoretz 2010 with alpha = 1). Betweenness does not change
when every volume is multiplied by the same factor (the unit does not matter);
closeness scales with it. The alternative ``-log`` of routing share (the most
probable route of one unit of traffic) gives length 0 to every single-exit pipe,
so that small partners' chains would be as short as the giants' pipes; we do not
use it. A connection whose volume is 0 (or not given) carries nothing and is
left out of weighted metrics. A currency layer with no volumes at all is
measured unweighted (every connection weight 1, length 1), and the result says
``"weighted": false``.

Degrees count connections (distinct counterparts), not volume: the volume a
node passes is its throughflow (see flow analysis).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from ecograph._aliases import renamed
from ecograph._suggest import did_you_mean
from ecograph.compiled import Layer as CompiledLayer
from ecograph.compiled import compiled
from ecograph.errors import UsageError
from ecograph.model import Ecosystem
from ecograph.results import MappingResult

__all__ = ["METRICS", "PAGERANK_TOL", "Centrality", "centrality", "checked_options", "ranking"]

FloatArray = npt.NDArray[np.float64]

#: The metrics :func:`centrality` computes.
METRICS: tuple[str, ...] = (
    "degree",
    "in-degree",
    "out-degree",
    "betweenness",
    "closeness",
    "pagerank",
    "eigenvector",
    "katz",
    "hubs",
    "authorities",
)
#: Default ``alpha``: damping of PageRank, attenuation of Katz.
DEFAULT_ALPHA = 0.85
#: PageRank stops when the L1 change of the whole vector is below this (not N times it).
PAGERANK_TOL = 1e-10
#: Below this many nodes, eigenvectors and singular vectors are computed densely.
_DENSE = 400


@dataclass(frozen=True, eq=False)
class Layer:
    """One currency layer as sparse matrices over ``nodes`` (map order, or groups).

    ``W[u, v]`` is the summed volume of the open pipes ``u -> v`` (explicit zeros
    removed); ``A`` has a 1 for every connected ordered pair, whatever its volume.
    """

    nodes: tuple[str, ...]
    W: sp.csr_array
    A: sp.csr_array
    weighted: bool


def layer(eco: Ecosystem, kind: str = "traffic", *, by_group: bool = False) -> Layer:
    """The weighted layer of one currency (cached with the map's arrays).

    With ``by_group``, every node is replaced by its sub-ecosystem
    (:meth:`Ecosystem.group_of`; nodes outside any sub-ecosystem stand for
    themselves), volumes between groups are summed and pipes inside a group are
    dropped.

    Examples
    --------
    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("p", "a", "b", volume=2.0), Pipe("q", "a", "b", volume=3.0)))
    >>> layer(eco).W.toarray().tolist()
    [[0.0, 5.0], [0.0, 0.0]]
    """
    arr = compiled(eco).layer(kind)
    return arr.cached(f"weighted:{by_group}", lambda: _weighted(arr, by_group))


def _weighted(arr: CompiledLayer, by_group: bool) -> Layer:
    open_ = arr.is_open
    src, dst, vol = arr.src[open_], arr.dst[open_], arr.volume[open_]
    if by_group:
        group = arr.cm.group_rows()
        group = np.where(group >= 0, group, np.arange(arr.n))
        # groups in the order of their first member, as the ids list them
        first = np.unique(group, return_index=True)
        order = first[0][np.argsort(first[1], kind="stable")]
        nodes = tuple(arr.cm.names(order))
        position = np.empty(arr.n, np.int64)
        position[order] = np.arange(len(order))
        of = position[group]
        src, dst = of[src], of[dst]
        between = src != dst
        src, dst, vol = src[between], dst[between], vol[between]
    else:
        nodes = arr.ids
    n = len(nodes)
    W = sp.csr_array((vol, (src, dst)), shape=(n, n))
    W.sum_duplicates()
    W.eliminate_zeros()
    A = sp.csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    A.sum_duplicates()
    A.data[:] = 1.0
    weighted = W.nnz > 0
    return Layer(nodes, W if weighted else A.copy(), A, weighted)


# -- the metrics, each from a Layer to one value per node ------------------------------


def _degree(lay: Layer, direction: str) -> FloatArray:
    out = np.diff(lay.A.indptr).astype(np.float64)
    into = np.bincount(lay.A.indices, minlength=len(lay.nodes)).astype(np.float64)
    by_direction: dict[str, FloatArray] = {"out": out, "in": into, "all": out + into}
    return by_direction[direction]


def _lengths(lay: Layer) -> sp.csr_array:
    """Connection lengths for path metrics: 1 / volume (1 when unweighted)."""
    D = lay.W.copy()
    if lay.weighted:
        D.data = 1.0 / D.data
    return D


def _pagerank(lay: Layer, alpha: float) -> FloatArray:
    n = len(lay.nodes)
    if n == 0:
        return np.zeros(0)
    W = lay.W
    out = np.asarray(W.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    PT = sp.csr_array((sp.diags_array(inv) @ W).T)  # PT @ x == x @ P
    x = np.full(n, 1.0 / n)
    for _ in range(10_000):
        last = x
        x = alpha * (PT @ x + x[dangling].sum() / n) + (1.0 - alpha) / n
        if np.abs(x - last).sum() < PAGERANK_TOL:
            break
    return np.asarray(x, dtype=np.float64)


def _eigenvector(lay: Layer) -> FloatArray:
    n = len(lay.nodes)
    W = lay.W
    if n == 0 or not _has_cycle(W):
        return np.zeros(n)  # acyclic: the spectral radius is 0, every centrality 0
    M = (W / W.data.max()).T  # in-edges: x_v = sum over u -> v of w_uv x_u
    if n <= _DENSE:
        values, vectors = np.linalg.eig(M.toarray())
        vec = vectors[:, np.argmax(values.real)]
    else:
        from scipy.sparse.linalg import eigs

        _, vectors = eigs(sp.csr_array(M), k=1, which="LR", v0=np.ones(n), maxiter=n * 100)
        vec = vectors[:, 0]
    largest = vec.real
    norm = np.sign(largest.sum()) * np.linalg.norm(largest)
    return np.asarray(largest / norm, dtype=np.float64)


def _has_cycle(W: sp.csr_array) -> bool:
    if W.diagonal().any():
        return True
    count, _labels = connected_components(W, directed=True, connection="strong")
    return bool(count < W.shape[0])


def _katz(lay: Layer, alpha: float) -> FloatArray:
    n = len(lay.nodes)
    if n == 0:
        return np.zeros(0)
    W = lay.W
    into = np.asarray(W.sum(axis=0)).ravel()
    scale = float(into.max()) if W.nnz else 1.0
    MT = sp.csr_array((W / scale).T)
    x = np.ones(n)
    for _ in range(100_000):
        last = x
        x = alpha * (MT @ x) + 1.0
        if np.abs(x - last).max() <= 1e-13 * np.abs(x).max():
            break
    return np.asarray(x / np.linalg.norm(x), dtype=np.float64)


def _hits(lay: Layer) -> tuple[FloatArray, FloatArray]:
    n = len(lay.nodes)
    W = lay.W
    if W.nnz == 0:
        return np.zeros(n), np.zeros(n)
    W = W / W.data.max()
    if n <= _DENSE:
        _, _, vt = np.linalg.svd(W.toarray())
        a = vt[0]
    else:
        from scipy.sparse.linalg import svds

        _, _, vt = svds(W, k=1, v0=np.ones(n), maxiter=n * 100)
        a = vt[0]
    h = W @ a
    return np.asarray(h / h.sum(), dtype=np.float64), np.asarray(a / a.sum(), dtype=np.float64)


def _closeness(lay: Layer) -> FloatArray:
    n = len(lay.nodes)
    out = np.zeros(n)
    if n < 2:
        return out
    reverse = sp.csr_array(_lengths(lay).T)  # distances *to* each node, as networkx
    chunk = max(1, 4_000_000 // n)
    for start in range(0, n, chunk):
        rows = np.arange(start, min(n, start + chunk))
        dist = dijkstra(reverse, directed=True, indices=rows, unweighted=not lay.weighted)
        finite = np.isfinite(dist)
        reached = finite.sum(axis=1)  # includes the node itself
        total = np.where(finite, dist, 0.0).sum(axis=1)
        good = total > 0
        r = reached[good] - 1.0
        out[rows[good]] = (r / total[good]) * (r / (n - 1))
    return out


def _betweenness(lay: Layer, samples: int | None, seed: int | None) -> FloatArray:
    n = len(lay.nodes)
    k = None if samples is None or samples >= n else samples
    sources = None if k is None else random.Random(seed).sample(range(n), k)
    raw = brandes(_lengths(lay), range(n) if sources is None else sources, lay.weighted)
    return _rescale_betweenness(raw, n, sources)


def brandes(lengths: sp.csr_array, sources: Iterable[int], weighted: bool = True) -> FloatArray:
    """Unnormalised betweenness (Brandes 2001) from ``sources``, on compiled arrays.

    For each source: scipy's Dijkstra (BFS when unweighted) gives the
    distances; an arc ``u -> v`` is on a shortest path when ``d(u) + len ==
    d(v)`` in floating point, the same test networkx makes, so ties are decided
    exactly as networkx decides them. In the order of distance the arcs form a
    triangular matrix ``T``; path counts solve ``(I - T^T) sigma = e_s`` and the
    dependencies ``delta = sigma * y - 1`` with ``(I - T) y = 1 / sigma`` (two
    sparse triangular solves, SuperLU). O(m log n) per source.

    Examples
    --------
    >>> D = sp.csr_array(np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0.0]]))
    >>> brandes(D, range(4)).tolist()  # a->d runs through b and c equally
    [0.0, 0.5, 0.5, 0.0]
    """
    from scipy.sparse.linalg import spsolve_triangular

    n = lengths.shape[0]
    lengths = sp.csr_array(lengths)
    rows = np.repeat(np.arange(n), np.diff(lengths.indptr))
    cols = lengths.indices.astype(np.int64)
    lens = lengths.data if weighted else np.ones(len(cols))
    score = np.zeros(n)
    for s in sources:
        dist = dijkstra(lengths, directed=True, indices=s, unweighted=not weighted)
        du, dv = dist[rows], dist[cols]
        tight = (du + lens == dv) & (du < dv)
        reached = np.flatnonzero(np.isfinite(dist))
        order = reached[np.argsort(dist[reached], kind="stable")]  # order[0] is s
        k = len(order)
        pos = np.empty(n, np.int64)
        pos[order] = np.arange(k)
        tails, heads = pos[rows[tight]], pos[cols[tight]]
        diag = np.arange(k)
        lower = sp.csr_array(
            (
                np.concatenate([np.ones(k), -np.ones(len(tails))]),
                (np.concatenate([diag, heads]), np.concatenate([diag, tails])),
            ),
            shape=(k, k),
        )
        start = np.zeros(k)
        start[0] = 1.0
        sigma = spsolve_triangular(lower, start, lower=True, unit_diagonal=True)
        upper = sp.csr_array(lower.T)
        y = spsolve_triangular(upper, 1.0 / sigma, lower=False, unit_diagonal=True)
        delta = sigma * y - 1.0
        delta[0] = 0.0  # the source itself is an endpoint
        score[order] += delta
    return score


def _rescale_betweenness(raw: FloatArray, n: int, sources: list[int] | None) -> FloatArray:
    """Normalise as networkx 3.6 does (directed, endpoints excluded, sampled sources)."""
    pairs = n - 1  # possible targets other than the node itself
    if pairs < 2:
        return raw
    if sources is None:
        return np.asarray(raw / (pairs * (pairs - 1)), dtype=np.float64)
    k = len(sources)
    scale = np.full(n, 1.0 / (k * (pairs - 1)))
    scale[sources] = 1.0 / ((k - 1) * (pairs - 1))
    return np.asarray(raw * scale, dtype=np.float64)


# -- the public function -----------------------------------------------------------------


def _compute(
    metric: str, lay: Layer, *, samples: int | None, seed: int | None, alpha: float
) -> FloatArray:
    table: dict[str, Callable[[], FloatArray]] = {
        "degree": lambda: _degree(lay, "all"),
        "in-degree": lambda: _degree(lay, "in"),
        "out-degree": lambda: _degree(lay, "out"),
        "betweenness": lambda: _betweenness(lay, samples, seed),
        "closeness": lambda: _closeness(lay),
        "pagerank": lambda: _pagerank(lay, alpha),
        "eigenvector": lambda: _eigenvector(lay),
        "katz": lambda: _katz(lay, alpha),
        "hubs": lambda: _hits(lay)[0],
        "authorities": lambda: _hits(lay)[1],
    }
    return table[metric]()


@dataclass(frozen=True)
class Centrality(MappingResult):
    """What :func:`centrality` found (each field as its Returns section describes).

    ``rows()`` and ``to_frame()``: one row per node (or group, with ``by_group``),
    highest first, the value in the ``values`` column.

    As a former dict it is a read-only mapping (:class:`ecograph.results.MappingResult`)
    with one exception: ``result.values`` is the field (the ranking, a dict), not the
    ``values()`` method of a mapping, so that the field keeps its name;
    ``result.to_dict().values()`` gives what the dict's ``values()`` gave.
    """

    metric: str
    kind: str
    by_group: bool
    weighted: bool
    samples: int | None
    values: dict[str, float | int]  # type: ignore[assignment]  # the field, not the method

    def table_key(self) -> str:
        """``group`` with ``by_group``, else ``node``."""
        return "group" if self.by_group else "node"


@renamed(kind="currency")
def centrality(
    eco: Ecosystem,
    metric: str,
    *,
    currency: str = "traffic",
    by_group: bool = False,
    top: int | None = None,
    samples: int | None = None,
    seed: int | None = None,
    alpha: float | None = None,
) -> Centrality:
    """Rank the nodes of one currency layer by a centrality metric.

    Parameters
    ----------
    eco : Ecosystem
    metric : str
        One of :data:`METRICS`: ``degree``, ``in-degree``, ``out-degree``
        (connections), ``betweenness``, ``closeness``, ``pagerank``,
        ``eigenvector``, ``katz``, ``hubs``, ``authorities``.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency layer; other currencies are ignored.
    by_group : bool, default False
        Roll the map up to sub-ecosystems first: members contracted into their
        sub-ecosystem, volumes between groups summed, pipes inside a group
        dropped. Nodes outside every sub-ecosystem (platforms, pools...) stay
        as themselves.
    top : int, optional
        Keep only the ``top`` highest values.
    samples : int, optional
        Betweenness only: estimate from this many randomly chosen source nodes
        (at least 2) instead of all of them.
    seed : int, optional
        Seed for the sampled sources (the same choice as networkx makes with
        the same seed).
    alpha : float, optional
        PageRank damping or Katz attenuation, in (0, 1); default 0.85.

    Returns
    -------
    Centrality
        ``metric``, ``kind``, ``by_group``, ``weighted`` (False when the layer
        has no volumes and was measured unweighted), ``samples``, and
        ``values``: node (or group) id -> value, highest first, ties in map
        order. Degrees are whole numbers.

    Raises
    ------
    UsageError
        Unknown metric or currency; ``samples`` with another metric or below 2;
        ``top`` below 1; ``alpha`` outside (0, 1).

    Notes
    -----
    Every metric matches the networkx function of the same name on
    :func:`ecograph.flow_layer` with weight ``volume`` (length ``1/volume`` for
    path metrics), zero-volume connections removed (the tests check this on
    104 published flow networks and the example maps, and against igraph);
    they run on scipy sparse matrices instead (see :func:`brandes`). The
    layer's matrices are built once per map, currency and grouping and cached.
    n nodes, m connections:

    - degree, in-degree, out-degree: distinct counterparts, O(m).
    - betweenness: Brandes' algorithm, normalised by ``(n-1)(n-2)``, O(n m + n^2
      log n); sampled, O(k m + k n log n), with networkx 3.6's rescaling of
      sampled sources (unbiased). Paths tie when their lengths are equal in
      floating point, as in networkx.
    - closeness: networkx's (incoming distances, Wasserman-Faust scaling for
      nodes not reached by all), Dijkstra from every node, O(n m log n).
    - pagerank: power iteration with uniform teleport and dangling nodes spread
      uniformly, stopped when the L1 change of the whole vector is below 1e-10
      (networkx's default stops at N * 1e-6, 0.1 at N = 100,000), O(m) per
      iteration, about 140 iterations at alpha 0.85.
    - eigenvector: the Perron vector of the weighted in-adjacency (``x_v = sum
      w_uv x_u``), unit length, by LAPACK or ARPACK (networkx's
      ``eigenvector_centrality_numpy``). A layer without cycles has spectral
      radius 0 and every value 0; where the largest eigenvalue is shared by
      separate strongly connected parts, the vector is not unique.
    - katz: ``x = alpha * M^T x + 1`` with ``M`` the volumes divided by the
      largest in-volume of any node, so that ``alpha < 1`` always converges
      whatever the unit of volume (networkx's ``katz_centrality`` with
      ``alpha / largest in-volume``); unit length. O(m) per iteration.
    - hubs, authorities: HITS, the leading singular vectors of the weighted
      adjacency (networkx's ``hits``), each summing to 1.

    Examples
    --------
    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={n: Node(n, "partner") for n in "abcd"},
    ...     pipes=(Pipe("1", "a", "b", volume=1.0), Pipe("2", "b", "c", volume=1.0),
    ...            Pipe("3", "a", "c", volume=1.0), Pipe("4", "c", "d", volume=2.0)))
    >>> centrality(eco, "in-degree")["values"]
    {'c': 2, 'b': 1, 'd': 1, 'a': 0}
    >>> centrality(eco, "betweenness", top=1)["values"]  # c is on a->d and b->d: 2 / (3*2)
    {'c': 0.3333333333333333}
    """
    if metric not in METRICS:
        raise UsageError(
            f"unknown metric {metric!r}{did_you_mean(metric, METRICS)}; "
            f"expected one of {', '.join(METRICS)}"
        )
    if samples is not None and metric != "betweenness":
        raise UsageError(f"samples applies to betweenness only, not to {metric}")
    if samples is not None and samples < 2:
        raise UsageError(f"samples must be at least 2, got {samples}")
    alpha = checked_options(top, alpha)
    lay = layer(eco, currency, by_group=by_group)
    values = _compute(metric, lay, samples=samples, seed=seed, alpha=alpha)
    return ranking(
        metric,
        lay.nodes,
        values,
        kind=currency,
        by_group=by_group,
        weighted=lay.weighted,
        samples=samples,
        top=top,
    )


def checked_options(top: int | None, alpha: float | None) -> float:
    """Check ``top`` and ``alpha`` as :func:`centrality` takes them (any engine) and give
    the damping to use.

    Raises
    ------
    UsageError
        ``top`` below 1, ``alpha`` outside (0, 1).

    Examples
    --------
    >>> checked_options(10, None)
    0.85
    """
    if top is not None and top < 1:
        raise UsageError(f"top must be at least 1, got {top}")
    alpha = DEFAULT_ALPHA if alpha is None else alpha
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be between 0 and 1, got {alpha}")
    return alpha


def ranking(
    metric: str,
    nodes: Sequence[str],
    values: FloatArray,
    *,
    kind: str = "traffic",
    by_group: bool = False,
    weighted: bool = True,
    samples: int | None = None,
    top: int | None = None,
) -> Centrality:
    """The result of :func:`centrality` from one value per node (any engine's).

    Highest first, ties in the order of ``nodes``; degrees as whole numbers.

    Examples
    --------
    >>> import numpy as np
    >>> ranking("degree", ["a", "b", "c"], np.array([1.0, 2.0, 1.0]), top=2)["values"]
    {'b': 2, 'a': 1}
    """
    order = np.lexsort((np.arange(len(values)), -values))
    if top is not None:
        order = order[:top]
    as_int = metric.endswith("degree")
    ranked: dict[str, float | int] = {
        nodes[i]: (int(values[i]) if as_int else float(values[i])) for i in order.tolist()
    }
    return Centrality(
        metric=metric,
        kind=kind,
        by_group=by_group,
        weighted=weighted,
        samples=samples,
        values=ranked,
    )
