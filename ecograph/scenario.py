"""What-if scenarios: a YAML file of changes, applied to a map, volumes re-traced.

A scenario file looks like this (the JSON Schema is
``ecograph/schema/ecograph-scenario-1.schema.json``)::

    scenario: 1
    base: alibaba.yaml            # the map it changes (relative to this file)
    title: DingTalk closes its open platform
    targets: [attendance-maker]   # max-flow to these is compared
    reroute: lost                 # or spread (see below)
    changes:                      # applied in order
      - remove: dingtalk-open-platform      # nodes; a container goes with its members
      - block: xiaoqiao-to-honey            # pipe keys (id, or "from->to:kind")
      - open: [a->b:traffic]
      - set: {pipe: xiaoqiao-to-stool-maker, capacity: 800000}
      - set: {node: toutiao-users, inflow: 30000000}
      - add:                                # nodes and pipes written as in a map
          nodes: {new-shop: {kind: partner, parent: tmall}}
          pipes: [{from: tmall-users, to: new-shop, volume: 1000}]
      - move: {node: hen-seller, parent: tmall}

:func:`load_scenario` reads and checks the file with the same located errors as a
map; :func:`apply` applies it to a map (a change naming an unknown node or pipe is
an error located in the scenario) and re-traces the volumes.

Re-tracing volumes
------------------
A map records what each pipe carried; it does not say what would happen if the
map changed. ecograph assumes that **each node splits what passes through it in
the same proportions as before** (proportional routing, the assumption of
:func:`ecograph.reach` and of input-output flow analysis): the share of a pipe
is its volume over the node's throughflow. Boundary inflows stay as declared (or
as set); then throughflows solve ``x = inflow + P^T x`` and every pipe carries
its share of its sender's throughflow. So a node that receives 30% less sends
30% less down each of its pipes, all the way downstream, cycles included.

What happens to the share of a pipe that is removed or blocked is ``reroute``:

* ``lost`` (default): it leaves the map at the sender (counted in the sender's
  outflow). The conservative reading: nobody assumes users find another way.
* ``spread``: the sender's other outlets (its other pipes and its outflow)
  take it, in proportion to what they carried.

A pipe that is added, opened or given a new ``volume`` takes that volume's share
of its sender's throughflow; when a sender's pipes now add up to more than it
passed on before, all its shares are scaled down together (the new pipe takes
from the others). An opened pipe carries the volume it declares (none: 0): a
scenario cannot invent demand, so set a volume to say how much it would carry.
Capacities do not limit re-traced volumes (volumes are observations, capacities
are limits; a re-traced volume above its capacity is reported as a warning of
the changed map). A node that did not balance in the base map is first closed
at the boundary, as :func:`ecograph.flow` does, so unchanged parts of the map
keep their figures exactly.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import fastjsonschema
import jsonschema
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from ecograph._suggest import Suggester
from ecograph.compiled import (
    CACHE_KEY,
    CURRENCY_CODE,
    CompiledMap,
    compiled,
    from_columns,
    node_columns,
    pipe_columns,
)
from ecograph.errors import Diagnostic, MapError, UsageError, format_path, sort_diagnostics
from ecograph.loader import Document, LoadFailure, YMap, YSeq, parse_text, read_text
from ecograph.model import (
    CURRENCIES,
    Ecosystem,
    LazyNodes,
    LazyPipes,
    Location,
    Node,
    Pipe,
    pipe_key,
)
from ecograph.validate import (
    DEFAULT_TOLERANCE,
    Checker,
    build_node,
    build_pipe,
    checker_schema,
    inside,
    keep_raw,
    map_warnings,
    normalise_parts,
    parse_file,
    part_errors,
    real_path,
    versioned_errors,
)

__all__ = [
    "ACTIONS",
    "REROUTE",
    "Change",
    "Origin",
    "Scenario",
    "apply",
    "load_scenario",
    "loads_scenario",
]

#: The actions a change can take, in the order the docs list them.
ACTIONS: tuple[str, ...] = ("remove", "block", "open", "set", "add", "move")
#: Where the traffic of a removed or blocked pipe goes.
REROUTE: tuple[str, ...] = ("lost", "spread")
_SCHEMA_FILE = "ecograph-scenario-1.schema.json"
_T = TypeVar("_T", Node, Pipe)
if TYPE_CHECKING:
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]
    BoolArray = NDArray[np.bool_]
_PIPE_FIELDS = ("volume", "capacity", "cost", "conversion", "paid_by")
_NODE_FIELDS = ("inflow", "outflow", "users", "price")


def replace(obj: _T, **changes: Any) -> _T:
    """A copy of a frozen, slotted dataclass (a :class:`Node` or :class:`Pipe`) with some
    fields changed; like :func:`dataclasses.replace` without re-running ``__init__``
    (about ten times faster, which matters at a million pipes).

    Examples
    --------
    >>> replace(Pipe("k", "a", "b", volume=1.0), volume=2.0).volume
    2.0
    """
    cls = type(obj)
    new = object.__new__(cls)
    for name, slot in _slots(cls):
        slot.__set__(new, changes[name] if name in changes else slot.__get__(obj, cls))
    return new


_SLOTS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _slots(cls: type) -> tuple[tuple[str, Any], ...]:
    found = _SLOTS.get(cls)
    if found is None:
        found = _SLOTS[cls] = tuple((name, cls.__dict__[name]) for name in cls.__slots__)  # type: ignore[attr-defined]
    return found


@dataclass(frozen=True)
class Change:
    """One change of a scenario.

    Attributes
    ----------
    action : str
        One of :data:`ACTIONS`.
    value : Any
        What was written after the action (plain data).
    location : Location
        Where the change was written.
    """

    action: str
    value: Any
    location: Location

    def describe(self) -> str:
        """The change in words.

        Examples
        --------
        >>> Change("block", ["a->b:traffic"], Location("s.yaml", 3, 5)).describe()
        'block a->b:traffic'
        >>> Change("set", {"pipe": "p", "capacity": 5.0}, Location("s.yaml", 4, 5)).describe()
        'set pipe p: capacity 5'
        """
        v = self.value
        if self.action in ("remove", "block", "open"):
            return f"{self.action} {', '.join(v)}"
        if self.action == "set":
            what = "pipe" if "pipe" in v else "node"
            figures = ", ".join(
                f"{k} {_show(x)}" for k, x in v.items() if k not in ("pipe", "node")
            )
            return f"set {what} {v[what]}: {figures}"
        if self.action == "move":
            parent = v["parent"] if v["parent"] is not None else "the top level"
            return f"move {v['node']} to {parent}"
        nodes, pipes = v.get("nodes", {}), v.get("pipes", [])
        parts = []
        if nodes:
            parts.append(f"node{'s' if len(nodes) != 1 else ''} {', '.join(nodes)}")
        if pipes:
            shown = ", ".join(f"{p['from']}->{p['to']}" for p in pipes)
            parts.append(f"pipe{'s' if len(pipes) != 1 else ''} {shown}")
        return "add " + ("; ".join(parts) or "nothing")


def _show(x: Any) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if x is None:
        return "none"
    if isinstance(x, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in x.items()) + "}"
    return str(x)


@dataclass(frozen=True)
class Scenario:
    """A checked scenario file (see the module docstring for the format).

    Attributes
    ----------
    file : str
        The file as named (used in messages).
    name, title : str
    description : str or None
    base : str or None
        The ``base`` map, resolved relative to the scenario file.
    targets : tuple of str
        Nodes whose max-flow is compared.
    reroute : {"lost", "spread"}
    changes : tuple of Change
    """

    file: str
    name: str
    title: str
    description: str | None
    base: str | None
    targets: tuple[str, ...]
    reroute: str
    changes: tuple[Change, ...]
    _doc: Document = field(repr=False, compare=False)

    def locate(self, path: tuple[str | int, ...], *, key: bool = False) -> Location:
        """Where ``path`` (e.g. ``("changes", 0, "remove")``) was written."""
        line, column = self._doc.locate(path, key=key)
        return Location(self.file, line, column)

    def nodes_named(self) -> tuple[str, ...]:
        """Every node id a change names (removed, moved, set, added, ends of changed pipes).

        Pipe keys are not resolved here: a changed pipe's ends are found when
        :func:`apply` looks the key up in the map.
        """
        out: list[str] = []
        for change in self.changes:
            v = change.value
            if change.action == "remove":
                out.extend(v)
            elif (change.action == "set" and "node" in v) or change.action == "move":
                out.append(v["node"])
            elif change.action == "add":
                out.extend(v.get("nodes", {}))
                for pipe in v.get("pipes", []):
                    out.extend((pipe["from"], pipe["to"]))
        return tuple(dict.fromkeys(out))


# -- reading and checking the file ---------------------------------------------------------


@functools.cache
def _validator() -> tuple[Callable[[Any], Any], jsonschema.Draft202012Validator]:
    """A fast yes/no validator (fastjsonschema) and a complete one (jsonschema, for messages)."""
    schema: dict[str, Any] = checker_schema(scenario_schema())
    # Nodes and pipes of ``add`` are checked part by part, as in a map (same messages);
    # the one-action rule is checked before the schema, with a clearer message.
    add = schema["$defs"]["change"]["properties"]["add"]["properties"]
    add["nodes"]["additionalProperties"] = True
    add["pipes"]["items"] = True
    del schema["$defs"]["change"]["minProperties"], schema["$defs"]["change"]["maxProperties"]
    fast = fastjsonschema.compile(copy.deepcopy(schema))
    return fast, jsonschema.Draft202012Validator(schema)


def scenario_schema_path() -> Path:
    """Where the installed scenario JSON Schema file lies (for editors' ``$schema`` lines).

    Examples
    --------
    >>> scenario_schema_path().name
    'ecograph-scenario-1.schema.json'
    """
    return Path(str(resources.files("ecograph").joinpath("schema", _SCHEMA_FILE)))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format (version 1), as a dict.

    Examples
    --------
    >>> scenario_schema()["properties"]["reroute"]["enum"]
    ['lost', 'spread']
    """
    text = resources.files("ecograph").joinpath("schema", _SCHEMA_FILE).read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


def _ids(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check_structure(check: Checker) -> None:
    data = check.doc.data
    if data is None:
        check.add((), "the scenario is empty; a scenario starts with 'scenario: 1'")
        return
    if not isinstance(data, YMap):
        check.add((), "the top level must be a mapping (scenario: 1, changes: [...])")
        return
    if "ecograph" in data and "scenario" not in data:
        check.add(
            (),
            "this is a map, not a scenario (a scenario starts with 'scenario: 1' and lists "
            "changes)",
        )
        return
    # ids written as plain scalars that YAML reads as numbers stay text
    for key in ("name", "title", "description", "base"):
        if key in data:
            keep_raw(check.doc, data, key, (key,))
    targets = data.get("targets")
    if isinstance(targets, YSeq):
        for i in range(len(targets)):
            keep_raw(check.doc, targets, i, ("targets", i))
    changes = data.get("changes")
    if isinstance(changes, YSeq):
        for i, change in enumerate(changes):
            if not isinstance(change, YMap):
                continue
            if len(change) != 1:
                actions = ", ".join(change) if change else "none"
                check.add(
                    ("changes", i),
                    f"a change has exactly one action ({', '.join(ACTIONS)}), found "
                    f"{len(change)} ({actions}); write each as its own list item",
                )
                continue
            action, value = next(iter(change.items()))
            at: tuple[str | int, ...] = ("changes", i, action)
            if action in ("remove", "block", "open"):
                if isinstance(value, YSeq):
                    for j in range(len(value)):
                        keep_raw(check.doc, value, j, (*at, j))
                elif not isinstance(value, str):
                    keep_raw(check.doc, change, action, at)
            elif action in ("set", "move") and isinstance(value, YMap):
                for key in ("pipe", "node", "parent"):
                    if key in value and value[key] is not None:
                        keep_raw(check.doc, value, key, (*at, key))
            elif action == "add" and isinstance(value, YMap):
                normalise_parts(check.doc, value, at)
    versioned_errors(check, _validator(), data, version_key="scenario", what="scenario")
    if isinstance(changes, YSeq):
        for i, change in enumerate(changes):
            if isinstance(change, YMap) and len(change) == 1:
                _check_change(check, i, *next(iter(change.items())))


def _check_change(check: Checker, i: int, action: str, value: Any) -> None:
    at: tuple[str | int, ...] = ("changes", i, action)
    if check.is_bad(at) or action not in ACTIONS:
        return
    if action == "set" and isinstance(value, Mapping):
        has = [k for k in ("pipe", "node") if k in value]
        if len(has) != 1:
            check.add(at, "set names exactly one 'pipe: KEY' or one 'node: ID'")
            return
        allowed = _PIPE_FIELDS if has[0] == "pipe" else _NODE_FIELDS
        figures = [k for k in value if k not in ("pipe", "node")]
        if not figures:
            check.add(at, f"set {has[0]} names no figure to set; expected {', '.join(allowed)}")
        for key in figures:
            if key not in allowed:
                check.add(
                    (*at, key),
                    f"a {has[0]} has no {key!r} to set; expected one of {', '.join(allowed)}",
                    key=True,
                )
        for key in ("inflow", "outflow"):
            if isinstance(value.get(key), Mapping):
                for currency, amount in value[key].items():
                    if currency not in CURRENCIES:
                        check.add(
                            (*at, key, currency),
                            f"unknown currency {currency!r}; expected one of "
                            f"{', '.join(CURRENCIES)}",
                            key=True,
                        )
                    elif (
                        not isinstance(amount, int | float)
                        or isinstance(amount, bool)
                        or not amount >= 0
                        or not math.isfinite(amount)
                    ):
                        check.add((*at, key, currency), "expected a finite number, 0 or more")
            elif isinstance(value.get(key), int | float) and not (
                value[key] >= 0 and math.isfinite(value[key])
            ):
                check.add((*at, key), "expected a finite number, 0 or more")
    if action == "add" and isinstance(value, Mapping):
        if not value.get("nodes") and not value.get("pipes"):
            check.add(at, "add names no nodes and no pipes")
        part_errors(check, value, at)
    for key in ("volume", "capacity", "cost", "users", "price"):
        if action == "set" and isinstance(value, Mapping):
            amount = value.get(key)
            if isinstance(amount, float) and not math.isfinite(amount):
                check.add((*at, key), f"must be a finite number, found {amount!r}")


def _check_base(check: Checker, base_dir: Path, allow_outside: bool) -> None:
    """The ``base`` map must be a regular file inside the scenario's folder or the current
    folder (unless ``allow_outside``); each problem is located at the ``base:`` value."""
    data = check.doc.data
    base = data.get("base") if isinstance(data, YMap) else None
    if not isinstance(base, str) or check.is_bad(("base",)):
        return
    try:
        target = real_path(base_dir / base)
    except ValueError:
        check.add(("base",), f"base map {base!r} contains a NUL byte")
        return
    folders = [real_path(base_dir), real_path(os.getcwd())]
    if not allow_outside and not any(inside(target, folder) for folder in folders):
        check.add(
            ("base",),
            f"base map {base!r} is outside the scenario's folder and the current folder; "
            "not read (allow it with --allow-outside, or allow_outside=True)",
        )
        return
    try:
        info = os.stat(target)
    except FileNotFoundError:
        check.add(("base",), f"base map {base!r} does not exist")
        return
    except OSError as exc:
        check.add(("base",), f"base map {base!r} cannot be read ({exc.strerror})")
        return
    if stat.S_ISDIR(info.st_mode):
        check.add(("base",), f"base map {base!r} is a directory")
    elif not stat.S_ISREG(info.st_mode):
        check.add(("base",), f"base map {base!r} is not a regular file (a device, FIFO or socket)")


def _from_document(
    doc: Document, base_dir: Path, allow_outside: bool = False, check_base: bool = True
) -> Scenario:
    check = Checker(doc)
    _check_structure(check)
    if check_base:
        _check_base(check, base_dir, allow_outside)
    errors = [d for d in check.out if d.severity == "error"]
    if errors:
        raise MapError(check.out)
    data = doc.data
    changes = []
    for i, change in enumerate(data["changes"]):
        action, value = next(iter(change.items()))
        if action in ("remove", "block", "open"):
            value = _ids(value)
        line, column = doc.locate(("changes", i))
        changes.append(Change(action, plain_data(value), Location(doc.file, line, column)))
    base = data.get("base")
    stem = Path(doc.file).stem if doc.file != "<string>" else "scenario"
    return Scenario(
        file=doc.file,
        name=data.get("name", stem),
        title=data.get("title", data.get("name", stem)),
        description=data.get("description"),
        base=os.path.normpath(os.path.join(base_dir, base)) if base is not None else None,
        targets=tuple(data.get("targets", ())),
        reroute=data.get("reroute", "lost"),
        changes=tuple(changes),
        _doc=doc,
    )


def plain_data(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def load_scenario(
    path: str | os.PathLike[str], *, allow_outside: bool = False, check_base: bool = True
) -> Scenario:
    """Read and check a scenario file.

    Parameters
    ----------
    path : str or path-like
    allow_outside : bool, default False
        Accept a ``base`` map outside both the scenario's folder and the current
        folder (symbolic links resolved); by default that is an error at ``base:``.
    check_base : bool, default True
        Check the ``base`` map (inside the allowed folders, an existing regular
        file); False when the scenario is applied to another map and ``base`` is
        not read.

    Returns
    -------
    Scenario

    Raises
    ------
    MapError
        Every problem found, each located (``file:line:column``), as for maps.

    Examples
    --------
    >>> try:
    ...     load_scenario("no-such-scenario.yaml")
    ... except MapError as err:
    ...     print(err)
    no-such-scenario.yaml: no such file
    """
    shown = os.fspath(path)
    try:
        doc = parse_file(shown, shown)
    except LoadFailure as failure:
        raise MapError(failure.diagnostics) from None
    return _from_document(doc, Path(shown).parent, allow_outside, check_base)


def loads_scenario(
    text: str,
    *,
    filename: str = "<string>",
    base_dir: str | os.PathLike[str] = ".",
    allow_outside: bool = False,
    check_base: bool = True,
) -> Scenario:
    """Read and check a scenario given as text.

    Parameters
    ----------
    text : str
    filename : str, default "<string>"
        Name used in messages.
    base_dir : path-like, default "."
        Directory the ``base`` map is relative to.
    allow_outside, check_base : bool
        As for :func:`load_scenario`.

    Examples
    --------
    >>> s = loads_scenario("scenario: 1\\nchanges:\\n  - block: [a->b:traffic]\\n")
    >>> [c.describe() for c in s.changes]
    ['block a->b:traffic']
    >>> loads_scenario("scenario: 1\\nchanges:\\n  - blok: x\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: <string>:3:5: changes[0].blok: unknown key 'blok' (did you mean...
    """
    try:
        doc = parse_text(read_text(text.encode("utf-8"), filename), filename)
    except LoadFailure as failure:
        raise MapError(failure.diagnostics) from None
    return _from_document(doc, Path(base_dir), allow_outside, check_base)


# -- applying ---------------------------------------------------------------------------------


class _Applier:
    """Applies the changes of one scenario to the columns of a map, collecting located errors.

    The base map is not copied: removals are masks over its node and pipe rows, pipe
    changes are column edits by row, node changes (few) replace the node's object, and
    added nodes and pipes are kept aside. :meth:`columns` assembles the changed map's
    columns at the end.
    """

    def __init__(self, eco: Ecosystem, scenario: Scenario) -> None:
        self.eco = eco
        self.scenario = scenario
        cm = self.cm = compiled(eco)
        self.node_alive = np.ones(cm.n, dtype=np.bool_)
        self.node_over: dict[int, Node] = {}  # base row -> changed node
        self.added_nodes: dict[str, Node] = {}
        self.removed_nodes: dict[str, int] = {}
        self.pipe_alive = np.ones(cm.m, dtype=np.bool_)
        self.pipe_edits: dict[int, dict[str, Any]] = {}  # base row -> changed fields
        self.added_pipes: dict[str, Pipe] = {}
        self.removed_pipes: dict[str, int] = {}
        self.problems: list[Diagnostic] = []
        self._counts: dict[str, int] | None = None
        self._snapshot: tuple[BoolArray, set[str]] | None = None
        self._incidence: tuple[IntArray, IntArray, IntArray, IntArray] | None = None
        self._children: tuple[IntArray, IntArray] | None = None

    # -- looking things up ------------------------------------------------------------

    def base_row(self, node_id: str) -> int | None:
        """Row of a node of the base map still in the changed one (not re-added)."""
        if node_id in self.added_nodes:
            return None
        row = self.cm.index.get(node_id)
        return row if row is not None and self.node_alive[row] else None

    def has_node(self, node_id: str) -> bool:
        return node_id in self.added_nodes or self.base_row(node_id) is not None

    def current(self, node_id: str) -> Node:
        """The node as changed so far (it must exist)."""
        found = self.added_nodes.get(node_id)
        if found is not None:
            return found
        row = self.cm.index[node_id]
        over = self.node_over.get(row)
        return over if over is not None else self.eco.nodes[node_id]

    def put(self, node: Node) -> None:
        if node.id in self.added_nodes:
            self.added_nodes[node.id] = node
        else:
            self.node_over[self.cm.index[node.id]] = node

    def node_ids(self) -> list[str]:
        """Ids of the changed map so far (for did-you-mean hints)."""
        return [*self.cm.names(np.flatnonzero(self.node_alive)), *self.added_nodes]

    def pipe_row(self, key: str) -> int | None:
        """Row of a base pipe still in the changed map (not re-added under its key)."""
        if key in self.added_pipes:
            return None
        row = self.cm.pipe_index.get(key)
        return row if row is not None and self.pipe_alive[row] else None

    def has_pipe(self, key: str) -> bool:
        return key in self.added_pipes or self.pipe_row(key) is not None

    def ends(self, key: str) -> tuple[str, str]:
        pipe = self.added_pipes.get(key)
        if pipe is not None:
            return pipe.from_node, pipe.to_node
        row = self.cm.pipe_index[key]
        cm = self.cm
        return cm.ids[cm.src[row]], cm.ids[cm.dst[row]]

    def status(self, key: str) -> str:
        pipe = self.added_pipes.get(key)
        if pipe is not None:
            return pipe.status
        row = self.cm.pipe_index[key]
        edited = self.pipe_edits.get(row, {})
        if "status" in edited:
            return str(edited["status"])
        return "open" if self.cm.open[row] else "blocked"

    def edit(self, key: str, **fields: Any) -> None:
        pipe = self.added_pipes.get(key)
        if pipe is not None:
            self.added_pipes[key] = replace(pipe, **fields)
        else:
            self.pipe_edits.setdefault(self.cm.pipe_index[key], {}).update(fields)

    @property
    def counts(self) -> dict[str, int]:
        """Generated keys already used per ``from->to:kind`` (for keys of added pipes),
        filled in per base key from the pipes there were when first asked."""
        if self._counts is None:
            self._counts = {}
            self._snapshot = (self.pipe_alive.copy(), set(self.added_pipes))
        return self._counts

    def count(self, source: str, target: str, kind: str) -> None:
        """Fill ``counts`` for one base key: pipes of the snapshot with those ends and
        currency whose key is the base key or the base key with ``#N``."""
        counts = self.counts
        base = f"{source}->{target}:{kind}"
        if base in counts:
            return
        assert self._snapshot is not None
        alive, added = self._snapshot
        found = 0
        cm = self.cm
        row = cm.index.get(source)
        if row is not None and source not in self.added_nodes:
            out_order, out_ptr, _, _ = self.incidence()
            rows = out_order[out_ptr[row] : out_ptr[row + 1]]
            code = CURRENCY_CODE[kind]
            rows = rows[alive[rows] & (cm.currency[rows] == code)]
            found += sum(
                1
                for r in rows.tolist()
                if cm.ids[cm.dst[r]] == target
                and (cm.keys[r] == base or cm.keys[r].startswith(base + "#"))
            )
        for key in added:
            pipe = self.added_pipes.get(key)
            if (
                pipe is not None
                and (pipe.from_node, pipe.to_node, pipe.kind) == (source, target, kind)
                and (key == base or key.startswith(base + "#"))
            ):
                found += 1
        if found:
            counts[base] = found

    def incidence(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """Base pipe rows by sender and by receiver (orders and row pointers), built once."""
        if self._incidence is None:
            cm = self.cm
            bounds = np.arange(cm.n + 1)
            by_src = np.argsort(cm.src, kind="stable")
            by_dst = np.argsort(cm.dst, kind="stable")
            self._incidence = (
                by_src,
                np.searchsorted(cm.src[by_src], bounds),
                by_dst,
                np.searchsorted(cm.dst[by_dst], bounds),
            )
        return self._incidence

    def children(self, node_id: str) -> list[str]:
        """Ids of the nodes whose parent is ``node_id`` in the changed map so far."""
        out: list[str] = []
        row = self.base_row(node_id)
        if row is not None:
            if self._children is None:
                order = np.argsort(self.cm.parent, kind="stable")
                ptr = np.searchsorted(self.cm.parent[order], np.arange(-1, self.cm.n + 1))
                self._children = (order, ptr)
            order, ptr = self._children
            rows = order[ptr[row + 1] : ptr[row + 2]]
            rows = rows[self.node_alive[rows]]
            out.extend(self.cm.ids[r] for r in rows.tolist() if r not in self.node_over)
        for r, node in self.node_over.items():
            if node.parent == node_id and self.node_alive[r]:
                out.append(node.id)
        out.extend(n for n, node in self.added_nodes.items() if node.parent == node_id)
        return out

    def members(self, node_id: str) -> list[str]:
        out, stack = [], [node_id]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.children(current))
        return out

    # -- problems ---------------------------------------------------------------------

    def problem(self, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        where = self.scenario.locate(path, key=key)
        self.problems.append(
            Diagnostic("error", where.file, where.line, where.column, format_path(path), message)
        )

    def node(self, node_id: str, path: tuple[str | int, ...]) -> bool:
        if self.has_node(node_id):
            return True
        if node_id in self.removed_nodes:
            self.problem(
                path, f"node {node_id!r} was removed by changes[{self.removed_nodes[node_id]}]"
            )
        else:
            hint = Suggester(self.node_ids())(node_id)
            self.problem(path, f"unknown node {node_id!r}{hint}")
        return False

    def pipe(self, key: str, path: tuple[str | int, ...]) -> bool:
        if self.has_pipe(key):
            return True
        if key in self.removed_pipes:
            self.problem(path, f"pipe {key!r} was removed by changes[{self.removed_pipes[key]}]")
        else:
            keys = [*self.cm.keys, *self.added_pipes]
            alive = [*self.pipe_alive.tolist(), *([True] * len(self.added_pipes))]
            known = [k for k, ok in zip(keys, alive, strict=True) if ok]
            self.problem(path, f"unknown pipe {key!r}{Suggester(known)(key)}")
        return False

    # -- the changes --------------------------------------------------------------------

    def run(self, i: int, change: Change) -> None:
        at: tuple[str | int, ...] = ("changes", i, change.action)
        getattr(self, "do_" + change.action)(i, at, change.value)

    def _raw(self, at: tuple[str | int, ...]) -> Any:
        value: Any = self.scenario._doc.data
        for part in at:
            value = value[part]
        return value

    def do_remove(self, i: int, at: tuple[str | int, ...], ids: list[str]) -> None:
        cm = self.cm
        for j, node_id in enumerate(ids):
            path = (*at, j) if isinstance(self._raw(at), list) else at
            if not self.node(node_id, path):
                continue
            gone = self.members(node_id)
            rows = []
            for n in gone:
                row = self.base_row(n)
                if row is None:
                    del self.added_nodes[n]
                else:
                    self.node_alive[row] = False
                    rows.append(row)
                self.removed_nodes[n] = i
            if rows:
                out_order, out_ptr, in_order, in_ptr = self.incidence()
                near = np.concatenate(
                    [out_order[out_ptr[r] : out_ptr[r + 1]] for r in rows]
                    + [in_order[in_ptr[r] : in_ptr[r + 1]] for r in rows]
                )
                near = np.unique(near[self.pipe_alive[near]])
                for r in near.tolist():
                    if cm.keys[r] not in self.added_pipes:
                        self.removed_pipes[cm.keys[r]] = i
                self.pipe_alive[near] = False
            gone_set = set(gone)
            for key, pipe in list(self.added_pipes.items()):
                if pipe.from_node in gone_set or pipe.to_node in gone_set:
                    del self.added_pipes[key]
                    self.removed_pipes[key] = i
            # a pool whose owner is gone belongs to nobody (or, by default, its parent)
            owners = np.flatnonzero(self.node_alive & np.isin(cm.owner, np.asarray(rows)))
            candidates = [cm.ids[r] for r in owners.tolist()]
            candidates += [n.id for r, n in self.node_over.items() if self.node_alive[r]]
            candidates += list(self.added_nodes)
            for n in dict.fromkeys(candidates):
                node = self.current(n)
                if node.owner is not None and node.owner in gone_set:
                    self.put(replace(node, owner=None))

    def _status(self, at: tuple[str | int, ...], keys: list[str], status: str) -> None:
        listed = isinstance(self._raw(at), list)
        for j, key in enumerate(keys):
            path = (*at, j) if listed else at
            if self.pipe(key, path):
                if self.status(key) == status:
                    self.problem(path, f"pipe {key!r} is already {status}")
                    continue
                self.edit(key, status=status)

    def do_block(self, i: int, at: tuple[str | int, ...], keys: list[str]) -> None:
        self._status(at, keys, "blocked")

    def do_open(self, i: int, at: tuple[str | int, ...], keys: list[str]) -> None:
        self._status(at, keys, "open")

    def do_set(self, i: int, at: tuple[str | int, ...], value: dict[str, Any]) -> None:
        figures = {k: v for k, v in value.items() if k not in ("pipe", "node")}
        if "pipe" in value:
            key = value["pipe"]
            if self.pipe(key, (*at, "pipe")):
                self.edit(key, **figures)
            return
        node_id = value["node"]
        if not self.node(node_id, (*at, "node")):
            return
        node = self.current(node_id)
        changes: dict[str, Any] = {}
        for key in ("inflow", "outflow"):
            if key in figures:
                amount = figures[key]
                flows = (
                    {}
                    if amount is None
                    else dict(amount)
                    if isinstance(amount, Mapping)
                    else {**getattr(node, key), "traffic": float(amount)}
                )
                changes[key] = MappingProxyType({k: float(v) for k, v in flows.items()})
        for key in ("users", "price"):
            if key in figures:
                changes[key] = None if figures[key] is None else float(figures[key])
        self.put(replace(node, **changes))

    def do_add(self, i: int, at: tuple[str | int, ...], value: dict[str, Any]) -> None:
        new_nodes = value.get("nodes", {})
        for node_id, attrs in new_nodes.items():
            path = (*at, "nodes", node_id)
            if self.has_node(node_id):
                where = self.current(node_id).location
                self.problem(path, f"node {node_id!r} already exists (at {where})", key=True)
                continue
            self.added_nodes[node_id] = build_node(
                node_id, attrs, self.scenario.locate(path, key=True)
            )
            self.removed_nodes.pop(node_id, None)
        for node_id, attrs in new_nodes.items():
            parent = attrs.get("parent")
            if parent is not None and self.has_node(node_id):
                self.node(parent, (*at, "nodes", node_id, "parent"))
        taken = _Taken(self.cm.pipe_index, self.added_pipes, self.removed_pipes)
        for j, attrs in enumerate(value.get("pipes", [])):
            path = (*at, "pipes", j)
            ends_ok = all([self.node(attrs[end], (*path, end)) for end in ("from", "to")])
            if attrs["from"] == attrs["to"]:
                self.problem(
                    (*path, "to"), f"a pipe cannot run from node {attrs['from']!r} to itself"
                )
                continue
            if isinstance(attrs.get("id"), str) and self.has_pipe(attrs["id"]):
                self.problem((*path, "id"), f"pipe id {attrs['id']!r} is already used")
                continue
            if not ends_ok:
                continue
            if not isinstance(attrs.get("id"), str):
                self.count(attrs["from"], attrs["to"], attrs.get("kind", "traffic"))
            key = pipe_key(attrs, taken, self.counts)
            self.added_pipes.pop(key, None)
            self.added_pipes[key] = build_pipe(key, attrs, 0, self.scenario.locate(path))

    def do_move(self, i: int, at: tuple[str | int, ...], value: dict[str, Any]) -> None:
        node_id, parent = value["node"], value["parent"]
        if not self.node(node_id, (*at, "node")):
            return
        if parent is not None:
            if not self.node(parent, (*at, "parent")):
                return
            if parent in self.members(node_id):
                self.problem(
                    (*at, "parent"),
                    f"moving {node_id!r} into {parent!r} would make a parent cycle "
                    f"({parent!r} is {'the node itself' if parent == node_id else 'inside it'})",
                )
                return
        self.put(replace(self.current(node_id), parent=parent))

    # -- the changed columns ------------------------------------------------------------

    def changed(self) -> _Changed:
        """The changed map as columns (volumes not yet re-traced) and where each row came
        from."""
        cm = self.cm
        keep = np.flatnonzero(self.node_alive)
        added_nodes = list(self.added_nodes.values())
        ids = (*cm.names(keep), *self.added_nodes)
        index = {node: i for i, node in enumerate(ids)}
        remap = np.full(cm.n + 1, -1, dtype=np.int64)  # remap[-1] == -1
        remap[keep] = np.arange(len(keep))
        over_rows = np.fromiter(self.node_over, np.int64, len(self.node_over))
        over_rows = over_rows[self.node_alive[over_rows]]
        over_nodes = [self.node_over[r] for r in over_rows.tolist()]
        over_at = remap[over_rows]
        fresh = node_columns([*over_nodes, *added_nodes], index)
        columns: dict[str, Any] = {"ids": ids}
        k = len(over_nodes)
        for name in ("kind", "users", "inflow", "outflow", "price", "domain"):
            base = getattr(cm, name)[keep]
            base[over_at] = fresh[name][:k]
            columns[name] = np.concatenate([base, fresh[name][k:]])
        for name in ("parent", "owner"):
            base = remap[getattr(cm, name)[keep]]
            base[over_at] = fresh[name][:k]
            columns[name] = np.concatenate([base, fresh[name][k:]])
        for name in ("labels", "tags", "genes"):
            values = getattr(cm, name)
            base_list = [values[r] for r in keep.tolist()]
            for at, value in zip(over_at.tolist(), fresh[name][:k], strict=True):
                base_list[at] = value
            columns[name] = (*base_list, *fresh[name][k:])
        kept = np.flatnonzero(self.pipe_alive)
        edited = {
            name: getattr(cm, name)[kept]
            for name in ("volume", "capacity", "cost", "conversion", "open", "paid_by_from")
        }
        where = np.full(cm.m, -1, dtype=np.int64)
        where[kept] = np.arange(len(kept))
        for row, fields in self.pipe_edits.items():
            at = int(where[row])
            if at < 0:
                continue
            for name, value in fields.items():
                if name == "status":
                    edited["open"][at] = value == "open"
                elif name == "paid_by":
                    edited["paid_by_from"][at] = value == "from"
                elif value is None:
                    edited[name][at] = np.inf if name == "capacity" else np.nan
                else:
                    edited[name][at] = value
        added_pipes = list(self.added_pipes.values())
        new = pipe_columns(added_pipes, index)
        keys = cm.keys
        columns["keys"] = (*(keys[r] for r in kept.tolist()), *new["keys"])
        columns["src"] = np.concatenate([remap[cm.src[kept]], new["src"]])
        columns["dst"] = np.concatenate([remap[cm.dst[kept]], new["dst"]])
        columns["currency"] = np.concatenate([cm.currency[kept], new["currency"]])
        for name, values in edited.items():
            columns[name] = np.concatenate([values, new[name]])
        node_source = np.concatenate([keep, np.full(len(added_nodes), -1, dtype=np.int64)])
        pipe_source = np.concatenate([kept, np.full(len(added_pipes), -1, dtype=np.int64)])
        made: dict[int, Node] = dict(zip(over_at.tolist(), over_nodes, strict=True))
        made.update((len(keep) + j, node) for j, node in enumerate(added_nodes))
        eco, pipe_edits = self.eco, self.pipe_edits

        def node_at(i: int) -> Node:
            found = made.get(i)
            return found if found is not None else eco.nodes[ids[i]]

        def pipe_at(j: int) -> Pipe:
            row = int(pipe_source[j])
            if row < 0:
                return added_pipes[j - len(kept)]
            fields = pipe_edits.get(row)
            pipe = eco.pipes[row]
            return replace(pipe, **fields) if fields else pipe

        return _Changed(
            from_columns(**columns), node_source, pipe_source, node_at, pipe_at, frozenset(made)
        )


class _Taken(set[str]):
    """The keys in use for :func:`~ecograph.model.pipe_key`: the base map's (kept or
    removed), the added and removed ones, and those given out since."""

    def __init__(self, *known: Mapping[str, Any]) -> None:
        super().__init__()
        self.known = known

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or any(key in k for k in self.known)


@dataclass(frozen=True)
class _Changed:
    """A changed map as columns, with the rows of the base map each row came from (-1:
    new) and how to make each row's objects (before re-tracing)."""

    cm: CompiledMap
    node_source: IntArray
    pipe_source: IntArray
    node_at: Callable[[int], Node]
    pipe_at: Callable[[int], Pipe]
    made: frozenset[int]  # node rows whose object is not the base map's


@dataclass(frozen=True)
class Origin:
    """Where the rows of a changed map come from, kept in its cache under ``"origin"``
    so that :func:`ecograph.compare.diff` can skip what cannot differ.

    Attributes
    ----------
    base : Ecosystem
        The map the scenario was applied to.
    node_source, pipe_source : ndarray of int
        Row in ``base`` of each node and pipe of the changed map (-1: added).
    node_fields_kept : ndarray of bool
        The node has all the fields of its base node but ``inflow`` and ``outflow``.

    A pipe with a source row has the text fields (label, description, source,
    attrs) of that base pipe.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"u": Node("u", "pool", inflow={"traffic": 4.0}),
    ...     "a": Node("a", "partner", outflow={"traffic": 4.0}), "b": Node("b", "partner")},
    ...     pipes=(Pipe("ua", "u", "a", volume=4.0), Pipe("ab", "a", "b")))
    >>> after = apply(eco, loads_scenario("scenario: 1\\nchanges:\\n  - remove: b\\n"))
    >>> origin = after._cache[ORIGIN_KEY]
    >>> origin.base is eco, origin.node_source.tolist(), origin.pipe_source.tolist()
    (True, [0, 1], [0])
    """

    base: Ecosystem
    node_source: IntArray
    pipe_source: IntArray
    node_fields_kept: BoolArray


#: The key of :class:`Origin` in a changed map's cache.
ORIGIN_KEY = "origin"


def apply(
    eco: Ecosystem,
    scenario: Scenario,
    *,
    reroute: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Ecosystem:
    """Apply a scenario to a map: the changed map, with volumes re-traced.

    The changes are made on the map's compiled columns (masks for what is removed,
    column edits for what is set); the changed map's :class:`~ecograph.model.Node`
    and :class:`~ecograph.model.Pipe` objects are made only when read.

    Parameters
    ----------
    eco : Ecosystem
        The base map (not modified).
    scenario : Scenario
        From :func:`load_scenario` or :func:`loads_scenario`.
    reroute : {"lost", "spread"}, optional
        Overrides the scenario's ``reroute`` (see the module docstring).
    tolerance : float, default 1e-3
        Tolerance of the changed map's balance warnings.

    Returns
    -------
    Ecosystem
        The changed map. Its ``warnings`` are those of the changed map (a
        re-traced volume above its pipe's capacity, for one); its ``files``
        end with the scenario file.

    Raises
    ------
    MapError
        A change names an unknown (or already removed) node or pipe, adds an
        id that exists, or would make a parent cycle; each error is located
        in the scenario file.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   hub:   {kind: channel, outflow: 20}
    ...   shop:  {kind: partner, outflow: 80}
    ... pipes:
    ...   - {from: users, to: hub, volume: 100}
    ...   - {from: hub, to: shop, volume: 80}
    ... ''')
    >>> s = loads_scenario("scenario: 1\\nchanges:\\n  - set: {node: users, inflow: 50}\\n")
    >>> after = apply(eco, s)
    >>> [p.volume for p in after.pipes]  # half as much enters: half as much flows
    [50.0, 40.0]
    >>> dict(after.nodes["shop"].outflow)
    {'traffic': 40.0}
    """
    mode = reroute if reroute is not None else scenario.reroute
    if mode not in REROUTE:
        from ecograph.errors import UsageError

        raise UsageError(f"unknown reroute {mode!r}; expected one of {', '.join(REROUTE)}")
    applier = _Applier(eco, scenario)
    for i, change in enumerate(scenario.changes):
        applier.run(i, change)
    if applier.problems:
        raise MapError(applier.problems)
    for j, target in enumerate(scenario.targets):
        if not applier.has_node(target) and target not in eco.nodes:
            applier.node(target, ("targets", j))
    if applier.problems:
        raise MapError(applier.problems)
    changed = applier.changed()
    kept = np.zeros(changed.cm.n, dtype=np.bool_)
    kept[changed.node_source >= 0] = True
    kept[list(changed.made)] = False
    origin = Origin(eco, changed.node_source, changed.pipe_source, kept)
    after = _retraced_map(
        dataclasses.replace(eco, files=(*eco.files, scenario.file), warnings=()),
        compiled(eco),
        changed,
        mode,
        origin,
    )
    warnings = sort_diagnostics(map_warnings(after, tolerance))
    object.__setattr__(after, "warnings", tuple(warnings))
    return after


# -- re-tracing ---------------------------------------------------------------------------------


def retrace(base: Ecosystem, changed: Ecosystem, *, reroute: str = "lost") -> Ecosystem:
    """Re-trace the volumes of ``changed`` from the routing shares of ``base``.

    See the module docstring for the assumption. Every currency is traced on
    its own. Blocked pipes carry 0; each node's outflow becomes what is left
    of its throughflow after its pipes, so the result balances exactly.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> nodes = {"u": Node("u", "pool", inflow={"traffic": 10.0}),
    ...          "a": Node("a", "partner", outflow={"traffic": 6.0}),
    ...          "b": Node("b", "partner", outflow={"traffic": 4.0})}
    >>> base = Ecosystem("m", nodes=nodes, pipes=(Pipe("ua", "u", "a", volume=6.0),
    ...                                           Pipe("ub", "u", "b", volume=4.0)))
    >>> blocked = Ecosystem("m", nodes=nodes, pipes=(Pipe("ua", "u", "a", volume=6.0),
    ...     Pipe("ub", "u", "b", volume=4.0, status="blocked")))
    >>> [p.volume for p in retrace(base, blocked, reroute="lost").pipes]
    [6.0, 0.0]
    >>> [p.volume for p in retrace(base, blocked, reroute="spread").pipes]
    [10.0, 0.0]
    """
    if reroute not in REROUTE:
        raise UsageError(f"retrace(): reroute must be one of {', '.join(REROUTE)}, not {reroute!r}")
    bcm, ccm = compiled(base), compiled(changed)
    base_index = bcm.index
    ids = ccm.ids
    source = np.fromiter((base_index.get(node, -1) for node in ids), np.int64, len(ids))
    pipes = changed.pipes
    columns = _Changed(
        ccm,
        source,
        np.full(ccm.m, -1, dtype=np.int64),
        lambda i: changed.nodes[ids[i]],
        pipes.__getitem__,
        frozenset(),
    )
    return _retraced_map(changed, bcm, columns, reroute, None)


def _retraced_map(
    eco: Ecosystem, bcm: CompiledMap, changed: _Changed, reroute: str, origin: Origin | None
) -> Ecosystem:
    """``eco`` with the changed columns re-traced: new compiled columns in its cache, its
    nodes and pipes made from them when read."""
    ccm = changed.cm
    volume, inflow, outflow, in_set, out_set = _retrace_columns(
        bcm, ccm, changed.node_source, reroute
    )
    final = from_columns(
        **{name: getattr(ccm, name) for name in _COLUMNS},
        volume=volume,
        inflow=inflow,
        outflow=outflow,
    )
    ids, node_at, pipe_at = ccm.ids, changed.node_at, changed.pipe_at
    set_rows = np.flatnonzero(in_set.any(axis=1) | out_set.any(axis=1))
    reflowed = set(set_rows.tolist())
    is_open = ccm.open

    def make_node(i: int) -> Node:
        node = node_at(i)
        if i not in reflowed:
            return node
        new_in, new_out = dict(node.inflow), dict(node.outflow)
        for flows, mask, values in ((new_in, in_set, inflow), (new_out, out_set, outflow)):
            for currency, given, amount in zip(
                CURRENCIES, mask[i].tolist(), values[i].tolist(), strict=True
            ):
                if given:
                    flows[currency] = amount
        new_in = {k: v for k, v in new_in.items() if v or k in node.inflow}
        new_out = {k: v for k, v in new_out.items() if v or k in node.outflow}
        if new_in == node.inflow and new_out == node.outflow:
            return node
        return replace(node, inflow=MappingProxyType(new_in), outflow=MappingProxyType(new_out))

    def make_pipe(j: int) -> Pipe:
        pipe = pipe_at(j)
        if is_open[j]:
            amount: float | None = float(volume[j])
        else:
            amount = 0.0 if pipe.volume else pipe.volume
        if amount == pipe.volume and j == pipe.index:
            return pipe
        return replace(pipe, volume=amount, index=j)

    after = dataclasses.replace(
        eco,
        nodes=LazyNodes(ids, make_node),
        pipes=LazyPipes(ccm.m, lambda: tuple(map(make_pipe, range(ccm.m))), make_one=make_pipe),
    )
    after._cache[CACHE_KEY] = final
    if origin is not None:
        after._cache[ORIGIN_KEY] = origin
    return after


_COLUMNS = (
    "ids",
    "kind",
    "parent",
    "users",
    "labels",
    "tags",
    "genes",
    "keys",
    "src",
    "dst",
    "currency",
    "capacity",
    "cost",
    "conversion",
    "open",
    "price",
    "owner",
    "domain",
    "paid_by_from",
)


def _declared(cm: CompiledMap, kind: str) -> tuple[FloatArray, FloatArray]:
    """Declared total in and out (boundary plus open pipes) per node, in map order."""
    arr = cm.layer(kind)
    into, out = arr.pipe_sums
    return arr.inflow + into, arr.outflow + out


def _retrace_columns(
    bcm: CompiledMap, ccm: CompiledMap, in_base: IntArray, reroute: str
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray, BoolArray]:
    """Re-traced pipe volumes and boundary flows of ``ccm`` (one sparse solve per
    currency), and which boundary flows were set (node x currency)."""
    from ecograph.analysis._linalg import Solver, tidy

    ids = ccm.ids
    n, k = ccm.n, len(CURRENCIES)
    known = in_base >= 0
    volume = ccm.volume.copy()
    # a blocked pipe carries nothing (a volume it never had stays not given)
    volume[~ccm.open & ~np.isnan(volume)] = 0.0
    inflow, outflow = ccm.inflow.copy(), ccm.outflow.copy()
    in_set = np.zeros((n, k), dtype=np.bool_)
    out_set = np.zeros((n, k), dtype=np.bool_)
    used = set(bcm.currencies()) | set(ccm.currencies())
    for kind in (c for c in CURRENCIES if c in used):
        code = CURRENCY_CODE[kind]
        b_in, b_out = _declared(bcm, kind)
        c_in, c_out = _declared(ccm, kind)
        was_in = np.where(known, b_in[np.maximum(in_base, 0)], c_in)
        was_out = np.where(known, b_out[np.maximum(in_base, 0)], c_out)
        surplus = np.maximum(was_in - was_out, 0.0)
        deficit = np.maximum(was_out - was_in, 0.0)
        denominator = (np.maximum(was_out, c_out) if reroute == "lost" else c_out) + surplus
        arr = ccm.layer(kind)
        boundary = arr.inflow + deficit
        rows = arr.rows[arr.is_open]
        src, dst, vol = arr.src[arr.is_open], arr.dst[arr.is_open], arr.volume[arr.is_open]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(denominator[src] > 0, vol / denominator[src], 0.0)
        P = sp.csr_array((share, (src, dst)), shape=(n, n))
        P.sum_duplicates()
        _, labels = csgraph.connected_components(P, directed=True, connection="strong")
        isolated, fed = _closed_loops(P, labels, boundary)
        if len(fed):
            loop = ", ".join(ids[i] for i in fed[:6]) + (", ..." if len(fed) > 6 else "")
            raise UsageError(
                f"after the scenario, {kind} enters a closed loop ({loop}) and nothing leaves "
                "it, so its volumes grow without end; give one of its nodes an outflow, or use "
                "reroute: lost"
            )
        if len(isolated):
            # flow circulating on its own, nothing entering: kept as declared
            keep = np.ones(n)
            keep[isolated] = 0.0
            P = sp.csr_array(sp.diags_array(keep) @ P)
            P.eliminate_zeros()
            boundary = boundary.copy()
            boundary[isolated] = 0.0
        x = tidy(Solver(P, labels.astype(np.int64)).solve(boundary, transpose=True))
        x = np.maximum(x, 0.0)
        loop_pipes = np.zeros(len(src), dtype=bool)
        if len(isolated):
            x[isolated] = c_out[isolated]
            loop_pipes = np.isin(src, isolated)
        carried = np.where(loop_pipes, vol, tidy(share * x[src]))
        volume[rows] = carried
        sent = np.bincount(src, weights=carried, minlength=n)
        left = tidy(np.maximum(x - sent - deficit, 0.0))
        flows = (denominator > 0) | (left > 0)
        outflow[flows, code] = left[flows]
        out_set[:, code] = flows
        gap = deficit > 0
        inflow[gap, code] = boundary[gap]
        in_set[:, code] = gap
    return volume, inflow, outflow, in_set, out_set


def _closed_loops(P: sp.csr_array, labels: Any, boundary: Any) -> tuple[Any, Any]:
    """Nodes of closed loops (strongly connected, nothing leaves): those nothing enters
    (kept as declared) and those something enters (an error)."""
    n = P.shape[0]
    coo = P.tocoo()
    k = int(labels.max(initial=-1)) + 1
    exit_share = 1.0 - np.bincount(coo.row, weights=coo.data, minlength=n)
    leaving = labels[coo.row] != labels[coo.col]
    leak = np.bincount(labels, weights=exit_share, minlength=k)
    leak += np.bincount(labels[coo.row[leaving]], weights=coo.data[leaving], minlength=k)
    sizes = np.bincount(labels, minlength=k)
    loops = np.bincount(labels, weights=(P.diagonal() > 0).astype(float), minlength=k) > 0
    closed = ((sizes > 1) | loops) & (leak <= 1e-12 * sizes)
    entering = np.bincount(labels, weights=boundary, minlength=k)
    entering += np.bincount(labels[coo.col[leaving]], weights=coo.data[leaving], minlength=k)
    fed = closed & (entering > 0)
    return np.flatnonzero(closed[labels] & ~fed[labels]), np.flatnonzero(fed[labels])
