"""The object path of what-if scenarios: the reference the columnar :mod:`ecograph.scenario`
is checked against.

This is how ``ecograph.scenario`` applied scenarios before it worked on the compiled
columns: a dict of every ``Node`` and ``Pipe``, changed object by object, then the volumes
re-traced into new ``Pipe`` objects. It is kept here, unchanged, as an independent second
path (tests only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from ecograph._suggest import Suggester
from ecograph.analysis._linalg import Solver, tidy
from ecograph.compiled import compiled
from ecograph.errors import Diagnostic, MapError, UsageError, format_path, sort_diagnostics
from ecograph.model import CURRENCIES, Ecosystem, Node, Pipe, pipe_key
from ecograph.scenario import REROUTE, Change, Scenario, replace
from ecograph.validate import DEFAULT_TOLERANCE, build_node, build_pipe, map_warnings

FloatArray = Any


def apply_objects(
    eco: Ecosystem,
    scenario: Scenario,
    *,
    reroute: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Ecosystem:
    """``ecograph.scenario.apply`` as it was: object by object."""
    mode = reroute if reroute is not None else scenario.reroute
    applier = _Applier(eco, scenario)
    for i, change in enumerate(scenario.changes):
        applier.run(i, change)
    if applier.problems:
        raise MapError(applier.problems)
    for j, target in enumerate(scenario.targets):
        if target not in applier.nodes and target not in eco.nodes:
            applier.node(target, ("targets", j))
    if applier.problems:
        raise MapError(applier.problems)
    changed = dataclasses.replace(
        eco,
        nodes=applier.nodes,
        pipes=tuple(applier.pipes.values()),
        files=(*eco.files, scenario.file),
        warnings=(),
    )
    changed = retrace_objects(eco, changed, reroute=mode)
    warnings = sort_diagnostics(map_warnings(changed, tolerance))
    return dataclasses.replace(changed, warnings=warnings)


class _Applier:
    """Applies the changes of one scenario to a map, collecting located errors."""

    def __init__(self, eco: Ecosystem, scenario: Scenario) -> None:
        self.scenario = scenario
        self.nodes: dict[str, Node] = dict(eco.nodes)
        self.pipes: dict[str, Pipe] = {p.key: p for p in eco.pipes}
        self.removed_nodes: dict[str, int] = {}
        self.removed_pipes: dict[str, int] = {}
        self.problems: list[Diagnostic] = []
        self.touched: set[str] = set()
        self._counts: dict[str, int] | None = None
        self._incident: dict[str, list[str]] | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Generated keys already used per ``from->to:kind`` (for keys of added pipes)."""
        if self._counts is None:
            self._counts = {}
            for pipe in self.pipes.values():
                base = f"{pipe.from_node}->{pipe.to_node}:{pipe.kind}"
                if pipe.key == base or pipe.key.startswith(base + "#"):
                    self._counts[base] = self._counts.get(base, 0) + 1
        return self._counts

    def incident(self, node_id: str) -> list[str]:
        """Keys of the pipes that start or end at ``node_id`` (an index built once)."""
        if self._incident is None:
            self._incident = {}
            for key, pipe in self.pipes.items():
                self._incident.setdefault(pipe.from_node, []).append(key)
                self._incident.setdefault(pipe.to_node, []).append(key)
        return self._incident.get(node_id, [])

    def add_pipe(self, key: str, pipe: Pipe) -> None:
        self.pipes[key] = pipe
        if self._incident is not None:
            self._incident.setdefault(pipe.from_node, []).append(key)
            self._incident.setdefault(pipe.to_node, []).append(key)

    def problem(self, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        where = self.scenario.locate(path, key=key)
        self.problems.append(
            Diagnostic("error", where.file, where.line, where.column, format_path(path), message)
        )

    def node(self, node_id: str, path: tuple[str | int, ...]) -> bool:
        if node_id in self.nodes:
            return True
        if node_id in self.removed_nodes:
            self.problem(
                path, f"node {node_id!r} was removed by changes[{self.removed_nodes[node_id]}]"
            )
        else:
            hint = Suggester(self.nodes)(node_id)
            self.problem(path, f"unknown node {node_id!r}{hint}")
        return False

    def pipe(self, key: str, path: tuple[str | int, ...]) -> bool:
        if key in self.pipes:
            return True
        if key in self.removed_pipes:
            self.problem(path, f"pipe {key!r} was removed by changes[{self.removed_pipes[key]}]")
        else:
            self.problem(path, f"unknown pipe {key!r}{Suggester(self.pipes)(key)}")
        return False

    def members(self, node_id: str) -> list[str]:
        children: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if node.parent is not None:
                children.setdefault(node.parent, []).append(node.id)
        out, stack = [], [node_id]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(children.get(current, ()))
        return out

    def run(self, i: int, change: Change) -> None:
        at: tuple[str | int, ...] = ("changes", i, change.action)
        getattr(self, "do_" + change.action)(i, at, change.value)

    def do_remove(self, i: int, at: tuple[str | int, ...], ids: list[str]) -> None:
        for j, node_id in enumerate(ids):
            path = (*at, j) if isinstance(self._raw(at), list) else at
            if not self.node(node_id, path):
                continue
            gone = set(self.members(node_id))
            for n in gone:
                del self.nodes[n]
                self.removed_nodes[n] = i
            for n in gone:
                for key in self.incident(n):
                    pipe = self.pipes.pop(key, None)
                    if pipe is not None:
                        self.removed_pipes[key] = i
                        self.touched.update((pipe.from_node, pipe.to_node))
            self.touched -= set(self.removed_nodes)
            # a pool whose owner is gone belongs to nobody (or, by default, its parent)
            for n, node in list(self.nodes.items()):
                if node.owner is not None and node.owner in gone:
                    self.nodes[n] = replace(node, owner=None)

    def _raw(self, at: tuple[str | int, ...]) -> Any:
        value: Any = self.scenario._doc.data
        for part in at:
            value = value[part]
        return value

    def _status(self, at: tuple[str | int, ...], keys: list[str], status: str) -> None:
        listed = isinstance(self._raw(at), list)
        for j, key in enumerate(keys):
            path = (*at, j) if listed else at
            if self.pipe(key, path):
                pipe = self.pipes[key]
                if pipe.status == status:
                    self.problem(path, f"pipe {key!r} is already {status}")
                    continue
                self.pipes[key] = replace(pipe, status=status)
                self.touched.update((pipe.from_node, pipe.to_node))

    def do_block(self, i: int, at: tuple[str | int, ...], keys: list[str]) -> None:
        self._status(at, keys, "blocked")

    def do_open(self, i: int, at: tuple[str | int, ...], keys: list[str]) -> None:
        self._status(at, keys, "open")

    def do_set(self, i: int, at: tuple[str | int, ...], value: dict[str, Any]) -> None:
        figures = {k: v for k, v in value.items() if k not in ("pipe", "node")}
        if "pipe" in value:
            key = value["pipe"]
            if self.pipe(key, (*at, "pipe")):
                pipe = self.pipes[key]
                self.pipes[key] = replace(pipe, **figures)
                self.touched.update((pipe.from_node, pipe.to_node))
            return
        node_id = value["node"]
        if not self.node(node_id, (*at, "node")):
            return
        node = self.nodes[node_id]
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
        self.nodes[node_id] = replace(node, **changes)
        self.touched.add(node_id)

    def do_add(self, i: int, at: tuple[str | int, ...], value: dict[str, Any]) -> None:
        new_nodes = value.get("nodes", {})
        for node_id, attrs in new_nodes.items():
            path = (*at, "nodes", node_id)
            if node_id in self.nodes:
                where = self.nodes[node_id].location
                self.problem(path, f"node {node_id!r} already exists (at {where})", key=True)
                continue
            self.nodes[node_id] = build_node(node_id, attrs, self.scenario.locate(path, key=True))
            self.removed_nodes.pop(node_id, None)
            self.touched.add(node_id)
        for node_id, attrs in new_nodes.items():
            parent = attrs.get("parent")
            if parent is not None and node_id in self.nodes:
                self.node(parent, (*at, "nodes", node_id, "parent"))
        taken = set(self.pipes) | set(self.removed_pipes)
        for j, attrs in enumerate(value.get("pipes", [])):
            path = (*at, "pipes", j)
            ends_ok = all([self.node(attrs[end], (*path, end)) for end in ("from", "to")])
            if attrs["from"] == attrs["to"]:
                self.problem(
                    (*path, "to"), f"a pipe cannot run from node {attrs['from']!r} to itself"
                )
                continue
            if isinstance(attrs.get("id"), str) and attrs["id"] in self.pipes:
                self.problem((*path, "id"), f"pipe id {attrs['id']!r} is already used")
                continue
            if not ends_ok:
                continue
            key = pipe_key(attrs, taken, self.counts)
            self.add_pipe(key, build_pipe(key, attrs, 0, self.scenario.locate(path)))
            self.touched.update((attrs["from"], attrs["to"]))

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
        self.nodes[node_id] = replace(self.nodes[node_id], parent=parent)
        self.touched.add(node_id)


# -- re-tracing


def _boundary(eco: Ecosystem, kind: str, which: str) -> FloatArray:
    return np.fromiter(
        (getattr(node, which).get(kind, 0.0) for node in eco.nodes.values()),
        dtype=np.float64,
        count=len(eco.nodes),
    )


def _declared(eco: Ecosystem, kind: str) -> tuple[FloatArray, FloatArray]:
    """Declared total in and out (boundary plus open pipes) per node, in map order."""
    arr = compiled(eco).layer(kind)
    into, out = arr.pipe_sums
    return arr.inflow + into, arr.outflow + out


def retrace_objects(base: Ecosystem, changed: Ecosystem, *, reroute: str = "lost") -> Ecosystem:
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
    >>> [p.volume for p in retrace_objects(base, blocked, reroute="lost").pipes]
    [6.0, 0.0]
    >>> [p.volume for p in retrace_objects(base, blocked, reroute="spread").pipes]
    [10.0, 0.0]
    """
    if reroute not in REROUTE:
        raise ValueError(f"reroute must be one of {REROUTE}")
    ids = list(changed.nodes)
    n = len(ids)
    base_index = {node: i for i, node in enumerate(base.nodes)}
    in_base = np.fromiter((base_index.get(node, -1) for node in ids), dtype=np.int64, count=n)
    known = in_base >= 0
    volumes: dict[str, float] = {}
    inflows = {node_id: dict(node.inflow) for node_id, node in changed.nodes.items()}
    outflows = {node_id: dict(node.outflow) for node_id, node in changed.nodes.items()}
    kinds = [k for k in CURRENCIES if k in set(base.currencies()) | set(changed.currencies())]
    for kind in kinds:
        b_in, b_out = _declared(base, kind)
        c_in, c_out = _declared(changed, kind)
        was_in = np.where(known, b_in[np.maximum(in_base, 0)], c_in)
        was_out = np.where(known, b_out[np.maximum(in_base, 0)], c_out)
        surplus = np.maximum(was_in - was_out, 0.0)
        deficit = np.maximum(was_out - was_in, 0.0)
        denominator = (np.maximum(was_out, c_out) if reroute == "lost" else c_out) + surplus
        boundary = _boundary(changed, kind, "inflow") + deficit
        arr = compiled(changed).layer(kind)
        pipes = [changed.pipes[i] for i in arr.rows[arr.is_open].tolist()]
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
        sent = np.bincount(src, weights=carried, minlength=n)
        volumes.update(zip((p.key for p in pipes), carried.tolist(), strict=True))
        left = tidy(np.maximum(x - sent - deficit, 0.0)).tolist()
        flows = (denominator > 0) | (np.asarray(left) > 0)
        for i in np.flatnonzero(flows | (deficit > 0)).tolist():
            node_id = ids[i]
            if flows[i] or kind in outflows[node_id]:
                outflows[node_id][kind] = left[i]
            if deficit[i] > 0:
                inflows[node_id][kind] = float(boundary[i])
    nodes = {}
    for node_id, node in changed.nodes.items():
        new_in = {k: v for k, v in inflows[node_id].items() if v or k in node.inflow}
        new_out = {k: v for k, v in outflows[node_id].items() if v or k in node.outflow}
        if new_in == node.inflow and new_out == node.outflow:
            nodes[node_id] = node
        else:
            nodes[node_id] = replace(
                node, inflow=MappingProxyType(new_in), outflow=MappingProxyType(new_out)
            )
    pipes_out = tuple(_retraced(p, volumes, k) for k, p in enumerate(changed.pipes))
    return dataclasses.replace(changed, nodes=nodes, pipes=pipes_out)


def _retraced(pipe: Pipe, volumes: Mapping[str, float], index: int) -> Pipe:
    """The pipe with its re-traced volume (a blocked pipe carries 0) and its new index."""
    if pipe.is_open:
        volume = volumes.get(pipe.key, pipe.volume)
    else:
        volume = 0.0 if pipe.volume else pipe.volume
    if volume == pipe.volume and index == pipe.index:
        return pipe
    return replace(pipe, volume=volume, index=index)


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
