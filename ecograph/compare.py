"""Comparing two maps: what a scenario changes (:func:`whatif`), what an edit did (:func:`diff`).

Both end in the same metric comparison (:func:`compare`): for one currency,
every node whose traffic changed, the reach and traffic of the nodes the change
names, max-flow to the targets, the flow indices of :func:`ecograph.flow`, the
top of a centrality ranking with rank moves, the pipes whose volume changed,
and the diagnosis statuses that changed. Each section is a list of records with
``before``, ``after`` and ``delta``; ``changed`` names the sections with a
difference, so a reader (or a script) sees at once what moved.

The results are frozen :class:`ecograph.results.MappingResult` types: :class:`Comparison`,
and :class:`WhatIf` and :class:`Diff`, which add the scenario or the structural changes.
``to_dict()`` is the JSON of ``ecograph whatif`` / ``ecograph diff --format json``
(without whatif's ``map``), ``result["section"]`` reads a section, ``rows()`` and
``to_frame()`` give the records of every section in one table with a ``section``
column.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csgraph

from ecograph._aliases import renamed
from ecograph._perf import gc_paused
from ecograph.compiled import compiled
from ecograph.errors import UsageError
from ecograph.model import Ecosystem, check_currency
from ecograph.results import MappingResult, sections_frame

if TYPE_CHECKING:
    import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "FLOW_INDICES",
    "SECTIONS",
    "Comparison",
    "Diff",
    "WhatIf",
    "compare",
    "diff",
    "whatif",
]

#: The sections of a comparison, in the order they are printed.
SECTIONS: tuple[str, ...] = (
    "affected",
    "traffic",
    "max_flow",
    "flow_indices",
    "centrality",
    "value",
    "diagnosis",
    "volumes",
)
#: The whole-map indices of :func:`ecograph.flow` that are compared.
FLOW_INDICES: tuple[str, ...] = (
    "total_system_throughflow",
    "boundary_input",
    "average_path_length",
    "cycling_index",
    "boundary_flow_index",
    "direct_flow_index",
    "indirect_flow_index",
)
_NODE_FIELDS = (
    "kind",
    "label",
    "parent",
    "users",
    "inflow",
    "outflow",
    "tags",
    "genes",
    "description",
    "source",
    "attrs",
)
_PIPE_FIELDS = (
    "from_node",
    "to_node",
    "kind",
    "volume",
    "capacity",
    "conversion",
    "cost",
    "status",
    "label",
    "description",
    "source",
    "attrs",
)
_MAP_FIELDS = ("name", "title", "period", "units", "description")
_REL = 1e-9
#: Most nodes listed in the ``affected`` section (each costs a breadth-first search).
AFFECTED_LIMIT = 200


@dataclass(frozen=True)
class Comparison(MappingResult):
    """What :func:`compare` found: one list of records per section of :data:`SECTIONS`.

    Each field is as the Returns section of :func:`compare` describes. ``to_dict()``
    is the comparison as a dict (``kind``, ``metric``, ``changed``, ``affected``,
    ``affected_not_shown``, then the other sections); ``result["traffic"]`` reads a
    section. ``rows()`` and ``to_frame()``: the records of every section, in the order
    of :data:`SECTIONS`, with a ``section`` column first (the other columns are those
    of the section: ``node``, ``before``, ``after``, ``delta``...).

    Examples
    --------
    >>> import ecograph
    >>> text = '''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   shop:  {kind: partner, outflow: 100}
    ... pipes:
    ...   - {from: users, to: shop, volume: 100, capacity: 150}
    ... '''
    >>> a, b = ecograph.loads(text), ecograph.loads(text.replace("150", "300"))
    >>> result = compare(a, b, targets=["shop"], diagnosis=False)
    >>> result.changed, result["max_flow"][0]["after"]
    (['max_flow'], 300.0)
    >>> [row for row in result.rows() if row["section"] == "max_flow"]
    [{'section': 'max_flow', 'target': 'shop', 'before': 150.0, 'after': 300.0, 'delta': 150.0}]
    """

    kind: str
    metric: str
    changed: list[str]
    affected: list[dict[str, Any]]
    affected_not_shown: int
    traffic: list[dict[str, Any]]
    max_flow: list[dict[str, Any]]
    flow_indices: list[dict[str, Any]]
    centrality: list[dict[str, Any]]
    value: list[dict[str, Any]]
    diagnosis: list[dict[str, Any]]
    volumes: list[dict[str, Any]]

    def sections(self) -> dict[str, list[dict[str, Any]]]:
        """The records of each section, in :data:`SECTIONS` order: the table's parts.

        The statuses of the ``diagnosis`` section are in ``status_before`` and
        ``status_after``, so that ``before``, ``after`` and ``delta`` hold numbers only.
        """
        out: dict[str, list[dict[str, Any]]] = {}
        for name in SECTIONS:
            records = getattr(self, name)
            if name == "diagnosis":
                records = [
                    {_STATUS.get(key, key): value for key, value in record.items()}
                    for record in records
                ]
            out[name] = records
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The records of every section (:meth:`sections`), ``section`` first."""
        return [
            {"section": name, **record}
            for name, records in self.sections().items()
            for record in records
        ]

    def to_frame(self) -> pd.DataFrame:
        """:meth:`rows` as a pandas DataFrame, built section by section (the same table as
        a DataFrame of the rows, a few times quicker on a large change)."""
        return sections_frame(self.sections())

    def comparison(self) -> Comparison:
        """The comparison alone (of a :class:`WhatIf` or :class:`Diff`, without their own
        fields).

        Examples
        --------
        >>> import ecograph
        >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pool}}\\n")
        >>> type(diff(eco, eco).comparison()).__name__
        'Comparison'
        """
        return Comparison(**_comparison_fields(self))


_STATUS = {"before": "status_before", "after": "status_after"}
#: The fields of a :class:`Comparison`, in the order of its dict.
_COMPARISON_KEYS = tuple(f.name for f in fields(Comparison))


@dataclass(frozen=True)
class WhatIf(Comparison):
    """What :func:`whatif` found: the scenario, its changes, and the :class:`Comparison`.

    ``to_dict()`` starts with ``scenario`` (name, title, file, reroute), ``changes``
    (each in words, ``at`` where it was written) and ``warnings`` (of the changed map),
    then the comparison's keys. ``rows()`` and ``to_frame()`` are the comparison's.
    See :func:`whatif` for an example.
    """

    scenario: dict[str, Any]
    changes: list[dict[str, str]]
    warnings: list[str]

    def _keys(self) -> list[str]:
        return ["scenario", "changes", "warnings", *_COMPARISON_KEYS]

    def to_dict(self) -> dict[str, Any]:
        """The scenario, its changes and warnings, then the comparison's sections."""
        out = super().to_dict()
        return {key: out[key] for key in self._keys()}


@dataclass(frozen=True)
class Diff(Comparison):
    """What :func:`diff` found: the structural changes, then the :class:`Comparison`.

    ``to_dict()`` starts with ``identical``, ``old`` and ``new`` (the files),
    ``map`` (changed top-level fields), ``nodes`` and ``pipes`` (``added``,
    ``removed``, ``changed``), then the comparison's keys. ``rows()`` and
    ``to_frame()``: first one row per structural change, with ``section`` (``map``,
    ``nodes`` or ``pipes``), ``edit`` (``added``, ``removed`` or ``changed``), the
    ``node`` or ``pipe``, and for a changed field ``field``, ``old`` and ``new``; then
    the comparison's rows.

    Examples
    --------
    >>> import ecograph
    >>> text = '''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   shop:  {kind: partner, outflow: 100}
    ... pipes:
    ...   - {from: users, to: shop, volume: 100}
    ... '''
    >>> a = ecograph.loads(text)
    >>> b = ecograph.loads(text.replace("kind: partner", "kind: producer"))
    >>> diff(a, b).rows()[0]
    {'section': 'nodes', 'edit': 'changed', 'node': 'shop', 'field': 'kind', \
'old': 'partner', 'new': 'producer'}
    """

    identical: bool
    old: list[str]
    new: list[str]
    map: list[dict[str, Any]]
    nodes: dict[str, list[Any]]
    pipes: dict[str, list[Any]]

    def _keys(self) -> list[str]:
        return ["identical", "old", "new", "map", "nodes", "pipes", *_COMPARISON_KEYS]

    def to_dict(self) -> dict[str, Any]:
        """The structural changes, then the comparison's sections."""
        out = super().to_dict()
        return {key: out[key] for key in self._keys()}

    def sections(self) -> dict[str, list[dict[str, Any]]]:
        """The structural changes (``map``, ``nodes``, ``pipes``, each record with its
        ``edit``), then the comparison's sections."""
        out: dict[str, list[dict[str, Any]]] = {
            "map": [{"edit": "changed", **record} for record in self.map]
        }
        for section, name in (("nodes", "node"), ("pipes", "pipe")):
            part = getattr(self, section)
            out[section] = [
                *({"edit": "added", name: x} for x in part["added"]),
                *({"edit": "removed", name: x} for x in part["removed"]),
                *({"edit": "changed", **r} for r in part["changed"]),
            ]
        return out | super().sections()


def _differ(a: Any, b: Any) -> bool:
    if a == b:
        return False
    if isinstance(a, float) and isinstance(b, float):
        if math.isinf(a) or math.isinf(b):
            return a != b
        return abs(a - b) > _REL * max(abs(a), abs(b), 1.0)
    return bool(a != b)


def _delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    return float(f"{b - a:.12g}")  # no rounding noise of the subtraction


def _reach_counts(eco: Ecosystem, nodes: Sequence[str], kind: str) -> dict[str, int | None]:
    """How many other nodes each node reaches over open pipes (None: not in the map).

    Nodes of one strongly connected component reach the same nodes, so one
    breadth-first search per component named is enough.
    """
    from ecograph.analysis._linalg import layer_arrays

    arrays = layer_arrays(eco, kind)
    layer = compiled(eco).layer(kind)

    def components() -> IntArray:
        _, labels = csgraph.connected_components(
            arrays.structure, directed=True, connection="strong"
        )
        return np.asarray(labels, dtype=np.int64)

    labels: IntArray = layer.cached("reach-components", components)
    out: dict[str, int | None] = {}
    done: dict[int, int] = {}
    for node in nodes:
        if node not in eco.nodes:
            out[node] = None
            continue
        position = arrays.position(node)
        label = int(labels[position])
        if label not in done:
            done[label] = int(arrays.reachable(position).sum()) - 1
        out[node] = done[label]
    return out


def _max_flow(eco: Ecosystem, target: str, kind: str) -> float | None:
    from ecograph.analysis.bottlenecks import max_flow

    if target not in eco.nodes:
        return None
    try:
        return max_flow(eco, target, currency=kind)
    except UsageError:
        return None


def _ranks(values: Mapping[str, float]) -> dict[str, int]:
    return {node: rank for rank, node in enumerate(values, start=1)}


@renamed(kind="currency")
def compare(
    before: Ecosystem,
    after: Ecosystem,
    *,
    currency: str = "traffic",
    targets: Iterable[str] = (),
    focus: Iterable[str] = (),
    metric: str = "pagerank",
    top: int = 10,
    diagnosis: bool = True,
) -> Comparison:
    """Compare the measures of two versions of a map, section by section.

    Parameters
    ----------
    before, after : Ecosystem
        The two maps (nodes are matched by id, pipes by key).
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency compared.
    targets : iterable of str
        Nodes whose max-flow is compared (a str is one node).
    focus : iterable of str
        Nodes named by the change: their traffic and reach are listed even
        when unchanged (a str is one node).
    metric : str, default "pagerank"
        The centrality ranked (see :func:`ecograph.centrality`).
    top : int, default 10
        How many of the ranking are compared (the union of both tops).
    diagnosis : bool, default True
        Compare diagnosis statuses.

    Returns
    -------
    Comparison
        ``kind``, ``metric``, ``changed`` (names of the sections with a
        difference) and one list of records per section of :data:`SECTIONS`
        (each a field, and a key of ``to_dict()`` and ``result[...]``):

        - ``affected``: node, traffic and reach (other nodes it reaches over
          open pipes) before and after, for the ``targets`` and ``focus``
          (at most :data:`AFFECTED_LIMIT`; ``affected_not_shown`` counts the rest);
        - ``traffic``: every node whose throughflow changed, largest change
          first, with ``delta`` and relative ``change``;
        - ``max_flow``: per target, what the pipes could deliver;
        - ``flow_indices``: the indices of :data:`FLOW_INDICES`;
        - ``centrality``: rank and value before and after, and ``move``
          (places gained), for the union of both tops, by rank after;
        - ``value``: nodes whose revenue, spend, income or net
          (:func:`ecograph.value`) changed: ``before``/``after``/``delta`` of
          the net, and ``revenue_before``... of the others, largest change first;
        - ``diagnosis``: nodes whose status changed;
        - ``volumes``: pipes whose effective volume changed (a blocked pipe
          carries 0), largest change first.

        A node or pipe missing on one side has ``None`` there.

    Raises
    ------
    UsageError
        ``before`` or ``after`` not an Ecosystem, a target in neither map, an unknown
        currency or metric, ``top`` not a whole number of at least 1.

    Examples
    --------
    >>> import ecograph
    >>> text = '''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   shop:  {kind: partner, outflow: 100}
    ... pipes:
    ...   - {from: users, to: shop, volume: 100, capacity: 150}
    ... '''
    >>> a = ecograph.loads(text)
    >>> b = ecograph.loads(text.replace("150", "300"))
    >>> result = compare(a, b, targets=["shop"])
    >>> result.changed, result.max_flow
    (['max_flow'], [{'target': 'shop', 'before': 150.0, 'after': 300.0, 'delta': 150.0}])
    >>> result["changed"] == result.changed  # read as the dict it used to be
    True
    """
    with gc_paused():  # millions of small records on large maps; no cycles
        _check_call({"before": before, "after": after}, top)
        return _compare(
            before,
            after,
            currency,
            _node_list(targets, "targets"),
            _node_list(focus, "focus"),
            metric,
            top,
            diagnosis,
        )


def _node_list(nodes: Iterable[str], name: str) -> list[str]:
    """``nodes`` as a list; one node id when given as a str (not its characters)."""
    if isinstance(nodes, str):
        return [nodes]
    try:
        return list(nodes)
    except TypeError:
        raise UsageError(f"{name} must be node ids, not {type(nodes).__name__}") from None


def _check_call(maps: Mapping[str, Any], top: Any) -> None:
    """The maps are Ecosystems and ``top`` a whole number of at least 1, else UsageError."""
    for name, value in maps.items():
        if not isinstance(value, Ecosystem):
            raise UsageError(
                f"{name} must be an Ecosystem (ecograph.load), not {type(value).__name__}"
            )
    if isinstance(top, bool) or not isinstance(top, int):
        raise UsageError(f"top must be a whole number, not {top!r}")
    if top < 1:
        raise UsageError(f"top must be at least 1, found {top}")


def _compare(
    before: Ecosystem,
    after: Ecosystem,
    kind: str,
    targets: list[str],
    focus: Iterable[str],
    metric: str,
    top: int,
    diagnosis: bool,
) -> Comparison:
    from ecograph.analysis.centrality import centrality

    check_currency(kind)
    targets = list(dict.fromkeys(targets))
    for target in targets:
        if target not in before.nodes and target not in after.nodes:
            from ecograph._suggest import did_you_mean

            known = {**before.nodes, **after.nodes}
            raise UsageError(f"unknown node {target!r}{did_you_mean(target, known)}")
    from ecograph.analysis.flow import flow

    f_before, f_after = flow(before, currency=kind), flow(after, currency=kind)
    t_before, t_after = dict(f_before.throughflow), dict(f_after.throughflow)
    out: dict[str, Any] = {"kind": kind, "metric": metric, "changed": []}

    affected = []
    named = [n for n in dict.fromkeys([*focus, *targets]) if n in before.nodes or n in after.nodes]
    reach_before = _reach_counts(before, named[:AFFECTED_LIMIT], kind)
    reach_after = _reach_counts(after, named[:AFFECTED_LIMIT], kind)
    for node in named[:AFFECTED_LIMIT]:
        affected.append(
            {
                "node": node,
                "traffic_before": t_before.get(node),
                "traffic_after": t_after.get(node),
                "traffic_delta": _delta(t_before.get(node), t_after.get(node)),
                "reach_before": reach_before[node],
                "reach_after": reach_after[node],
            }
        )
    out["affected"] = affected
    out["affected_not_shown"] = max(0, len(named) - AFFECTED_LIMIT)

    traffic: list[dict[str, Any]] = []
    for node, a, b, d in _changed_values(t_before, t_after):
        change = None if not a or b is None else (b - a) / a
        traffic.append({"node": node, "before": a, "after": b, "delta": d, "change": change})
    out["traffic"] = _by_size(traffic)

    flows = []
    for target in targets:
        a, b = _max_flow(before, target, kind), _max_flow(after, target, kind)
        flows.append({"target": target, "before": a, "after": b, "delta": _delta(a, b)})
    out["max_flow"] = flows

    out["flow_indices"] = [
        {
            "index": name,
            "before": getattr(f_before, name),
            "after": getattr(f_after, name),
            "delta": _delta(getattr(f_before, name), getattr(f_after, name)),
        }
        for name in FLOW_INDICES
    ]

    c_before = centrality(before, metric, currency=kind).values
    c_after = centrality(after, metric, currency=kind).values
    r_before, r_after = _ranks(c_before), _ranks(c_after)
    shown = list(dict.fromkeys([*list(c_after)[:top], *list(c_before)[:top]]))
    ranking = []
    for node in shown:
        rb, ra = r_before.get(node), r_after.get(node)
        ranking.append(
            {
                "node": node,
                "rank_before": rb,
                "rank_after": ra,
                "move": rb - ra if rb is not None and ra is not None else None,
                "value_before": c_before.get(node),
                "value_after": c_after.get(node),
            }
        )
    ranking.sort(key=lambda r: (r["rank_after"] is None, r["rank_after"] or r["rank_before"]))
    out["centrality"] = ranking

    out["value"] = _value_changes(before, after, kind)

    statuses = []
    if diagnosis:
        d_before, d_after = _diagnoses(before, kind), _diagnoses(after, kind)
        for node in dict.fromkeys([*d_before, *d_after]):
            sb, sa = d_before.get(node), d_after.get(node)
            if (sb and sb.status) != (sa and sa.status):
                statuses.append(
                    {
                        "node": node,
                        "before": sb.status if sb else None,
                        "after": sa.status if sa else None,
                        "reasons": "; ".join(sa.reasons)
                        if sa
                        else "no longer in the map"
                        if node not in after.nodes
                        else f"no {kind} pipe or boundary flow left: not judged",
                    }
                )
    out["diagnosis"] = statuses

    la, lb = compiled(before).layer(kind), compiled(after).layer(kind)
    carried_a = np.where(la.is_open, la.volume, 0.0)
    carried_b = np.where(lb.is_open, lb.volume, 0.0)
    ii, jj = _moves(la.keys, carried_a, lb.keys, carried_b)
    in_b = jj >= 0
    ends = []
    for end_a, end_b in ((la.src, lb.src), (la.dst, lb.dst)):
        names = np.empty(len(ii), dtype=object)
        names[in_b] = lb.cm.id_array[end_b[jj[in_b]]]
        names[~in_b] = la.cm.id_array[end_a[ii[~in_b]]]
        ends.append(names.tolist())
    keys = _pick_keys(la.keys, lb.keys, ii, jj)
    a_values, b_values = _side(carried_a, ii), _side(carried_b, jj)
    deltas = _deltas(a_values, b_values)
    volumes = [
        {"key": k, "from": f, "to": t, "before": a, "after": b, "delta": d}
        for k, f, t, a, b, d in zip(keys, *ends, a_values, b_values, deltas, strict=True)
    ]
    out["volumes"] = _by_size(volumes)

    changed = []
    for section in SECTIONS:
        rows = out[section]
        if section == "affected":
            moved = any(
                (r["traffic_delta"] is None and r["traffic_before"] != r["traffic_after"])
                or (r["traffic_delta"] or 0.0) != 0.0
                or r["reach_before"] != r["reach_after"]
                for r in rows
            )
        elif section == "centrality":
            moved = any(
                r["move"] != 0
                or _differ(r["value_before"] or 0.0, r["value_after"] or 0.0)
                or r["value_before"] is None
                or r["value_after"] is None
                for r in rows
            )
        elif section in ("max_flow", "flow_indices"):
            moved = any(
                (r["before"] is None) != (r["after"] is None)
                or (
                    r["before"] is not None
                    and r["after"] is not None
                    and _differ(float(r["before"]), float(r["after"]))
                )
                for r in rows
            )
        else:
            moved = bool(rows)
        if moved:
            changed.append(section)
    out["changed"] = changed
    return Comparison(**out)


def _size(record: dict[str, Any]) -> float:
    """Sort key: largest change first; a node or pipe on one side only counts its whole value."""
    if record["delta"] is not None:
        return -abs(float(record["delta"]))
    value = record["before"] if record["before"] is not None else record["after"]
    return -abs(float(value)) if value is not None and math.isfinite(value) else -math.inf


#: The figures of the value sheet (:func:`ecograph.value`) the ``value`` section compares.
VALUE_FIGURES: tuple[str, ...] = ("revenue", "spend", "income", "net")


def _value_changes(before: Ecosystem, after: Ecosystem, kind: str) -> list[dict[str, Any]]:
    """Nodes whose revenue, spend, income or net moved: the value sheet before and after,
    largest change of ``net`` first (``before``/``after``/``delta`` are the net)."""
    from ecograph.analysis.value import value

    sheet_b, sheet_a = value(before, currency=kind).nodes, value(after, currency=kind).nodes
    moved: dict[str, None] = {}
    for figure in VALUE_FIGURES:
        a = {node: float(row[figure]) for node, row in sheet_b.items()}
        b = {node: float(row[figure]) for node, row in sheet_a.items()}
        moved.update((node, None) for node, *_ in _changed_values(a, b))
    rows: list[dict[str, Any]] = []
    for node in moved:
        old, new = sheet_b.get(node), sheet_a.get(node)
        row: dict[str, Any] = {"node": node}
        for figure in VALUE_FIGURES[:-1]:
            row[f"{figure}_before"] = old[figure] if old else None
            row[f"{figure}_after"] = new[figure] if new else None
        a_net, b_net = (old["net"] if old else None), (new["net"] if new else None)
        row.update(before=a_net, after=b_net, delta=_delta(a_net, b_net))
        rows.append(row)
    rows.sort(key=_size)
    return rows


def _changed_values(
    before: Mapping[str, float], after: Mapping[str, float]
) -> list[tuple[str, float | None, float | None, float | None]]:
    """(key, before, after, delta) where the two differ (:func:`_differ`) or one side lacks
    the key; keys of ``before`` first, then those only ``after`` has. Compared as arrays."""
    keys_a, keys_b = list(before), list(after)
    va = np.fromiter(before.values(), np.float64, len(keys_a))
    vb = np.fromiter(after.values(), np.float64, len(keys_b))
    ii, jj = _moves(keys_a, va, keys_b, vb)
    a_values, b_values = _side(va, ii), _side(vb, jj)
    keys = _pick_keys(keys_a, keys_b, ii, jj)
    return list(zip(keys, a_values, b_values, _deltas(a_values, b_values), strict=True))


def _moves(
    keys_a: Sequence[str], va: FloatArray, keys_b: Sequence[str], vb: FloatArray
) -> tuple[IntArray, IntArray]:
    """Rows (in a, in b; -1 for none) of the keys whose values differ (:func:`_differ`) or
    that one side lacks: those of ``a`` in its order, then those only ``b`` has."""
    rows_a, rows_b = _join(keys_a, keys_b)
    differ = np.ones(len(keys_a), dtype=np.bool_)
    differ[rows_a] = _floats_differ(va[rows_a], vb[rows_b])
    where_b = np.full(len(keys_a), -1, dtype=np.int64)
    where_b[rows_a] = rows_b
    only_b = np.ones(len(keys_b), dtype=np.bool_)
    only_b[rows_b] = False
    ii = np.flatnonzero(differ)
    jj = np.flatnonzero(only_b)
    return (
        np.concatenate([ii, np.full(len(jj), -1, dtype=np.int64)]),
        np.concatenate([where_b[ii], jj]),
    )


def _pick_keys(
    keys_a: Sequence[str], keys_b: Sequence[str], ii: IntArray, jj: IntArray
) -> list[str]:
    """The key of each row pair: from ``b`` where it has the row, else from ``a``."""
    return [
        keys_b[j] if j >= 0 else keys_a[i] for i, j in zip(ii.tolist(), jj.tolist(), strict=True)
    ]


def _side(values: FloatArray, rows: IntArray) -> list[float | None]:
    """``values[rows]`` as Python floats, None where the row is -1."""
    if not len(values):
        return [None] * len(rows)
    out: list[float | None] = values[np.maximum(rows, 0)].tolist()
    for k in np.flatnonzero(rows < 0).tolist():
        out[k] = None
    return out


def _deltas(before: list[float | None], after: list[float | None]) -> list[float | None]:
    """:func:`_delta` of pairs."""
    return [
        None
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b))
        else float(f"{b - a:.12g}")
        for a, b in zip(before, after, strict=True)
    ]


def _by_size(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records sorted by :func:`_size` (a stable sort of the keys as an array)."""
    sizes = np.fromiter(map(_size, records), np.float64, len(records))
    return [records[i] for i in np.argsort(sizes, kind="stable").tolist()]


def _diagnoses(eco: Ecosystem, kind: str) -> dict[str, Any]:
    from ecograph.analysis.diagnose import diagnose

    try:
        return diagnose(eco, currency=kind)
    except UsageError:
        return {}


# -- what if ---------------------------------------------------------------------------------


@renamed(kind="currency")
def whatif(
    eco: Ecosystem,
    scenario: Any,
    *,
    currency: str = "traffic",
    metric: str = "pagerank",
    top: int = 10,
    targets: Iterable[str] = (),
    reroute: str | None = None,
    diagnosis: bool = True,
    applied: Ecosystem | None = None,
) -> WhatIf:
    """Apply a scenario to a map and compare the measures before and after.

    Parameters
    ----------
    eco : Ecosystem
        The base map.
    scenario : Scenario or str or path-like
        A :class:`ecograph.scenario.Scenario`, or the path of a scenario file.
    currency, metric, top, diagnosis
        As for :func:`compare`.
    targets : iterable of str
        More max-flow targets, besides the scenario's own ``targets`` (a str is one
        node).
    reroute : {"lost", "spread"}, optional
        Overrides the scenario's ``reroute`` (see :mod:`ecograph.scenario`).
    applied : Ecosystem, optional
        The changed map, when the caller has already applied the scenario to
        ``eco`` (with :func:`ecograph.scenario.apply` and the same ``reroute``),
        for instance to save it: it is compared as it is, not applied again.

    Returns
    -------
    WhatIf
        ``scenario`` (name, title, file, reroute), ``changes`` (each in words
        with where it was written), ``warnings`` of the changed map (a
        re-traced volume above a capacity, for one), then the sections of
        :func:`compare` (a :class:`Comparison`).

    Raises
    ------
    MapError
        The scenario file is invalid, or a change names an unknown node or
        pipe (located in the scenario file).
    UsageError
        ``scenario`` is neither a Scenario nor a path; an unknown target,
        currency, metric or ``reroute``; ``top`` below 1.

    Examples
    --------
    Remove the only channel between a pool and a shop: the shop gets nothing.

    >>> import ecograph
    >>> from ecograph.scenario import loads_scenario
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   influencer: {kind: channel}
    ...   shop:  {kind: partner, outflow: 100}
    ... pipes:
    ...   - {from: users, to: influencer, volume: 100}
    ...   - {from: influencer, to: shop, volume: 100, capacity: 120}
    ... ''')
    >>> s = loads_scenario('''
    ... scenario: 1
    ... targets: [shop]
    ... changes:
    ...   - remove: influencer
    ... ''')
    >>> result = whatif(eco, s)
    >>> result.max_flow
    [{'target': 'shop', 'before': 120.0, 'after': 0.0, 'delta': -120.0}]
    >>> [(r["node"], r["before"], r["after"]) for r in result["traffic"]]
    [('influencer', 100.0, None), ('shop', 100.0, 0.0)]
    >>> result.to_frame().query("section == 'traffic'")[["node", "before", "after"]]
             node  before  after
    2  influencer   100.0    NaN
    3        shop   100.0    0.0
    """
    from ecograph.scenario import ORIGIN_KEY, Scenario, apply, load_scenario

    maps = {"eco": eco} if applied is None else {"eco": eco, "applied": applied}
    _check_call(maps, top)
    if not isinstance(scenario, Scenario):
        if not isinstance(scenario, str | os.PathLike):
            raise UsageError(
                "scenario must be a Scenario or the path of a scenario file, "
                f"not {type(scenario).__name__}"
            )
        scenario = load_scenario(os.fspath(scenario))
    after = applied if applied is not None else apply(eco, scenario, reroute=reroute)
    focus = list(scenario.nodes_named())
    base, changed = compiled(eco), compiled(after)
    origin = after._cache.get(ORIGIN_KEY)
    if origin is not None and origin.base is eco:
        # the changed map's keys are the base map's kept ones (same ends) and the added
        # ones: no index of every key of the changed map is needed
        added = {changed.keys[j]: j for j in np.flatnonzero(origin.pipe_source < 0).tolist()}
    else:
        added = None
    for change in scenario.changes:
        keys: Sequence[str] = ()
        if change.action in ("block", "open"):
            keys = change.value
        elif change.action == "set" and "pipe" in change.value:
            keys = [change.value["pipe"]]
        for key in keys:
            if added is not None:
                cm, row = (changed, added[key]) if key in added else (base, base.pipe_index[key])
            else:
                cm = changed if key in changed.pipe_index else base
                row = cm.pipe_index[key]
            focus.extend((cm.ids[cm.src[row]], cm.ids[cm.dst[row]]))
    result = compare(
        eco,
        after,
        currency=currency,
        targets=[*scenario.targets, *_node_list(targets, "targets")],
        focus=focus,
        metric=metric,
        top=top,
        diagnosis=diagnosis,
    )
    return WhatIf(
        scenario={
            "name": scenario.name,
            "title": scenario.title,
            "file": scenario.file,
            "reroute": reroute or scenario.reroute,
        },
        changes=[{"change": c.describe(), "at": str(c.location)} for c in scenario.changes],
        warnings=[str(w) for w in after.warnings],
        **_comparison_fields(result),
    )


def _comparison_fields(result: Comparison) -> dict[str, Any]:
    return {name: getattr(result, name) for name in _COMPARISON_KEYS}


# -- diff --------------------------------------------------------------------------------------


def _plain_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


_TEXT_FIELDS = ("label", "description", "source", "attrs")
_NUMBER_FIELDS = ("volume", "capacity", "conversion", "cost")
_NODE_GETTER = operator.attrgetter(*_NODE_FIELDS)
_SHOWN = {"from_node": "from", "to_node": "to"}


def _field_changes(old: Any, new: Any, names: Sequence[str], key: str, ident: str) -> list[Any]:
    a_values, b_values = _NODE_GETTER(old), _NODE_GETTER(new)
    if a_values == b_values:
        return []
    return [
        {
            key: ident,
            "field": _SHOWN.get(name, name),
            "old": _plain_value(a),
            "new": _plain_value(b),
        }
        for name, a, b in zip(names, a_values, b_values, strict=True)
        if _differ(a, b)
    ]


def _join(old_keys: Sequence[str], new_keys: Sequence[str]) -> tuple[IntArray, IntArray]:
    """Rows of the keys found in both, in the old order: (rows in old, rows in new).

    A hash join in Arrow (``pyarrow.compute.index_in``); keys are unique on each side.
    """
    if old_keys is new_keys or (len(old_keys) == len(new_keys) and old_keys == new_keys):
        rows = np.arange(len(old_keys), dtype=np.int64)
        return rows, rows.copy()
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(
        pa.array(list(old_keys), pa.string()), value_set=pa.array(list(new_keys), pa.string())
    )
    new_rows = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    old_rows = np.flatnonzero(new_rows >= 0)
    return old_rows, new_rows[old_rows]


def _floats_differ(a: FloatArray, b: FloatArray) -> BoolArray:
    """:func:`_differ` over float columns where ``nan`` stands for "not given"."""
    na, nb = np.isnan(a), np.isnan(b)
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
        apart = np.abs(a - b) > _REL * scale
        infinite = np.isinf(a) | np.isinf(b)
        apart = np.where(infinite, a != b, apart)
    return np.asarray((na != nb) | (~na & ~nb & apart), dtype=np.bool_)


def _same_source(
    old: Ecosystem, new: Ecosystem, rows_a: IntArray, rows_b: IntArray, which: str
) -> BoolArray:
    """Which joined rows are the same base row of a map and its :func:`ecograph.scenario.apply`
    result (in either order); all False when neither map was made from the other."""
    from ecograph.scenario import ORIGIN_KEY

    same = np.zeros(len(rows_a), dtype=np.bool_)
    for derived, base, mine, theirs in ((new, old, rows_b, rows_a), (old, new, rows_a, rows_b)):
        origin = derived._cache.get(ORIGIN_KEY)
        if origin is not None and origin.base is base:
            same |= getattr(origin, which)[mine] == theirs
            if which == "node_source":
                same &= origin.node_fields_kept[mine]
    return same


def _pipe_changes(old: Ecosystem, new: Ecosystem) -> list[dict[str, Any]]:
    """Field-by-field changes of the pipes both maps have, in the old map's order.

    The numeric fields, the ends, the currency and the status are compared as
    columns of the compiled maps; the text fields pair by pair; records are made
    only for the fields that differ.
    """
    a, b = compiled(old), compiled(new)
    rows_a, rows_b = _join(a.keys, b.keys)
    differs: dict[str, BoolArray] = {
        "from_node": a.id_array[a.src[rows_a]] != b.id_array[b.src[rows_b]],
        "to_node": a.id_array[a.dst[rows_a]] != b.id_array[b.dst[rows_b]],
        "kind": a.currency[rows_a] != b.currency[rows_b],
        "status": a.open[rows_a] != b.open[rows_b],
    }
    for name in ("volume", "capacity", "conversion", "cost"):
        differs[name] = _floats_differ(getattr(a, name)[rows_a], getattr(b, name)[rows_b])
    text = operator.attrgetter(*_TEXT_FIELDS)
    old_pipes, new_pipes = old.pipes, new.pipes
    # a pipe a scenario kept has the text of its base pipe: only the others are read
    loose_mask = np.zeros(len(rows_a), dtype=np.bool_)
    unsure = np.flatnonzero(~_same_source(old, new, rows_a, rows_b, "pipe_source"))
    loose_mask[unsure] = [
        text(old_pipes[i]) != text(new_pipes[j])
        for i, j in zip(rows_a[unsure].tolist(), rows_b[unsure].tolist(), strict=True)
    ]
    for name in _TEXT_FIELDS:
        differs[name] = loose_mask  # narrowed below, pair by pair
    # records field by field (numbers straight from the columns), then in the old map's
    # order: by pipe, then in field order
    width = len(_PIPE_FIELDS)
    order: list[int] = []
    out: list[dict[str, Any]] = []
    keys = a.keys
    for f, name in enumerate(_PIPE_FIELDS):
        pairs = np.flatnonzero(differs[name])
        if not len(pairs):
            continue
        left, right = rows_a[pairs].tolist(), rows_b[pairs].tolist()
        shown = _SHOWN.get(name, name)
        if name in _NUMBER_FIELDS:
            olds = _optional(getattr(a, name)[rows_a[pairs]], name)
            news = _optional(getattr(b, name)[rows_b[pairs]], name)
        else:
            olds = [_plain_value(getattr(old_pipes[i], name)) for i in left]
            news = [_plain_value(getattr(new_pipes[j], name)) for j in right]
        for pair, i, before, after in zip(pairs.tolist(), left, olds, news, strict=True):
            if name in _TEXT_FIELDS and not _differ(before, after):
                continue
            order.append(pair * width + f)
            out.append({"pipe": keys[i], "field": shown, "old": before, "new": after})
    return [out[i] for i in np.argsort(np.asarray(order, dtype=np.int64), kind="stable").tolist()]


def _optional(values: FloatArray, name: str) -> list[float | None]:
    """A float column as the model's values: None where not given (``nan``; ``inf`` for an
    unbounded capacity)."""
    missing = np.isinf(values) if name == "capacity" else np.isnan(values)
    return [None if m else v for m, v in zip(missing.tolist(), values.tolist(), strict=True)]


@renamed(kind="currency")
def diff(
    old: Ecosystem,
    new: Ecosystem,
    *,
    currency: str = "traffic",
    metric: str = "pagerank",
    top: int = 10,
    targets: Iterable[str] = (),
    diagnosis: bool = True,
) -> Diff:
    """What changed between two versions of a map: structure, then measures.

    Parameters
    ----------
    old, new : Ecosystem
        Nodes are matched by id, pipes by key (their ``id``, else
        ``from->to:kind``).
    currency, metric, top, targets, diagnosis
        As for :func:`compare`.

    Returns
    -------
    Diff
        ``identical`` (no field of the map, a node or a pipe differs),
        ``map`` (changed top-level fields), ``nodes`` and ``pipes`` (each
        ``added``, ``removed`` and ``changed``: one record per changed field
        with ``old`` and ``new``), then the sections of :func:`compare`, with
        the changed nodes and the ends of changed pipes as its ``focus``.
        ``diff(b, a)`` mirrors ``diff(a, b)``: added and removed swap, old and
        new swap, deltas change sign.

    Raises
    ------
    UsageError
        As :func:`compare` raises.

    Examples
    --------
    >>> import ecograph
    >>> text = '''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   shop:  {kind: partner, outflow: 100}
    ... pipes:
    ...   - {from: users, to: shop, volume: 100}
    ... '''
    >>> a = ecograph.loads(text)
    >>> b = ecograph.loads(text.replace("kind: partner", "kind: producer"))
    >>> d = diff(a, b)
    >>> d.identical, d.nodes["changed"]
    (False, [{'node': 'shop', 'field': 'kind', 'old': 'partner', 'new': 'producer'}])
    >>> diff(a, a)["identical"]
    True
    """
    _check_call({"old": old, "new": new}, top)
    with gc_paused():
        return _diff(old, new, currency, metric, top, targets, diagnosis)


def _diff(
    old: Ecosystem,
    new: Ecosystem,
    kind: str,
    metric: str,
    top: int,
    targets: Iterable[str],
    diagnosis: bool,
) -> Diff:
    top_level = []
    for name in _MAP_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        a = dict(a) if isinstance(a, Mapping) else a
        b = dict(b) if isinstance(b, Mapping) else b
        if a != b:
            top_level.append({"field": name, "old": a, "new": b})
    nodes_changed: list[Any] = []
    a, b = compiled(old), compiled(new)
    rows_a, rows_b = _join(a.ids, b.ids)
    # a node a scenario kept differs from its base node at most in its boundary flows
    unsure = ~_same_source(old, new, rows_a, rows_b, "node_source")
    unsure |= (a.inflow[rows_a] != b.inflow[rows_b]).any(axis=1)
    unsure |= (a.outflow[rows_a] != b.outflow[rows_b]).any(axis=1)
    for i in rows_a[unsure].tolist():
        node_id = a.ids[i]
        nodes_changed.extend(
            _field_changes(old.nodes[node_id], new.nodes[node_id], _NODE_FIELDS, "node", node_id)
        )
    keys_old, keys_new = a.pipe_index, b.pipe_index
    pipes_changed = _pipe_changes(old, new)
    nodes = {
        "added": [n for n in b.ids if n not in a.index],
        "removed": [n for n in a.ids if n not in b.index],
        "changed": nodes_changed,
    }
    added = [k for k in b.keys if k not in keys_old]
    removed = [k for k in a.keys if k not in keys_new]
    pipes: dict[str, list[Any]] = {"added": added, "removed": removed, "changed": pipes_changed}
    identical = not top_level and not any(nodes.values()) and not any(pipes.values())
    focus = [*nodes["added"], *nodes["removed"], *(r["node"] for r in nodes_changed)]
    # the focus is the edited structure; pipes whose volume alone changed (edited by hand or
    # re-traced) are listed in the traffic and volumes sections
    edited: list[str] = [r["pipe"] for r in pipes_changed if r["field"] != "volume"]
    for key in {*added, *removed, *edited}:
        cm, row = (b, keys_new[key]) if key in keys_new else (a, keys_old[key])
        focus.extend((cm.ids[cm.src[row]], cm.ids[cm.dst[row]]))
    result = compare(
        old,
        new,
        currency=kind,
        targets=targets,
        focus=sorted(set(focus), key=lambda n: (n not in old.nodes, n)),
        metric=metric,
        top=top,
        diagnosis=diagnosis,
    )
    return Diff(
        identical=identical,
        old=list(old.files[:1]),
        new=list(new.files[:1]),
        map=top_level,
        nodes=nodes,
        pipes=pipes,
        **_comparison_fields(result),
    )
