"""The value sheet: who earns what from the traffic, who pays whom, and who gains.

The article's condition for sharing a giant's traffic is that interests stay
aligned (利益一致): a pipe of traffic is a pipe of money too. :func:`value`
draws up, from the declared volumes, each node's orders and revenue, what it
pays and is paid for pipes, and its net; ``by_group=True`` rolls that up per
sub-ecosystem and per giant and says, for each partner and its host, whether
both come out ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ecograph._aliases import renamed
from ecograph.analysis._linalg import tidy
from ecograph.compiled import CURRENCY_CODE, KIND_CODE, CompiledMap, compiled
from ecograph.formatting import plain
from ecograph.model import check_currency
from ecograph.results import MappingResult

if TYPE_CHECKING:
    from ecograph.model import Ecosystem

__all__ = ["FIELDS", "Value", "root_rows", "value"]

#: The columns of the value sheet, in order.
FIELDS = (
    "received",
    "converted",
    "revenue",
    "spend",
    "income",
    "net",
    "capital_in",
    "capital_out",
)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _sheet(cm: CompiledMap, kind: str) -> dict[str, FloatArray]:
    n = cm.n
    carried = np.where(cm.open & ~np.isnan(cm.volume), cm.volume, 0.0)
    flows = cm.currency == CURRENCY_CODE[kind]
    conv = np.nan_to_num(cm.conversion, nan=0.0)
    price = np.nan_to_num(cm.price, nan=0.0)

    def into(mask: npt.NDArray[np.bool_], weights: FloatArray) -> FloatArray:
        return np.bincount(cm.dst[mask], weights=weights[mask], minlength=n).astype(np.float64)

    def out_of(mask: npt.NDArray[np.bool_], weights: FloatArray) -> FloatArray:
        return np.bincount(cm.src[mask], weights=weights[mask], minlength=n).astype(np.float64)

    received = into(flows, carried)
    converted = into(flows, carried * conv)
    revenue = converted * price
    paid = carried * np.nan_to_num(cm.cost, nan=0.0)
    by_to = ~cm.paid_by_from
    # the payer is the receiver unless paid_by: from; the other end is paid
    spend = into(by_to, paid) + out_of(~by_to, paid)
    income = out_of(by_to, paid) + into(~by_to, paid)
    capital = cm.currency == CURRENCY_CODE["capital"]
    return {
        "received": received,
        "converted": converted,
        "revenue": revenue,
        "spend": spend,
        "income": income,
        "net": revenue + income - spend,
        "capital_in": into(capital, carried),
        "capital_out": out_of(capital, carried),
    }


def _records(cm: CompiledMap, sheet: dict[str, FloatArray], rows: IntArray) -> dict[str, Any]:
    cols = {name: tidy(sheet[name][rows]).tolist() for name in FIELDS}
    return {node: {name: cols[name][i] for name in FIELDS} for i, node in enumerate(cm.names(rows))}


def _roll_up(cm: CompiledMap, sheet: dict[str, FloatArray], group: IntArray) -> dict[str, Any]:
    has = group >= 0
    labels = np.unique(group[has])
    index = np.searchsorted(labels, group[has])
    sums = {
        name: np.bincount(index, weights=sheet[name][has], minlength=len(labels)) for name in FIELDS
    }
    cols = {name: tidy(sums[name].astype(np.float64)).tolist() for name in FIELDS}
    return {
        node: {name: cols[name][i] for name in FIELDS} for i, node in enumerate(cm.names(labels))
    }


def root_rows(cm: CompiledMap) -> IntArray:
    """Row of the top-level ancestor (the giant) of each node; itself when it has no parent.

    Examples
    --------
    >>> from ecograph.compiled import from_columns
    >>> cm = from_columns(ids=("p", "s", "a", "b"), kind=[0, 1, 2, 2],
    ...                   parent=[-1, 0, 1, -1], keys=())
    >>> root_rows(cm).tolist()
    [0, 0, 0, 3]
    """
    root = np.arange(cm.n, dtype=np.int64)
    up = cm.parent.copy()
    while True:
        has = up[root] >= 0
        if not has.any():
            return root
        root[has] = up[root[has]]


def _relations(cm: CompiledMap, kind: str) -> list[dict[str, Any]]:
    """Per partner or producer and its host: what each gains from the other, and whether
    both come out ahead (vectorised over pipes; see :func:`value` for the definitions)."""
    n = cm.n
    hosts = (cm.kind == KIND_CODE["sub-ecosystem"]) | (cm.kind == KIND_CODE["platform"])
    members = (cm.kind == KIND_CODE["partner"]) | (cm.kind == KIND_CODE["producer"])
    table = _ancestor_table(cm)  # column 0: the node itself, then its containers
    above = table[:, 1:]
    if not above.shape[1]:
        return []
    valid = (above >= 0) & hosts[np.maximum(above, 0)]
    host = np.full(n, -1, np.int64)
    judged = members & valid.any(axis=1)
    rows = np.flatnonzero(judged)
    if not len(rows):
        return []
    # by default the outermost host-kind container...
    last = above.shape[1] - 1 - np.argmax(valid[rows, ::-1], axis=1)
    host[rows] = above[rows, last]
    # ...unless a nearer one holds a node that sends it traffic (its own pools aside)
    flows = cm.currency == CURRENCY_CODE[kind]
    src, dst = cm.src, cm.dst
    feed = np.flatnonzero(flows & cm.open & judged[dst] & (cm.owner[src] != dst))
    if len(feed):
        p, s = dst[feed], src[feed]
        match = valid[p] & (above[p][:, :, None] == table[s][:, None, :]).any(axis=2)
        hit = match.any(axis=1)
        level = np.full(n, above.shape[1], np.int64)
        np.minimum.at(level, p[hit], np.argmax(match[hit], axis=1))
        near = np.flatnonzero(level < above.shape[1])
        host[near] = above[near, level[near]]

    def inside(other: IntArray, partner: IntArray) -> npt.NDArray[np.bool_]:
        """``other`` is in the partner's host (and is neither the partner nor its own pool)."""
        return np.asarray(
            (table[other] == host[partner][:, None]).any(axis=1)
            & (other != partner)
            & (cm.owner[other] != partner),
            dtype=np.bool_,
        )

    carried = np.where(cm.open & ~np.isnan(cm.volume), cm.volume, 0.0)
    conv = np.nan_to_num(cm.conversion, nan=0.0)
    price = np.nan_to_num(cm.price, nan=0.0)
    earned = np.where(flows, carried * conv * price[dst], 0.0)  # revenue at the head
    paid = carried * np.nan_to_num(cm.cost, nan=0.0)
    head_pays = ~cm.paid_by_from
    partner_gain = np.zeros(n)
    host_gain = np.zeros(n)
    # pipes from the host into a partner: the partner earns; who pays is the payer end
    into = np.flatnonzero(judged[dst])
    into = into[inside(src[into], dst[into])]
    a = dst[into]
    sign = np.where(head_pays[into], -1.0, 1.0)  # +: the host pays the partner
    partner_gain += np.bincount(a, weights=earned[into] + sign * paid[into], minlength=n)
    host_gain -= np.bincount(a, weights=sign * paid[into], minlength=n)
    # pipes from a partner into the host: the host earns
    out = np.flatnonzero(judged[src])
    out = out[inside(dst[out], src[out])]
    a = src[out]
    sign = np.where(head_pays[out], 1.0, -1.0)  # +: the host pays the partner
    host_gain += np.bincount(a, weights=earned[out] - sign * paid[out], minlength=n)
    partner_gain += np.bincount(a, weights=sign * paid[out], minlength=n)
    partner_gain, host_gain = tidy(partner_gain), tidy(host_gain)
    return [
        {
            "partner": cm.ids[i],
            "host": cm.ids[host[i]],
            "partner_gain": float(partner_gain[i]),
            "host_gain": float(host_gain[i]),
            "aligned": bool(partner_gain[i] > 0 and host_gain[i] > 0),
        }
        for i in rows.tolist()
    ]


def _ancestor_table(cm: CompiledMap) -> IntArray:
    """Per node, itself and its containers (columns, nearest first; -1 padding)."""
    columns = [np.arange(cm.n, dtype=np.int64)]
    current = cm.parent.copy()
    while (current >= 0).any():
        columns.append(current.copy())
        current = np.where(current >= 0, cm.parent[np.maximum(current, 0)], -1)
    return np.column_stack(columns)


@dataclass(frozen=True)
class Value(MappingResult):
    """What :func:`value` found (each field as its Returns section describes).

    Without ``by_group``, ``nodes`` holds the per-node sheet and ``to_dict()`` is that
    sheet (``{node: {...}}``); ``result[node]`` reads it. With ``by_group``, ``nodes``
    is empty and ``sub_ecosystems``, ``giants`` and ``relations`` are filled.
    ``rows()`` and ``to_frame()``: one row per node; with ``by_group``, the groups and
    relations with a ``section`` column.
    """

    kind: str
    by_group: bool
    nodes: dict[str, dict[str, float]] = field(default_factory=dict)
    sub_ecosystems: dict[str, dict[str, float]] = field(default_factory=dict)
    giants: dict[str, dict[str, float]] = field(default_factory=dict)
    relations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The sheet ``{node: {...}}``, or with ``by_group`` ``sub_ecosystems``, ``giants``
        and ``relations`` (the JSON of ``ecograph value``)."""
        if not self.by_group:
            return {node: dict(row) for node, row in self.nodes.items()}
        out: dict[str, Any] = plain(
            {
                "sub_ecosystems": self.sub_ecosystems,
                "giants": self.giants,
                "relations": self.relations,
            },
            finite=False,
        )
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One row per node (``node`` then its figures), or the by-group tables."""
        if not self.by_group:
            return [{"node": node, **row} for node, row in self.nodes.items()]
        return super().rows()

    def _keys(self) -> list[str]:
        if not self.by_group:
            return list(self.nodes)
        return ["sub_ecosystems", "giants", "relations"]

    def __getitem__(self, key: str) -> Any:
        """``result[node]`` without ``by_group``; ``result["relations"]`` etc. with it."""
        if not self.by_group:
            return self.nodes[key]
        return super().__getitem__(key)


@renamed(kind="currency")
def value(eco: Ecosystem, *, by_group: bool = False, currency: str = "traffic") -> Value:
    """Who earns what: per node orders, revenue, what it pays and is paid, and its net.

    Parameters
    ----------
    eco : Ecosystem
    by_group : bool, default False
        Roll up per sub-ecosystem and per giant, and judge each partner-host
        relation.
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency whose arrivals convert into orders.

    Returns
    -------
    Value
        Without ``by_group``: ``{node: {...}}`` for every node, in map order,
        with ``received`` (``kind`` arriving through open pipes), ``converted``
        (that times each pipe's ``conversion``), ``revenue`` (``converted``
        times the node's ``price``), ``spend`` (pipe costs it pays),
        ``income`` (pipe costs paid to it), ``net = revenue + income -
        spend``, ``capital_in`` and ``capital_out`` (capital through open
        pipes, kept apart from ``net``: an investment is not revenue).

        With ``by_group``: ``sub_ecosystems`` and ``giants`` (the same sums
        over each sub-ecosystem's members — a node counts in its nearest
        sub-ecosystem — and over each top-level node's whole tree), and
        ``relations``: per partner or producer and its host (the nearest
        sub-ecosystem or platform above it whose members, other than pools
        the partner owns, send it ``kind``; the outermost one when none
        does), ``partner_gain`` (revenue from the traffic the host's nodes
        send it, plus what they pay it, minus what it pays them; pools the
        partner owns are its own, not the host's),
        ``host_gain`` (the same from the host's side) and ``aligned``: both
        gains above 0.

    Notes
    -----
    Volumes as declared (observed flows, not traced). Every pipe's cost is
    ``volume * cost``, paid by its ``to`` node to its ``from`` node, or the
    other way with ``paid_by: from``, in any currency; blocked pipes carry
    and cost nothing. Payments move money between nodes and create none, so
    the nets of all nodes add up to the total revenue. Vectorised over the
    compiled columns: ``O(n + m)`` (times the nesting depth for ``by_group``).

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: shop
    ... nodes:
    ...   search: {kind: pool, inflow: 100}
    ...   shop:   {kind: partner, price: 50, outflow: 100}
    ... pipes:
    ...   - {from: search, to: shop, volume: 100, conversion: 0.02, cost: 0.5}
    ... ''')
    >>> r = value(eco)
    >>> r["shop"]["revenue"], r["shop"]["spend"], r["shop"]["net"], r["search"]["net"]
    (100.0, 50.0, 50.0, 50.0)
    """
    check_currency(currency)
    cm = compiled(eco)
    sheet = _sheet(cm, currency)
    if not by_group:
        return Value(currency, False, nodes=_records(cm, sheet, np.arange(cm.n, dtype=np.int64)))
    return Value(
        currency,
        True,
        sub_ecosystems=_roll_up(cm, sheet, cm.group_rows(("sub-ecosystem",))),
        giants=_roll_up(cm, sheet, root_rows(cm)),
        relations=_relations(cm, currency),
    )
