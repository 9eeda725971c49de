"""The validated ecosystem model: frozen dataclasses, no I/O, no YAML, no networkx.

An :class:`Ecosystem` is what :func:`ecograph.load` returns. It holds
:class:`Node` objects keyed by id (in file order) and :class:`Pipe` objects in
file order, plus the warnings found while validating. Membership (``parent``)
is a tree over the nodes; helpers here walk it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ecograph.errors import Diagnostic, UsageError

__all__ = [
    "CURRENCIES",
    "NODE_KINDS",
    "PERIODS",
    "Ecosystem",
    "Location",
    "Node",
    "Pipe",
    "check_currency",
    "pipe_key",
    "register_view",
]

#: Node kinds, in the order legends and summaries list them.
NODE_KINDS: tuple[str, ...] = (
    "platform",
    "sub-ecosystem",
    "partner",
    "pool",
    "channel",
    "producer",
    "fund",
)
#: Pipe currencies. They are never added together.
CURRENCIES: tuple[str, ...] = ("traffic", "capital", "goods", "data")
#: Periods a map's volumes can be measured per.
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")


def check_currency(kind: str) -> str:
    """Return ``kind`` if it is a currency, else raise :class:`UsageError` with a hint.

    Examples
    --------
    >>> check_currency("capital")
    'capital'
    >>> check_currency("trafic")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: unknown currency 'trafic' (did you mean 'traffic'?); ...
    """
    if kind not in CURRENCIES:
        from ecograph._suggest import did_you_mean

        raise UsageError(
            f"unknown currency {kind!r}{did_you_mean(kind, CURRENCIES)}; "
            f"expected one of {', '.join(CURRENCIES)}"
        )
    return kind


#: Builders of the derived views of a map (``graph``, ``html``), registered by the
#: modules that own them so that the model imports neither networkx nor the renderer.
_VIEWS: dict[str, Callable[[Ecosystem], Any]] = {}


def register_view(name: str, build: Callable[[Ecosystem], Any]) -> None:
    """Register the builder of a derived view of every map (``"graph"``, ``"html"``).

    :mod:`ecograph.graph` registers ``graph`` (the networkx graph behind
    :attr:`Ecosystem.graph`) and :mod:`ecograph.render` registers ``html`` (the
    notebook display); the model itself knows neither.

    Examples
    --------
    >>> register_view("graph", _VIEWS["graph"])  # what ecograph.graph does on import
    >>> "graph" in _VIEWS
    True
    """
    _VIEWS[name] = build


def _view(name: str) -> Callable[[Ecosystem], Any]:
    try:
        return _VIEWS[name]
    except KeyError:  # pragma: no cover - ecograph/__init__ imports the owners
        raise RuntimeError(f"no {name!r} view registered: import ecograph first") from None


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: file and 1-based line and column.

    Examples
    --------
    >>> str(Location("m.yaml", 3, 5))
    'm.yaml:3:5'
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the map.

    Attributes
    ----------
    id : str
        Stable id (the key under ``nodes``).
    kind : str
        One of :data:`NODE_KINDS`.
    label : str
        Display name; the id when the map gives none.
    parent : str or None
        Id of the containing node (membership, not flow).
    users : float or None
        Users of the node (the size of a pool), if given.
    inflow, outflow : Mapping[str, float]
        Boundary flow per currency, per period (absent currencies are 0).
    tags, genes : tuple of str
    description, source : str or None
    attrs : Mapping[str, Any]
        Free-form user attributes, as written.
    location : Location
        Where the node's id was written.
    price : float or None
        Revenue per converted unit at the node (an order's value), in the map's
        capital unit.
    domain : {"public", "private"} or None
        Pools only: the giants' traffic (public) or the owner's own (private).
    owner : str or None
        Pools only: id of the node whose pool it is, as written (see
        :meth:`Ecosystem.owner_of` for the default, the parent).

    Examples
    --------
    >>> Node("a", "partner").label
    'a'
    """

    id: str
    kind: str
    label: str = ""
    parent: str | None = None
    users: float | None = None
    inflow: Mapping[str, float] = field(default_factory=_empty)
    outflow: Mapping[str, float] = field(default_factory=_empty)
    tags: tuple[str, ...] = ()
    genes: tuple[str, ...] = ()
    description: str | None = None
    source: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=_empty)
    location: Location = Location("<model>", 0, 0)
    price: float | None = None
    domain: str | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.id)


@dataclass(frozen=True, slots=True)
class Pipe:
    """One directed pipe.

    Attributes
    ----------
    key : str
        Unique key of the pipe in the map: its ``id`` if given, otherwise
        ``"<from>-><to>:<kind>"`` with ``#2``, ``#3``... appended to repeats.
        It is the edge key in the networkx graph.
    from_node, to_node : str
        Ids of the nodes the flow leaves and reaches.
    kind : str
        Currency, one of :data:`CURRENCIES`.
    volume : float or None
        Observed flow per period (None when not given).
    capacity : float or None
        Most it can carry per period (None: unbounded).
    conversion : float or None
        Share of the flow arriving at ``to_node`` that converts there (0..1).
    cost : float or None
        Price per unit carried, in the map's capital unit.
    paid_by : {"to", "from"}
        Who pays ``cost``: the receiver (default) or the sender.
    status : {"open", "blocked"}
    label, description, source : str or None
    attrs : Mapping[str, Any]
    index : int
        Position in the merged pipe list (0-based).
    location : Location
        Where the pipe was written.

    Examples
    --------
    >>> p = Pipe("a->b:traffic", "a", "b", volume=5.0)
    >>> p.is_open, p.kind
    (True, 'traffic')
    """

    key: str
    from_node: str
    to_node: str
    kind: str = "traffic"
    volume: float | None = None
    capacity: float | None = None
    conversion: float | None = None
    cost: float | None = None
    status: str = "open"
    label: str | None = None
    description: str | None = None
    source: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=_empty)
    index: int = 0
    location: Location = Location("<model>", 0, 0)
    paid_by: str = "to"

    @property
    def is_open(self) -> bool:
        """True unless the pipe is blocked."""
        return self.status == "open"


class LazyNodes(Mapping[str, Node]):
    """A read-only id -> :class:`Node` mapping that makes each node when first asked.

    Maps loaded from tables keep their nodes as columns; the objects are made
    only for the nodes somebody looks at (all at once for ``values()``).

    Examples
    --------
    >>> nodes = LazyNodes(("a", "b"), lambda i: Node("ab"[i], "partner"))
    >>> len(nodes), list(nodes), nodes["b"].id
    (2, ['a', 'b'], 'b')
    """

    def __init__(self, ids: tuple[str, ...], make: Callable[[int], Node]) -> None:
        self._ids = ids
        self._make = make
        self._made: dict[str, Node] = {}
        self._index: dict[str, int] | None = None

    def __getitem__(self, key: str) -> Node:
        found = self._made.get(key)
        if found is None:
            if self._index is None:
                self._index = {node: i for i, node in enumerate(self._ids)}
            found = self._made[key] = self._make(self._index[key])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        if self._index is None:
            self._index = {node: i for i, node in enumerate(self._ids)}
        return key in self._index


class LazyPipes(Sequence[Pipe]):
    """A read-only sequence of :class:`Pipe` made all at once when first iterated.

    Its length is known without making any pipe. With ``make_one`` (the pipe at a
    position), reading one pipe by position before they are all made makes that pipe
    alone (a warning about one pipe of a million does not make the million).

    Examples
    --------
    >>> pipes = LazyPipes(1, lambda: (Pipe("p", "a", "b"),))
    >>> len(pipes), pipes[0].key, [p.key for p in pipes]
    (1, 'p', ['p'])
    >>> one = LazyPipes(3, lambda: (), make_one=lambda i: Pipe(f"p{i}", "a", "b"))
    >>> one[-1].key, one._made is None
    ('p2', True)
    """

    def __init__(
        self,
        count: int,
        make: Callable[[], tuple[Pipe, ...]],
        *,
        make_one: Callable[[int], Pipe] | None = None,
    ) -> None:
        self._count = count
        self._make = make
        self._made: tuple[Pipe, ...] | None = None
        self._make_one = make_one
        self._some: dict[int, Pipe] = {}

    def _all(self) -> tuple[Pipe, ...]:
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getitem__(self, i: Any) -> Any:
        if self._made is None and self._make_one is not None and isinstance(i, int):
            if not -self._count <= i < self._count:
                raise IndexError("pipe index out of range")
            i %= self._count
            found = self._some.get(i)
            if found is None:
                found = self._some[i] = self._make_one(i)
            return found
        return self._all()[i]

    def __iter__(self) -> Iterator[Pipe]:
        return iter(self._all())

    def __len__(self) -> int:
        return self._count


@dataclass(frozen=True, eq=False)
class Ecosystem:
    """A validated ecosystem map.

    Build one with :func:`ecograph.load` or :func:`ecograph.loads`; the
    constructor does not validate.

    Attributes
    ----------
    name : str
    title : str
    period : str
    nodes : Mapping[str, Node]
        In the order the files define them.
    pipes : sequence of Pipe
        A tuple, or for maps loaded from tables a :class:`LazyPipes`.
    files : tuple of str
        The root file first, then every included file, as opened.
    units : Mapping[str, str]
        Display unit per currency.
    description : str or None
    warnings : tuple of Diagnostic
        Warnings found while loading (the map is valid despite them).

    Examples
    --------
    >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
    ...                             "a": Node("a", "partner", parent="p")})
    >>> eco.members("p")
    ('a',)
    >>> eco.ancestors_in_tree("a")
    ('p',)
    """

    name: str
    title: str = ""
    period: str = "month"
    nodes: Mapping[str, Node] = field(default_factory=dict)
    pipes: Sequence[Pipe] = ()
    files: tuple[str, ...] = ()
    units: Mapping[str, str] = field(default_factory=_empty)
    description: str | None = None
    warnings: tuple[Diagnostic, ...] = ()
    #: Everything derived from the map and kept with it: its compiled form
    #: (:func:`ecograph.compiled.compiled`), its networkx graph... One cache per
    #: map, as networkx keeps ``__networkx_cache__``; a changed copy
    #: (``dataclasses.replace``) starts with an empty one.
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.nodes, MappingProxyType | LazyNodes):
            object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))
        if not self.title:
            object.__setattr__(self, "title", self.name)

    def __repr__(self) -> str:
        return (
            f"<Ecosystem {self.name!r}: {len(self.nodes)} nodes, "
            f"{len(self.pipes)} pipes, per {self.period}>"
        )

    # -- membership -----------------------------------------------------------

    @functools.cached_property
    def _children(self) -> Mapping[str | None, tuple[str, ...]]:
        out: dict[str | None, list[str]] = {}
        for node in self.nodes.values():
            out.setdefault(node.parent, []).append(node.id)
        return MappingProxyType({k: tuple(v) for k, v in out.items()})

    def _require(self, node: str) -> Node:
        try:
            return self.nodes[node]
        except KeyError:
            from ecograph._suggest import did_you_mean

            raise UsageError(f"unknown node {node!r}{did_you_mean(node, self.nodes)}") from None

    def children(self, node: str | None) -> tuple[str, ...]:
        """Ids of the direct members of ``node`` (``None``: the top-level nodes).

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform")})
        >>> eco.children(None)
        ('p',)
        """
        if node is not None:
            self._require(node)
        return self._children.get(node, ())

    def members(self, node: str, *, recursive: bool = True) -> tuple[str, ...]:
        """Ids of the nodes contained in ``node``, depth-first in file order.

        Parameters
        ----------
        node : str
            A node id.
        recursive : bool, default True
            Include members of members; False gives the direct members only.

        Raises
        ------
        UsageError
            When ``node`` is not in the map.

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
        ...     "s": Node("s", "sub-ecosystem", parent="p"),
        ...     "a": Node("a", "partner", parent="s")})
        >>> eco.members("p")
        ('s', 'a')
        >>> eco.members("p", recursive=False)
        ('s',)
        """
        direct = self.children(node)
        if not recursive:
            return direct
        out: list[str] = []
        stack = list(reversed(direct))
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self._children.get(current, ())))
        return tuple(out)

    def ancestors_in_tree(self, node: str) -> tuple[str, ...]:
        """Ids of the containers of ``node``, nearest first, up to a top-level node.

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
        ...     "s": Node("s", "sub-ecosystem", parent="p"),
        ...     "a": Node("a", "partner", parent="s")})
        >>> eco.ancestors_in_tree("a")
        ('s', 'p')
        """
        out: list[str] = []
        parent = self._require(node).parent
        while parent is not None:
            out.append(parent)
            parent = self.nodes[parent].parent
        return tuple(out)

    def owner_of(self, node: str) -> str | None:
        """Whose pool ``node`` is: its ``owner``, else (for a pool) its parent, else None.

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"xiaomi": Node("xiaomi", "platform"),
        ...     "fans": Node("fans", "pool", parent="xiaomi", domain="private")})
        >>> eco.owner_of("fans"), eco.owner_of("xiaomi")
        ('xiaomi', None)
        """
        found = self._require(node)
        if found.owner is not None:
            return found.owner
        return found.parent if found.kind == "pool" else None

    def roots(self) -> tuple[str, ...]:
        """Ids of the top-level nodes (no parent), in file order."""
        return self._children.get(None, ())

    def depth(self, node: str | None = None) -> int:
        """Nesting depth: of ``node`` (0 for a top-level node), or of the deepest node.

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
        ...     "a": Node("a", "partner", parent="p")})
        >>> eco.depth("a"), eco.depth()
        (1, 1)
        """
        if node is not None:
            return len(self.ancestors_in_tree(node))
        return max((len(self.ancestors_in_tree(n)) for n in self.nodes), default=0)

    def group_of(self, node: str, *, kinds: tuple[str, ...] = ("sub-ecosystem",)) -> str | None:
        """The nearest container of ``node`` (or ``node`` itself) whose kind is in ``kinds``.

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"p": Node("p", "platform"),
        ...     "s": Node("s", "sub-ecosystem", parent="p"),
        ...     "a": Node("a", "partner", parent="s")})
        >>> eco.group_of("a"), eco.group_of("p")
        ('s', None)
        """
        for candidate in (node, *self.ancestors_in_tree(node)):
            if self.nodes[candidate].kind in kinds:
                return candidate
        return None

    # -- pipes ----------------------------------------------------------------

    def pipes_of(self, kind: str | None = None) -> Iterator[Pipe]:
        """Iterate over the pipes of one currency (all pipes when ``kind`` is None)."""
        return (p for p in self.pipes if kind is None or p.kind == kind)

    def currencies(self) -> tuple[str, ...]:
        """The currencies used by pipes or boundary flows, in :data:`CURRENCIES` order."""
        known = self._cache.get("currencies")  # kept by a warm load (ecograph.cache)
        if known is not None:
            return tuple(known)
        used = {p.kind for p in self.pipes}
        for node in self.nodes.values():
            used.update(node.inflow)
            used.update(node.outflow)
        return tuple(c for c in CURRENCIES if c in used)

    # -- derived views ---------------------------------------------------------

    @property
    def graph(self) -> Any:
        """The map as a networkx ``MultiDiGraph`` (built once, then cached).

        See :mod:`ecograph.graph` for the attribute names. Treat it as read-only;
        use :func:`ecograph.to_graph` for a fresh copy to modify. No analysis
        needs it: they read the compiled map.
        """
        found = self._cache.get("graph")
        if found is None:
            found = self._cache["graph"] = _view("graph")(self)
        return found

    def _repr_html_(self) -> str:
        """Show the map inline in Jupyter: its light view (an SVG with no script)."""
        return str(_view("html")(self))

    def summary(self) -> dict[str, Any]:
        """Counts for a quick overview: nodes per kind, pipes and volume per currency, depth.

        Examples
        --------
        >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
        ...     pipes=(Pipe("a->b:traffic", "a", "b", volume=3.0),))
        >>> s = eco.summary()
        >>> s["nodes"], s["pipes"], s["volume"]
        ({'partner': 1, 'pool': 1}, {'traffic': 1}, {'traffic': 3.0})
        """
        known = self._cache.get("summary")  # kept by a warm load (ecograph.cache)
        if known is not None:
            return copy.deepcopy(dict(known))
        cm = self._cache.get("compiled")
        if cm is not None and isinstance(self.pipes, LazyPipes):
            return self._summary_of_columns(cm)  # a map from tables: no objects made
        nodes: dict[str, int] = {}
        for node in self.nodes.values():
            nodes[node.kind] = nodes.get(node.kind, 0) + 1
        pipes: dict[str, int] = {}
        volume: dict[str, float] = {}
        blocked = 0
        for pipe in self.pipes:
            pipes[pipe.kind] = pipes.get(pipe.kind, 0) + 1
            volume[pipe.kind] = volume.get(pipe.kind, 0.0) + (
                (pipe.volume or 0.0) if pipe.is_open else 0.0
            )
            blocked += not pipe.is_open
        return {
            "name": self.name,
            "title": self.title,
            "period": self.period,
            "files": list(self.files),
            "nodes": {k: nodes[k] for k in NODE_KINDS if k in nodes},
            "pipes": {k: pipes[k] for k in CURRENCIES if k in pipes},
            "blocked_pipes": blocked,
            "depth": self.depth(),
            "volume": {k: volume[k] for k in CURRENCIES if k in volume},
        }

    def _summary_of_columns(self, cm: Any) -> dict[str, Any]:
        """:meth:`summary` from the compiled map's columns (numpy; no node or pipe made)."""
        import numpy as np

        kinds = np.bincount(cm.kind.astype(np.int64), minlength=len(NODE_KINDS))
        currency = cm.currency.astype(np.int64)
        counts = np.bincount(currency, minlength=len(CURRENCIES))
        carried = np.where(cm.open & ~np.isnan(cm.volume), cm.volume, 0.0)
        volume = np.bincount(currency, weights=carried, minlength=len(CURRENCIES))
        depth = 0
        up = cm.parent.copy()
        while (up >= 0).any():  # one step up the tree per level
            depth += 1
            up = np.where(up >= 0, cm.parent[np.maximum(up, 0)], -1)
        return {
            "name": self.name,
            "title": self.title,
            "period": self.period,
            "files": list(self.files),
            "nodes": {k: int(kinds[i]) for i, k in enumerate(NODE_KINDS) if kinds[i]},
            "pipes": {c: int(counts[i]) for i, c in enumerate(CURRENCIES) if counts[i]},
            "blocked_pipes": int((~cm.open).sum()),
            "depth": depth,
            "volume": {c: float(volume[i]) for i, c in enumerate(CURRENCIES) if counts[i]},
        }


def pipe_key(attrs: Mapping[str, Any], taken: set[str], counts: dict[str, int]) -> str:
    """The key of a pipe: its ``id``, else ``from->to:kind`` with ``#2``, ``#3``... for repeats.

    ``taken`` (keys in use) and ``counts`` (repeats per base) are updated.

    Examples
    --------
    >>> taken, counts = set(), {}
    >>> [pipe_key({"from": "a", "to": "b"}, taken, counts) for _ in range(2)]
    ['a->b:traffic', 'a->b:traffic#2']
    """
    key = attrs.get("id")
    if isinstance(key, str):
        return key
    base = f"{attrs['from']}->{attrs['to']}:{attrs.get('kind', 'traffic')}"
    n = counts.get(base, 0)
    key = base if n == 0 else f"{base}#{n + 1}"
    while key in taken:
        n += 1
        key = f"{base}#{n + 1}"
    counts[base] = n + 1
    taken.add(key)
    return key
