"""Compiled arrays of one currency layer, shared by reach, flow and dependency.

:func:`layer_arrays` turns one currency of a map into scipy sparse matrices
once, from the map's compiled layer, and keeps them in that layer's cache (so for
as long as the map lives; the networkx graph is never touched). The arrays
follow the graph contract of :func:`ecograph.graph.flow_layer` exactly: open
pipes of that currency only, parallel pipes summed, a missing volume counts 0,
a missing capacity is unbounded (``inf``). They are built from the compiled map
rather than from ``eco.graph`` because building the networkx graph of a million
pipes costs seconds and hundreds of megabytes that these analyses do not need.

Throughflow and the open boundary
---------------------------------
Every analysis here sees a map as an input-output flow network (Finn 1976;
Fath & Patten 1999): ``F[i, j]`` the volume from ``i`` to ``j``, ``z`` the
boundary inflow and ``y`` the boundary outflow of each node. A hand-drawn map
rarely balances, so the imbalance of each node is closed at the boundary
before anything is computed: a node that sends more than it receives gets the
difference as extra boundary inflow (traffic that starts there), a node that
receives more than it sends gets it as extra boundary outflow (traffic that
stops there). Then ``T = max(in, out)`` is the node's throughflow, the input-
and output-oriented throughflows agree, and for a balanced map nothing changes
(so enaR's figures are reproduced exactly). ``P = diag(1/T) F`` holds the
routing fractions: the share of what passes a node that goes down each pipe;
the rest of ``T`` leaves the map there.

Linear systems ``(I - P) x = b`` (and transposed) are solved by LU
factorisation (SuperLU, factorised once per layer), in the topological order
of the strongly connected components so that it fills in only inside them,
when the map is small or its components are; else by restarted GMRES to a
relative residual of ``1e-12``: platform maps can hold one strongly connected
component of tens of thousands of partners, where sparse LU fills in
catastrophically (see :class:`Solver`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import csgraph

from ecograph._suggest import did_you_mean
from ecograph.compiled import Layer, compiled
from ecograph.errors import EcographError, UsageError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ecograph.model import Ecosystem

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]
    BoolArray = NDArray[np.bool_]

__all__ = [
    "BLOCK_LIMIT",
    "DIRECT_LIMIT",
    "EXACT_LIMIT",
    "FlowArrays",
    "Solver",
    "compiled_graph",
    "layer_arrays",
    "sampled_return",
    "sampled_visits",
    "sampled_walk_pairs",
    "solve_subsystem",
    "tidy",
]

#: Systems with at most this many nodes are solved by sparse LU (exact to
#: rounding) whatever their shape.
DIRECT_LIMIT = 1_000
#: Larger systems too, if no strongly connected component has more nodes than
#: this (LU then fills in only inside components); else GMRES.
BLOCK_LIMIT = 500
#: Strongly connected components (of the volume graph) with at most this many
#: nodes get the diagonal of their integral flow matrix exactly (dense
#: inverse); larger ones are sampled by random walks.
EXACT_LIMIT = 2_000
#: Relative residual the iterative solver must reach.
RTOL = 1e-12
#: A strongly connected component whose leaks add up to at most this share of
#: its throughflow counts as closed (flow circulates in it without end).
CLOSED_TOL = 1e-12


def tidy(values: FloatArray) -> FloatArray:
    """Round to 12 significant digits, dropping the last bits of rounding noise.

    Solves are accurate to about ``1e-12`` relative, so the digits dropped
    carry no information; integers and short decimals come out as written.

    Examples
    --------
    >>> tidy(np.array([110.00000000000001, 0.1 + 0.2, 0.0, -2.5e-7])).tolist()
    [110.0, 0.3, 0.0, -2.5e-07]
    """
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    ok = np.isfinite(x) & (np.abs(x) > 1e-280) & (np.abs(x) < 1e280)
    magnitude = np.floor(np.log10(np.abs(x[ok])))
    scale = 10.0 ** (11 - magnitude)
    out[ok] = np.round(x[ok] * scale) / scale
    return out


def layer_arrays(eco: Ecosystem, kind: str = "traffic") -> FlowArrays:
    """The :class:`FlowArrays` of one currency of ``eco``, kept in the compiled layer's cache.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", inflow={"traffic": 8.0}),
    ...                             "b": Node("b", "partner")},
    ...     pipes=(Pipe("p1", "a", "b", volume=5.0), Pipe("p2", "a", "b", volume=3.0)))
    >>> arrays = layer_arrays(eco)
    >>> arrays.volume.toarray().tolist()
    [[0.0, 8.0], [0.0, 0.0]]
    >>> layer_arrays(eco) is arrays
    True
    """
    layer = compiled(eco).layer(kind)
    return layer.cached("flow", lambda: FlowArrays(layer))


def _csr(
    rows: IntArray, cols: IntArray, data: FloatArray, n: int, *, drop_zeros: bool
) -> sp.csr_array:
    matrix = sp.csr_array((data, (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    if drop_zeros:
        matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


class FlowArrays:
    """One currency of a map as sparse arrays (see the module docstring), from its
    compiled :class:`~ecograph.compiled.Layer`.

    Attributes
    ----------
    kind : str
    ids : tuple of str
        Node ids in map order; array position ``i`` is node ``ids[i]``.
    index : dict
        Node id -> position.
    structure : scipy.sparse.csr_array
        1.0 where at least one open pipe of this currency runs ``i -> j``
        (whatever its volume).
    volume : scipy.sparse.csr_array
        Summed volume of the open pipes (zero entries dropped).
    capacity : scipy.sparse.csr_array
        Summed capacity of the open pipes, ``inf`` when one is unbounded; same
        pattern as ``structure``.
    inflow, outflow : ndarray
        Declared boundary flows.
    pipe_in, pipe_out : ndarray
        Volume arriving and leaving through pipes.
    imbalance : ndarray
        ``inflow + pipe_in - outflow - pipe_out``.
    throughflow : ndarray
        ``max(in, out)`` per node.
    boundary_in, boundary_out : ndarray
        Boundary flows after closing the imbalance (see the module docstring).
    """

    def __init__(self, layer: Layer) -> None:
        kind = self.kind = layer.kind
        self.ids: tuple[str, ...] = layer.ids
        self.index: dict[str, int] = layer.index
        n = self.n = layer.n
        live = layer.is_open
        src, dst, vol = layer.src[live], layer.dst[live], layer.volume[live]
        cap = layer.capacity[live]
        m = len(src)
        self.inflow: FloatArray = layer.inflow
        self.outflow: FloatArray = layer.outflow
        self._cm = layer.cm
        if (vol < 0).any() or (self.inflow < 0).any() or (self.outflow < 0).any():
            raise UsageError(f"negative {kind} volume or boundary flow: flows must be >= 0")
        self.structure = _csr(src, dst, np.ones(m), n, drop_zeros=False)
        self.structure.data[:] = 1.0
        self.volume = _csr(src, dst, vol, n, drop_zeros=True)
        self.capacity = _csr(src, dst, cap, n, drop_zeros=False)
        self.pipe_in: FloatArray = np.asarray(self.volume.sum(axis=0), dtype=np.float64)
        self.pipe_out: FloatArray = np.asarray(self.volume.sum(axis=1), dtype=np.float64)
        total_in = self.inflow + self.pipe_in
        total_out = self.outflow + self.pipe_out
        self.imbalance: FloatArray = total_in - total_out
        self.throughflow: FloatArray = np.maximum(total_in, total_out)
        self.boundary_in: FloatArray = self.inflow + np.maximum(total_out - total_in, 0.0)
        self.boundary_out: FloatArray = self.outflow + np.maximum(total_in - total_out, 0.0)
        #: Caches of the analyses built on this layer (e.g. a compiled search graph).
        self.memo: dict[str, Any] = {}

    # -- ids ----------------------------------------------------------------------

    def position(self, node: str) -> int:
        """Array position of ``node``; an unknown id raises :class:`UsageError` with a hint."""
        try:
            return self.index[node]
        except KeyError:
            raise UsageError(f"unknown node {node!r}{did_you_mean(node, self.index)}") from None

    def names(self, positions: Iterable[int]) -> list[str]:
        """Node ids of array positions."""
        return self._cm.names(positions)

    # -- derived matrices -----------------------------------------------------------

    @functools.cached_property
    def structure_t(self) -> sp.csr_array:
        """The transpose of :attr:`structure` in CSR form (for searches against the flow)."""
        return sp.csr_array(self.structure.T)

    @functools.cached_property
    def volume_t(self) -> sp.csr_array:
        """The transpose of :attr:`volume` in CSR form (rows: receiving node)."""
        out = sp.csr_array(self.volume.T)
        out.sort_indices()
        return out

    @functools.cached_property
    def routing(self) -> sp.csr_array:
        """``P = diag(1/T) F`` with the rows and columns of closed nodes zeroed."""
        T = self.throughflow
        scale = np.divide(1.0, T, out=np.zeros_like(T), where=T > 0)
        scale[self.closed] = 0.0
        P = sp.csr_array(sp.diags_array(scale) @ self.volume)
        if self.closed.any():
            keep = sp.diags_array((~self.closed).astype(np.float64))
            P = sp.csr_array(P @ keep)
            P.eliminate_zeros()
        P.sort_indices()
        return P

    @functools.cached_property
    def _scc(self) -> tuple[IntArray, IntArray]:
        _, labels = csgraph.connected_components(self.volume, directed=True, connection="strong")
        labels = labels.astype(np.int64)
        return labels, np.bincount(labels, minlength=int(labels.max(initial=-1)) + 1)

    @property
    def components(self) -> IntArray:
        """Strongly connected component label of each node, on the pipes that carry volume."""
        return self._scc[0]

    @property
    def component_sizes(self) -> IntArray:
        """Number of nodes of each component label."""
        return self._scc[1]

    @functools.cached_property
    def cyclic(self) -> BoolArray:
        """True for nodes on a cycle of pipes that carry volume (a component of 2+ or a loop)."""
        labels, sizes = self._scc
        out = sizes[labels] > 1
        out |= self.volume.diagonal() > 0
        return np.asarray(out, dtype=np.bool_)

    @functools.cached_property
    def closed(self) -> BoolArray:
        """True for nodes in a closed loop: flow circulates, nothing enters or leaves.

        Such a component has no boundary outflow and no pipe with volume out
        of it (and therefore, by balance, no inflow either).
        """
        labels, sizes = self._scc
        V = self.volume.tocoo()
        leaving = labels[V.row] != labels[V.col]
        k = len(sizes)
        leak = np.bincount(labels, weights=self.boundary_out, minlength=k)
        leak += np.bincount(labels[V.row[leaving]], weights=V.data[leaving], minlength=k)
        total = np.bincount(labels, weights=self.throughflow, minlength=k)
        closed_label = (total > 0) & (leak <= CLOSED_TOL * total)
        return np.asarray(closed_label[labels] & self.cyclic, dtype=np.bool_)

    def closed_loop_error(self, node: int, what: str) -> UsageError:
        """The error for an analysis that would follow flow around a closed loop forever."""
        labels = self.components
        members = np.flatnonzero(labels == labels[node])[:6]
        loop = ", ".join(self.names(members)) + (", ..." if len(members) == 6 else "")
        return UsageError(
            f"{what} {self.ids[node]!r} is in a closed loop of {self.kind} ({loop}): "
            "flow circulates there with no boundary inflow or outflow, so every amount "
            "is unbounded; declare an outflow on one of its nodes"
        )

    @functools.cached_property
    def origins(self) -> IntArray:
        """Where flow enters the map: nodes with boundary inflow (after closing imbalances).

        A map without any flow figures has none; then the nodes that no open
        pipe of this currency reaches, and that send something, stand in.
        """
        found = np.flatnonzero(self.boundary_in > 0)
        if len(found) == 0:
            indegree = np.diff(self.structure_t.indptr)
            outdegree = np.diff(self.structure.indptr)
            found = np.flatnonzero((indegree == 0) & (outdegree > 0))
        return found.astype(np.int64)

    # -- linear systems ------------------------------------------------------------

    @functools.cached_property
    def _solver(self) -> Solver:
        return Solver(self.routing, self.components)

    def solve(self, b: FloatArray, *, transpose: bool = False) -> FloatArray:
        """Solve ``(I - P) x = b`` (or ``(I - P)^T x = b``) on the whole layer.

        Row ``i`` of ``(I - P)^{-1}`` sums the walks from ``i``; column ``j``
        the walks into ``j``. See :class:`Solver` for the method.
        """
        if self.n == 0:
            return np.zeros(0)
        return self._solver.solve(b, transpose=transpose)

    # -- integral flow diagonal ---------------------------------------------------------

    @functools.cached_property
    def _diagonal(self) -> FloatArray:
        # N[i, i] of nodes in inverted components; NaN where not (yet) computed
        return np.full(self.n, math.nan)

    def exact_diagonal(self, positions: IntArray) -> BoolArray:
        """True where :meth:`integral_diagonal` is exact (components of <= EXACT_LIMIT nodes)."""
        labels, sizes = self._scc
        positions = np.asarray(positions, dtype=np.int64)
        return np.asarray(
            (sizes[labels[positions]] <= EXACT_LIMIT) | self.closed[positions], dtype=np.bool_
        )

    def integral_diagonal(self, positions: IntArray) -> tuple[FloatArray, BoolArray]:
        """``N[i, i]`` of ``N = (I - P)^{-1}`` for the given nodes, where it is affordable.

        Acyclic nodes have ``N[i, i] = 1``; a self-loop alone gives ``1 / (1 -
        P[i, i])``; components of up to :data:`EXACT_LIMIT` nodes are inverted
        densely, once each (a walk that returns to ``i`` never leaves its
        component); closed loops give ``inf``.

        Returns
        -------
        (values, known)
            ``known`` is False for nodes in components too large to invert;
            their ``values`` are NaN.
        """
        positions = np.asarray(positions, dtype=np.int64)
        labels, sizes = self._scc
        size = sizes[labels[positions]]
        values = 1.0 / (1.0 - self.routing.diagonal()[positions])
        known = self.exact_diagonal(positions)
        values[~known] = math.nan
        blocks = (size > 1) & known
        if blocks.any():
            self._invert_components(np.unique(labels[positions[blocks]]))
            values[blocks] = self._diagonal[positions[blocks]]
        closed = self.closed[positions]
        values[closed] = math.inf
        return values, known

    @functools.cached_property
    def _component_order(self) -> tuple[IntArray, IntArray, IntArray]:
        """Nodes sorted by component, where each component starts, each node's place in it."""
        labels = self.components
        order = np.argsort(labels, kind="stable").astype(np.int64)
        starts = np.searchsorted(labels[order], np.arange(len(self.component_sizes) + 1))
        local = np.empty(self.n, dtype=np.int64)
        local[order] = np.arange(self.n) - starts[labels[order]]
        return order, starts.astype(np.int64), local

    def _invert_components(self, components: IntArray) -> None:
        """Fill :attr:`_diagonal` for these components by dense inversion of their blocks."""
        order, starts, local = self._component_order
        labels, sizes = self._scc
        todo = [c for c in components.tolist() if np.isnan(self._diagonal[order[starts[c]]])]
        if not todo:
            return
        need = np.zeros(len(sizes), dtype=np.bool_)
        need[todo] = True
        P = self.routing.tocoo()
        inside = (labels[P.row] == labels[P.col]) & need[labels[P.row]]
        rows, cols, vals = P.row[inside], P.col[inside], P.data[inside]
        by = np.argsort(labels[rows], kind="stable")
        rows, cols, vals = rows[by], cols[by], vals[by]
        edge_labels = labels[rows]
        for c in todo:
            m = int(sizes[c])
            lo = np.searchsorted(edge_labels, c, side="left")
            hi = np.searchsorted(edge_labels, c, side="right")
            block = np.eye(m)
            block[local[rows[lo:hi]], local[cols[lo:hi]]] -= vals[lo:hi]
            members = order[starts[c] : starts[c + 1]]
            self._diagonal[members] = np.diag(np.linalg.inv(block))

    # -- searches ----------------------------------------------------------------

    def reachable(self, source: int, *, reverse: bool = False) -> BoolArray:
        """Nodes reachable from ``source`` over open pipes (against the flow if ``reverse``).

        The source itself is included.
        """
        graph = self.structure_t if reverse else self.structure
        seen = np.zeros(self.n, dtype=np.bool_)
        order = csgraph.breadth_first_order(graph, source, directed=True, return_predecessors=False)
        seen[order] = True
        return seen

    def hop_distances(self, source: int) -> tuple[IntArray, IntArray]:
        """Breadth-first hop counts from ``source`` over open pipes.

        Returns
        -------
        (nodes, hops)
            The reachable nodes in breadth-first order (source first) and their
            hop counts.

        Notes
        -----
        One compiled breadth-first search (:func:`scipy.sparse.csgraph.breadth_first_order`)
        gives the search tree; hop counts follow from it by pointer jumping
        (list ranking) in ``O(n log d)`` vectorised steps, ``d`` the depth.
        """
        order, pred = csgraph.breadth_first_order(
            self.structure, source, directed=True, return_predecessors=True
        )
        order = order.astype(np.int64)
        parent = pred[order].astype(np.int64)
        parent[0] = source
        # positions in `order` of each node's parent
        where = np.empty(self.n, dtype=np.int64)
        where[order] = np.arange(len(order))
        up = where[parent]
        depth = (np.arange(len(order)) != 0).astype(np.int64)
        while (up != 0).any():
            depth = depth + depth[up]
            up = up[up]
        return order, depth


def compiled_graph(arrays: FlowArrays) -> Any:
    """The layer's open pipes as an igraph ``Graph``, built once; None without igraph.

    Vertex ``i`` is node ``i``; vertex ``n`` is a virtual super-source with an
    edge to every origin (:attr:`FlowArrays.origins`), for dominators.
    """
    if "igraph" in arrays.memo:
        return arrays.memo["igraph"]
    try:
        import igraph
    except ImportError:
        arrays.memo["igraph"] = None
        return None
    n = arrays.n
    S = arrays.structure.tocoo()
    origins = arrays.origins
    rows = np.concatenate([S.row.astype(np.int64), np.full(len(origins), n, dtype=np.int64)])
    cols = np.concatenate([S.col.astype(np.int64), origins])
    edges = list(zip(rows.tolist(), cols.tolist(), strict=True))
    graph = igraph.Graph(n=n + 1, edges=edges, directed=True)
    arrays.memo["igraph"] = graph
    return graph


def iterative_solve(
    P: sp.csr_array, b: FloatArray, *, transpose: bool, system: sp.csr_array | None = None
) -> FloatArray:
    """Solve ``(I - P) x = b`` (or transposed) by restarted GMRES, checked.

    ``P`` is substochastic with every row able to leak, so ``I - P`` is a
    nonsingular M-matrix; GMRES starts from the first terms of the Neumann
    series and must reach a relative residual of :data:`RTOL`. ``system``:
    ``I - P`` (or its transpose) in CSR form, if the caller keeps it.
    """
    n = P.shape[0]
    A = system if system is not None else iteration_matrix(P, transpose=transpose)
    M = P.T if transpose else P
    norm = float(np.linalg.norm(b))
    if norm == 0.0:
        return np.zeros(n)
    x0 = b + M @ b
    x, _info = spla.gmres(
        A, b, x0=x0, rtol=RTOL, atol=0.0, restart=min(n, 60), maxiter=max(200, n // 60)
    )
    residual = float(np.linalg.norm(b - A @ x))
    if residual > 1e3 * RTOL * norm:
        x, _info = spla.lgmres(A, b, x0=x, rtol=RTOL, atol=0.0, maxiter=2000)
        residual = float(np.linalg.norm(b - A @ x))
    if residual > 1e3 * RTOL * norm:
        raise EcographError(
            f"the flow equations did not converge (relative residual {residual / norm:.2e}); "
            "the map may hold loops that pass on almost everything they receive"
        )
    return np.asarray(x, dtype=np.float64)


def iteration_matrix(P: sp.csr_array, *, transpose: bool) -> sp.csr_array:
    """``I - P`` (or ``I - P^T``) in CSR form."""
    n = P.shape[0]
    return sp.csr_array(sp.eye_array(n, format="csr") - (P.T if transpose else P))


def solve_subsystem(
    arrays: FlowArrays, keep: BoolArray, b: FloatArray, *, transpose: bool = False
) -> FloatArray:
    """Solve ``(I - P) x = b`` on the nodes of ``keep`` only (the others knocked out).

    Routing fractions stay as they are (fractions of the original
    throughflow); pipes into or out of removed nodes carry nothing.
    """
    positions = np.flatnonzero(keep)
    out = np.zeros(arrays.n)
    if len(positions) == 0:
        return out
    P = sp.csr_array(arrays.routing[positions][:, positions])
    solver = Solver(P, arrays.components[positions])
    out[positions] = solver.solve(b[positions], transpose=transpose)
    return out


class Solver:
    """Solves ``(I - P) x = b`` and ``(I - P)^T x = b`` for one routing matrix, factorised once.

    Direct (SuperLU) when the system is small (at most :data:`DIRECT_LIMIT`
    nodes) or its strongly connected components are (at most
    :data:`BLOCK_LIMIT` nodes each): ordered so that every pipe runs from an
    earlier component to a later one, ``I - P`` is block upper triangular and
    LU in that order fills in only inside the diagonal blocks. Otherwise
    restarted GMRES (:func:`iterative_solve`), since LU of a large strongly
    connected component fills in catastrophically.

    Parameters
    ----------
    P : scipy.sparse.csr_array
        Routing fractions (substochastic rows).
    components : ndarray
        Strongly connected component label of each node, numbered so that a
        pipe between components goes from a higher label to a lower one
        (:func:`scipy.sparse.csgraph.connected_components` numbers them so;
        checked, with a general fill-reducing order as the fallback).
    """

    def __init__(self, P: sp.csr_array, components: IntArray) -> None:
        self.P = P
        n = P.shape[0]
        self.order: IntArray | None = None
        self.lu: Any = None
        self._systems: dict[bool, sp.csr_array] = {}
        largest = int(np.bincount(components).max(initial=0)) if n else 0
        if n > DIRECT_LIMIT and largest > BLOCK_LIMIT:
            return
        M = sp.csc_array(sp.eye_array(n, format="csc") - P.tocsc())
        coo = P.tocoo()
        if (components[coo.row] >= components[coo.col]).all():
            order = np.argsort(-components, kind="stable").astype(np.int64)
            self.order = order
            self.lu = spla.splu(sp.csc_array(M[order][:, order]), permc_spec="NATURAL")
        else:  # pragma: no cover - scipy numbers components topologically
            self.lu = spla.splu(M)

    def solve(self, b: FloatArray, *, transpose: bool = False) -> FloatArray:
        """The solution ``x`` (``transpose``: of the transposed system)."""
        if self.lu is None:
            system = self._systems.get(transpose)
            if system is None:
                system = self._systems[transpose] = iteration_matrix(self.P, transpose=transpose)
            return iterative_solve(self.P, b, transpose=transpose, system=system)
        trans = "T" if transpose else "N"
        if self.order is None:  # pragma: no cover - see __init__
            return np.asarray(self.lu.solve(b, trans=trans), dtype=np.float64)
        out = np.empty(len(b))
        out[self.order] = self.lu.solve(np.ascontiguousarray(b[self.order]), trans=trans)
        return out


# -- random walks (for components too large to invert) ------------------------------------


class _Walker:
    """Vectorised random walks on a CSR matrix of volumes, stopping by boundary outflow.

    From node ``c`` a walker moves to ``j`` with probability ``M[c, j] / T[c]``
    and stops with the remaining probability.
    """

    def __init__(self, M: sp.csr_array, T: FloatArray) -> None:
        self.indptr = M.indptr.astype(np.int64)
        self.indices = M.indices.astype(np.int64)
        self.cum = np.concatenate([[0.0], np.cumsum(M.data)])
        self.T = T

    def step(self, rng: np.random.Generator, cur: IntArray) -> IntArray:
        """The next node of each walker, or -1 where it stops."""
        lo = self.indptr[cur]
        hi = self.indptr[cur + 1]
        base = self.cum[lo]
        u = base + rng.random(len(cur)) * self.T[cur]
        pos = np.searchsorted(self.cum, u, side="right") - 1
        ok = (pos < hi) & (u < self.cum[hi])
        nxt = np.full(len(cur), -1, dtype=np.int64)
        nxt[ok] = self.indices[pos[ok]]
        return nxt


_MAX_STEPS = 100_000


def sampled_return(
    arrays: FlowArrays, candidates: BoolArray, samples: int, seed: int
) -> tuple[float, float]:
    """Estimate ``sum_i T_i r_i`` over ``candidates`` by random walks (``r_i``: return probability).

    Start nodes are drawn in proportion to throughflow; a walk follows the
    routing fractions and succeeds when it returns to its start before it
    leaves the map or its strongly connected component (it could not come back).

    Returns
    -------
    (estimate, standard_error)
    """
    positions = np.flatnonzero(candidates & (arrays.throughflow > 0))
    if len(positions) == 0 or samples <= 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    weights = arrays.throughflow[positions]
    total = float(weights.sum())
    start = rng.choice(positions, size=samples, p=weights / total)
    walker = _Walker(arrays.volume, arrays.throughflow)
    labels = arrays.components
    cur = start.copy()
    home = start.copy()
    returned = 0
    for _ in range(_MAX_STEPS):
        if len(cur) == 0:
            break
        nxt = walker.step(rng, cur)
        back = nxt == home
        returned += int(back.sum())
        alive = (nxt >= 0) & ~back
        alive[alive] &= labels[nxt[alive]] == labels[home[alive]]
        cur, home = nxt[alive], home[alive]
    p = returned / samples
    return total * p, total * math.sqrt(max(p * (1.0 - p), 0.0) / samples)


def sampled_walk_pairs(
    arrays: FlowArrays, target: int, samples: int, seed: int
) -> tuple[IntArray, IntArray]:
    """Trace ``samples`` units of ``target``'s throughflow back to where they entered the map.

    A unit at node ``j`` came from ``i`` with probability ``F[i, j] / T[j]``
    and from outside with probability ``z'[j] / T[j]`` (input-oriented; the
    two add up to 1 because ``T = z' + F^T 1``).

    Returns
    -------
    (walks, nodes)
        One pair per walk and node other than the target it passed through
        (each pair once).
    """
    rng = np.random.default_rng(seed)
    walker = _Walker(arrays.volume_t, arrays.throughflow)
    cur = np.full(samples, target, dtype=np.int64)
    walk = np.arange(samples, dtype=np.int64)
    seen_walk: list[IntArray] = []
    seen_node: list[IntArray] = []
    for _ in range(_MAX_STEPS):
        if len(cur) == 0:
            break
        nxt = walker.step(rng, cur)
        alive = nxt >= 0
        cur, walk = nxt[alive], walk[alive]
        other = cur != target
        seen_walk.append(walk[other])
        seen_node.append(cur[other])
    if not seen_node:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = np.unique(np.concatenate(seen_node) * samples + np.concatenate(seen_walk))
    return (key % samples).astype(np.int64), (key // samples).astype(np.int64)


def sampled_visits(
    arrays: FlowArrays, target: int, samples: int, seed: int
) -> tuple[IntArray, IntArray]:
    """For each node other than ``target``: how many of the traced-back walks passed it.

    See :func:`sampled_walk_pairs`; returns ``(nodes, counts)``.
    """
    _, nodes = sampled_walk_pairs(arrays, target, samples, seed)
    found, counts = np.unique(nodes, return_counts=True)
    return found.astype(np.int64), counts.astype(np.int64)
