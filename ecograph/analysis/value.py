"""The value sheet: who earns what from the traffic, who pays whom, and who gains.

The article's condition for sharing a giant's traffic is that interests stay
aligned (利益一致): a pipe of traffic is a pipe of money too. :func:`value`
draws up, from the declared volumes, each node's orders and revenue, what it
pays and is paid for pipes, and its net; ``by_group=True`` rolls that up per
sub-ecosystem and per giant and says, for each partner and its host, whether
both come out ahead.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ecograph.analysis._linalg import tidy
from ecograph.compiled import CURRENCY_CODE, KIND_CODE, CompiledMap, compiled
from ecograph.model import check_currency

if TYPE_CHECKING:
    from ecograph.model import Ecosystem

__all__ = ["FIELDS", "value"]

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


def _roots(cm: CompiledMap) -> IntArray:
    """Row of the top-level ancestor of each node (itself when it has no parent)."""
    root = np.arange(cm.n, dtype=np.int64)
    up = cm.parent.copy()
    while True:
        has = up[root] >= 0
        if not has.any():
            return root
        root[has] = up[root[has]]


def _relations(cm: CompiledMap, kind: str) -> list[dict[str, Any]]:
    """Per partner or producer and its host: what each gains from the other, and whether
    both come out ahead."""
    hosts = (cm.kind == KIND_CODE["sub-ecosystem"]) | (cm.kind == KIND_CODE["platform"])
    members = (cm.kind == KIND_CODE["partner"]) | (cm.kind == KIND_CODE["producer"])
    depth_rows = _ancestor_table(cm)
    partners = np.flatnonzero(members & (cm.parent >= 0))
    carried = np.where(cm.open & ~np.isnan(cm.volume), cm.volume, 0.0)
    conv = np.nan_to_num(cm.conversion, nan=0.0)
    price = np.nan_to_num(cm.price, nan=0.0)
    flows = cm.currency == CURRENCY_CODE[kind]
    earned = np.where(flows, carried * conv * price[cm.dst], 0.0)  # revenue at the head
    paid = carried * np.nan_to_num(cm.cost, nan=0.0)
    payer_is_head = ~cm.paid_by_from
    out: list[dict[str, Any]] = []
    touches = np.zeros(cm.n, np.bool_)
    for p in partners.tolist():
        # the host: the nearest container (sub-ecosystem or platform) whose members
        # send the partner traffic; the outermost one when none does
        candidates = [int(a) for a in depth_rows[p, 1:].tolist() if a >= 0 and hosts[a]]
        if not candidates:
            continue
        # traffic from pools the partner owns (its fans, its group chats) is its own
        feeding = flows & cm.open & (cm.dst == p) & (cm.owner[cm.src] != p)
        touches[:] = False
        touches[cm.src[feeding]] = True
        touches[p] = False
        h = candidates[-1]
        for candidate in candidates:
            if np.any(touches & np.any(depth_rows == candidate, axis=1)):
                h = candidate
                break
        inside_host = np.any(depth_rows == h, axis=1)
        inside_host[p] = False
        a_to_h = (cm.src == p) & inside_host[cm.dst]
        h_to_a = inside_host[cm.src] & (cm.dst == p)
        either = a_to_h | h_to_a
        # the partner pays when it is the payer end of a pipe with the host
        partner_pays = (h_to_a & payer_is_head) | (a_to_h & ~payer_is_head)
        partner_paid = either & ~partner_pays
        to_partner = math.fsum(paid[partner_paid].tolist())
        from_partner = math.fsum(paid[either & partner_pays].tolist())
        partner_gain = math.fsum(earned[h_to_a].tolist()) + to_partner - from_partner
        host_gain = math.fsum(earned[a_to_h].tolist()) + from_partner - to_partner
        out.append(
            {
                "partner": cm.ids[p],
                "host": cm.ids[h],
                "partner_gain": float(tidy(np.array([partner_gain]))[0]),
                "host_gain": float(tidy(np.array([host_gain]))[0]),
                "aligned": bool(partner_gain > 0 and host_gain > 0),
            }
        )
    return out


def _ancestor_table(cm: CompiledMap) -> IntArray:
    """Per node, itself and its containers (columns, nearest first; -1 padding)."""
    columns = [np.arange(cm.n, dtype=np.int64)]
    current = cm.parent.copy()
    while (current >= 0).any():
        columns.append(current.copy())
        current = np.where(current >= 0, cm.parent[np.maximum(current, 0)], -1)
    return np.column_stack(columns)


def value(eco: Ecosystem, *, by_group: bool = False, kind: str = "traffic") -> dict[str, Any]:
    """Who earns what: per node orders, revenue, what it pays and is paid, and its net.

    Parameters
    ----------
    eco : Ecosystem
    by_group : bool, default False
        Roll up per sub-ecosystem and per giant, and judge each partner-host
        relation.
    kind : str, default "traffic"
        The currency whose arrivals convert into orders.

    Returns
    -------
    dict
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
        send it, plus what they pay it, minus what it pays them),
        ``host_gain`` (the same from the host's side) and ``aligned``: both
        gains above 0.

    Notes
    -----
    Volumes as declared (observed flows, not traced). Every pipe's cost is
    ``volume * cost``, paid by its ``to`` node to its ``from`` node, or the
    other way with ``paid_by: from``, in any currency; blocked pipes carry
    and cost nothing. Payments move money between nodes and create none, so
    the nets of all nodes add up to the total revenue. Vectorised over the
    compiled columns: ``O(n + m)`` (``by_group`` adds ``O(m)`` per partner).

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
    check_currency(kind)
    cm = compiled(eco)
    sheet = _sheet(cm, kind)
    if not by_group:
        return _records(cm, sheet, np.arange(cm.n, dtype=np.int64))
    return {
        "sub_ecosystems": _roll_up(cm, sheet, cm.group_rows(("sub-ecosystem",))),
        "giants": _roll_up(cm, sheet, _roots(cm)),
        "relations": _relations(cm, kind),
    }
