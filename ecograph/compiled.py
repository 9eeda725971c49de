"""The compiled map: one columnar representation of a map, built once and cached on it.

Every analysis, the renderer, the exports, what-if and diff read a map through
a :class:`CompiledMap`: node columns and pipe columns as numpy arrays (the
same columns as ``ecograph export --format csv``, Arrow-compatible, see
:meth:`CompiledMap.to_arrow`), and per currency one :class:`Layer` (that
currency's pipes, node sums, and whatever an analysis derives from them: the
sparse matrices, the solver, the dominator tree...), built lazily and kept in
the layer's own :attr:`Layer.cache`. Nothing is cached in module globals: the
compiled map lives in the :class:`~ecograph.model.Ecosystem`'s cache (its
``_cache`` dict, in the way networkx keeps ``__networkx_cache__``) and goes
when the map goes.

Maps from YAML are compiled from their model objects (:func:`compile_model`);
maps from tables are compiled straight from the table columns
(:func:`from_columns`), and their model objects are only made when somebody
asks for them.

Columns
-------
Nodes (``n`` rows, in map order): ``ids``; ``kind`` (code into
:data:`~ecograph.model.NODE_KINDS`); ``parent`` (row of the parent, ``-1`` for
none); ``users`` (``nan`` where not given); ``inflow`` and ``outflow`` (``n x
k``, ``k`` = len(:data:`~ecograph.model.CURRENCIES`), 0 where absent);
``labels``; ``tags`` and ``genes`` (tuples of str); ``price`` (``nan`` where
not given); ``owner`` (row of the node whose pool it is: its ``owner``, else
a pool's parent; ``-1`` for none); ``domain`` (code into :data:`DOMAINS`,
``-1`` where not given).

Pipes (``m`` rows, in map order): ``keys``; ``src`` and ``dst`` (node rows);
``currency`` (code into :data:`~ecograph.model.CURRENCIES`); ``volume``,
``cost`` and ``conversion`` (``nan`` where not given); ``capacity`` (``inf``
where unbounded); ``open`` (bool); ``paid_by_from`` (bool: the sender pays
the cost, ``paid_by: from``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from ecograph._perf import gc_paused
from ecograph._suggest import did_you_mean
from ecograph.errors import UsageError
from ecograph.model import CURRENCIES, NODE_KINDS, Ecosystem, Node, Pipe, check_currency

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CURRENCY_CODE",
    "DOMAINS",
    "KIND_CODE",
    "CompiledMap",
    "Layer",
    "compile_model",
    "compiled",
    "from_columns",
    "node_columns",
    "pipe_columns",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
T = TypeVar("T")

#: Node kind -> code in the ``kind`` column.
KIND_CODE: dict[str, int] = {kind: i for i, kind in enumerate(NODE_KINDS)}
#: Currency -> code in the ``currency`` column.
CURRENCY_CODE: dict[str, int] = {currency: i for i, currency in enumerate(CURRENCIES)}
#: Pool domains; the ``domain`` column holds the position, -1 where not given.
DOMAINS: tuple[str, ...] = ("public", "private")
#: The key under which a map keeps its compiled form in ``Ecosystem._cache``.
CACHE_KEY = "compiled"


def compiled(eco: Ecosystem) -> CompiledMap:
    """The compiled form of ``eco``: built on first use, then kept in the map's cache.

    Examples
    --------
    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("p", "a", "b", volume=2.0),))
    >>> cm = compiled(eco)
    >>> cm.src.tolist(), cm.dst.tolist(), cm.volume.tolist()
    ([0], [1], [2.0])
    >>> compiled(eco) is cm
    True
    """
    cache = eco._cache
    found = cache.get(CACHE_KEY)
    if found is None:
        found = cache[CACHE_KEY] = compile_model(eco)
    return found


def compile_model(eco: Ecosystem) -> CompiledMap:
    """Build the columns of a map from its model objects (see :func:`compiled`).

    Examples
    --------
    >>> from ecograph.model import Node, Pipe
    >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
    ...     "a": Node("a", "partner", parent="p", inflow={"traffic": 3.0})},
    ...     pipes=(Pipe("q", "a", "p", kind="capital", capacity=4.0, status="blocked"),))
    >>> cm = compile_model(eco)
    >>> cm.parent.tolist(), cm.inflow[1].tolist(), cm.currency.tolist(), cm.open.tolist()
    ([-1, 0], [3.0, 0.0, 0.0, 0.0], [1], [False])
    """
    with gc_paused():
        ids = tuple(eco.nodes)
        index = {node: i for i, node in enumerate(ids)}
        return CompiledMap(
            ids=ids,
            **node_columns(tuple(eco.nodes.values()), index),
            **pipe_columns(eco.pipes, index),
        )


def node_columns(nodes: Sequence[Node], index: Mapping[str, int]) -> dict[str, Any]:
    """The node columns of :class:`CompiledMap` for some nodes, ``index`` giving the row of
    every node id they name (a parent, an owner); an owner not in ``index`` owns nothing.

    Examples
    --------
    >>> from ecograph.model import Node
    >>> cols = node_columns([Node("s", "pool", parent="p", outflow={"capital": 2.0})],
    ...                     {"p": 0, "s": 1})
    >>> cols["parent"].tolist(), cols["owner"].tolist(), cols["outflow"].tolist()
    ([0], [0], [[0.0, 2.0, 0.0, 0.0]])
    """
    n, k = len(nodes), len(CURRENCIES)
    kind = np.fromiter(map(KIND_CODE.__getitem__, map(attrgetter("kind"), nodes)), np.int8, n)
    parent = np.fromiter(
        (index[p] if p is not None else -1 for p in map(attrgetter("parent"), nodes)),
        np.int64,
        n,
    )
    owner = np.fromiter(
        (
            # an owner a what-if removed owns nothing any more
            index.get(o, -1)
            if o is not None
            else (index[p] if p is not None and k == "pool" else -1)
            for o, p, k in zip(
                map(attrgetter("owner"), nodes),
                map(attrgetter("parent"), nodes),
                map(attrgetter("kind"), nodes),
                strict=True,
            )
        ),
        np.int64,
        n,
    )
    domain = np.fromiter(
        (DOMAINS.index(d) if d is not None else -1 for d in map(attrgetter("domain"), nodes)),
        np.int8,
        n,
    )
    inflow = np.zeros((n, k))
    outflow = np.zeros((n, k))
    for i, node in enumerate(nodes):
        for name, amount in node.inflow.items():
            inflow[i, CURRENCY_CODE[name]] = amount
        for name, amount in node.outflow.items():
            outflow[i, CURRENCY_CODE[name]] = amount
    return {
        "kind": kind,
        "parent": parent,
        "users": _floats(map(attrgetter("users"), nodes), n, np.nan),
        "inflow": inflow,
        "outflow": outflow,
        "labels": tuple(map(attrgetter("label"), nodes)),
        "tags": tuple(map(attrgetter("tags"), nodes)),
        "genes": tuple(map(attrgetter("genes"), nodes)),
        "price": _floats(map(attrgetter("price"), nodes), n, np.nan),
        "owner": owner,
        "domain": domain,
    }


def pipe_columns(pipes: Sequence[Pipe], index: Mapping[str, int]) -> dict[str, Any]:
    """The pipe columns of :class:`CompiledMap` for some pipes, ``index`` giving the row of
    their ends.

    Examples
    --------
    >>> from ecograph.model import Pipe
    >>> cols = pipe_columns([Pipe("q", "b", "a", kind="data", status="blocked")],
    ...                     {"a": 0, "b": 1})
    >>> cols["src"].tolist(), cols["currency"].tolist(), cols["open"].tolist()
    ([1], [3], [False])
    """
    m = len(pipes)
    return {
        "keys": tuple(map(attrgetter("key"), pipes)),
        "src": np.fromiter(
            map(index.__getitem__, map(attrgetter("from_node"), pipes)), np.int64, m
        ),
        "dst": np.fromiter(map(index.__getitem__, map(attrgetter("to_node"), pipes)), np.int64, m),
        "currency": np.fromiter(
            map(CURRENCY_CODE.__getitem__, map(attrgetter("kind"), pipes)), np.int8, m
        ),
        "volume": _floats(map(attrgetter("volume"), pipes), m, np.nan),
        "capacity": _floats(map(attrgetter("capacity"), pipes), m, np.inf),
        "cost": _floats(map(attrgetter("cost"), pipes), m, np.nan),
        "conversion": _floats(map(attrgetter("conversion"), pipes), m, np.nan),
        "open": np.fromiter(map("open".__eq__, map(attrgetter("status"), pipes)), np.bool_, m),
        "paid_by_from": np.fromiter(
            map("from".__eq__, map(attrgetter("paid_by"), pipes)), np.bool_, m
        ),
    }


def _floats(values: Iterable[float | None], count: int, missing: float) -> FloatArray:
    """A float column from optional numbers, ``missing`` standing for None."""
    out = np.array(list(values), dtype=np.float64).reshape(count)  # None -> nan
    if not np.isnan(missing):
        out[np.isnan(out)] = missing
    return out


def from_columns(**columns: Any) -> CompiledMap:
    """A compiled map from ready columns (the tables loader's way in); see :class:`CompiledMap`.

    Missing optional columns default to: ``users``, ``volume``, ``cost``,
    ``conversion``, ``price`` all ``nan``; ``capacity`` ``inf``; ``open`` True;
    ``inflow`` and ``outflow`` 0; ``labels`` the ids; ``tags`` and ``genes``
    empty; ``owner`` and ``domain`` -1; ``paid_by_from`` False.

    Examples
    --------
    >>> cm = from_columns(ids=("a", "b"), kind=[3, 2], parent=[-1, -1],
    ...     keys=("a->b:traffic",), src=[0], dst=[1], currency=[0], volume=[5.0])
    >>> cm.labels, cm.capacity.tolist(), cm.layer("traffic").volume.tolist()
    (('a', 'b'), [inf], [5.0])
    """
    ids = tuple(columns.pop("ids"))
    keys = tuple(columns.pop("keys"))
    n, m, k = len(ids), len(keys), len(CURRENCIES)

    def col(name: str, dtype: Any, fill: Any, shape: tuple[int, ...]) -> Any:
        value = columns.pop(name, None)
        if value is None:
            return np.full(shape, fill, dtype=dtype)
        return np.asarray(value, dtype=dtype).reshape(shape)

    out = CompiledMap(
        ids=ids,
        kind=col("kind", np.int8, 0, (n,)),
        parent=col("parent", np.int64, -1, (n,)),
        users=col("users", np.float64, np.nan, (n,)),
        inflow=col("inflow", np.float64, 0.0, (n, k)),
        outflow=col("outflow", np.float64, 0.0, (n, k)),
        labels=tuple(columns.pop("labels", None) or ids),
        tags=tuple(columns.pop("tags", None) or ((),) * n),
        genes=tuple(columns.pop("genes", None) or ((),) * n),
        keys=keys,
        src=col("src", np.int64, 0, (m,)),
        dst=col("dst", np.int64, 0, (m,)),
        currency=col("currency", np.int8, 0, (m,)),
        volume=col("volume", np.float64, np.nan, (m,)),
        capacity=col("capacity", np.float64, np.inf, (m,)),
        cost=col("cost", np.float64, np.nan, (m,)),
        conversion=col("conversion", np.float64, np.nan, (m,)),
        open=col("open", np.bool_, True, (m,)),
        price=col("price", np.float64, np.nan, (n,)),
        owner=col("owner", np.int64, -1, (n,)),
        domain=col("domain", np.int8, -1, (n,)),
        paid_by_from=col("paid_by_from", np.bool_, False, (m,)),
    )
    if columns:
        raise TypeError(f"unknown columns: {', '.join(sorted(columns))}")
    return out


class CompiledMap:
    """A map as columns (see the module docstring); read-only by convention.

    Build it with :func:`compiled` (from a loaded map) or :func:`from_columns`.

    Attributes
    ----------
    ids : tuple of str
    index : dict
        Node id -> row.
    kind, parent, users, inflow, outflow, labels, tags, genes, price, owner, domain
        Node columns.
    keys, src, dst, currency, volume, capacity, cost, conversion, open, paid_by_from
        Pipe columns.
    builds : collections.Counter
        How many times each derived structure was built (a second analysis of
        the same map builds nothing again; tests count on it).
    """

    __slots__ = (
        "__dict__",
        "_layers",
        "builds",
        "capacity",
        "conversion",
        "cost",
        "currency",
        "domain",
        "dst",
        "genes",
        "ids",
        "inflow",
        "keys",
        "kind",
        "labels",
        "open",
        "outflow",
        "owner",
        "paid_by_from",
        "parent",
        "price",
        "src",
        "tags",
        "users",
        "volume",
    )

    def __init__(
        self,
        *,
        ids: tuple[str, ...],
        kind: npt.NDArray[np.int8],
        parent: IntArray,
        users: FloatArray,
        inflow: FloatArray,
        outflow: FloatArray,
        labels: tuple[str, ...],
        tags: tuple[tuple[str, ...], ...],
        genes: tuple[tuple[str, ...], ...],
        keys: tuple[str, ...],
        src: IntArray,
        dst: IntArray,
        currency: npt.NDArray[np.int8],
        volume: FloatArray,
        capacity: FloatArray,
        cost: FloatArray,
        conversion: FloatArray,
        open: BoolArray,
        price: FloatArray | None = None,
        owner: IntArray | None = None,
        domain: npt.NDArray[np.int8] | None = None,
        paid_by_from: BoolArray | None = None,
    ) -> None:
        self.ids, self.kind, self.parent, self.users = ids, kind, parent, users
        self.inflow, self.outflow, self.labels = inflow, outflow, labels
        self.tags, self.genes = tags, genes
        self.keys, self.src, self.dst, self.currency = keys, src, dst, currency
        self.volume, self.capacity, self.cost = volume, capacity, cost
        self.conversion, self.open = conversion, open
        n, m = len(ids), len(keys)
        self.price: FloatArray = price if price is not None else np.full(n, np.nan)
        self.owner: IntArray = owner if owner is not None else np.full(n, -1, np.int64)
        self.domain: npt.NDArray[np.int8] = (
            domain if domain is not None else np.full(n, -1, np.int8)
        )
        self.paid_by_from: BoolArray = (
            paid_by_from if paid_by_from is not None else np.zeros(m, np.bool_)
        )
        self._layers: dict[str, Layer] = {}
        self.builds: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"<CompiledMap: {self.n} nodes, {self.m} pipes>"

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.ids)

    @property
    def m(self) -> int:
        """Number of pipes."""
        return len(self.keys)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Node id -> row."""
        return {node: i for i, node in enumerate(self.ids)}

    @functools.cached_property
    def pipe_index(self) -> dict[str, int]:
        """Pipe key -> row."""
        return {key: i for i, key in enumerate(self.keys)}

    def row(self, node: str, role: str = "") -> int:
        """Row of ``node``; an unknown id raises :class:`UsageError` with a hint.

        Examples
        --------
        >>> cm = from_columns(ids=("dingtalk",), keys=())
        >>> cm.row("dingtalk")
        0
        >>> cm.row("dingtak", "target")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ecograph.errors.UsageError: unknown target node 'dingtak' (did you mean 'dingtalk'?)
        """
        try:
            return self.index[node]
        except KeyError:
            what = f"{role} node" if role else "node"
            raise UsageError(f"unknown {what} {node!r}{did_you_mean(node, self.index)}") from None

    @functools.cached_property
    def id_array(self) -> npt.NDArray[np.object_]:
        """The ids as a numpy object array (for fancy indexing)."""
        return np.array(self.ids, dtype=object)

    def names(self, rows: Iterable[int]) -> list[str]:
        """Node ids of rows."""
        if isinstance(rows, np.ndarray):
            return list(self.id_array[rows].tolist())
        ids = self.ids
        return [ids[i] for i in rows]

    # -- membership -------------------------------------------------------------

    def group_rows(self, kinds: Sequence[str] = ("sub-ecosystem",)) -> IntArray:
        """Row of the nearest container of each node (or the node) whose kind is in
        ``kinds``; ``-1`` where there is none.

        Vectorised over the membership tree: one pass per level of nesting.

        Examples
        --------
        >>> cm = from_columns(ids=("p", "s", "a", "b"), kind=[0, 1, 2, 2],
        ...     parent=[-1, 0, 1, 0], keys=())
        >>> cm.group_rows().tolist()
        [-1, 1, 1, -1]
        """
        key = "group:" + ",".join(kinds)
        cached = self.__dict__.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        wanted = np.zeros(len(NODE_KINDS) + 1, dtype=np.bool_)
        for kind in kinds:
            wanted[KIND_CODE[kind]] = True
        out = np.where(wanted[self.kind], np.arange(self.n), -1).astype(np.int64)
        current = self.parent.copy()
        todo = np.flatnonzero(out < 0)
        # walk up the tree for the nodes still without a group, a level at a time
        while len(todo):
            up = current[todo]
            has = up >= 0
            todo, up = todo[has], up[has]
            hit = wanted[self.kind[up]]
            out[todo[hit]] = up[hit]
            todo = todo[~hit]
            current[todo] = self.parent[up[~hit]]
        self.__dict__[key] = out
        return out

    # -- layers -----------------------------------------------------------------

    def layer(self, currency: str = "traffic") -> Layer:
        """The :class:`Layer` of one currency (built on first use, then cached)."""
        check_currency(currency)
        found = self._layers.get(currency)
        if found is None:
            self.builds["layer"] += 1
            found = self._layers[currency] = Layer(self, currency)
        return found

    def currencies(self) -> tuple[str, ...]:
        """Currencies used by pipes or boundary flows, in :data:`CURRENCIES` order."""
        used = set(np.unique(self.currency).tolist())
        used.update(np.flatnonzero((self.inflow != 0).any(0) | (self.outflow != 0).any(0)))
        return tuple(c for i, c in enumerate(CURRENCIES) if i in used)

    # -- sums ---------------------------------------------------------------------

    @functools.cached_property
    def pipe_sums(self) -> tuple[FloatArray, FloatArray]:
        """Volume of open pipes into and out of each node, ``n x k`` arrays."""
        n, k = self.n, len(CURRENCIES)
        carried = np.where(self.open & ~np.isnan(self.volume), self.volume, 0.0)
        cur = self.currency.astype(np.int64)

        def per_node(rows: IntArray) -> FloatArray:
            sums = np.bincount(rows * k + cur, weights=carried, minlength=n * k)
            return sums.reshape(n, k).astype(np.float64)

        return per_node(self.dst), per_node(self.src)

    def throughflow(self) -> FloatArray:
        """Flow through each node per currency: the larger of all in and all out (``n x k``).

        Examples
        --------
        >>> cm = from_columns(ids=("a", "b"), inflow=[[7.0, 0, 0, 0], [0, 0, 0, 0]],
        ...     keys=("p",), src=[0], dst=[1], volume=[5.0])
        >>> cm.throughflow()[:, 0].tolist()
        [7.0, 5.0]
        """
        into, out = self.pipe_sums
        return np.maximum(into + self.inflow, out + self.outflow)

    # -- Arrow ---------------------------------------------------------------------

    def to_arrow(self) -> tuple[pa.Table, pa.Table]:
        """The node and pipe columns as two pyarrow Tables (ids, not rows, in ``parent``,
        ``from`` and ``to``).

        Examples
        --------
        >>> cm = from_columns(ids=("a", "b"), kind=[3, 2], keys=("p",), src=[0], dst=[1])
        >>> nodes, pipes = cm.to_arrow()
        >>> nodes.column("kind").to_pylist(), pipes.column("to").to_pylist()
        (['pool', 'partner'], ['b'])
        """
        return self.nodes_arrow(), self.pipes_arrow()

    def nodes_arrow(self) -> pa.Table:
        """The node columns as a pyarrow Table (see :meth:`to_arrow`)."""
        import pyarrow as pa

        ids = pa.array(self.ids, pa.string())
        parent = pa.array(
            [self.ids[p] if p >= 0 else None for p in self.parent.tolist()], pa.string()
        )
        node_cols: dict[str, Any] = {
            "id": ids,
            "kind": pa.array([NODE_KINDS[c] for c in self.kind.tolist()], pa.string()),
            "label": pa.array(self.labels, pa.string()),
            "parent": parent,
            "users": pa.array(self.users, pa.float64(), from_pandas=True),
        }
        for c, currency in enumerate(CURRENCIES):
            node_cols[f"inflow_{currency}"] = pa.array(self.inflow[:, c])
            node_cols[f"outflow_{currency}"] = pa.array(self.outflow[:, c])
        node_cols["tags"] = pa.array([list(t) for t in self.tags], pa.list_(pa.string()))
        node_cols["genes"] = pa.array([list(g) for g in self.genes], pa.list_(pa.string()))
        node_cols["price"] = pa.array(self.price, pa.float64(), from_pandas=True)
        node_cols["owner"] = pa.array(
            [self.ids[o] if o >= 0 else None for o in self.owner.tolist()], pa.string()
        )
        node_cols["domain"] = pa.array(
            [DOMAINS[d] if d >= 0 else None for d in self.domain.tolist()], pa.string()
        )
        return pa.table(node_cols)

    def pipes_arrow(self) -> pa.Table:
        """The pipe columns as a pyarrow Table (see :meth:`to_arrow`)."""
        import pyarrow as pa

        id_array = self.id_array
        pipe_cols: dict[str, Any] = {
            "key": pa.array(self.keys, pa.string()),
            "from": pa.array(id_array[self.src].tolist(), pa.string()),
            "to": pa.array(id_array[self.dst].tolist(), pa.string()),
            "kind": pa.array([CURRENCIES[c] for c in self.currency.tolist()], pa.string()),
            "volume": pa.array(self.volume, pa.float64(), from_pandas=True),
            "capacity": pa.array(
                np.where(np.isinf(self.capacity), np.nan, self.capacity),
                pa.float64(),
                from_pandas=True,
            ),
            "cost": pa.array(self.cost, pa.float64(), from_pandas=True),
            "conversion": pa.array(self.conversion, pa.float64(), from_pandas=True),
            "status": pa.array(np.where(self.open, "open", "blocked").tolist(), pa.string()),
            "paid_by": pa.array(np.where(self.paid_by_from, "from", "to").tolist(), pa.string()),
        }
        return pa.table(pipe_cols)


class Layer:
    """The pipes of one currency (all statuses, map order) and its node sums.

    Attributes
    ----------
    kind : str
        The currency.
    cm : CompiledMap
        The map it belongs to; ``ids``, ``index`` and ``n`` are the map's.
    rows : ndarray of int
        Row of each of these pipes in the map's pipe columns.
    src, dst : ndarray of int
    volume : ndarray of float
        0.0 where not given (see ``volume_given``).
    volume_given, is_open : ndarray of bool
    capacity, cost, conversion : ndarray of float
        ``inf`` capacity where unbounded; ``nan`` cost and conversion where not given.
    paid_by_from : ndarray of bool
        The sender pays the pipe's cost.
    inflow, outflow : ndarray of float
        Declared boundary flows of this currency.
    cache : dict
        What analyses derive from the layer (sparse matrices, solver, dominator
        tree, live arcs...), built once each through :meth:`cached`.

    Examples
    --------
    >>> cm = from_columns(ids=("a", "b"), keys=("p", "q", "r"), src=[0, 0, 1], dst=[1, 1, 0],
    ...     currency=[0, 1, 0], volume=[2.0, 9.0, float("nan")], open=[True, True, False])
    >>> L = cm.layer("traffic")
    >>> L.rows.tolist(), L.keys, L.volume.tolist(), L.volume_given.tolist()
    ([0, 2], ('p', 'r'), [2.0, 0.0], [True, False])
    """

    def __init__(self, cm: CompiledMap, kind: str) -> None:
        self.kind = kind
        self.cm = cm
        code = CURRENCY_CODE[kind]
        rows = np.flatnonzero(cm.currency == code).astype(np.int64)
        self.rows: IntArray = rows
        self.src: IntArray = cm.src[rows]
        self.dst: IntArray = cm.dst[rows]
        raw = cm.volume[rows]
        self.volume_given: BoolArray = ~np.isnan(raw)
        self.volume: FloatArray = np.where(self.volume_given, raw, 0.0)
        self.capacity: FloatArray = cm.capacity[rows]
        self.cost: FloatArray = cm.cost[rows]
        self.conversion: FloatArray = cm.conversion[rows]
        self.is_open: BoolArray = cm.open[rows]
        self.paid_by_from: BoolArray = cm.paid_by_from[rows]
        self.inflow: FloatArray = np.ascontiguousarray(cm.inflow[:, code])
        self.outflow: FloatArray = np.ascontiguousarray(cm.outflow[:, code])
        self.cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<Layer {self.kind!r}: {len(self.rows)} pipes>"

    @property
    def ids(self) -> tuple[str, ...]:
        """Node ids of the map (rows index into it)."""
        return self.cm.ids

    @property
    def index(self) -> dict[str, int]:
        """Node id -> row."""
        return self.cm.index

    @property
    def n(self) -> int:
        """Number of nodes of the map."""
        return self.cm.n

    @functools.cached_property
    def keys(self) -> tuple[str, ...]:
        """Keys of these pipes."""
        keys = self.cm.keys
        return tuple(keys[i] for i in self.rows.tolist())

    @property
    def pipe_sums(self) -> tuple[FloatArray, FloatArray]:
        """Volume of this currency's open pipes into and out of each node (the map's
        :attr:`CompiledMap.pipe_sums`, one column).

        Examples
        --------
        >>> L = from_columns(ids=("a", "b"), keys=("p", "q"), src=[0, 0], dst=[1, 1],
        ...     volume=[2.0, 5.0], open=[True, False]).layer()
        >>> [x.tolist() for x in L.pipe_sums]
        [[0.0, 2.0], [2.0, 0.0]]
        """
        into, out = self.cm.pipe_sums
        code = CURRENCY_CODE[self.kind]
        return into[:, code], out[:, code]

    @functools.cached_property
    def live(self) -> IntArray:
        """Positions (in this layer) of the open pipes that join two different nodes: the
        arcs a flow can use."""
        return np.flatnonzero(self.is_open & (self.src != self.dst))

    def cached(self, name: str, build: Callable[[], T]) -> T:
        """``cache[name]``, built by ``build()`` the first time (and counted in ``builds``).

        Examples
        --------
        >>> L = from_columns(ids=("a",), keys=()).layer()
        >>> L.cached("x", lambda: [1]) is L.cached("x", lambda: [2])
        True
        >>> L.cm.builds["traffic:x"]
        1
        """
        found = self.cache.get(name)
        if found is None:
            self.cm.builds[f"{self.kind}:{name}"] += 1
            found = self.cache[name] = build()
        return found
